"""Bindings posted concurrently with the next decisions, on a bounded pool of threads (no
Future per binding: the loop only enqueues).

The scheduler assumes the pod on its node before submitting, so the next decision already
counts it. The outcome comes back through `done(outcome)` on the binder's thread; the
scheduler turns it into an event for its own loop.

Annotations the decision records on the pod (a GPU pod's `kubesched.io/gpu-indices`) ride on
the Binding's metadata: the API server copies a Binding's annotations onto the pod in the same
update that sets spec.nodeName, so they are written exactly when the binding succeeds, and a
failed binding leaves nothing to clean up. Pods without any cost no extra request."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from kubesched.extenders.client import ExtenderError
from kubesched.kube import ApiError, Kube

BOUND, GONE, ALREADY_BOUND, FAILED = "bound", "gone", "already-bound", "failed"


def prebind_failure(plugin: str, error: str) -> str:
    """The framework's words for a PreBind plugin's error (RunPreBindPlugins)."""
    return f'running PreBind plugin "{plugin}": {error}'


@dataclass
class Outcome:
    uid: str
    namespace: str
    name: str
    node: str
    result: str  # BOUND, GONE (pod deleted), ALREADY_BOUND, FAILED (retry)
    error: str = ""
    seconds: float = 0.0
    stage: str = ""  # "PreBind" when a PreBind plugin failed it


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
    """`workers` threads take bindings from one queue; at most `workers` are in flight. Every
    submitted binding ends in exactly one `done(outcome)`, an unexpected error included
    (FAILED: the scheduler forgets the assumed pod and retries it)."""

    def __init__(self, kube: Kube, done: Callable[[Outcome], None], workers: int = 32,
                 may_bind: Callable[[], bool] = lambda: True):
        self.kube = kube
        self.done = done
        self.may_bind = may_bind  # False once leadership is lost: nothing more is posted
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._settled = threading.Condition(self._lock)
        self._pending = 0  # submitted, outcome not yet given
        self._stopped = False
        self._workers = [threading.Thread(target=self._work, name=f"bind-{i}", daemon=True)
                         for i in range(max(1, workers))]
        for worker in self._workers:
            worker.start()

    def submit(self, uid: str, namespace: str, name: str, node: str,
               annotations: dict[str, str] | None = None, extender=None, prebind=None) -> None:
        """Bind the pod to `node`, setting `annotations` on it in the same update; through
        `extender` (an extenders.client.HttpExtender with a bindVerb) when given; after
        `prebind()` (the error that fails the binding, or None) when given."""
        with self._lock:
            self._pending += 1
        self._jobs.put((uid, namespace, name, node, annotations, extender, prebind))

    def in_flight(self) -> int:
        """Bindings submitted whose outcome is not yet given (queued or posted)."""
        return self._pending

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None or self._stopped:
                return
            try:
                self._bind(*job)
            except Exception as error:  # never lose a pod: it is retried like a failed binding
                uid, namespace, name, node = job[:4]
                self.done(Outcome(uid, namespace, name, node, FAILED, f"{type(error).__name__}: {error}"))
            finally:
                with self._lock:
                    self._pending -= 1
                    if not self._pending:
                        self._settled.notify_all()

    def _bind(self, uid: str, namespace: str, name: str, node: str,
              annotations: dict[str, str] | None, extender, prebind=None) -> None:
        started = time.monotonic()
        result, stage = None, ""
        if not self.may_bind():
            result, error = FAILED, "not the leader"
        elif prebind is not None and (failure := prebind()) is not None:
            result, error, stage = FAILED, failure, "PreBind"
        elif prebind is not None and not self.may_bind():  # lost while PreBind waited
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
        self.done(Outcome(uid, namespace, name, node, result, error, time.monotonic() - started, stage))

    def drain(self, timeout: float) -> bool:
        """Wait for the bindings submitted; True if all finished in time. Then stop: bindings
        still queued are not posted."""
        with self._lock:
            finished = self._settled.wait_for(lambda: not self._pending, timeout)
        self._stopped = True
        for _ in self._workers:
            self._jobs.put(None)
        return finished
