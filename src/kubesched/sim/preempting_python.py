"""DefaultPreemption in simulate for pods of a profile with Python filter plugins: each
pod decided with them (engine/python_plugins.py), the victims found by
kubesched.preemption.python_filters."""

from __future__ import annotations

from kubesched.engine.python_plugins import python_rejection
from kubesched.model.records import Pod
from kubesched.preemption.python_filters import preempt_with_python_filters
from kubesched.preemption.result import Preemption
from kubesched.sim.preempting import recreated


def decide_python_preempting(snapshot, pods: list[Pod], flow, decide, placement_type):
    """Pods in order with DefaultPreemption; `decide(snapshot, pod)` places one pod with the
    Python plugins (assuming it). Returns (placements, victims to requeue, pods left)."""
    placements = []
    for i, pod in enumerate(pods):
        decided = decide(snapshot, pod)
        victims: list[Pod] = []
        if decided.node is None:
            result = preempt_with_python_filters(snapshot, pod, flow.table, nominated=snapshot.nominations.pairs()
                                                 if snapshot.nominations else ())
            if result.nominated_node is None:
                decided.message = result.fit_error(decided.message)
            else:
                victims = result.victims
                flow.evict(snapshot, pod, victims)
                decided = _retry(snapshot, pod, result, decide, placement_type)
        if decided.node is not None:
            flow.place(pod, decided.node)
        flow.last[decided.pod] = decided
        placements.append(decided)
        again = [v for v in victims if flow.mode == "requeue" and recreated(v)]
        if again:
            return placements, again, pods[i + 1:]
    return placements, [], []


def _retry(snapshot, pod: Pod, result: Preemption, decide, placement_type):
    """The next cycle: the nominated node first (if every filter passes there), else all."""
    class_id = snapshot.class_of(pod)
    nominated = snapshot.node_index[result.nominated_node]
    held = snapshot.nominations.yield_to(snapshot, pod) if snapshot.nominations else []
    if snapshot.feasible_with_nominated(class_id, nominated, held) \
            and python_rejection(snapshot, pod, nominated) is None:
        snapshot.assume(class_id, nominated)
        decided = placement_type(pod.key, result.nominated_node)
    else:
        decided = decide(snapshot, pod)
        if decided.node is None:
            decided.message = result.fit_error(decided.message)
    decided.nominated_node, decided.preempted = result.nominated_node, [v.key for v in result.victims]
    return decided
