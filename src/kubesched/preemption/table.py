"""The pods counted on nodes as the core's victim search reads them, kept up to date as
pods land and leave (resident in the core: ClusterSnapshot.victim_table) so that a preemption costs no
pass over Python objects."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from kubesched.model.records import Pod
from kubesched.preemption.pdb import PodDisruptionBudget, budgets_of
from kubesched.preemption.victims import LATEST, PodOnNode


class PodTable:
    """Rows in the order pods were counted (each node's order); a pod that left keeps its
    row with node -1. `snapshot` is the ClusterSnapshot the pods are counted in."""

    def __init__(self, snapshot, pdbs: Sequence[PodDisruptionBudget] = (), placed: Iterable[PodOnNode] = ()):
        self.snapshot = snapshot
        self.pdbs = list(pdbs)
        self.pods: list[Pod] = []
        self.terminating: list[bool] = []
        self._row_of: dict[int, int] = {}  # id(pod) -> row
        self.victims = snapshot.victim_table(len(self.pdbs))  # the rows, in the core
        for entry in placed:
            self.add(entry.pod, entry.node, start_time=entry.start_time, terminating=entry.terminating)

    def __len__(self) -> int:
        return len(self.pods)

    def add(self, pod: Pod, node: str, *, class_id: int | None = None, start_time: int = LATEST,
            terminating: bool = False) -> int:
        """The pod is counted on the node (under `class_id`, default its class now)."""
        class_id = self.snapshot.class_of(pod) if class_id is None else class_id
        budgets = budgets_of(pod, self.pdbs) if self.pdbs else ()
        row = self.victims.add(class_id, self.snapshot.node_index[node], pod.priority, start_time, budgets)
        self.pods.append(pod)
        self.terminating.append(terminating)
        self._row_of[id(pod)] = row
        return row

    def remove(self, pod: Pod) -> tuple[int, int] | None:
        """The pod left its node: (the class it was counted under, the node index) for the
        engine's `forget`, or None if the table did not hold it."""
        row = self._row_of.pop(id(pod), None)
        if row is None:
            return None
        class_id, node, _, _ = self.victims.row(row)
        self.victims.remove(row)
        return class_id, node

    def left(self, pods: Iterable[Pod]) -> None:
        """The pods' rows were removed in the core (VictimTable.preempt_and_retry's evictions)."""
        for pod in pods:
            self._row_of.pop(id(pod), None)

    def start_of(self, pod: Pod) -> int:
        """The start time the pod's row records (LATEST for a pod the table does not hold)."""
        row = self._row_of.get(id(pod))
        return LATEST if row is None else self.victims.row(row)[3]

    def node_of(self, row: int) -> int:
        return self.victims.row(row)[1]

    def class_of(self, row: int) -> int:
        return self.victims.row(row)[0]

    def rows_on(self, node: str) -> list[int]:
        return self.victims.rows_on(self.snapshot.node_index[node])

    def budgets_allowed(self) -> list[int]:
        return [b.disruptions_allowed for b in self.pdbs]
