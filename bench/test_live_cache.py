"""The live cache's node changes, in place against a rebuilt snapshot: 5000 nodes with a pod
each, one node's label moved to another node (two node updates), then one decision of a pod
that prefers that label. In place (kubesched.live.cache: the node's row rewritten) against the
snapshot marked stale as a node deletion marks it (rebuilt at the decision). Both must choose
the node that now has the label; the ratio is recorded under --benchmark-only."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kubesched.framework.profile import default_profile
from kubesched.live.cache import Cache
from kubesched.model.pods import PodParser
from tests.perf import perf_node, perf_pod

from .conftest import median_seconds

NODES = 5000
ROUNDS = 20
HOT = "example.com/hot"


def hot_node(i: int, hot: bool) -> dict:
    node = perf_node(i, zones=10)
    if hot:
        node["metadata"]["labels"][HOT] = "yes"
    return node


class Cluster:
    """A cache of NODES nodes, a pod bound on each, and the label on one node at a time."""

    def __init__(self):
        # every node scored: upstream's adaptive sampling would look at 10% of 5000
        self.profile = replace(default_profile(), percentage_of_nodes_to_score=100)
        self.cache = Cache(self.profile, seed=1)
        parser = PodParser()
        for i in range(NODES):
            self.cache.set_node(hot_node(i, hot=False))
        for i in range(NODES):
            pod = parser.parse({**perf_pod(i, prefix="bound"), "metadata": {
                "name": f"bound-{i}", "namespace": "default", "uid": f"bound-{i}"}})
            self.cache.confirm(pod.uid, pod, f"node-{i}")
        self.pod = parser.parse(perf_pod(0, prefix="pending", extra_spec={"affinity": {"nodeAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "preference": {
                "matchExpressions": [{"key": HOT, "operator": "In", "values": ["yes"]}]}}]}}}))
        self.hot = 0
        self.cache.set_node(hot_node(0, hot=True))
        self.cache.snapshot_for(self.profile)

    def move_and_decide(self, rebuild: bool) -> tuple[str, str]:
        """Move the label to the next node, decide the pod (undone after): (chosen, hot node)."""
        self.cache.set_node(hot_node(self.hot, hot=False))
        self.hot = (self.hot + 7919) % NODES  # a prime step: the label visits every node
        self.cache.set_node(hot_node(self.hot, hot=True))
        if rebuild:
            self.cache.snapshot = None  # stale, as a node deletion leaves it
        snapshot = self.cache.snapshot_for(self.profile)
        class_id = snapshot.class_of(self.pod)
        chosen = snapshot._engine.schedule(class_id)
        snapshot.forget(class_id, chosen)
        return snapshot.node_names[chosen], f"node-{self.hot}"


@pytest.fixture(scope="module")
def cluster():
    return Cluster()


def test_node_label_change_in_place_vs_rebuild(benchmark, cluster, record_result):
    answers = []
    rebuilds = cluster.cache.rebuilds
    benchmark.pedantic(lambda: answers.append(cluster.move_and_decide(rebuild=False)), rounds=ROUNDS, iterations=1)
    assert cluster.cache.rebuilds == rebuilds  # every round in place
    assert answers and all(chosen == hot for chosen, hot in answers)

    rebuilt = []
    rebuild_seconds = median_seconds(lambda: rebuilt.append(cluster.move_and_decide(rebuild=True)),
                                     repeats=3 if not benchmark.disabled else 1)
    assert cluster.cache.rebuilds == rebuilds + len(rebuilt)
    assert all(chosen == hot for chosen, hot in rebuilt)

    if benchmark.disabled:
        return
    in_place_seconds = benchmark.stats.stats.median
    record_result("live_cache_incremental", {
        "nodes": NODES, "pods_bound": NODES, "rounds_in_place": ROUNDS, "rounds_rebuilt": len(rebuilt),
        "round": "two node label updates, then one decision (a preferred node affinity to the label)",
        "in_place_seconds": round(in_place_seconds, 6),
        "rebuild_seconds": round(rebuild_seconds, 4),
        "rebuild_over_in_place": round(rebuild_seconds / in_place_seconds, 1),
    })
