"""The packing problem of `plan nodes`, built with the engine.

Bin types are the existing nodes (one bin each, free, holding what their bound pods leave)
and the node templates (any number of bins, at their cost). Whether a pod may go on a type
is the engine's verdict on an empty copy of the node under the profile's static filters
(unschedulable, node name, taints, node affinity and selectors, ports, resources); inter-pod
rules depend on other pods and are checked when the plan is replayed through the engine.
A pod's size vector is its requests, one `pods`, and one unit per host port (protocol and
port: two pods with the same host port never share a node in the plan, whatever their IPs).

GPU pods (kubesched.model.gpu) add two columns that relax the per-GPU shares the engine checks:
the milli-GPU they take over all GPUs of the node, and the GPUs they take more than half of
(each GPU of a whole-GPU pod, a share above 500 milli: no two of those fit on one GPU). A
plan that meets both may still not fit GPU by GPU; the replay through the engine repairs it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from kubesched.framework.profile import Profile
from kubesched.model.cluster import ClusterInput
from kubesched.model.gpu import GPU_RESOURCE, MILLI_PER_GPU, gpu_request
from kubesched.model.records import Node, Pod
from kubesched.plan import snapshots
from kubesched.plan.daemons import DaemonSets
from kubesched.plan.nodes_dra import device_columns, plans_claims, unfit_reasons
from kubesched.plan.packing import UNLIMITED, PackingProblem
from kubesched.plan.templates import COST_UNITS, NodeTemplate, node_names

PODS = "pods"
GPU_COLUMNS = ("GPU milli (all GPUs)", "GPUs over half used")
FIRST_RESOURCES = ("cpu", "memory", "ephemeral-storage")


@dataclass
class PlanInput:
    problem: PackingProblem
    fits: np.ndarray                    # [items, types]: allowed and fits the type's free capacity alone
    pods: list[Pod]                     # item i is pods[i]
    existing: list[Node]                # types 0 .. len(existing) - 1
    templates: list[NodeTemplate]       # the types after them
    columns: list[str]                  # what each resource column is: a resource, "pods", "hostPort TCP/80"
    template_daemons: list[list[Pod]]   # per template: the DaemonSet pods each new node of it runs
    costed: bool                        # costs are the templates' hourly costs, else 1 per node
    unfit_reasons: dict[int, Counter]   # item -> engine reasons on every type, for items no type takes
    # Items whose claims bind static PVs that no new node would have (VolumeBinding rejects
    # every template).
    local_volumes_only: set[int] = field(default_factory=set)

    def template_index(self, bin_type: int) -> int | None:
        index = bin_type - len(self.existing)
        return index if index >= 0 else None

    def template_type(self, index: int) -> int:
        return len(self.existing) + index


def build(cluster: ClusterInput, pods: list[Pod], templates: list[NodeTemplate], profile: Profile,
          daemons: DaemonSets) -> PlanInput:
    existing = list(cluster.nodes)
    probe_name = node_names(templates, (n.name for n in existing))
    probes = [t.instantiate(probe_name(i)) for i, t in enumerate(templates)]
    template_daemons = [daemons.pods_for(node) for node in probes]

    devices = device_columns(cluster, pods, probes, templates) if plans_claims(profile) else None
    if devices is not None:
        pods = devices.pods
    # The engine's verdict for each distinct pod class on empty copies of every type.
    probe = snapshots.snapshot(existing + probes, snapshots.static_profile(profile), cluster,
                               csi_nodes={p.name: t.csi_drivers for p, t in zip(probes, templates)
                                          if t.csi_drivers is not None})
    verdicts: dict[int, np.ndarray] = {}
    allowed = np.zeros((len(pods), len(existing) + len(probes)), dtype=bool)
    for i, pod in enumerate(pods):
        class_id = probe.class_of(pod)
        if class_id not in verdicts:
            verdicts[class_id] = snapshots.feasible_nodes(probe, class_id)
        allowed[i] = verdicts[class_id]
    if devices is not None:
        allowed &= devices.allowed

    resources = _resources([*pods, *(p for daemon_pods in template_daemons for p in daemon_pods)])
    ports = sorted({(p.protocol, p.port) for pod in pods for p in pod.spec.host_ports})
    gpu = any(gpu_request(pod).count for pod in pods)
    columns = resources + list(GPU_COLUMNS if gpu else ()) + [PODS] \
        + [f"hostPort {protocol}/{port}" for protocol, port in ports]
    sizes = np.array([_vector(pod, resources, gpu, ports) for pod in pods],
                     dtype=np.int64).reshape(len(pods), len(columns))
    if devices is not None:
        columns += devices.names
        sizes = np.hstack([sizes, devices.sizes])

    bound: dict[str, list[Pod]] = {}
    for pod in cluster.bound_pods:
        bound.setdefault(pod.node_name, []).append(pod)
    capacities = [_free(node, bound.get(node.name, []), resources, gpu, ports) for node in existing]
    capacities += [_free(node, pods_on, resources, gpu, ports) for node, pods_on in zip(probes, template_daemons)]
    if devices is not None:
        capacities = [row + devices.capacities[t].tolist() for t, row in enumerate(capacities)]

    costed = any(t.cost is not None for t in templates)
    costs = [0] * len(existing) + [int(t.cost * COST_UNITS) if costed else 1 for t in templates]
    limits = [1] * len(existing) + [UNLIMITED] * len(templates)
    problem = PackingProblem(sizes, np.array(capacities, dtype=np.int64).reshape(-1, len(columns)),
                             costs, limits, allowed)

    fits = problem.fits_empty()
    by_class: dict[int, Counter] = {}
    reasons = {}
    for item in np.flatnonzero(~fits.any(axis=1)).tolist():
        class_id = probe.class_of(pods[item])
        if devices is not None and item in devices.verdicts:
            evaluation = probe.look(class_id)
            reasons[item] = unfit_reasons(list(zip(evaluation["failed_filter"], evaluation["reasons"])),
                                          devices.verdicts[item])
            continue
        if class_id not in by_class:
            by_class[class_id] = _reasons(probe, class_id)
        reasons[item] = by_class[class_id]
    local_only = set()
    volume_verdicts: dict[int, bool] = {}
    for item in np.flatnonzero(~allowed[:, len(existing):].any(axis=1) if templates else []).tolist():
        if not pods[item].spec.volumes:
            continue
        class_id = probe.class_of(pods[item])
        if class_id not in volume_verdicts:
            evaluation = probe.look(class_id)
            volume_verdicts[class_id] = all(evaluation["failed_filter"][t] == "VolumeBinding"
                                            for t in range(len(existing), len(existing) + len(probes)))
        if volume_verdicts[class_id]:
            local_only.add(item)
    return PlanInput(problem, fits, pods, existing, templates, columns, template_daemons, costed, reasons,
                     local_only)


def _resources(pods: list[Pod]) -> list[str]:
    names = {name for pod in pods for name, amount in pod.spec.requests.items() if amount > 0}
    names.discard(PODS)
    return [r for r in FIRST_RESOURCES if r in names] + sorted(names - set(FIRST_RESOURCES))


def _vector(pod: Pod, resources: list[str], gpu: bool, ports: list[tuple[str, int]]) -> list[int]:
    """Requests, the GPU columns, one pod, and one unit of each host port the pod uses."""
    used = {(p.protocol, p.port) for p in pod.spec.host_ports}
    return [pod.spec.requests.get(r, 0) for r in resources] + (_gpu_use(pod) if gpu else []) + [1] \
        + [int(port in used) for port in ports]


def _gpu_use(pod: Pod) -> list[int]:
    """The pod's GPU milli in all, and the GPUs it takes more than half of."""
    request = gpu_request(pod)
    return [request.total_milli, request.count if 2 * request.milli > MILLI_PER_GPU else 0]


def _free(node: Node, pods_on: list[Pod], resources: list[str], gpu: bool,
          ports: list[tuple[str, int]]) -> list[int]:
    """What the node leaves for new pods once the given pods run on it (never below 0)."""
    used = {(p.protocol, p.port) for pod in pods_on for p in pod.spec.host_ports}
    free = [node.allocatable.get(r, 0) - sum(p.spec.requests.get(r, 0) for p in pods_on) for r in resources]
    if gpu:
        gpus = node.allocatable.get(GPU_RESOURCE, 0)
        taken = [_gpu_use(p) for p in pods_on]
        free += [gpus * MILLI_PER_GPU - sum(t[0] for t in taken), gpus - sum(t[1] for t in taken)]
    free.append(node.allocatable.get(PODS, 0) - len(pods_on))
    free += [0 if port in used else 1 for port in ports]
    return [max(0, amount) for amount in free]


def _reasons(probe, class_id: int) -> Counter:
    """Why the engine rejects a pod on each empty type: reason text -> number of types."""
    evaluation = probe.look(class_id)
    counts: Counter = Counter()
    for failed, reasons in zip(evaluation["failed_filter"], evaluation["reasons"]):
        counts.update(reasons if failed is not None else ["not enough room left on the node"])
    return counts
