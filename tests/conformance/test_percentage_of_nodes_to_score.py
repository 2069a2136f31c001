"""percentageOfNodesToScore: upstream's numFeasibleNodesToFind and the rotating start
(schedule_one.go, findNodesThatFitPod / findNodesThatPassFilters, read on one worker).

The search from nextStartNodeIndex does not stop at the wanted-th feasible node: it goes on,
recording the nodes that fail, and is cancelled when it finds one feasible node more, which
is neither scored nor counted. The start then moves on by the feasible nodes plus the
failing ones recorded. Nodes a PreFilter result leaves out are not searched and not counted.
Found by the property test against the reference (tests/property)."""

from __future__ import annotations

from dataclasses import replace

from kubesched.framework.profile import Profile
from kubesched.engine.cluster import ClusterSnapshot

from .builders import affinity, node, node_term, pod, req


def _cluster():
    # 100 nodes the big pod fits, 10 it does not (but the small pod prefers), 10 more it fits
    big = [node(f"node-{i:03d}", {"gap": "no"}, allocatable={"cpu": "4"}) for i in range(100)]
    gap = [node(f"node-{i:03d}", {"gap": "yes"}, allocatable={"cpu": "1"}) for i in range(100, 110)]
    rest = [node(f"node-{i:03d}", {"gap": "no"}, allocatable={"cpu": "4"}) for i in range(110, 120)]
    return big + gap + rest


def _decide(snapshot: ClusterSnapshot, pods) -> list[str]:
    return [snapshot.node_names[n] for n in snapshot.place(pods).tolist()]


PREFER_GAP = affinity(node_preferred=[(100, node_term(req("gap", "In", "yes")))])


def test_the_failing_nodes_after_the_last_feasible_one_count_as_processed():
    # 120 nodes at 50%: 100 to find. The big pod finds node-000..099 and goes on through the
    # ten gap nodes (failing, counted) to node-110, where the search is cancelled: the start
    # moves to 110. So the small pod searches node-110.. and never sees a gap node.
    snapshot = ClusterSnapshot(_cluster(), Profile(percentage_of_nodes_to_score=50))
    chosen = _decide(snapshot, [pod(requests={"cpu": "2"}), pod(requests={"cpu": "500m"}, affinity=PREFER_GAP)])
    assert chosen == ["node-000", "node-110"]


def test_every_node_scored_at_100_percent():
    snapshot = ClusterSnapshot(_cluster(), Profile())
    chosen = _decide(snapshot, [pod(requests={"cpu": "2"}), pod(requests={"cpu": "500m"}, affinity=PREFER_GAP)])
    assert chosen == ["node-000", "node-100"]


def test_nodes_a_prefilter_result_leaves_out_do_not_move_the_start():
    # The first pod may only go to two named nodes: upstream searches those two, so the start
    # moves by 2 (not by all 120 nodes, which would leave it where it was). The next pod then
    # finds its 100 feasible nodes from node-002, and the gap nodes are among them only then.
    cluster = [replace(n, labels={**n.labels, "gap": "no"}) for n in _cluster()]
    cluster[101] = replace(cluster[101], labels={**cluster[101].labels, "gap": "yes"})  # 1 cpu, preferred
    named = affinity(node_required=[node_term(fields=[req("metadata.name", "In", name)])
                                    for name in ("node-000", "node-001")])
    snapshot = ClusterSnapshot(cluster, Profile(percentage_of_nodes_to_score=50))
    chosen = _decide(snapshot, [pod(requests={"cpu": "100m"}, affinity=named),
                                pod(requests={"cpu": "100m"}, affinity=PREFER_GAP)])
    assert chosen == ["node-000", "node-101"]
