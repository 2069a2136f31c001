"""`simulate` on pending pods read as batches (kubesched.model.pod_batches), without a
record or an object per pod: the queue is sorted and decided as arrays, and the answer's
placements are written from them (kubesched._placements_json).

It answers only where the usual simulation (sim/simulate.py) would place every pod by the
core's queue decision alone: one profile serves every pod, without Python plugins, extenders
or FGD's typical pods; no pod is gated, nominated, or has volumes or resource claims; and
every pod fits. Otherwise it answers None before deciding anything, or, when a pod fits
nowhere (preemption and messages are the usual simulation's), after; the caller then
expands the batches and simulates as usual, on a snapshot of its own."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kubesched._placements_json import placements_array
from kubesched.engine.cluster import ClusterSnapshot
from kubesched.engine.placement import Placement
from kubesched.engine.queue_order import sort_key
from kubesched.framework.profile import Profile
from kubesched.framework.typical_pods import uses_typical_pods
from kubesched.model.cluster import ClusterInput
from kubesched.model.pod_batches import PodBatch
from kubesched.model.records import Pod
from kubesched.preemption.evaluate import nominated_node_of
from kubesched.sim.simulate import simulation_snapshot, summary_of


@dataclass(eq=False)
class BatchedResult:
    """SimulationResult's answer for pods that all landed: per pod decided, in queue order,
    its source (`sources[k]`: a pod or a batch), the span of its name, its node's index."""
    snapshot: ClusterSnapshot
    sources: list[Pod | PodBatch]
    source: np.ndarray  # int32
    names: np.ndarray  # (n, 2) int64
    nodes: np.ndarray  # int32
    preempts: bool  # a profile has DefaultPreemption (the summary counts what it did: nothing)

    @property
    def placements(self) -> list[Placement]:
        keys = [_key_parts(s) for s in self.sources]
        node_names = self.snapshot.node_names
        return [Placement(keys[s][1] + keys[s][0][start:end].decode("ascii"), node_names[n])
                for s, (start, end), n in zip(self.source.tolist(), self.names.tolist(), self.nodes.tolist())]

    def unplaced_messages(self) -> list[str]:
        return []  # every pod landed

    def summary(self) -> dict:
        count = len(self.nodes)
        return summary_of(self.snapshot, count, count, {}, (0, 0) if self.preempts else None)

    def placements_json(self) -> bytes:
        """The answer's `placements` array, as orjson writes it indented (kubesched._placements_json)."""
        sources = [(text, prefix.encode()) for text, prefix in map(_key_parts, self.sources)]
        node_names = [name.encode() for name in self.snapshot.node_names]
        return placements_array(sources, self.source, self.names, node_names, self.nodes)


def _key_parts(source: Pod | PodBatch) -> tuple[bytes, str]:
    """The text a name span points into, and what comes before the name in the pod's key."""
    if isinstance(source, PodBatch):
        return source.data, source.template.namespace + "/"
    return source.key.encode(), ""


def simulate_batched(cluster: ClusterInput, profiles: dict[str, Profile], seed: int | None,
                     extenders: tuple = ()) -> BatchedResult | None:
    """The usual simulation's answer where this module gives it (see its docstring), else None."""
    sources: list[Pod | PodBatch] = [*cluster.pending_pods, *cluster.pending_batches]
    pods = [*cluster.pending_pods, *(batch.template for batch in cluster.pending_batches)]
    served = {pod.spec.scheduler_name for pod in pods}
    profile = profiles.get(served.pop()) if len(served) == 1 else None
    if not cluster.pending_batches or extenders or profile is None or profile.python_filters \
            or profile.python_scores or any(uses_typical_pods(p) for p in profiles.values()):
        return None
    if any(pod.spec.scheduling_gates or pod.spec.volumes or nominated_node_of(pod) for pod in pods):
        return None
    snapshot = simulation_snapshot(cluster, profiles, seed)
    if "DynamicResources" in profile.filters and snapshot.dra.any_has_claims(pods):
        return None
    if profile is not next(iter(profiles.values())):
        snapshot.use_profile(profile)

    sizes = [1 if isinstance(s, Pod) else len(s) for s in sources]
    source = np.repeat(np.arange(len(sources), dtype=np.int32), sizes)
    index = np.concatenate([np.array([s.index]) if isinstance(s, Pod) else s.indexes for s in sources])
    names = np.concatenate([np.array([[0, len(s.key)]], dtype=np.int64) if isinstance(s, Pod) else s.names
                            for s in sources])  # a pod's span is its whole key (_key_parts)
    ranks = {key: rank for rank, key in enumerate(sorted({sort_key(pod) for pod in pods}))}
    rank = np.array([ranks[sort_key(pod)] for pod in pods], dtype=np.int64)
    order = np.lexsort((index, rank[source]))  # queue_order's: PrioritySort's key, then input order
    source, names = source[order], names[order]

    # classes in the order the queue first meets them, as the usual simulation makes them
    _, first_row = np.unique(source, return_index=True)
    met = np.argsort(first_row, kind="stable")
    class_of = np.empty(len(sources), dtype=np.int32)
    class_of[met] = snapshot.classes_of([pods[s] for s in met.tolist()])
    nodes = snapshot.place_until_failure(class_of[source])
    if len(nodes) < len(source) or (len(nodes) and nodes[-1] < 0):
        return None
    preempts = any(p.preemption is not None for p in profiles.values())
    return BatchedResult(snapshot, sources, source, np.ascontiguousarray(names), nodes, preempts)
