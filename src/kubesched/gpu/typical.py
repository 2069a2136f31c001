"""FGD's "typical pods": the workload's most popular pod shapes and their popularity.

As the paper's simulator computes them (utils.GetTypicalPods, with its run parameters:
CPU-only pods included, popularity threshold 95%, increase step 1): count the pods per shape
(CPU milli, milli per GPU, GPU count, GPU models), sort the shapes by count (then by shape,
descending), take shapes until they cover 95% of the pods, and renormalise their shares.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import NamedTuple


class TypicalPod(NamedTuple):
    cpu: int  # milli-CPU (the scoring request: a missing request counts as 100m)
    milli: int  # per GPU, 0 without GPU
    count: int
    models: tuple[str, ...]
    weight: float


def typical_pods(shapes: Iterable[tuple[int, int, int, tuple[str, ...]]], threshold: int = 95) -> list[TypicalPod]:
    """`shapes`: one (cpu, milli, count, models) per pod of the workload."""
    counts = Counter((cpu, milli if count else 0, count if milli else 0, models if count else ())
                     for cpu, milli, count, models in shapes)
    if not counts:
        return []
    total = float(sum(counts.values()))
    ranked = sorted(counts.items(), key=lambda kv: (kv[1], kv[0][0], kv[0][1], kv[0][2], "|".join(kv[0][3])),
                    reverse=True)
    expected = float(threshold) * total / 100.0
    chosen = 0
    covered = 0.0
    shares: list[float] = []
    while covered < expected and chosen < len(ranked):
        covered += ranked[chosen][1]
        shares.append(ranked[chosen][1] / total)
        chosen += 1
    if chosen < len(ranked):
        shares = [share / (covered / total) for share in shares]
    return [TypicalPod(cpu, milli, count, models, share)
            for ((cpu, milli, count, models), _), share in zip(ranked, shares)]
