"""The one client every command that talks to a cluster uses: where the API server is and
which credentials to show it (`credentials`), and raw JSON requests over a kept-alive pool
(`client`)."""

from kubesched.kube.client import ApiError, Kube, RateLimiter, connect, connect_with_files

__all__ = ["ApiError", "Kube", "RateLimiter", "connect", "connect_with_files"]
