"""Placing pods one by one as the scheduler would, preemption included: a pod that fits no
node runs DefaultPreemption (kubesched.preemption); when it nominates a node, the victims
are evicted and the pod is decided again, first on its nominated node (as upstream's next
cycle; nothing else happens in between offline, so it lands there but for filters that the
victims' leaving cannot satisfy). The snapshot and the table of pods on nodes (a PodTable,
the core's columns) are kept in step, as the decision requires."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from kubesched.model.records import Pod
from kubesched.preemption import PodTable, parse_pdb, pod_on_node, preempt, preemption_args
from kubesched.engine.cluster import ClusterSnapshot


@dataclass
class PreemptingOutcome:
    """Where PreemptingPlacer put a pod, or why nowhere, and the pods it evicted there
    (plan's own record: the pod itself, the filters' histogram, the victims as pods)."""

    pod: Pod
    node: str | None
    message: str = ""                 # why it fits nowhere, preemption's part included
    failure: list = field(default_factory=list)  # the filters' reason histogram (core codes)
    victims: list[Pod] = field(default_factory=list)
    pdb_violations: int = 0

    def preemption_json(self) -> dict:
        return {"pod": self.pod.key, "node": self.node, "victims": [v.key for v in self.victims],
                "victimPriorities": [v.priority for v in self.victims], "pdbViolations": self.pdb_violations}


class PreemptingPlacer:
    def __init__(self, snapshot: ClusterSnapshot, bound: Iterable[Pod], pdbs: Sequence[dict] = (),
                 allow_preemption: bool = True):
        """`bound`: the pods the snapshot counts, each with its spec.nodeName; `pdbs`: the
        input's PodDisruptionBudgets (policy/v1 objects)."""
        self.snapshot = snapshot
        bound = list(bound)
        self.table = PodTable(snapshot, [parse_pdb(obj, bound) for obj in pdbs],
                              [pod_on_node(p, p.node_name) for p in bound])
        self.args = preemption_args(snapshot.profile) if allow_preemption else None

    def place(self, pod: Pod) -> PreemptingOutcome:
        snapshot = self.snapshot
        class_id = snapshot.class_of(pod)
        decision = snapshot.decide(pod, class_id=class_id)
        if decision.placed:
            return self._landed(pod, decision.node)
        failure = decision.failure
        if self.args is None:
            return PreemptingOutcome(pod, None, decision.message, failure)
        result = preempt(snapshot, pod, self.table, args=self.args)
        if result.nominated_node is None:
            return PreemptingOutcome(pod, None, result.fit_error(decision.message), failure)
        for victim in result.victims:
            snapshot.forget(*self.table.remove(victim))
        nominated = snapshot.node_index[result.nominated_node]
        if snapshot.feasible_on(class_id, nominated):  # tried first, as upstream's next cycle
            snapshot.assume(class_id, nominated)
            decision = snapshot.decision(pod, nominated)
        else:
            decision = snapshot.decide(pod, class_id=class_id)
        if not decision.placed:
            return PreemptingOutcome(pod, None, result.fit_error(decision.message), failure, list(result.victims),
                             result.pdb_violations)
        return self._landed(pod, decision.node, list(result.victims), result.pdb_violations)

    def placed(self, pod: Pod, node: str) -> None:
        """The snapshot has placed the pod on the node: the table counts it, started last
        (it starts now)."""
        self.table.add(pod, node)

    def _landed(self, pod: Pod, node: str, victims=(), violations: int = 0) -> PreemptingOutcome:
        self.placed(pod, node)
        return PreemptingOutcome(pod, node, victims=list(victims), pdb_violations=violations)
