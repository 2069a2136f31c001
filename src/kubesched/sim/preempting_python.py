"""DefaultPreemption for pods of a profile with Python filter plugins (framework/
python_plugins.py). Such a plugin judges a pod on a node, not the pods there, so removing
victims never changes its verdict; its rejection is Unschedulable (a candidate node), as an
out-of-tree plugin's usually is. The core's dry run (which knows the core's filters) finds
the candidates; a candidate a Python filter rejects is none, and counts with the plugin's
reason, as upstream's dry run would report it after removing the victims; a node only a
Python filter rejected is tried too: "No preemption victims found" without lower-priority
pods, else the plugin's reason. The choice among what remains is upstream's."""

from __future__ import annotations

from kubesched.framework.python_plugins import load_plugin, run_filter
from kubesched.model.records import Pod
from kubesched.preemption import Preemption, preempt, success_message
from kubesched.preemption.result import NO_VICTIMS, not_helpful_message
from kubesched.preemption.select import pick_candidate
from kubesched.sim.preempting import recreated


def python_rejection(snapshot, pod: Pod, node: int) -> str | None:
    """The first Python filter's reason for rejecting the pod on the node, None if all pass."""
    for name in snapshot.profile.python_filters:
        reason = run_filter(name, load_plugin(name), pod, snapshot.nodes[node])
        if reason:
            return reason
    return None


def preempt_with_python_filters(snapshot, pod: Pod, table, **options) -> Preemption:
    """kubesched.preemption.preempt (`options` are its keywords), the profile's Python
    filters judged on the candidates and on the nodes only they rejected."""
    result = preempt(snapshot, pod, table, **options)
    if not result.eligible or not snapshot.profile.python_filters:
        return result
    statuses = dict(result.statuses)
    candidates = []
    for candidate in result.candidates:
        reason = python_rejection(snapshot, pod, snapshot.node_index[candidate.node])
        if reason:
            statuses[candidate.node] = [reason]
        else:
            candidates.append(candidate)
    evaluation = snapshot.evaluate(snapshot.class_of(pod))
    for n, name in enumerate(snapshot.node_names):
        if evaluation["failed_filter"][n] is not None or not evaluation["examined"][n]:
            continue  # the core's filters reject it: the core's dry run judged it
        reason = python_rejection(snapshot, pod, n)
        if reason:
            lower = any(table.pods[r].priority < pod.priority for r in table.rows_on(name))
            statuses[name] = [reason] if lower else [NO_VICTIMS]
    if not candidates:
        return Preemption(None, statuses=statuses, message=not_helpful_message(snapshot.node_count, statuses))
    starts = {p.key: table.start_of(p) for c in candidates for p in c.victims}
    chosen, decided_by = pick_candidate(candidates, starts)
    return Preemption(chosen.node, list(chosen.victims), chosen.pdb_violations, candidates, statuses,
                      success_message(chosen.node, len(chosen.victims)), decided_by)


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
