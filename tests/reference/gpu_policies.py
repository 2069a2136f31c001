"""The pure-Python reference of GPU sharing: slow and obvious, for the tests to check the core
(src/_core/gpu.cpp) decision by decision on pods that ask for CPU, memory and GPUs.

It covers what the trace needs: NodeResourcesFit (pod count and requests), the GPU fit,
the allowed GPU models, the six policies' scores and ours (FGDCapacityScore) (BestFit min-max normalised, the others
raw), weighted and summed, the first best node in node order (the core's deterministic
mode), and the GPU choice inside the node. The fragmentation amount adds its terms per
fragment type and then the types, as the paper's simulator does, so that its float result
(and FGD's truncated score) is the core's to the last bit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from kubesched.framework.profile import Profile
from kubesched.framework.typical_pods import TypicalPod
from kubesched.model.gpu import GPU_MODEL_LABEL, GPU_RESOURCE, MILLI_PER_GPU, GpuRequest, gpu_request
from kubesched.model.records import Node, Pod

MAX_SPEC_CPU = 128000.0
MAX_SPEC_GPU = 8000.0
MAX_SCORE = 100
GPU_PLUGINS = ("RandomScore", "DotProductScore", "GpuClusteringScore", "GpuPackingScore", "BestFitScore", "FGDScore",
               "FGDCapacityScore")


@dataclass
class GpuNode:
    node: Node
    free: list[int]  # milli per GPU
    requested: dict[str, int] = field(default_factory=dict)
    pods: int = 0
    kinds: list[int] = field(default_factory=list)  # per GPU pod: 0 shares a GPU, k: k whole GPUs

    @property
    def model(self) -> str | None:
        return self.node.labels.get(GPU_MODEL_LABEL)

    @property
    def cpu_left(self) -> int:
        return self.node.allocatable.get("cpu", 0) - self.requested.get("cpu", 0)


def model_allowed(model: str | None, models: tuple[str, ...]) -> bool:
    if not models:
        return True
    return model is not None and model in models


# -- fragmentation ---------------------------------------------------------------------------

def frag_amount(cpu_left: int, free: list[int], model: str | None, typical: list[TypicalPod]) -> float:
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


def capacity_frag_amount(cpu_left: int, free: list[int], model: str | None, typical: list[TypicalPod]) -> float:
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


def take_sorted(free: list[int], milli: int, count: int) -> list[int]:
    """The free list after taking `count` GPUs of `milli`, the least free fitting ones first."""
    out = list(free)
    for g in sorted(range(len(free)), key=lambda g: (free[g], g)):
        if count and out[g] >= milli:
            out[g] -= milli
            count -= 1
    return out


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


class GpuReference:
    def __init__(self, nodes: list[Node], profile: Profile, typical: list[TypicalPod] = ()):
        self.nodes = [GpuNode(n, [MILLI_PER_GPU] * n.allocatable.get(GPU_RESOURCE, 0)) for n in nodes]
        self.weights = {name: w for name, w in profile.weights.items() if w}
        unknown = set(self.weights) - set(GPU_PLUGINS)
        if unknown:
            raise ValueError(f"the GPU reference knows only the GPU score plugins, not {sorted(unknown)}")
        self.select = gpu_selection(profile)
        self.typical = list(typical)

    # -- filters -----------------------------------------------------------------------------

    def fits(self, pod: Pod, node: GpuNode) -> bool:
        gpu = gpu_request(pod)
        if node.pods + 1 > node.node.allocatable.get("pods", 0):
            return False
        for name, amount in pod.spec.requests.items():
            if amount > node.node.allocatable.get(name, 0) - node.requested.get(name, 0):
                return False
        if gpu.count:
            if not model_allowed(node.model, gpu.models):
                return False
            if sum(1 for f in node.free if f >= gpu.milli) < gpu.count:
                return False
        return True

    # -- scores ------------------------------------------------------------------------------

    def raw(self, plugin: str, pod: Pod, node: GpuNode) -> int:
        gpu = gpu_request(pod)
        cpu = pod.spec.nonzero_cpu
        if plugin == "RandomScore":
            return 0
        if plugin == "DotProductScore":
            if node.cpu_left < cpu:
                return 0
            product = 0.0
            product += (node.cpu_left / MAX_SPEC_CPU) * (cpu / MAX_SPEC_CPU)
            product += (sum(node.free) / MAX_SPEC_GPU) * (gpu.total_milli / MAX_SPEC_GPU)
            return int(MAX_SCORE * (1 - product / 2))
        if plugin == "BestFitScore":
            score = 0.0
            for free, want, spec in ((node.cpu_left, cpu, MAX_SPEC_CPU), (sum(node.free), gpu.total_milli, MAX_SPEC_GPU)):
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
            return self.fgd(pod, node)[0]
        if plugin == "FGDCapacityScore":
            return self.fgd(pod, node, capacity=True)[0]
        raise ValueError(plugin)

    def fgd(self, pod: Pod, node: GpuNode, capacity: bool = False) -> tuple[int, int]:
        """(score, GPU for a pod sharing one: the first best, -1 otherwise)."""
        gpu = gpu_request(pod)
        cpu = pod.spec.nonzero_cpu
        measure = capacity_frag_amount if capacity else frag_amount
        scale = 50 if capacity else MAX_SCORE
        before = measure(node.cpu_left, node.free, node.model, self.typical)
        if gpu.shares:
            best, chosen = 0, -1
            for g, free in enumerate(node.free):
                if free < gpu.milli:
                    continue
                after = list(node.free)
                after[g] -= gpu.milli
                score = fgd_score(before, measure(node.cpu_left - cpu, after, node.model, self.typical), scale)
                if chosen < 0 or score > best:
                    best, chosen = score, g
            return best, chosen
        after = take_sorted(node.free, gpu.milli, gpu.count)
        return fgd_score(before, measure(node.cpu_left - cpu, after, node.model, self.typical), scale), -1

    def totals(self, pod: Pod) -> list[int | None]:
        """Each node's weighted total, None where the pod does not fit."""
        feasible = [i for i, node in enumerate(self.nodes) if self.fits(pod, node)]
        totals: list[int | None] = [None] * len(self.nodes)
        for i in feasible:
            totals[i] = 0
        for plugin, weight in self.weights.items():
            raw = {i: self.raw(plugin, pod, self.nodes[i]) for i in feasible}
            if plugin == "BestFitScore" and raw:
                low, high = min(raw.values()), max(raw.values())
                raw = {i: 0 if high == low else (v - low) * MAX_SCORE // (high - low) for i, v in raw.items()}
            for i in feasible:
                totals[i] += weight * raw[i]
        return totals

    # -- decisions ---------------------------------------------------------------------------

    def gpus_for(self, pod: Pod, node: GpuNode) -> tuple[int, ...]:
        gpu = gpu_request(pod)
        if not gpu.count:
            return ()
        if not gpu.shares:
            return tuple([g for g, f in enumerate(node.free) if f == MILLI_PER_GPU][:gpu.count])
        fitting = [g for g, f in enumerate(node.free) if f >= gpu.milli]
        if self.select in ("FGD", "FGDCapacity"):
            return (self.fgd(pod, node, capacity=self.select == "FGDCapacity")[1],)
        if self.select == "Best":
            return (min(fitting, key=lambda g: (node.free[g], g)),)
        if self.select == "Worst":
            return (min(fitting, key=lambda g: (-node.free[g], g)),)
        return (fitting[0],)  # Random, without a random source: the first fitting GPU

    def decide(self, pod: Pod) -> tuple[int, tuple[int, ...]]:
        """The first node with the best total and the GPUs the pod takes there; (-1, ())."""
        totals = self.totals(pod)
        best = max((t for t in totals if t is not None), default=None)
        if best is None:
            return -1, ()
        index = totals.index(best)
        gpus = self.gpus_for(pod, self.nodes[index])
        self.place(pod, index, gpus)
        return index, gpus

    def place(self, pod: Pod, index: int, gpus: tuple[int, ...]) -> None:
        node = self.nodes[index]
        gpu: GpuRequest = gpu_request(pod)
        for name, amount in pod.spec.requests.items():
            node.requested[name] = node.requested.get(name, 0) + amount
        node.pods += 1
        for g in gpus:
            node.free[g] -= gpu.milli
        if gpu.count:
            node.kinds.append(0 if gpu.shares else gpu.count)

    def remove(self, pod: Pod, index: int, gpus: tuple[int, ...]) -> None:
        """The pod placed on node `index` with these GPUs leaves it."""
        node = self.nodes[index]
        gpu: GpuRequest = gpu_request(pod)
        for name, amount in pod.spec.requests.items():
            node.requested[name] -= amount
        node.pods -= 1
        for g in gpus:
            node.free[g] += gpu.milli
        if gpu.count:
            node.kinds.remove(0 if gpu.shares else gpu.count)

    def frag(self, index: int) -> float:
        node = self.nodes[index]
        return frag_amount(node.cpu_left, node.free, node.model, self.typical)
