"""Scale: the whole `kubesched simulate` command on 5k → 20k → 100k nodes (2 pods per node),
SchedulingBasic, TopologySpreading and default-constraints spreading (pods a Service selects,
spread by PodTopologySpread's system defaults over zone and hostname) shapes — wall time, CPU time and peak RSS of the
command, beside the core's own decision time on the same input and upstream's framework
(hack/oracle `--bench`, kube-scheduler's own code in memory) at a size it can handle.

    python -m bench.scale                       # every size; writes bench/results/scale.json and scale.png
    python -m bench.scale --sizes 5000 --shapes basic
    python -m bench.scale --keep-oracle         # upstream's rows from the last scale.json, not run again

Inputs are JSON Lists, as the generators write them; SchedulingBasic is read from
multi-document YAML too (YAML_SHAPES), the form people write by hand, to show what YAML costs.

Each command runs in a child process of its own, started from a parent that never holds a
big input or answer (a child's peak RSS starts at its parent's RSS at fork), so that its
peak RSS is its own; inputs are written, answers checked (every pod placed, on the nodes the
shape allows) and the core timed in child processes too."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson
import yaml

from tests.perf import DEFAULT_CONSTRAINTS_SERVICE, ZONE, as_list, perf_node, workload_pods

RESULTS = Path(__file__).parent / "results"
SIZES = {"basic": (5_000, 20_000, 100_000), "spreading": (5_000, 20_000, 100_000),
         "default-spreading": (5_000, 20_000, 100_000)}
PODS_PER_NODE = 2
SHAPES = {"basic": ("default", 0), "spreading": ("topology-spreading", 3),  # pod template, zones
          "default-spreading": ("default-constraints", 3)}
YAML_SHAPES = ("basic",)  # also measured from YAML inputs
ORACLE_SIZE = (5_000, 300)  # nodes, pods: upstream decides ~100 pods/s at 5,000 nodes
MAX_SKEW = 5
COMMAND = [sys.executable, "-m", "kubesched"]


def write_inputs(directory: Path, nodes: int, pods: int, shape: str, form: str = "json") -> tuple[Path, Path]:
    """The shape's node and pod files: a JSON List each, or (form "yaml") multi-document YAML."""
    template, zones = SHAPES[shape]
    node_file = directory / f"nodes-{nodes}-{zones}.{form}"
    if not node_file.exists():
        _write(node_file, [perf_node(i, zones=zones) for i in range(nodes)])
    pod_file = directory / f"pods-{shape}-{pods}.{form}"
    if not pod_file.exists():
        services = [DEFAULT_CONSTRAINTS_SERVICE] if template == "default-constraints" else []
        _write(pod_file, services + workload_pods(template, pods, prefix="pod"))
    return node_file, pod_file


def _write(path: Path, objects: list[dict]) -> None:
    if path.suffix == ".json":
        path.write_bytes(orjson.dumps(as_list(objects)))
    else:
        with path.open("w", encoding="utf-8") as handle:
            yaml.dump_all(objects, handle, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False)


def best_of(rounds: int, *paths: Path, out: Path) -> dict:
    """`run_simulate`'s round of least CPU (other work on a shared machine only adds to it)."""
    return min((run_simulate(*paths, out=out) for _ in range(rounds)), key=lambda run: run["cpu_seconds"])


def run_simulate(*paths: Path, out: Path) -> dict:
    """The command in a child process: wall and CPU seconds, peak RSS (bytes); its answer is in `out`."""
    argv = [*COMMAND, "simulate", "--output-file", str(out)]
    for path in paths:
        argv += ["-f", str(path)]
    started = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    stderr = child.stderr.read().decode()
    child.stderr.close()
    if child.returncode != 0:
        raise RuntimeError(f"simulate exited {child.returncode}: {stderr.strip()}")
    return {"wall_seconds": wall, "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "peak_rss_bytes": usage.ru_maxrss * 1024}


def core_seconds(*paths: Path, rounds: int = 1) -> tuple[float, float]:
    """The core's decision time alone (`schedule_queue` on the pods' classes), in-process:
    wall and CPU seconds of the round of least CPU, each round on a snapshot of its own."""
    import numpy as np

    from kubesched.framework.cluster_objects import ClusterObjects
    from kubesched.framework.profile import default_profile
    from kubesched.model.cluster import read_cluster
    from kubesched.engine.queue_order import queue_order
    from kubesched.engine.cluster import ClusterSnapshot

    cluster = read_cluster([str(p) for p in paths])
    pods = queue_order(cluster.pending_pods)
    timings = []
    for _ in range(rounds):
        snapshot = ClusterSnapshot(cluster.nodes, default_profile(), objects=ClusterObjects.of(cluster))
        classes = np.fromiter((snapshot.class_of(p) for p in pods), dtype=np.int32, count=len(pods))
        started, cpu = time.perf_counter(), time.process_time()
        chosen = snapshot._engine.schedule_queue(classes)
        timings.append((time.perf_counter() - started, time.process_time() - cpu))
        assert (chosen >= 0).all()
    return min(timings, key=lambda timing: timing[1])


def check_answer(answer: dict, nodes: int, pods: int, shape: str) -> None:
    """Every pod placed, at most 110 per node; spreading: zone skew within maxSkew."""
    placements = answer["placements"]
    assert len(placements) == pods and all(p["node"] for p in placements), "every pod is placed"
    per_node: dict[str, int] = {}
    for p in placements:
        per_node[p["node"]] = per_node.get(p["node"], 0) + 1
    assert max(per_node.values()) <= 110
    if shape == "basic":  # least allocated on identical nodes: the pods spread evenly
        assert max(per_node.values()) - min(per_node.values(), default=0) <= 1 and len(per_node) == min(nodes, pods)
    else:
        zones = [0, 0, 0]
        for name, count in per_node.items():
            zones[int(name.rsplit("-", 1)[1]) % 3] += count
        assert max(zones) - min(zones) <= MAX_SKEW, f"zone skew {zones}"


def _in_child(*args: str) -> object:
    """This module's `--child` entry in a fresh process (see the module's docstring)."""
    completed = subprocess.run([sys.executable, "-m", "bench.scale", "--child", *args], capture_output=True,
                               text=True, check=True, cwd=Path(__file__).parents[1])
    return json.loads(completed.stdout)


def measure(directory: Path, nodes: int, shape: str, *, pods: int | None = None, with_core: bool = True,
            form: str = "json", rounds: int = 1) -> dict:
    """One row; each command is run `rounds` times, its round of least CPU kept."""
    pods = nodes * PODS_PER_NODE if pods is None else pods
    node_file, pod_file = map(Path, _in_child("write", str(directory), str(nodes), str(pods), shape, form))
    empty = directory / f"empty.{form}"
    _write(empty, [])
    load = os.getloadavg()[0]
    run = best_of(rounds, node_file, pod_file, out=directory / "out.json")
    _in_child("check", str(directory / "out.json"), str(nodes), str(pods), shape)  # the answer stays out of here
    without_pods = best_of(rounds, node_file, empty, out=directory / "out0.json")
    row = {"shape": shape, "input": form, "nodes": nodes, "pods": pods, "rounds": rounds,
           "load_average": round((load + os.getloadavg()[0]) / 2, 2),
           "simulate_seconds": round(run["wall_seconds"], 3), "simulate_cpu_seconds": round(run["cpu_seconds"], 3),
           "peak_rss_mib": round(run["peak_rss_bytes"] / 2**20, 1),
           "simulate_cpu_seconds_0_pods": round(without_pods["cpu_seconds"], 3)}
    if with_core:
        core, core_cpu = _in_child("core", str(rounds), str(node_file), str(pod_file))
        marginal = run["cpu_seconds"] - without_pods["cpu_seconds"]
        row.update({"core_decision_seconds": round(core, 3), "core_decision_cpu_seconds": round(core_cpu, 3),
                    "marginal_cpu_seconds": round(marginal, 3),
                    "marginal_over_core": round(marginal / core_cpu, 2) if core_cpu > 0 else None})
    return row


def oracle_row(directory: Path, shape: str, nodes: int = ORACLE_SIZE[0], pods: int = ORACLE_SIZE[1]) -> dict:
    """Upstream's framework on the same kind of input (its decisions alone, as it reports them)."""
    from tests.differential.oracle import ensure_built

    template, zones = SHAPES[shape]
    scenario = directory / f"oracle-{shape}-{nodes}-{pods}.json"
    objects = [perf_node(i, zones=zones) for i in range(nodes)] + workload_pods(template, pods, prefix="pod")
    if template == "default-constraints":
        objects.append(DEFAULT_CONSTRAINTS_SERVICE)
    scenario.write_bytes(orjson.dumps({"objects": objects, "config": None}))
    completed = subprocess.run([str(ensure_built()), "--bench", str(scenario)], capture_output=True, text=True,
                               check=True)
    result = json.loads(completed.stdout)
    return {"shape": shape, "nodes": nodes, "pods": pods, "upstream_decision_seconds": round(result["seconds"], 3),
            "upstream_pods_per_second": round(result["pods_per_second"], 1)}


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (seconds, memory) = plt.subplots(1, 2, figsize=(10, 4))
    for shape, form in _series(rows):
        mine = sorted((r for r in rows if r["shape"] == shape and r.get("input", "json") == form),
                      key=lambda r: r["nodes"])
        if form != "json":
            shape = f"{shape} ({form})"
        nodes = [r["nodes"] for r in mine]
        seconds.loglog(nodes, [r["simulate_seconds"] for r in mine], "o-", label=f"{shape}: whole command, wall")
        seconds.loglog(nodes, [r["simulate_cpu_seconds"] for r in mine], "o:", label=f"{shape}: whole command, CPU")
        if all("core_decision_cpu_seconds" in r for r in mine):
            seconds.loglog(nodes, [r["core_decision_cpu_seconds"] for r in mine], "s--",
                           label=f"{shape}: core decisions, CPU")
        memory.loglog(nodes, [r["peak_rss_mib"] for r in mine], "o-", label=shape)
    for axis, title, unit in ((seconds, "kubesched simulate, 2 pods per node", "seconds"),
                              (memory, "peak RSS of the command", "MiB")):
        axis.set_xlabel("nodes")
        axis.set_ylabel(unit)
        axis.set_title(title)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def _series(rows: list[dict]) -> list[tuple[str, str]]:
    """(shape, input form) of the rows, in their order."""
    return list(dict.fromkeys((r["shape"], r.get("input", "json")) for r in rows))


def table(rows: list[dict], upstream: list[dict]) -> str:
    lines = ["| shape | input | nodes | pods | whole command, wall (s) | its CPU (s) | CPU without the pods (s) |"
             " peak RSS (MiB) | core decisions, CPU (s) | marginal CPU / core CPU | load (1 min, mean of start and end) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['shape']} | {r.get('input', 'json')} | {r['nodes']:,} | {r['pods']:,} | {r['simulate_seconds']} | "
                     f"{r['simulate_cpu_seconds']} | {r['simulate_cpu_seconds_0_pods']} | {r['peak_rss_mib']} | "
                     f"{r.get('core_decision_cpu_seconds', '-')} | {r.get('marginal_over_core', '-')} | "
                     f"{r.get('load_average', '-')} |")
    for u in upstream:
        lines.append(f"| {u['shape']}: upstream's framework (hack/oracle --bench) | json | {u['nodes']:,} | {u['pods']:,} | "
                     f"- | - | - | - | {u['upstream_decision_seconds']} (wall; {u['upstream_pods_per_second']} "
                     f"pods/s; kubesched's core: {u.get('kubesched_core_pods_per_second', '-')} pods/s, "
                     f"{u.get('kubesched_over_upstream', '-')}×{_kept(u)}) | - | - |")
    return "\n".join(lines)


def _kept(upstream: dict) -> str:
    return f"; upstream measured {upstream['measured']}" if upstream.get("measured") else ""


def child(args: list[str]) -> None:
    if args[0] == "write":
        directory, nodes, pods, shape, form = args[1:]
        print(json.dumps([str(p) for p in write_inputs(Path(directory), int(nodes), int(pods), shape, form)]))
    elif args[0] == "check":
        out, nodes, pods, shape = args[1:]
        check_answer(orjson.loads(Path(out).read_bytes()), int(nodes), int(pods), shape)
        print("null")
    else:
        print(json.dumps(core_seconds(*map(Path, args[2:]), rounds=int(args[1]))))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        child(argv[1:])
        return 0
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", help="node counts (default: per shape, see SIZES)")
    parser.add_argument("--shapes", nargs="+", choices=sorted(SHAPES), default=list(SHAPES))
    parser.add_argument("--forms", nargs="+", choices=("json", "yaml"), default=["json", "yaml"],
                        help="input forms (yaml: only the shapes in YAML_SHAPES)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each command; the one of least CPU is kept")
    parser.add_argument("--no-oracle", action="store_true", help="leave out upstream's framework")
    parser.add_argument("--keep-oracle", action="store_true",
                        help="upstream's rows as the last --output has them (minutes each), not run again")
    parser.add_argument("--output", default=str(RESULTS / "scale.json"))
    args = parser.parse_args(argv)
    output = Path(args.output)
    kept = {}
    if args.keep_oracle:  # each row says when it was measured
        last = json.loads(output.read_text())
        kept = {u["shape"]: {"measured": last["date"], **u} for u in last["upstream"]}
    rows, upstream = [], []
    with tempfile.TemporaryDirectory(prefix="kubesched-scale-") as scratch:
        for shape in args.shapes:
            for form in args.forms:
                if form != "json" and shape not in YAML_SHAPES:
                    continue
                for nodes in args.sizes or SIZES[shape]:
                    rows.append(measure(Path(scratch), nodes, shape, form=form, rounds=args.rounds))
                    print(json.dumps(rows[-1]), file=sys.stderr)
            if args.keep_oracle and shape in kept:
                upstream.append({k: v for k, v in kept[shape].items() if not k.startswith("kubesched_")})
            elif not args.no_oracle:
                upstream.append(oracle_row(Path(scratch), shape))
            if upstream and upstream[-1]["shape"] == shape:
                same = next((r for r in rows if r["shape"] == shape and r["nodes"] == upstream[-1]["nodes"]
                             and r.get("input", "json") == "json" and r.get("core_decision_seconds")), None)
                if same is not None:  # the core's pods/s at the same node count, measured in this run
                    mine = same["pods"] / same["core_decision_seconds"]
                    upstream[-1].update({"kubesched_core_pods_per_second": round(mine),
                                         "kubesched_over_upstream": round(mine / upstream[-1]["upstream_pods_per_second"])})
                print(json.dumps(upstream[-1]), file=sys.stderr)
    output.parent.mkdir(parents=True, exist_ok=True)
    document = {"benchmark": "scale", "command": " ".join(["python -m bench.scale", *argv]),
                "machine": {"python": platform.python_version(), "processor": platform.machine(),
                            "cpus": os.cpu_count()},
                "date": time.strftime("%Y-%m-%d"), "pods_per_node": PODS_PER_NODE, "rows": rows,
                "upstream": upstream}
    output.write_text(json.dumps(document, indent=2) + "\n")
    output.with_suffix(".md").write_text(table(rows, upstream) + "\n")
    plot(rows, output.with_suffix(".png"))
    print(table(rows, upstream))
    return 0


if __name__ == "__main__":
    sys.exit(main())
