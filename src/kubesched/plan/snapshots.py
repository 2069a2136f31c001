"""Engine snapshots as the planner uses them: every node examined (so that a filter verdict
exists for each), nodes added as the plan grows the cluster, and per-node usage."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import numpy as np

from kubesched.errors import InputError
from kubesched.framework.cluster_objects import ClusterObjects
from kubesched.framework.profile import Profile
from kubesched.framework.typical_pods import uses_typical_pods
from kubesched.model.cluster import ClusterInput
from kubesched.model.records import Node, Pod
from kubesched.engine.cluster import ClusterSnapshot

# Filters whose verdict on an empty node depends only on the node and the pod.
STATIC_FILTERS = ("NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity", "NodePorts",
                  "NodeResourcesFit")
# And on an empty copy of a node, the volume filters whose verdict is the node's and the
# pod's claims': the PVs that can follow it there, zones, allowedTopologies, CSI limits (the
# PVs other planned pods take, the replay checks).
STATIC_VOLUME_FILTERS = ("NodeVolumeLimits", "VolumeBinding", "VolumeZone")


def planning_profile(profile: Profile) -> Profile:
    if profile.python_filters or profile.python_scores:
        raise InputError("kubesched plan does not run Python plugins; use a profile without them",
                         field="profiles[].plugins")
    return replace(profile, percentage_of_nodes_to_score=100)


def static_profile(profile: Profile) -> Profile:
    """The profile with only the filters that judge a pod against an empty node."""
    return replace(planning_profile(profile), filters=tuple(f for f in profile.filters
                                                             if f in STATIC_FILTERS or f in STATIC_VOLUME_FILTERS))


def snapshot(nodes: list[Node], profile: Profile, cluster: ClusterInput, seed: int | None = None,
             workload: Iterable[Pod] = (), csi_nodes: dict | None = None) -> ClusterSnapshot:
    """When the profile needs FGD's typical pods (kubesched.model.gpu), they come from the input's
    pods, as simulate takes them, and the pods of `workload` that the plan adds."""
    objects = ClusterObjects.of(cluster)
    if csi_nodes and objects.storage is not None:  # node templates' CSINodes, for nodes made from them
        objects.storage = replace(objects.storage, csi_nodes={**objects.storage.csi_nodes, **csi_nodes})
    made = ClusterSnapshot(nodes, planning_profile(profile), seed, objects)
    if uses_typical_pods(profile):
        made.set_gpu_workload([*cluster.bound_pods, *cluster.pending_pods, *workload])
    return made


def feasible_nodes(snapshot: ClusterSnapshot, class_id: int) -> np.ndarray:
    return snapshot.feasible_nodes(class_id)


def feasible_on(snapshot: ClusterSnapshot, class_id: int, node: int) -> bool:
    """One node's verdict: a replay checks the planned node of each of its pods, and
    evaluating every node for each would make it quadratic."""
    return snapshot.feasible_on(class_id, node)


def usage_by_node(snapshot: ClusterSnapshot) -> dict[str, dict[str, tuple[int, int]]]:
    """node -> resource -> (requested, allocatable), for the resources some node has."""
    allocatable, requested, allowed_pods, pod_count = snapshot.usage()
    names = snapshot.resource_names()
    present = [r for r in range(len(names)) if allocatable.shape[1] and allocatable[r].any()]
    table = {}
    for n, node in enumerate(snapshot.node_names):
        row = {names[r]: (int(requested[r][n]), int(allocatable[r][n])) for r in present}
        row["pods"] = (int(pod_count[n]), int(allowed_pods[n]))
        table[node] = row
    return table
