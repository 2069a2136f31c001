"""FGD's typical pods in the live scheduler: the shapes of the pods it knows (pending, bound
and assumed), as `simulate` takes them from its input. One shape per pod uid, so a pod that
goes from pending to bound counts once; the typical pods are recomputed only after a shape
was added or removed, and the engine gets them only when they differ from what it has."""

from __future__ import annotations

from collections import Counter

from kubesched.framework.typical_pods import TypicalPod, shape_of, typical_of_counts
from kubesched.model.records import Pod
from kubesched.engine.cluster import ClusterSnapshot


class GpuWorkload:
    def __init__(self) -> None:
        self._shapes: dict[str, tuple] = {}  # uid → shape
        self._counts: Counter = Counter()
        self._gpu_pods = 0
        self._typical: list[TypicalPod] | None = None  # None: to recompute

    def add(self, uid: str, pod: Pod) -> None:
        """A pod seen (InputError if its GPU request is malformed)."""
        shape = shape_of(pod)
        if self._shapes.get(uid) != shape:
            self.remove(uid)
            self._shapes[uid] = shape
            self._counts[shape] += 1
            self._gpu_pods += shape[2] > 0
            self._typical = None

    def remove(self, uid: str) -> None:
        shape = self._shapes.pop(uid, None)
        if shape is None:
            return
        self._counts[shape] -= 1
        if not self._counts[shape]:
            del self._counts[shape]
        self._gpu_pods -= shape[2] > 0
        self._typical = None

    def typical(self) -> list[TypicalPod]:
        """The typical pods; none while no pod asks for a GPU (as simulate sets none)."""
        if self._typical is None:
            self._typical = typical_of_counts(self._counts) if self._gpu_pods else []
        return self._typical

    def apply(self, snapshot: ClusterSnapshot) -> None:
        snapshot.set_gpu_typical(self.typical())
