"""DynamicResources' own PostFilter (kube-scheduler v1.37): when a pod fits no node, one of
its claims that Filter found allocated but unusable (allocated for nodes the pod cannot
use, or its binding conditions failed or timed out) and that no other pod has reserved is
deallocated, so that the pod's next attempt may take other devices. Upstream picks such a
claim at random (map order); offline the first in spec.resourceClaims order is taken, so
runs repeat. The claim made for a pod's extended resources is not deallocated here."""

from __future__ import annotations

from dataclasses import replace

from kubesched.dra.binding import binding_failed
from kubesched.dra.inventory import selects
from kubesched.dra.plugin import NOT_AVAILABLE, DraCluster, PodClaims
from kubesched.model.dra_records import ResourceClaim

DEALLOCATED = "deallocation of ResourceClaim completed"


def unavailable_claims(dra: DraCluster, claims: PodClaims, verdict: list[int], nodes: list[int]) -> list[int]:
    """Indices of the claims Filter recorded as unavailable: on a node Filter ran on whose
    verdict is `resourceclaim not available on the node`."""
    found: set[int] = set()
    for n in nodes:
        if verdict[n] != NOT_AVAILABLE:
            continue
        node = dra.nodes[n]
        for index, claim in enumerate(claims.claims):
            allocation = claim.allocation
            if allocation is None:
                continue
            if (allocation.node_selector is not None and not selects(allocation.node_selector, node)) \
                    or binding_failed(claim):
                found.add(index)
    return sorted(found)


def claim_to_deallocate(dra: DraCluster, claims: PodClaims, verdict: list[int],
                        nodes: list[int]) -> ResourceClaim | None:
    """The claim PostFilter deallocates for the pod, if any: unavailable, and reserved for
    no pod or only for this one."""
    extended = dra.extended_claim_of(claims.pod)
    for index in unavailable_claims(dra, claims, verdict, nodes):
        claim = claims.claims[index]
        if claim is extended:
            continue
        reserved = claim.reserved_for
        if not reserved or (len(reserved) == 1 and reserved[0].get("uid") == claims.pod.uid):
            return claim
    return None


def deallocate(dra: DraCluster, claim: ResourceClaim) -> ResourceClaim:
    """The claim's status as the PostFilter writes it: no allocation, no reservation, no
    device status; its devices are free again."""
    cleared = replace(claim, allocation=None, reserved_for=[], device_conditions={})
    dra.update_claim(cleared)
    return cleared
