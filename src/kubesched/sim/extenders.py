"""Extenders offline: simulate and explain call a configuration's HTTP extenders as `run`
does (extenders.decide), for the pods they are interested in.

Binding is live-only: offline the pod is placed on the node chosen and an extender's
bindVerb is never called; explain names the extender that would bind. An extender that
fails (not ignorable) leaves the pod unplaced with the error as its message, where `run`
would retry it after a backoff."""

from __future__ import annotations

from kubesched.extenders.decide import SCORE_SCALE, Decision, ExtenderCall, decide, interested
from kubesched.model.records import Pod
from kubesched.sim.simulate import Placement, _decide
from kubesched.snapshot.cluster import ClusterSnapshot


def decide_with_extenders(snapshot: ClusterSnapshot, pods: list[Pod], extenders: tuple,
                          node_objects: dict[str, dict]) -> list:
    """Placements of `pods` in order; runs of pods no extender is interested in are decided
    in one batch, as without extenders."""
    placements = []
    plain: list[Pod] = []
    for pod in pods:
        asked = interested(extenders, pod.raw or {})
        if not asked:
            plain.append(pod)
            continue
        if plain:
            placements.extend(_decide(snapshot, plain)[0])  # no preemption here
            plain = []
        decision = decide(snapshot, pod, pod.raw or {}, asked, node_objects)
        if decision.node >= 0:
            placements.append(Placement(pod.key, snapshot.node_names[decision.node]))
        else:
            placements.append(Placement(pod.key, None, decision.error or decision.message or ""))
    if plain:
        placements.extend(_decide(snapshot, plain)[0])  # no preemption here
    return placements


def explain_with_extenders(report: dict, snapshot: ClusterSnapshot, pod: Pod, extenders: tuple,
                           node_objects: dict[str, dict]) -> dict:
    """`report` (explain's, from the core alone) with each extender's verdict per node, its
    scores, the totals with them and the node they choose. Nothing is assumed."""
    asked = interested(extenders, pod.raw or {})
    report["extenders"] = [_describe(e, e in asked) for e in extenders]
    if not asked:
        return report
    decision = decide(snapshot, pod, pod.raw or {}, asked, node_objects, assume=False)
    for entry in report["nodes"]:
        _node(entry, decision, asked)
    names = snapshot.node_names
    report["feasibleNodes"] = decision.counts[1] if decision.error is None else report["feasibleNodes"]
    report["selectedNode"] = names[decision.node] if decision.node >= 0 else None
    report.pop("message", None)
    if decision.error is not None:
        report["error"] = decision.error
    elif decision.node < 0:
        report["message"] = decision.message
    elif decision.binder is not None:
        report["binder"] = decision.binder.name  # live only: offline nothing is bound
    return report


def _describe(extender, is_interested: bool) -> dict:
    c = extender.config
    return {"urlPrefix": c.url_prefix, "interested": is_interested, "filterVerb": c.filter_verb or None,
            "prioritizeVerb": c.prioritize_verb or None, "weight": c.weight, "bindVerb": c.bind_verb or None,
            "nodeCacheCapable": c.node_cache_capable, "ignorable": c.ignorable,
            "managedResources": [r.name for r in c.managed_resources]}


def _node(entry: dict, decision: Decision, asked: list) -> None:
    name = entry["node"]
    calls = {id(call.extender): call for call in decision.calls}
    verdicts = {}
    for extender in asked:
        if extender.config.filter_verb:
            verdicts[extender.name] = _verdict(calls.get(id(extender)), name)
    if verdicts:
        entry["extenders"] = verdicts
    if not entry["feasible"]:
        return
    if name not in decision.totals:  # an extender filtered it out (or failed)
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
    entry["total"] = decision.totals[name]


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
