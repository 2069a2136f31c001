"""`kubesched trace openb` on small CSVs: the arrival protocol, the metric's discretisation,
the command's output and errors, and the sweep on local processes and on a Dask cluster."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from kubesched.cli import main
from kubesched.trace import openb, sweep

pytestmark = pytest.mark.unit

NODES = "sn,cpu_milli,memory_mib,gpu,model\n" + "".join(
    f"n{i},{cpu},{memory},{gpus},{model}\n"
    for i, (cpu, memory, gpus, model) in enumerate([(32000, 131072, 2, "T4"), (96000, 393216, 8, "G2"),
                                                    (16000, 65536, 1, "P100")] * 4))  # 44 GPUs


def pods_csv(count: int = 120) -> str:
    lines = ["name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time"]
    shapes = [(4000, 8192, 1, 500, ""), (8000, 16384, 1, 1000, ""), (2000, 4096, 0, 0, ""),
              (3000, 4096, 1, 250, "T4"), (16000, 32768, 2, 1000, "G2|T4")]
    for i in range(count):
        cpu, memory, gpus, milli, spec = shapes[i % len(shapes)]
        lines.append(f"pod-{i:03d},{cpu},{memory},{gpus},{milli},{spec},LS,Running,{i},,{i}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def trace_files(tmp_path):
    nodes = tmp_path / "nodes.csv"
    nodes.write_text(NODES)
    pods = tmp_path / "openb_pod_list_tiny.csv"
    pods.write_text(pods_csv())
    return nodes, pods


def test_arrivals_top_up_and_trim(trace_files):
    _, pods = trace_files
    rows = openb.read_pod_rows(pods)
    capacity = 80 * 1000
    low = sum(r.gpu_milli for r in rows)
    queue = openb.arrivals(rows, 42, capacity, 1.3)
    total = sum(r.gpu_milli for r in queue)
    assert low < 1.3 * capacity and total <= 1.3 * capacity and len(queue) > len(rows)
    assert sorted(r.name for r in queue[:len(rows)]) == [r.name for r in rows]  # the trace, shuffled, first
    trimmed = openb.arrivals(rows, 42, capacity, 0.5)
    assert sum(r.gpu_milli for r in trimmed) <= 0.5 * capacity < sum(r.gpu_milli for r in rows)
    assert openb.arrivals(rows, 42, capacity, 1.3) == queue  # the seed decides
    assert openb.arrivals(rows, 43, capacity, 1.3) != queue


def test_metric_takes_the_mean_at_each_rounded_arrival_point():
    arrived = np.array([0.4, 0.6, 1.4, 3.0])
    values = np.array([1.0, 2.0, 3.0, 4.0])
    points = openb.at_arrival_points(arrived, values)
    assert len(points) == 131
    assert points[0] == 1.0 and points[1] == 2.5 and points[2] == 3.0  # 2: nothing rounds to it; 1 to 3 do
    assert points[3] == 4.0 and points[4] == 4.0 and points[5] is None


def test_trace_command_writes_the_run(trace_files, tmp_path):
    nodes, pods = trace_files
    out = tmp_path / "run.json"
    result = CliRunner().invoke(main, ["trace", "openb", "--pods", str(pods), "--nodes", str(nodes), "--policy", "FGD",
                                       "--seed", "7", "--output-file", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    run = json.loads(out.read_text())
    assert run["trace"] == "tiny" and run["policy"] == "FGD" and run["seed"] == 7
    assert len(run["allocation"]) == len(run["fragmentation_ratio"]) == len(run["fragmentation_amount"]) == 131
    assert 0 < run["allocation"][100] <= 100 and run["seconds"] > 0
    assert run["placed"] <= run["pods"]


@pytest.mark.parametrize("args, message", [
    (["--policy", "Best"], "unknown policy 'Best'"),
    (["--seed", "x"], "expected a seed"),
    (["--pods", "missing.csv"], "missing.csv: --pods: no such file"),
])
def test_trace_command_refuses_bad_input(trace_files, args, message):
    nodes, pods = trace_files
    arguments = ["trace", "openb", "--nodes", str(nodes)] + (["--pods", str(pods)] if "--pods" not in args else []) + args
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 2
    assert message in result.output


def test_sweep_matches_single_runs_locally_and_on_dask(trace_files):
    nodes, pods = trace_files
    jobs = sweep.jobs_for([pods], nodes, ["FGD", "BestFit", "Random"], [1, 2], 1.3)
    local = sweep.run_local(jobs, workers=1, progress=False)
    assert len(local) == 6
    single = openb.run(pods, nodes, "Random", 2).to_json()
    by_key = {(r["policy"], r["seed"]): r for r in local}
    assert by_key[("Random", 2)]["allocation"] == single["allocation"]

    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        remote = sweep.run_dask(jobs, cluster, progress=False)
    assert [(r["policy"], r["seed"], r["allocation"]) for r in remote] == \
        [(r["policy"], r["seed"], r["allocation"]) for r in local]
    summary = sweep.summarize(local)
    assert {row["policy"] for row in summary} == {"FGD", "BestFit", "Random"}
    assert "k130" in summary[0] and summary[0]["seeds"] == [1, 2]


def test_sweep_command_writes_summary_table_and_figure(trace_files, tmp_path):
    nodes, pods = trace_files
    out, table, figure, runs = (tmp_path / name for name in ("sweep.json", "table.md", "fig.png", "runs.jsonl"))
    result = CliRunner().invoke(main, ["trace", "openb", "--pods", str(pods), "--nodes", str(nodes), "--policy", "all",
                                       "--seed", "1-2", "--workers", "1", "--quiet", "--output-file", str(out), "--table", str(table),
                                       "--plot", str(figure), "--runs", str(runs)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert document["runs"] == 12 and len(document["summary"]) == 6
    assert len(document["curves"]["tiny"]["FGD"]["allocation"]) == 131
    assert table.read_text().startswith("| trace | policy |")
    assert figure.read_bytes()[:4] == b"\x89PNG"
    assert len(runs.read_text().splitlines()) == 12


def test_a_pod_list_without_gpu_pods_cannot_be_topped_up(trace_files, tmp_path):
    nodes, _ = trace_files
    cpu_only = tmp_path / "cpu.csv"
    cpu_only.write_text("name,cpu_milli,memory_mib,num_gpu,gpu_milli\npod-0,1000,1024,0,0\n")
    result = CliRunner().invoke(main, ["trace", "openb", "--nodes", str(nodes), "--pods", str(cpu_only)])
    assert result.exit_code == 2
    assert "no pod of the list asks for a GPU" in result.output
    replayed = CliRunner().invoke(main, ["trace", "openb", "--nodes", str(nodes), "--pods", str(cpu_only),
                                         "--inflation", "0", "--output-file", str(tmp_path / "out.json")])
    assert replayed.exit_code == 0, replayed.output


def test_a_top_up_too_long_to_replay_is_refused():
    rows = [openb.PodRow("p", 1000, 1024, 1, 1, "")]  # one milli-GPU each
    with pytest.raises(openb.InputError, match="would take about"):
        openb.arrivals(rows, 42, 10**9, 1.3)


def test_a_non_utf8_csv_is_bad_input(trace_files, tmp_path):
    nodes, _ = trace_files
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"name,cpu_milli,memory_mib,num_gpu,gpu_milli\np\xff,1,1,0,0\n")
    result = CliRunner().invoke(main, ["trace", "openb", "--nodes", str(nodes), "--pods", str(bad)])
    assert result.exit_code == 2 and "line 2: not valid UTF-8" in result.output


def test_a_node_list_without_gpus_is_bad_input(tmp_path):
    nodes = tmp_path / "nodes.csv"
    nodes.write_text("sn,cpu_milli,memory_mib,gpu,model\nn0,32000,131072,0,T4\n")
    pods = tmp_path / "pods.csv"
    pods.write_text(pods_csv(5))
    result = CliRunner().invoke(main, ["trace", "openb", "--nodes", str(nodes), "--pods", str(pods)])
    assert result.exit_code == 2 and "no GPU in the node list" in result.output


def test_a_chunked_replay_gives_the_same_result(trace_files, monkeypatch):
    import time

    nodes, pods = trace_files
    whole = openb.run(pods, nodes, "FGD", 3)
    monkeypatch.setattr(openb, "REPLAY_CHUNK", 7)
    chunked = openb.run(pods, nodes, "FGD", 3, deadline=time.monotonic() + 3600)
    assert {**chunked.to_json(), "seconds": 0} == {**whole.to_json(), "seconds": 0}


def test_past_the_deadline_the_replay_stops_after_one_chunk(trace_files, monkeypatch, tmp_path):
    nodes, pods = trace_files
    monkeypatch.setattr(openb, "REPLAY_CHUNK", 10)
    result = openb.run(pods, nodes, "FGD", 3, deadline=0.0)  # long past
    assert result.pods == 10 < result.arrivals
    out = tmp_path / "out.json"
    cli = CliRunner().invoke(main, ["trace", "openb", "--nodes", str(nodes), "--pods", str(pods), "--time-limit", "0",
                                    "--output-file", str(out)])
    assert cli.exit_code == 0, cli.output
    assert "--time-limit reached: 10 of" in cli.output
    assert json.loads(out.read_text())["pods"] == 10
    several = CliRunner().invoke(main, ["trace", "openb", "--nodes", str(nodes), "--pods", str(pods),
                                        "--seed", "1,2", "--time-limit", "5"])
    assert several.exit_code == 2 and "applies to a single run" in several.output
