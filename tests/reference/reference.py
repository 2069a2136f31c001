"""The pure-Python reference scheduler: slow and obvious, written from upstream's documented
behaviour, used by the tests to check the core decision by decision. Ties go to the first
node examined (input order unless percentageOfNodesToScore samples), as in the core's
deterministic mode; every decision also names all the tied best nodes, among which a seeded
core picks at random."""

from __future__ import annotations

import math
from contextlib import contextmanager
from collections.abc import Sequence
from dataclasses import dataclass, field

from tests.reference import gpu_policies, selectors
from tests.reference.gpu_policies import GPU_PLUGINS, GpuNode
from tests.reference.selectors import selector_matches
from tests.reference.volume_reference import VOLUME_PLUGINS, VolumeReference
from kubesched.framework.cluster_objects import ClusterObjects
from kubesched.framework.profile import Profile
from kubesched.framework.typical_pods import TypicalPod
from kubesched.model.gpu import GPU_MODEL_LABEL, GPU_RESOURCE, MILLI_PER_GPU, gpu_request
from kubesched.model.records import (LabelSelector, Node, NodeSelectorTerm, Pod, PodAffinityTerm, Requirement,
                                     Taint, Toleration, TopologySpreadConstraint)

HOSTNAME = "kubernetes.io/hostname"

MAX_SCORE = 100
NO_NODES_AVAILABLE = "no nodes available to schedule pods"
SCALAR_EXCLUDED = ("cpu", "memory", "ephemeral-storage")


@dataclass
class NodeState:
    node: Node
    requested: dict[str, int] = field(default_factory=dict)
    nonzero_cpu: int = 0
    nonzero_memory: int = 0
    pods: int = 0
    ports: list = field(default_factory=list)  # (ip, protocol, port) per pod port
    residents: list = field(default_factory=list)
    gpu_free: list[int] = field(init=False)  # milli per GPU
    gpu_holders: list = field(default_factory=list)  # (GPU pod, the GPUs it took)

    def __post_init__(self):
        self.gpu_free = [MILLI_PER_GPU] * self.node.allocatable.get(GPU_RESOURCE, 0)

    def add(self, pod: Pod, gpus: tuple[int, ...] = ()) -> None:
        self.residents.append(pod)
        gpu = gpu_request(pod)
        if gpu.count:
            self.gpu_holders.append((pod, gpus))
            for g in gpus:
                self.gpu_free[g] -= gpu.milli
        for name, amount in pod.spec.requests.items():
            self.requested[name] = self.requested.get(name, 0) + amount
        self.nonzero_cpu += pod.spec.nonzero_cpu
        self.nonzero_memory += pod.spec.nonzero_memory
        self.pods += 1
        self.ports.extend((p.ip, p.protocol, p.port) for p in pod.spec.host_ports)

    def remove(self, pod: Pod) -> None:
        self.residents.remove(pod)
        held = next((h for h in self.gpu_holders if h[0] is pod), None)
        if held is not None:
            self.gpu_holders.remove(held)
            for g in held[1]:
                self.gpu_free[g] += gpu_request(pod).milli
        for name, amount in pod.spec.requests.items():
            self.requested[name] -= amount
        self.nonzero_cpu -= pod.spec.nonzero_cpu
        self.nonzero_memory -= pod.spec.nonzero_memory
        self.pods -= 1
        for p in pod.spec.host_ports:
            self.ports.remove((p.ip, p.protocol, p.port))

    def gpu_node(self) -> GpuNode:
        gpus = (gpu_request(p) for p, _ in self.gpu_holders)
        return GpuNode(self.node.allocatable.get("cpu", 0) - self.requested.get("cpu", 0), tuple(self.gpu_free),
                       self.node.labels.get(GPU_MODEL_LABEL), tuple(0 if g.shares else g.count for g in gpus))


# -- filters ------------------------------------------------------------------------------

def toleration_tolerates(t: Toleration, taint: Taint) -> bool:
    if t.effect and t.effect != taint.effect:
        return False
    if t.key and t.key != taint.key:
        return False
    if t.operator == "Exists":
        return True
    return t.value == taint.value


def term_matches(node: Node, term: NodeSelectorTerm) -> bool:
    return selectors.term_matches(term, node.name, node.labels)


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
            return ["node(s) had untolerated taint(s)"]
    return []


def affinity_reasons(pod: Pod, state: NodeState, profile: Profile | None = None) -> list[str]:
    node = state.node
    added = profile.added_affinity if profile else None
    if added is not None and added.required_terms is not None:
        if not any(term_matches(node, term) for term in added.required_terms):
            return ["node(s) didn't match scheduler-enforced node affinity"]
    ok = all(node.labels.get(k) == v for k, v in pod.spec.node_selector)
    if ok and pod.spec.required_node_terms is not None:
        ok = any(term_matches(node, term) for term in pod.spec.required_node_terms)
    # a GPU pod's allowed models are a required term of its node affinity
    ok = ok and gpu_policies.model_allowed(node.labels.get(GPU_MODEL_LABEL), gpu_request(pod).models)
    return [] if ok else ["node(s) didn't match Pod's node affinity/selector"]


def ports_reasons(pod: Pod, state: NodeState) -> list[str]:
    for wanted in pod.spec.host_ports:
        for ip, protocol, port in state.ports:
            if protocol == wanted.protocol and port == wanted.port and (
                    wanted.ip == "0.0.0.0" or ip == "0.0.0.0" or ip == wanted.ip):
                return ["node(s) didn't have free ports for the requested pod ports"]
    return []


def fit_ignores(profile: Profile, resource: str) -> bool:
    """NodeResourcesFit's ignoredResources and ignoredResourceGroups (the part before the
    slash) name extended resources only: a name with a slash outside kubernetes.io/."""
    extended = "/" in resource and "kubernetes.io/" not in resource and not resource.startswith("requests.")
    return extended and (resource in profile.fit_ignored_resources
                         or resource.split("/", 1)[0] in profile.fit_ignored_groups)


def fit_reasons(pod: Pod, state: NodeState, profile: Profile | None = None) -> list[str]:
    reasons = []
    allocatable = state.node.allocatable
    if state.pods + 1 > allocatable.get("pods", 0):
        reasons.append("Too many pods")
    for name, amount in pod.spec.requests.items():
        if profile is not None and fit_ignores(profile, name):
            continue
        if amount > 0 and amount > allocatable.get(name, 0) - state.requested.get(name, 0):
            reasons.append(f"Insufficient {name}")
    # GPU sharing: enough GPUs with enough free milli each, even where the GPU resource is ignored
    gpu = gpu_request(pod)
    insufficient_gpus = f"Insufficient {GPU_RESOURCE}"
    if gpu.count and not gpu_policies.gpus_fit(gpu, state.gpu_free) and insufficient_gpus not in reasons:
        reasons.append(insufficient_gpus)
    return reasons


FILTERS = {
    "NodeUnschedulable": unschedulable_reasons,
    "NodeName": node_name_reasons,
    "TaintToleration": taint_reasons,
    "NodeAffinity": affinity_reasons,
    "NodePorts": ports_reasons,
    "NodeResourcesFit": fit_reasons,
    # The pods this reference decides have no resource claims (DRA's reference is
    # tests.reference.dra_reference), so DynamicResources passes them and scores 0.
    "DynamicResources": lambda pod, state: [],
}


# -- scores -------------------------------------------------------------------------------

def taint_score(pod: Pod, state: NodeState, profile: Profile) -> int:
    prefer = [t for t in pod.spec.tolerations if t.effect in ("", "PreferNoSchedule")]
    return sum(1 for taint in state.node.taints
               if taint.effect == "PreferNoSchedule" and not any(toleration_tolerates(t, taint) for t in prefer))


def affinity_score(pod: Pod, state: NodeState, profile: Profile) -> int:
    preferred = pod.spec.preferred_node_terms
    if profile.added_affinity is not None:
        preferred += profile.added_affinity.preferred_terms
    return sum(p.weight for p in preferred if term_matches(state.node, p.term))


def _usage(pod: Pod, state: NodeState, resource: str, real: bool) -> tuple[int, int]:
    pod_request = pod.spec.requests.get(resource, 0)
    allocatable = state.node.allocatable.get(resource, 0)
    if not real and resource == "cpu":
        own = pod.spec.nonzero_cpu if pod.spec.fit_score_cpu is None else pod.spec.fit_score_cpu
        return allocatable, go_int64(state.nonzero_cpu + own)
    if not real and resource == "memory":
        own = pod.spec.nonzero_memory if pod.spec.fit_score_memory is None else pod.spec.fit_score_memory
        return allocatable, go_int64(state.nonzero_memory + own)
    if resource not in SCALAR_EXCLUDED and pod_request == 0:
        return 0, 0
    return allocatable, go_int64(state.requested.get(resource, 0) + pod_request)


def go_int64(x: int) -> int:
    """x as Go's int64 arithmetic leaves it: wrapped around into [-2^63, 2^63)."""
    return (x + 2**63) % 2**64 - 2**63


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
        # upstream's int64 products wrap for amounts past ~9.2e16
        if profile.strategy == "LeastAllocated":
            score = 0 if requested > allocatable else go_div(go_int64((allocatable - requested) * MAX_SCORE),
                                                                allocatable)
        elif profile.strategy == "MostAllocated":
            score = go_div(go_int64(min(requested, allocatable) * MAX_SCORE), allocatable)
        else:
            utilization = 100 if requested > allocatable else go_div(go_int64(requested * 100), allocatable)
            score = _broken_linear(profile.shape, utilization)
            if score <= 0:
                continue
        total += score * weight
        weight_sum += weight
    if weight_sum == 0:
        return 0
    if profile.strategy == "RequestedToCapacityRatio":
        return math.floor(total / weight_sum + 0.5)
    return go_div(total, weight_sum)


def _balance(fractions: list[float]) -> int:
    if len(fractions) == 2:
        deviation = abs(fractions[0] - fractions[1]) / 2
    elif len(fractions) > 2:
        mean = sum(fractions) / len(fractions)
        deviation = math.sqrt(sum((f - mean) ** 2 for f in fractions) / len(fractions))
    else:
        deviation = 0.0
    return int((1 - deviation) * MAX_SCORE)


def balanced_score(pod: Pod, state: NodeState, profile: Profile) -> int:
    """The change in balance the pod causes: 50 + (50 + balance(with) - balance(without)) / 2."""
    with_pod, without_pod = [], []
    for resource, _ in profile.balanced_resources:
        allocatable, requested = _usage(pod, state, resource, real=True)
        if allocatable == 0:
            continue
        # float64(requested) / float64(allocatable), as upstream: past 2^53 each side is
        # rounded first, which Python's exact int / int is not
        with_pod.append(min(float(requested) / float(allocatable), 1.0))
        without_pod.append(min(float(requested - pod.spec.requests.get(resource, 0)) / float(allocatable), 1.0))
    half = MAX_SCORE // 2
    return half + (half + _balance(with_pod) - _balance(without_pod)) // 2


def balanced_skips(pod: Pod, profile: Profile) -> bool:
    return all(pod.spec.requests.get(resource, 0) == 0 for resource, _ in profile.balanced_resources)


SCORES = {
    "TaintToleration": (taint_score, "reverse"),
    "NodeAffinity": (affinity_score, "plain"),
    "NodeResourcesFit": (fit_score, None),
    "NodeResourcesBalancedAllocation": (balanced_score, None),
    "DynamicResources": (lambda pod, state, profile: 0, "plain"),
}


def default_normalize(scores: list[int], reverse: bool) -> list[int]:
    top = max(scores, default=0)
    if top == 0:
        return [MAX_SCORE if reverse else s for s in scores]
    normalized = [MAX_SCORE * s // top for s in scores]
    return [MAX_SCORE - s for s in normalized] if reverse else normalized


# -- inter-pod rules ----------------------------------------------------------------------

ALL = "*"


@dataclass(frozen=True)
class ResolvedTerm:
    """A term's selector with matchLabelKeys merged, and the namespaces it looks in."""

    selector: LabelSelector | None
    namespaces: frozenset | str
    key: str
    weight: int = 0

    def matches(self, pod: Pod) -> bool:
        if self.selector is None:
            return False
        if self.namespaces != ALL and pod.namespace not in self.namespaces:
            return False
        return selector_matches(self.selector, pod.labels)


def _merged(selector: LabelSelector | None, owner: Pod, in_keys=(), not_in_keys=()) -> LabelSelector | None:
    if selector is None:
        return None
    extra = tuple(Requirement(k, "In", (owner.labels[k],)) for k in in_keys if k in owner.labels)
    extra += tuple(Requirement(k, "NotIn", (owner.labels[k],)) for k in not_in_keys if k in owner.labels)
    return LabelSelector(selector.match_labels, selector.match_expressions + extra)


def resolve_term(owner: Pod, term: PodAffinityTerm, objects: ClusterObjects, weight: int = 0) -> ResolvedTerm:
    selector = _merged(term.label_selector, owner, term.match_label_keys, term.mismatch_label_keys)
    ns_selector = term.namespace_selector
    if ns_selector is not None and not ns_selector.match_labels and not ns_selector.match_expressions:
        namespaces = ALL
    elif not term.namespaces and ns_selector is None:
        namespaces = frozenset({owner.namespace})
    else:
        chosen = set(term.namespaces)
        if ns_selector is not None:
            chosen |= {name for name, labels in objects.namespaces.items() if selector_matches(ns_selector, labels)}
        namespaces = frozenset(chosen)
    return ResolvedTerm(selector, namespaces, term.topology_key, weight)


@dataclass(frozen=True)
class SpreadRule:
    key: str
    max_skew: int
    min_domains: int
    hard: bool
    selector: LabelSelector | None
    honor_affinity: bool
    honor_taints: bool

    def counts(self, pod: Pod) -> bool:
        return self.selector is not None and selector_matches(self.selector, pod.labels)


def spread_rules(pod: Pod, profile: Profile, objects: ClusterObjects) -> tuple[list[SpreadRule], bool]:
    """The pod's constraints, or the profile's defaults; and whether they are the system
    defaults (then nodes missing a key are not ignored when scoring)."""
    if pod.spec.topology_spread:
        return [SpreadRule(c.topology_key, c.max_skew, c.min_domains, c.when_unsatisfiable == "DoNotSchedule",
                           _merged(c.label_selector, pod, c.match_label_keys),
                           c.node_affinity_policy == "Honor", c.node_taints_policy == "Honor")
                for c in pod.spec.topology_spread], False
    selector = default_selector(pod, objects)
    if selector is None:
        return [], False
    if profile.spread_defaulting_type == "System":
        return [SpreadRule(k, skew, 1, False, selector, True, False)
                for k, skew in ((HOSTNAME, 3), ("topology.kubernetes.io/zone", 5))], True
    return [SpreadRule(c["topologyKey"], c["maxSkew"], 1, c.get("whenUnsatisfiable") == "DoNotSchedule",
                       selector, True, False) for c in profile.spread_default_constraints], False


def default_selector(pod: Pod, objects: ClusterObjects) -> LabelSelector | None:
    """Upstream's helper.DefaultSelector, written apart from the production compiler: the
    selectors of the pod's Services merged, ANDed with its controller's (a
    ReplicationController's merged in as a map); None when nothing selects the pod."""
    def namespace_of(obj: dict) -> str:
        return (obj.get("metadata") or {}).get("namespace") or "default"

    merged: dict[str, str] = {}
    for service in objects.services:
        selector = (service.get("spec") or {}).get("selector")
        if selector is not None and namespace_of(service) == pod.namespace and all(
                pod.labels.get(k) == v for k, v in selector.items()):
            merged.update(selector)
    expressions: list[Requirement] = []
    controllers = {"ReplicationController": objects.replication_controllers, "ReplicaSet": objects.replica_sets,
                   "Deployment": objects.deployments, "StatefulSet": objects.stateful_sets}
    for obj in controllers.get(pod.owner_kind, ()):
        if (obj.get("metadata") or {}).get("name") != pod.owner_name or namespace_of(obj) != pod.namespace:
            continue
        selector = (obj.get("spec") or {}).get("selector") or {}
        if pod.owner_kind == "ReplicationController":
            merged.update(selector)
        else:
            expressions += [Requirement(k, "In", (v,)) for k, v in (selector.get("matchLabels") or {}).items()]
            expressions += [Requirement(e["key"], e["operator"], tuple(e.get("values") or ()))
                            for e in selector.get("matchExpressions") or ()]
        break
    requirements = tuple(Requirement(k, "In", (v,)) for k, v in merged.items()) + tuple(expressions)
    return LabelSelector((), requirements) if requirements else None


def _matching_pods(state: NodeState, rule: SpreadRule, namespace: str) -> int:
    return sum(1 for p in state.residents if p.namespace == namespace and rule.counts(p))


def image_locality_score(pod: Pod, state: NodeState, node_count: int, holders: dict[str, int],
                         sizes: dict[str, int]) -> int:
    minimum, per_container = 23 * 1024 * 1024, 1000 * 1024 * 1024
    if not pod.spec.images:
        return 0
    held = {name for image in state.node.images for name in image.names}
    total = sum(int(sizes[i] * (holders[i] / node_count)) for i in pod.spec.images if i in held)
    maximum = per_container * len(pod.spec.images)
    total = min(max(total, minimum), maximum)
    return MAX_SCORE * (total - minimum) // (maximum - minimum)


# -- the scheduler ------------------------------------------------------------------------

@dataclass
class Decision:
    node: str | None
    message: str = ""
    totals: dict[str, int] = field(default_factory=dict)
    best: list[str] = field(default_factory=list)  # the tied best nodes, in the order examined
    volumes: list = field(default_factory=list)  # (claim, PV or None: provisioned, capacity) it bound
    scores: dict[str, dict[str, int]] = field(default_factory=dict)  # node -> plugin -> weighted score (0: skipped)
    gpus: tuple[int, ...] = ()  # the GPUs it took on its node


MIN_FEASIBLE_NODES_TO_FIND = 100
MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5


def num_feasible_nodes_to_find(percentage: int, node_count: int) -> int:
    """Upstream's numFeasibleNodesToFind: how many feasible nodes to find before scoring."""
    if node_count < MIN_FEASIBLE_NODES_TO_FIND:
        return node_count
    if percentage == 0:
        percentage = max(50 - node_count // 125, MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND)
    return max(node_count * percentage // 100, MIN_FEASIBLE_NODES_TO_FIND)


class ReferenceScheduler:
    def __init__(self, nodes: list[Node], profile: Profile, bound: list[Pod] = (),
                 objects: ClusterObjects | None = None, python_plugins: dict | None = None,
                 typical: Sequence[TypicalPod] = (), bound_gpus: dict[str, tuple[int, ...]] | None = None):
        """`python_plugins`: the object behind each import path of the profile's Python
        plugins (called here as upstream calls an out-of-tree plugin: after the in-tree ones);
        `typical`: FGD's typical pods; `bound_gpus`: the GPUs a bound pod holds, by uid (as a
        live cache recorded them), taken as they are; the other bound pods get the GPUs the
        profile's selection picks, after those."""
        self.profile = profile
        self.typical = list(typical)
        self.python_plugins = python_plugins or {}
        self.objects = objects or ClusterObjects()
        self.states = [NodeState(n) for n in nodes]
        self.next_start = 0  # upstream's nextStartNodeIndex
        # None: the storage objects were not read, and the volume plugins judge no pod
        self.volumes = VolumeReference(self.objects.storage) if self.objects.storage is not None else None
        by_name = {s.node.name: s for s in self.states}
        bound_gpus = bound_gpus or {}
        for pod in sorted(bound, key=lambda p: p.uid not in bound_gpus):
            if pod.uid in bound_gpus:
                by_name[pod.node_name].add(pod, bound_gpus[pod.uid])
            else:
                self.place(pod, by_name[pod.node_name])
        self.holders: dict[str, int] = {}
        for n in nodes:
            for name in {name for image in n.images for name in image.names}:
                self.holders[name] = self.holders.get(name, 0) + 1
        # An image's size, as upstream's cache has it: what the first node it lists (by
        # name) reports first.
        self.image_sizes: dict[str, int] = {}
        for n in sorted(nodes, key=lambda n: n.name):
            for image in n.images:
                for name in image.names:
                    self.image_sizes.setdefault(name, image.size_bytes)

    # changes between decisions

    def use_profile(self, profile: Profile) -> None:
        self.profile = profile

    def update_node(self, node: Node) -> None:
        """The node's labels, taints or schedulability changed (not its images)."""
        state = next(s for s in self.states if s.node.name == node.name)
        state.node = node

    def forget(self, pod: Pod, node_name: str) -> None:
        """The pod left the node (deleted, or its assumption dropped)."""
        state = next(s for s in self.states if s.node.name == node_name)
        state.remove(pod)
        if self.volumes is not None:
            self.volumes.forget(pod, state.node)

    def place(self, pod: Pod, state: NodeState, drawn: tuple[int, ...] | None = None) -> tuple[int, ...]:
        """The pod counts on the node, on the GPUs the profile's selection picks there
        (`drawn`: the GPUs a seeded engine drew for it, taken where the Random selection may
        draw them); returns those GPUs."""
        gpu = gpu_request(pod)
        node = state.gpu_node()
        selection = gpu_policies.gpu_selection(self.profile)
        if drawn is not None and selection == "Random" and gpu.shares and len(drawn) == 1 \
                and drawn[0] in gpu_policies.drawable_gpus(gpu, node):
            gpus = drawn
        else:
            gpus = gpu_policies.choose_gpus(selection, gpu, pod.spec.nonzero_cpu, node, self.typical)
        state.add(pod, gpus)
        return gpus

    def gpu_scores(self, name: str, pod: Pod, feasible: list[NodeState]) -> list[int]:
        """A GPU policy's scores of the feasible nodes, normalised as the plugin does."""
        gpu = gpu_request(pod)
        scores = [gpu_policies.raw_score(name, gpu, pod.spec.nonzero_cpu, s.gpu_node(), self.typical)
                  for s in feasible]
        return gpu_policies.min_max_normalize(scores) if name == "BestFitScore" else scores

    def frag(self, state: NodeState) -> float:
        """The node's fragmentation amount against the typical pods."""
        node = state.gpu_node()
        return gpu_policies.frag_amount(node.cpu_left, node.free, node.model, self.typical)

    def state_of(self, name: str) -> NodeState:
        return next(s for s in self.states if s.node.name == name)

    def placed(self):
        for state in self.states:
            for pod in state.residents:
                yield state, pod

    # filters over the whole cluster

    def spread_reasons(self, pod: Pod, state: NodeState) -> list[str]:
        rules, _ = spread_rules(pod, self.profile, self.objects)
        hard = [r for r in rules if r.hard]
        keys = [r.key for r in hard]
        for rule in hard:
            counts: dict[str, int] = {}
            for other in self.states:
                labels = other.node.labels
                if not all(k in labels for k in keys):
                    continue
                if rule.honor_affinity and affinity_reasons(pod, other):
                    continue
                if rule.honor_taints and taint_reasons(pod, other):
                    continue
                value = labels[rule.key]
                counts[value] = counts.get(value, 0) + _matching_pods(other, rule, pod.namespace)
            minimum = min(counts.values()) if len(counts) >= rule.min_domains else 0
            if rule.key not in state.node.labels:
                return ["node(s) didn't match pod topology spread constraints (missing required label)"]
            own = 1 if rule.counts(pod) else 0
            if counts.get(state.node.labels[rule.key], 0) + own - minimum > rule.max_skew:
                return ["node(s) didn't match pod topology spread constraints"]
        return []

    def inter_pod_reasons(self, pod: Pod, state: NodeState) -> list[str]:
        labels = state.node.labels
        required = [resolve_term(pod, t, self.objects) for t in pod.spec.pod_affinity_required]
        if required:
            counts: dict[tuple, int] = {}
            for where, other in self.placed():
                if all(t.matches(other) for t in required):
                    for t in required:
                        if t.key in where.node.labels:
                            pair = (t.key, where.node.labels[t.key])
                            counts[pair] = counts.get(pair, 0) + 1
            if not all(t.key in labels for t in required):
                return ["node(s) didn't match pod affinity rules"]
            if not all(counts.get((t.key, labels[t.key]), 0) > 0 for t in required):
                first_of_group = not counts and all(t.matches(pod) for t in required)
                if not first_of_group:
                    return ["node(s) didn't match pod affinity rules"]
        for term in (resolve_term(pod, t, self.objects) for t in pod.spec.pod_anti_affinity_required):
            if term.key not in labels:
                continue
            if any(where.node.labels.get(term.key) == labels[term.key] and term.matches(other)
                   for where, other in self.placed()):
                return ["node(s) didn't match pod anti-affinity rules"]
        for where, other in self.placed():
            for t in other.spec.pod_anti_affinity_required:
                term = resolve_term(other, t, self.objects)
                if term.key in where.node.labels and labels.get(term.key) == where.node.labels[term.key] \
                        and term.matches(pod):
                    return ["node(s) didn't satisfy existing pods anti-affinity rules"]
        return []

    def prefilter(self, pod: Pod) -> tuple[set[str] | None, str | None]:
        """(NodeAffinity's node names, or None; the message of a PreFilter rejection)."""
        names, rejection = self.node_affinity_prefilter(pod)
        if rejection is None and pod.spec.volumes and self.volumes is not None:
            found = self.volumes.rejection(pod, self.profile.filters)
            rejection = found[1] if found else None
        return names, rejection

    def node_affinity_prefilter(self, pod: Pod) -> tuple[set[str] | None, str | None]:
        """NodeAffinity's PreFilter: (the node names every required term restricts the pod
        to, or None for all nodes; the message when the terms admit no node name at all)."""
        terms = pod.spec.required_node_terms
        if "NodeAffinity" not in self.profile.prefilters or not terms:
            return None, None
        per_term = []
        for term in terms:
            named = [set(r.values) for r in term.match_fields if r.key == "metadata.name" and r.operator == "In"]
            if not named:
                return None, None
            per_term.append(set.intersection(*named))
        union = set().union(*per_term)
        return (union, None) if union else (None, "pod affinity terms conflict")

    def rejecting_plugin(self, pod: Pod) -> tuple[str, str] | None:
        """The PreFilter plugin that rejects the pod and its message: NodeAffinity's, then the
        volume plugins' (in profile order)."""
        _, rejection = self.node_affinity_prefilter(pod)
        if rejection:
            return "NodeAffinity", rejection
        return self.volumes.rejection(pod, self.profile.filters) if pod.spec.volumes and self.volumes else None

    def first_failure(self, pod: Pod, state: NodeState) -> tuple[str | None, list[str]]:
        names, rejection = self.prefilter(pod)
        if rejection:
            return self.rejecting_plugin(pod)[0], [rejection]
        if names is not None and state.node.name not in names:
            return "NodeAffinity", ["node(s) didn't satisfy plugin(s) [NodeAffinity]"]
        inter_pod = ("PodTopologySpread", "InterPodAffinity")
        local = [n for n in self.profile.filters if n not in VOLUME_PLUGINS and n not in inter_pod]
        for name in [*local, *(n for n in self.profile.filters if n in VOLUME_PLUGINS),
                     *(n for n in self.profile.filters if n in inter_pod)]:
            if name in VOLUME_PLUGINS:
                reasons = self.volumes.reasons(name, pod, state, self.states, self.profile.filters) \
                    if pod.spec.volumes and self.volumes else []
            elif name == "PodTopologySpread":
                reasons = self.spread_reasons(pod, state)
            elif name == "InterPodAffinity":
                reasons = self.inter_pod_reasons(pod, state)
            elif name == "NodeAffinity":
                reasons = affinity_reasons(pod, state, self.profile)
            elif name == "NodeResourcesFit":
                reasons = fit_reasons(pod, state, self.profile)
            else:
                reasons = FILTERS[name](pod, state)
            if reasons:
                return name, reasons
        for name in self.profile.python_filters:
            reason = self.python_plugins[name].filter(pod, state.node)
            if reason:
                return name, [reason]
        return None, []

    def failure_with_nominated(self, pod: Pod, state: NodeState, nominated: Sequence[tuple[Pod, str]]
                               ) -> tuple[str | None, list[str]]:
        """RunFilterPluginsWithNominatedPods: first_failure with the pods nominated to the
        node at the pod's priority or above (not the pod itself) added to it and, if that
        passes and some were added, without them."""
        added = [p for p, node in nominated
                 if node == state.node.name and p.priority >= pod.priority and p.key != pod.key]
        with self.what_if():
            for p in added:
                self.place(p, state)
            try:
                failed, reasons = self.first_failure(pod, state)
            finally:
                for p in added:
                    state.remove(p)
        if failed is None and added:
            failed, reasons = self.first_failure(pod, state)
        return failed, reasons

    @contextmanager
    def what_if(self):
        """Pods added to or removed from nodes inside are a what-if of one cycle: the volume
        plugins' PreFilter state stays as the nodes were when it began (nested: the outermost)."""
        if self.volumes is None or self.volumes.prefilter_pods is not None:
            yield
            return
        self.volumes.prefilter_pods = [p for _, p in self.placed()]
        try:
            yield
        finally:
            self.volumes.prefilter_pods = None

    # scores over the feasible nodes

    def inter_pod_scores(self, pod: Pod, feasible: list[NodeState]) -> list[int] | None:
        spec = pod.spec
        has_preferred = bool(spec.pod_affinity_preferred or spec.pod_anti_affinity_preferred)
        if self.profile.ignore_preferred_terms_of_existing_pods and not has_preferred:
            return None
        topology: dict[tuple, int] = {}

        def credit(term: ResolvedTerm, target: Pod, where: NodeState, weight: int) -> None:
            if term.matches(target) and term.key in where.node.labels:
                pair = (term.key, where.node.labels[term.key])
                topology[pair] = topology.get(pair, 0) + weight

        mine = [(resolve_term(pod, w.term, self.objects), w.weight) for w in spec.pod_affinity_preferred]
        mine += [(resolve_term(pod, w.term, self.objects), -w.weight) for w in spec.pod_anti_affinity_preferred]
        for where, other in self.placed():
            for term, weight in mine:
                credit(term, other, where, weight)
            theirs = []
            if self.profile.hard_pod_affinity_weight > 0:
                theirs += [(t, self.profile.hard_pod_affinity_weight) for t in other.spec.pod_affinity_required]
            theirs += [(w.term, w.weight) for w in other.spec.pod_affinity_preferred]
            theirs += [(w.term, -w.weight) for w in other.spec.pod_anti_affinity_preferred]
            for term, weight in theirs:
                credit(resolve_term(other, term, self.objects), pod, where, weight)
        if not topology:
            return None
        raw = [sum(v for (k, value), v in topology.items() if s.node.labels.get(k) == value) for s in feasible]
        low, high = min(raw), max(raw)
        return [int(MAX_SCORE * ((r - low) / (high - low))) if high > low else 0 for r in raw]

    def spread_scores(self, pod: Pod, feasible: list[NodeState]) -> list[int] | None:
        rules, system = spread_rules(pod, self.profile, self.objects)
        soft = [r for r in rules if not r.hard]
        if not soft:
            return None
        require_all = not (system and self.profile.spread_defaulting_type == "System")
        keys = [r.key for r in soft]
        ignored = [require_all and not all(k in s.node.labels for k in keys) for s in feasible]
        raw = [0] * len(feasible)
        for rule in soft:
            domains = {s.node.labels.get(rule.key, "") for s, skip in zip(feasible, ignored) if not skip}
            size = sum(1 for skip in ignored if not skip) if rule.key == HOSTNAME else len(domains)
            weight = math.log(size + 2)
            counts: dict[str, int] = {}
            for other in self.states:
                labels = other.node.labels
                if require_all and not all(k in labels for k in keys):
                    continue
                if rule.honor_affinity and affinity_reasons(pod, other):
                    continue
                if rule.honor_taints and taint_reasons(pod, other):
                    continue
                value = labels.get(rule.key, "")
                if value in domains:
                    counts[value] = counts.get(value, 0) + _matching_pods(other, rule, pod.namespace)
            for i, s in enumerate(feasible):
                if ignored[i] or rule.key not in s.node.labels:
                    continue
                count = _matching_pods(s, rule, pod.namespace) if rule.key == HOSTNAME \
                    else counts.get(s.node.labels[rule.key], 0)
                raw[i] += count * weight + (rule.max_skew - 1)
        raw = [int(math.floor(r + 0.5)) for r in raw]
        kept = [r for r, skip in zip(raw, ignored) if not skip]
        low, high = (min(kept), max(kept)) if kept else (0, 0)
        return [0 if skip else MAX_SCORE if high == 0 else MAX_SCORE * (high + low - r) // high
                for r, skip in zip(raw, ignored)]

    def examine(self, pod: Pod, nominated: Sequence[tuple[Pod, str]] = ()) -> tuple[list[NodeState], dict[str, int]]:
        """Upstream's findNodesThatPassFilters run on one worker: from nextStartNodeIndex,
        look at the nodes the PreFilter result allows until numFeasibleNodesToFind feasible
        ones are found (the next feasible one is looked at, then the search is cancelled
        and it is not counted); the start moves on by the nodes processed. Returns the
        feasible nodes in the order examined (input order when nothing is sampled: the
        start moves, by a PreFilter result's nodes, even then) and the reasons histogram.
        `nominated`: (pod, node name) of pods nominated to nodes (failure_with_nominated)."""
        count = len(self.states)
        names, rejection = self.prefilter(pod)
        histogram: dict[str, int] = {}
        if rejection:
            return [], histogram
        allowed = [s for s in self.states if names is None or s.node.name in names]
        wanted = num_feasible_nodes_to_find(self.profile.percentage_of_nodes_to_score, len(allowed))
        feasible, processed = [], 0
        for i in range(count):
            state = self.states[(self.next_start + i) % count]
            failed, reasons = self.failure_with_nominated(pod, state, nominated)
            if names is not None and state.node.name not in names:
                for reason in reasons:
                    histogram[reason] = histogram.get(reason, 0) + 1
                continue
            if failed is None and len(feasible) == wanted:
                break
            processed += 1
            if failed is None:
                feasible.append(state)
            for reason in reasons:
                histogram[reason] = histogram.get(reason, 0) + 1
        self.next_start = (self.next_start + processed) % count if count else 0
        if num_feasible_nodes_to_find(self.profile.percentage_of_nodes_to_score, count) >= count:
            # every node is looked at: in input order, where the first of tied nodes wins
            order = {id(s): i for i, s in enumerate(self.states)}
            feasible.sort(key=lambda s: order[id(s)])
        return feasible, histogram

    def evaluate(self, pod: Pod, nominated: Sequence[tuple[Pod, str]] = ()) -> Decision:
        """Filter and score the nodes for the pod without placing it (scores never see the
        nominated pods). Without nodes kube-scheduler fails before any plugin runs
        (ErrNoNodesAvailable)."""
        if not self.states:
            return Decision(None, NO_NODES_AVAILABLE)
        feasible, histogram = self.examine(pod, nominated)
        if not feasible:
            message = f"0/{len(self.states)} nodes are available:"
            _, rejection = self.prefilter(pod)
            if rejection:
                # DynamicResources' PostFilter then finds no state of its PreFilter, which never
                # ran, and its error ("not found") ends PostFilter
                ended = " not found" if self.profile.dra_post_filter else ""
                return Decision(None, f"{message} {rejection}.{ended}")
            parts = sorted(f"{count} {reason}" for reason, count in histogram.items())
            if parts:
                message += " " + ", ".join(parts) + "."
            return Decision(None, message)
        totals = [0] * len(feasible)
        weighted = {name: [0] * len(feasible) for name, weight in self.profile.weights.items() if weight}
        for name, weight in self.profile.weights.items():
            if weight == 0:
                continue
            if name == "NodeResourcesBalancedAllocation" and balanced_skips(pod, self.profile):
                continue
            if name == "InterPodAffinity":
                scores = self.inter_pod_scores(pod, feasible)
            elif name == "PodTopologySpread":
                scores = self.spread_scores(pod, feasible)
            elif name == "VolumeBinding":
                scores = [self.volumes.score(pod, s, self.profile.volume_shape) if pod.spec.volumes and self.volumes else 0
                          for s in feasible]
            elif name in GPU_PLUGINS:
                scores = self.gpu_scores(name, pod, feasible)
            elif name == "ImageLocality":
                scores = [image_locality_score(pod, s, len(self.states), self.holders, self.image_sizes)
                          for s in feasible]
            else:
                function, normalization = SCORES[name]
                scores = [function(pod, state, self.profile) for state in feasible]
                if normalization:
                    scores = default_normalize(scores, reverse=normalization == "reverse")
            if scores is not None:
                weighted[name] = [weight * s for s in scores]
                totals = [t + w for t, w in zip(totals, weighted[name])]
        for name, weight in self.profile.python_scores:
            weighted[name] = [weight * self.python_plugins[name].score(pod, s.node) for s in feasible]
            totals = [t + w for t, w in zip(totals, weighted[name])]
        top = max(totals)
        best = [s.node.name for s, t in zip(feasible, totals) if t == top]
        return Decision(best[0], "", {s.node.name: t for s, t in zip(feasible, totals)}, best,
                        scores={s.node.name: {name: column[i] for name, column in weighted.items()}
                                for i, s in enumerate(feasible)})

    def decide(self, pod: Pod, choice: str | None = None, nominated: Sequence[tuple[Pod, str]] = (),
               drawn_gpus: tuple[int, ...] | None = None) -> Decision:
        """Evaluate and place the pod: on the first best node, or on `choice` when a seeded
        engine picked another of the tied best (the caller checks it is one of them).
        `nominated`: as examine's; `drawn_gpus`: as place's `drawn`."""
        decision = self.evaluate(pod, nominated)
        if decision.node is not None:
            if choice is not None and choice in decision.best:
                decision.node = choice
            decision.gpus = self.place(pod, self.state_of(decision.node), drawn_gpus)
            if pod.spec.volumes and self.volumes is not None:
                decision.volumes = self.volumes.assume(pod, self.state_of(decision.node).node)
        return decision
