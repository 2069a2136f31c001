"""Deciding a queue with DefaultPreemption, as upstream's scheduling cycle does: a pod that
fits nowhere runs the PostFilter; when it nominates a node, the victims are evicted, the pod
is tried again at once (it heads the queue: everything after it has no higher priority) —
first on its nominated node, as upstream's next cycle does — and, with `requeue`, evicted
pods that a controller would recreate go back into the queue behind the pods of their
priority (a recreated pod is the newest)."""

from __future__ import annotations

from dataclasses import dataclass, field

from kubesched.model.cluster import ClusterInput
from kubesched.model.records import Pod
from kubesched.preemption import (PodTable, PreemptionArgs, nominated_node_of, parse_pdb, pod_on_node, preempt_and_retry,
                                  preemption_args)
from kubesched.sim.preempting_dra import release_victims_claims

PREEMPTED_MODES = ("requeue", "report")
QUEUE_CHUNK = 512


@dataclass
class PreemptionFlow:
    """What the preemptions of one simulation did, and the pods on nodes they search."""

    rows: PodTable
    mode: str = "requeue"
    preemptions: int = 0
    evicted: list[str] = field(default_factory=list)  # pod keys, in eviction order
    recorded: list = field(default_factory=list)  # placements in decision order, not in `last` yet
    landed: list = field(default_factory=list)  # (pod, node, class id) not in `rows` yet
    # (class id, priority) -> (version, answer) of the last preemption that could not help:
    # pods of one class failing in a row get the same answer while no pod lands or leaves.
    unhelpful: dict = field(default_factory=dict)

    def version(self) -> int:
        """Grows whenever a pod lands on or leaves a node."""
        return len(self.rows) + len(self.landed) + len(self.evicted)

    def place(self, pod: Pod, node: str, class_id: int | None = None) -> None:
        """A pod landed; the table learns of it when a preemption next reads it (most runs
        never preempt, and then pay nothing per pod)."""
        self.landed.append((pod, node, class_id))

    def evict(self, snapshot, preemptor: Pod, victims: list[Pod]) -> None:
        """The victims leave their nodes (engine and table), and `evicted` follows."""
        table = self.table
        for victim in victims:
            snapshot.forget(*table.remove(victim))
        self.evicted_for(snapshot, preemptor, victims)

    def evicted_for(self, snapshot, preemptor: Pod, victims: list[Pod]) -> None:
        """The victims have left their nodes: their earlier placements say who evicted them,
        and the controllers release their claims."""
        self.preemptions += 1
        last = self.last
        for victim in victims:
            self.evicted.append(victim.key)
            earlier = last.get(victim.key)
            if earlier is not None:
                earlier.evicted_by = preemptor.key
        release_victims_claims(snapshot, victims)

    @property
    def last(self) -> dict:
        """Pod key -> its last placement (built when a preemption reads it, as `table`)."""
        known = self._last
        for placement in self.recorded:
            known[placement.pod] = placement
        self.recorded.clear()
        return known

    @property
    def table(self) -> PodTable:
        for pod, node, class_id in self.landed:
            self.rows.add(pod, node, class_id=class_id)
        self.landed.clear()
        return self.rows

    @classmethod
    def of(cls, snapshot, cluster: ClusterInput, mode: str) -> "PreemptionFlow":
        pdbs = [parse_pdb(obj, cluster.bound_pods) for obj in cluster.pdbs]
        table = PodTable(snapshot, pdbs)
        for pod in cluster.bound_pods:
            entry = pod_on_node(pod, pod.node_name)
            table.add(pod, pod.node_name, start_time=entry.start_time, terminating=entry.terminating)
        return cls(table, mode)

    def __post_init__(self) -> None:
        self._last: dict = {}
        self.args = preemption_args(self.rows.snapshot.profile) or PreemptionArgs()  # read once, not per preemptor


def recreated(pod: Pod) -> bool:
    """Whether a controller recreates the pod once it is evicted (bare pods are gone)."""
    return bool(pod.owner_kind)


def decide_preempting(snapshot, pods: list[Pod], flow: PreemptionFlow, placement_type):
    """Decide `pods` in order with preemption. Returns (placements, evicted pods to decide
    again, the pods not decided yet): it stops after a preemption whose victims go back in
    the queue, so that the caller puts them in their place."""
    placements = []
    classes = snapshot.classes_of(pods)
    i = 0
    nominations = snapshot.nominations
    while i < len(pods):  # in chunks: a call costs as much as the pods it is handed
        if nominations:  # pods arrived nominated are outstanding: one at a time (sim/nominated.py)
            decision = nominations.decide(snapshot, pods[i], int(classes[i]))
            placed, failed = ([decision], None) if decision.placed else ([], pods[i])
        else:
            placed, failed = snapshot.decide_until_failure(pods[i:i + QUEUE_CHUNK], classes[i:i + QUEUE_CHUNK])
        if placed:  # the pods that fit, in bulk
            made = [placement_type(d.pod.key, d.node) for d in placed]
            flow.landed.extend(zip((d.pod for d in placed), (d.node for d in placed),
                                   classes[i:i + len(placed)].tolist()))
            flow.recorded.extend(made)
            placements.extend(made)
        decided = len(placed) + (failed is not None)
        if failed is not None:
            k = i + len(placed)
            pod = failed
            placement, victims = _preempt_for(snapshot, pod, int(classes[k]), flow, placement_type)
            flow.recorded.append(placement)
            placements.append(placement)
            again = [v for v in victims if flow.mode == "requeue" and recreated(v)]
            if again:
                return placements, again, pods[k + 1:]
        i += decided
    return placements, [], []


def _preempt_for(snapshot, pod: Pod, class_id: int, flow: PreemptionFlow, placement_type):
    """The PostFilter for a pod that fits nowhere, the evictions and its retry (one core call)."""
    key, version = (class_id, pod.priority), flow.version()
    nominated_before = nominated_node_of(pod)
    cached = None if nominated_before or snapshot.nominations else flow.unhelpful.get(key)
    if cached is not None and cached[0] == version:
        result, node = cached[1], -1
    else:
        nominations = snapshot.nominations
        result, node = preempt_and_retry(snapshot, pod, flow.table, class_id,
                                         nominated=nominations.pairs() if nominations else (),
                                         held=nominations.yield_to(snapshot, pod) if nominations else (),
                                         args=flow.args)
    if result.nominated_node is None:  # nothing changed since the failure: its reasons still hold
        if not nominated_before and not snapshot.nominations:
            flow.unhelpful[key] = (version, result)
        fit_message = snapshot.failure_message(snapshot.last_failure())
        return placement_type(pod.key, None, result.fit_error(fit_message)), []
    flow.evicted_for(snapshot, pod, result.victims)
    preempted = [v.key for v in result.victims]
    if node < 0:
        message = result.fit_error(snapshot.failure_message(snapshot.last_failure()))
        return (placement_type(pod.key, None, message, nominated_node=result.nominated_node, preempted=preempted),
                result.victims)
    name = snapshot.node_names[node]
    flow.place(pod, name, class_id)
    return placement_type(pod.key, name, "", nominated_node=result.nominated_node, preempted=preempted), result.victims
