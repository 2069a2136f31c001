"""The FGD paper's trace replay (`kubesched trace openb`): one run timed, its answer checked
against the paper's published mean; the six policies on one seed, checked for the paper's
numbers and order. The full table (8 traces x 6 policies x 10 seeds):

    kubesched trace openb --trace all --policy all --seed 42-51 --sweep \\
        --output-file bench/results/openb_fgd.json --table bench/results/openb_fgd.md --plot bench/results/openb_fgd.png

Data: the Alibaba openb trace (cluster-trace-gpu-v2023, via hkust-adsl/kubernetes-scheduler-
simulator, Apache-2.0), read from $KUBESCHED_DATA/openb or ../shared/data/openb beside the
repository."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kubesched.trace import openb
from kubesched.trace.published import ALLOCATION

from ..conftest import median_seconds

REPOSITORY = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("KUBESCHED_DATA") or REPOSITORY.parent / "shared" / "data") / "openb"
PODS = DATA / "openb_pod_list_default.csv"
NODES = DATA / openb.NODES_CSV

pytestmark = pytest.mark.skipif(not PODS.is_file(), reason=f"the openb trace is not in {DATA} (set KUBESCHED_DATA)")


@pytest.fixture(scope="module")
def inputs():
    return openb.Cluster.read(NODES), openb.read_pod_rows(PODS)


def test_fgd_run(benchmark, inputs, record_result):
    """One FGD run (~10,800 pods on 1,213 nodes): time it; its allocation must be the paper's."""
    cluster, rows = inputs
    result = {}
    benchmark.pedantic(lambda: result.update(run=openb.run(PODS, NODES, "FGD", 42, 1.3, cluster, rows)),
                       rounds=3, iterations=1)
    run = result["run"]
    published = ALLOCATION["default"]["FGD"]
    assert abs(run.allocation[100] - published[0]) < 1.0
    assert abs(run.allocation[130] - published[1]) < 1.0
    best_fit = median_seconds(lambda: openb.run(PODS, NODES, "BestFit", 42, 1.3, cluster, rows), repeats=1)
    fgd = median_seconds(lambda: openb.run(PODS, NODES, "FGD", 42, 1.3, cluster, rows), repeats=3)
    record_result("openb_fgd_run", {
        "pods": run.pods, "nodes": len(cluster.nodes), "fgd_seconds_median": round(fgd, 3),
        "bestfit_seconds": round(best_fit, 3), "fgd_over_bestfit": round(fgd / best_fit, 2),
        "paper_simulator_seconds_per_run": 600, "allocation_k100": run.allocation[100],
        "allocation_k130": run.allocation[130]})


@pytest.mark.slow
def test_six_policies_one_seed(inputs):
    cluster, rows = inputs
    ours = {policy: openb.run(PODS, NODES, policy, 42, 1.3, cluster, rows) for policy in ALLOCATION["default"]}
    for policy, run in ours.items():
        published = ALLOCATION["default"][policy]
        assert abs(run.allocation[130] - published[1]) < 1.5, policy  # one seed: wider than the mean's 1.0
    assert ours["FGD"].allocation[130] > ours["BestFit"].allocation[130] > ours["GpuPacking"].allocation[130]
    assert min(run.allocation[130] for run in ours.values()) == ours["Random"].allocation[130]
