"""`kubesched trace`: replay cluster traces through the engine (the FGD paper's protocol)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click
import orjson

from kubesched.cli.output import Output, output_options
from kubesched.cli.options import MAX_SEED, FiniteFloat, command_started
from kubesched.errors import InputError
from kubesched.trace import openb
from kubesched.trace.policies import PAPER_POLICIES, POLICIES
from kubesched.trace.published import TRACES


@click.group()
def trace() -> None:
    """Replay cluster traces in memory and measure the placements."""


MAX_INFLATION = 100.0  # arrivals are topped up to this multiple of the GPU capacity, pod by pod
MAX_SEEDS = 10_000


def _seeds(values: tuple[str, ...]) -> list[int]:
    seeds: list[int] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            try:
                if "-" in part[1:]:
                    low, high = part.split("-", 1) if not part.startswith("-") else part[1:].split("-", 1)
                    if int(high) - int(low) >= MAX_SEEDS:
                        raise ValueError(part)
                    seeds.extend(range(int(low), int(high) + 1))
                elif part:
                    seeds.append(int(part))
            except ValueError:
                raise InputError(f"expected a seed, a list 42,43 or a range 42-51, got {value!r}",
                                 field="--seed") from None
        if any(not 0 <= s <= MAX_SEED for s in seeds) or len(seeds) > MAX_SEEDS:
            raise InputError(f"seeds must be between 0 and {MAX_SEED}, at most {MAX_SEEDS} of them, got {value!r}",
                             field="--seed")
    return seeds or [42]


def _policies(values: tuple[str, ...]) -> list[str]:
    policies: list[str] = []
    for value in values or ("FGD",):
        for name in value.split(","):
            name = name.strip()
            if name == "all":
                policies.extend(PAPER_POLICIES)
            elif name not in POLICIES:
                raise InputError(f"unknown policy {name!r}; one of {', '.join(POLICIES)} or all", field="--policy")
            else:
                policies.append(name)
    return list(dict.fromkeys(policies))


def _pods(pods: tuple[str, ...], traces: tuple[str, ...], data_dir: str) -> list[Path]:
    paths = [Path(p) for p in pods]
    for value in traces:
        for name in value.split(","):
            name = name.strip()
            if name == "all":
                paths.extend(openb.trace_path(t, data_dir) for t in TRACES)
            elif name:
                paths.append(openb.trace_path(name, data_dir))
    if not paths:
        paths = [openb.trace_path("default", data_dir)]
    for path in paths:
        if not path.is_file():
            raise InputError("no such file", file=str(path), field="--pods")
    return list(dict.fromkeys(paths))


@trace.command()
@click.option("--pods", "pods", multiple=True, type=click.Path(dir_okay=False),
              help="A pod list CSV (openb_pod_list_*.csv). Repeatable.")
@click.option("--trace", "traces", multiple=True,
              help="A trace by name (default, cpu050, ... or all): <data-dir>/openb_pod_list_NAME.csv. Repeatable.")
@click.option("--nodes", "nodes", type=click.Path(dir_okay=False), default=None,
              help="The node list CSV [default: <data-dir>/openb_node_list_gpu_node.csv].")
@click.option("--data-dir", default=str(openb.DATA_DIR), show_default=True,
              help="Where the openb CSVs are (relative to the working directory).")
@click.option("--policy", "policy", multiple=True,
              help=f"{', '.join(POLICIES)} or all (the paper's six). Repeatable or comma-separated [default: FGD].")
@click.option("--seed", "seed", multiple=True, help="A seed, a list 42,43 or a range 42-51 [default: 42].")
@click.option("--inflation", type=FiniteFloat(min=0, max=MAX_INFLATION), default=1.3, show_default=True,
              help="Arrivals topped up (or trimmed) to this multiple of the cluster's GPU capacity.")
@output_options
@click.option("--sweep", is_flag=True, help="Run every (trace, policy, seed) combination in parallel.")
@click.option("--workers", type=int, default=None, help="Sweep: local worker processes [default: CPU count].")
@click.option("--scheduler", default=None,
              help="Sweep: run on the Dask cluster at this address (tcp://host:8786) instead of local processes.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False),
              help="Sweep: draw GPU allocation vs arrived load per policy to this PNG.")
@click.option("--table", "table_path", type=click.Path(dir_okay=False),
              help="Sweep: write the summary table (markdown) here.")
@click.option("--runs", "runs_path", type=click.Path(dir_okay=False),
              help="Sweep: write every run's result here, one JSON per line.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--time-limit", type=FiniteFloat(min=0), default=None,
              help="One run: seconds for the whole command; past it the replay stops and the result covers the "
                   "pods replayed so far (pods < arrivals).")
def openb_command(pods, traces, nodes, data_dir, policy, seed, inflation, out: Output, sweep, workers, scheduler,
                  plot_path, table_path, runs_path, quiet, time_limit) -> None:
    """Replay the Alibaba openb GPU trace as in the FGD paper (USENIX ATC'23).

    Pods only arrive, shuffled per seed and topped up to --inflation x the cluster's GPU
    capacity; each is placed by the policy or skipped. The result holds, for k = 0..130 %
    of capacity arrived, the GPU allocation %, the fragmentation ratio % and amount (GPUs).

    With several traces, policies or seeds (or --sweep), the runs go to local processes (or
    a Dask cluster, --scheduler) and the result is the summary against the paper's means,
    the mean curves, and optionally the table, the figure and every run."""
    started = command_started()  # --time-limit covers the whole command
    paths = _pods(pods, traces, data_dir)
    nodes_csv = Path(nodes) if nodes else Path(data_dir) / openb.NODES_CSV
    if not nodes_csv.is_file():
        raise InputError("no such file", file=str(nodes_csv), field="--nodes")
    policies, seeds = _policies(policy), _seeds(seed)
    single = not sweep and len(paths) == 1 and len(policies) == 1 and len(seeds) == 1
    if time_limit is not None and not single:
        raise InputError("applies to a single run (one trace, policy and seed, no --sweep)", field="--time-limit")
    if single:
        deadline = None if time_limit is None else started + time_limit
        result = openb.run(paths[0], nodes_csv, policies[0], seeds[0], inflation, deadline=deadline)
        if result.pods < result.arrivals:
            click.echo(f"kubesched: warning: --time-limit reached: {result.pods} of {result.arrivals} arrivals "
                       "replayed", err=True)
        out.emit(result.to_json(), names=lambda: [f"run/{result.trace}/{result.policy}/{result.seed}"],
                 table=lambda: (f"{result.trace} {result.policy} seed {result.seed}: {result.pods} pods, "
                                f"{result.placed} placed; GPU allocation {result.allocation[100]}% at 100% arrived, "
                                f"{result.allocation[130]}% at 130%; {result.seconds:.2f} s"))
        return
    from kubesched.trace import sweep as sweeping

    jobs = sweeping.jobs_for(paths, nodes_csv, policies, seeds, inflation)
    results = sweeping.run_sweep(jobs, workers=workers, scheduler=scheduler, progress=not quiet)
    summary = sweeping.summarize(results)
    document = {"command": "kubesched " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv else "",
                "nodes": str(nodes_csv), "inflation": inflation, "runs": len(results), "summary": summary,
                "order_k100": sweeping.order_check(summary, 100), "order_k130": sweeping.order_check(summary, 130),
                "curves": sweeping.mean_curves(results)}
    if runs_path:
        Path(runs_path).write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in results))
    if table_path:
        Path(table_path).write_text(sweeping.table_markdown(summary) + "\n")
    if plot_path:
        sweeping.plot(results, plot_path)
    out.emit(document, table=lambda: sweeping.table_markdown(summary),
             names=lambda: [f"run/{r['trace']}/{r['policy']}/{r['seed']}" for r in results])


openb_command.name = "openb"
