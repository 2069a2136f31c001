"""Serving as kube-scheduler does: HTTPS with a self-signed certificate, /metrics only for a
token the API server authenticates and authorizes, health always; bounded connections."""

from __future__ import annotations

import socket
import ssl
import threading

import pytest

from tests.https import https_get
from tests.waiting import wait_for
from kubesched.live.metrics import Metrics
from kubesched.serving.delegated import Delegated
from kubesched.serving.server import BoundedServer, Endpoints
from kubesched.serving.tls import server_context

pytestmark = pytest.mark.unit

ALLOWED_TOKEN = "prometheus-token"


class FakeApi:
    """TokenReview: ALLOWED_TOKEN and "other-token" authenticate; SubjectAccessReview: only
    the prometheus user may get /metrics."""

    def __init__(self):
        self.reviews = []

    def request(self, method, path, body=None, **_):
        self.reviews.append(path.rsplit("/", 1)[1])
        if path.endswith("/tokenreviews"):
            user = {ALLOWED_TOKEN: "system:serviceaccount:monitoring:prometheus",
                    "other-token": "someone"}.get(body["spec"]["token"])
            return {"status": {"authenticated": bool(user), "user": {"username": user, "groups": ["g"]}}
                    if user else {"authenticated": False}}
        spec = body["spec"]
        allowed = spec["user"].endswith(":prometheus") and spec["nonResourceAttributes"] == {
            "path": "/metrics", "verb": "get"}
        return {"status": {"allowed": allowed}}


@pytest.fixture
def served():
    metrics = Metrics()
    metrics.attempts.labels("scheduled", "p").inc()
    api = FakeApi()
    server = BoundedServer("127.0.0.1:0", Endpoints(metrics.render, lambda: True),
                           tls=server_context(None, None), delegated=Delegated(api), max_connections=16)
    yield server, api
    server.close()


def get(server, path, token=None):
    return https_get(server.address, path, token)


def test_health_is_always_served_metrics_only_when_authorized(served):
    server, api = served
    assert get(server, "/healthz") == (200, "ok")
    assert get(server, "/livez") == (200, "ok")
    assert get(server, "/readyz") == (200, "ok")
    assert api.reviews == []  # health needs no review
    status, body = get(server, "/metrics")
    assert status == 403 and 'User "system:anonymous" cannot get path "/metrics"' in body
    assert get(server, "/metrics", "forged")[0] == 401
    assert get(server, "/metrics", "other-token")[0] == 403
    status, body = get(server, "/metrics", ALLOWED_TOKEN)
    assert status == 200
    assert 'scheduler_schedule_attempts_total{profile="p",result="scheduled"} 1.0' in body
    assert "process_resident_memory_bytes" in body and "process_cpu_seconds_total" in body
    assert "_created" not in body
    reviews = len(api.reviews)
    assert get(server, "/metrics", ALLOWED_TOKEN)[0] == 200
    assert len(api.reviews) == reviews  # answers are cached


def tls_connection(server):
    host, port = server.address.rsplit(":", 1)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context.wrap_socket(socket.create_connection((host, int(port)), timeout=10))


def test_idle_and_broken_connections_are_bounded_and_log_no_traceback(served, caplog):
    server, _ = served
    host, port = server.address.rsplit(":", 1)
    threads = threading.active_count()
    idle = [tls_connection(server) for _ in range(20)]  # handshaken, then silent
    broken = [socket.create_connection((host, int(port))) for _ in range(5)]
    try:
        wait_for(lambda: server.open_connections == 16)  # the limit: the others were closed
        assert threading.active_count() <= threads  # idle connections hold no thread
        for sock in broken:
            sock.sendall(b"\x16\x03\x01 not a TLS hello\r\n\r\n")
            sock.close()
        closed = set()

        def count_closed():
            for sock in idle:
                if sock in closed:
                    continue
                sock.setblocking(False)
                try:
                    if sock.recv(1) == b"":
                        closed.add(sock)
                except (ssl.SSLWantReadError, BlockingIOError):
                    pass  # held open, waiting for its request
                except OSError:
                    closed.add(sock)
            return len(closed)
        wait_for(lambda: count_closed() >= 20 - 16)  # those past the limit are closed on arrival
        assert count_closed() == 20 - 16
    finally:
        for sock in idle:
            sock.close()
    wait_for(lambda: server.open_connections == 0)
    assert get(server, "/healthz") == (200, "ok")
    assert "Traceback" not in caplog.text


def test_reviews_go_to_the_clients_given_for_them():
    authenticating, authorizing = FakeApi(), FakeApi()
    delegated = Delegated(authenticating, authorizing)
    assert delegated.check(f"Bearer {ALLOWED_TOKEN}", "/metrics") == (200, "")
    assert authenticating.reviews == ["tokenreviews"] and authorizing.reviews == ["subjectaccessreviews"]
