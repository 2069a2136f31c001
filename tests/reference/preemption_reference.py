"""The pure-Python reference of DefaultPreemption's PostFilter, written from upstream's
documented behaviour and its table tests: slow and obvious, over a ReferenceScheduler's
node states. The tests check the core's victim search against it. Only the records
(DefaultPreemptionArgs, budgets, the result) and the message texts come from
kubesched.preemption; every rule is this file's."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kubesched.model.records import Node, Pod
from kubesched.preemption.args import PreemptionArgs
from kubesched.preemption.pdb import PodDisruptionBudget
from kubesched.preemption.result import NEVER, NO_VICTIMS, NOT_HELPFUL, TERMINATING, Candidate, Preemption
from tests.reference.reference import NodeState, ReferenceScheduler
from tests.reference.selectors import selector_matches

NOW = 2**63 - 1  # GetPodStartTime of a pod without status.startTime: now, after every real start
INT32_SHIFT = 2**31  # MaxInt32+1, added to each victim's priority before summing

# The plugins whose every Filter rejection is UnschedulableAndUnresolvable, and those whose
# rejections are unresolvable only for some reasons.
UNRESOLVABLE_PLUGINS = frozenset({"NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity", "VolumeBinding",
                                  "VolumeZone", "DynamicResources"})
UNRESOLVABLE_REASONS = {
    "PodTopologySpread": "node(s) didn't match pod topology spread constraints (missing required label)",
    "InterPodAffinity": "node(s) didn't match pod affinity rules",
}


def _status(scheduler: ReferenceScheduler, pod: Pod, state: NodeState, nominated: Sequence[tuple[Pod, str]],
            devices: Mapping[str, str] | None = None) -> tuple[str | None, list[str]]:
    """RunFilterPluginsWithNominatedPods: (the plugin, its reasons) the pod fails with on the
    node with the pods nominated there at its priority or above added, and (if it passes)
    without them; (None, []) when it fits. `devices`: DynamicResources' rejection per node
    name, the last filter, fixed as its PreFilter found the devices (no AddPod/RemovePod:
    pods leaving change nothing)."""
    failed, reasons = scheduler.failure_with_nominated(pod, state, nominated)
    if failed is None and devices and devices.get(state.node.name):
        return "DynamicResources", [devices[state.node.name]]
    return (failed, reasons) if failed is not None else (None, [])


def _fails(scheduler: ReferenceScheduler, pod: Pod, state: NodeState,
           nominated: Sequence[tuple[Pod, str]], devices: Mapping[str, str] | None = None) -> list[str]:
    return _status(scheduler, pod, state, nominated, devices)[1]


def _might_help(pod: Pod, node: Node, plugin: str | None, reasons: list[str], prefiltered: bool) -> bool:
    """nodesWherePreemptionMightHelp: the node rejected the pod with a plain Unschedulable.
    A PreFilter's rejection (of every node, or of those its result leaves out) is
    UnschedulableAndUnresolvable; so is NodeResourcesFit's when a request exceeds the node's
    allocatable outright."""
    if plugin is None or prefiltered or plugin in UNRESOLVABLE_PLUGINS:
        return False  # (a node NodeAffinity's PreFilter result leaves out fails NodeAffinity)
    if UNRESOLVABLE_REASONS.get(plugin) in reasons:
        return False
    if plugin == "NodeResourcesFit":
        for reason in reasons:
            resource = reason.removeprefix("Insufficient ")
            if resource != reason and pod.spec.requests.get(resource, 0) > node.allocatable.get(resource, 0):
                return False
    return True


def candidates_to_find(args: PreemptionArgs, potential_nodes: int) -> int:
    """calculateNumCandidates."""
    wanted = max(potential_nodes * args.min_candidate_nodes_percentage // 100, args.min_candidate_nodes_absolute)
    return min(wanted, potential_nodes)


def _evicting_violates(pod: Pod, pdbs: Sequence[PodDisruptionBudget], allowed: list[int]) -> bool:
    """FilterVictimsWithPDBViolation's podIsViolating: charges the pod to the budgets that
    select it (in their order) until one goes below zero."""
    if not pod.labels:
        return False
    for i, pdb in enumerate(pdbs):
        selector = pdb.selector
        if pdb.namespace != pod.namespace or selector is None:
            continue
        if not selector.match_labels and not selector.match_expressions:
            continue  # an empty selector matches nothing here
        if not selector_matches(selector, pod.labels) or pod.name in pdb.disrupted_pods:
            continue
        allowed[i] -= 1
        if allowed[i] < 0:
            return True
    return False


def violating(victims: Sequence[Pod], pdbs: Sequence[PodDisruptionBudget]) -> list[bool]:
    allowed = [pdb.disruptions_allowed for pdb in pdbs]
    return [_evicting_violates(p, pdbs, allowed) for p in victims]


def pick_candidate(candidates: Sequence[Candidate], start_times: Mapping[str, int]) -> tuple[Candidate, str]:
    """pickOneNodeForPreemption, and the criterion that singled the choice out."""
    def earliest_start_of_highest(c: Candidate) -> int:
        top = max(p.priority for p in c.victims)
        return min(start_times.get(p.key, NOW) for p in c.victims if p.priority == top)

    if len(candidates) == 1:
        return candidates[0], "only candidate"
    scores = (("fewest PDB violations", lambda c: -c.pdb_violations),
              ("lowest highest-victim priority", lambda c: -c.victims[0].priority),
              ("smallest sum of victim priorities", lambda c: -sum(p.priority + INT32_SHIFT for p in c.victims)),
              ("fewest victims", lambda c: -len(c.victims)),
              ("latest start of the highest-priority victims", earliest_start_of_highest))
    tied = list(candidates)
    for name, score in scores:
        best = max(score(c) for c in tied)
        tied = [c for c in tied if score(c) == best]
        if len(tied) == 1:
            return tied[0], name
    return tied[0], "first of the tied"


def not_helpful_message(node_count: int, statuses: dict[str, list[str]]) -> str:
    """The FitError of a dry run that found no candidate: its rejections counted, every node
    it did not try as not helpful."""
    counts: dict[str, int] = {}
    for reasons in statuses.values():
        for reason in reasons:
            counts[reason] = counts.get(reason, 0) + 1
    if node_count > len(statuses):
        counts[NOT_HELPFUL] = counts.get(NOT_HELPFUL, 0) + node_count - len(statuses)
    message = f"0/{node_count} nodes are available:"
    if counts:
        message += " " + ", ".join(sorted(f"{n} {reason}" for reason, n in counts.items())) + "."
    return f"preemption: {message}"


def _more_important_first(pods: list[Pod], start_times: Mapping[str, int], order: list[Pod]) -> list[Pod]:
    """MoreImportantVictim: higher priority, then the earlier start; pods without a start
    time started "now" when upstream looked at them, in the node's order."""
    return sorted(pods, key=lambda p: (-p.priority, start_times.get(p.key, NOW), order.index(p)))


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
    if not scheduler.states:  # kube-scheduler fails before any plugin runs: no PostFilter
        return Preemption(None, eligible=False)
    if pod.spec.preemption_policy == "Never":
        return Preemption(None, message=f"preemption: {NEVER}", eligible=False)
    prefiltered = scheduler.rejecting_plugin(pod) is not None
    if prefiltered and scheduler.profile.dra_post_filter:
        # DynamicResources' PostFilter runs first, finds no state of its PreFilter (which
        # never ran) and its error ends PostFilter: DefaultPreemption does not run
        return Preemption(None, eligible=False)
    with scheduler.what_if():  # every node's dry run against one PreFilter state
        statuses = {s.node.name: _status(scheduler, pod, s, nominated, devices) for s in scheduler.states}

        def might_help(state: NodeState) -> bool:
            plugin, reasons = statuses[state.node.name]
            return _might_help(pod, state.node, plugin, reasons, prefiltered)

        if nominated_node:
            state = next((s for s in scheduler.states if s.node.name == nominated_node), None)
            unresolvable = state is not None and statuses[nominated_node][0] is not None and not might_help(state)
            if state is not None and not unresolvable and any(
                    p.priority < pod.priority and p.key in terminating for p in state.residents):
                return Preemption(None, message=f"preemption: {TERMINATING}", eligible=False)
        potential = [s for s in scheduler.states if might_help(s)]
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
        message = f"preemption: found a potential placement for pod on node {chosen.node}, preempting " \
                  f"{len(chosen.victims)} victims"
        return Preemption(chosen.node, list(chosen.victims), chosen.pdb_violations, candidates, rejected, message,
                          decided_by)
