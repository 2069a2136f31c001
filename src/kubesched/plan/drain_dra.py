"""`plan drain` for pods with resource claims. Once the evicted pods are gone, the claims
made for them from templates are gone too (they are owned by the pod), and the other claims
are no longer reserved for them; a claim nobody uses any more is deallocated, as the
resourceclaim controller does when its last consumer stops. Each replacement pod gets new
claims from its templates and goes only where DynamicResources can allocate them; one that
fits nowhere preempts as in `simulate` (sim/preempting_dra.py)."""

from __future__ import annotations

import copy
from dataclasses import replace

from kubesched.dra.plugin import DraCluster, Unschedulable, Waiting
from kubesched.dra.release import release_claims
from kubesched.model.dra_records import DraObjects
from kubesched.model.records import Pod
from kubesched.plan.nodes_dra import place_with_claims
from kubesched.preemption import preempt, unresolvable_everywhere
from kubesched.engine.dra_decision import dry_run_class, prefilter, rejected_message
from kubesched.engine.placement import Placement


def released(objects: DraObjects, evicted: list[Pod]) -> DraObjects:
    uids = {p.uid for p in evicted if p.uid}
    names = {(p.namespace, p.name) for p in evicted}
    claims = {}
    for key, claim in objects.claims.items():
        if (claim.owner_pod_uid and claim.owner_pod_uid in uids) or \
                (claim.owner_pod_name and (claim.namespace, claim.owner_pod_name) in names):
            continue
        remaining = [r for r in claim.reserved_for if not (r.get("resource") == "pods" and (
            (r.get("uid") and r.get("uid") in uids) or (claim.namespace, r.get("name")) in names))]
        if len(remaining) != len(claim.reserved_for):
            claim = replace(claim, reserved_for=remaining, allocation=claim.allocation if remaining else None)
        claims[key] = claim
    return replace(objects, claims=claims)


def replacement(pod: Pod) -> Pod:
    """The pod its controller creates anew: unbound, its template claims not made yet."""
    raw = copy.deepcopy(pod.raw or {})
    status = raw.get("status")
    if isinstance(status, dict):
        status.pop("resourceClaimStatuses", None)
    return replace(pod, node_name="", raw=raw)


def place_replacement(snapshot, dra: DraCluster, pod: Pod) -> Placement:
    return place_with_claims(snapshot, dra, pod, None)[0]


def place_replacement_preempting(snapshot, dra: DraCluster, placer, pod: Pod) -> tuple[Placement, list[Pod], int]:
    """The replacement placed as the scheduler would, preempting (sim/preempting_dra.py)
    when it fits nowhere and `placer` (plan.preempting.PreemptingPlacer) allows it: (its
    placement, the pods it evicted, how many of them violate a budget). The victims leave
    the snapshot and the placer's table; their claims are released."""
    landed = place_replacement(snapshot, dra, pod)
    if landed.node is not None or placer.args is None or landed.message.startswith("error:"):
        return landed, [], 0
    try:
        claims = prefilter(snapshot, dra, pod)
    except Waiting:
        return landed, [], 0
    except Unschedulable as rejection:  # kept from every node: preemption cannot help
        message = rejected_message(snapshot, rejection, unresolvable_everywhere(pod, snapshot.node_count))
        return replace(landed, message=message), [], 0
    result = preempt(snapshot, pod, placer.table, args=placer.args, class_id=dry_run_class(snapshot, dra, claims, pod))
    if result.nominated_node is None:
        return replace(landed, message=result.fit_error(landed.message)), [], 0
    for victim in result.victims:
        snapshot.forget(*placer.table.remove(victim))
        release_claims(dra, victim)
    landed = place_with_claims(snapshot, dra, pod, result.nominated_node)[0]  # the nominated node first
    if landed.node is None:
        landed = replace(landed, message=result.fit_error(landed.message))
    return landed, list(result.victims), result.pdb_violations
