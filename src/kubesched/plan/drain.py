"""`kubesched plan drain`: can these nodes go? The nodes are cordoned (as `kubectl drain`
does), the pods on them are evicted and their replacements are decided by the engine in
queue order. DaemonSet pods stay (drain ignores them, and they tolerate the cordon); pods
without a controller are deleted for good, so they are listed apart, not re-placed.

PodDisruptionBudgets: for each budget, the pods it selects (bound, in its namespace),
how many evictions it allows (healthy minus desired healthy, percentages rounded up, every
bound pod counted healthy) and how many of its pods the drain evicts. Evicting them all at
once violates the budget when that is more than it allows.

Preemption: unless told not to, an evicted pod that fits nowhere preempts as the scheduler
would (kubesched.plan.preempting), in queue order. Its victims are listed; those with a
controller are recreated and placed in turn (they may preempt pods of lower priority
still), the others are deleted for good.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field, replace

from kubesched.dra.plugin import DraCluster
from kubesched.errors import InputError
from kubesched.framework.profile import Profile
from kubesched.model.cluster import ClusterInput
from kubesched.model.records import Pod
from kubesched.model.selectors import label_selector_matches, parse_label_selector
from kubesched.plan import snapshots
from kubesched.dra.release import release_claims
from kubesched.plan.drain_dra import place_replacement_preempting, released, replacement
from kubesched.plan.preempting import PreemptingOutcome, PreemptingPlacer
from kubesched.preemption.pdb import scaled
from kubesched.engine.queue_order import input_order_key, queue_order
from kubesched.engine.cluster import ClusterSnapshot

MIRROR_ANNOTATION = "kubernetes.io/config.mirror"


@dataclass
class Eviction:
    pod: str
    source: str
    node: str | None
    message: str = ""
    preempted_by: str = ""  # a victim of preemption, recreated: the pod that preempted it


@dataclass
class BudgetCheck:
    name: str                 # namespace/name
    selected: int
    allowed: int              # disruptions allowed now
    evicted: int              # selected pods on the drained nodes
    violated: bool            # evicting them at once exceeds the budget

    def to_json(self) -> dict:
        return {"name": self.name, "selectedPods": self.selected, "disruptionsAllowed": self.allowed,
                "evicted": self.evicted, "violatedIfSimultaneous": self.violated}


@dataclass
class DrainPlan:
    nodes: list[str]
    evictions: list[Eviction]
    not_recreated: list[str]  # pods without a controller: deleted, nothing replaces them
    kept: list[str]           # DaemonSet and mirror pods: drain leaves them
    budgets: list[BudgetCheck]
    snapshot: ClusterSnapshot
    before: dict = field(default_factory=dict)
    preemptions: list[PreemptingOutcome] = field(default_factory=list)  # the re-placed pods that preempted
    preempted_for_good: list[str] = field(default_factory=list)  # victims without a controller

    @property
    def unschedulable(self) -> list[Eviction]:
        return [e for e in self.evictions if e.node is None]

    @property
    def fits(self) -> bool:
        return not self.unschedulable

    def to_json(self) -> dict:
        return {
            "nodes": self.nodes,
            "fits": self.fits,
            "evicted": len(self.evictions),
            "placements": [{"pod": e.pod, "from": e.source, "node": e.node} for e in self.evictions if e.node],
            "unschedulable": [{"pod": e.pod, "from": e.source, "message": e.message} for e in self.unschedulable],
            "notRecreated": self.not_recreated,
            "keptOnNode": self.kept,
            "podDisruptionBudgets": [b.to_json() for b in self.budgets],
            "budgetsViolatedIfSimultaneous": [b.name for b in self.budgets if b.violated],
            "preemptions": [p.preemption_json() for p in self.preemptions],
            "preemptedNotRecreated": self.preempted_for_good,
        }


def plan_drain(cluster: ClusterInput, drained: list[str], profile: Profile, seed: int | None = None,
               allow_preemption: bool = True) -> DrainPlan:
    names = {n.name for n in cluster.nodes}
    for name in drained:
        if name not in names:
            raise InputError(f"no node named {name!r} in the input", field="--nodes")
    going = set(drained)
    cordoned = [replace(n, unschedulable=True) if n.name in going else n for n in cluster.nodes]
    staying, evicted, not_recreated, kept = [], [], [], []
    for pod in cluster.bound_pods:
        if pod.node_name not in going:
            staying.append(pod)
        elif pod.owner_kind == "DaemonSet" or _is_mirror(pod):
            staying.append(pod)
            kept.append(pod.key)
        elif not pod.owner_kind:
            not_recreated.append(pod.key)
        else:
            evicted.append(pod)

    full = snapshots.snapshot(list(cluster.nodes), profile, cluster, seed)
    full.add_bound(cluster.bound_pods)
    before = snapshots.usage_by_node(full)

    snapshot = snapshots.snapshot(cordoned, profile, cluster, seed)
    snapshot.add_bound(staying)
    dra = DraCluster(released(cluster.dra, evicted), list(snapshot.nodes)) \
        if "DynamicResources" in profile.filters else None
    evictions, preemptions, for_good = _replace_pods(snapshot, staying, evicted, cluster.pdbs, allow_preemption, dra)
    budgets = [_check_budget(pdb, cluster.bound_pods, going) for pdb in cluster.pdbs]
    return DrainPlan(list(drained), evictions, not_recreated, kept, budgets, snapshot, before, preemptions,
                     for_good)


def _replace_pods(snapshot: ClusterSnapshot, staying: list[Pod], evicted: list[Pod], pdbs: list[dict],
                  allow_preemption: bool, dra: DraCluster | None = None
                  ) -> tuple[list[Eviction], list[PreemptingOutcome], list[str]]:
    """The evicted pods' replacements, decided one by one in queue order; a victim of
    preemption with a controller joins the queue (as recreated), one without is gone.
    This ends: each step places a pod and evicts only pods of lower priority, so the
    number of pods placed at each priority, highest first, only grows."""
    placer = PreemptingPlacer(snapshot, staying, pdbs, allow_preemption)
    order = itertools.count()
    heap = [(*input_order_key(p), next(order), p, p.node_name, "") for p in queue_order(evicted)]
    heapq.heapify(heap)
    evictions: list[Eviction] = []
    preemptions: list[PreemptingOutcome] = []
    for_good: list[str] = []
    while heap:
        *_, original, source, preempted_by = heapq.heappop(heap)
        if dra is not None and dra.has_claims(original):  # drain_dra.py
            landed, victims, violations = place_replacement_preempting(snapshot, dra, placer, replacement(original))
            if landed.node is not None:
                placer.placed(original, landed.node)
            evictions.append(Eviction(original.key, source, landed.node, landed.message, preempted_by))
            placement = PreemptingOutcome(original, landed.node, landed.message, victims=victims,
                                          pdb_violations=violations)
        else:
            placement = placer.place(replace(original, node_name=""))
            evictions.append(Eviction(original.key, source, placement.node, placement.message, preempted_by))
            if dra is not None:  # the victims' claims are released (drain_dra.py)
                for victim in placement.victims:
                    release_claims(dra, victim)
        if not placement.victims:
            continue
        preemptions.append(placement)
        for victim in placement.victims:
            if victim.owner_kind:
                heapq.heappush(heap, (*input_order_key(victim), next(order), victim, placement.node, original.key))
            else:
                for_good.append(victim.key)
    return evictions, preemptions, for_good


def _is_mirror(pod: Pod) -> bool:
    meta = (pod.raw or {}).get("metadata") or {}
    return MIRROR_ANNOTATION in (meta.get("annotations") or {})


def _check_budget(pdb: dict, bound: list[Pod], going: set[str]) -> BudgetCheck:
    meta = pdb.get("metadata") or {}
    namespace = meta.get("namespace") or "default"
    name = f"{namespace}/{meta.get('name', '?')}"
    spec = pdb.get("spec") or {}
    try:
        selector = None if spec.get("selector") is None else parse_label_selector(spec["selector"], "spec.selector")
        selected = [p for p in bound if p.namespace == namespace and selector is not None
                    and label_selector_matches(selector, p.labels)]
        expected = len(selected)
        if spec.get("maxUnavailable") is not None:
            desired = expected - scaled(spec["maxUnavailable"], expected, "spec.maxUnavailable")
        else:
            min_available = spec.get("minAvailable")
            desired = 1 if min_available is None else scaled(min_available, expected, "spec.minAvailable")
    except InputError as e:
        raise e.located(obj=f"PodDisruptionBudget {name}") from None
    allowed = max(0, expected - desired)
    evicted = sum(1 for p in selected if p.node_name in going)
    return BudgetCheck(name, expected, allowed, evicted, evicted > allowed)
