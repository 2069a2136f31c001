"""The cache's pods on nodes as the preemption decision reads them (a PodTable: the core's
columns), kept in step with the cache by difference instead of built anew for each
unschedulable pod: a pass over the cache compares records by identity and touches only
the rows of pods that came, went or changed (a victim's deletion shows as a new record).

Rows of pods that left stay in the table, dead; the table is built anew when the snapshot
is, or when the dead rows outnumber the live ones."""

from __future__ import annotations

import logging

from kubesched.errors import InputError
from kubesched.preemption import PodTable, parse_pdb, start_time, terminating_by_preemption
from kubesched.preemption.victims import LATEST

log = logging.getLogger("kubesched.live")


class VictimTable:
    def __init__(self):
        self.table: PodTable | None = None
        self._snapshot = None
        self._pdbs: list[dict] | None = None
        self._rows: dict[str, tuple[object, object, str]] = {}  # uid → (pod record, counted, node)

    def current(self, snapshot, placed: dict, pdbs: list[dict]) -> PodTable:
        """The table of the pods `snapshot` counts (`placed`: the cache's uid → Placed), with
        the budgets of `pdbs` (policy/v1 objects)."""
        if (self.table is None or snapshot is not self._snapshot or pdbs != self._pdbs
                or len(self.table) > 2 * len(self._rows) + 64):
            self._build(snapshot, pdbs)
        table, rows = self.table, self._rows
        kept = 0
        for uid, where in placed.items():
            known = rows.get(uid)
            if known is not None and known[0] is where.pod and known[1] == where.counted and known[2] == where.node:
                kept += 1
                continue
            if known is not None:
                table.remove(known[0])
                del rows[uid]
            if where.counted is not None and where.node in snapshot.node_index:
                self._add(uid, where)
                kept += 1
        if len(rows) > kept:  # some pods left the cache
            for uid in [u for u in rows if u not in placed]:
                table.remove(rows.pop(uid)[0])
        return table

    def _build(self, snapshot, pdbs: list[dict]) -> None:
        budgets = []
        for obj in pdbs:
            try:
                budgets.append(parse_pdb(obj))
            except InputError as error:
                log.warning("PodDisruptionBudget not read: %s", error)
        self.table = PodTable(snapshot, budgets)
        self._snapshot = snapshot
        self._pdbs = list(pdbs)
        self._rows = {}

    def _add(self, uid: str, where) -> None:
        pod = where.pod
        try:
            started = start_time(pod)
        except InputError as error:
            log.warning("%s; it counts as started last", error)
            started = LATEST
        self.table.add(pod, where.node, class_id=where.counted[0], start_time=started,
                       terminating=terminating_by_preemption(pod.raw or {}))
        self._rows[uid] = (pod, where.counted, where.node)
