"""SchedulingBasic in memory: the whole `kubesched simulate` command against a numpy baseline.

5000 nodes (4 CPU, 32Gi, 110 pods) and 10000 pods (100m / 500Mi), default profile. The
command's marginal time (10000 pods minus 0 pods, JSON input, parsing included) must be at
least 10x faster than the baseline's decision loop for the same pods, and both must make
the same decisions."""

from __future__ import annotations

import json

import numpy as np
import orjson
import pytest

from kubesched.cli import main
from tests.perf import as_list, perf_node, perf_pod

from .baseline_numpy import numpy_schedule
from .conftest import median_seconds

NODES = 5000
PODS = 10000


@pytest.fixture(scope="module")
def workload(tmp_path_factory):
    directory = tmp_path_factory.mktemp("scheduling-basic")
    nodes = directory / "nodes.json"
    pods = directory / "pods.json"
    nodes.write_bytes(orjson.dumps(as_list([perf_node(i) for i in range(NODES)])))
    pods.write_bytes(orjson.dumps(as_list([perf_pod(i) for i in range(PODS)])))
    return directory, nodes, pods


def run_simulate(out, *paths) -> None:
    args = ["simulate", "--output-file", str(out)]
    for path in paths:
        args += ["-f", str(path)]
    main(args, standalone_mode=False)


def baseline_inputs():
    allocatable = np.tile(np.array([4000, 32 * 1024**3, 110], dtype=np.int64), (NODES, 1))
    requests = np.tile(np.array([100, 500 * 1024**2], dtype=np.int64), (PODS, 1))
    return allocatable, requests, requests.copy()


def test_scheduling_basic_simulate_vs_numpy(benchmark, workload, record_result, capsys):
    directory, nodes, pods = workload
    out = directory / "out.json"
    benchmark.pedantic(run_simulate, args=(out, nodes, pods), rounds=3, iterations=1)
    placements = json.loads(out.read_text())["placements"]
    assert len(placements) == PODS

    baseline = {}
    baseline_seconds = median_seconds(lambda: baseline.update(chosen=numpy_schedule(*baseline_inputs())), repeats=1)
    expected = [f"node-{n}" for n in baseline["chosen"]]
    assert [p["node"] for p in placements] == expected  # the same decisions, pod by pod

    if benchmark.disabled:
        return
    empty = directory / "empty.json"
    empty.write_bytes(orjson.dumps(as_list([])))
    full_seconds = benchmark.stats.stats.median
    empty_seconds = median_seconds(lambda: run_simulate(directory / "out0.json", nodes, empty))
    marginal = full_seconds - empty_seconds
    ratio = baseline_seconds / marginal
    capsys.readouterr()
    record_result("scheduling_basic", {
        "nodes": NODES, "pods": PODS,
        "simulate_seconds_10000_pods": round(full_seconds, 4),
        "simulate_seconds_0_pods": round(empty_seconds, 4),
        "marginal_seconds": round(marginal, 4),
        "kubesched_pods_per_second": round(PODS / marginal),
        "numpy_baseline_seconds": round(baseline_seconds, 4),
        "numpy_baseline_pods_per_second": round(PODS / baseline_seconds),
        "speedup_vs_numpy": round(ratio, 2),
        "target_speedup": 10,
    })
    assert ratio >= 10, f"only {ratio:.1f}x the numpy baseline"
