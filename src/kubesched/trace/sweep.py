"""Many (trace, policy, seed) replays in parallel — local processes, or a Dask cluster — and
their summary against the paper's table, and the figure (allocation vs arrived load)."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from kubesched.errors import InputError
from kubesched.progress import Progress
from kubesched.trace import openb
from kubesched.trace.published import ALLOCATION, POLICY_ORDER


@dataclass(frozen=True)
class Job:
    pods_csv: str
    nodes_csv: str
    policy: str
    seed: int
    inflation: float = 1.3


_CACHE: dict[str, object] = {}


def run_job(job: Job) -> dict:
    """One replay (in a worker: the parsed cluster and trace are kept for its next jobs)."""
    cluster = _CACHE.get(job.nodes_csv)
    if cluster is None:
        cluster = _CACHE[job.nodes_csv] = openb.Cluster.read(job.nodes_csv)
    rows = _CACHE.get(job.pods_csv)
    if rows is None:
        rows = _CACHE[job.pods_csv] = openb.read_pod_rows(job.pods_csv)
    return openb.run(job.pods_csv, job.nodes_csv, job.policy, job.seed, job.inflation, cluster, rows).to_json()


def jobs_for(pods_csvs: Iterable[str], nodes_csv: str, policies: Iterable[str], seeds: Iterable[int],
             inflation: float) -> list[Job]:
    return [Job(str(p), str(nodes_csv), policy, seed, inflation)
            for p in pods_csvs for policy in policies for seed in seeds]


def _progress(total: int, enabled: bool) -> Progress:
    """A bar on a terminal; in a log, a line every 30 s with the runs done and the time left."""
    return Progress(total, "runs", enabled=enabled)


def run_local(jobs: list[Job], workers: int | None = None, progress: bool = True) -> list[dict]:
    workers = workers or max(1, (os.cpu_count() or 1))
    bar = _progress(len(jobs), progress)
    results = []
    try:
        if workers == 1:
            for job in jobs:
                results.append(run_job(job))
                bar.advance()
        else:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                futures = [pool.submit(run_job, job) for job in jobs]
                for future in as_completed(futures):
                    results.append(future.result())
                    bar.advance()
    finally:
        bar.close()
    return _ordered(results)


def run_dask(jobs: list[Job], scheduler: str | object, progress: bool = True) -> list[dict]:
    """On a Dask cluster: `scheduler` is its address (tcp://host:8786) or a distributed
    Client / LocalCluster. The workers need kubesched installed and the CSVs at the paths."""
    try:
        from distributed import Client, as_completed as dask_completed
    except ImportError:
        raise InputError("running on a Dask cluster needs the 'trace' extra: pip install 'kubesched[trace]'",
                         field="--scheduler") from None

    own = not isinstance(scheduler, Client)  # an address or a cluster: our client, closed here
    client = Client(scheduler) if own else scheduler
    bar = _progress(len(jobs), progress)
    results = []
    try:
        futures = client.map(run_job, jobs, pure=False)
        for future in dask_completed(futures):
            results.append(future.result())
            bar.advance()
    finally:
        bar.close()
        if own:
            client.close()
    return _ordered(results)


def _ordered(results: list[dict]) -> list[dict]:
    rank = {p: i for i, p in enumerate(POLICY_ORDER)}
    return sorted(results, key=lambda r: (r["trace"], rank.get(r["policy"], 99), r["policy"], r["seed"]))


# -- summary ---------------------------------------------------------------------------------

def _mean(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return round(sum(values) / len(values), 2) if values else None


def _std(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    if len(values) < 2:
        return None
    mean = sum(values) / len(values)
    return round(math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1)), 2)


def _by_trace_and_policy(results: list[dict]) -> dict[tuple[str, str], list[dict]]:
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in results:
        groups.setdefault((r["trace"], r["policy"]), []).append(r)
    return groups


def summarize(results: list[dict], ks: tuple[int, ...] = (100, 130)) -> list[dict]:
    """Per (trace, policy): the mean (and std) over seeds of the allocation at each k, the
    published mean and the difference, and the median run time."""
    rows = []
    for (trace, policy), runs in _by_trace_and_policy(results).items():
        row = {"trace": trace, "policy": policy, "seeds": sorted(r["seed"] for r in runs)}
        published = ALLOCATION.get(trace, {}).get(policy)
        for k in ks:
            values = [r["allocation"][k] for r in runs]
            row[f"k{k}"] = _mean(values)
            row[f"k{k}_std"] = _std(values)
            if published and k in (100, 130):
                row[f"k{k}_published"] = published[0 if k == 100 else 1]
                row[f"k{k}_delta"] = round(row[f"k{k}"] - row[f"k{k}_published"], 2) if row[f"k{k}"] is not None else None
        seconds = sorted(r["seconds"] for r in runs)
        row["seconds_median"] = seconds[len(seconds) // 2]
        rows.append(row)
    rank = {p: i for i, p in enumerate(POLICY_ORDER)}
    return sorted(rows, key=lambda r: (r["trace"], rank.get(r["policy"], 99), r["policy"]))


def mean_curves(results: list[dict]) -> dict[str, dict[str, dict[str, list]]]:
    """trace -> policy -> metric -> the mean over seeds at k = 0..130."""
    out: dict[str, dict[str, dict[str, list]]] = {}
    for (trace, policy), runs in sorted(_by_trace_and_policy(results).items()):
        out.setdefault(trace, {})[policy] = {
            metric: [_mean([r[metric][k] for r in runs]) for k in openb.KS]
            for metric in ("allocation", "fragmentation_ratio", "fragmentation_amount")}
    return out


def order_check(summary: list[dict], k: int) -> dict[str, dict]:
    """Per trace: our policies ranked by mean allocation at k, and the published ranking."""
    out = {}
    for trace in sorted({r["trace"] for r in summary}):
        ours = {r["policy"]: r[f"k{k}"] for r in summary if r["trace"] == trace and r["policy"] in POLICY_ORDER}
        published = {p: v[0 if k == 100 else 1] for p, v in ALLOCATION.get(trace, {}).items() if p in ours}
        if not published:
            continue
        ranked = sorted(ours, key=lambda p: ours[p])
        expected = sorted(published, key=lambda p: published[p])
        out[trace] = {"ours": ranked, "published": expected, "same": ranked == expected}
    return out


def table_markdown(summary: list[dict]) -> str:
    lines = ["| trace | policy | k=100 ours | published | delta | k=130 ours | published | delta | s/run |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in summary:
        def cell(key):
            value = r.get(key)
            return "" if value is None else f"{value:.2f}"
        lines.append(f"| {r['trace']} | {r['policy']} | {cell('k100')} ± {cell('k100_std')} | {cell('k100_published')} "
                     f"| {cell('k100_delta')} | {cell('k130')} ± {cell('k130_std')} | {cell('k130_published')} "
                     f"| {cell('k130_delta')} | {r['seconds_median']:.2f} |")
    return "\n".join(lines)


# -- figure ----------------------------------------------------------------------------------

def plot(results: list[dict], path: str | Path, title: str = "") -> None:
    """GPU allocation % vs arrived GPU requests % (mean over seeds), one line per policy,
    one panel per trace — the paper's Fig. 7/9 style."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    traces = sorted({r["trace"] for r in results}, key=lambda t: (t != "default", t))
    columns = min(4, len(traces))
    rows = math.ceil(len(traces) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.4 * rows), squeeze=False)
    rank = {p: i for i, p in enumerate(POLICY_ORDER)}
    for index, trace in enumerate(traces):
        axis = axes[index // columns][index % columns]
        policies = sorted({r["policy"] for r in results if r["trace"] == trace}, key=lambda p: (rank.get(p, 99), p))
        for policy in policies:
            runs = [r for r in results if r["trace"] == trace and r["policy"] == policy]
            xs, ys = [], []
            for k in openb.KS:
                values = [r["allocation"][k] for r in runs if r["allocation"][k] is not None]
                if values:
                    xs.append(k)
                    ys.append(sum(values) / len(values))
            axis.plot(xs, ys, label=policy, linewidth=1.2)
        axis.plot([0, 100], [0, 100], color="grey", linewidth=0.6, linestyle=":")
        axis.set_title(trace)
        axis.set_xlim(50, 130)
        axis.set_ylim(50, 100)
        axis.set_xlabel("arrived GPU requests (% of capacity)")
        axis.set_ylabel("GPU allocation (%)")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7, loc="lower right")
    for index in range(len(traces), rows * columns):
        axes[index // columns][index % columns].axis("off")
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=130)
    plt.close(figure)


def run_sweep(jobs: list[Job], workers: int | None = None, scheduler: str | None = None,
              progress: bool = True) -> list[dict]:
    if scheduler:
        return run_dask(jobs, scheduler, progress)
    return run_local(jobs, workers, progress)
