"""Serving /metrics and the health endpoints as kube-scheduler does: HTTPS with a
self-signed certificate unless one is given, requests authenticated and authorized by the
API server, a bounded pool of connection handlers."""
