"""How many nodes the scheduler itself would end up with: pods placed one by one in queue
order by the profile, and a node of the cheapest template that takes the pod added whenever
the next pod fits nowhere (what open-simulator answers)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from kubesched.dra.plugin import DraCluster
from kubesched.framework.profile import Profile
from kubesched.model.cluster import ClusterInput
from kubesched.model.records import Node, Pod
from kubesched.plan import snapshots
from kubesched.plan.daemons import DaemonSets
from kubesched.plan.nodes_dra import place_with_claims, plans_claims
from kubesched.plan.packing_input import PlanInput
from kubesched.plan.templates import NodeTemplate, node_names
from kubesched.engine.placement import Placement
from kubesched.engine.cluster import ClusterSnapshot


_STOP_EVERY = 64  # pods between two questions to `stop`


@dataclass
class AsScheduled:
    templates: list[NodeTemplate]
    added: list[NodeTemplate]       # one entry per node added, in order
    placements: list[Placement]
    costed: bool

    def to_json(self) -> dict:
        counts = Counter(t.name for t in self.added)
        out = {"nodeCount": len(self.added),
               "byTemplate": {t.name: counts.get(t.name, 0) for t in self.templates},
               "unschedulable": [{"pod": p.pod, "message": p.message} for p in self.placements if p.node is None]}
        if self.costed:
            out["cost"] = str(sum((t.cost for t in self.added), Decimal(0)))
        return out


def schedule_adding_nodes(cluster: ClusterInput, pods: list[Pod], plan_input: PlanInput, profile: Profile,
                          daemons: DaemonSets, seed: int | None = None,
                          stop: Callable[[], bool] | None = None) -> AsScheduled | None:
    """None when `stop` (consulted every 64 pods) ends it first."""
    snapshot = snapshots.snapshot(list(cluster.nodes), profile, cluster, seed)
    snapshot.add_bound(cluster.bound_pods)
    dra = DraCluster(cluster.dra, list(snapshot.nodes)) if plans_claims(profile) else None
    grower = Grower(snapshot, plan_input, daemons, node_names(plan_input.templates, (n.name for n in cluster.nodes)),
                    [], dra)
    placements: list[Placement] = []
    item = 0
    while item < len(pods):
        if stop is not None and item % _STOP_EVERY == 0 and stop():
            return None
        pod = pods[item]
        if dra is not None and dra.has_claims(pod):
            placements.append(place_with_claims(snapshot, dra, pod, None, lambda: grower.add_for(item))[0])
            item += 1
            continue
        # The pods up to the next claim or the next question to `stop`, decided as simulate
        # does, until one fits nowhere: a node is added for it and it is tried again.
        end = item + 1
        limit = min(len(pods), (item // _STOP_EVERY + 1) * _STOP_EVERY)
        while end < limit and not (dra is not None and dra.has_claims(pods[end])):
            end += 1
        placed, failed = snapshot.decide_until_failure(pods[item:end])
        placements.extend(Placement(d.pod.key, d.node) for d in placed)
        if failed is None:
            item += len(placed)
            continue
        item += len(placed) + 1
        decision = snapshot.decide(failed) if grower.add_for(item - 1) is not None else snapshot.decision(failed, -1)
        placements.append(Placement(decision.pod.key, decision.node, decision.message))
    added = [template for _, template in grower.new_nodes]
    return AsScheduled(plan_input.templates, added, placements, plan_input.costed)


class Grower:
    """Adds template nodes to a snapshot, with their DaemonSet pods."""

    def __init__(self, snapshot: ClusterSnapshot, plan_input: PlanInput, daemons: DaemonSets,
                 next_name: Callable[[int], str], new_nodes: list[tuple[Node, NodeTemplate]], dra=None):
        """`dra`: a DraCluster that new nodes join with their templates' ResourceSlices."""
        self.snapshot = snapshot
        self.dra = dra
        self.plan_input = plan_input
        self.daemons = daemons
        self.next_name = next_name  # template index -> a fresh node name
        self.new_nodes = new_nodes  # appended to as nodes are added
        self.daemon_pods: list[tuple[str, str]] = []  # (pod, node) the DaemonSets add on new nodes

    def join_all(self, added: list[tuple[Node, NodeTemplate]]) -> None:
        for node, template in added:
            self._join_snapshot(node, template)
        if self.dra is not None:
            self.dra.add_nodes([(node, template.slices_for(node.name)) for node, template in added])

    def join(self, node: Node, template: NodeTemplate) -> int:
        index = self._join_snapshot(node, template)
        if self.dra is not None:
            self.dra.add_nodes([(node, template.slices_for(node.name))])
        return index

    def _join_snapshot(self, node: Node, template: NodeTemplate) -> int:
        index = self.snapshot.add_node(node, template.csi_drivers)
        for pod in self.daemons.pods_for(node):
            self.snapshot.assume(self.snapshot.class_of(pod), index)
            self.daemon_pods.append((pod.key, node.name))
        return index

    def add_for(self, item: int) -> int | None:
        """A new node of the cheapest template the item fits on its own; None if there is none."""
        fits = self.plan_input.fits[item]
        candidates = [i for i in range(len(self.plan_input.templates)) if fits[self.plan_input.template_type(i)]]
        if not candidates:
            return None
        costs = self.plan_input.problem.costs
        index = min(candidates, key=lambda i: (costs[self.plan_input.template_type(i)], i))
        template = self.plan_input.templates[index]
        node = template.instantiate(self.next_name(index))
        self.new_nodes.append((node, template))
        return self.join(node, template)
