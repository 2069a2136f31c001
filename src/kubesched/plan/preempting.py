"""Placing pods one by one as the scheduler would, preemption included: a pod that fits no
node runs DefaultPreemption (kubesched.preemption); when it nominates a node, the victims
are evicted and the pod lands there (upstream tries the nominated node first, and nothing
else happens in between offline). The snapshot and the list of pods on nodes are kept in
step, as the decision requires."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from kubesched.model.records import Pod
from kubesched.preemption import PodOnNode, parse_pdb, pod_on_node, preempt, preemption_args
from kubesched.snapshot.cluster import ClusterSnapshot


@dataclass
class Placement:
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
        self.on_node: dict[int, PodOnNode] = {id(p): pod_on_node(p, p.node_name) for p in bound}
        self.pdbs = [parse_pdb(obj, [p.pod for p in self.on_node.values()]) for obj in pdbs]
        self.args = preemption_args(snapshot.profile) if allow_preemption else None

    def place(self, pod: Pod) -> Placement:
        snapshot = self.snapshot
        class_id = snapshot.class_of(pod)
        node = snapshot.engine.schedule(class_id)
        if node >= 0:
            return self._landed(pod, snapshot.node_names[node])
        failure = snapshot.engine.last_failure()
        fit_message = snapshot.failure_message(failure)
        if self.args is None:
            return Placement(pod, None, fit_message, failure)
        result = preempt(snapshot, pod, list(self.on_node.values()), self.pdbs, self.args)
        if result.nominated_node is None:
            return Placement(pod, None, result.fit_error(fit_message), failure)
        for victim in result.victims:
            self.evict(victim)
        snapshot.engine.assume(class_id, snapshot.node_index[result.nominated_node])
        return self._landed(pod, result.nominated_node, list(result.victims), result.pdb_violations)

    def evict(self, pod: Pod) -> None:
        where = self.on_node.pop(id(pod))
        self.snapshot.engine.forget(self.snapshot.class_of(pod), self.snapshot.node_index[where.node])

    def _landed(self, pod: Pod, node: str, victims=(), violations: int = 0) -> Placement:
        self.on_node[id(pod)] = PodOnNode(pod, node)  # started last: it starts now
        return Placement(pod, node, victims=list(victims), pdb_violations=violations)
