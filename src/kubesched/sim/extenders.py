"""Extenders offline: simulate and explain call a configuration's HTTP extenders as `run`
does (extenders.decide), for the pods they are interested in.

Pods of a profile with DefaultPreemption preempt (extenders/preempt.py), then are tried on
their nominated node first. Binding is live-only: offline the pod is placed on the node chosen and an extender's
bindVerb is never called; explain names the extender that would bind. An extender that
fails (not ignorable) leaves the pod unplaced with the error as its message, where `run`
would retry it after a backoff."""

from __future__ import annotations

from kubesched.engine.decision import Decision
from kubesched.extenders.decide import SCORE_SCALE, ExtenderCall, decide, interested, passes_on_node
from kubesched.extenders.preempt import preempt_with_extenders
from kubesched.model.records import Pod
from kubesched.sim.preempting import recreated
from kubesched.sim.preempting_dra import _evict as evict
from kubesched.engine.placement import Placement
from kubesched.sim.simulate import _decide
from kubesched.engine.cluster import ClusterSnapshot


def decide_with_extenders(snapshot: ClusterSnapshot, pods: list[Pod], extenders: tuple,
                          node_objects: dict[str, dict], flow=None):
    """Placements of `pods` in order; runs of pods no extender is interested in are decided
    in one batch, as without extenders. With a PreemptionFlow (a profile with
    DefaultPreemption) pods preempt (extenders/preempt.py). Returns (placements, evicted
    pods to decide again, the pods left), as simulate's other deciders."""
    placements = []
    plain: list[Pod] = []
    for i, pod in enumerate(pods):
        asked = interested(extenders, pod.raw or {})
        if not asked:
            plain.append(pod)
            continue
        if plain:
            decided, again, rest = _decide(snapshot, plain, flow)
            placements.extend(decided)
            if again:
                return placements, again, [*rest, *pods[i:]]
            plain = []
        placement, victims = _decide_one(snapshot, pod, extenders, asked, node_objects, flow)
        placements.append(placement)
        again = [v for v in victims if flow.mode == "requeue" and recreated(v)]
        if again:
            return placements, again, pods[i + 1:]
    if plain:
        decided, again, rest = _decide(snapshot, plain, flow)
        return [*placements, *decided], again, rest
    return placements, [], []


def _decide_one(snapshot: ClusterSnapshot, pod: Pod, extenders: tuple, asked: list, node_objects: dict, flow):
    """(its Placement, the pods evicted for it)."""
    class_id = snapshot.class_of(pod)
    own, held = snapshot.nominations.take(snapshot, pod) if snapshot.nominations else (-1, [])
    if own >= 0 and snapshot.feasible_with_nominated(class_id, own, held) \
            and passes_on_node(asked, pod.raw or {}, snapshot.node_names[own], node_objects):  # tried first
        snapshot.assume(class_id, own)
        return _placed(snapshot, flow, pod, class_id, Placement(pod.key, snapshot.node_names[own])), []
    decision = decide(snapshot, pod, pod.raw or {}, asked, node_objects, nominated=held)
    if decision.placed:
        return _placed(snapshot, flow, pod, class_id, Placement(pod.key, decision.node)), []
    if decision.error is not None or flow is None or snapshot.profile.preemption is None:
        return _placed(snapshot, flow, pod, class_id, Placement(pod.key, None, decision.error or decision.message)), []
    result = preempt_with_extenders(snapshot, pod, flow.table, extenders=extenders, decision=decision,
                                    nominated=snapshot.nominations.pairs() if snapshot.nominations else ())
    if result.nominated_node is None:
        return _placed(snapshot, flow, pod, class_id, Placement(pod.key, None, result.fit_error(decision.message))), []
    evict(snapshot, flow, pod, result.victims)
    preempted = [v.key for v in result.victims]
    nominated = result.nominated_node
    index = snapshot.node_index[nominated]
    # the next cycle: the nominated node first, if the core's filters and the extenders' pass there
    if snapshot.feasible_with_nominated(class_id, index, held) \
            and passes_on_node(asked, pod.raw or {}, nominated, node_objects):
        snapshot.assume(class_id, index)
        placement = Placement(pod.key, nominated)
    else:
        again = decide(snapshot, pod, pod.raw or {}, asked, node_objects, nominated=held)
        if again.node >= 0:
            placement = Placement(pod.key, snapshot.node_names[again.node])
        else:
            placement = Placement(pod.key, None, again.error or result.fit_error(again.message))
    placement.nominated_node, placement.preempted = nominated, preempted
    return _placed(snapshot, flow, pod, class_id, placement), result.victims


def _placed(snapshot, flow, pod: Pod, class_id: int, placement: Placement) -> Placement:
    if flow is not None:
        if placement.node is not None:
            flow.place(pod, placement.node, class_id)
        flow.last[placement.pod] = placement
    return placement


def explain_with_extenders(report: dict, snapshot: ClusterSnapshot, pod: Pod, extenders: tuple,
                           node_objects: dict[str, dict], table=None) -> dict:
    """`report` (explain's, from the core alone) with each extender's verdict per node, its
    scores, the totals with them and the node they choose. Nothing is assumed. With `table`
    (the pods on nodes, for a profile with DefaultPreemption) a pod that fits nowhere gets
    its `preemption`, with each extender's answer on the candidates (`extenders`)."""
    asked = interested(extenders, pod.raw or {})
    report["extenders"] = [_describe(e, e in asked) for e in extenders]
    if not asked:
        return report
    decision = decide(snapshot, pod, pod.raw or {}, asked, node_objects, assume=False)
    for entry in report["nodes"]:
        _node(entry, decision, asked)
    report["feasibleNodes"] = decision.counts[1] if decision.error is None else report["feasibleNodes"]
    report["selectedNode"] = decision.node
    report.pop("message", None)
    if decision.error is not None:
        report["error"] = decision.error
    elif not decision.placed:
        report["message"] = decision.message
        if table is not None:
            from kubesched.sim.explain import preemption_report

            calls: list = []
            result = preempt_with_extenders(snapshot, pod, table, extenders=extenders, decision=decision, calls=calls)
            report["preemption"] = {**preemption_report(result, table), "extenders": [c.to_json() for c in calls]}
            report["message"] = result.fit_error(decision.message)
    elif decision.extenders.binder is not None:
        report["binder"] = decision.extenders.binder.name  # live only: offline nothing is bound
    return report


def _describe(extender, is_interested: bool) -> dict:
    c = extender.config
    return {"urlPrefix": c.url_prefix, "interested": is_interested, "filterVerb": c.filter_verb or None,
            "prioritizeVerb": c.prioritize_verb or None, "weight": c.weight, "bindVerb": c.bind_verb or None,
            "nodeCacheCapable": c.node_cache_capable, "ignorable": c.ignorable,
            "managedResources": [r.name for r in c.managed_resources]}


def _node(entry: dict, decision: Decision, asked: list) -> None:
    name = entry["node"]
    calls = {id(call.extender): call for call in decision.extenders.calls}
    verdicts = {}
    for extender in asked:
        if extender.config.filter_verb:
            verdicts[extender.name] = _verdict(calls.get(id(extender)), name)
    if verdicts:
        entry["extenders"] = verdicts
    if not entry["feasible"]:
        return
    if name not in decision.extenders.totals:  # an extender filtered it out (or failed)
        entry["feasible"] = False
        entry.pop("scores", None)
        entry.pop("total", None)
        return
    scores = {}
    for extender in asked:
        call = calls.get(id(extender))
        if call is None or call.scores is None:
            continue
        score = call.scores.get(name, 0)
        weight = extender.config.weight
        scores[extender.name] = {"score": score, "weight": weight, "weighted": score * weight * SCORE_SCALE}
    if scores:
        entry["extenderScores"] = scores
    entry["total"] = decision.extenders.totals[name]


def _verdict(call: ExtenderCall | None, node: str) -> dict:
    """One extender filter's verdict on one node, in the framework's status words."""
    if call is None or node not in call.asked:
        return {"status": "NotRun"}
    if call.filter_error is not None:
        return {"status": "Error", "error": call.filter_error, "ignored": True}
    if call.passed is None:
        return {"status": "Error", "error": "the extender failed; the attempt is an error"}
    if node in call.unresolvable:
        return {"status": "UnschedulableAndUnresolvable", "reasons": [call.unresolvable[node]]}
    if node in call.failed:
        return {"status": "Unschedulable", "reasons": [call.failed[node]]}
    if node in call.passed:
        return {"status": "Success"}
    return {"status": "Unschedulable", "reasons": []}  # left out of the answer without a message
