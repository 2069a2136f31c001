"""`kubesched simulate`: decide every pending pod of a cluster in memory, in queue order."""

from __future__ import annotations

from dataclasses import dataclass

from kubesched.dra.plugin import DraCluster
from kubesched.framework.cluster_objects import ClusterObjects
from kubesched.plugins.scheduling_gates import GATED_MESSAGE
from kubesched.framework.profile import Profile
from kubesched.framework.typical_pods import uses_typical_pods
from kubesched.model.cluster import ClusterInput
from kubesched.model.records import Pod
from kubesched.sim.nominated import Nominations
from kubesched.sim.preempting import PreemptionFlow, decide_preempting, recreated
from kubesched.sim.preempting_dra import decide_claims_preempting
from kubesched.sim.preempting_python import decide_python_preempting
from kubesched.engine.queue_order import queue_order
from kubesched.engine.cluster import ClusterSnapshot
from kubesched.engine.dra_decision import decide_with_claims
from kubesched.engine.placement import Placement
from kubesched.engine.python_plugins import decide_with_python_plugins as decide_python, python_rejection


@dataclass
class SimulationResult:
    placements: list[Placement]
    snapshot: ClusterSnapshot
    preemption: PreemptionFlow | None = None

    def to_json(self) -> dict:
        return {"placements": [p.to_json() for p in self.placements], "summary": self.summary()}

    def unplaced_messages(self) -> list[str]:
        """The message of each placement without a node."""
        return [p.message for p in self.placements if p.node is None]

    def placements_json(self) -> bytes | None:
        """The answer's placements written natively; None: from the records (to_json)."""
        return None

    def summary(self) -> dict:
        evicted = set(self.preemption.evicted) if self.preemption else set()
        # An evicted pod decided again: its last decision. Without evictions each pod is decided once.
        final = list({p.pod: p for p in self.placements}.values()) if evicted else self.placements
        unplaced = [p.message for p in final if p.node is None]
        placed = len(final) - len(unplaced)
        if evicted:
            placed -= sum(1 for p in final if p.evicted_by is not None and p.node is not None)
        reasons: dict[str, int] = {}
        for message in unplaced:
            reasons[message] = reasons.get(message, 0) + 1
        preemption = (self.preemption.preemptions, len(evicted)) if self.preemption is not None else None
        return summary_of(self.snapshot, len(final), placed, reasons, preemption)


def summary_of(snapshot: ClusterSnapshot, pods: int, placed: int, reasons: dict[str, int],
               preemption: tuple[int, int] | None) -> dict:
    """The answer's summary; `reasons`: the unplaced pods per message; `preemption`:
    (preemptions, pods evicted) when a profile preempts."""
    summary = {
        "nodes": snapshot.node_count,
        "pods": pods,
        "placed": placed,
        "unschedulable": sum(reasons.values()),
        "unschedulableByMessage": reasons,
        "utilization": utilization(snapshot),
    }
    if preemption is not None:
        summary["preemptions"], summary["evicted"] = preemption
    return summary


def utilization(snapshot: ClusterSnapshot) -> dict:
    """Requested over allocatable, summed over the nodes, per resource (and pods)."""
    allocatable, requested, allowed_pods, pod_count = snapshot.usage()
    result = {}
    for r, name in enumerate(snapshot.resource_names()):
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
             preempted: str = "requeue", extenders: tuple = ()) -> SimulationResult:
    """Schedule `cluster.pending_pods` on the cluster's nodes and bound pods, in queue order.

    Each pod is decided by the profile named by its schedulerName. Pods that no profile
    serves, and pods with scheduling gates, are not decided: they come last in the result,
    with node null and the reason. Profiles with DefaultPreemption preempt
    (sim/preempting.py); `preempted`: "requeue" puts evicted pods that a controller would
    recreate back into the queue, "report" only reports them. `extenders`
    (extenders.client.HttpExtender, in calling order) are called for the pods they are
    interested in, as `run` calls them (sim/extenders.py)."""
    first = next(iter(profiles.values()))
    snapshot = simulation_snapshot(cluster, profiles, seed)
    decided: list[Placement] = []
    undecided: list[Placement] = []
    queue: list[Pod] = []
    for pod in queue_order(cluster.pending_pods):
        name = pod.spec.scheduler_name
        if pod.spec.scheduling_gates:
            undecided.append(Placement(pod.key, None, GATED_MESSAGE))
        elif name not in profiles:
            undecided.append(Placement(pod.key, None, f"no profile serves schedulerName {name!r}"))
        else:
            queue.append(pod)
    snapshot.nominations = Nominations(queue)
    flow = None
    if any(p.preemption is not None for p in profiles.values()):
        flow = PreemptionFlow.of(snapshot, cluster, preempted)
    current = first
    start = 0
    while start < len(queue):  # runs of consecutive pods of one profile
        name = queue[start].spec.scheduler_name
        end = start
        while end < len(queue) and queue[end].spec.scheduler_name == name:
            end += 1
        if profiles[name] is not current:
            current = profiles[name]
            snapshot.use_profile(current)
        if extenders:
            from kubesched.sim.extenders import decide_with_extenders

            placements, again, rest = decide_with_extenders(snapshot, queue[start:end], extenders,
                                                            cluster.node_objects, flow)
        else:
            placements, again, rest = _decide_with_claims(snapshot, queue[start:end], undecided, flow)
        decided.extend(placements)
        if again:  # evicted pods back in the queue, each behind the pods of its priority
            queue = [*rest, *queue[end:]]
            for pod in again:
                at = next((i for i, p in enumerate(queue) if p.priority < pod.priority), len(queue))
                queue.insert(at, pod)
            start = 0
        else:
            start = end
    return SimulationResult(decided + undecided, snapshot, flow)


def simulation_snapshot(cluster: ClusterInput, profiles: dict[str, Profile], seed: int | None) -> ClusterSnapshot:
    """The snapshot a simulation decides on: the nodes and bound pods under the first profile,
    the DRA objects (also without any: a claim may be missing), FGD's typical pods where a
    profile scores with them."""
    snapshot = ClusterSnapshot(cluster.nodes, next(iter(profiles.values())), seed, ClusterObjects.of(cluster))
    snapshot.add_bound(cluster.bound_pods)
    snapshot.dra = DraCluster(cluster.dra, cluster.nodes)
    if any(uses_typical_pods(p) for p in profiles.values()):
        snapshot.set_gpu_workload([*cluster.bound_pods, *cluster.pending_pods])
    return snapshot


def _decide_with_claims(snapshot: ClusterSnapshot, pods: list[Pod], undecided: list[Placement],
                        flow: PreemptionFlow | None = None) -> tuple[list[Placement], list[Pod], list[Pod]]:
    """Pods with resource claims one at a time (kubesched.engine.dra_decision; with DefaultPreemption
    sim/preempting_dra.py), the others in runs; a pod that PreEnqueue keeps waiting goes
    last, as a gated one. Returns what `_decide` returns."""
    dra = snapshot.dra
    if dra is None or "DynamicResources" not in snapshot.profile.filters or not dra.any_has_claims(pods):
        return _decide(snapshot, pods, flow)
    decided: list[Placement] = []
    run: list[Pod] = []
    for i, pod in enumerate(pods):
        if not dra.has_claims(pod):
            run.append(pod)
            continue
        placements, again, rest = _decide(snapshot, run, flow)
        decided.extend(placements)
        if again:
            return decided, again, [*rest, *pods[i:]]
        run = []
        if flow is not None and snapshot.profile.preemption is not None:
            placement, tried, victims = decide_claims_preempting(snapshot, dra, pod, flow, Placement)
            (decided if tried else undecided).append(placement)
            flow.last[placement.pod] = placement
            again = [v for v in victims if flow.mode == "requeue" and recreated(v)]
            if again:
                return decided, again, pods[i + 1:]
            continue
        placement, tried = decide_with_claims(snapshot, dra, pod, Placement)
        (decided if tried else undecided).append(placement)
        if flow is not None and placement.node is not None:
            flow.place(pod, placement.node)
    placements, again, rest = _decide(snapshot, run, flow)
    return [*decided, *placements], again, rest


def _decide(snapshot: ClusterSnapshot, pods: list[Pod], flow: PreemptionFlow | None = None
            ) -> tuple[list[Placement], list[Pod], list[Pod]]:
    """(placements, evicted pods to decide again, pods left undecided for them)."""
    if not pods:
        return [], [], []
    if snapshot.profile.python_filters or snapshot.profile.python_scores:
        if flow is not None and snapshot.profile.preemption is not None:  # sim/preempting_python.py
            return decide_python_preempting(snapshot, pods, flow, decide_with_python_plugins, Placement)
        placements = [decide_with_python_plugins(snapshot, pod) for pod in pods]
        if flow is not None:
            for pod, placement in zip(pods, placements):
                if placement.node is not None:
                    flow.place(pod, placement.node)
        return placements, [], []
    if flow is not None and snapshot.profile.preemption is not None:
        placements, again, rest = decide_preempting(snapshot, pods, flow, Placement)
        snapshot.describe_volumes(pods[:len(placements)], placements)
        return placements, again, rest
    # while pods arrived nominated are outstanding, one at a time (sim/nominated.py)
    placements = snapshot.nominations.decide_head(snapshot, pods, Placement) if snapshot.nominations else []
    placements += [Placement(d.pod.key, d.node, d.message) for d in snapshot.decide_queue(pods[len(placements):])]
    snapshot.describe_volumes(pods, placements)
    if flow is not None:  # another profile preempts: it sees these pods on their nodes
        for pod, placement in zip(pods, placements):
            if placement.node is not None:
                flow.place(pod, placement.node)
    return placements, [], []


def decide_with_python_plugins(snapshot: ClusterSnapshot, pod: Pod) -> Placement:
    """engine.python_plugins' decision, the pod's own nominated node tried first with the
    nominated pods it yields to (sim/nominated.py)."""
    class_id = snapshot.class_of(pod)
    own, nominated = snapshot.nominations.take(snapshot, pod) if snapshot.nominations else (-1, [])
    if own >= 0 and snapshot.feasible_with_nominated(class_id, own, nominated) \
            and python_rejection(snapshot, pod, own) is None:
        snapshot.assume(class_id, own)
        return Placement(pod.key, snapshot.node_names[own])
    decision = decide_python(snapshot, pod, nominated)
    return Placement(pod.key, decision.node, decision.message)
