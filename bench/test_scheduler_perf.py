"""scheduler_perf workloads in memory: pods/s of the measured pods (decided after the
initial pods are placed), next to upstream's recorded floors (live, on its CI hardware),
to the numpy resources-only baseline and to SchedulingBasic, both measured in the same
run. Every shape must reach at least a third of SchedulingBasic's pods/s (medians of
three rounds each)."""

from __future__ import annotations

import statistics
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from kubesched.framework.cluster_objects import ClusterObjects
from kubesched.framework.profile import default_profile
from kubesched.model.nodes import parse_node
from kubesched.model.pods import PodParser
from kubesched.engine.cluster import ClusterSnapshot
from tests.perf import ZONE, load_workload
from tests.reference.reference import ReferenceScheduler

from .baseline_numpy import numpy_schedule

WORKLOADS = sorted((Path(__file__).parent / "workloads").glob("*.yaml"))
RESULTS: dict[str, dict] = {}
ROUNDS = 3
MIN_RATIO_TO_BASIC = 1 / 3


def numpy_pods_per_second(nodes: int, pods: int = 1000) -> float:
    allocatable = np.tile(np.array([4000, 32 * 1024**3, 110], dtype=np.int64), (nodes, 1))
    requests = np.tile(np.array([100, 500 * 1024**2], dtype=np.int64), (pods, 1))
    start = time.perf_counter()
    numpy_schedule(allocatable, requests, requests.copy())
    return pods / (time.perf_counter() - start)


def prepare(workload: dict):
    parser = PodParser()
    nodes = [parse_node(n) for n in workload["nodes"]]
    init = [parser.parse(p, index=i) for i, p in enumerate(workload["init_pods"])]
    measured = [parser.parse(p, index=i) for i, p in enumerate(workload["measure_pods"])]
    namespaces = {n: {"kubernetes.io/metadata.name": n} for n in ("default", "sched-0", "sched-1")}
    return nodes, init, measured, ClusterObjects(namespaces=namespaces, services=workload["services"])


def place_measured(nodes, init, measured, objects):
    """A fresh snapshot, the initial pods placed, then the measured pods timed."""
    snapshot = ClusterSnapshot(nodes, default_profile(), objects=objects)
    init_chosen = snapshot.place(init)
    assert (init_chosen >= 0).all()
    start = time.perf_counter()
    chosen = snapshot.place(measured)
    return snapshot, init_chosen, chosen, time.perf_counter() - start


def median_pods_per_second(nodes, init, measured, objects, rounds: int = ROUNDS) -> float:
    return statistics.median(len(measured) / place_measured(nodes, init, measured, objects)[3] for _ in range(rounds))


@pytest.fixture(scope="module")
def basic_pods_per_second(request) -> float:
    """SchedulingBasic's pods/s in this run, the yardstick of every other shape."""
    scale = 0.1 if request.config.getoption("benchmark_disable", False) else 1.0
    return median_pods_per_second(*prepare(load_workload(WORKLOADS_BY_NAME["scheduling-basic"], scale=scale)))


WORKLOADS_BY_NAME = {p.stem: p for p in WORKLOADS}


@pytest.mark.parametrize("path", WORKLOADS, ids=[p.stem for p in WORKLOADS])
def test_scheduler_perf_workload(benchmark, path, record_result, request, basic_pods_per_second):
    disabled = request.config.getoption("benchmark_disable", False)
    workload = load_workload(path, scale=0.1 if disabled else 1.0)
    nodes, init, measured, objects = prepare(workload)

    rounds = []

    def run():
        rounds.append(place_measured(nodes, init, measured, objects))
        return rounds[-1]

    benchmark.pedantic(run, rounds=1 if disabled else ROUNDS, iterations=1)
    _, init_chosen, chosen, _ = rounds[-1]
    seconds = statistics.median(r[3] for r in rounds)
    check_answer(workload["name"], nodes, init + measured, np.concatenate([init_chosen, chosen]))
    if disabled:
        return
    pods_per_second = len(measured) / seconds
    baseline = numpy_pods_per_second(len(nodes))
    RESULTS[workload["name"]] = {
        "nodes": len(nodes), "init_pods": len(init), "measured_pods": len(measured),
        "kubesched_pods_per_second": round(pods_per_second),
        "upstream_floor_pods_per_second": workload["upstream_floor"],
        "numpy_resources_only_pods_per_second": round(baseline),
        "ratio_to_numpy": round(pods_per_second / baseline, 2),
        "scheduling_basic_pods_per_second_same_run": round(basic_pods_per_second),
        "ratio_to_scheduling_basic": round(pods_per_second / basic_pods_per_second, 3),
    }
    record_result("scheduler_perf_in_memory", {"rounds": ROUNDS, "workloads": RESULTS})
    if workload["name"] == "SchedulingPodAntiAffinity":
        assert pods_per_second >= 3 * baseline
    assert pods_per_second >= MIN_RATIO_TO_BASIC * basic_pods_per_second, (
        f"{workload['name']}: {pods_per_second:.0f} pods/s, below a third of SchedulingBasic's "
        f"{basic_pods_per_second:.0f}")


# Every pod of these workloads requests 100m and 500Mi of a node's 4 CPU, 32Gi and 110 pods.
MOST_PODS_PER_NODE = min(110, 4000 // 100, 32 * 1024 // 500)


def check_answer(name: str, nodes: list, pods: list, chosen: np.ndarray) -> None:
    """The benchmark checks the answer it times, from the workload alone (not from the
    engine's accounting): every pod placed, no node over its resources, and the invariant
    of the workload's shape, over the initial and the measured pods."""
    chosen = chosen.tolist()
    assert min(chosen) >= 0, "a pod of this workload found no node"
    per_node = Counter(chosen)
    assert max(per_node.values()) <= MOST_PODS_PER_NODE, "a node holds more pods than it fits"
    by_template: dict[str, list] = {}
    for pod, node in zip(pods, chosen):
        by_template.setdefault(pod.labels.get("color", pod.labels.get("app", "default")), []).append(nodes[node])
    if name in ("SchedulingPodAntiAffinity", "MixedSchedulingBasePod"):
        green = [n.name for n in by_template.get("green", ())]
        assert green and len(set(green)) == len(green), "two anti-affine pods share a node"
    if name in ("TopologySpreading", "PreferredTopologySpreading", "TopologySpreadingDefaultConstraints"):
        per_zone = Counter(n.labels[ZONE] for n in by_template["web" if "Default" in name else "blue"])
        zones = {n.labels[ZONE] for n in nodes}
        skew = max(per_zone.values()) - min(per_zone.get(z, 0) for z in zones)
        assert skew <= 5, f"zone skew {skew} above maxSkew 5: {dict(per_zone)}"
    if name in ("SchedulingPodAffinity", "MixedSchedulingBasePod"):
        # every node is in zone1: the first blue pod's zone holds them all
        assert {n.labels.get(ZONE) for n in by_template["blue"]} == {"zone1"}, "an affine pod outside its zone"
    if name == "SchedulingNodeAffinity":
        assert all(n.labels.get(ZONE) in ("zone1", "zone2") for n in by_template["default"])


def test_the_answer_checks_reject_a_wrong_answer():
    """check_answer can fail: answers that break each shape's invariant are refused."""
    nodes, init, measured, _ = prepare(load_workload(WORKLOADS_BY_NAME["scheduling-pod-anti-affinity"], scale=0.05))
    pods = init + measured
    chosen = np.arange(len(pods)) % len(nodes)
    check_answer("SchedulingPodAntiAffinity", nodes, pods, chosen)  # one pod a node: right
    chosen[1] = chosen[0]
    with pytest.raises(AssertionError, match="two anti-affine pods share a node"):
        check_answer("SchedulingPodAntiAffinity", nodes, pods, chosen)
    with pytest.raises(AssertionError, match="more pods than it fits"):
        check_answer("SchedulingBasic", nodes, pods, np.zeros(len(pods), dtype=np.int64))
    with pytest.raises(AssertionError, match="found no node"):
        check_answer("SchedulingBasic", nodes, pods, np.full(len(pods), -1))
    nodes, init, measured, _ = prepare(load_workload(WORKLOADS_BY_NAME["topology-spreading"], scale=0.05))
    zone_0 = [i for i, n in enumerate(nodes) if n.labels[ZONE] == "zone-0"]
    chosen = np.array([zone_0[i % len(zone_0)] for i in range(len(init) + len(measured))])
    with pytest.raises(AssertionError, match="zone skew"):
        check_answer("TopologySpreading", nodes, init + measured, chosen)


SAMPLE_SCALE = 0.05  # 250 nodes: small enough for the pure-Python reference
SAMPLE_PODS = 25


@pytest.mark.parametrize("path", WORKLOADS, ids=[p.stem for p in WORKLOADS])
def test_scheduler_perf_workload_matches_reference(path):
    """Each workload's shape on 250 nodes: the initial pods and the first measured ones,
    decided by the core as the benchmark does (two batches), land where the pure-Python
    reference puts them, one by one, and pass the benchmark's answer checks."""
    workload = load_workload(path, scale=SAMPLE_SCALE)
    nodes, init, measured, objects = prepare(workload)
    measured = measured[:SAMPLE_PODS]
    snapshot = ClusterSnapshot(nodes, default_profile(), objects=objects)
    chosen = np.concatenate([snapshot.place(init), snapshot.place(measured)])
    reference = ReferenceScheduler(nodes, default_profile(), [], objects)
    for pod, node in zip(init + measured, chosen.tolist()):
        want = reference.decide(pod)
        assert (snapshot.node_names[node] if node >= 0 else None) == want.node, pod.name
    check_answer(workload["name"], nodes, init + measured, chosen)
