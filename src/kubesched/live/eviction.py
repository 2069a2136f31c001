"""Preemption's API calls, asynchronous as upstream's (KEP-4832): the decision returns at once,
the victims are deleted on threads while the loop goes on, and the preemptor is held out of
the scheduling cycle (`running`) until the calls are done.

For one preemptor, as upstream: the nominations of lower-priority pods on the target node are
cleared (they may no longer fit there); then each victim gets the `DisruptionTarget`
condition (reason `PreemptionByScheduler`) by a status patch, is deleted gracefully (no
grace period given: the pod's own) and gets a `Preempted` event (without a `related`
object: upstream names one, but its recorder cannot make a reference of it and drops it). All victims but the last
are deleted in parallel, the last one alone after them. Victims already terminating are
left alone; with none left to delete nothing is done and the preemptor is not held."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

from kubesched.kube import ApiError, Kube
from kubesched.live.events import EventRecorder
from kubesched.logs import V, KObj, kv
from kubesched.model.records import Pod

log = logging.getLogger("kubesched.live")

DISRUPTION_TARGET = "DisruptionTarget"
PREEMPTION_BY_SCHEDULER = "PreemptionByScheduler"
STATUS_PATCH = "application/strategic-merge-patch+json"


def disruption_condition(scheduler_name: str) -> dict:
    return {"type": DISRUPTION_TARGET, "status": "True", "reason": PREEMPTION_BY_SCHEDULER,
            "message": f"{scheduler_name}: preempting to accommodate a higher priority pod"}


def preempted_note(preemptor_uid: str, node: str) -> str:
    return f"Preempted by pod {preemptor_uid} on node {node}"


def terminating(raw: dict | None) -> bool:
    return bool(((raw or {}).get("metadata") or {}).get("deletionTimestamp"))


def reference(pod: Pod) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "namespace": pod.namespace, "name": pod.name,
            "uid": pod.uid}


def _pod_path(pod: Pod) -> str:
    return f"/api/v1/namespaces/{pod.namespace}/pods/{pod.name}"


class Evictor:
    def __init__(self, kube: Kube, events: EventRecorder, done: Callable[[str, bool], None],
                 workers: int = 16):
        self.kube = kube
        self.events = events
        self.done = done  # (preemptor uid, all calls succeeded), on the evicting thread
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="preempt")
        self._lock = threading.Lock()
        self._running: set[str] = set()

    def running(self, uid: str) -> bool:
        """Whether the preemptor's API calls are still going (it must not be decided now)."""
        with self._lock:
            return uid in self._running

    def start(self, preemptor: Pod, node: str, victims: list[Pod],
              lower_nominated: list[Pod] = ()) -> bool:
        """Evict `victims` for `preemptor`, after clearing the nominations of
        `lower_nominated`; False when no victim needed a call (nothing started)."""
        to_delete = [v for v in victims if not terminating(v.raw)]
        for victim in victims:
            if terminating(victim.raw):
                log.log(V(2), "Victim Pod is already being deleted, skipping the API call for it",
                        extra=kv(preemptor=KObj(preemptor.namespace, preemptor.name), node=node,
                                 victim=KObj(victim.namespace, victim.name)))
        if not to_delete:
            return False
        with self._lock:
            self._running.add(preemptor.uid)
        threading.Thread(target=self._evict_all, args=(preemptor, node, to_delete, list(lower_nominated)),
                         name="preemption", daemon=True).start()
        return True

    def _evict_all(self, preemptor: Pod, node: str, victims: list[Pod], lower_nominated: list[Pod]) -> None:
        ok = True
        try:
            log.log(V(2), "Start the preemption asynchronously", extra=kv(
                preemptor=KObj(preemptor.namespace, preemptor.name), node=node,
                numVictimsToDelete=len(victims)))
            for pod in lower_nominated:
                try:
                    self.kube.request("PATCH", _pod_path(pod) + "/status",
                                      {"status": {"nominatedNodeName": None}}, content_type=STATUS_PATCH)
                except ApiError as error:
                    if error.status != 404:
                        log.warning("Cannot clear 'NominatedNodeName' field from lower priority pod %s: %s",
                                    pod.key, error)
            *first, last = victims
            results = list(self._pool.map(lambda v: self._evict(preemptor, node, v), first))
            if all(results):
                ok = self._evict(preemptor, node, last)
            else:
                ok = False  # the last one is spared: the preemptor comes back sooner
        finally:
            with self._lock:
                self._running.discard(preemptor.uid)
            self.done(preemptor.uid, ok)

    def _evict(self, preemptor: Pod, node: str, victim: Pod) -> bool:
        """One victim: condition, graceful delete, event. False on an API error (not a 404)."""
        condition = disruption_condition(preemptor.spec.scheduler_name)
        try:
            if not _has_condition(victim.raw, condition):
                stamped = {**condition, "lastTransitionTime": _now()}
                self.kube.request("PATCH", _pod_path(victim) + "/status",
                                  {"status": {"conditions": [stamped]}}, content_type=STATUS_PATCH)
            self.kube.request("DELETE", _pod_path(victim))
        except ApiError as error:
            if error.status == 404:
                log.log(V(2), "Victim Pod is already deleted", extra=kv(
                    preemptor=KObj(preemptor.namespace, preemptor.name),
                    victim=KObj(victim.namespace, victim.name), node=node))
                return True
            log.error("Tried to preempt pod %s for %s: %s", victim.key, preemptor.key, error)
            return False
        log.log(V(2), "Preemptor Pod preempted victim Pod", extra=kv(
            preemptor=KObj(preemptor.namespace, preemptor.name),
            victim=KObj(victim.namespace, victim.name), node=node))
        self.events.record(reference(victim), kind="Normal", reason="Preempted", action="Preempting",
                           note=preempted_note(preemptor.uid, node))
        return True

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _has_condition(raw: dict | None, condition: dict) -> bool:
    for existing in ((raw or {}).get("status") or {}).get("conditions") or ():
        if existing.get("type") == condition["type"]:
            return all(existing.get(k) == condition[k] for k in ("status", "reason", "message"))
    return False


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
