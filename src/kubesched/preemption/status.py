"""Which filter rejections preemption may resolve: upstream's status codes, Unschedulable
(removing pods could help) versus UnschedulableAndUnresolvable (it cannot)."""

from __future__ import annotations

from kubesched.model.records import Node, Pod
from kubesched.plugins import REASONS

# Reasons whose plugin returns UnschedulableAndUnresolvable (declared in kubesched.plugins);
# VolumeRestrictions' and NodeVolumeLimits' rejections are plain Unschedulable: evicting the
# pods that hold the disk or claim helps.
UNRESOLVABLE = frozenset(reason.text for reason in REASONS if reason.unresolvable and reason.payload is not None)


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
