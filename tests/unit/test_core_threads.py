"""The passes over every node (a new pod class, here every pod a class of its own) run over
node blocks on several threads (KUBESCHED_CORE_THREADS): the decisions, and what `explain`
shows, are the same whatever the number of threads."""

from __future__ import annotations

import random

import pytest

from kubesched.framework.cluster_objects import ClusterObjects
from kubesched.framework.profile import default_profile
from kubesched.model.nodes import parse_node
from kubesched.model.pods import PodParser
from kubesched.engine.cluster import ClusterSnapshot
from tests.perf import HOSTNAME, ZONE, perf_node, perf_pod

NODES = 6200  # enough blocks of 2048 nodes for two and three threads


def _cluster(seed: int = 0):
    rng = random.Random(seed)
    nodes = []
    for i in range(NODES):
        node = perf_node(i, cpu=str(rng.choice((1, 2, 4))), memory=f"{rng.choice((2, 4, 8))}Gi", zones=3)
        node["metadata"]["labels"]["disk"] = rng.choice(("ssd", "hdd"))
        if rng.random() < 0.2:
            node["spec"] = {"taints": [{"key": "dedicated", "value": "db", "effect": "NoSchedule"}]}
        nodes.append(parse_node(node))
    parser = PodParser()
    pods = []
    for i in range(120):
        spec: dict = {}
        if rng.random() < 0.4:
            spec["nodeSelector"] = {"disk": "ssd"}
        if rng.random() < 0.3:
            spec["tolerations"] = [{"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}]
        if rng.random() < 0.5:
            spec["topologySpreadConstraints"] = [{
                "maxSkew": rng.randint(1, 3), "topologyKey": rng.choice((ZONE, HOSTNAME)),
                "whenUnsatisfiable": rng.choice(("DoNotSchedule", "ScheduleAnyway")),
                "labelSelector": {"matchLabels": {"app": "a"}}}]
        # large requests: the feasible nodes differ from pod to pod, some pods fit nowhere
        pod = perf_pod(i, cpu=f"{rng.randint(100, 4500)}m", memory=f"{rng.randint(100, 9000)}Mi",
                       labels={"app": "a"}, extra_spec=spec)
        pods.append(parser.parse(pod, index=i))
    return nodes, pods


def _run(nodes, pods):
    snapshot = ClusterSnapshot(nodes, default_profile(), objects=ClusterObjects())
    explained = [snapshot.evaluate(snapshot.class_of(p))["total"] for p in pods[:5]]
    decisions = snapshot.decide_queue(pods)
    return [d.node for d in decisions], explained, [d.message for d in decisions if not d.placed]


@pytest.mark.parametrize("threads", ["2", "3"])
def test_decisions_do_not_depend_on_the_thread_count(monkeypatch, threads):
    nodes, pods = _cluster()
    monkeypatch.setenv("KUBESCHED_CORE_THREADS", "1")
    alone = _run(nodes, pods)
    monkeypatch.setenv("KUBESCHED_CORE_THREADS", threads)
    assert _run(nodes, pods) == alone
    chosen, _, failures = alone
    assert len(set(chosen)) > 10 and None in chosen and failures, "the pods go to many nodes, some fit nowhere"
