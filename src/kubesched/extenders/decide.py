"""A decision with extenders, as upstream's schedulePod makes it: the core's filters, then
each interested extender's filter in turn on the nodes still feasible; one node left is
taken as is; otherwise the core's total plus each extender's score × weight × 10
(MaxNodeScore / MaxExtenderPriority). An extender that fails is skipped when ignorable,
else the attempt is an error (retried after backoff); its prioritize errors are ignored.

The decision (kubesched.engine.decision.Decision) keeps what each extender answered and the
totals (`Decision.extenders`, an ExtenderRun), for explain."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from kubesched.extenders.client import ExtenderError, HttpExtender
from kubesched.engine.decision import Decision
from kubesched.engine.fit_error import fit_error_message, reason_counts
from kubesched.logs import V, kv

log = logging.getLogger("kubesched.live")

SCORE_SCALE = 10  # MaxNodeScore (100) / MaxExtenderPriority (10)


@dataclass
class ExtenderCall:
    """What one extender answered for one pod."""
    extender: HttpExtender
    asked: list[str] = field(default_factory=list)        # nodes its filter was sent
    passed: list[str] | None = None                       # None: no filter call
    failed: dict[str, str] = field(default_factory=dict)  # node → message (Unschedulable)
    unresolvable: dict[str, str] = field(default_factory=dict)  # UnschedulableAndUnresolvable
    filter_error: str | None = None                       # an ignorable extender's error
    scores: dict[str, int] | None = None                  # node → 0..10, unweighted; None: not asked
    score_error: str | None = None


@dataclass
class ExtenderRun:
    """What the extenders made of one pod (a Decision's `extenders`)."""
    evaluation: dict = field(repr=False)  # the core's
    calls: list[ExtenderCall] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)  # feasible node → core + extenders' total
    binder: HttpExtender | None = None  # the extender that binds the pod placed


def interested(extenders: list[HttpExtender], pod: dict) -> list[HttpExtender]:
    return [extender for extender in extenders if extender.is_interested(pod)]


def decide(snapshot, pod, pod_object: dict, extenders: list[HttpExtender],
           node_objects: dict[str, dict], *, assume: bool = True, nominated=()) -> Decision:
    """`extenders`: those interested in the pod. The pod is assumed on the node chosen
    unless `assume` is false. `nominated`: (class id, node) of the nominated pods the pod
    yields to, for the core's two passes (the extenders see the nodes those leave)."""
    class_id = snapshot.class_of(pod)
    evaluation = snapshot.evaluate(class_id, nominated, draw=False)  # the selection below draws, once
    names = snapshot.node_names
    histogram = reason_counts(evaluation["reasons"])
    # Feasibility from the filters, not from the sign of the total (totals may be negative).
    looked_at = evaluation["order"]  # from the rotating start when sampled
    feasible = [names[i] for i in looked_at if evaluation["failed_filter"][i] is None]
    rejected = len(looked_at) - len(feasible)
    calls = []
    for extender in extenders:
        if not feasible:
            break
        call = ExtenderCall(extender, asked=feasible)
        calls.append(call)
        try:
            passed, failed, unresolvable = extender.filter(pod_object, feasible, node_objects)
        except ExtenderError as error:
            if extender.config.ignorable:
                log.info("Skipping extender as it returned error and has ignorable flag set",
                         extra=kv(extender=extender.name, err=str(error)))
                call.filter_error = str(error)
                continue
            return Decision(pod, None, error=str(error), counts=(0, 0), extenders=ExtenderRun(evaluation, calls))
        call.passed, call.failed, call.unresolvable = passed, failed, unresolvable
        for node, message in {**failed, **unresolvable}.items():
            histogram[message] = histogram.get(message, 0) + 1
            rejected += 1
        known = set(feasible)
        feasible = [node for node in passed if node in known]
    counts = (len(feasible) + rejected, len(feasible))
    run = ExtenderRun(evaluation, calls)
    if not feasible:
        return Decision(pod, None, message=fit_error_message(snapshot.node_count, histogram, snapshot.profile),
                        counts=counts, extenders=run)
    index = snapshot.node_index
    totals = run.totals = {node: evaluation["total"][index[node]] for node in feasible}
    if len(feasible) == 1:
        chosen = feasible[0]
    else:
        by_extender = {id(call.extender): call for call in calls}
        for extender in extenders:
            if not extender.config.prioritize_verb:
                continue
            call = by_extender.get(id(extender))
            if call is None:
                call = by_extender[id(extender)] = ExtenderCall(extender)
                calls.append(call)
            try:
                scores = call.scores = extender.prioritize(pod_object, feasible, node_objects)
            except ExtenderError as error:
                log.log(V(5), "Failed to run extender's priority function. No score given by this extender.",
                        extra=kv(extender=extender.name, err=str(error)))
                call.score_error = str(error)
                continue
            for node, score in scores.items():
                if node in totals:
                    totals[node] += score * extender.config.weight * SCORE_SCALE
        best = max(totals.values())
        rank = {n: k for k, n in enumerate(looked_at)}
        ties = sorted((node for node, total in totals.items() if total == best), key=lambda node: rank[index[node]])
        chosen = ties[snapshot.choose_tie(len(ties))]  # as the core's: --seed's draw, else the first looked at
    if assume:
        snapshot.assume(class_id, index[chosen])
    run.binder = next((extender for extender in extenders if extender.config.bind_verb), None)
    return Decision(pod, chosen, index[chosen], counts=counts, extenders=run)


def passes_on_node(extenders: list[HttpExtender], pod_object: dict, node: str, node_objects: dict[str, dict]) -> bool:
    """The nominated node tried first (upstream's evaluateNominatedNode): whether every
    interested extender's filter keeps `node`, which the core's filters passed. An error
    counts as a rejection (the full evaluation follows), unless the extender is ignorable."""
    for extender in extenders:
        try:
            passed, _, _ = extender.filter(pod_object, [node], node_objects)
        except ExtenderError as error:
            if extender.config.ignorable:
                continue
            log.error("Evaluation failed on nominated node", extra=kv(node=node, err=str(error)))
            return False
        if node not in passed:
            return False
    return True
