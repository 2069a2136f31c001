"""Prometheus metrics under upstream's names, and the /healthz and /readyz endpoints."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

log = logging.getLogger("kubesched.live")

# upstream's buckets: exponential from 1 ms
ATTEMPT_BUCKETS = tuple(0.001 * 2 ** i for i in range(15))
SLI_BUCKETS = tuple(0.01 * 2 ** i for i in range(20))


class Metrics:
    def __init__(self):
        self.registry = CollectorRegistry()
        r = self.registry
        self.attempts = Counter(
            "scheduler_schedule_attempts", "Number of attempts to schedule pods, by the result "
            "(scheduled, unschedulable, error) and the profile.", ["result", "profile"],
            registry=r)
        self.attempt_duration = Histogram(
            "scheduler_scheduling_attempt_duration_seconds", "Scheduling attempt latency in "
            "seconds (scheduling algorithm + binding).", ["result", "profile"],
            buckets=ATTEMPT_BUCKETS, registry=r)
        self.algorithm_duration = Histogram(
            "scheduler_scheduling_algorithm_duration_seconds", "Scheduling algorithm latency "
            "in seconds.", buckets=ATTEMPT_BUCKETS, registry=r)
        self.binding_duration = Histogram(
            "scheduler_binding_duration_seconds", "Binding latency in seconds.",
            ["result"], buckets=ATTEMPT_BUCKETS, registry=r)
        self.pending = Gauge("scheduler_pending_pods", "Number of pending pods, by the queue "
                             "type.", ["queue"], registry=r)
        self.sli = Histogram(
            "scheduler_pod_scheduling_sli_duration_seconds", "E2e latency for a pod being "
            "scheduled, from the time the pod enters the scheduling queue until it is bound.",
            ["attempts"], buckets=SLI_BUCKETS, registry=r)
        self.leader = Gauge("leader_election_master_status", "1 while this replica leads.",
                            ["name"], registry=r)

    def set_pending(self, counts: dict[str, int]) -> None:
        for queue, count in counts.items():
            self.pending.labels(queue).set(count)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class HealthServer:
    """/metrics, /healthz (the process runs) and /readyz (`ready()`: informers synced)."""

    def __init__(self, address: str, metrics: Metrics, ready: Callable[[], bool]):
        host, _, port = address.rpartition(":")
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                path = self.path.split("?")[0]
                if path == "/metrics":
                    self._answer(200, metrics.render(), CONTENT_TYPE_LATEST)
                elif path in ("/healthz", "/livez"):
                    self._answer(200, b"ok")
                elif path == "/readyz":
                    ok = outer.ready()
                    self._answer(200 if ok else 503, b"ok" if ok else b"informers not synced")
                else:
                    self._answer(404, b"not found")

            def _answer(self, status: int, body: bytes, content_type: str = "text/plain"):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.ready = ready
        self.server = ThreadingHTTPServer((host or "0.0.0.0", int(port)), Handler)
        self.server.daemon_threads = True
        self.address = "%s:%d" % self.server.server_address[:2]
        self._thread = threading.Thread(target=self.server.serve_forever, name="metrics",
                                        daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
