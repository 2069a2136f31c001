"""Compile what the filters and scores read from a pod into the core's pod class.

Inter-pod rules become matchers (a label selector plus the namespaces it looks in) that the
core registers once and counts per node. This is also where the API server's and the
scheduler's defaulting happens: matchLabelKeys merged into selectors, term namespaces
resolved (namespaceSelector against the Namespace objects), and PodTopologySpread's
default constraints with the selector built from the Services, ReplicationControllers,
ReplicaSets and StatefulSets that own or select the pod.
"""

from __future__ import annotations

from kubesched.framework.profile import Profile
from kubesched.framework.cluster_objects import ClusterObjects
from kubesched.model.gpu import GPU_MODEL_LABEL, gpu_request
from kubesched.model.selectors import label_selector_matches
from kubesched.model.records import (LabelSelector, NodeSelectorTerm, Pod, PodAffinityTerm, PodSpecInfo,
                                     TopologySpreadConstraint)
from kubesched.plugins import BY_NAME
from kubesched.plugins.node_affinity import TERMS_CONFLICT
from kubesched.plugins.plugin import SPEC_READS

HOSTNAME = "kubernetes.io/hostname"
ZONE = "topology.kubernetes.io/zone"
SYSTEM_DEFAULT_CONSTRAINTS = ((HOSTNAME, 3), (ZONE, 5))


# What the engine reads of every pod whatever the profile: what a placed pod is to the pods
# decided after it (its requests, ports, inter-pod terms and claims; its namespace, labels and
# GPUs are in every key), and what the queue and DefaultPreemption read.
ENGINE_READS = frozenset({"requests", "nonzero_cpu", "nonzero_memory", "dra_served", "host_ports",
                          "pod_affinity_required", "pod_affinity_preferred", "pod_anti_affinity_required",
                          "pod_anti_affinity_preferred", "volumes", "scheduler_name", "priority",
                          "priority_class_name", "preemption_policy", "scheduling_gates"})


class ClassSigner:
    """A pod's class key under one profile, as upstream's SignPod: the engine's reads and each
    enabled plugin's (`Plugin.reads`); pods with equal keys are decided alike. The spec's part
    is worked out once per interned spec record."""

    def __init__(self, profile: Profile):
        enabled = {*profile.filters, *profile.prefilters, *(name for name, weight in profile.weights.items() if weight)}
        read = set(ENGINE_READS).union(*(BY_NAME[name].reads for name in enabled if name in BY_NAME))
        self.spec_fields = tuple(sorted(read & SPEC_READS))
        self.reads_owner = "owner" in read
        self._parts: dict[int, tuple[PodSpecInfo, int]] = {}  # id(spec) -> (spec, its part's id)
        self._part_ids: dict[tuple, int] = {}

    def key(self, pod: Pod) -> tuple:
        spec = pod.spec
        part = self._parts.get(id(spec))
        if part is None or part[0] is not spec:
            values = tuple(_hashable(getattr(spec, name)) for name in self.spec_fields)
            part = self._parts[id(spec)] = (spec, self._part_ids.setdefault(values, len(self._part_ids)))
        key = (part[1], pod.namespace, tuple(sorted(pod.labels.items())), gpu_request(pod))
        if self.reads_owner:
            key = (*key, pod.owner_kind, pod.owner_name)
        if any(v.ephemeral is not None for v in spec.volumes):
            key = (*key, pod.name, pod.uid)  # its ephemeral claims are its own
        return key


def _hashable(value):
    return tuple(sorted(value.items())) if isinstance(value, dict) else value  # requests


def node_affinity_prefilter(terms: tuple[NodeSelectorTerm, ...] | None) -> dict:
    """NodeAffinity's PreFilter result: when every required term names nodes
    (`matchFields` metadata.name In), the pod is restricted to the union of those names;
    when that union is empty the terms conflict and the pod is rejected outright."""
    if not terms:
        return {}
    names: set[str] = set()
    for term in terms:
        term_names = None
        for requirement in term.match_fields:
            if requirement.key == "metadata.name" and requirement.operator == "In":
                values = set(requirement.values)
                term_names = values if term_names is None else term_names & values
        if term_names is None:
            return {}  # a term without node names: every node may match
        names |= term_names
    if not names:
        return {"prefilter_rejection": TERMS_CONFLICT}
    return {"prefilter_nodes": sorted(names), "prefilter_plugins": ("NodeAffinity",)}


def _term(term: NodeSelectorTerm) -> tuple:
    return ([(e.key, e.operator, e.values) for e in term.match_expressions],
            [(f.key, f.operator, f.values) for f in term.match_fields])


def selector_requirements(selector: LabelSelector | None) -> list[tuple] | None:
    if selector is None:
        return None
    return ([(key, "In", (value,)) for key, value in selector.match_labels]
            + [(r.key, r.operator, r.values) for r in selector.match_expressions])


def _map_selector(labels: dict[str, str]) -> list[tuple]:
    return [(key, "In", (value,)) for key, value in sorted(labels.items())]


class PodClassCompiler:
    def __init__(self, engine, objects: ClusterObjects):
        self.engine = engine
        self.objects = objects
        self.read_namespaces = False  # some term's namespaceSelector was matched against them

    def compile(self, pod: Pod, profile: Profile) -> dict:
        """Keyword arguments of `_core.Engine.add_class` for a pod under a profile."""
        spec = pod.spec
        arguments = {
            "requests": list(spec.requests.items()),
            "nonzero_cpu": spec.nonzero_cpu,
            "nonzero_memory": spec.nonzero_memory,
            "fit_score_cpu": spec.fit_score_cpu,  # None: the binding uses the non-zero request
            "fit_score_memory": spec.fit_score_memory,
            "ports": [(p.ip, p.protocol, p.port) for p in spec.host_ports],
            "tolerations": [(t.key, t.operator, t.value, t.effect) for t in spec.tolerations],
            "node_selector": list(spec.node_selector),
            "required_terms": None if spec.required_node_terms is None
            else [_term(t) for t in spec.required_node_terms],
            "preferred_terms": [(p.weight, _term(p.term)) for p in spec.preferred_node_terms],
            "namespace": pod.namespace,
            "labels": pod.labels,
            "affinity_required": [self._pod_term(pod, t, 0) for t in spec.pod_affinity_required],
            "anti_required": [self._pod_term(pod, t, 0) for t in spec.pod_anti_affinity_required],
            "affinity_preferred": [self._pod_term(pod, w.term, w.weight) for w in spec.pod_affinity_preferred],
            "anti_preferred": [self._pod_term(pod, w.term, w.weight) for w in spec.pod_anti_affinity_preferred],
            "images": list(spec.images),
            "fit_ignored": [name for name in spec.requests if profile.fit_ignores(name)],
            "fit_dra_served": list(spec.dra_served),
        }
        gpu = gpu_request(pod)
        if gpu.count:
            arguments["gpu_count"], arguments["gpu_milli"] = gpu.count, gpu.milli
            if gpu.models:  # allowed GPU models: required node affinity on the model label
                expression = (GPU_MODEL_LABEL, "In", gpu.models)
                terms = arguments["required_terms"]
                # an empty term matches no node, and must not start matching with the model's
                arguments["required_terms"] = [([expression], [])] if terms is None else [
                    ([*expressions, expression], fields) if expressions or fields else (expressions, fields)
                    for expressions, fields in terms]
        added = profile.added_affinity
        if added is not None:
            if added.required_terms is not None:
                arguments["enforced_terms"] = [_term(t) for t in added.required_terms]
            arguments["preferred_terms"] += [(p.weight, _term(p.term)) for p in added.preferred_terms]
        if "NodeAffinity" in profile.prefilters:
            arguments.update(node_affinity_prefilter(spec.required_node_terms))
        if spec.topology_spread:
            arguments["spread"] = [self._spread(pod, c) for c in spec.topology_spread]
        else:
            arguments["spread"] = self._default_spread(pod, profile)
            arguments["spread_is_system_default"] = profile.spread_defaulting_type == "System"
        return arguments

    def _pod_term(self, pod: Pod, term: PodAffinityTerm, weight: int) -> tuple:
        requirements = selector_requirements(term.label_selector)
        if requirements is not None:
            # matchLabelKeys / mismatchLabelKeys: the API server merges the pod's own values.
            requirements += [(k, "In", (pod.labels[k],)) for k in term.match_label_keys if k in pod.labels]
            requirements += [(k, "NotIn", (pod.labels[k],)) for k in term.mismatch_label_keys if k in pod.labels]
        everywhere = term.namespace_selector is not None and not (
            term.namespace_selector.match_labels or term.namespace_selector.match_expressions)
        namespaces = set(term.namespaces)
        if term.namespace_selector is not None and not everywhere:
            self.read_namespaces = True
            namespaces |= {name for name, labels in self.objects.namespaces.items()
                           if label_selector_matches(term.namespace_selector, labels)}
        if not term.namespaces and term.namespace_selector is None:
            namespaces = {pod.namespace}
        matcher = self.engine.add_matcher(requirements=requirements, namespaces=sorted(namespaces),
                                          all_namespaces=everywhere)
        return matcher, term.topology_key, weight

    def _spread(self, pod: Pod, c: TopologySpreadConstraint) -> tuple:
        requirements = selector_requirements(c.label_selector)
        if requirements is not None:
            requirements += [(k, "In", (pod.labels[k],)) for k in c.match_label_keys if k in pod.labels]
        matcher = self.engine.add_matcher(requirements=requirements, namespaces=[pod.namespace])
        return (matcher, c.topology_key, c.max_skew, c.min_domains, c.when_unsatisfiable == "DoNotSchedule",
                c.node_affinity_policy == "Honor", c.node_taints_policy == "Honor")

    def _default_spread(self, pod: Pod, profile: Profile) -> list[tuple]:
        if profile.spread_defaulting_type == "System":
            constraints = [(key, skew, False) for key, skew in SYSTEM_DEFAULT_CONSTRAINTS]
        else:
            constraints = [(c["topologyKey"], c["maxSkew"], c.get("whenUnsatisfiable") == "DoNotSchedule")
                           for c in profile.spread_default_constraints]
        if not constraints:
            return []
        requirements = self.default_selector(pod)
        if not requirements:
            return []
        matcher = self.engine.add_matcher(requirements=requirements, namespaces=[pod.namespace])
        return [(matcher, key, skew, 1, hard, True, False) for key, skew, hard in constraints]

    def default_selector(self, pod: Pod) -> list[tuple]:
        """Upstream's DefaultSelector: the selectors of the Services selecting the pod and of
        its controller (ReplicationController, ReplicaSet or StatefulSet), ANDed."""
        labels: dict[str, str] = {}
        for service in self.objects.services:
            metadata, spec = service.get("metadata") or {}, service.get("spec") or {}
            selector = spec.get("selector") or {}
            if (metadata.get("namespace") or "default") == pod.namespace and selector and all(
                    pod.labels.get(k) == v for k, v in selector.items()):
                labels.update(selector)
        requirements = _map_selector(labels)
        owner = self._owner(pod)
        if owner is not None:
            kind, spec = owner
            if kind == "ReplicationController":
                labels.update(spec.get("selector") or {})
                requirements = _map_selector(labels)
            else:
                selector = spec.get("selector") or {}
                requirements += _map_selector(selector.get("matchLabels") or {})
                requirements += [(e["key"], e["operator"], tuple(e.get("values") or ()))
                                 for e in selector.get("matchExpressions") or ()]
        return requirements

    def _owner(self, pod: Pod) -> tuple[str, dict] | None:
        # A Deployment's pods belong to its ReplicaSet, whose selector is the Deployment's.
        kinds = {"ReplicationController": ("ReplicationController", self.objects.replication_controllers),
                 "ReplicaSet": ("ReplicaSet", self.objects.replica_sets),
                 "Deployment": ("ReplicaSet", self.objects.deployments),
                 "StatefulSet": ("StatefulSet", self.objects.stateful_sets)}
        if pod.owner_kind not in kinds:
            return None
        kind, objects = kinds[pod.owner_kind]
        for obj in objects:
            metadata = obj.get("metadata") or {}
            if metadata.get("name") == pod.owner_name and (metadata.get("namespace") or "default") == pod.namespace:
                return kind, obj.get("spec") or {}
        return None
