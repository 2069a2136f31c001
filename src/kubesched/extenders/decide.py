"""A decision with extenders, as upstream's schedulePod makes it: the core's filters, then
each interested extender's filter in turn on the nodes still feasible; one node left is
taken as is; otherwise the core's total plus each extender's score × weight × 10
(MaxNodeScore / MaxExtenderPriority). An extender that fails is skipped when ignorable,
else the attempt is an error (retried after backoff); its prioritize errors are ignored."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from kubesched.extenders.client import ExtenderError, HttpExtender
from kubesched.logs import V, kv
from kubesched.sim.simulate import reason_counts
from kubesched.snapshot.cluster import fit_error_message

log = logging.getLogger("kubesched.live")

SCORE_SCALE = 10  # MaxNodeScore (100) / MaxExtenderPriority (10)


@dataclass
class Decision:
    node: int                      # index in the snapshot, -1 if none
    message: str | None = None     # why nothing fits (upstream's FitError text)
    error: str | None = None       # an extender failed: not a fit problem, retry
    counts: tuple[int, int] = (0, 0)   # evaluated, feasible nodes
    binder: HttpExtender | None = None


def interested(extenders: list[HttpExtender], pod: dict) -> list[HttpExtender]:
    return [extender for extender in extenders if extender.is_interested(pod)]


def decide(snapshot, pod, pod_object: dict, extenders: list[HttpExtender],
           node_objects: dict[str, dict]) -> Decision:
    """`extenders`: those interested in the pod. The pod is assumed on the node chosen."""
    class_id = snapshot.class_of(pod)
    evaluation = snapshot.engine.evaluate(class_id)
    names = snapshot.node_names
    histogram = reason_counts(evaluation["reasons"])
    # Feasibility from the filters, not from the sign of the total (totals may be negative).
    verdicts = list(zip(evaluation["examined"], evaluation["failed_filter"]))
    feasible = [names[i] for i, (examined, failed) in enumerate(verdicts) if examined and failed is None]
    rejected = sum(1 for examined, failed in verdicts if examined and failed is not None)
    for extender in extenders:
        if not feasible:
            break
        try:
            passed, failed, unresolvable = extender.filter(pod_object, feasible, node_objects)
        except ExtenderError as error:
            if extender.config.ignorable:
                log.info("Skipping extender as it returned error and has ignorable flag set",
                         extra=kv(extender=extender.name, err=str(error)))
                continue
            return Decision(-1, error=str(error))
        for node, message in {**failed, **unresolvable}.items():
            histogram[message] = histogram.get(message, 0) + 1
            rejected += 1
        known = set(feasible)
        feasible = [node for node in passed if node in known]
    counts = (len(feasible) + rejected, len(feasible))
    if not feasible:
        return Decision(-1, message=fit_error_message(snapshot.node_count, histogram), counts=counts)
    index = snapshot.node_index
    if len(feasible) == 1:
        chosen = feasible[0]
    else:
        totals = {node: evaluation["total"][index[node]] for node in feasible}
        for extender in extenders:
            if not extender.config.prioritize_verb:
                continue
            try:
                scores = extender.prioritize(pod_object, feasible, node_objects)
            except ExtenderError as error:
                log.log(V(5), "Failed to run extender's priority function. No score given by this extender.",
                        extra=kv(extender=extender.name, err=str(error)))
                continue
            for node, score in scores.items():
                if node in totals:
                    totals[node] += score * extender.config.weight * SCORE_SCALE
        best = max(totals.values())
        chosen = min((node for node, total in totals.items() if total == best), key=index.__getitem__)
    snapshot.engine.assume(class_id, index[chosen])
    binder = next((extender for extender in extenders if extender.config.bind_verb), None)
    return Decision(index[chosen], counts=counts, binder=binder)
