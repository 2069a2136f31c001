"""Deciding a pod with resource claims, the same for simulate, plan and run:
DynamicResources' PreEnqueue and PreFilter in Python, its per-node verdicts (the allocator,
kubesched.dra) handed to the core as the pod class's DynamicResources filter and score,
then Reserve on the chosen node."""

from __future__ import annotations

from kubesched.dra.allocator import AllocationError
from kubesched.dra.deallocate import DEALLOCATED, claim_to_deallocate, deallocate
from kubesched.dra.plugin import DraCluster, PodClaims, RejectedBefore, Unschedulable, Waiting
from kubesched.engine.decision import Decision
from kubesched.engine.fit_error import NO_NODES_AVAILABLE, STATE_NOT_FOUND
from kubesched.model.records import Pod


def prefilter(snapshot, dra: DraCluster, pod: Pod) -> PodClaims:
    """DynamicResources' PreEnqueue (Waiting), then PreFilter in upstream's plugin order: a
    rejection by a plugin before DynamicResources (RejectedBefore) comes before its own."""
    try:
        claims = dra.prefilter(pod)
    except Waiting:
        raise
    except Unschedulable:
        _rejected_before(snapshot, dra, pod)
        raise
    _rejected_before(snapshot, dra, pod)
    return claims


def _rejected_before(snapshot, dra: DraCluster, pod: Pod) -> None:
    rejection = snapshot.prefilter_rejections.get(snapshot.class_of(dra.for_filters(pod)))
    if rejection is not None:
        raise RejectedBefore(rejection)


def rejected_message(snapshot, rejection: Unschedulable, preemption: str = "") -> str:
    """The message of a pod PreFilter rejected: every node is unresolvable, so DefaultPreemption,
    where the profile runs it, adds `preemption` (preemption.result.unresolvable_everywhere),
    unless DynamicResources' PostFilter ended PostFilter first. Without nodes upstream runs
    neither (kubesched.engine.fit_error)."""
    if snapshot.node_count == 0:
        return NO_NODES_AVAILABLE
    message = f"0/{snapshot.node_count} nodes are available: {rejection}."
    if isinstance(rejection, RejectedBefore) and snapshot.profile.dra_post_filter:
        return f"{message} {STATE_NOT_FOUND}"
    return f"{message} {preemption}" if preemption else message


def claims_json(claims: PodClaims, dra: DraCluster | None = None) -> list[dict]:
    """Each claim of the pod and the devices allocated to it; for the claim made for the
    pod's extended resources, which request serves which container's resource (what the
    scheduler writes in the pod's status.extendedResourceClaimStatus)."""
    extended = dra.extended_claim_of(claims.pod) if dra is not None else None
    return [{"claim": claim.key,
             "devices": [r.to_json() for r in claim.allocation.results] if claim.allocation else [],
             **({"requestMappings": dra.request_mappings(claims.pod)} if claim is extended else {})}
            for claim in claims.claims]


def passing_other_filters(snapshot, pod: Pod, held=()) -> list[int]:
    """The nodes upstream's DynamicResources Filter runs on: those every earlier filter passes
    (the pod's class without claims passes the same filters but DynamicResources); `held`:
    (class id, node) of nominated pods the pod yields to, counted as in the first of the
    two passes (src/_core/nominated.cpp), which runs Filter wherever the earlier ones pass."""
    assumed = []
    for nominated_class, node in held:
        snapshot.assume(nominated_class, node)
        assumed.append((nominated_class, node, snapshot.last_gpu_mask))
    try:
        class_id = snapshot.class_of(pod)
        return [n for n in range(snapshot.node_count) if snapshot.feasible_on(class_id, n)]
    finally:
        for nominated_class, node, gpus in reversed(assumed):
            snapshot.forget_on_gpus(nominated_class, node, gpus)


def schedule_nominated_first(snapshot, pod: Pod, class_id: int, own: int, held) -> Decision:
    """The decision for the pod's class with DynamicResources' verdicts, assumed on its node:
    its nominated node `own` first, then all, under the two passes with `held`."""
    if own >= 0 and snapshot.feasible_with_nominated(class_id, own, held):
        snapshot.assume(class_id, own)
        return snapshot.decision(pod, own)
    return snapshot.decide(pod, held, class_id)


def decide_with_claims(snapshot, dra: DraCluster, pod: Pod, placement, again: bool = True):
    """The Placement for one pod with claims; the pod is assumed on its node. `again`: a
    claim DynamicResources' PostFilter deallocates gets the pod decided once more."""
    try:
        claims = prefilter(snapshot, dra, pod)
    except Waiting as wait:
        return placement(pod.key, None, str(wait)), False
    except Unschedulable as rejection:
        return placement(pod.key, None, rejected_message(snapshot, rejection)), True
    pod = dra.for_filters(pod)
    own, held = snapshot.nominations.take(snapshot, pod) if snapshot.nominations else (-1, [])
    try:
        filtered_nodes = passing_other_filters(snapshot, pod, held)
        verdict, score, allocations = dra.verdicts(claims, filtered_nodes)
    except AllocationError as error:
        return placement(pod.key, None, f"error: running \"DynamicResources\" filter plugin: {error}"), True
    class_id = snapshot.class_with_dra(pod, verdict, score)
    decision = schedule_nominated_first(snapshot, pod, class_id, own, held)
    node = decision.index
    if node < 0:
        message = decision.message
        freed = claim_to_deallocate(dra, claims, verdict, filtered_nodes) if again and snapshot.profile.dra_post_filter \
            else None
        if freed is None:
            return placement(pod.key, None, message), True
        deallocate(dra, freed)  # PostFilter (deallocate.py); the claim's change queues the pod again
        decided, tried = decide_with_claims(snapshot, dra, claims.pod, placement, again=False)
        decided.deallocated = {"claim": freed.key, "message": f"{message} {DEALLOCATED}"}
        return decided, tried
    dra.reserve(claims, node, allocations[node])
    result = placement(pod.key, snapshot.node_names[node], claims=claims_json(claims, dra))
    snapshot.describe_volumes([pod], [result])
    return result, True


def dry_run_class(snapshot, dra: DraCluster, claims: PodClaims, pod: Pod) -> int:
    """The pod's class for DefaultPreemption's dry run: DynamicResources' verdict on every
    node (upstream's Filter runs on each candidate once its victims are removed)."""
    verdict, score, _ = dra.verdicts(claims)
    return snapshot.class_with_dra(dra.for_filters(pod), verdict, score)
