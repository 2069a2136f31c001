"""`kubesched simulate`: decide every pending pod of a cluster in memory, in queue order."""

from __future__ import annotations

from dataclasses import dataclass

from kubesched.framework.pod_class import ClusterObjects
from kubesched.framework.profile import Profile
from kubesched.framework.python_plugins import load_plugin, run_filter, run_score
from kubesched.gpu.typical import uses_typical_pods
from kubesched.model.cluster import ClusterInput
from kubesched.model.records import Pod
from kubesched.sim.queue import queue_order
from kubesched.snapshot.cluster import ClusterSnapshot, fit_error_message, reason_counts

GATED_MESSAGE = "Scheduling is blocked due to non-empty scheduling gates"


@dataclass
class Placement:
    pod: str
    node: str | None
    message: str = ""


@dataclass
class SimulationResult:
    placements: list[Placement]
    snapshot: ClusterSnapshot

    def to_json(self) -> dict:
        return {"placements": [vars(p) for p in self.placements], "summary": self.summary()}

    def summary(self) -> dict:
        placed = sum(1 for p in self.placements if p.node is not None)
        reasons: dict[str, int] = {}
        for p in self.placements:
            if p.node is None:
                reasons[p.message] = reasons.get(p.message, 0) + 1
        return {
            "nodes": self.snapshot.node_count,
            "pods": len(self.placements),
            "placed": placed,
            "unschedulable": len(self.placements) - placed,
            "unschedulableByMessage": reasons,
            "utilization": utilization(self.snapshot),
        }


def utilization(snapshot: ClusterSnapshot) -> dict:
    """Requested over allocatable, summed over the nodes, per resource (and pods)."""
    allocatable, requested, allowed_pods, pod_count = snapshot.engine.usage()
    result = {}
    for r, name in enumerate(snapshot.engine.resource_names()):
        total = int(allocatable[r].sum())
        if total:
            used = int(requested[r].sum())
            result[name] = {"requested": used, "allocatable": total, "ratio": round(used / total, 4)}
    total_pods = int(allowed_pods.sum())
    if total_pods:
        used = int(pod_count.sum())
        result["pods"] = {"requested": used, "allocatable": total_pods, "ratio": round(used / total_pods, 4)}
    return result


def simulate(cluster: ClusterInput, profiles: dict[str, Profile], seed: int | None = None,
             extenders: tuple = ()) -> SimulationResult:
    """Schedule `cluster.pending_pods` on the cluster's nodes and bound pods, in queue order.

    Each pod is decided by the profile named by its schedulerName. Pods that no profile
    serves, and pods with scheduling gates, are not decided: they come last in the result,
    with node null and the reason. `extenders` (extenders.client.HttpExtender, in calling
    order) are called for the pods they are interested in, as `run` calls them."""
    first = next(iter(profiles.values()))
    snapshot = ClusterSnapshot(cluster.nodes, first, seed, ClusterObjects.of(cluster))
    snapshot.add_bound(cluster.bound_pods)
    if any(uses_typical_pods(p) for p in profiles.values()):
        snapshot.set_gpu_workload([*cluster.bound_pods, *cluster.pending_pods])
    decided: list[Placement] = []
    undecided: list[Placement] = []
    runs: list[tuple[str, list[Pod]]] = []  # consecutive pods of one profile
    for pod in queue_order(cluster.pending_pods):
        name = pod.spec.scheduler_name
        if pod.spec.scheduling_gates:
            undecided.append(Placement(pod.key, None, GATED_MESSAGE))
        elif name not in profiles:
            undecided.append(Placement(pod.key, None, f"no profile serves schedulerName {name!r}"))
        elif runs and runs[-1][0] == name:
            runs[-1][1].append(pod)
        else:
            runs.append((name, [pod]))
    current = first
    for name, pods in runs:
        if profiles[name] is not current:
            current = profiles[name]
            snapshot.use_profile(current)
        if extenders:
            from kubesched.sim.extenders import decide_with_extenders

            decided.extend(decide_with_extenders(snapshot, pods, extenders, cluster.node_objects))
        else:
            decided.extend(_decide(snapshot, pods))
    return SimulationResult(decided + undecided, snapshot)


def _decide(snapshot: ClusterSnapshot, pods: list[Pod]) -> list[Placement]:
    if snapshot.profile.python_filters or snapshot.profile.python_scores:
        return [decide_with_python_plugins(snapshot, pod) for pod in pods]
    snapshot.engine.clear_failures()
    chosen = snapshot.place(pods)
    failures = iter(snapshot.engine.failures())
    names = snapshot.node_names
    return [Placement(pod.key, names[node]) if node >= 0
            else Placement(pod.key, None, snapshot.failure_message(next(failures)))
            for pod, node in zip(pods, chosen.tolist())]


def decide_with_python_plugins(snapshot: ClusterSnapshot, pod: Pod) -> Placement:
    """The core filters and scores; then the profile's Python plugins on the feasible nodes."""
    profile = snapshot.profile
    class_id = snapshot.class_of(pod)
    evaluation = snapshot.engine.evaluate(class_id)
    histogram = reason_counts(evaluation["reasons"])
    filters = [(name, load_plugin(name)) for name in profile.python_filters]
    scores = [(name, load_plugin(name), weight) for name, weight in profile.python_scores]
    best, best_total = -1, -1
    for i, total in enumerate(evaluation["total"]):
        if evaluation["failed_filter"][i] is not None or not evaluation["examined"][i]:
            continue  # feasibility from the filters, not from the sign of the total
        node = snapshot.nodes[i]
        rejected = next((reason for reason in (run_filter(name, f, pod, node) for name, f in filters) if reason),
                        None)
        if rejected:
            histogram[rejected] = histogram.get(rejected, 0) + 1
            continue
        total += sum(weight * run_score(name, plugin, pod, node) for name, plugin, weight in scores)
        if total > best_total:
            best, best_total = i, total
    if best < 0:
        return Placement(pod.key, None, fit_error_message(snapshot.node_count, histogram))
    snapshot.engine.assume(class_id, best)
    return Placement(pod.key, snapshot.node_names[best])
