"""The pure-Python reference of DefaultPreemption's PostFilter, written from upstream's
documented behaviour and its table tests: slow and obvious, over a ReferenceScheduler's
node states. The tests check the core's victim search against it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kubesched.model.records import Pod
from kubesched.preemption.args import PreemptionArgs, candidates_to_find
from kubesched.preemption.pdb import PodDisruptionBudget, violating
from kubesched.preemption.result import (NEVER, NO_VICTIMS, TERMINATING, Candidate, Preemption,
                                         not_helpful_message, success_message)
from kubesched.preemption.select import pick_candidate
from kubesched.preemption.status import resolvable
from tests.reference.reference import NodeState, ReferenceScheduler

from kubesched.preemption.victims import LATEST


def _fails(scheduler: ReferenceScheduler, pod: Pod, state: NodeState,
           nominated: Sequence[tuple[Pod, str]], devices: Mapping[str, str] | None = None) -> list[str]:
    """RunFilterPluginsWithNominatedPods: the reasons the pod fails on the node with the
    pods nominated there at its priority or above added, and (if it passes) without them.
    `devices`: DynamicResources' rejection per node name, the last filter, fixed as its
    PreFilter found the devices (no AddPod/RemovePod: pods leaving change nothing)."""
    failed, reasons = scheduler.failure_with_nominated(pod, state, nominated)
    if failed is None and devices and devices.get(state.node.name):
        return [devices[state.node.name]]
    return reasons if failed is not None else []


def _more_important_first(pods: list[Pod], start_times: Mapping[str, int], order: list[Pod]) -> list[Pod]:
    """MoreImportantVictim: higher priority, then the earlier start; pods without a start
    time started "now" when upstream looked at them, in the node's order."""
    return sorted(pods, key=lambda p: (-p.priority, start_times.get(p.key, LATEST), order.index(p)))


def select_victims(scheduler: ReferenceScheduler, pod: Pod, state: NodeState, pdbs: Sequence[PodDisruptionBudget],
                   start_times: Mapping[str, int], nominated: Sequence[tuple[Pod, str]],
                   devices: Mapping[str, str] | None = None) -> tuple[list[Pod], int, list[str]]:
    """SelectVictimsOnNode: (victims most important first, PDB violations, the rejection
    reasons when there is no way)."""
    original = list(state.residents)
    potential = [p for p in original if p.priority < pod.priority]
    if not potential:
        return [], 0, [NO_VICTIMS]
    for p in potential:
        state.remove(p)
    try:
        reasons = _fails(scheduler, pod, state, nominated, devices)
        if reasons:
            return [], 0, reasons
        potential = _more_important_first(potential, start_times, original)
        flags = violating(potential, pdbs)
        victims: list[Pod] = []
        violations = 0
        ordered = [p for p, f in zip(potential, flags) if f] + [p for p, f in zip(potential, flags) if not f]
        for p, flag in zip(ordered, [True] * sum(flags) + [False] * (len(flags) - sum(flags))):
            state.add(p)
            if _fails(scheduler, pod, state, nominated, devices):
                state.remove(p)
                victims.append(p)
                violations += flag
        if any(flags) and not all(flags):
            victims = _more_important_first(victims, start_times, original)
        return victims, violations, []
    finally:
        for p in potential:
            if p not in state.residents:
                state.add(p)
        state.residents.sort(key=original.index)


def reference_preempt(scheduler: ReferenceScheduler, pod: Pod, pdbs: Sequence[PodDisruptionBudget] = (),
                      args: PreemptionArgs = PreemptionArgs(), *, start_times: Mapping[str, int] | None = None,
                      nominated: Sequence[tuple[Pod, str]] = (), nominated_node: str = "",
                      terminating: frozenset[str] = frozenset(), offset: int = 0,
                      devices: Mapping[str, str] | None = None) -> Preemption:
    """DefaultPreemption for `pod`, which fits no node of `scheduler` now. `nominated`:
    pods nominated to nodes and not bound yet; `terminating`: keys of pods being deleted by
    an earlier preemption; `offset`: where the dry run starts among the potential nodes;
    `devices`: for a pod with claims, DynamicResources' rejection per node (see _fails)."""
    start_times = start_times or {}
    if pod.spec.preemption_policy == "Never":
        return Preemption(None, message=f"preemption: {NEVER}", eligible=False)
    with scheduler.what_if():  # every node's dry run against one PreFilter state
        statuses = {s.node.name: _fails(scheduler, pod, s, nominated, devices) for s in scheduler.states}
        if nominated_node:
            state = next((s for s in scheduler.states if s.node.name == nominated_node), None)
            unresolvable = state is not None and not resolvable(pod, state.node, statuses[nominated_node])
            if state is not None and not unresolvable and any(
                    p.priority < pod.priority and p.key in terminating for p in state.residents):
                return Preemption(None, message=f"preemption: {TERMINATING}", eligible=False)
        potential = [s for s in scheduler.states
                     if statuses[s.node.name] and resolvable(pod, s.node, statuses[s.node.name])]
        wanted = candidates_to_find(args, len(potential))
        clean: list[Candidate] = []
        dirty: list[Candidate] = []
        rejected: dict[str, list[str]] = {}
        for i in range(len(potential)):
            state = potential[(offset + i) % len(potential)]
            victims, violations, reasons = select_victims(scheduler, pod, state, pdbs, start_times, nominated, devices)
            if not victims:
                rejected[state.node.name] = reasons
                continue
            found = Candidate(state.node.name, victims, violations)
            target = dirty if violations else clean
            if len(target) < wanted:
                target.append(found)
            if clean and len(clean) + len(dirty) >= wanted:
                break
        candidates = clean + dirty
        if not candidates:
            return Preemption(None, statuses=rejected, message=not_helpful_message(len(scheduler.states), rejected))
        chosen, decided_by = pick_candidate(candidates, start_times)
        return Preemption(chosen.node, list(chosen.victims), chosen.pdb_violations, candidates, rejected,
                          success_message(chosen.node, len(chosen.victims)), decided_by)
