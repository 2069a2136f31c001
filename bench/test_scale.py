"""Scale: the whole `kubesched simulate` command (a child process: wall time and peak RSS)
on 100,000 nodes × 200,000 pods, SchedulingBasic (from JSON and from YAML). Under
`--benchmark-disable` (make test) it runs every shape at 500 nodes and still checks the
answers; `python -m bench.scale` writes the whole table (5k → 20k → 100k nodes, both shapes, upstream's framework beside it)."""

from __future__ import annotations

import pytest

from . import scale

AIM_SECONDS, AIM_BYTES = 15.0, 4 * 2**30


@pytest.mark.slow
@pytest.mark.parametrize("shape, form", [*((shape, "json") for shape in sorted(scale.SHAPES)),
                                         *((shape, "yaml") for shape in scale.YAML_SHAPES)])
def test_simulate_at_scale(benchmark, shape, form, tmp_path, record_result):
    nodes = 500 if benchmark.disabled else 100_000
    if shape == "spreading" and not benchmark.disabled:
        pytest.skip("TopologySpreading at 100,000 nodes takes tens of minutes until its path is incremental; "
                    "python -m bench.scale --shapes spreading --sizes 100000 measures it")
    row = benchmark.pedantic(scale.measure, args=(tmp_path, nodes, shape), kwargs={"with_core": True, "form": form},
                             rounds=1, iterations=1)
    assert row["pods"] == nodes * scale.PODS_PER_NODE  # measure() checked every placement
    if benchmark.disabled:
        return
    row["meets_aim"] = row["simulate_seconds"] < AIM_SECONDS and row["peak_rss_mib"] * 2**20 < AIM_BYTES
    record_result(f"scale_{shape}_{nodes}" if form == "json" else f"scale_{shape}_{form}_{nodes}", row)
