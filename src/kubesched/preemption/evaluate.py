"""The entry point: DefaultPreemption for one pod that fits no node, on a ClusterSnapshot.
The victim search runs in the core (src/_core/preemption.cpp); this module checks the
pod's eligibility and turns the core's answer into records and upstream's messages."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from kubesched.model.records import Pod
from kubesched.preemption.args import PreemptionArgs, preemption_args
from kubesched.preemption.pdb import PodDisruptionBudget
from kubesched.preemption.result import (NEVER, TERMINATING, Candidate, Preemption, not_helpful_message,
                                         success_message)
from kubesched.preemption.status import resolvable
from kubesched.preemption.table import PodTable
from kubesched.preemption.victims import PodOnNode
from kubesched.engine.texts import PREEMPTION_CRITERIA


def preempt(snapshot, pod: Pod, placed: PodTable | Iterable[PodOnNode], pdbs: Sequence[PodDisruptionBudget] = (),
            args: PreemptionArgs | None = None, *, nominated: Sequence[tuple[Pod, str]] = (),
            offset: int = 0, class_id: int | None = None) -> Preemption:
    """What DefaultPreemption decides for `pod`, which the filters rejected on every node of
    `snapshot` (a ClusterSnapshot holding exactly the pods of `placed`: a PodTable, or
    PodOnNode entries in each node's order). Changes nothing: the caller evicts the
    victims and nominates the pod.

    `pdbs` are used when `placed` is not a PodTable (a table has its own). `nominated`:
    pods nominated to a node and not bound yet, as (pod, node name); those at the pod's
    priority or above count against that node. The pod's own nomination is
    `pod.raw["status"]["nominatedNodeName"]`, if any. `offset`: where the dry run starts
    among the potential nodes (upstream draws it at random). `class_id`: the pod's class
    when it is not `snapshot.class_of(pod)` (a pod with claims: its class carries
    DynamicResources' verdicts, fixed as upstream's PreFilter fixes its allocator's state)."""
    table = placed if isinstance(placed, PodTable) else PodTable(snapshot, pdbs, placed)
    args = args or preemption_args(snapshot.profile) or PreemptionArgs()
    class_id = snapshot.class_of(pod) if class_id is None else class_id
    held = _held(snapshot, pod, nominated)
    ineligible = _ineligible(snapshot, pod, class_id, table, held)
    if ineligible is not None:
        return ineligible
    answer = table.victims.preempt(class_id, pod.priority, table.budgets_allowed(), held, offset=offset,
                                   min_candidate_percentage=args.min_candidate_nodes_percentage,
                                   min_candidate_absolute=args.min_candidate_nodes_absolute)
    return _answered(snapshot, table, answer)


def preempt_and_retry(snapshot, pod: Pod, table: PodTable, class_id: int, *, nominated: Sequence[tuple[Pod, str]] = (),
                      held: Sequence[tuple[int, int]] = (), args: PreemptionArgs | None = None,
                      offset: int = 0) -> tuple[Preemption, int]:
    """preempt() on a PodTable and, when it nominates a node, the scheduling
    cycle's next steps, all in one core call: the victims leave the engine and the table, and
    the pod is tried again, first on its nominated node, yielding to `held` ((class id, node
    index) of nominated pods, as Engine.schedule_with_nominated). Returns the answer and the
    node index the pod is now assumed on, or -1 (the reasons are in the engine's
    `last_failure()`). The answer names the chosen candidate only: preempt() lists them all."""
    held_now = _held(snapshot, pod, nominated)
    ineligible = _ineligible(snapshot, pod, class_id, table, held_now)
    if ineligible is not None:
        return ineligible, -1
    args = args or preemption_args(snapshot.profile) or PreemptionArgs()
    answer, node = table.victims.preempt_and_retry(class_id, pod.priority, table.budgets_allowed(), held_now, held,
                                                   offset=offset, min_candidate_percentage=args.min_candidate_nodes_percentage,
                                                   min_candidate_absolute=args.min_candidate_nodes_absolute)
    result = _answered(snapshot, table, answer)
    table.left(result.victims)
    return result, node


def _held(snapshot, pod: Pod, nominated: Sequence[tuple[Pod, str]]) -> list[tuple[int, int]]:
    """(class id, node index) of the nominated pods that count against their node."""
    if not nominated:
        return []
    index = snapshot.node_index
    return [(snapshot.class_of(other), index[node]) for other, node in nominated
            if other is not pod and other.priority >= pod.priority and node in index]


def _ineligible(snapshot, pod: Pod, class_id: int, table: PodTable, held) -> Preemption | None:
    """Why DefaultPreemption does not search for this pod now, else None: PostFilter ended
    before it (kubesched.engine.fit_error), or PodEligibleToPreemptOthers says no."""
    if snapshot.post_filter_ends(class_id):
        return Preemption(None, eligible=False)
    if pod.spec.preemption_policy == "Never":
        return Preemption(None, message=f"preemption: {NEVER}", eligible=False)
    if _waits_for_terminating_victims(snapshot, pod, class_id, table, held):
        return Preemption(None, message=f"preemption: {TERMINATING}", eligible=False)
    return None


def _answered(snapshot, table: PodTable, answer) -> Preemption:
    """The core's answer as a Preemption, with upstream's messages."""
    chosen = answer.chosen_candidate()
    if chosen is None:
        statuses = _statuses(snapshot, answer)
        return Preemption(None, statuses=statuses, message=not_helpful_message(snapshot.node_count, statuses))
    node, victims, violations = chosen
    name = snapshot.node_names[node]
    return _CorePreemption(name, [table.pods[i] for i in victims], violations, success_message(name, len(victims)),
                           PREEMPTION_CRITERIA[answer.decided_by], snapshot, table, answer)


def _statuses(snapshot, answer) -> dict[str, list[str]]:
    names = snapshot.node_names
    return {names[node]: reasons for node, reasons in answer.rejected()}


class _CorePreemption(Preemption):
    """A nomination whose other candidates and rejected nodes are read from the core's
    answer only when asked (explain does; a simulation's flow does not)."""

    def __init__(self, node, victims, pdb_violations, message, decided_by, snapshot, table, answer):
        self.nominated_node, self.victims, self.pdb_violations = node, victims, pdb_violations
        self.message, self.decided_by, self.eligible = message, decided_by, True
        self._read = (snapshot, table, answer)
        self._candidates = self._statuses = None

    @property
    def candidates(self) -> list[Candidate]:
        if self._candidates is None:
            snapshot, table, answer = self._read
            names = snapshot.node_names
            self._candidates = [Candidate(names[node], [table.pods[i] for i in victims], violations)
                                for node, victims, violations in answer.candidates()]
        return self._candidates

    @property
    def statuses(self) -> dict[str, list[str]]:
        if self._statuses is None:
            self._statuses = _statuses(self._read[0], self._read[2])
        return self._statuses


def nominated_node_of(pod: Pod) -> str:
    status = (pod.raw or {}).get("status")
    node = status.get("nominatedNodeName") if isinstance(status, dict) else None
    return node if isinstance(node, str) else ""


def yields_to(pod: Pod, nominated: Pod, node: str, snapshot) -> bool:
    """Whether another pod's nomination to `node` counts in `pod`'s filters (upstream's
    addGENominatedPods): of `pod`'s priority or above, on a node of the snapshot."""
    return nominated.priority >= pod.priority and node in snapshot.node_index


def _waits_for_terminating_victims(snapshot, pod: Pod, class_id: int, table: PodTable, held) -> bool:
    """PodEligibleToPreemptOthers: a pod nominated to a node where lower-priority pods are
    still terminating (an earlier preemption's victims) waits, unless the node rejects it
    as unresolvable now."""
    node = nominated_node_of(pod)
    if not node or node not in snapshot.node_index:
        return False
    rows = [r for r in table.rows_on(node) if table.terminating[r] and table.pods[r].priority < pod.priority]
    if not rows:
        return False
    evaluation = snapshot.look(class_id)
    i = snapshot.node_index[node]
    reasons = evaluation["reasons"][i]
    return not reasons or resolvable(pod, snapshot.nodes[i], reasons)
