"""How many nodes the scheduler itself would end up with: pods placed one by one in queue
order by the profile, and a node of the cheapest template that takes the pod added whenever
the next pod fits nowhere (what open-simulator answers)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from kubesched.framework.profile import Profile
from kubesched.model.cluster import ClusterInput
from kubesched.model.records import Pod
from kubesched.plan import snapshots
from kubesched.plan.daemons import DaemonSets
from kubesched.plan.packing_input import PlanInput
from kubesched.plan.templates import NodeTemplate, node_names
from kubesched.sim.simulate import Placement


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
                          daemons: DaemonSets, seed: int | None = None) -> AsScheduled:
    templates = plan_input.templates
    snapshot = snapshots.snapshot(list(cluster.nodes), profile, cluster, seed)
    snapshot.add_bound(cluster.bound_pods)
    name = node_names(templates, (n.name for n in cluster.nodes))
    fits = plan_input.fits
    costs = plan_input.problem.costs
    added: list[NodeTemplate] = []
    placements: list[Placement] = []
    for item, pod in enumerate(pods):
        class_id = snapshot.class_of(pod)
        chosen = snapshot.engine.schedule(class_id)
        if chosen < 0:
            candidates = [i for i in range(len(templates)) if fits[item, plan_input.template_type(i)]]
            if candidates:
                index = min(candidates, key=lambda i: (costs[plan_input.template_type(i)], i))
                node = templates[index].instantiate(name(index))
                node_index = snapshots.add_node(snapshot, node)
                for daemon_pod in daemons.pods_for(node):
                    snapshot.engine.assume(snapshot.class_of(daemon_pod), node_index)
                added.append(templates[index])
                chosen = snapshot.engine.schedule(class_id)
        if chosen < 0:
            placements.append(Placement(pod.key, None, snapshot.failure_message(snapshot.engine.last_failure())))
        else:
            placements.append(Placement(pod.key, snapshot.node_names[chosen]))
    return AsScheduled(templates, added, placements, plan_input.costed)
