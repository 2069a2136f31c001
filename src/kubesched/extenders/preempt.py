"""DefaultPreemption for a pod decided with extenders, as kube-scheduler v1.37 runs it.

The dry run knows the framework's filters only (the core's): extenders' filters are not
asked on the candidates. Nodes the core passed but an extender's filter rejected as
Unschedulable are potential nodes too: without lower-priority pods "No preemption victims
found for incoming pod"; with them the pod fits once they are back, so no victim is left and
the node is an error, `expected at least one victim pod on node "X"` (the PostFilter fails
with it when no other node is a candidate). Nodes it rejected as unresolvable are none.

Then each extender with a `preemptVerb` that is interested in the pod gets the candidates
(ProcessPreemption: the victims' Pods, or their UIDs when nodeCacheCapable) and answers the
nodes it keeps with their victims (UIDs, found among the pods on that node) and PDB
violations; the next extender gets that answer. An extender that fails, or names a node
without victims, is skipped (that node dropped) when ignorable, else the PostFilter fails
with the error. Upstream's criteria choose among what is left; nothing left: "no candidate
node for preemption". A failed PostFilter nominates nothing and leaves the pod's nomination
as it is (returned as a Preemption that is not `eligible`).

Offline, a victim without metadata.uid is sent with its namespace/name as its UID."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from kubesched.extenders.client import ExtenderError, HttpExtender
from kubesched.engine.decision import Decision
from kubesched.logs import V, kv
from kubesched.model.records import Pod
from kubesched.preemption import Candidate, Preemption, nominated_node_of, preempt, success_message
from kubesched.preemption.result import NO_VICTIMS, not_helpful_message
from kubesched.preemption.select import pick_candidate

log = logging.getLogger("kubesched.live")

NO_CANDIDATE = "no candidate node for preemption"


@dataclass
class PreemptCall:
    """What one extender's preemptVerb was sent and answered, for explain."""
    extender: HttpExtender
    sent: list[str] = field(default_factory=list)       # candidate nodes
    kept: dict[str, Candidate] | None = None            # None: it failed
    error: str | None = None
    ignored: bool = False                                # an ignorable extender's failure

    def to_json(self) -> dict:
        entry = {"urlPrefix": self.extender.name, "sent": self.sent}
        if self.kept is not None:
            entry["kept"] = [c.to_json() for c in self.kept.values()]
        if self.error is not None:
            entry["error"] = self.error
            entry["ignored"] = self.ignored
        return entry


class _Failed(Exception):
    pass


def uid_of(pod: Pod) -> str:
    return pod.uid or pod.key


def pod_object(pod: Pod) -> dict:
    raw = pod.raw or {}
    meta = raw.get("metadata") or {}
    if meta.get("uid"):
        return raw
    return {**raw, "metadata": {**meta, "uid": uid_of(pod)}}


def preempt_with_extenders(snapshot, pod: Pod, table, *, extenders, decision: Decision,
                           calls: list | None = None, **options) -> Preemption:
    """kubesched.preemption.preempt (`options` are its keywords) with the extenders' part.
    `extenders`: every configured extender, in calling order; `decision`: the pod's failed
    decision (its extender filter verdicts); `calls` collects a PreemptCall per extender asked."""
    unresolvable = {n for call in decision.extenders.calls for n in call.unresolvable}
    rejected = [n for call in decision.extenders.calls for n in call.asked
                if n in call.failed and n not in call.unresolvable]
    if nominated_node_of(pod) in unresolvable:  # eligible again, as for a node the filters rule out
        raw = pod.raw or {}
        pod = replace(pod, raw={**raw, "status": {**(raw.get("status") or {}), "nominatedNodeName": None}})
    result = preempt(snapshot, pod, table, **options)
    if not result.eligible:
        return result
    statuses = dict(result.statuses)
    errors = []
    for node in sorted(set(rejected), key=snapshot.node_index.__getitem__):
        if any(table.pods[r].priority < pod.priority for r in table.rows_on(node)):
            errors.append(f'expected at least one victim pod on node "{node}"')
        else:
            statuses[node] = [NO_VICTIMS]
    if not result.candidates:
        if errors:
            return _failed(_aggregate(errors))
        return Preemption(None, statuses=statuses, message=not_helpful_message(snapshot.node_count, statuses))
    try:
        candidates = _call_extenders(snapshot, pod, table, extenders, result.candidates, calls)
    except _Failed as error:
        return _failed(str(error))
    if not candidates:
        return Preemption(None, statuses=statuses, message=f"preemption: {NO_CANDIDATE}", eligible=False)
    starts = {p.key: table.start_of(p) for c in candidates for p in c.victims}
    chosen, decided_by = pick_candidate(candidates, starts)
    return Preemption(chosen.node, list(chosen.victims), chosen.pdb_violations, candidates, statuses,
                      success_message(chosen.node, len(chosen.victims)), decided_by)


def _call_extenders(snapshot, pod: Pod, table, extenders, found: list[Candidate], calls) -> list[Candidate]:
    """Upstream's callExtenders: the candidates left, in the dry run's order (then those an
    extender added)."""
    current = {c.node: c for c in found}
    obj = pod.raw or {}
    for extender in extenders:
        if not extender.supports_preemption or not extender.is_interested(obj):
            continue
        call = PreemptCall(extender, list(current))
        if calls is not None:
            calls.append(call)
        try:
            answer = extender.process_preemption(obj, {node: ([pod_object(p) for p in c.victims], c.pdb_violations)
                                                       for node, c in current.items()})
            kept = _to_candidates(snapshot, table, extender, answer)
        except ExtenderError as error:
            call.error = str(error)
            if extender.config.ignorable:
                call.ignored = True
                log.log(V(2), "Skipped extender as it returned error and has ignorable flag set",
                        extra=kv(extender=extender.name, err=str(error)))
                continue
            raise _Failed(str(error)) from None
        for node in [n for n, c in kept.items() if not c.victims]:
            if not extender.config.ignorable:
                call.error = f'expected at least one victim pod on node "{node}"'
                raise _Failed(call.error)
            log.log(V(2), "Ignored node for which the extender didn't report victims",
                    extra=kv(node=node, extender=extender.name))
            del kept[node]
        call.kept = kept
        order = {node: i for i, node in enumerate(current)}
        current = dict(sorted(kept.items(), key=lambda item: order.get(item[0], len(order))))
        if not current:
            break
    return list(current.values())


def _to_candidates(snapshot, table, extender: HttpExtender, answer) -> dict[str, Candidate]:
    """convertToVictims: each UID must be a pod on that node."""
    kept = {}
    for node, (uids, violations) in answer.items():
        if node not in snapshot.node_index:
            raise ExtenderError(f'nodeinfo not found for node name "{node}"')
        on_node = {}
        for row in table.rows_on(node):
            on_node.setdefault(uid_of(table.pods[row]), table.pods[row])
        victims = []
        for uid in uids:
            if uid not in on_node:
                raise ExtenderError(f"extender: {extender.name} claims to preempt pod (UID: &{{{uid}}}) on node: "
                                    f"{node}, but the pod is not found on that node")
            if on_node[uid] not in victims:  # a pod named twice is evicted once
                victims.append(on_node[uid])
        kept[node] = Candidate(node, victims, violations)
    return kept


def _aggregate(errors: list[str]) -> str:
    """utilerrors.NewAggregate(...).Error(): one message, or the distinct ones in brackets."""
    distinct = list(dict.fromkeys(errors))
    return distinct[0] if len(distinct) == 1 else "[" + ", ".join(distinct) + "]"


def _failed(error: str) -> Preemption:
    """A PostFilter error: no nomination, the pod's own left as it is."""
    return Preemption(None, message=f"preemption: {error}", eligible=False)
