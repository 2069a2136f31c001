"""What users see: the PodScheduled condition and the `Scheduled` / `FailedScheduling` events.

Reports go out on their own threads so they never delay a binding: events one at a time,
as upstream's broadcaster sends them (they compete with bindings for the API server), status
patches on a small pool. Events are
events.k8s.io/v1 with reportingController `kubesched`, as upstream's recorder writes them."""

from __future__ import annotations

import logging
import os
import queue
import secrets
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

from kubesched.kube import ApiError, Kube

log = logging.getLogger("kubesched.live")

CONTROLLER = "kubesched"


def _now_micro() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def event(namespace: str, name: str, uid: str, *, reason: str, note: str, kind: str,
          action: str, instance: str) -> dict:
    return {
        "apiVersion": "events.k8s.io/v1", "kind": "Event",
        "metadata": {"namespace": namespace, "name": f"{name}.{secrets.token_hex(8)}"},
        "eventTime": _now_micro(),
        "reportingController": CONTROLLER, "reportingInstance": instance,
        "action": action, "reason": reason, "note": note[:1024], "type": kind,
        "regarding": {"apiVersion": "v1", "kind": "Pod", "namespace": namespace, "name": name,
                      "uid": uid},
    }


def unschedulable_patch(message: str, reason: str = "Unschedulable") -> dict:
    return {"status": {"conditions": [{
        "type": "PodScheduled", "status": "False", "reason": reason, "message": message,
        "lastProbeTime": None, "lastTransitionTime": _now()}]}}


class Reporter:
    """Events go out one at a time on their own thread and give way to bindings: while
    `busy()` (bindings in flight, pods waiting) an event waits up to `EVENT_DELAY` seconds,
    so a burst of pods is bound first and described right after. Like upstream's
    broadcaster, events beyond `MAX_QUEUED_EVENTS` waiting are dropped."""

    EVENT_DELAY = 30.0
    MAX_QUEUED_EVENTS = 20000

    def __init__(self, kube: Kube, workers: int = 2, instance: str | None = None,
                 busy: Callable[[], bool] = lambda: False):
        self.kube = kube
        self.instance = instance or f"{CONTROLLER}-{socket.gethostname()}-{os.getpid()}"
        self.busy = busy
        self.dropped = 0
        self._events: queue.Queue = queue.Queue(maxsize=self.MAX_QUEUED_EVENTS)
        self._closed = threading.Event()
        self._sender = threading.Thread(target=self._send_events, name="events", daemon=True)
        self._sender.start()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="status")

    def scheduled(self, namespace: str, name: str, uid: str, node: str) -> None:
        self._event(namespace, name, uid, "Scheduled",
                    f"Successfully assigned {namespace}/{name} to {node}", "Normal", "Binding")

    def failed(self, namespace: str, name: str, uid: str, message: str, *,
               reason: str = "Unschedulable", patch_status: bool = True) -> None:
        """A FailedScheduling event, and the PodScheduled=False condition unless unchanged."""
        self._event(namespace, name, uid, "FailedScheduling", message, "Warning", "Scheduling")
        if patch_status:
            self._pool.submit(self._patch, namespace, name, unschedulable_patch(message, reason))

    def _event(self, namespace, name, uid, reason, note, kind, action) -> None:
        body = event(namespace, name, uid, reason=reason, note=note, kind=kind, action=action,
                     instance=self.instance)
        try:
            self._events.put_nowait((time.monotonic(), namespace, body))
        except queue.Full:
            self.dropped += 1

    def _send_events(self) -> None:
        while not self._closed.is_set():
            try:
                queued, namespace, body = self._events.get(timeout=0.5)
            except queue.Empty:
                continue
            while self.busy() and time.monotonic() - queued < self.EVENT_DELAY \
                    and not self._closed.is_set():
                time.sleep(0.05)
            try:
                self.kube.request(
                    "POST", f"/apis/events.k8s.io/v1/namespaces/{namespace}/events", body)
            except ApiError as error:
                log.warning("event %s for pod %s/%s not recorded: %s", body["reason"],
                            namespace, body["regarding"]["name"], error)

    def _patch(self, namespace, name, patch) -> None:
        try:
            self.kube.request("PATCH", f"/api/v1/namespaces/{namespace}/pods/{name}/status",
                              patch, content_type="application/strategic-merge-patch+json")
        except ApiError as error:
            if error.status != 404:
                log.warning("status of pod %s/%s not updated: %s", namespace, name, error)

    def close(self, timeout: float = 0.0) -> None:
        """Stop, sending the events waiting for up to `timeout` seconds first."""
        self.busy = lambda: False
        deadline = time.monotonic() + timeout
        while not self._events.empty() and time.monotonic() < deadline:
            time.sleep(0.05)
        self._closed.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
