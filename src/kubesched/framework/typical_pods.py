"""FGD's "typical pods": the workload's most popular pod shapes and their popularity.

As the paper's simulator computes them (utils.GetTypicalPods, with its run parameters:
CPU-only pods included, popularity threshold 95%, increase step 1): count the pods per shape
(CPU milli, milli per GPU, GPU count, GPU models), sort the shapes by count (then by shape,
descending), take shapes until they cover 95% of the pods, and renormalise their shares.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from kubesched.model.gpu import gpu_request
from kubesched.model.records import Pod

if TYPE_CHECKING:
    from kubesched.framework.profile import Profile

# Score plugins that measure fragmentation against the typical pods.
FGD_PLUGINS = ("FGDScore", "FGDCapacityScore")
FGD_SELECTIONS = ("FGD", "FGDCapacity")


class TypicalPod(NamedTuple):
    cpu: int  # milli-CPU (the scoring request: a missing request counts as 100m)
    milli: int  # per GPU, 0 without GPU
    count: int
    models: tuple[str, ...]
    weight: float


def uses_typical_pods(profile: Profile) -> bool:
    """Whether the profile scores or picks GPUs against the workload's typical pods."""
    return any(name in profile.weights for name in FGD_PLUGINS) or profile.gpu_select() in FGD_SELECTIONS


def shape_of(pod: Pod) -> tuple[int, int, int, tuple[str, ...]]:
    """(cpu, milli, count, models) of a pod (InputError if its GPU request is malformed)."""
    gpu = gpu_request(pod)
    return pod.spec.nonzero_cpu, gpu.milli, gpu.count, gpu.models


def typical_pods(shapes: Iterable[tuple[int, int, int, tuple[str, ...]]], threshold: int = 95) -> list[TypicalPod]:
    """`shapes`: one (cpu, milli, count, models) per pod of the workload."""
    return typical_of_counts(Counter((cpu, milli if count else 0, count if milli else 0, models if count else ())
                                     for cpu, milli, count, models in shapes), threshold)


def typical_of_counts(counts: Counter, threshold: int = 95) -> list[TypicalPod]:
    """The same from the number of pods of each shape (shapes as `shape_of` gives them)."""
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
