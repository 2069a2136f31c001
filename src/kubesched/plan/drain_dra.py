"""`plan drain` for pods with resource claims. Once the evicted pods are gone, the claims
made for them from templates are gone too (they are owned by the pod), and the other claims
are no longer reserved for them; a claim nobody uses any more is deallocated, as the
resourceclaim controller does when its last consumer stops. Each replacement pod gets new
claims from its templates and goes only where DynamicResources can allocate them (it does
not preempt, as in `simulate`)."""

from __future__ import annotations

import copy
from dataclasses import replace

from kubesched.dra.plugin import DraCluster
from kubesched.model.dra_records import DraObjects
from kubesched.model.records import Pod
from kubesched.plan.nodes_dra import place_with_claims
from kubesched.sim.simulate import Placement


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
