"""The pods counted on nodes as columns the core's victim search reads, kept up to date as
pods land and leave so that a preemption costs no pass over Python objects."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from kubesched import _core
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
        self._size = 0
        self._columns = {name: np.empty(64, dtype=dtype) for name, dtype in
                         (("class", np.int32), ("node", np.int32), ("priority", np.int32), ("start", np.int64))}
        self._budget_offsets = np.zeros(65, dtype=np.int32)  # row i: [offsets[i], offsets[i + 1])
        self._budget_indices = np.empty(16, dtype=np.int32)
        self._row_of: dict[int, int] = {}  # id(pod) -> row
        self.victims = _core.VictimTable(snapshot.engine, len(self.pdbs))  # the same rows, in the core
        for entry in placed:
            self.add(entry.pod, entry.node, start_time=entry.start_time, terminating=entry.terminating)

    def __len__(self) -> int:
        return self._size

    def add(self, pod: Pod, node: str, *, class_id: int | None = None, start_time: int = LATEST,
            terminating: bool = False) -> int:
        """The pod is counted on the node (under `class_id`, default its class now)."""
        if self._size == len(self._columns["class"]):
            for name, column in self._columns.items():
                self._columns[name] = np.resize(column, 2 * len(column))
            self._budget_offsets = np.resize(self._budget_offsets, 2 * len(self._budget_offsets))
        row = self._size
        class_id = self.snapshot.class_of(pod) if class_id is None else class_id
        node_index = self.snapshot.node_index[node]
        self._columns["class"][row] = class_id
        self._columns["node"][row] = node_index
        self._columns["priority"][row] = pod.priority
        self._columns["start"][row] = start_time
        start = int(self._budget_offsets[row])
        budgets = budgets_of(pod, self.pdbs) if self.pdbs else ()
        while start + len(budgets) > len(self._budget_indices):
            self._budget_indices = np.resize(self._budget_indices, 2 * len(self._budget_indices))
        self._budget_indices[start:start + len(budgets)] = budgets
        self._budget_offsets[row + 1] = start + len(budgets)
        self.victims.add(class_id, node_index, pod.priority, start_time, budgets)
        self.pods.append(pod)
        self.terminating.append(terminating)
        self._row_of[id(pod)] = row
        self._size += 1
        return row

    def remove(self, pod: Pod) -> tuple[int, int] | None:
        """The pod left its node: (the class it was counted under, the node index) for the
        engine's `forget`, or None if the table did not hold it."""
        row = self._row_of.pop(id(pod), None)
        if row is None:
            return None
        counted = (int(self._columns["class"][row]), int(self._columns["node"][row]))
        self._columns["node"][row] = -1
        self.victims.remove(row)
        return counted

    def start_of(self, pod: Pod) -> int:
        """The start time the pod's row records (LATEST for a pod the table does not hold)."""
        row = self._row_of.get(id(pod))
        return LATEST if row is None else int(self._columns["start"][row])

    def node_of(self, row: int) -> int:
        return int(self._columns["node"][row])

    def class_of(self, row: int) -> int:
        return int(self._columns["class"][row])

    def rows_on(self, node: str) -> list[int]:
        index = self.snapshot.node_index[node]
        return [int(r) for r in np.flatnonzero(self._columns["node"][:self._size] == index)]

    def budgets_allowed(self) -> list[int]:
        return [b.disruptions_allowed for b in self.pdbs]

    def columns(self) -> tuple:
        """(classes, nodes, priorities, starts, budget offsets, budget indices, budgets allowed)."""
        n = self._size
        return (self._columns["class"][:n], self._columns["node"][:n], self._columns["priority"][:n],
                self._columns["start"][:n], self._budget_offsets[:n + 1],
                self._budget_indices[:int(self._budget_offsets[n])], [b.disruptions_allowed for b in self.pdbs])
