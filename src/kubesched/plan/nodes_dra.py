"""`plan nodes` for pods with resource claims (DynamicResources in the profile).

The packing problem learns what the allocator says: a pod may go on a type only where its
claims can be allocated on an empty node of it (existing nodes: with the devices other
claims hold taken), and one column per kind of claims (pods whose claims ask alike) counts
how many pods of that kind the type's devices serve on their own — each pod's template
claims are its own, as plan fit has them. Pods of different kinds that want the same
devices may be planned together beyond what the node has; the replay, which allocates
every claim as the scheduler does, repairs that.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from kubesched.dra.allocated_state import take
from kubesched.dra.allocator import AllocationError, Allocator, ClaimToAllocate
from kubesched.dra.plugin import FITS, VERDICT_TEXT, DraCluster, PodClaims, Unschedulable, Waiting
from kubesched.framework.profile import Profile
from kubesched.model.cluster import ClusterInput
from kubesched.model.records import Node, Pod
from kubesched.plan.templates import NodeTemplate
from kubesched.engine.dra_decision import claims_json, passing_other_filters, prefilter, rejected_message
from kubesched.engine.placement import Placement

PODS = "pods"


def plans_claims(profile: Profile) -> bool:
    return "DynamicResources" in profile.filters


@dataclass
class DeviceColumns:
    names: list[str]
    sizes: np.ndarray          # [items, columns]
    capacities: np.ndarray     # [types, columns]
    allowed: np.ndarray        # [items, types]: the allocator's verdict on an empty node of the type
    verdicts: dict[int, list[str | None]]  # item -> per type, why its claims cannot be allocated there
    pods: list[Pod]            # as the filters before DynamicResources see them (DraCluster.for_filters)


def device_columns(cluster: ClusterInput, pods: list[Pod], probes: list[Node], templates: list[NodeTemplate]
                   ) -> DeviceColumns:
    existing = list(cluster.nodes)
    dra = DraCluster(cluster.dra, list(existing))
    dra.add_nodes([(probe, template.slices_for(probe.name)) for probe, template in zip(probes, templates)])
    types = len(dra.nodes)
    allowed = np.ones((len(pods), types), dtype=bool)
    kinds: dict[tuple, int] = {}
    capacities: list[list[int]] = []
    wants: list[tuple[int, int]] = []  # (item, column)
    verdicts: dict[int, list[str | None]] = {}
    for item, pod in enumerate(pods):
        if not dra.has_claims(pod):
            continue
        try:
            claims = dra.prefilter(pod)
            verdict, _, _ = dra.verdicts(claims)
        except (Unschedulable, AllocationError) as rejection:
            allowed[item] = False
            verdicts[item] = [str(rejection)] * types
            continue
        allowed[item] = [v == FITS for v in verdict]
        verdicts[item] = [None if v == FITS else VERDICT_TEXT[v] for v in verdict]
        if not claims.to_allocate:
            continue  # allocated already: only where those devices are
        column = kinds.get(claims.signature)
        if column is None:
            column = kinds[claims.signature] = len(kinds)
            capacities.append([_copies(dra, claims, n) if verdict[n] == FITS else 0 for n in range(types)])
        wants.append((item, column))
    sizes = np.zeros((len(pods), len(kinds)), dtype=np.int64)
    for item, column in wants:
        sizes[item, column] = 1
    names = [f"devices for claims like {pods[next(i for i, c in wants if c == k)].key}'s" for k in range(len(kinds))]
    caps = np.array(capacities, dtype=np.int64).reshape(len(kinds), types).T
    return DeviceColumns(names, sizes, caps, allowed, verdicts, [dra.for_filters(pod) for pod in pods])


def _copies(dra: DraCluster, claims: PodClaims, n: int) -> int:
    """How many pods with claims like these the node's free devices serve, one after the
    other as the allocator allocates them (at most the pods the node takes)."""
    node = dra.nodes[n]
    claims = dra.on_node(claims, node)
    to_allocate = [ClaimToAllocate(claims.claims[i].key, claims.claims[i].spec) for i in claims.to_allocate]
    allocated, shares = set(dra.allocated), dra.shares.copy()
    copies = 0
    while copies < node.allocatable.get(PODS, 0):
        try:
            result = Allocator(dra.inventory, dra.objects.classes, allocated, shares).allocate(node, to_allocate)
        except AllocationError:
            break
        if isinstance(result, str):
            break
        for allocation in result:
            take(allocated, shares, allocation)
        copies += 1
    return copies


def unfit_reasons(engine_reasons: list[tuple[str | None, list[str]]], verdicts: list[str | None]) -> Counter:
    """Per type, the engine's reasons where its filters reject the pod, else DynamicResources'."""
    counts: Counter = Counter()
    for (failed, reasons), verdict in zip(engine_reasons, verdicts):
        if failed is not None:
            counts.update(reasons)
        else:
            counts.update([verdict or "not enough room left on the node"])
    return counts


def place_with_claims(snapshot, dra: DraCluster, pod: Pod, target: str | None, grow=None) -> tuple[Placement, bool]:
    """The pod on `target` if the profile, its claims included, takes it there; else where
    the scheduler puts it, on a node `grow()` adds if it fits nowhere. (placement, whether
    it left `target`). The pod is assumed and its claims are allocated on its node."""
    try:
        claims = prefilter(snapshot, dra, pod)
    except Waiting as wait:
        return Placement(pod.key, None, str(wait)), target is not None
    except Unschedulable as rejection:
        return Placement(pod.key, None, rejected_message(snapshot, rejection)), target is not None
    try:
        class_id, allocations = _class(snapshot, dra, claims, pod)
        if target is not None:
            index = snapshot.node_index[target]
            if index in allocations and snapshot.feasible_on(class_id, index):
                snapshot.assume(class_id, index)
                dra.reserve(claims, index, allocations[index])
                return Placement(pod.key, target, claims=claims_json(claims)), False
        decision = snapshot.decide(pod, class_id=class_id)
        if not decision.placed and grow is not None and grow() is not None:
            class_id, allocations = _class(snapshot, dra, claims, pod)
            decision = snapshot.decide(pod, class_id=class_id)
    except AllocationError as error:
        return Placement(pod.key, None, f"error: running \"DynamicResources\" filter plugin: {error}"), True
    if not decision.placed:
        return Placement(pod.key, None, decision.message), True
    dra.reserve(claims, decision.index, allocations[decision.index])
    return Placement(pod.key, decision.node, claims=claims_json(claims)), True


def _class(snapshot, dra: DraCluster, claims: PodClaims, pod: Pod) -> tuple[int, dict]:
    pod = dra.for_filters(pod)
    verdict, score, allocations = dra.verdicts(claims, passing_other_filters(snapshot, pod))
    return snapshot.class_with_dra(pod, verdict, score), allocations
