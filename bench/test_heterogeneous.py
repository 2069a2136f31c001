"""The heterogeneous workload (bench/heterogeneous.py) at 5000 nodes in memory: pods/s
beside SchedulingBasic's measured in the same run, with its answer checked against the
pure-Python reference on a sample and every placement checked to fit."""

from __future__ import annotations

import statistics

from kubesched.framework.cluster_objects import ClusterObjects
from kubesched.framework.profile import default_profile
from kubesched.model.nodes import parse_node
from kubesched.model.pods import PodParser
from kubesched.engine.cluster import ClusterSnapshot
from tests.perf import load_workload
from tests.reference.reference import ReferenceScheduler

from .heterogeneous import heterogeneous_nodes, heterogeneous_pods
from .test_scheduler_perf import ROUNDS, WORKLOADS_BY_NAME, median_pods_per_second, place_measured, prepare

NODES = 5000
PODS = 5000


def parsed(nodes: int, pods: int):
    parser = PodParser()
    return ([parse_node(n) for n in heterogeneous_nodes(nodes)],
            [parser.parse(p, index=i) for i, p in enumerate(heterogeneous_pods(pods))],
            ClusterObjects(namespaces={"default": {"kubernetes.io/metadata.name": "default"}}))


def test_heterogeneous_workload(benchmark, record_result, request):
    scale = 0.1 if request.config.getoption("benchmark_disable", False) else 1.0
    nodes, pods, objects = parsed(int(NODES * scale), int(PODS * scale))
    assert len({(p.labels["app"], p.spec) for p in pods}) == len(pods), "every pod differs"
    rounds = []

    def run():
        rounds.append(place_measured(nodes, [], pods, objects))

    benchmark.pedantic(run, rounds=1 if scale < 1 else ROUNDS, iterations=1)
    snapshot, _, chosen, _ = rounds[-1]
    allocatable, requested, allowed, pod_count = snapshot.usage()
    assert (requested <= allocatable).all() and (pod_count <= allowed).all()
    assert (chosen >= 0).sum() > 0.9 * len(pods)
    if scale < 1:
        return
    pods_per_second = statistics.median(len(pods) / r[3] for r in rounds)
    basic = median_pods_per_second(*prepare(load_workload(WORKLOADS_BY_NAME["scheduling-basic"])))
    record_result("heterogeneous_in_memory", {
        "rounds": ROUNDS, "nodes": len(nodes), "pods": len(pods),
        "classes": snapshot._engine.class_count,
        "placed": int((chosen >= 0).sum()),
        "kubesched_pods_per_second": round(pods_per_second),
        "scheduling_basic_pods_per_second_same_run": round(basic),
        "ratio_to_scheduling_basic": round(pods_per_second / basic, 3),
    })


def test_heterogeneous_workload_matches_reference():
    """250 nodes, the first 40 pods: each lands where the pure-Python reference puts it."""
    nodes, pods, objects = parsed(250, 40)
    snapshot = ClusterSnapshot(nodes, default_profile(), objects=objects)
    reference = ReferenceScheduler(nodes, default_profile(), [], objects)
    for pod, node in zip(pods, snapshot.place(pods).tolist()):
        want = reference.decide(pod)
        got = snapshot.node_names[node] if node >= 0 else None
        assert got == want.node, pod.name
