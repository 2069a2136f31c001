"""scheduler_perf workloads in memory: pods/s of the measured pods (decided after the
initial pods are placed), next to upstream's recorded floors (live, on its CI hardware),
to the numpy resources-only baseline and to SchedulingBasic, both measured in the same
run. Every shape must reach at least a third of SchedulingBasic's pods/s (medians of
three rounds each)."""

from __future__ import annotations

import statistics
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from kubesched.framework.pod_class import ClusterObjects
from kubesched.framework.profile import default_profile
from kubesched.model.nodes import parse_node
from kubesched.model.pods import PodParser
from kubesched.snapshot.cluster import ClusterSnapshot
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
    snapshot, init_chosen, chosen, _ = rounds[-1]
    seconds = statistics.median(r[3] for r in rounds)
    placed = chosen[chosen >= 0]
    assert len(placed) == len(measured), "every measured pod fits in these workloads"
    _check_constraints(workload["name"], snapshot, init + measured, np.concatenate([init_chosen, chosen]))
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


def _check_constraints(name: str, snapshot: ClusterSnapshot, pods: list, chosen: np.ndarray) -> None:
    """The benchmark checks the answer it times: the invariant of the workload's shape, over
    the initial and the measured pods."""
    _, _, _, pod_count = snapshot.engine.usage()
    assert (pod_count <= 110).all()
    nodes = snapshot.nodes
    by_template = {}
    for pod, node in zip(pods, chosen.tolist()):
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
        per_zone = Counter(n.labels.get(ZONE) for n in by_template["blue"])
        assert None not in per_zone and min(per_zone.values()) > 1, "an affine pod is alone in its zone"
    if name == "SchedulingNodeAffinity":
        assert all(n.labels.get(ZONE) in ("zone1", "zone2") for n in by_template["default"])


SAMPLE_SCALE = 0.05  # 250 nodes: small enough for the pure-Python reference
SAMPLE_PODS = 25


@pytest.mark.parametrize("path", WORKLOADS, ids=[p.stem for p in WORKLOADS])
def test_scheduler_perf_workload_matches_reference(path):
    """The first measured pods of each workload, decided by the core after the initial
    pods, land where the pure-Python reference puts them."""
    nodes, init, measured, objects = prepare(load_workload(path, scale=SAMPLE_SCALE))
    measured = measured[:SAMPLE_PODS]
    snapshot = ClusterSnapshot(nodes, default_profile(), objects=objects)
    init_chosen = snapshot.place(init)
    chosen = snapshot.place(measured)
    bound = [replace(pod, node_name=snapshot.node_names[node]) for pod, node in zip(init, init_chosen.tolist())]
    reference = ReferenceScheduler(nodes, default_profile(), bound, objects)
    for pod, node in zip(measured, chosen.tolist()):
        want = reference.decide(pod)
        assert (snapshot.node_names[node] if node >= 0 else None) == want.node, pod.name
