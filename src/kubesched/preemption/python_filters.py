"""DefaultPreemption for pods of a profile with Python filter plugins (framework/
python_plugins.py). Such a plugin judges a pod on a node, not the pods there, so removing
victims never changes its verdict; its rejection is Unschedulable (a candidate node), as an
out-of-tree plugin's usually is. The core's dry run (which knows the core's filters) finds
the candidates; a candidate a Python filter rejects is none, and counts with the plugin's
reason, as upstream's dry run would report it after removing the victims; a node only a
Python filter rejected is tried too: "No preemption victims found" without lower-priority
pods, else the plugin's reason. The choice among what remains is upstream's."""

from __future__ import annotations

from kubesched.engine.python_plugins import python_rejection
from kubesched.model.records import Pod
from kubesched.preemption.evaluate import preempt
from kubesched.preemption.result import NO_VICTIMS, Preemption, not_helpful_message, success_message
from kubesched.preemption.select import pick_candidate


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
    evaluation = snapshot.look(snapshot.class_of(pod))
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
