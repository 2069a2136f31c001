"""For `explain`, a pod with resource claims: its class with DynamicResources' verdicts and
why each node's devices do or do not serve the claims (engine/dra_decision.py decides)."""

from __future__ import annotations

from kubesched.dra.allocator import AllocationError
from kubesched.dra.deallocate import claim_to_deallocate
from kubesched.dra.plugin import VERDICT_TEXT, DraCluster, RejectedBefore, Unschedulable, Waiting
from kubesched.engine.dra_decision import passing_other_filters, prefilter, rejected_message
from kubesched.model.records import Pod


def explain_claims(snapshot, dra: DraCluster, pod: Pod) -> tuple[int | None, str | None, dict]:
    """For `explain`: the pod's class with DynamicResources' verdicts, or the message that
    keeps it from any node, and per node why its devices do or do not serve the claims. A
    pod an earlier PreFilter plugin rejects is explained by its class without claims."""
    try:
        claims = prefilter(snapshot, dra, pod)
    except Waiting as wait:
        return None, str(wait), {}
    except RejectedBefore:
        return snapshot.class_of(dra.for_filters(pod)), None, {}
    except Unschedulable as rejection:
        return None, rejected_message(snapshot, rejection), {}
    pod = dra.for_filters(pod)
    try:
        verdict, score, allocations = dra.verdicts(claims, passing_other_filters(snapshot, pod))
    except AllocationError as error:
        return None, f"error: running \"DynamicResources\" filter plugin: {error}", {}
    devices = {}
    for n, node in enumerate(dra.nodes):
        entry = {"verdict": VERDICT_TEXT.get(verdict[n], "fits"), "requests": dra.explain_node(claims, n)}
        if n in allocations:
            on_node = dra.on_node(claims, node)
            entry["allocation"] = [{"claim": on_node.claims[i].key, "devices": [r.to_json() for r in a.results]}
                                   for i, a in zip(on_node.to_allocate, allocations[n])]
        devices[node.name] = entry
    return snapshot.class_with_dra(pod, verdict, score), None, devices


def unusable_claim(snapshot, dra: DraCluster, pod: Pod):
    """For `explain`: the claim DynamicResources' PostFilter would deallocate for a pod that
    fits nowhere (its verdicts as decide_with_claims finds them), or None."""
    try:
        claims = prefilter(snapshot, dra, pod)
        nodes = passing_other_filters(snapshot, dra.for_filters(pod))
        verdict, _, _ = dra.verdicts(claims, nodes)
    except (Unschedulable, AllocationError):
        return None
    return claim_to_deallocate(dra, claims, verdict, nodes) if snapshot.profile.dra_post_filter else None
