"""`plan fit` for a pod with resource claims: each copy gets claims of its own from the
pod's templates (or shares the pod's named claims), decided by DynamicResources as
`simulate` decides them (preempting, as there, unless told not to), until a copy fits
nowhere."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from kubesched.dra.plugin import DraCluster
from kubesched.model.records import Pod
from kubesched.plan.drain_dra import place_replacement_preempting
from kubesched.plan.preempting import PreemptingOutcome
from kubesched.engine.dra_decision import decide_with_claims
from kubesched.engine.placement import Placement


def fit_with_claims(snapshot, dra: DraCluster, pod: Pod, max_replicas: int, placer=None
                    ) -> tuple[Counter, int, str, bool, list]:
    """(copies per node, copies, the message of the copy that did not fit, whether that
    failure came from the core's filters, so that its histogram says what limits, the
    copies that preempted). With `placer` (plan.preempting.PreemptingPlacer) a copy that
    fits nowhere preempts as in `simulate` (drain_dra.py)."""
    per_node: Counter = Counter()
    preemptions = []
    for i in range(max_replicas):
        copy = replace(pod, name=f"{pod.name}-{i}", uid=f"{pod.uid or pod.name}-{i}")
        if placer is None:
            placement = decide_with_claims(snapshot, dra, copy, Placement)[0]
            victims, violations = [], 0
        else:
            placement, victims, violations = place_replacement_preempting(snapshot, dra, placer, copy)
        if placement.node is None:
            head = placement.message.split(" preemption: ")[0]  # PreEnqueue's waits start otherwise
            from_filters = head.startswith("0/") and "nodes are available: " in head \
                and not head.endswith("does not exist.")
            return per_node, i, placement.message, from_filters, preemptions
        per_node[placement.node] += 1
        if placer is not None:
            placer.placed(copy, placement.node)
            if victims:
                preemptions.append(PreemptingOutcome(copy, placement.node, victims=victims, pdb_violations=violations))
    return per_node, max_replicas, "", False, preemptions
