"""`kubesched explain`: why a pod goes where it goes — every node's filter verdicts and every
score plugin's raw, normalised and weighted score, in the state simulate decides it in (the
cluster plus the pods ahead of it in the queue)."""

from __future__ import annotations

from dataclasses import replace

from kubesched.errors import InputError
from kubesched.framework.profile import Profile
from kubesched.model.cluster import ClusterInput
from kubesched.dra.deallocate import DEALLOCATED, deallocate
from kubesched.sim.explain_dra import explain_claims, unusable_claim
from kubesched.sim.preempting_dra import preempt_with_claims
from kubesched.preemption import LATEST, preempt, unresolvable_everywhere
from kubesched.engine.python_plugins import run_python_plugins, select
from kubesched.preemption.python_filters import preempt_with_python_filters
from kubesched.engine.queue_order import queue_order
from kubesched.sim.simulate import simulate
from kubesched.engine.fit_error import fit_error_message, reason_counts


def _explain_with_claims(snapshot, profile: Profile, simulated, pod, again: bool = True) -> dict:
    """A pod with claims; when DynamicResources' PostFilter deallocates a claim (sim/explain_dra.py),
    the pod's next attempt is explained, with the claim and the first attempt's message."""
    class_id, message, devices = explain_claims(snapshot, snapshot.dra, pod)
    if class_id is None:
        report = rejected_report(snapshot, profile, pod.key, message)
        if message.startswith("0/") and profile.preemption is not None and simulated.preemption is not None:
            report["message"] = f"{message} {unresolvable_everywhere(pod, snapshot.node_count)}"
        return report
    report = _report(snapshot, profile, pod.key, snapshot.evaluate(class_id))
    for entry in report["nodes"] if devices else ():
        entry["devices"] = devices[entry["node"]]
    if report["selectedNode"] is None:
        post_filter = []
        freed = unusable_claim(snapshot, snapshot.dra, pod) if again else None
        if freed is not None:
            post_filter.append(DEALLOCATED)
        result = None
        if profile.preemption is not None and simulated.preemption is not None:
            result = preempt_with_claims(snapshot, snapshot.dra, pod, simulated.preemption.table)
            if result is not None:
                report["preemption"] = preemption_report(result, simulated.preemption.table)
                if result.message:
                    post_filter.append(result.message)
        first = f"{report['message']} {', '.join(post_filter)}" if post_filter else report["message"]
        if freed is not None and (result is None or result.nominated_node is None):
            deallocate(snapshot.dra, freed)
            retried = _explain_with_claims(snapshot, profile, simulated, pod, again=False)
            retried["deallocated"] = {"claim": freed.key, "message": first}
            return retried
        if result is not None:
            report["message"] = result.fit_error(report["message"])
    return report


def explain(cluster: ClusterInput, profiles: dict[str, Profile], pod_key: str, seed: int | None = None,
            extenders: tuple = ()) -> dict:
    ordered = queue_order(cluster.pending_pods)
    position = next((i for i, p in enumerate(ordered) if p.key == pod_key), None)
    if position is None:
        raise InputError(f"no pending pod {pod_key!r} in the input (pods with spec.nodeName are already placed)",
                         field="--pod")
    pod = ordered[position]
    profile = profiles.get(pod.spec.scheduler_name)
    if profile is None:
        raise InputError(f"no profile serves schedulerName {pod.spec.scheduler_name!r}",
                         obj=f"Pod {pod_key}", field="spec.schedulerName")
    ahead = replace(cluster, pending_pods=ordered[:position])
    simulated = simulate(ahead, profiles, seed, extenders=extenders)
    snapshot = simulated.snapshot
    snapshot.use_profile(profile)
    if snapshot.dra is not None and "DynamicResources" in profile.filters and snapshot.dra.has_claims(pod):
        return _explain_with_claims(snapshot, profile, simulated, pod)
    python_plugins = bool(profile.python_filters or profile.python_scores)
    if python_plugins:  # the selection comes after their scores, drawing once as simulate's
        evaluation, verdicts = run_python_plugins(snapshot, pod)
        report = _report(snapshot, profile, pod_key, evaluation)
        _add_python_plugins(report, snapshot, profile, evaluation, verdicts)
    else:
        report = _report(snapshot, profile, pod_key, snapshot.evaluate(snapshot.class_of(pod)))
    if extenders:
        from kubesched.sim.extenders import explain_with_extenders

        table = simulated.preemption.table if profile.preemption is not None and simulated.preemption else None
        return explain_with_extenders(report, snapshot, pod, extenders, cluster.node_objects, table)
    if report["selectedNode"] is None and profile.preemption is not None and simulated.preemption is not None:
        preempting = preempt_with_python_filters if python_plugins else preempt
        result = preempting(snapshot, pod, simulated.preemption.table)
        report["preemption"] = preemption_report(result, simulated.preemption.table)
        report["message"] = result.fit_error(report["message"])
    return report


def preemption_report(result, table) -> dict:
    """DefaultPreemption's answer for explain: per candidate node the victims, their PDB
    violations and the numbers upstream's selection compares, and which criterion chose."""
    starts = {id(p): table.start_of(p) for c in result.candidates for p in c.victims}
    candidates = []
    for c in result.candidates:
        top = c.victims[0].priority
        earliest = min(starts[id(p)] for p in c.victims if p.priority == top)
        candidates.append({**c.to_json(), "highestPriority": top,
                           "prioritySum": sum(p.priority for p in c.victims),
                           "earliestStartOfHighest": None if earliest == LATEST else earliest,
                           "chosen": c.node == result.nominated_node})
    return {"nominatedNode": result.nominated_node, "victims": [p.key for p in result.victims],
            "pdbViolations": result.pdb_violations, "decidedBy": result.decided_by, "candidates": candidates,
            "rejected": result.statuses, "eligible": result.eligible, "message": result.message}


def rejected_report(snapshot, profile: Profile, pod_key: str, message: str) -> dict:
    """A pod DynamicResources keeps from every node (PreEnqueue, PreFilter or an error)."""
    waiting = not message.startswith("0/")
    nodes = [] if waiting else [
        {"node": name, "feasible": False, "filters": {
            **{f: {"status": "NotRun"} for f in profile.filters if f != "DynamicResources"},
            "DynamicResources": {"status": "Unschedulable", "reasons": [message.split(": ", 1)[1].rstrip(".")]}}}
        for name in snapshot.node_names]
    return {"pod": pod_key, "profile": profile.scheduler_name, "nodes": nodes, "feasibleNodes": 0,
            "selectedNode": None, "message": message}


def _report(snapshot, profile: Profile, pod_key: str, e: dict) -> dict:
    nodes = []
    for i, name in enumerate(snapshot.node_names):
        entry = {"node": name, "feasible": e["failed_filter"][i] is None and e["examined"][i]}
        entry["filters"] = _filters(profile, e["failed_filter"][i], e["reasons"][i], e["examined"][i])
        if entry["feasible"]:
            entry["scores"] = {
                plugin: {"raw": e["raw"][plugin][i], "normalized": e["normalized"][plugin][i],
                         "weight": weight, "weighted": weight * e["normalized"][plugin][i],
                         **({"skipped": True} if e["skipped"][plugin] else {})}
                for plugin, weight in profile.weights.items() if weight and plugin in e["raw"]}
            entry["total"] = e["total"][i]
        nodes.append(entry)
    selected = e["selected"]
    result = {"pod": pod_key, "profile": profile.scheduler_name, "nodes": nodes,
              "feasibleNodes": e["feasible"],
              "selectedNode": snapshot.node_names[selected] if selected >= 0 else None}
    if selected < 0:
        result["message"] = fit_error_message(snapshot.node_count, reason_counts(e["reasons"]), profile)
    return result


def _add_python_plugins(report: dict, snapshot, profile: Profile, evaluation: dict, verdicts: dict) -> None:
    """The Python plugins' verdicts and scores on every node, and the node simulate takes."""
    weights = dict(profile.python_scores)
    histogram = reason_counts(evaluation["reasons"])
    for i, entry in enumerate(report["nodes"]):
        verdict = verdicts.get(i)
        ran = verdict.filters if verdict is not None else {}
        for name in profile.python_filters:  # after the core's; none runs on a node they reject
            if name not in ran:
                entry["filters"][name] = {"status": "NotRun"}
            elif ran[name] is None:
                entry["filters"][name] = {"status": "Success"}
            else:
                entry["filters"][name] = {"status": "Unschedulable", "reasons": [ran[name]]}
        if verdict is None:
            continue
        if verdict.rejection:
            histogram[verdict.rejection] = histogram.get(verdict.rejection, 0) + 1
            entry["feasible"] = False
            entry.pop("scores", None)
            entry.pop("total", None)
            continue
        for name, score in verdict.scores.items():
            entry["scores"][name] = {"raw": score, "normalized": score, "weight": weights[name],
                                     "weighted": weights[name] * score}
        entry["total"] = verdict.total
    selected = select(snapshot, verdicts)
    report["feasibleNodes"] = sum(1 for v in verdicts.values() if v.rejection is None)
    report["selectedNode"] = snapshot.node_names[selected] if selected >= 0 else None
    report.pop("message", None)
    if selected < 0:
        report["message"] = fit_error_message(snapshot.node_count, histogram, snapshot.profile)


def _filters(profile: Profile, failed: str | None, reasons: list[str], examined: bool) -> dict:
    """Each enabled filter's verdict on one node; filters after the first failure do not run.
    A node rejected by a PreFilter result (a plugin whose Filter may be disabled) runs none."""
    verdicts = {}
    reached = examined
    if failed is not None and failed not in profile.filters:
        verdicts[failed] = {"status": "Unschedulable", "reasons": reasons}
        reached = False
    for name in profile.filters:
        if not reached:
            verdicts[name] = {"status": "NotRun"}
        elif name == failed:
            verdicts[name] = {"status": "Unschedulable", "reasons": reasons}
            reached = False
        else:
            verdicts[name] = {"status": "Success"}
    return verdicts
