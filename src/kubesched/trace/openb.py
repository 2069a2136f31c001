"""Replay of the Alibaba `openb` GPU trace, the FGD paper's protocol (docs: benchmarks.md §2).

The CSVs become Kubernetes objects with kubesched's GPU-sharing names (node allocatable
kubesched.io/gpu and label kubesched.io/gpu-model; pod annotations kubesched.io/gpu-count,
kubesched.io/gpu-milli, kubesched.io/gpu-models), parsed by the model like any manifest, and
one `ClusterSnapshot` decides them — the engine `simulate` uses.

Protocol: pods only arrive. The trace's pods (sorted by name) are shuffled with the seed;
when their GPU requests add up to less than `inflation` x the cluster's GPU capacity, pods
drawn from the trace with replacement are appended until the next one would go beyond it;
when more, pods picked at random are dropped until they fit under it (the simulator's
workload tuning). Pods are decided one by one; a pod that fits nowhere is skipped.

Metric, as the paper's analysis scripts compute it: after each pod, the arrived GPU requests
and the allocated GPU milli, both in % of the capacity; for k = 0..130 the mean allocation
over the pods whose arrived % rounds to k (or, if none, lies within k +- 1).
"""

from __future__ import annotations

import csv
import io
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kubesched.errors import InputError
from kubesched.framework.typical_pods import typical_pods
from kubesched.inputs import read_text
from kubesched.model.gpu import (GPU_COUNT_ANNOTATION, GPU_MILLI_ANNOTATION, GPU_MODEL_LABEL, GPU_MODELS_ANNOTATION,
                                 GPU_RESOURCE, MILLI_PER_GPU)
from kubesched.model.nodes import parse_node
from kubesched.model.pods import PodParser
from kubesched.engine.cluster import ClusterSnapshot
from kubesched.trace.policies import policy_profile

DATA_DIR = Path("..") / "shared" / "data" / "openb"  # relative to the repository root
NODES_CSV = "openb_node_list_gpu_node.csv"
KS = tuple(range(131))  # arrived GPU requests, % of capacity
MAX_PODS_PER_NODE = 110


def trace_path(name: str, data_dir: Path | str = DATA_DIR) -> Path:
    """`default` -> <data_dir>/openb_pod_list_default.csv; a path is returned as is."""
    if name.endswith(".csv") or "/" in name:
        return Path(name)
    return Path(data_dir) / f"openb_pod_list_{name}.csv"


def trace_name(path: Path | str) -> str:
    stem = Path(path).stem
    return stem.removeprefix("openb_pod_list_")


@dataclass(frozen=True)
class PodRow:
    name: str
    cpu: int  # milli
    memory: int  # MiB
    count: int  # GPUs
    milli: int  # per GPU
    models: str  # "A|B", "" for any

    @property
    def gpu_milli(self) -> int:
        return self.count * self.milli if self.count and self.milli else 0

    @property
    def shape(self) -> tuple:
        return (self.cpu, self.memory, self.count, self.milli, self.models)


def _open_rows(path: Path | str, required: tuple[str, ...]) -> list[dict]:
    text = read_text(str(path))
    try:
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise InputError(f"invalid CSV: {error}", file=str(path)) from None
    if rows:
        missing = [c for c in required if c not in rows[0]]
        if missing:
            raise InputError(f"missing columns {', '.join(missing)}", file=str(path))
    return rows


def _int(row: dict, column: str, path, line: int) -> int:
    try:
        return int(row[column] or 0)
    except (TypeError, ValueError):
        raise InputError(f"expected an integer, got {row[column]!r}", file=str(path), obj=f"line {line}",
                         field=column) from None


def read_pod_rows(path: Path | str) -> list[PodRow]:
    rows = _open_rows(path, ("name", "cpu_milli", "memory_mib", "num_gpu", "gpu_milli"))
    pods = []
    for line, row in enumerate(rows, start=2):
        count, milli = _int(row, "num_gpu", path, line), _int(row, "gpu_milli", path, line)
        if count > 1 and 0 < milli < MILLI_PER_GPU:
            raise InputError(f"{count} GPUs of {milli} milli: a share is for one GPU only", file=str(path),
                             obj=f"line {line}", field="gpu_milli")
        pods.append(PodRow(row["name"], _int(row, "cpu_milli", path, line), _int(row, "memory_mib", path, line),
                           count if milli else 0, milli if count else 0, (row.get("gpu_spec") or "").strip()))
    return sorted(pods, key=lambda p: p.name)


def node_manifests(path: Path | str) -> list[dict]:
    """One Node per CSV row: cpu, memory, kubesched.io/gpu allocatable and the model label."""
    rows = _open_rows(path, ("sn", "cpu_milli", "memory_mib", "gpu", "model"))
    nodes = []
    for line, row in enumerate(rows, start=2):
        allocatable = {"cpu": f"{_int(row, 'cpu_milli', path, line)}m",
                       "memory": f"{_int(row, 'memory_mib', path, line)}Mi",
                       "pods": str(MAX_PODS_PER_NODE)}
        labels = {"kubernetes.io/hostname": row["sn"]}
        gpus = _int(row, "gpu", path, line)
        if gpus:
            allocatable[GPU_RESOURCE] = str(gpus)
            labels[GPU_MODEL_LABEL] = row["model"]
        nodes.append({"apiVersion": "v1", "kind": "Node", "metadata": {"name": row["sn"], "labels": labels},
                      "status": {"allocatable": allocatable}})
    return nodes


def pod_manifest(row: PodRow) -> dict:
    annotations = {}
    if row.count:
        annotations[GPU_COUNT_ANNOTATION] = str(row.count)
        annotations[GPU_MILLI_ANNOTATION] = str(row.milli)
        if row.models:
            annotations[GPU_MODELS_ANNOTATION] = row.models
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": row.name, "namespace": "openb", "annotations": annotations},
            "spec": {"containers": [{"name": "main", "image": "trace",
                                     "resources": {"requests": {"cpu": f"{row.cpu}m",
                                                                "memory": f"{row.memory}Mi"}}}]}}


MAX_ARRIVALS = 5_000_000


def arrivals(rows: list[PodRow], seed: int, capacity_milli: int, inflation: float,
             rng: np.random.Generator | None = None) -> list[PodRow]:
    """The pods in arrival order for one seed: shuffled, then topped up or trimmed to
    `inflation` x capacity of GPU requests (see the module's docstring)."""
    rng = rng or np.random.default_rng(seed)
    queue = [rows[i] for i in rng.permutation(len(rows))]
    if inflation <= 0 or not rows:
        return queue
    target = inflation * capacity_milli
    total = sum(p.gpu_milli for p in queue)
    if total < target:
        # Each draw adds the mean GPU request on average: refuse a top-up that never ends
        # (no pod asks for a GPU) or would take longer than any replay is worth.
        mean = total / len(rows)
        if mean == 0:
            raise InputError(f"no pod of the list asks for a GPU, so arrivals cannot be topped up to "
                             f"{inflation:g} x the cluster's GPU capacity (give --inflation 0 to replay it as is)",
                             field="--pods")
        if (target - total) / mean > MAX_ARRIVALS:
            raise InputError(f"topping arrivals up to {inflation:g} x the cluster's GPU capacity would take about "
                             f"{(target - total) / mean:.3g} pods, more than {MAX_ARRIVALS}", field="--pods")
        while True:
            pod = rows[int(rng.integers(len(rows)))]
            if total + pod.gpu_milli > target:
                break
            queue.append(pod)
            total += pod.gpu_milli
    elif total > target:
        kept = np.ones(len(queue), dtype=bool)
        while total > target:
            index = int(rng.integers(len(queue)))
            if kept[index]:
                kept[index] = False
                total -= queue[index].gpu_milli
        queue = [pod for pod, keep in zip(queue, kept) if keep]
    return queue


def _replay(snapshot, class_ids: np.ndarray, deadline: float | None):
    """The engine's replay, chunk by chunk when there is a deadline. Each chunk counts the GPU
    milli it allocates from its own start, so later chunks are offset by what came before."""
    if deadline is None:
        return snapshot.replay_gpu_queue(class_ids)
    parts = []
    taken = 0
    for start in range(0, len(class_ids), REPLAY_CHUNK):
        if parts and time.monotonic() >= deadline:
            break
        chosen, allocated, frag, idle = snapshot.replay_gpu_queue(class_ids[start:start + REPLAY_CHUNK])
        parts.append((chosen, allocated + taken, frag, idle))
        taken += int(allocated[-1])
    if not parts:
        empty = np.empty(0, dtype=np.int64)
        return np.empty(0, dtype=np.int32), empty, np.empty(0), empty
    return tuple(np.concatenate(column) for column in zip(*parts))


def at_arrival_points(arrived_pct: np.ndarray, values: np.ndarray) -> list[float | None]:
    """Per k = 0..130: the mean of `values` over the steps whose arrived % rounds to k, or
    within k +- 1 when none does (the paper's merge_alloc_discrete)."""
    arrived = np.rint(arrived_pct)  # round half to even, as Python's round
    out: list[float | None] = []
    for k in KS:
        chosen = values[arrived == k]
        if chosen.size == 0:
            chosen = values[(arrived >= k - 1) & (arrived <= k + 1)]
        out.append(round(float(chosen.mean()), 2) if chosen.size else None)
    return out


@dataclass
class Cluster:
    """The trace's nodes, parsed once and shared by the runs of a process."""

    nodes: list
    gpus: int

    @classmethod
    def read(cls, path: Path | str) -> "Cluster":
        nodes = [parse_node(m, file=str(path)) for m in node_manifests(path)]
        gpus = sum(n.allocatable.get(GPU_RESOURCE, 0) for n in nodes)
        if not gpus:  # every metric is a share of the GPU capacity
            raise InputError("no GPU in the node list: the replay measures GPU allocation", file=str(path),
                             field="gpu")
        return cls(nodes, gpus)


@dataclass
class RunResult:
    trace: str
    policy: str
    seed: int
    inflation: float
    pods: int
    placed: int
    allocation: list = field(default_factory=list)
    fragmentation_ratio: list = field(default_factory=list)
    fragmentation_amount: list = field(default_factory=list)
    final: dict = field(default_factory=dict)
    seconds: float = 0.0
    arrivals: int = 0  # pods in the arrival queue; `pods` of them were replayed (fewer past a deadline)

    def to_json(self) -> dict:
        return dict(vars(self))


REPLAY_CHUNK = 1024  # pods replayed between two looks at the clock


def run(pods_csv: Path | str, nodes_csv: Path | str, policy: str, seed: int, inflation: float = 1.3,
        cluster: Cluster | None = None, rows: list[PodRow] | None = None, deadline: float | None = None) -> RunResult:
    """One replay: `policy` on the trace with `seed`. Past `deadline` (time.monotonic), the
    replay stops and the result covers the pods replayed so far (`pods` < `arrivals`)."""
    started = time.perf_counter()
    cluster = cluster or Cluster.read(nodes_csv)
    rows = rows if rows is not None else read_pod_rows(pods_csv)
    if not rows:
        raise InputError("no pods in the trace", file=str(pods_csv))
    capacity = cluster.gpus * MILLI_PER_GPU
    rng = np.random.default_rng(seed)
    try:
        queue = arrivals(rows, seed, capacity, inflation, rng)
    except InputError as error:
        raise error.located(file=str(pods_csv)) from None
    if not queue:
        raise InputError(f"no pod arrives at --inflation {inflation:g}: each asks for more GPU than that leaves",
                         file=str(pods_csv), field="--inflation")
    # The paper's simulator names the nodes "<rank>-<name>" with a random rank per seed and
    # gives ties to the smallest name: ties go to the first node in a seeded random order.
    # The engine's deterministic mode (first node in input order) does this on the nodes in
    # that order; only the Random policy draws (its node and its GPU) at random.
    nodes = [cluster.nodes[i] for i in np.argsort(rng.permutation(len(cluster.nodes)), kind="stable")]
    profile = policy_profile(policy)
    snapshot = ClusterSnapshot(nodes, profile, seed if profile.gpu_select() == "Random" else None)
    parser = PodParser()
    classes: dict[tuple, int] = {}
    cpus: dict[tuple, int] = {}
    for row in rows:  # every shape of the trace (the top-up only repeats them)
        if row.shape not in classes:
            pod = parser.parse(pod_manifest(row))
            classes[row.shape] = snapshot.class_of(pod)
            cpus[row.shape] = pod.spec.nonzero_cpu
    snapshot.set_gpu_typical(typical_pods(
        (cpus[row.shape], row.milli, row.count, tuple(m for m in row.models.split("|") if m)) for row in rows))
    class_ids = np.fromiter((classes[p.shape] for p in queue), dtype=np.int32, count=len(queue))
    chosen, allocated, frag, idle = _replay(snapshot, class_ids, deadline)
    arrivals_count, queue = len(queue), queue[:len(chosen)]

    requests = np.fromiter((p.gpu_milli for p in queue), dtype=np.int64, count=len(queue))
    arrived_pct = np.cumsum(requests) / cluster.gpus / 10
    allocation_pct = np.array([round(float(a) / cluster.gpus / 10, 2) for a in allocated])
    frag_ratio = np.where(idle > 0, 100 * frag / np.maximum(idle, 1), 0.0)
    result = RunResult(
        trace=trace_name(pods_csv), policy=policy, seed=seed, inflation=inflation, pods=len(queue),
        arrivals=arrivals_count,
        placed=int((chosen >= 0).sum()),
        allocation=at_arrival_points(arrived_pct, allocation_pct),
        fragmentation_ratio=at_arrival_points(arrived_pct, frag_ratio),
        fragmentation_amount=at_arrival_points(arrived_pct, frag / MILLI_PER_GPU),
        final={"arrived_pct": round(float(arrived_pct[-1]), 4),
               "allocated_pct": round(float(allocated[-1]) / capacity * 100, 4),
               "fragmentation_ratio": round(float(frag_ratio[-1]), 4),
               "fragmentation_gpus": round(float(frag[-1]) / MILLI_PER_GPU, 4),
               "failed": int((chosen < 0).sum())})
    result.seconds = round(time.perf_counter() - started, 4)
    if any(math.isnan(v) for v in result.allocation if v is not None):
        raise AssertionError("allocation is NaN")
    return result
