"""`plan nodes` on vector bin packing instances: a small fixed sample, checked for correctness
(every placement accepted by the engine, never fewer nodes than a valid lower bound, no more
than the best published heuristic) and timed. The whole sets: `python -m bench.vbp.run`.

Data: Mommessin et al. 2024 (Vectorpack/experiments_vector_paper, MIT licence), read from
$KUBESCHED_DATA or ../shared/data beside the repository."""

from __future__ import annotations

import pytest

from bench.vbp.instances import instances, read_known, vbp_directory
from bench.vbp.run import solve_instance, summarize

DIRECTORY = vbp_directory()
TIME_LIMIT = 2.0
# Instances of each kind the sets hold: small and large, items that pair only (class 2, 8),
# triplets (Caprara's and Falkenauer's), and one where the heuristics stay above OPT.
SAMPLE = {
    "Panigrahy": ("class1_20_3_0", "class2_120_3_4", "class3_40_5_1", "class4_250_5_3", "class6_60_10_2",
                  "class8_120_10_9"),
    "New": ("class4_120_3_0",),
    "Triplet": ("classC_60_3_2", "classF_120_5_0", "classC_249_5_1"),
}

pytestmark = pytest.mark.skipif(not (DIRECTORY / "Panigrahy_summary_known.csv").is_file(),
                                reason=f"the vbp benchmark data is not in {DIRECTORY} (set KUBESCHED_DATA)")


def sample_cases():
    return [(set_name, name) for set_name, names in SAMPLE.items() for name in names]


@pytest.fixture(scope="module")
def sample():
    loaded = {}
    for set_name, names in SAMPLE.items():
        known = read_known(DIRECTORY, set_name)
        for instance in instances(DIRECTORY, set_name, set(names)):
            loaded[set_name, instance.name] = (instance, known[instance.name])
    return loaded


@pytest.mark.parametrize("set_name,name", sample_cases())
def test_plan_nodes_on_vbp_instance(set_name, name, sample):
    instance, known = sample[set_name, name]
    row = solve_instance(instance, known, TIME_LIMIT)
    assert row["verified"], "the engine refused a planned placement, or a pod found no node"
    assert row["nodes"] >= max(known.lower_bound, row["ourLowerBound"])
    if known.optimum:
        assert row["ourLowerBound"] <= known.optimum
    assert row["nodes"] <= known.best_overall
    assert row["seconds"] <= TIME_LIMIT + 1.5


def test_vbp_sample_benchmark(benchmark, sample, record_result):
    """The sample's total time; the rows are checked as above."""
    cases = list(sample.values())

    def run():
        return [solve_instance(instance, known, TIME_LIMIT) for instance, known in cases]

    rows = benchmark.pedantic(run, rounds=1, iterations=1)
    summary = summarize(rows)
    assert summary["allVerifiedByEngine"]
    assert summary["atOrBelowBestOverall"] == len(rows)
    assert all(r["nodes"] >= max(r["LB"], r["ourLowerBound"]) for r in rows)
    record_result("vbp_sample", {"timeLimitSeconds": TIME_LIMIT, "summary": summary, "instances": rows})
