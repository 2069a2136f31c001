"""DynamicResources in `kubesched run`: the DRA objects the informers see, the pod's claims
decided as offline (kubesched.sim.dra), the allocation taken at once in the scheduler's own
view (Reserve) and written into each claim before the binding (PreBind):
`status.allocation` (`devices.results`, the node selector, `allocationTimestamp`) and the
pod in `status.reservedFor`, as kube-scheduler v1.37 writes them.

A template claim the resourceclaim controller has not made yet is a wait, not an error: the
pod is retried when a claim event comes. A failed claim write gives the devices back.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone

from kubesched.dra.plugin import DraCluster, PodClaims
from kubesched.errors import InputError
from kubesched.kube import ApiError, Kube
from kubesched.model.dra_objects import parse_claim, read_dra_objects
from kubesched.model.dra_records import Allocation, DraObjects
from kubesched.model.manifests import Manifest

log = logging.getLogger("kubesched.live")

API = "resource.k8s.io/v1"
PATHS = {"DeviceClass": f"/apis/{API}/deviceclasses", "ResourceSlice": f"/apis/{API}/resourceslices",
         "ResourceClaim": f"/apis/{API}/resourceclaims", "ResourceClaimTemplate": f"/apis/{API}/resourceclaimtemplates"}


def _key(obj: dict) -> str:
    meta = obj.get("metadata") or {}
    return f"{meta.get('namespace') or ''}/{meta.get('name') or ''}"


class LiveDra:
    def __init__(self, kube: Kube):
        self.kube = kube
        self.raw: dict[str, dict[str, dict]] = {kind: {} for kind in PATHS}
        self._objects: DraObjects | None = None
        self._cluster: DraCluster | None = None
        self._for_nodes = None

    def has_claims(self, pod) -> bool:
        spec = (pod.raw or {}).get("spec")
        return isinstance(spec, dict) and bool(spec.get("resourceClaims"))

    def event(self, kind: str, event_type: str, obj: dict) -> None:
        store = self.raw[kind]
        if event_type == "DELETED":
            store.pop(_key(obj), None)
        else:
            store[_key(obj)] = {**obj, "apiVersion": API, "kind": kind}
        if kind == "ResourceClaim" and self._cluster is not None and self._claim_changed(event_type, store.get(_key(obj))):
            return  # the devices and the CEL results stay: only that claim changed
        self._objects = None

    def _claim_changed(self, event_type: str, obj: dict | None) -> bool:
        """Apply one claim's change to the current state; False when it needs a full rebuild."""
        key = _key(obj) if obj is not None else None
        if key is None or event_type == "DELETED":
            return False
        try:
            claim = parse_claim(obj)
        except InputError as error:
            log.warning("claim %s not applied: %s", key, error)
            return False
        self._cluster.update_claim(claim)
        return True

    def cluster_for(self, nodes: list) -> DraCluster:
        """The DRA state for a snapshot's nodes (the last good one while the objects do not read)."""
        if self._objects is None:
            by_kind = {kind: [Manifest(obj, "") for obj in objects.values()] for kind, objects in self.raw.items()}
            try:
                self._objects = read_dra_objects(by_kind)
            except InputError as error:
                log.warning("DRA objects not applied: %s", error)
                if self._cluster is not None:
                    return self._cluster
                self._objects = DraObjects()
            self._cluster = None
        if self._cluster is None or self._for_nodes is not nodes:
            self._cluster = DraCluster(self._objects, nodes, create_template_claims=False)
            self._for_nodes = nodes
        return self._cluster

    def prebind(self, claims: PodClaims, node: str, allocations: list[Allocation]) -> str | None:
        """Write the allocations and the reservation; the error, if a write fails."""
        new = dict(zip(claims.to_allocate, allocations))
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        pod = claims.pod
        for index, claim in enumerate(claims.claims):
            raw = self.raw["ResourceClaim"].get(f"{claim.namespace}/{claim.name}")
            if raw is None:
                return f"resourceclaim {claim.key} is gone"
            body = {**raw, "status": dict(raw.get("status") or {})}
            status = body["status"]
            if index in new:
                allocation = new[index]
                status["allocation"] = {"devices": {"results": [r.to_json() for r in allocation.results]},
                                        "allocationTimestamp": now}
                if allocation.raw_node_selector is not None:
                    status["allocation"]["nodeSelector"] = allocation.raw_node_selector
            reference = {"resource": "pods", "name": pod.name, "uid": pod.uid}
            reserved = list(status.get("reservedFor") or [])
            if not any(r.get("uid") == pod.uid for r in reserved):
                reserved.append(reference)
            status["reservedFor"] = reserved
            path = f"{PATHS['ResourceClaim'].rsplit('/', 1)[0]}/namespaces/{claim.namespace}/resourceclaims/{claim.name}/status"
            try:
                answer = self.kube.request("PUT", path, body)
            except ApiError as error:
                self._objects = None  # start again from what the API holds
                return f"binding claim {claim.key}: {error}"
            self.event("ResourceClaim", "MODIFIED", answer)
        return None


def schedule_with_claims(scheduler, entry, snapshot, started: float) -> None:
    """One decision for a pod with resource claims (Scheduler._schedule's DRA branch)."""
    from kubesched.dra.allocator import AllocationError
    from kubesched.dra.plugin import Unschedulable, Waiting
    from kubesched.sim.dra import passing_other_filters
    from kubesched.sim.preempting_dra import dry_run_class, prefilter_rejected

    pod = entry.pod
    dra = scheduler.dra.cluster_for(snapshot.nodes)
    try:
        claims = dra.prefilter(pod)
        verdict, score, allocations = dra.verdicts(claims, passing_other_filters(snapshot, pod))
    except Waiting as wait:  # PreEnqueue: no attempt, no event; a claim event brings it back
        scheduler.queue.unschedulable(entry, str(wait))
        return
    except Unschedulable as rejection:
        message = f"0/{snapshot.node_count} nodes are available: {rejection}."
        if scheduler.preemption.enabled(snapshot.profile):  # unresolvable everywhere
            message = f"{message} {prefilter_rejected(snapshot, pod)}"
        _unschedulable(scheduler, entry, message, started)
        return
    except AllocationError as error:
        _unschedulable(scheduler, entry, f'running "DynamicResources" filter plugin: {error}', started)
        return
    class_id = snapshot.class_with_dra(pod, verdict, score)
    node = scheduler.preemption.on_nominated_node(snapshot, entry.uid, class_id)  # tried first, as upstream
    if node < 0:
        node = snapshot.engine.schedule(class_id)
    if node < 0:
        message, status = snapshot.failure_message(snapshot.engine.last_failure()), None
        if scheduler.preemption.enabled(snapshot.profile):
            outcome = scheduler.preemption.post_filter(snapshot, entry.uid, pod, snapshot.profile, scheduler.cache.placed,
                                                       class_id=dry_run_class(snapshot, dra, claims, pod))
            message, status = f"{message} {outcome.message}", outcome.status
        _unschedulable(scheduler, entry, message, started, status)
        return
    node_name = snapshot.node_names[node]
    dra.reserve(claims, node, allocations[node])  # Reserve: the next decision sees the devices taken
    error = scheduler.dra.prebind(claims, node_name, allocations[node])
    if error is not None:  # Unreserve: the devices and the node's room are given back
        snapshot.engine.forget(class_id, node)
        log.warning("PreBind of %s/%s on %s failed: %s", pod.namespace, pod.name, node_name, error)
        scheduler.queue.failed(entry)
        return
    prebind = scheduler._reserve_volumes(entry.uid, snapshot, pod, node_name, snapshot.profile)  # its PVCs
    scheduler.cache.assumed(entry.uid, pod, node_name, (class_id, node))
    scheduler.preemption.unnominate(entry.uid)
    entry.attempt_started = started
    entry.decided_on = snapshot.engine.last_counts
    scheduler.queue.done(entry)
    scheduler._in_flight[entry.uid] = entry
    scheduler.binder.submit(entry.uid, pod.namespace, pod.name, node_name, None, prebind=prebind)


def _unschedulable(scheduler, entry, message: str, started: float, status: dict | None = None) -> None:
    """As Scheduler._schedule reports a pod that fits nowhere."""
    pod = entry.pod
    name = pod.spec.scheduler_name
    seconds = time.monotonic() - started
    scheduler.metrics.attempts.labels("unschedulable", name).inc()
    scheduler.metrics.attempt_duration.labels("unschedulable", name).observe(seconds)
    report_status = message != entry.message
    scheduler.queue.unschedulable(entry, message)
    scheduler.reporter.failed(pod.namespace, pod.name, entry.uid, message, patch_status=report_status, status=status)


def release(scheduler, pod) -> None:
    """Unreserve after a failed binding: the pod leaves each claim's status.reservedFor, and
    a claim nobody else reserves gives its devices back (its allocation is removed)."""
    dra = scheduler.dra
    for claim in list(dra.raw["ResourceClaim"].values()):
        status = claim.get("status") or {}
        reserved = status.get("reservedFor") or []
        if not any(r.get("uid") == pod.uid for r in reserved):
            continue
        left = [r for r in reserved if r.get("uid") != pod.uid]
        body = {**claim, "status": {k: v for k, v in status.items() if k not in ("reservedFor", "allocation")}}
        if left:
            body["status"]["reservedFor"] = left
            if "allocation" in status:
                body["status"]["allocation"] = status["allocation"]
        meta = claim.get("metadata") or {}
        path = f"/apis/{API}/namespaces/{meta.get('namespace')}/resourceclaims/{meta.get('name')}/status"
        try:
            dra.event("ResourceClaim", "MODIFIED", dra.kube.request("PUT", path, body))
        except ApiError as error:
            log.warning("releasing claim %s/%s failed: %s", meta.get("namespace"), meta.get("name"), error)
