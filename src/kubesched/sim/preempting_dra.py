"""DefaultPreemption for pods with resource claims, as kube-scheduler v1.37 runs it.

Every rejection by DynamicResources (PreFilter or Filter) is UnschedulableAndUnresolvable:
a node whose devices cannot serve the claims is no candidate ("Preemption is not helpful
for scheduling"), a pod that PreFilter rejects preempts nowhere. A pod whose devices fit
but whose CPU, memory, ports or spreading do not preempts as any pod does; the plugin has no
PreFilter extensions, so the dry run checks the devices as PreFilter found them. Once the
victims are gone, the controllers release their claims (dra/release.py) and the
preemptor's next cycle runs PreFilter again, first on its nominated node."""

from __future__ import annotations

from kubesched.dra.allocator import AllocationError
from kubesched.dra.deallocate import DEALLOCATED, claim_to_deallocate, deallocate
from kubesched.dra.plugin import DraCluster, PodClaims, RejectedBefore, Unschedulable, Waiting
from kubesched.dra.release import release_claims
from kubesched.engine.dra_decision import (claims_json, dry_run_class, passing_other_filters, prefilter,
                                           rejected_message, schedule_nominated_first)
from kubesched.model.records import Pod
from kubesched.preemption import Preemption, preempt, unresolvable_everywhere


def preempt_with_claims(snapshot, dra: DraCluster, pod: Pod, table) -> Preemption | None:
    """DefaultPreemption's answer for a pod with claims that fits no node; None when
    DynamicResources' PreEnqueue or PreFilter already keeps it from every node (explain
    reports that rejection)."""
    try:
        claims = prefilter(snapshot, dra, pod)
        return preempt(snapshot, pod, table, class_id=dry_run_class(snapshot, dra, claims, pod))
    except RejectedBefore:  # decided as the class without claims, which that plugin rejects
        return preempt(snapshot, pod, table, class_id=snapshot.class_of(dra.for_filters(pod)))
    except (Unschedulable, AllocationError):
        return None


def release_victims_claims(snapshot, victims: list[Pod]) -> None:
    """The controllers' part of an eviction: the victims' claims are released."""
    dra = getattr(snapshot, "dra", None)
    if dra is not None and dra.active:
        for victim in victims:
            release_claims(dra, victim)


def decide_claims_preempting(snapshot, dra: DraCluster, pod: Pod, flow, placement, again: bool = True):
    """One pod with claims, with DefaultPreemption: (its Placement, whether it was tried,
    the pods evicted for it). A placed pod is assumed on its node and in `flow`. `again`:
    a claim DynamicResources' PostFilter deallocates gets the pod decided once more."""
    head = f"0/{snapshot.node_count} nodes are available:"
    try:
        claims = prefilter(snapshot, dra, pod)
    except Waiting as wait:
        return placement(pod.key, None, str(wait)), False, []
    except Unschedulable as rejection:  # unresolvable on every node
        message = rejected_message(snapshot, rejection, unresolvable_everywhere(pod, snapshot.node_count))
        return placement(pod.key, None, message), True, []
    filtered = dra.for_filters(pod)
    own, held = snapshot.nominations.take(snapshot, pod) if snapshot.nominations else (-1, [])
    try:
        filtered_nodes = passing_other_filters(snapshot, filtered, held)
        verdict, score, allocations = dra.verdicts(claims, filtered_nodes)
        class_id = snapshot.class_with_dra(filtered, verdict, score)
        decision = schedule_nominated_first(snapshot, pod, class_id, own, held)
        if decision.placed:
            node = decision.index
            return _placed(snapshot, dra, pod, claims, class_id, node, allocations[node], flow, placement), True, []
        fit_message = decision.message
        # PostFilter: DynamicResources (deallocate.py) before DefaultPreemption, on the same cycle state
        freed = claim_to_deallocate(dra, claims, verdict, filtered_nodes) if again and snapshot.profile.dra_post_filter \
            else None
        result = preempt(snapshot, pod, flow.table, class_id=dry_run_class(snapshot, dra, claims, pod),
                         nominated=snapshot.nominations.pairs() if snapshot.nominations else ())
    except AllocationError as error:
        return placement(pod.key, None, f"error: running \"DynamicResources\" filter plugin: {error}"), True, []
    if freed is not None:
        deallocate(dra, freed)
        if result.nominated_node is None:  # the claim's change queues the pod: its next attempt
            message = f"{fit_message} {DEALLOCATED}" + (f", {result.message}" if result.message else "")
            decided, tried, victims = decide_claims_preempting(snapshot, dra, pod, flow, placement, again=False)
            decided.deallocated = {"claim": freed.key, "message": message}
            return decided, tried, victims
    if result.nominated_node is None:
        return placement(pod.key, None, result.fit_error(fit_message)), True, []
    _evict(snapshot, flow, pod, result.victims)
    preempted = [v.key for v in result.victims]
    # The next cycle: PreFilter again (the victims' devices are free), the nominated node first.
    try:
        claims = dra.prefilter(pod)
        verdict, score, allocations = dra.verdicts(claims, passing_other_filters(snapshot, filtered, held))
    except (Unschedulable, AllocationError) as error:
        return (placement(pod.key, None, f"{head} {error}.", nominated_node=result.nominated_node,
                          preempted=preempted), True, result.victims)
    class_id = snapshot.class_with_dra(filtered, verdict, score)
    decision = schedule_nominated_first(snapshot, pod, class_id, snapshot.node_index[result.nominated_node], held)
    node = decision.index
    if node < 0:
        message = result.fit_error(decision.message)
        return (placement(pod.key, None, message, nominated_node=result.nominated_node, preempted=preempted),
                True, result.victims)
    decided = _placed(snapshot, dra, pod, claims, class_id, node, allocations[node], flow, placement)
    decided.nominated_node, decided.preempted = result.nominated_node, preempted
    return decided, True, result.victims


def _placed(snapshot, dra: DraCluster, pod: Pod, claims: PodClaims, class_id: int, node: int, allocations, flow,
            placement):
    """Reserve: the claims' devices are taken; the pod counts on its node (already assumed)."""
    dra.reserve(claims, node, allocations)
    name = snapshot.node_names[node]
    flow.place(pod, name, class_id)
    decided = placement(pod.key, name, claims=claims_json(claims, dra))
    snapshot.describe_volumes([pod], [decided])
    return decided


def _evict(snapshot, flow, pod: Pod, victims: list[Pod]) -> None:
    """The victims leave their node, their claims released (PreemptionFlow.evict)."""
    flow.evict(snapshot, pod, victims)
