"""Run `plan nodes` on a vector bin packing set and write the table to bench/results/.

    python -m bench.vbp.run --set Panigrahy [--time-limit 2] [--every 5] [--data DIR] [--resume]

Per instance: the node count the planner answers (every placement replayed through the
engine), its own lower bound, the published LB / OPT / best heuristic (`best_overall`),
the gap and the seconds. The search stops early at the published lower bound. Results are
saved every 20 instances, so a long run can be resumed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

from kubesched.framework.profile import default_profile
from kubesched.model.pods import PodParser
from kubesched.plan.daemons import DaemonSets
from kubesched.plan.nodes import plan_nodes

from bench.vbp.instances import SETS, Instance, Known, instances, read_known, vbp_directory

RESULTS = Path(__file__).resolve().parents[1] / "results"
SOURCE = ("Mommessin et al., Classification and evaluation of the algorithms for vector bin packing, "
          "Computers & Operations Research 2024; instances and summaries from Vectorpack/experiments_vector_paper "
          "(MIT licence)")


def solve_instance(instance: Instance, known: Known, time_limit: float, seed: int = 0) -> dict:
    cluster, template = instance.as_cluster()
    start = time.perf_counter()
    plan = plan_nodes(cluster, [template], default_profile(), DaemonSets([], PodParser()), time_limit=time_limit,
                      seed=seed, stop_at=known.lower_bound)
    seconds = time.perf_counter() - start
    count = len(plan.new_nodes)
    reference = known.optimum or known.lower_bound
    return {
        "instance": instance.name,
        "items": len(instance.items),
        "dims": len(instance.capacities),
        "nodes": count,
        "ourLowerBound": plan.result.lower_bound,
        "LB": known.lower_bound,
        "OPT": known.optimum,
        "bestOverall": known.best_overall,
        "gap": round((count - reference) / reference, 6),
        "gapTo": "OPT" if known.optimum else "LB",
        "vsBestOverall": count - known.best_overall,
        "provenOptimal": plan.result.optimal,
        "construction": plan.result.construction,
        "constructionNodes": plan.result.construction_cost,
        "method": plan.result.method,
        "seconds": round(seconds, 3),
        "verified": not plan.unschedulable and plan.repaired == 0,
        "clamped": instance.clamped,
    }


def summarize(rows: list[dict]) -> dict:
    if not rows:
        return {"instances": 0}
    n = len(rows)
    at_best = sum(r["vsBestOverall"] <= 0 for r in rows)
    with_opt = [r for r in rows if r["OPT"]]
    summary = {
        "instances": n,
        "atOrBelowBestOverall": at_best,
        "atOrBelowBestOverallPercent": round(100 * at_best / n, 2),
        "belowBestOverall": sum(r["vsBestOverall"] < 0 for r in rows),
        "aboveBestOverall": [r["instance"] for r in rows if r["vsBestOverall"] > 0],
        "withKnownOptimum": len(with_opt),
        "atOptimum": sum(r["nodes"] == r["OPT"] for r in with_opt),
        "meanGapToOptimumPercent": round(100 * statistics.fmean(r["gap"] for r in with_opt), 3) if with_opt else None,
        "meanGapToOptimumOrLBPercent": round(100 * statistics.fmean(r["gap"] for r in rows), 3),
        "provenOptimal": sum(r["provenOptimal"] for r in rows),
        "allVerifiedByEngine": all(r["verified"] for r in rows),
        "meanSeconds": round(statistics.fmean(r["seconds"] for r in rows), 3),
        "medianSeconds": round(statistics.median(r["seconds"] for r in rows), 3),
        "maxSeconds": max(r["seconds"] for r in rows),
    }
    clamped = [r for r in rows if r["clamped"]]
    if clamped:
        clean = [r for r in with_opt if not r["clamped"]]
        summary["clampedInstances"] = len(clamped)
        summary["meanGapToOptimumUnclampedPercent"] = (
            round(100 * statistics.fmean(r["gap"] for r in clean), 3) if clean else None)
        # On a clamped instance the published optimum may be out of reach; our own lower bound
        # of the instance as solved is a fair reference there.
        summary["meanGapToMaxOfOptimumAndOurBoundPercent"] = round(100 * statistics.fmean(
            (r["nodes"] - max(r["OPT"] or r["LB"], r["ourLowerBound"])) / max(r["OPT"] or r["LB"], r["ourLowerBound"])
            for r in rows), 3)
    return summary


def write(path: Path, command: str, args: argparse.Namespace, rows: list[dict]) -> None:
    document = {
        "benchmark": f"vbp_{args.set}",
        "command": command,
        "source": SOURCE,
        "machine": {"python": platform.python_version(), "processor": platform.machine(), "cpus": os.cpu_count()},
        "date": time.strftime("%Y-%m-%d"),
        "timeLimitSeconds": args.time_limit,
        "selection": f"every {args.every}th instance in archive order" if args.every > 1 else "all instances",
        "summary": summarize(rows),
        "instances": rows,
    }
    path.write_text(json.dumps(document, indent=1) + "\n")
    with open(path.with_suffix(".csv"), "w", newline="") as handle:
        handle.write(f"# {command}\n")
        if rows:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", required=True, choices=SETS)
    parser.add_argument("--data", help="The data directory (default: $KUBESCHED_DATA or ../shared/data).")
    parser.add_argument("--time-limit", type=float, default=2.0, help="Seconds per instance (default 2).")
    parser.add_argument("--every", type=int, default=1, help="Take every k-th instance (default: all).")
    parser.add_argument("--output", help="The JSON file (default: bench/results/vbp_<set>.json); a CSV goes beside.")
    parser.add_argument("--resume", action="store_true", help="Keep the rows already in the output file.")
    args = parser.parse_args(argv)
    directory = vbp_directory(args.data)
    if not directory.is_dir():
        print(f"no vbp data in {directory}: pass --data or set KUBESCHED_DATA", file=sys.stderr)
        return 2
    output = Path(args.output) if args.output else RESULTS / f"vbp_{args.set}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    shown = [a for a in (argv if argv is not None else sys.argv[1:]) if a != "--resume"]
    command = "python -m bench.vbp.run " + " ".join(shown)
    rows: list[dict] = []
    if args.resume and output.exists():
        rows = json.loads(output.read_text())["instances"]
    done = {r["instance"] for r in rows}
    known = read_known(directory, args.set)
    for position, instance in enumerate(instances(directory, args.set)):
        if position % args.every or instance.name in done:
            continue
        row = solve_instance(instance, known[instance.name], args.time_limit)
        rows.append(row)
        print(f"{instance.name}: {row['nodes']} nodes (LB {row['LB']}, OPT {row['OPT']}, best {row['bestOverall']}) "
              f"{row['seconds']} s", file=sys.stderr, flush=True)
        if len(rows) % 20 == 0:
            write(output, command, args, rows)
    write(output, command, args, rows)
    print(json.dumps(summarize(rows), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
