"""One scenario through both deciders and the comparison; many seeds into a tally."""

from __future__ import annotations

import json
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .compare import Divergence, first_divergence
from .ours import run_ours
from .preemption_scenarios import generate_preemption
from .preemption_dra_scenarios import generate_preemption_dra
from .scenarios import FAMILIES, KNOWN_DIVERGENT, features, generate, generate_replicas, generate_without_nodes

REPO = Path(__file__).resolve().parents[2]
FAILURES = REPO / "out" / "differential"
TEST_SEEDS = range(0, 200)  # the seeds `make test` runs (test_differential.py)
# The families with a scenario of their own per seed, checked after the seed's scenario.
# A generator may have no scenario (None) for a seed.
OWN_SCENARIOS = (("preemption", generate_preemption), ("replicas", generate_replicas),
                 ("preemption-dra", generate_preemption_dra), ("no-nodes", generate_without_nodes))


@dataclass
class Outcome:
    divergence: Divergence | None
    rejected: int  # objects the API server refuses, left out of the decided scenario
    pods: int
    oracle_seconds: float
    ours_seconds: float
    families: frozenset[str] = frozenset()  # the FAMILIES the scenario contains


def check(scenario: dict, seed: int | None = None, save_as: str | None = None) -> Outcome:
    """Decide `scenario` both ways; on a divergence the scenario is written to FAILURES/`save_as`."""
    from .oracle import OracleError, run_oracle  # builds the oracle on first use

    start = time.perf_counter()
    try:
        upstream = run_oracle(scenario)
    except OracleError as e:  # the oracle's own failure: the scenario is kept to look into it
        divergence = Divergence(None, None, "oracle", "error", None, str(e).splitlines()[0][:300], seed)
        if save_as:
            divergence.scenario_file = str(save(scenario, save_as))
        return Outcome(divergence, 0, 0, time.perf_counter() - start, 0.0)
    middle = time.perf_counter()
    ours = run_ours(scenario, upstream.get("rejected", []))
    end = time.perf_counter()
    divergence = first_divergence(ours, upstream, seed)
    if divergence is not None and save_as:
        divergence.scenario_file = str(save(scenario, save_as))
    return Outcome(divergence, len(upstream.get("rejected", [])), len(upstream["pods"]), middle - start, end - middle,
                   frozenset(features(scenario)) & frozenset(FAMILIES))


def check_seed(seed: int, exclude: frozenset[str] = frozenset()) -> Outcome:
    suffix = ""
    if exclude == frozenset(KNOWN_DIVERGENT):
        suffix = "-without-known"
    elif exclude:  # a short name for the set; the file holds the whole scenario anyway
        suffix = f"-without-{zlib.crc32(','.join(sorted(exclude)).encode()):08x}"
    outcome = check(generate(seed, exclude), seed, f"seed-{seed}{suffix}.json")
    for family, generator in OWN_SCENARIOS:
        if outcome.divergence is not None:
            break
        scenario = None if family in exclude else generator(seed)
        if scenario is None:
            continue
        extra = check(scenario, seed, f"seed-{seed}-{family}.json")
        outcome = Outcome(extra.divergence, outcome.rejected + extra.rejected, outcome.pods + extra.pods,
                          outcome.oracle_seconds + extra.oracle_seconds, outcome.ours_seconds + extra.ours_seconds,
                          outcome.families | {family})
    return outcome


def save(scenario: dict, name: str) -> Path:
    FAILURES.mkdir(parents=True, exist_ok=True)
    path = FAILURES / name
    path.write_text(json.dumps(scenario, indent=1))
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


@dataclass
class Tally:
    agree: int = 0
    classes: Counter = field(default_factory=Counter)
    examples: dict[str, list[Divergence]] = field(default_factory=dict)
    suspects: dict[str, frozenset[str]] = field(default_factory=dict)  # families every scenario of a class has
    rejected: int = 0
    pods: int = 0
    oracle_seconds: float = 0.0
    ours_seconds: float = 0.0

    def add(self, outcome: Outcome) -> None:
        self.rejected += outcome.rejected
        self.pods += outcome.pods
        self.oracle_seconds += outcome.oracle_seconds
        self.ours_seconds += outcome.ours_seconds
        d = outcome.divergence
        if d is None:
            self.agree += 1
        else:
            self.classes[d.divergence_class] += 1
            self.examples.setdefault(d.divergence_class, []).append(d)
            self.suspects[d.divergence_class] = self.suspects.get(d.divergence_class, outcome.families) & outcome.families

    @property
    def total(self) -> int:
        return self.agree + sum(self.classes.values())

    def render(self, examples: int = 1) -> str:
        n = max(self.total, 1)
        lines = [f"{self.total} scenarios ({self.pods} pending pods decided, {self.rejected} invalid objects "
                 f"left out as the API server refuses them): {self.agree} agree, {self.total - self.agree} diverge",
                 f"time per scenario: oracle {self.oracle_seconds / n:.3f}s, kubesched {self.ours_seconds / n:.3f}s"]
        if self.classes:
            lines.append("first divergence per scenario, by class (plugin/field):")
            for name, count in self.classes.most_common():
                seeds = [str(d.seed) for d in self.examples[name]]
                lines.append(f"  {count:>5}  {name:<48} seeds {', '.join(seeds[:8])}{' ...' if len(seeds) > 8 else ''}")
                lines.append(f"         in every one of these scenarios: {', '.join(sorted(self.suspects[name])) or '-'}")
                for d in self.examples[name][:examples]:
                    lines.extend("         " + line for line in str(d).splitlines())
        return "\n".join(lines)


def parse_seeds(text: str) -> list[int]:
    """`0-999`, `3,17,42` or a mix (`0-9,100`)."""
    seeds: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        low, dash, high = part.partition("-")
        if dash:
            if int(high) < int(low):
                raise ValueError(f"empty seed range {part!r}")
            seeds.extend(range(int(low), int(high) + 1))
        else:
            seeds.append(int(part))
    return seeds
