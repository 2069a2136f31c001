"""Deciding a queue with DefaultPreemption, as upstream's scheduling cycle does: a pod that
fits nowhere runs the PostFilter; when it nominates a node, the victims are evicted, the pod
is tried again at once (it heads the queue: everything after it has no higher priority) —
first on its nominated node, as upstream's next cycle does — and, with `requeue`, evicted
pods that a controller would recreate go back into the queue behind the pods of their
priority (a recreated pod is the newest)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kubesched.model.cluster import ClusterInput
from kubesched.model.records import Pod
from kubesched.preemption import PodTable, nominated_node_of, parse_pdb, pod_on_node, preempt

PREEMPTED_MODES = ("requeue", "report")
QUEUE_CHUNK = 512


@dataclass
class PreemptionFlow:
    """What the preemptions of one simulation did, and the pods on nodes they search."""

    rows: PodTable
    mode: str = "requeue"
    preemptions: int = 0
    evicted: list[str] = field(default_factory=list)  # pod keys, in eviction order
    last: dict = field(default_factory=dict)  # pod key -> its last Placement
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


def recreated(pod: Pod) -> bool:
    """Whether a controller recreates the pod once it is evicted (bare pods are gone)."""
    return bool(pod.owner_kind)


def decide_preempting(snapshot, pods: list[Pod], flow: PreemptionFlow, placement_type):
    """Decide `pods` in order with preemption. Returns (placements, evicted pods to decide
    again, the pods not decided yet): it stops after a preemption whose victims go back in
    the queue, so that the caller puts them in their place."""
    placements = []
    engine = snapshot.engine
    names = snapshot.node_names
    classes = np.fromiter((snapshot.class_of(p) for p in pods), dtype=np.int32, count=len(pods))
    i = 0
    while i < len(pods):  # in chunks: a call costs as much as the pods it is handed
        chosen, decided = engine.schedule_until_failure(classes[i:i + QUEUE_CHUNK])
        for k in range(decided):
            pod, node, class_id = pods[i + k], int(chosen[k]), int(classes[i + k])
            if node >= 0:
                flow.place(pod, names[node], class_id)
                placements.append(_record(flow, placement_type(pod.key, names[node])))
                continue
            placement, victims = _preempt_for(snapshot, pod, class_id, flow, placement_type)
            placements.append(_record(flow, placement))
            again = [v for v in victims if flow.mode == "requeue" and recreated(v)]
            if again:
                return placements, again, pods[i + k + 1:]
        i += decided
    return placements, [], []


def _record(flow: PreemptionFlow, placement):
    flow.last[placement.pod] = placement
    return placement


def _preempt_for(snapshot, pod: Pod, class_id: int, flow: PreemptionFlow, placement_type):
    """The PostFilter for a pod that fits nowhere, and its retry after the evictions."""
    engine = snapshot.engine
    key, version = (class_id, pod.priority), flow.version()
    cached = None if nominated_node_of(pod) else flow.unhelpful.get(key)
    if cached is not None and cached[0] == version:
        result = cached[1]
    else:
        result = preempt(snapshot, pod, flow.table, class_id=class_id)
    if result.nominated_node is None:  # nothing changed since the failure: its reasons still hold
        if not nominated_node_of(pod):
            flow.unhelpful[key] = (version, result)
        fit_message = snapshot.failure_message(engine.last_failure())
        return placement_type(pod.key, None, result.fit_error(fit_message)), []
    flow.preemptions += 1
    table = flow.table
    for victim in result.victims:
        engine.forget(*table.remove(victim))
        flow.evicted.append(victim.key)
        earlier = flow.last.get(victim.key)
        if earlier is not None:
            earlier.evicted_by = pod.key
    nominated = snapshot.node_index[result.nominated_node]
    preempted = [v.key for v in result.victims]
    if engine.feasible_on(class_id, nominated):  # the next cycle tries the nominated node first
        engine.assume(class_id, nominated)
        node = nominated
    else:
        node = engine.schedule(class_id)
    if node < 0:
        message = result.fit_error(snapshot.failure_message(engine.last_failure()))
        return (placement_type(pod.key, None, message, nominated_node=result.nominated_node, preempted=preempted),
                result.victims)
    flow.place(pod, snapshot.node_names[node], class_id)
    return placement_type(pod.key, snapshot.node_names[node], "", nominated_node=result.nominated_node,
                          preempted=preempted), result.victims
