"""Bindings posted concurrently with the next decisions, on a bounded pool of threads.

The scheduler assumes the pod on its node before submitting, so the next decision already
counts it. The outcome comes back through `done(outcome)` on the binder's thread; the
scheduler turns it into an event for its own loop.

Annotations the decision records on the pod (a GPU pod's `kubesched.io/gpu-indices`) ride on
the Binding's metadata: the API server copies a Binding's annotations onto the pod in the same
update that sets spec.nodeName, so they are written exactly when the binding succeeds, and a
failed binding leaves nothing to clean up. Pods without any cost no extra request."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass

from kubesched.extenders.client import ExtenderError
from kubesched.kube import ApiError, Kube

BOUND, GONE, ALREADY_BOUND, FAILED = "bound", "gone", "already-bound", "failed"


@dataclass
class Outcome:
    uid: str
    namespace: str
    name: str
    node: str
    result: str  # BOUND, GONE (pod deleted), ALREADY_BOUND, FAILED (retry)
    error: str = ""
    seconds: float = 0.0


def binding(namespace: str, name: str, uid: str, node: str,
            annotations: dict[str, str] | None = None) -> dict:
    metadata = {"namespace": namespace, "name": name, "uid": uid}
    if annotations:
        metadata["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Binding", "metadata": metadata,
            "target": {"apiVersion": "v1", "kind": "Node", "name": node}}


def post_binding(kube: Kube, namespace: str, name: str, uid: str, node: str,
                 annotations: dict[str, str] | None = None) -> tuple[str, str]:
    """(result, error) for one `pods/binding` POST."""
    try:
        kube.request("POST", f"/api/v1/namespaces/{namespace}/pods/{name}/binding",
                     binding(namespace, name, uid, node, annotations))
        return BOUND, ""
    except ApiError as error:
        if error.status == 404:
            return GONE, str(error)
        if error.status == 409:
            # "pod ... is already assigned to node ..." or a UID precondition: the pod was
            # bound elsewhere or replaced by another of the same name.
            text = str(error)
            return (ALREADY_BOUND if "already" in text else GONE), text
        return FAILED, str(error)


class Binder:
    def __init__(self, kube: Kube, done: Callable[[Outcome], None], workers: int = 32,
                 may_bind: Callable[[], bool] = lambda: True):
        self.kube = kube
        self.done = done
        self.may_bind = may_bind  # False once leadership is lost: nothing more is posted
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bind")
        self._in_flight: set = set()
        self._lock = threading.Lock()

    def submit(self, uid: str, namespace: str, name: str, node: str,
               annotations: dict[str, str] | None = None, extender=None) -> None:
        """Bind the pod to `node`, setting `annotations` on it in the same update; through
        `extender` (an extenders.client.HttpExtender with a bindVerb) when given."""
        future = self._pool.submit(self._bind, uid, namespace, name, node, annotations, extender)
        with self._lock:
            self._in_flight.add(future)
        future.add_done_callback(self._finished)

    def in_flight(self) -> int:
        with self._lock:
            return len(self._in_flight)

    def _finished(self, future) -> None:
        with self._lock:
            self._in_flight.discard(future)

    def _bind(self, uid: str, namespace: str, name: str, node: str,
              annotations: dict[str, str] | None, extender) -> None:
        started = time.monotonic()
        result = None
        if not self.may_bind():
            result, error = FAILED, "not the leader"
        elif extender is not None:
            try:
                extender.bind(namespace, name, uid, node)
                result, error = BOUND, ""
            except ExtenderError as failure:
                if not extender.config.ignorable:  # an ignorable one falls back to the API
                    result, error = FAILED, str(failure)
        if result is None:
            result, error = post_binding(self.kube, namespace, name, uid, node, annotations)
        self.done(Outcome(uid, namespace, name, node, result, error, time.monotonic() - started))

    def drain(self, timeout: float) -> bool:
        """Wait for the bindings in flight; True if all finished in time."""
        with self._lock:
            pending = list(self._in_flight)
        _, not_done = wait(pending, timeout=timeout)
        self._pool.shutdown(wait=False, cancel_futures=True)
        return not not_done
