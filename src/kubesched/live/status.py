"""What users see: the PodScheduled condition and the `Scheduled` / `FailedScheduling` events.

Reports go out on their own threads so they never delay a binding. Events are
events.k8s.io/v1 with reportingController `kubesched`, recorded as upstream's recorder
records them (`events.EventRecorder`)."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

from kubesched.kube import ApiError, Kube
from kubesched.live.events import EventRecorder

log = logging.getLogger("kubesched.live")

CONTROLLER = "kubesched"


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def unschedulable_patch(message: str, reason: str = "Unschedulable") -> dict:
    return {"status": {"conditions": [{
        "type": "PodScheduled", "status": "False", "reason": reason, "message": message,
        "lastProbeTime": None, "lastTransitionTime": _now()}]}}


class Reporter:
    """Events through an `EventRecorder` (aggregated into series, warnings first); status
    patches on a small pool."""

    def __init__(self, kube: Kube, workers: int = 2, instance: str | None = None,
                 busy: Callable[[], bool] = lambda: False):
        self.kube = kube
        self.instance = instance or f"{CONTROLLER}-{socket.gethostname()}-{os.getpid()}"
        self.events = EventRecorder(kube, controller=CONTROLLER, instance=self.instance, busy=busy)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="status")

    def scheduled(self, namespace: str, name: str, uid: str, node: str) -> None:
        self.events.record(_pod_reference(namespace, name, uid), kind="Normal", reason="Scheduled",
                           action="Binding", note=f"Successfully assigned {namespace}/{name} to {node}")

    def failed(self, namespace: str, name: str, uid: str, message: str, *,
               reason: str = "Unschedulable", patch_status: bool = True,
               status: dict | None = None) -> None:
        """A FailedScheduling event, and the PodScheduled=False condition unless unchanged;
        `status`: more status fields to write with it (preemption's nominatedNodeName)."""
        self.events.record(_pod_reference(namespace, name, uid), kind="Warning",
                           reason="FailedScheduling", action="Scheduling", note=message)
        if patch_status or status:
            patch = unschedulable_patch(message, reason) if patch_status else {"status": {}}
            patch["status"].update(status or {})
            self._pool.submit(self._patch, namespace, name, patch)

    def _patch(self, namespace, name, patch) -> None:
        try:
            self.kube.request("PATCH", f"/api/v1/namespaces/{namespace}/pods/{name}/status",
                              patch, content_type="application/strategic-merge-patch+json")
        except ApiError as error:
            if error.status != 404:
                log.warning("status of pod %s/%s not updated: %s", namespace, name, error)

    def close(self, timeout: float = 0.0) -> None:
        """Stop, sending the events waiting for up to `timeout` seconds first."""
        self.events.close(timeout)
        self._pool.shutdown(wait=False, cancel_futures=True)


def _pod_reference(namespace: str, name: str, uid: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "namespace": namespace, "name": name, "uid": uid}
