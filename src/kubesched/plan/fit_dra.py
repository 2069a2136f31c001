"""`plan fit` for a pod with resource claims: each copy gets claims of its own from the
pod's templates (or shares the pod's named claims), decided by DynamicResources as
`simulate` decides them, until a copy fits nowhere."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from kubesched.dra.plugin import DraCluster
from kubesched.model.records import Pod
from kubesched.sim.dra import decide_with_claims
from kubesched.sim.simulate import Placement


def fit_with_claims(snapshot, dra: DraCluster, pod: Pod, max_replicas: int) -> tuple[Counter, int, str, bool]:
    """(copies per node, copies, the message of the copy that did not fit, whether that
    failure came from the core's filters, so that its histogram says what limits)."""
    per_node: Counter = Counter()
    for i in range(max_replicas):
        copy = replace(pod, name=f"{pod.name}-{i}", uid=f"{pod.uid or pod.name}-{i}")
        placement, tried = decide_with_claims(snapshot, dra, copy, Placement)
        if placement.node is None:
            from_filters = tried and placement.message.startswith("0/") and "nodes are available: " in \
                placement.message and not placement.message.endswith("does not exist.")
            return per_node, i, placement.message, from_filters
        per_node[placement.node] += 1
    return per_node, max_replicas, "", False
