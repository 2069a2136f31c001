"""`kubesched plan nodes`: the fewest nodes (or the lowest cost) to add from node templates so
that every pending pod fits, then the plan replayed through the engine.

The packing kernel searches on vectors and an allowed mask that the engine computed (see
packing_input.py). The replay places each pod, in queue order, on its planned node only if
the engine's full profile accepts it there (inter-pod affinity and spreading included);
otherwise the engine chooses, and if nothing fits a node of the cheapest template that
takes the pod is added — the plan then says how many pods it had to repair.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from kubesched.deadline import Deadline
from kubesched.dra.plugin import DraCluster
from kubesched.framework.profile import Profile
from kubesched.model.cluster import ClusterInput
from kubesched.model.records import Node, Pod
from kubesched.plan import packing, snapshots
from kubesched.plan.as_scheduled import AsScheduled, Grower, schedule_adding_nodes
from kubesched.plan.daemons import DaemonSets
from kubesched.plan.nodes_dra import place_with_claims, plans_claims
from kubesched.progress import Stages
from kubesched.plan.packing_input import PlanInput, build
from kubesched.plan.templates import COST_UNITS, NodeTemplate, node_names
from kubesched.engine.queue_order import queue_order
from kubesched.plugins.scheduling_gates import GATED_MESSAGE
from kubesched.engine.placement import Placement
from kubesched.engine.cluster import ClusterSnapshot


@dataclass
class NodePlan:
    plan_input: PlanInput
    result: packing.PackingResult
    new_nodes: list[tuple[Node, NodeTemplate]]
    placements: list[Placement]
    repaired: int
    snapshot: ClusterSnapshot            # the cluster with the plan applied
    before: dict                         # usage per node before the plan (existing nodes)
    as_scheduled: AsScheduled | None = None
    undecided: list[Placement] = field(default_factory=list)
    daemon_pods: list[tuple[str, str]] = field(default_factory=list)  # (pod, new node), as the DaemonSets add them
    deadline: Deadline | None = None  # says what the time limit cut short, if anything

    @property
    def unschedulable(self) -> list[Placement]:
        return [p for p in self.placements if p.node is None] + self.undecided

    def by_template(self) -> dict[str, int]:
        counts = Counter(template.name for _, template in self.new_nodes)
        return {t.name: counts.get(t.name, 0) for t in self.plan_input.templates}

    def cost(self) -> Decimal | None:
        if not self.plan_input.costed:
            return None
        return sum((template.cost for _, template in self.new_nodes), Decimal(0))

    def to_json(self) -> dict:
        costed = self.plan_input.costed
        bound = self.result.lower_bound
        out = {
            "objective": "cost" if costed else "nodes",
            "nodeCount": len(self.new_nodes),
            "byTemplate": self.by_template(),
            "lowerBound": str(Decimal(bound) / COST_UNITS) if costed else bound,
            "optimal": self.result.optimal and self.repaired == 0 and not self.time_limit_reached,
            "placements": [{"pod": p.pod, "node": p.node, **({"claims": p.claims} if p.claims else {})}
                           for p in self.placements if p.node is not None],
            "unschedulable": [{"pod": p.pod, "message": p.message} for p in self.unschedulable],
            "repaired": self.repaired,
            "newNodes": [{"name": node.name, "template": template.name} for node, template in self.new_nodes],
            "daemonSetPods": [{"pod": pod, "node": node} for pod, node in self.daemon_pods],
            "search": self.result.to_json(),
            "seconds": round(self.result.seconds, 3),
        }
        if costed:
            out["cost"] = str(self.cost())
        if self.as_scheduled is not None:
            out["asScheduled"] = self.as_scheduled.to_json()
        if self.time_limit_reached:
            out["timeLimitReached"] = self.deadline.message()
        return out

    @property
    def time_limit_reached(self) -> bool:
        return self.deadline is not None and self.deadline.reached


def plan_nodes(cluster: ClusterInput, templates: list[NodeTemplate], profile: Profile, daemons: DaemonSets, *,
               time_limit: float = 10.0, seed: int | None = None, as_scheduled: bool = False,
               stop_at: int | None = None, stages: Stages | None = None, deadline: Deadline | None = None
               ) -> NodePlan:
    """`stop_at`: stop searching at this cost, a lower bound known from elsewhere (the kernel
    stops at its own lower bound anyway). `stages`: where the progress goes. `deadline`
    (default: `time_limit` from now) bounds the search, the replay and --as-scheduled;
    what it cuts short, the plan says."""
    stages = stages or Stages(enabled=False)
    deadline = deadline or Deadline.after(time_limit)
    if cluster.stopped_reading:
        deadline.cut_short(f"the input was read up to {len(cluster.pending_pods)} pending pods; "
                           "the plan is for those alone")
    pods, undecided = pods_to_plan(cluster, profile)
    plan_input = build(cluster, pods, templates, profile, daemons)
    search_seconds = deadline.remaining()
    stages.begin("searching", search_seconds)
    result = packing.solve(plan_input.problem, time_limit=search_seconds, seed=seed or 0, stop_at=stop_at)

    name = node_names(templates, (n.name for n in cluster.nodes))
    new_nodes: list[tuple[Node, NodeTemplate]] = []
    bin_node: dict[int, str] = {}
    for b, bin_type in enumerate(result.packing.bin_type.tolist()):
        index = plan_input.template_index(bin_type)
        if index is None:
            bin_node[b] = plan_input.existing[bin_type].name
        else:
            node = templates[index].instantiate(name(index))
            new_nodes.append((node, templates[index]))
            bin_node[b] = node.name
    planned = {pod.key: bin_node.get(int(b)) for pod, b in zip(pods, result.packing.item_bin.tolist())}

    snapshot = snapshots.snapshot(list(cluster.nodes), profile, cluster, seed)
    snapshot.add_bound(cluster.bound_pods)
    before = snapshots.usage_by_node(snapshot)
    dra = DraCluster(cluster.dra, list(snapshot.nodes)) if plans_claims(profile) else None
    grower = Grower(snapshot, plan_input, daemons, name, new_nodes, dra)
    grower.join_all(list(new_nodes))
    placements, repaired = _replay(snapshot, plan_input, planned, grower, stages, deadline)
    plan = NodePlan(plan_input, result, new_nodes, placements, repaired, snapshot, before, undecided=undecided,
                    daemon_pods=grower.daemon_pods, deadline=deadline)
    if as_scheduled:
        stages.begin("placing pods one by one as the scheduler does")
        plan.as_scheduled = schedule_adding_nodes(cluster, pods, plan_input, profile, daemons, seed,
                                                  stop=deadline.passed)
        if plan.as_scheduled is None:
            deadline.cut_short("--as-scheduled did not finish")
    return plan


def pods_to_plan(cluster: ClusterInput, profile: Profile) -> tuple[list[Pod], list[Placement]]:
    """The pending pods the profile decides, in queue order; the others, with the reason."""
    pods, undecided = [], []
    for pod in queue_order(cluster.pending_pods):
        if pod.spec.scheduling_gates:
            undecided.append(Placement(pod.key, None, GATED_MESSAGE))
        elif pod.spec.scheduler_name != profile.scheduler_name:
            undecided.append(Placement(pod.key, None, f"no profile serves schedulerName {pod.spec.scheduler_name!r}"))
        else:
            pods.append(pod)
    return pods, undecided


def _replay(snapshot: ClusterSnapshot, plan_input: PlanInput, planned: dict[str, str | None],
            grower: Grower, stages: Stages, deadline: Deadline) -> tuple[list[Placement], int]:
    """Past the deadline, the pods left are placed where the search put them, unchecked."""
    placements: list[Placement] = []
    repaired = 0
    checking = True
    for item, pod in enumerate(plan_input.pods):
        if item % 64 == 0 and checking:
            stages.step("replaying the plan through the engine", item, len(plan_input.pods), "pods")
            if deadline.passed():
                checking = False
                deadline.cut_short(f"{item} of {len(plan_input.pods)} pods were replayed through the engine; "
                                   "the others are placed as the search planned, unchecked")
        target = planned.get(pod.key)
        if target is None:
            placements.append(Placement(pod.key, None, _unfit_message(plan_input, item)))
            continue
        if grower.dra is not None and grower.dra.has_claims(pod):  # checked even past the deadline: claims are allocated
            placement, moved = place_with_claims(snapshot, grower.dra, pod, target, lambda: grower.add_for(item))
            placements.append(placement)
            repaired += moved
            continue
        class_id = snapshot.class_of(pod)
        index = snapshot.node_index[target]
        if not checking:
            snapshot.assume(class_id, index)
            placements.append(Placement(pod.key, target))
            continue
        if snapshots.feasible_on(snapshot, class_id, index):
            snapshot.assume(class_id, index)
            placements.append(Placement(pod.key, target))
            continue
        repaired += 1
        decision = snapshot.decide(pod, class_id=class_id)
        if not decision.placed and grower.add_for(item) is not None:
            decision = snapshot.decide(pod, class_id=class_id)
        placements.append(Placement(pod.key, decision.node, decision.message))
    return placements, repaired


def _unfit_message(plan_input: PlanInput, item: int) -> str:
    reasons = plan_input.unfit_reasons.get(item)
    total = plan_input.problem.type_count
    if not reasons and item in plan_input.local_volumes_only:
        return ("no room left: the existing nodes this pod may use are full, and new nodes come without "
                "PersistentVolumes: node(s) didn't find available persistent volumes to bind on every node template "
                "(static PVs are only on the nodes they were made for)")
    if not reasons:
        return "no room left: the existing nodes this pod may use are full and no node template takes it"
    parts = ", ".join(f"{count} {text}" for text, count in sorted(reasons.items()))
    return f"0/{total} node templates and existing nodes are available: {parts}."
