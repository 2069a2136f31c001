"""GPU sharing's arithmetic for the pure-Python reference (reference.py decides with it):
slow and obvious, written from the FGD paper's simulator apart from src/_core/gpu.cpp.

What a node offers a GPU pod (`GpuNode`), whether the pod's GPUs fit, the raw scores of the
six policies and ours (FGDCapacityScore), the GPU selection a profile implies and the GPUs
chosen inside a node, and the fragmentation measures. The fragmentation amount adds its
terms per fragment type and then the types, as the paper's simulator does, so that its
float result (and FGD's truncated score) is the core's to the last bit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from kubesched.framework.profile import Profile
from kubesched.framework.typical_pods import TypicalPod
from kubesched.model.gpu import MILLI_PER_GPU, GpuRequest

MAX_SPEC_CPU = 128000.0
MAX_SPEC_GPU = 8000.0
MAX_SCORE = 100
MIN_DOT_PRODUCT_SCORE = -2.0**53  # DotProductScore's floor: past it a float no longer holds every integer
GPU_PLUGINS = ("RandomScore", "DotProductScore", "GpuClusteringScore", "GpuPackingScore", "BestFitScore", "FGDScore",
               "FGDCapacityScore")


@dataclass(frozen=True)
class GpuNode:
    """What the GPU policies read of a node."""

    cpu_left: int  # allocatable minus requested milli-CPU
    free: tuple[int, ...]  # milli per GPU
    model: str | None
    kinds: tuple[int, ...] = ()  # per GPU pod on it: 0 shares a GPU, k: k whole GPUs


def model_allowed(model: str | None, models: tuple[str, ...]) -> bool:
    if not models:
        return True
    return model is not None and model in models


def gpus_fit(gpu: GpuRequest, free) -> bool:
    """`gpu.count` GPUs with at least `gpu.milli` free each."""
    return sum(1 for f in free if f >= gpu.milli) >= gpu.count


# -- fragmentation ---------------------------------------------------------------------------

def frag_amount(cpu_left: int, free, model: str | None, typical: list[TypicalPod]) -> float:
    """Idle GPU milli the typical pods cannot use, weighted by their popularity."""
    idle = sum(free)
    buckets = {"q1": 0.0, "q2": 0.0, "q3": 0.0, "q4": 0.0, "xl": 0.0, "xr": 0.0, "na": 0.0}
    for pod in typical:
        if pod.milli == 0:
            kind = "xl" if cpu_left >= pod.cpu else "xr"
        elif not model_allowed(model, pod.models):
            kind = "na"
        elif sum(1 for f in free if f >= pod.milli) >= pod.count:
            kind = "q3" if cpu_left >= pod.cpu else "q4"
        else:
            kind = "q2" if cpu_left >= pod.cpu else "q1"
        if kind == "q3":  # the pod fits: only the GPUs too small for it are lost to it
            small = sum(f for f in free if f < pod.milli)
            buckets["q2"] += pod.weight * small
            buckets["q3"] += pod.weight * (idle - small)
        else:  # the pod cannot run here: every idle milli is lost to it
            buckets[kind] += pod.weight * idle
    total = 0.0
    for kind in ("q1", "q2", "q4", "xl", "xr", "na"):
        total += buckets[kind]
    return total


def capacity_frag_amount(cpu_left: int, free, model: str | None, typical: list[TypicalPod]) -> float:
    """Ours: per typical pod, the idle GPU milli left when as many copies of it as the node's
    CPU and GPUs hold were placed there, weighted by popularity."""
    idle = sum(free)
    total = 0.0
    for pod in typical:
        usable = 0
        if pod.milli and model_allowed(model, pod.models):
            by_cpu = max(0, cpu_left) // pod.cpu if pod.cpu > 0 else 1 << 30
            if pod.count == 1 and pod.milli < MILLI_PER_GPU:
                by_gpu = sum(f // pod.milli for f in free)
            else:
                by_gpu = sum(1 for f in free if f >= pod.milli) // max(pod.count, 1)
            usable = min(by_cpu, by_gpu) * pod.milli * pod.count
        total += pod.weight * (idle - usable)
    return total


def fgd_score(before: float, after: float, scale: float = MAX_SCORE) -> int:
    return int(1.0 / (1.0 + math.exp(-((before - after) / 1000))) * scale)


def take_sorted(free, milli: int, count: int) -> list[int]:
    """The free list after taking `count` GPUs of `milli`, the least free fitting ones first."""
    out = list(free)
    for g in sorted(range(len(free)), key=lambda g: (free[g], g)):
        if count and out[g] >= milli:
            out[g] -= milli
            count -= 1
    return out


def fgd(gpu: GpuRequest, cpu: int, node: GpuNode, typical: list[TypicalPod], capacity: bool = False
        ) -> tuple[int, int]:
    """(FGD's score, the GPU for a pod sharing one: the first best, -1 otherwise)."""
    measure = capacity_frag_amount if capacity else frag_amount
    scale = 50 if capacity else MAX_SCORE
    before = measure(node.cpu_left, node.free, node.model, typical)
    if gpu.shares:
        best, chosen = 0, -1
        for g, free in enumerate(node.free):
            if free < gpu.milli:
                continue
            after = list(node.free)
            after[g] -= gpu.milli
            score = fgd_score(before, measure(node.cpu_left - cpu, after, node.model, typical), scale)
            if chosen < 0 or score > best:
                best, chosen = score, g
        return best, chosen
    after = take_sorted(node.free, gpu.milli, gpu.count)
    return fgd_score(before, measure(node.cpu_left - cpu, after, node.model, typical), scale), -1


# -- the policies' raw scores ----------------------------------------------------------------

def raw_score(plugin: str, gpu: GpuRequest, cpu: int, node: GpuNode, typical: list[TypicalPod]) -> int:
    """The policy's score of a feasible node for a pod of `cpu` (non-zero) milli-CPU."""
    if plugin == "RandomScore":
        return 0  # every feasible node ties: the seeded draw among them is the policy
    if plugin == "DotProductScore":
        if node.cpu_left < cpu:
            return 0
        product = 0.0
        product += (node.cpu_left / MAX_SPEC_CPU) * (cpu / MAX_SPEC_CPU)
        product += (sum(node.free) / MAX_SPEC_GPU) * (gpu.total_milli / MAX_SPEC_GPU)
        return int(max(MAX_SCORE * (1 - product / 2), MIN_DOT_PRODUCT_SCORE))
    if plugin == "BestFitScore":
        score = 0.0
        for free, want, spec in ((node.cpu_left, cpu, MAX_SPEC_CPU), (sum(node.free), gpu.total_milli, MAX_SPEC_GPU)):
            free, want = float(free), float(want)  # the simulator's float64 arithmetic
            if free < want:
                return 0
            score += (free - want) / spec * 0.5
        return int((1.0 - score) * MAX_SCORE)
    if plugin == "GpuClusteringScore":
        if not gpu.count:
            return 0
        kind = 0 if gpu.shares else gpu.count
        kinds = set(node.kinds)
        fill = MAX_SCORE // 4 * (8000 - sum(node.free))
        fill = int(fill / 8000)  # Go's integer division truncates toward zero
        if kind in kinds:
            return fill + (75 if len(kinds) == 1 else 50)
        return fill + (25 if not kinds else 0)
    if plugin == "GpuPackingScore":
        if gpu.milli <= 0:
            return 0
        fully_free = sum(1 for f in node.free if f == MILLI_PER_GPU)
        if fully_free == len(node.free):
            return max(MAX_SCORE // 3 - fully_free, fully_free)
        chosen = [g for g in sorted(range(len(node.free)), key=lambda g: (node.free[g], g))
                  if node.free[g] >= gpu.milli][:gpu.count]
        if len(chosen) < gpu.count:
            return 0
        whole = sum(1 for g in chosen if node.free[g] == MILLI_PER_GPU)
        if whole:
            return max(MAX_SCORE // 2 - whole, MAX_SCORE // 3)
        ratio = sum(node.free[g] * 100 // MILLI_PER_GPU for g in chosen)
        return max(MAX_SCORE - ratio // 10, MAX_SCORE // 2)
    if plugin == "FGDScore":
        return fgd(gpu, cpu, node, typical)[0]
    if plugin == "FGDCapacityScore":
        return fgd(gpu, cpu, node, typical, capacity=True)[0]
    raise ValueError(plugin)


def min_max_normalize(scores: list[int]) -> list[int]:
    """BestFitScore's NormalizeScore over the feasible nodes."""
    if not scores:
        return []
    low, high = min(scores), max(scores)
    return [0 if high == low else (s - low) * MAX_SCORE // (high - low) for s in scores]


# -- the GPUs inside the chosen node ---------------------------------------------------------

def gpu_selection(profile: Profile) -> str:
    """How a pod sharing a GPU gets its GPU in the chosen node: as asked, else as the FGD
    simulator does, by the heaviest GPU score plugin (the first of equally heavy ones)."""
    if profile.gpu_selection:
        return profile.gpu_selection
    heaviest, name = 0, ""
    for plugin, weight in profile.weights.items():
        if plugin in GPU_PLUGINS and weight > heaviest:
            heaviest, name = weight, plugin
    return {"FGDScore": "FGD", "FGDCapacityScore": "FGDCapacity", "RandomScore": "Random"}.get(name, "Best")


def drawable_gpus(gpu: GpuRequest, node: GpuNode) -> tuple[int, ...]:
    """The GPUs the Random selection may draw for a pod sharing one: every fitting GPU."""
    return tuple(g for g, f in enumerate(node.free) if f >= gpu.milli)


def choose_gpus(selection: str, gpu: GpuRequest, cpu: int, node: GpuNode, typical: list[TypicalPod]
                ) -> tuple[int, ...]:
    """The GPUs the pod takes on the node, in index order; none when they do not fit (a bound
    pod counted where its GPUs are not free takes none). Random without a draw: the first
    fitting GPU."""
    if not gpu.count or not gpus_fit(gpu, node.free):
        return ()
    if not gpu.shares:  # whole GPUs: the lowest-numbered free ones
        return tuple([g for g, f in enumerate(node.free) if f == MILLI_PER_GPU][:gpu.count])
    fitting = drawable_gpus(gpu, node)
    if selection in ("FGD", "FGDCapacity"):
        return (fgd(gpu, cpu, node, typical, capacity=selection == "FGDCapacity")[1],)
    if selection == "Best":
        return (min(fitting, key=lambda g: (node.free[g], g)),)
    if selection == "Worst":
        return (min(fitting, key=lambda g: (-node.free[g], g)),)
    return (fitting[0],)
