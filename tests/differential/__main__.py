"""`python -m tests.differential`: many seeds into a tally of divergence classes, or one
scenario file replayed (what `make conformance` runs).

    python -m tests.differential --seeds 0-999 [--exclude known|FAMILY,...] [--examples N]
    python -m tests.differential --scenario out/differential/seed-17.json

Exit status: 0 when everything agrees, 1 on a divergence, 2 on bad arguments.
`KUBESCHED_DIFF_EXCLUDE` is read when --exclude is not given.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from .harness import Tally, check, check_seed, parse_seeds
from .scenarios import FAMILIES, FAMILIES_HELP, KNOWN_DIVERGENT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.differential", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="families: " + "; ".join(f"{k}: {v}" for k, v in FAMILIES_HELP.items()))
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--seeds", help="a range 0-999, a list 3,17,42, or both")
    source.add_argument("--scenario", help="a scenario JSON file to replay")
    parser.add_argument("--exclude", default=os.environ.get("KUBESCHED_DIFF_EXCLUDE", ""),
                        help="families left out of generation, comma-separated; 'known' for the known divergences")
    parser.add_argument("--examples", type=int, default=1, help="divergences printed per class (default 1)")
    parser.add_argument("--quiet", action="store_true", help="no progress line per seed")
    args = parser.parse_args(argv)

    if args.scenario:
        try:
            with open(args.scenario) as handle:
                scenario = json.load(handle)
        except (OSError, ValueError) as e:
            print(f"{args.scenario}: {e}", file=sys.stderr)
            return 2
        outcome = check(scenario)
        if outcome.divergence is None:
            print(f"{args.scenario}: kubesched and upstream agree on {outcome.pods} pods")
            return 0
        outcome.divergence.scenario_file = args.scenario
        print(outcome.divergence)
        return 1

    try:
        seeds = parse_seeds(args.seeds)
        exclude = _families(args.exclude)
    except ValueError as e:
        print(f"--seeds/--exclude: {e}", file=sys.stderr)
        return 2
    tally = Tally()
    for seed in seeds:
        outcome = check_seed(seed, exclude)
        tally.add(outcome)
        if not args.quiet:
            verdict = outcome.divergence.divergence_class if outcome.divergence else "agree"
            print(f"seed {seed}: {verdict}", file=sys.stderr, flush=True)
    if exclude:
        print(f"families left out: {', '.join(sorted(exclude))}")
    print(tally.render(args.examples))
    return 0 if tally.agree == tally.total else 1


def _families(text: str) -> frozenset[str]:
    names: set[str] = set()
    for name in (n.strip() for n in text.split(",")):
        if name == "known":
            names.update(KNOWN_DIVERGENT)
        elif name:
            if name not in FAMILIES:
                raise ValueError(f"unknown family {name!r}; known: known, {', '.join(FAMILIES)}")
            names.add(name)
    return frozenset(names)


if __name__ == "__main__":
    sys.exit(main())
