"""The pure-Python reference scheduler: slow and obvious, written from upstream's documented
behaviour, used by the tests to check the core decision by decision. Ties go to the first
node in input order, as in the core's deterministic mode."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from kubesched.framework.profile import Profile
from kubesched.model.records import Node, NodeSelectorTerm, Pod, Requirement, Taint, Toleration

MAX_SCORE = 100
SCALAR_EXCLUDED = ("cpu", "memory", "ephemeral-storage")


@dataclass
class NodeState:
    node: Node
    requested: dict[str, int] = field(default_factory=dict)
    nonzero_cpu: int = 0
    nonzero_memory: int = 0
    pods: int = 0
    ports: list = field(default_factory=list)  # (ip, protocol, port) per pod port

    def add(self, pod: Pod) -> None:
        for name, amount in pod.spec.requests.items():
            self.requested[name] = self.requested.get(name, 0) + amount
        self.nonzero_cpu += pod.spec.nonzero_cpu
        self.nonzero_memory += pod.spec.nonzero_memory
        self.pods += 1
        self.ports.extend((p.ip, p.protocol, p.port) for p in pod.spec.host_ports)


# -- filters ------------------------------------------------------------------------------

def toleration_tolerates(t: Toleration, taint: Taint) -> bool:
    if t.effect and t.effect != taint.effect:
        return False
    if t.key and t.key != taint.key:
        return False
    if t.operator == "Exists":
        return True
    return t.value == taint.value


def requirement_matches(labels: dict[str, str], req: Requirement) -> bool:
    present = req.key in labels
    value = labels.get(req.key)
    if req.operator == "In":
        return present and value in req.values
    if req.operator == "NotIn":
        return not present or value not in req.values
    if req.operator == "Exists":
        return present
    if req.operator == "DoesNotExist":
        return not present
    if req.operator in ("Gt", "Lt"):
        if not present:
            return False
        try:
            label_number = int(value)
        except ValueError:
            return False
        wanted = int(req.values[0])
        return label_number > wanted if req.operator == "Gt" else label_number < wanted
    raise ValueError(req.operator)


def term_matches(node: Node, term: NodeSelectorTerm) -> bool:
    if not term.match_expressions and not term.match_fields:
        return False
    for req in term.match_expressions:
        if not requirement_matches(node.labels, req):
            return False
    for req in term.match_fields:
        inside = node.name in req.values
        if (req.operator == "In") != inside:
            return False
    return True


def unschedulable_reasons(pod: Pod, state: NodeState) -> list[str]:
    if not state.node.unschedulable:
        return []
    taint = Taint("node.kubernetes.io/unschedulable", "", "NoSchedule")
    if any(toleration_tolerates(t, taint) for t in pod.spec.tolerations):
        return []
    return ["node(s) were unschedulable"]


def node_name_reasons(pod: Pod, state: NodeState) -> list[str]:
    return []  # pending pods carry no spec.nodeName


def taint_reasons(pod: Pod, state: NodeState) -> list[str]:
    for taint in state.node.taints:
        if taint.effect not in ("NoSchedule", "NoExecute"):
            continue
        if not any(toleration_tolerates(t, taint) for t in pod.spec.tolerations):
            return [f"node(s) had untolerated taint {{{taint.key}: {taint.value}}}"]
    return []


def affinity_reasons(pod: Pod, state: NodeState) -> list[str]:
    node = state.node
    ok = all(node.labels.get(k) == v for k, v in pod.spec.node_selector)
    if ok and pod.spec.required_node_terms is not None:
        ok = any(term_matches(node, term) for term in pod.spec.required_node_terms)
    return [] if ok else ["node(s) didn't match Pod's node affinity/selector"]


def ports_reasons(pod: Pod, state: NodeState) -> list[str]:
    for wanted in pod.spec.host_ports:
        for ip, protocol, port in state.ports:
            if protocol == wanted.protocol and port == wanted.port and (
                    wanted.ip == "0.0.0.0" or ip == "0.0.0.0" or ip == wanted.ip):
                return ["node(s) didn't have free ports for the requested pod ports"]
    return []


def fit_reasons(pod: Pod, state: NodeState) -> list[str]:
    reasons = []
    allocatable = state.node.allocatable
    if state.pods + 1 > allocatable.get("pods", 0):
        reasons.append("Too many pods")
    for name, amount in pod.spec.requests.items():
        if amount > 0 and amount > allocatable.get(name, 0) - state.requested.get(name, 0):
            reasons.append(f"Insufficient {name}")
    return reasons


FILTERS = {
    "NodeUnschedulable": unschedulable_reasons,
    "NodeName": node_name_reasons,
    "TaintToleration": taint_reasons,
    "NodeAffinity": affinity_reasons,
    "NodePorts": ports_reasons,
    "NodeResourcesFit": fit_reasons,
}


# -- scores -------------------------------------------------------------------------------

def taint_score(pod: Pod, state: NodeState, profile: Profile) -> int:
    prefer = [t for t in pod.spec.tolerations if t.effect in ("", "PreferNoSchedule")]
    return sum(1 for taint in state.node.taints
               if taint.effect == "PreferNoSchedule" and not any(toleration_tolerates(t, taint) for t in prefer))


def affinity_score(pod: Pod, state: NodeState, profile: Profile) -> int:
    return sum(p.weight for p in pod.spec.preferred_node_terms if term_matches(state.node, p.term))


def _usage(pod: Pod, state: NodeState, resource: str, real: bool) -> tuple[int, int]:
    pod_request = pod.spec.requests.get(resource, 0)
    allocatable = state.node.allocatable.get(resource, 0)
    if not real and resource == "cpu":
        return allocatable, state.nonzero_cpu + pod.spec.nonzero_cpu
    if not real and resource == "memory":
        return allocatable, state.nonzero_memory + pod.spec.nonzero_memory
    if resource not in SCALAR_EXCLUDED and pod_request == 0:
        return 0, 0
    return allocatable, state.requested.get(resource, 0) + pod_request


def go_div(a: int, b: int) -> int:
    """Integer division truncating toward zero, as Go's."""
    quotient = abs(a) // abs(b)
    return quotient if (a >= 0) == (b > 0) else -quotient


def _broken_linear(shape, utilization: int) -> int:
    points = [(u, s * 10) for u, s in shape]
    if utilization <= points[0][0]:
        return points[0][1]
    for (u0, s0), (u1, s1) in zip(points, points[1:]):
        if utilization <= u1:
            return s0 + go_div((s1 - s0) * (utilization - u0), u1 - u0)
    return points[-1][1]


def fit_score(pod: Pod, state: NodeState, profile: Profile) -> int:
    total = weight_sum = 0
    for resource, weight in profile.fit_resources:
        allocatable, requested = _usage(pod, state, resource, real=False)
        if allocatable == 0:
            continue
        if profile.strategy == "LeastAllocated":
            score = 0 if requested > allocatable else (allocatable - requested) * MAX_SCORE // allocatable
        elif profile.strategy == "MostAllocated":
            score = min(requested, allocatable) * MAX_SCORE // allocatable
        else:
            utilization = 100 if requested >= allocatable else max(requested, 0) * 100 // allocatable
            score = _broken_linear(profile.shape, utilization)
            if score <= 0:
                continue
        total += score * weight
        weight_sum += weight
    if weight_sum == 0:
        return 0
    if profile.strategy == "RequestedToCapacityRatio":
        return math.floor(total / weight_sum + 0.5)
    return total // weight_sum


def balanced_score(pod: Pod, state: NodeState, profile: Profile) -> int:
    fractions = []
    for resource, _ in profile.balanced_resources:
        allocatable, requested = _usage(pod, state, resource, real=True)
        if allocatable == 0:
            continue
        fractions.append(min(requested / allocatable, 1.0))
    if len(fractions) == 2:
        deviation = abs(fractions[0] - fractions[1]) / 2
    elif len(fractions) > 2:
        mean = sum(fractions) / len(fractions)
        deviation = math.sqrt(sum((f - mean) ** 2 for f in fractions) / len(fractions))
    else:
        deviation = 0.0
    return int((1 - deviation) * MAX_SCORE)


def balanced_skips(pod: Pod, profile: Profile) -> bool:
    return all(pod.spec.requests.get(resource, 0) == 0 for resource, _ in profile.balanced_resources)


SCORES = {
    "TaintToleration": (taint_score, "reverse"),
    "NodeAffinity": (affinity_score, "plain"),
    "NodeResourcesFit": (fit_score, None),
    "NodeResourcesBalancedAllocation": (balanced_score, None),
}


def default_normalize(scores: list[int], reverse: bool) -> list[int]:
    top = max(scores, default=0)
    if top == 0:
        return [MAX_SCORE if reverse else s for s in scores]
    normalized = [MAX_SCORE * s // top for s in scores]
    return [MAX_SCORE - s for s in normalized] if reverse else normalized


# -- the scheduler ------------------------------------------------------------------------

@dataclass
class Decision:
    node: str | None
    message: str = ""
    totals: dict[str, int] = field(default_factory=dict)


class ReferenceScheduler:
    def __init__(self, nodes: list[Node], profile: Profile, bound: list[Pod] = ()):
        self.profile = profile
        self.states = [NodeState(n) for n in nodes]
        by_name = {s.node.name: s for s in self.states}
        for pod in bound:
            by_name[pod.node_name].add(pod)

    def first_failure(self, pod: Pod, state: NodeState) -> tuple[str | None, list[str]]:
        for name in self.profile.filters:
            reasons = FILTERS[name](pod, state)
            if reasons:
                return name, reasons
        return None, []

    def decide(self, pod: Pod) -> Decision:
        feasible = []
        histogram: dict[str, int] = {}
        for state in self.states:
            failed, reasons = self.first_failure(pod, state)
            if failed is None:
                feasible.append(state)
            for reason in reasons:
                histogram[reason] = histogram.get(reason, 0) + 1
        if not feasible:
            parts = sorted(f"{count} {reason}" for reason, count in histogram.items())
            message = f"0/{len(self.states)} nodes are available:"
            if parts:
                message += " " + ", ".join(parts) + "."
            return Decision(None, message)
        totals = [0] * len(feasible)
        for name, weight in self.profile.weights.items():
            if name not in SCORES or weight == 0:
                continue
            if name == "NodeResourcesBalancedAllocation" and balanced_skips(pod, self.profile):
                continue
            function, normalization = SCORES[name]
            raw = [function(pod, state, self.profile) for state in feasible]
            if normalization:
                raw = default_normalize(raw, reverse=normalization == "reverse")
            totals = [t + weight * s for t, s in zip(totals, raw)]
        best = max(range(len(feasible)), key=lambda i: (totals[i], -i))
        chosen = feasible[best]
        chosen.add(pod)
        return Decision(chosen.node.name, "", {s.node.name: t for s, t in zip(feasible, totals)})
