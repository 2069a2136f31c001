"""The resident victim table keeps node verdicts (and how many nodes are potential) across
preemptions; after each eviction and landing its answer, at any offset, is the one a
table built afresh from the same pods gives, and the one-call path (preempt_and_retry,
which picks from the candidate tree instead of walking the nodes) chooses as it does."""

import random

from kubesched.framework.profile import default_profile
from kubesched.model.nodes import parse_node
from kubesched.model.pods import PodParser
from kubesched.preemption import PodTable
from kubesched.engine.cluster import ClusterSnapshot
from tests.perf import perf_node, perf_pod

NODES = 24


def fresh_answer(snapshot, table, class_id, priority, offset):
    rows = [table.victims.row(r) for r in range(len(table))]
    return snapshot._engine.preempt(class_id, priority, [r[0] for r in rows], [r[1] for r in rows],
                                   [r[2] for r in rows], [r[3] for r in rows], [0] * (len(rows) + 1), [],
                                   offset=offset, min_candidate_absolute=5)


def test_resident_verdicts_match_a_fresh_table_preemption_after_preemption():
    parser = PodParser()
    # Small nodes reject a 3-CPU preemptor outright (not potential); nodes full of pods of
    # the preemptor's priority have no victims (rejected); the rest are candidates.
    nodes = [parse_node(perf_node(i, cpu="2" if i % 5 == 0 else "4")) for i in range(NODES)]
    snapshot = ClusterSnapshot(nodes, default_profile())
    table = PodTable(snapshot)
    rng = random.Random(7)
    count = 0
    for i in range(NODES):
        for _ in range(2):
            priority = 1000 if i % 7 == 3 else rng.choice([0, 10, 20])
            pod = parser.parse(perf_pod(count, prefix="low", cpu="900m",
                                        extra_spec={"nodeName": f"node-{i}", "priority": priority}), index=count)
            count += 1
            snapshot.add_bound([pod])
            table.add(pod, pod.node_name)
    preemptor = parser.parse(perf_pod(0, prefix="high", cpu="3", extra_spec={"priority": 1000}), index=0)
    class_id = snapshot.class_of(preemptor)
    engine = snapshot._engine
    preempted, rejected, decided_by = 0, 0, set()
    for step in range(30):
        offset = rng.randrange(NODES)
        answer = table.victims.preempt(class_id, 1000, [], [], offset=offset, min_candidate_absolute=5)
        assert answer.to_dict() == fresh_answer(snapshot, table, class_id, 1000, offset)
        rejected += len(answer.rejected())
        decided_by.add(answer.decided_by)
        chosen = answer.chosen_candidate()
        if chosen is None:
            break
        node, victims, _ = chosen
        if step % 2:  # by hand
            for row in victims:
                victim_class, victim_node, _, _ = table.victims.row(row)
                table.remove(table.pods[row])
                engine.forget(victim_class, victim_node)
            engine.assume(class_id, node)
        else:
            picked, landed = table.victims.preempt_and_retry(class_id, 1000, [], [], [], offset=offset,
                                                             min_candidate_absolute=5)
            assert (picked.chosen_candidate(), picked.decided_by) == (chosen, answer.decided_by)
            assert landed == node
            table.left([table.pods[row] for row in victims])
            assert all(table.victims.row(row)[1] == -1 for row in victims)
        table.add(preemptor, snapshot.node_names[node], class_id=class_id)
        preemptor = parser.parse(perf_pod(step + 1, prefix="high", cpu="3", extra_spec={"priority": 1000}),
                                 index=step + 1)
        preempted += 1
    # the sequence went through several preemptions, with rejected nodes and several deciding criteria
    assert preempted > 5 and rejected > 0 and len(decided_by) > 1, (preempted, rejected, decided_by)


def test_the_candidate_tree_picks_as_the_walk_at_any_offset_and_count():
    """Twin clusters whose victims differ in priority and start time (so the best of the
    first candidates is seldom the first): the tree's pick (preempt_and_retry) is the walk's
    (preempt, then the same evictions by hand), at random offsets and candidate counts."""
    parser = PodParser()
    rng = random.Random(11)
    nodes = [parse_node(perf_node(i, cpu="2" if i % 6 == 0 else "4")) for i in range(NODES)]
    low = []
    for i in range(NODES * 2):
        priority = 1000 if i % 11 == 3 else rng.choice([0, 10, 20])
        low.append((parser.parse(perf_pod(i, prefix="low", cpu="900m",
                                          extra_spec={"nodeName": f"node-{i // 2}", "priority": priority}), index=i),
                    rng.randrange(1000)))
    twins = []
    for _ in range(2):
        snapshot = ClusterSnapshot(nodes, default_profile())
        table = PodTable(snapshot)
        for pod, start in low:
            snapshot.add_bound([pod])
            table.add(pod, pod.node_name, start_time=start)
        twins.append((snapshot, table))
    (walk_snapshot, walk_table), (tree_snapshot, tree_table) = twins
    decided_by, wrapped = set(), 0
    for step in range(40):
        preemptor = parser.parse(perf_pod(step, prefix="high", cpu="3", extra_spec={"priority": 1000}), index=step)
        class_id = walk_snapshot.class_of(preemptor)
        assert tree_snapshot.class_of(preemptor) == class_id
        offset, absolute = rng.randrange(NODES), rng.randrange(1, 9)
        walk = walk_table.victims.preempt(class_id, 1000, [], [], offset=offset, min_candidate_absolute=absolute)
        tree, landed = tree_table.victims.preempt_and_retry(class_id, 1000, [], [], [], offset=offset,
                                                            min_candidate_absolute=absolute)
        assert (tree.chosen_candidate(), tree.decided_by) == (walk.chosen_candidate(), walk.decided_by), step
        chosen = walk.chosen_candidate()
        if chosen is None:
            assert landed == -1
            break
        decided_by.add(walk.decided_by)
        node, victims, _ = chosen
        walked = [n for n, _, _ in walk.candidates()]  # in the walk's order
        wrapped += walked != sorted(walked)
        for row in victims:
            walk_snapshot.forget(*walk_table.remove(walk_table.pods[row]))
        walk_snapshot.assume(class_id, node)
        tree_table.left([tree_table.pods[row] for row in victims])
        assert landed == node
        for snapshot, table in twins:
            table.add(preemptor, snapshot.node_names[node], class_id=class_id)
        assert all((a == b).all() for a, b in zip(walk_snapshot.usage(), tree_snapshot.usage()))
    assert len(decided_by) > 2 and wrapped > 0, (decided_by, wrapped)
