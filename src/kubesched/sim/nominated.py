"""Pods that come into a simulation nominated to a node (`status.nominatedNodeName`: a dump
of a live cluster taken while a preemption was under way), held as upstream's nominator
holds them until each is decided. While some are outstanding, pods are decided one at a
time with upstream's two filter passes on the nodes of those they must yield to (of their
priority or above; src/_core/nominated.cpp), and a nominated pod is tried on its nominated
node first. A preemption during the simulation nominates no one for long: the preemptor is
decided again at once (sim/preempting.py), so no other pod is decided while it waits."""

from __future__ import annotations

from kubesched.model.records import Pod
from kubesched.preemption import nominated_node_of, yields_to
from kubesched.engine.decision import Decision


class Nominations:
    def __init__(self, pods: list[Pod]):
        self.pods: dict[str, tuple[Pod, str]] = {}  # pod key → (pod, nominated node name)
        for pod in pods:
            if not (pod.raw and pod.raw.get("status")):
                continue  # no status, so no nominatedNodeName: most pods, read quickly
            node = nominated_node_of(pod)
            if node:
                self.pods[pod.key] = (pod, node)

    def __bool__(self) -> bool:
        return bool(self.pods)

    def pairs(self) -> list[tuple[Pod, str]]:
        """(pod, node name) of the outstanding nominations, as preemption reads them."""
        return list(self.pods.values())

    def yield_to(self, snapshot, pod: Pod) -> list[tuple[int, int]]:
        """(class id, node index) of the nominated pods `pod` must yield to."""
        return [(snapshot.class_of(other), snapshot.node_index[node]) for key, (other, node) in self.pods.items()
                if key != pod.key and yields_to(pod, other, node, snapshot)]

    def take(self, snapshot, pod: Pod) -> tuple[int, list[tuple[int, int]]]:
        """Ends the pod's own nomination: (its nominated node's index, -1 for none; the
        nominated pods it must yield to, as yield_to)."""
        own = self.pods.pop(pod.key, None)
        return snapshot.node_index.get(own[1], -1) if own else -1, self.yield_to(snapshot, pod)

    def decide(self, snapshot, pod: Pod, class_id: int) -> Decision:
        """Decide `pod` (assumed on the node chosen); its own nomination is over."""
        node, held = self.take(snapshot, pod)
        if node >= 0 and snapshot.feasible_with_nominated(class_id, node, held):  # tried first, as upstream
            snapshot.assume(class_id, node)
            return snapshot.decision(pod, node)
        return snapshot.decide(pod, held, class_id)

    def decide_head(self, snapshot, pods: list[Pod], placement_type) -> list:
        """Decide pods from the front of `pods` while nominations are outstanding; their
        placements (the rest are decided in bulk by the caller)."""
        placements = []
        for pod in pods:
            if not self.pods:
                break
            decision = self.decide(snapshot, pod, snapshot.class_of(pod))
            placements.append(placement_type(pod.key, decision.node, decision.message))
        return placements
