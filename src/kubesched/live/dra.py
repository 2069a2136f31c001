"""DynamicResources in `kubesched run`: the DRA objects the informers see, the pod's claims
decided as offline (kubesched.engine.dra_decision), the allocation taken at once in the
scheduler's own view (Reserve) and written into each claim before the binding (PreBind):
`status.allocation` (`devices.results`, the node selector, `allocationTimestamp`) and the
pod in `status.reservedFor`, as kube-scheduler v1.37 writes them.

A template claim the resourceclaim controller has not made yet is a wait, not an error: the
pod is retried when a claim event comes. A failed claim write gives the devices back.

Extended resources backed by devices (kubesched.dra.extended): the claim the scheduler
made in memory for them is created in PreBind (generateName `<pod>-extended-resources-`,
the pod its controller owner, the `resource.kubernetes.io/extended-resource-claim`
annotation), allocated and reserved like the others, and named in the pod's
`status.extendedResourceClaimStatus`; when the binding fails it is deleted.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone

from kubesched.dra.allocator import AllocationError
from kubesched.dra.deallocate import DEALLOCATED, claim_to_deallocate
from kubesched.dra.extended import claim_manifest, classes_by_resource, is_extended_claim_of
from kubesched.dra.plugin import DraCluster, PodClaims, Unschedulable, Waiting
from kubesched.engine.dra_decision import dry_run_class, passing_other_filters, prefilter, rejected_message
from kubesched.errors import InputError
from kubesched.kube import ApiError, Kube
from kubesched.live.binder import prebind_failure
from kubesched.live.binding_conditions import has_binding_conditions, wait_until_bound
from kubesched.model.dra_objects import parse_claim, read_dra_objects
from kubesched.model.dra_records import Allocation, DraObjects
from kubesched.model.manifests import Manifest
from kubesched.preemption import unresolvable_everywhere

log = logging.getLogger("kubesched.live")

API = "resource.k8s.io/v1"
PATHS = {"DeviceClass": f"/apis/{API}/deviceclasses", "ResourceSlice": f"/apis/{API}/resourceslices",
         "ResourceClaim": f"/apis/{API}/resourceclaims", "ResourceClaimTemplate": f"/apis/{API}/resourceclaimtemplates",
         "DeviceTaintRule": f"/apis/{API}/devicetaintrules"}
FINALIZER = "resource.kubernetes.io/delete-protection"  # set on every claim the scheduler allocates


def _claim_path(namespace: str, name: str) -> str:
    return f"/apis/{API}/namespaces/{namespace}/resourceclaims/{name}"


def _key(obj: dict) -> str:
    meta = obj.get("metadata") or {}
    return f"{meta.get('namespace') or ''}/{meta.get('name') or ''}"


def _older(obj: dict, held: dict | None) -> bool:
    """Whether `obj` is an older version than the one held (resourceVersions compared as
    numbers, as upstream's assume cache does)."""
    if held is None:
        return False
    try:
        return int((obj.get("metadata") or {}).get("resourceVersion")) < \
            int((held.get("metadata") or {}).get("resourceVersion"))
    except (TypeError, ValueError):
        return False


class LiveDra:
    def __init__(self, kube: Kube):
        self.kube = kube
        self.raw: dict[str, dict[str, dict]] = {kind: {} for kind in PATHS}
        self._objects: DraObjects | None = None
        self._cluster: DraCluster | None = None
        self._for_nodes = None
        self._for_version = 0
        self._by_resource: dict | None = None  # extended resource name → DeviceClass
        self.written: dict[str, list[str]] = {}  # pod uid → the claims PreBind wrote ("ns/name")

    def has_claims(self, pod) -> bool:
        """Claims of its own, or an extended resource a DeviceClass serves."""
        spec = (pod.raw or {}).get("spec")
        if isinstance(spec, dict) and spec.get("resourceClaims"):
            return True
        by_resource = self._resource_classes()
        return bool(by_resource) and any(name in by_resource for name in pod.spec.requests)

    def _resource_classes(self) -> dict:
        if self._by_resource is None:
            manifests = [Manifest(obj, "") for obj in self.raw["DeviceClass"].values()]
            try:
                classes = read_dra_objects({"DeviceClass": manifests}).classes
            except InputError:
                classes = {}
            self._by_resource = classes_by_resource(classes)
        return self._by_resource

    def event(self, kind: str, event_type: str, obj: dict) -> None:
        store = self.raw[kind]
        if kind == "ResourceClaim" and event_type != "DELETED" and _older(obj, store.get(_key(obj))):
            return  # the watch catching up with what PreBind wrote (e.g. the finalizer before the status)
        if event_type == "DELETED":
            store.pop(_key(obj), None)
        else:
            store[_key(obj)] = {**obj, "apiVersion": API, "kind": kind}
        if kind == "DeviceClass":
            self._by_resource = None
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

    def cluster_for(self, nodes: list, version: int = 0) -> DraCluster:
        """The DRA state for a snapshot's nodes, as of their `version` (the list is changed in
        place; the last good state while the objects do not read)."""
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
        if self._cluster is None or self._for_nodes is not nodes or self._for_version != version:
            self._cluster = DraCluster(self._objects, nodes, create_template_claims=False)
            self._for_nodes, self._for_version = nodes, version
        return self._cluster

    def prebind(self, claims: PodClaims, node: str, allocations: list[Allocation]) -> str | None:
        """Write the allocations and the reservation; the error, if a write fails."""
        new = dict(zip(claims.to_allocate, allocations))
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        pod = claims.pod
        extended = self._cluster.extended_claim_of(pod) if self._cluster is not None else None
        written = self.written[pod.uid] = []
        for index, claim in enumerate(claims.claims):
            if claim is extended:
                try:
                    raw = self.kube.request("POST", f"/apis/{API}/namespaces/{pod.namespace}/resourceclaims",
                                            claim_manifest(pod, claim.spec))
                except ApiError as error:
                    return f"create claim for extended resources {pod.namespace}/<extended-resources>: {error}"
            else:
                raw = self.raw["ResourceClaim"].get(f"{claim.namespace}/{claim.name}")
            if raw is None:
                return f"resourceclaim {claim.key} is gone"
            answer, error = self._bind_claim(raw, pod, new.get(index), now)
            if error is not None:
                self._objects = None  # start again from what the API holds
                if claim is extended:
                    self.delete_claim(raw)
                return error
            self.event("ResourceClaim", "MODIFIED", answer)
            written.append(_key(answer))
            if claim is extended:
                error = self._report_extended_claim(pod, (answer.get("metadata") or {}).get("name") or "")
                if error is not None:
                    return error
        return None

    def _bind_claim(self, raw: dict, pod, allocation: Allocation | None, now: str) -> tuple[dict, str | None]:
        """The finalizer (for a new allocation), then the allocation and the reservation."""
        meta = raw.get("metadata") or {}
        key = f"{meta.get('namespace')}/{meta.get('name')}"
        path = _claim_path(meta.get("namespace"), meta.get("name"))
        if allocation is not None and FINALIZER not in (meta.get("finalizers") or []):
            body = {**raw, "metadata": {**meta, "finalizers": [*(meta.get("finalizers") or []), FINALIZER]}}
            try:
                raw = self.kube.request("PUT", path, body)
            except ApiError as error:
                return raw, f"add finalizer to claim {key}: {error}"
        body = {**raw, "status": dict(raw.get("status") or {})}
        status = body["status"]
        if allocation is not None:
            results = [r.to_json() for r in allocation.results]
            status["allocation"] = {"devices": {"results": results}, "allocationTimestamp": now}
            if allocation.raw_node_selector is not None:
                status["allocation"]["nodeSelector"] = allocation.raw_node_selector
        reference = {"resource": "pods", "name": pod.name, "uid": pod.uid}
        reserved = list(status.get("reservedFor") or [])
        if not any(r.get("uid") == pod.uid for r in reserved):
            reserved.append(reference)
        status["reservedFor"] = reserved
        try:
            return self.kube.request("PUT", path + "/status", body), None
        except ApiError as error:
            return raw, f"binding claim {key}: {error}"

    def binding_wait(self, pod_uid: str, timeout: float, stop):
        """PreBind's wait for the devices' binding conditions, for the binder; None if no
        device the pod got has any."""
        keys = self.written.pop(pod_uid, [])
        store = self.raw["ResourceClaim"]
        read = lambda: [c for c in map(store.get, keys) if c is not None]  # noqa: E731
        if not has_binding_conditions(read()):
            return None

        def wait() -> str | None:
            failure = wait_until_bound(read, timeout, stop)
            return None if failure is None else prebind_failure("DynamicResources", failure)
        return wait

    def _report_extended_claim(self, pod, claim_name: str) -> str | None:
        """pod.status.extendedResourceClaimStatus: the claim and which request serves which
        container's resource."""
        status = {"requestMappings": self._cluster.request_mappings(pod), "resourceClaimName": claim_name}
        try:
            self.kube.request("PATCH", f"/api/v1/namespaces/{pod.namespace}/pods/{pod.name}/status",
                              {"status": {"extendedResourceClaimStatus": status}},
                              content_type="application/merge-patch+json")
        except ApiError as error:
            return f"update pod {pod.namespace}/{pod.name} ExtendedResourceClaimStatus: {error}"
        return None

    def delete_claim(self, raw: dict) -> None:
        """Delete a claim the scheduler made, its finalizer removed first."""
        meta = raw.get("metadata") or {}
        path = _claim_path(meta.get("namespace"), meta.get("name"))
        try:
            latest = self.kube.request("GET", path)
            finalizers = (latest.get("metadata") or {}).get("finalizers") or []
            if FINALIZER in finalizers:
                self.kube.request("PUT", path, {**latest, "metadata": {
                    **latest["metadata"], "finalizers": [f for f in finalizers if f != FINALIZER]}})
            self.kube.request("DELETE", path)
        except ApiError as error:
            if error.status != 404:
                log.warning("deleting claim %s/%s failed: %s", meta.get("namespace"), meta.get("name"), error)

    def deallocate(self, key: str) -> str | None:
        """DynamicResources' PostFilter (kubesched.dra.deallocate): the claim's allocation,
        reservations and device status removed through the API; the error, if the write fails."""
        raw = self.raw["ResourceClaim"].get(key)
        if raw is None:
            return f"resourceclaim {key} is gone"
        meta = raw.get("metadata") or {}
        status = {k: v for k, v in (raw.get("status") or {}).items() if k not in ("reservedFor", "allocation", "devices")}
        try:
            answer = self.kube.request("PUT", _claim_path(meta.get("namespace"), meta.get("name")) + "/status",
                                       {**raw, "status": status})
        except ApiError as error:
            return f"deallocate claim {key}: {error}"
        self.event("ResourceClaim", "MODIFIED", answer)
        return None

    def extended_claims_of(self, pod) -> list[dict]:
        """The claims the scheduler made for the pod's extended resources, as the API holds them."""
        return [c for c in self.raw["ResourceClaim"].values() if is_extended_claim_of(c, pod.name, pod.uid)]


def schedule_with_claims(scheduler, entry, snapshot, started: float, nominated) -> None:
    """One decision for a pod with resource claims (Scheduler._schedule's DRA branch);
    `nominated`: the nominated pods it yields to (Preemption.yield_to), for the two passes."""
    pod = entry.pod
    dra = scheduler.dra.cluster_for(snapshot.nodes, snapshot.node_version)
    dra.filter_timeout = snapshot.profile.dra_filter_timeout_seconds or None
    left_over = scheduler.dra.extended_claims_of(pod)
    if left_over:  # a claim of an earlier attempt: deleted, the pod tried again (PostFilter)
        for claim in left_over:
            scheduler.dra.delete_claim(claim)
        scheduler.queue.failed(entry)
        return
    if not snapshot.node_count:  # the queue's PreEnqueue still holds a pod back; then no plugin runs
        try:
            dra.claims_of(pod)
        except Waiting as wait:
            scheduler.queue.gated(entry, str(wait))
            return
        scheduler.no_nodes(entry, started)
        return
    try:
        claims = prefilter(snapshot, dra, pod)
        pod = dra.for_filters(pod)  # NodeResourcesFit leaves devices' resources to DynamicResources
        filtered_nodes = passing_other_filters(snapshot, pod, nominated)
        verdict, score, allocations = dra.verdicts(claims, filtered_nodes)
    except Waiting as wait:  # PreEnqueue: no attempt, no event; a claim event brings it back
        scheduler.queue.gated(entry, str(wait))
        return
    except Unschedulable as rejection:
        preempts = scheduler.preemption.enabled(snapshot.profile)
        preemption = unresolvable_everywhere(pod, snapshot.node_count) if preempts else ""
        scheduler.report_unschedulable(entry, rejected_message(snapshot, rejection, preemption), time.monotonic() - started)
        return
    except AllocationError as error:  # a Filter error (filterTimeout too): retried after backoff
        scheduler.metrics.attempts.labels("error", pod.spec.scheduler_name).inc()
        scheduler.report_error(entry, f'running "DynamicResources" filter plugin: {error}')
        scheduler.queue.failed(entry)
        return
    class_id = snapshot.class_with_dra(pod, verdict, score)
    node = scheduler.preemption.on_nominated_node(snapshot, entry.uid, class_id, nominated=nominated)  # tried first
    decision = snapshot.decision(pod, node) if node >= 0 else snapshot.decide(pod, nominated, class_id)
    node = decision.index
    if node < 0:
        message, status = decision.message, None
        post_filter = []  # the PostFilter plugins' reasons: DynamicResources' first, as upstream orders them
        freed = claim_to_deallocate(dra, claims, verdict, filtered_nodes) if snapshot.profile.dra_post_filter else None
        if freed is not None:
            error = scheduler.dra.deallocate(freed.key)  # its watch event queues the pod again
            if error is not None:
                log.warning("PostFilter of %s/%s: %s", pod.namespace, pod.name, error)
                scheduler.queue.failed(entry)
                return
            post_filter.append(DEALLOCATED)
        if scheduler.preemption.enabled(snapshot.profile):
            outcome = scheduler.preemption.post_filter(snapshot, entry.uid, pod, snapshot.profile, scheduler.cache.placed,
                                                       class_id=dry_run_class(snapshot, dra, claims, pod))
            status = outcome.status
            if outcome.message:
                post_filter.append(outcome.message)
        if post_filter:
            message = f"{message} {', '.join(post_filter)}"
        scheduler.report_unschedulable(entry, message, time.monotonic() - started, status)
        return
    node_name = snapshot.node_names[node]
    dra.reserve(claims, node, allocations[node])  # Reserve: the next decision sees the devices taken
    error = scheduler.dra.prebind(claims, node_name, allocations[node])
    if error is not None:  # Unreserve: the devices and the node's room are given back
        snapshot.forget(class_id, node)
        log.warning("PreBind of %s/%s on %s failed: %s", pod.namespace, pod.name, node_name, error)
        scheduler.dra.written.pop(pod.uid, None)
        release(scheduler, pod)
        scheduler.metrics.attempts.labels("error", pod.spec.scheduler_name).inc()
        scheduler.report_error(entry, prebind_failure("DynamicResources", error))
        scheduler.queue.failed(entry)
        return
    prebind = scheduler._reserve_volumes(entry.uid, snapshot, pod, node_name, snapshot.profile)  # its PVCs
    waiting = scheduler.dra.binding_wait(pod.uid, snapshot.profile.dra_binding_timeout_seconds, scheduler.stop)
    if waiting is not None:  # the volumes' PreBind, then the devices'
        prebind = _chained(prebind, waiting) if prebind is not None else waiting
        scheduler.reporter.events.record(
            {"apiVersion": "v1", "kind": "Pod", "namespace": pod.namespace, "name": pod.name, "uid": pod.uid},
            kind="Normal", reason="BindingConditionsPending", action="Scheduling",
            note=f"waiting for binding conditions for device on node {node_name}")
    scheduler.cache.assumed(entry.uid, pod, node_name, (class_id, node))
    scheduler.preemption.unnominate(entry.uid)
    entry.attempt_started = started
    entry.decided_on = decision.counts
    scheduler.queue.done(entry)
    scheduler._in_flight[entry.uid] = entry
    scheduler.binder.submit(entry.uid, pod.namespace, pod.name, node_name, None, prebind=prebind)


def _chained(first, second):
    return lambda: first() or second()


def release(scheduler, pod) -> None:
    """Unreserve after a failed binding: the claim made for the pod's extended resources is
    deleted, the pod leaves each other claim's status.reservedFor, and a claim nobody else
    reserves gives its devices back (its allocation is removed)."""
    dra = scheduler.dra
    for claim in dra.extended_claims_of(pod):
        dra.delete_claim(claim)
    for claim in list(dra.raw["ResourceClaim"].values()):
        if is_extended_claim_of(claim, pod.name, pod.uid):
            continue
        status = claim.get("status") or {}
        reserved = status.get("reservedFor") or []
        if not any(r.get("uid") == pod.uid for r in reserved):
            continue
        left = [r for r in reserved if r.get("uid") != pod.uid]
        body = {**claim, "status": {k: v for k, v in status.items() if k not in ("reservedFor", "allocation",
                                                                                 "devices")}}
        if left:  # still in use: the allocation and the devices' status stay
            body["status"]["reservedFor"] = left
            for kept in ("allocation", "devices"):
                if kept in status:
                    body["status"][kept] = status[kept]
        meta = claim.get("metadata") or {}
        path = f"/apis/{API}/namespaces/{meta.get('namespace')}/resourceclaims/{meta.get('name')}/status"
        try:
            dra.event("ResourceClaim", "MODIFIED", dra.kube.request("PUT", path, body))
        except ApiError as error:
            log.warning("releasing claim %s/%s failed: %s", meta.get("namespace"), meta.get("name"), error)
