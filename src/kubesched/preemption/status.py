"""Which filter rejections preemption may resolve: upstream's status codes, Unschedulable
(removing pods could help) versus UnschedulableAndUnresolvable (it cannot)."""

from __future__ import annotations

from kubesched.engine.texts import VOLUME_REASONS
from kubesched.model.records import Node, Pod

# Reasons whose plugin returns UnschedulableAndUnresolvable.
UNRESOLVABLE = frozenset({
    "node(s) were unschedulable",
    "node(s) didn't match the requested node name",
    "node(s) had untolerated taint(s)",
    "node(s) didn't match Pod's node affinity/selector",
    "node(s) didn't match scheduler-enforced node affinity",
    "node(s) didn't match pod topology spread constraints (missing required label)",
    "node(s) didn't match pod affinity rules",
    "pod affinity terms conflict",
    # DynamicResources: every rejection of its PreFilter and Filter (statusUnschedulable)
    "cannot allocate all claims",
    "resourceclaim not available on the node",
    "invalid resource pools were encountered",
    # VolumeBinding's Filter and VolumeZone's conflict (VolumeRestrictions' and NodeVolumeLimits'
    # rejections are plain Unschedulable: evicting the pods that hold the disk or claim helps)
    *(VOLUME_REASONS[k] for k in (4, 5, 6, 7, 8)),
})


def resolvable(pod: Pod, node: Node, reasons: list[str]) -> bool:
    """Whether a node that rejected the pod with these reasons (one plugin's) is a
    preemption candidate. NodeResourcesFit is unresolvable when a request exceeds the
    node's allocatable outright; a PreFilter result that excludes the node is too."""
    for reason in reasons:
        if reason in UNRESOLVABLE or reason.startswith("node(s) didn't satisfy plugin(s) ["):
            return False
        if reason.startswith("Insufficient "):
            resource = reason[len("Insufficient "):]
            if pod.spec.requests.get(resource, 0) > node.allocatable.get(resource, 0):
                return False
    return bool(reasons)
