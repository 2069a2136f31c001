"""simulate's one core call per preemptor (preempt_and_retry: the dry run, the evictions,
the retry on the nominated node) does what its steps do one by one through the engine's
API — preempt(), each victim forgotten, feasible_with_nominated on the nominated node, else
schedule_with_nominated — on random clusters with budgets, nominated pods, arguments and
offsets (the one call picks from the candidate tree, preempt() walks the nodes):
the same answer, the same node for the pod (or the same reasons), the same snapshot after."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import event, given, settings
from hypothesis import strategies as st

from kubesched.preemption import PodTable, preempt, preempt_and_retry
from kubesched.engine.cluster import ClusterSnapshot

from .test_preemption_vs_reference import preemption_scenarios


def _cluster(cluster, bound, starts, budgets, profile, objects):
    snapshot = ClusterSnapshot(cluster, profile, objects=objects)
    snapshot.add_bound(bound)
    table = PodTable(snapshot, budgets)
    for p in bound:
        table.add(p, p.node_name, start_time=starts[p.key])
    return snapshot, table


def _by_steps(snapshot, table, pod, class_id, nominated, held, offset):
    result = preempt(snapshot, pod, table, nominated=nominated, offset=offset)
    if result.nominated_node is None:
        return result, -1
    engine = snapshot._engine
    for victim in result.victims:
        engine.forget(*table.remove(victim))
    node = snapshot.node_index[result.nominated_node]
    if engine.feasible_with_nominated(class_id, node, held):
        engine.assume(class_id, node)
        return result, node
    return result, engine.schedule_with_nominated(class_id, held)


@settings(max_examples=300)
@given(preemption_scenarios(), st.data())
def test_one_call_per_preemptor_does_what_its_steps_do(scenario, data):
    cluster, bound, starts, budgets, incoming, nominated, args, profile, objects = scenario
    profile = replace(profile, preemption=(args.min_candidate_nodes_percentage, args.min_candidate_nodes_absolute))
    steps, steps_table = _cluster(cluster, bound, starts, budgets, profile, objects)
    call, call_table = _cluster(cluster, bound, starts, budgets, profile, objects)
    for pod in incoming:
        class_id = steps.class_of(pod)
        assert call.class_of(pod) == class_id
        if steps.evaluate(class_id)["feasible"]:
            continue
        held = [(steps.class_of(other), steps.node_index[node]) for other, node in nominated
                if other.priority >= pod.priority]
        offset = data.draw(st.integers(0, max(len(cluster) - 1, 0)))
        theirs, their_node = _by_steps(steps, steps_table, pod, class_id, nominated, held, offset)
        ours, our_node = preempt_and_retry(call, pod, call_table, class_id, nominated=nominated, held=held,
                                           offset=offset)
        assert (ours.nominated_node, [v.key for v in ours.victims], ours.pdb_violations, ours.decided_by,
                ours.message, ours.statuses) == (theirs.nominated_node, [v.key for v in theirs.victims],
                                                 theirs.pdb_violations, theirs.decided_by, theirs.message,
                                                 theirs.statuses)
        assert our_node == their_node
        if ours.nominated_node is not None and our_node < 0:
            event("no room after the evictions")
            assert call.last_failure() == steps.last_failure()
        assert all((a == b).all() for a, b in zip(call.usage(), steps.usage()))
        assert [call_table.victims.row(r) for r in range(len(call_table))] == \
            [steps_table.victims.row(r) for r in range(len(steps_table))]
        if our_node >= 0:
            event("landed on the nominated node" if call.node_names[our_node] == ours.nominated_node
                  else "landed elsewhere")
            node = call.node_names[our_node]
            steps_table.add(pod, node, class_id=class_id)
            call_table.add(pod, node, class_id=class_id)
