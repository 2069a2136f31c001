"""The nominator, as upstream's scheduling queue keeps it: pods nominated to a node (by
preemption, `status.nominatedNodeName`) whose room is held there while their victims go.

A decision for pod P sees on each node the pods nominated there with a priority at least
P's (P itself excepted): P must not take the room opened for them, while a pod of lower
priority may be overtaken. Every decision is handed the pods to yield to (`yield_to`) and
the core runs upstream's two passes per node (src/_core/nominated.cpp): a node with some of
them fits only if its filters pass with them added and again without them (inter-pod
affinity that only they would satisfy does not count); scores are without them. The
decisions that filter outside the core too (claims, extenders, Python plugins) take the
core's verdicts under that rule: DynamicResources, an extender and a Python filter judge a
node without regard to the pods on it, so their verdicts are the same in either pass.
The snapshot never counts them.

Which nominations count, as upstream's nominator: those of the pending pods this scheduler
serves (its own PostFilter's, and `status.nominatedNodeName` as the watch shows it); a
nomination goes when the pod is bound or assumed, deleted, nominated elsewhere, or cleared;
one to a node not in the snapshot (deleted) holds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from kubesched.model.records import Pod
from kubesched.preemption import yields_to

OURS, STATUS = "ours", "status"  # who nominated: our PostFilter, or the pod's status as seen


@dataclass(eq=False)
class Nominated:
    uid: str
    pod: Pod
    node: str
    source: str = OURS


class Nominator:
    def __init__(self):
        self.pods: dict[str, Nominated] = {}  # uid → nomination

    def nominate(self, uid: str, pod: Pod, node: str, source: str = OURS) -> None:
        self.pods[uid] = Nominated(uid, pod, node, source)

    def remove(self, uid: str) -> Nominated | None:
        return self.pods.pop(uid, None)

    def node_of(self, uid: str) -> str | None:
        nominated = self.pods.get(uid)
        return nominated.node if nominated is not None else None

    def on_node(self, node: str) -> list[Nominated]:
        return [n for n in self.pods.values() if n.node == node]

    def status_seen(self, uid: str, pod: Pod, status: dict | None) -> None:
        """A pending pod of ours as the watch shows it: its `status.nominatedNodeName` (set by
        an earlier run of the scheduler, or by another writer) nominates it; a nomination that
        came from the status goes when the status drops it. Our own stand until we change
        them: the watch may still be delivering the pod as it was before our patch."""
        node = (status or {}).get("nominatedNodeName") or ""
        known = self.pods.get(uid)
        if node:
            if known is None or known.node != node:
                if known is None or known.source == STATUS:
                    self.nominate(uid, pod, node, STATUS)
            else:
                known.pod = pod
        elif known is not None and known.source == STATUS:
            del self.pods[uid]

    def _yielded(self, snapshot, pod: Pod, uid: str) -> list[Nominated]:
        """The nominated pods `pod` must yield to: of its priority or above, itself excepted,
        on a node of the snapshot."""
        return [n for n in self.pods.values() if n.uid != uid and yields_to(pod, n.pod, n.node, snapshot)]

    def yield_to(self, snapshot, pod: Pod, uid: str) -> list[tuple[int, int]]:
        """(class id, node index) of the nominated pods `pod` must yield to, for the core."""
        if not self.pods:
            return []
        return [(snapshot.class_of(n.pod), snapshot.node_index[n.node]) for n in self._yielded(snapshot, pod, uid)]
