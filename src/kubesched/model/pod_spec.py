"""A pod spec (a plain dict) read into the `PodSpecInfo` the scheduler works from, with the
validation the API server would apply to the parts we interpret. Field paths in errors
start at `spec.`; the caller adds the file and the object.
"""

from __future__ import annotations

from kubesched.errors import InputError
from kubesched.model.pod_volumes import parse_pod_volumes
from kubesched.model.fields import (boolean, check_keys, describe, int32, integer, mapping, one_of, sequence, string,
                                    string_list, string_map)
from kubesched.model.images import normalize_image
from kubesched.model.nodes import TAINT_EFFECTS
from kubesched.model.pod_resources import pod_requests
from kubesched.model.admission import admit
from kubesched.model.records import (HostPort, PodAffinityTerm, PodSpecInfo, PreferredSchedulingTerm,
                                     Toleration, TopologySpreadConstraint, WeightedPodAffinityTerm)
from kubesched.model.selectors import parse_label_selector, parse_node_selector_term
from kubesched.model.validation import dns_label, labels, port_number, qualified_name

DEFAULT_SCHEDULER = "default-scheduler"
TOLERATION_OPERATORS = ("Equal", "Exists")
PROTOCOLS = ("TCP", "UDP", "SCTP")
PREEMPTION_POLICIES = ("PreemptLowerPriority", "Never")
WHEN_UNSATISFIABLE = ("DoNotSchedule", "ScheduleAnyway")
INCLUSION_POLICIES = ("Honor", "Ignore")

_TOLERATION_KEYS = frozenset({"key", "operator", "value", "effect", "tolerationSeconds"})
_PORT_KEYS = frozenset({"name", "containerPort", "hostPort", "hostIP", "protocol"})
_AFFINITY_KEYS = frozenset({"nodeAffinity", "podAffinity", "podAntiAffinity"})
_REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"
_PREFERRED = "preferredDuringSchedulingIgnoredDuringExecution"
_NODE_AFFINITY_KEYS = frozenset({_REQUIRED, _PREFERRED})
_NODE_SELECTOR_KEYS = frozenset({"nodeSelectorTerms"})
_PREFERRED_NODE_KEYS = frozenset({"weight", "preference"})
_POD_AFFINITY_KEYS = frozenset({_REQUIRED, _PREFERRED})
_POD_TERM_KEYS = frozenset({"labelSelector", "namespaces", "topologyKey", "namespaceSelector",
                            "matchLabelKeys", "mismatchLabelKeys"})
_WEIGHTED_POD_TERM_KEYS = frozenset({"weight", "podAffinityTerm"})
_SPREAD_KEYS = frozenset({"maxSkew", "topologyKey", "whenUnsatisfiable", "labelSelector", "minDomains",
                          "nodeAffinityPolicy", "nodeTaintsPolicy", "matchLabelKeys"})
_GATE_KEYS = frozenset({"name"})


def containers_of(spec: dict, key: str) -> list[dict]:
    path = f"spec.{key}"
    items = sequence(spec.get(key), path)
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise InputError(f"expected a container (a map), got {describe(item)}", field=f"{path}[{i}]")
    return items


def _check_containers(init_containers: list[dict], containers: list[dict]) -> None:
    """Every container has a unique RFC 1123 label as its name and an image, as the API
    server requires."""
    names: set[str] = set()
    for key, items in (("initContainers", init_containers), ("containers", containers)):
        for i, container in enumerate(items):
            path = f"spec.{key}[{i}]"
            name = string(container.get("name"), f"{path}.name")
            if not name:
                raise InputError("a container needs a name", field=f"{path}.name")
            dns_label(name, f"{path}.name")
            if name in names:
                raise InputError(f"duplicate container name {name!r}", field=f"{path}.name")
            names.add(name)
            if not string(container.get("image"), f"{path}.image"):
                raise InputError("a container needs an image", field=f"{path}.image")


def parse_pod_spec(spec: dict, *, class_priorities: dict[str, int], class_preemption: dict[str, str],
                   runtime_classes: dict[str, dict] | None = None) -> PodSpecInfo:
    """Read a pod spec. `class_priorities` maps PriorityClass names to values, "" to the
    global default; `class_preemption` gives a class's preemptionPolicy when it sets one;
    with `runtime_classes` the spec is first admitted as the API server's admission plugins
    do (model/admission.py; None: it was admitted already, as a live API server's pods are)."""
    if runtime_classes is not None:
        spec = admit(spec, runtime_classes)
    containers = containers_of(spec, "containers")
    if not containers:
        raise InputError("a pod needs at least one container", field="spec.containers")
    init_containers = containers_of(spec, "initContainers")
    _check_containers(init_containers, containers)
    for i, c in enumerate(init_containers):
        policy = string(c.get("restartPolicy"), f"spec.initContainers[{i}].restartPolicy")
        if policy and policy != "Always":
            raise InputError(f"unsupported value {policy!r}: only Always is allowed for an init container",
                             field=f"spec.initContainers[{i}].restartPolicy")
    resources = pod_requests(spec, containers, init_containers)

    class_name = string(spec.get("priorityClassName"), "spec.priorityClassName")
    if class_name and class_name not in class_priorities:
        raise InputError(f"no PriorityClass named {class_name!r} in the input (the Priority admission "
                         f"controller would reject the pod)", field="spec.priorityClassName")
    preemption = string(spec.get("preemptionPolicy"), "spec.preemptionPolicy")
    if preemption:
        one_of(preemption, PREEMPTION_POLICIES, "spec.preemptionPolicy")
    else:
        preemption = class_preemption.get(class_name, "PreemptLowerPriority")

    return PodSpecInfo(
        requests=resources.requests,
        nonzero_cpu=resources.nonzero_cpu,
        nonzero_memory=resources.nonzero_memory,
        fit_score_cpu=resources.fit_score_cpu,
        fit_score_memory=resources.fit_score_memory,
        host_ports=_host_ports(init_containers, containers,
                               boolean(spec.get("hostNetwork"), "spec.hostNetwork")),
        tolerations=tuple(_toleration(t, f"spec.tolerations[{i}]")
                          for i, t in enumerate(sequence(spec.get("tolerations"), "spec.tolerations"))),
        node_selector=tuple(labels(string_map(spec.get("nodeSelector"), "spec.nodeSelector"),
                                   "spec.nodeSelector").items()),
        **parse_affinity(spec.get("affinity")),
        topology_spread=_spread_constraints(spec.get("topologySpreadConstraints")),
        images=_images(init_containers, containers),
        scheduler_name=string(spec.get("schedulerName"), "spec.schedulerName") or DEFAULT_SCHEDULER,
        priority=int32(spec.get("priority"), "spec.priority"),
        priority_class_name=class_name,
        preemption_policy=preemption,
        scheduling_gates=_scheduling_gates(spec.get("schedulingGates")),
        volumes=parse_pod_volumes(spec.get("volumes")),
    )


def parse_affinity(value: object) -> dict:
    """The `PodSpecInfo` fields read from `spec.affinity`, by field name."""
    affinity = mapping(value, "spec.affinity")
    check_keys(affinity, _AFFINITY_KEYS, "spec.affinity")
    required_terms, preferred_terms = parse_node_affinity(affinity.get("nodeAffinity"), "spec.affinity.nodeAffinity",
                                                          of_pod=True)
    affinity_required, affinity_preferred = _pod_affinity(affinity.get("podAffinity"), "spec.affinity.podAffinity")
    anti_required, anti_preferred = _pod_affinity(affinity.get("podAntiAffinity"), "spec.affinity.podAntiAffinity")
    return {"required_node_terms": required_terms, "preferred_node_terms": preferred_terms,
            "pod_affinity_required": affinity_required, "pod_affinity_preferred": affinity_preferred,
            "pod_anti_affinity_required": anti_required, "pod_anti_affinity_preferred": anti_preferred}


def _images(init_containers: list[dict], containers: list[dict]) -> tuple[str, ...]:
    """One entry per container, init containers first ("" when a container names no image),
    so that the count is the container count ImageLocality scales by."""
    images = []
    for key, items in (("initContainers", init_containers), ("containers", containers)):
        for i, c in enumerate(items):
            images.append(normalize_image(string(c.get("image"), f"spec.{key}[{i}].image")))
    return tuple(images)


def _host_ports(init_containers: list[dict], containers: list[dict],
                host_network: bool) -> tuple[HostPort, ...]:
    """Host ports of the containers and of the restartable init containers, which run for the
    pod's whole life; ports without a host port (or with hostPort <= 0) use none. In a
    hostNetwork pod the API server defaults every port's hostPort to its containerPort and
    refuses any other value."""
    ports = []
    sources = [(f"spec.initContainers[{i}]", c) for i, c in enumerate(init_containers)
               if c.get("restartPolicy") == "Always"]
    sources += [(f"spec.containers[{i}]", c) for i, c in enumerate(containers)]
    for path, container in sources:
        for j, port in enumerate(sequence(container.get("ports"), f"{path}.ports")):
            where = f"{path}.ports[{j}]"
            port = mapping(port, where)
            check_keys(port, _PORT_KEYS, where)
            host_port = int32(port.get("hostPort"), f"{where}.hostPort", 0)
            if host_port != 0:
                port_number(host_port, f"{where}.hostPort")
            container_port = int32(port.get("containerPort"), f"{where}.containerPort", 0)
            if container_port == 0:
                raise InputError("a containerPort is required", field=f"{where}.containerPort")
            port_number(container_port, f"{where}.containerPort")
            if host_network:
                if host_port == 0:
                    host_port = container_port
                elif host_port != container_port and path.startswith("spec.containers"):
                    raise InputError("must match `containerPort` when `hostNetwork` is true",
                                     field=f"{where}.hostPort")
            protocol = string(port.get("protocol"), f"{where}.protocol") or "TCP"
            one_of(protocol, PROTOCOLS, f"{where}.protocol")
            host_ip = string(port.get("hostIP"), f"{where}.hostIP") or "0.0.0.0"
            if host_port > 0:
                ports.append(HostPort(host_ip, protocol, host_port))
    return tuple(ports)


def _toleration(obj: object, path: str) -> Toleration:
    obj = mapping(obj, path)
    check_keys(obj, _TOLERATION_KEYS, path)
    key = string(obj.get("key"), f"{path}.key")
    if key:
        qualified_name(key, f"{path}.key")
    operator = string(obj.get("operator"), f"{path}.operator") or "Equal"
    if operator not in TOLERATION_OPERATORS:
        raise InputError(f"unknown operator {operator!r}: must be Equal or Exists", field=f"{path}.operator")
    value = string(obj.get("value"), f"{path}.value")
    effect = string(obj.get("effect"), f"{path}.effect")
    if effect:
        one_of(effect, TAINT_EFFECTS, f"{path}.effect")
    if not key and operator != "Exists":
        raise InputError("operator must be Exists when key is empty (which means all keys)",
                         field=f"{path}.operator")
    if operator == "Exists" and value:
        raise InputError("value must be empty when operator is Exists", field=f"{path}.value")
    if obj.get("tolerationSeconds") is not None:
        integer(obj.get("tolerationSeconds"), f"{path}.tolerationSeconds")
        if effect != "NoExecute":
            raise InputError("tolerationSeconds needs effect NoExecute", field=f"{path}.effect")
    return Toleration(key, operator, value, effect)


def _weight(obj: dict, path: str) -> int:
    weight = int32(obj.get("weight"), f"{path}.weight")
    if weight is None or not 1 <= weight <= 100:
        raise InputError("must be an integer in the range 1-100", field=f"{path}.weight")
    return weight


def parse_node_affinity(obj: object, path: str, *, of_pod: bool = False):
    """(required terms or None, preferred terms). `of_pod`: a pod's own affinity, whose
    required terms the API server takes with Gt/Lt values that are no integer."""
    obj = mapping(obj, path)
    check_keys(obj, _NODE_AFFINITY_KEYS, path)
    required = None
    if obj.get(_REQUIRED) is not None:
        where = f"{path}.{_REQUIRED}"
        selector = mapping(obj[_REQUIRED], where)
        check_keys(selector, _NODE_SELECTOR_KEYS, where)
        terms = sequence(selector.get("nodeSelectorTerms"), f"{where}.nodeSelectorTerms")
        if not terms:
            raise InputError("at least one node selector term is required", field=f"{where}.nodeSelectorTerms")
        required = tuple(parse_node_selector_term(t, f"{where}.nodeSelectorTerms[{i}]", required=of_pod)
                         for i, t in enumerate(terms))
    preferred = []
    for i, item in enumerate(sequence(obj.get(_PREFERRED), f"{path}.{_PREFERRED}")):
        where = f"{path}.{_PREFERRED}[{i}]"
        item = mapping(item, where)
        check_keys(item, _PREFERRED_NODE_KEYS, where)
        if item.get("preference") is None:
            raise InputError("a preference is required", field=f"{where}.preference")
        preferred.append(PreferredSchedulingTerm(
            _weight(item, where), parse_node_selector_term(item["preference"], f"{where}.preference")))
    return required, tuple(preferred)


def _pod_affinity_term(obj: object, path: str) -> PodAffinityTerm:
    obj = mapping(obj, path)
    check_keys(obj, _POD_TERM_KEYS, path)
    topology_key = string(obj.get("topologyKey"), f"{path}.topologyKey")
    if not topology_key:
        raise InputError("a topologyKey is required", field=f"{path}.topologyKey")
    qualified_name(topology_key, f"{path}.topologyKey", "topologyKey")
    selector = parse_label_selector(obj.get("labelSelector"), f"{path}.labelSelector")
    match_keys = string_list(obj.get("matchLabelKeys"), f"{path}.matchLabelKeys")
    mismatch_keys = string_list(obj.get("mismatchLabelKeys"), f"{path}.mismatchLabelKeys")
    if (match_keys or mismatch_keys) and selector is None:
        raise InputError("matchLabelKeys and mismatchLabelKeys need a labelSelector", field=f"{path}.labelSelector")
    both = sorted(set(match_keys) & set(mismatch_keys))
    if both:
        raise InputError(f"key {both[0]!r} is in both matchLabelKeys and mismatchLabelKeys",
                         field=f"{path}.mismatchLabelKeys")
    return PodAffinityTerm(
        label_selector=selector,
        topology_key=topology_key,
        namespaces=string_list(obj.get("namespaces"), f"{path}.namespaces"),
        namespace_selector=parse_label_selector(obj.get("namespaceSelector"), f"{path}.namespaceSelector"),
        match_label_keys=match_keys,
        mismatch_label_keys=mismatch_keys,
    )


def _pod_affinity(obj: object, path: str):
    obj = mapping(obj, path)
    check_keys(obj, _POD_AFFINITY_KEYS, path)
    required = tuple(_pod_affinity_term(t, f"{path}.{_REQUIRED}[{i}]")
                     for i, t in enumerate(sequence(obj.get(_REQUIRED), f"{path}.{_REQUIRED}")))
    preferred = []
    for i, item in enumerate(sequence(obj.get(_PREFERRED), f"{path}.{_PREFERRED}")):
        where = f"{path}.{_PREFERRED}[{i}]"
        item = mapping(item, where)
        check_keys(item, _WEIGHTED_POD_TERM_KEYS, where)
        if item.get("podAffinityTerm") is None:
            raise InputError("a podAffinityTerm is required", field=f"{where}.podAffinityTerm")
        preferred.append(WeightedPodAffinityTerm(
            _weight(item, where), _pod_affinity_term(item["podAffinityTerm"], f"{where}.podAffinityTerm")))
    return required, tuple(preferred)


def _spread_constraints(value: object) -> tuple[TopologySpreadConstraint, ...]:
    constraints = []
    seen = set()
    for i, obj in enumerate(sequence(value, "spec.topologySpreadConstraints")):
        path = f"spec.topologySpreadConstraints[{i}]"
        obj = mapping(obj, path)
        check_keys(obj, _SPREAD_KEYS, path)
        max_skew = int32(obj.get("maxSkew"), f"{path}.maxSkew")
        if max_skew is None or max_skew < 1:
            raise InputError("must be an integer of at least 1", field=f"{path}.maxSkew")
        topology_key = string(obj.get("topologyKey"), f"{path}.topologyKey")
        if not topology_key:
            raise InputError("a topologyKey is required", field=f"{path}.topologyKey")
        qualified_name(topology_key, f"{path}.topologyKey", "topologyKey")
        when = string(obj.get("whenUnsatisfiable"), f"{path}.whenUnsatisfiable")
        one_of(when, WHEN_UNSATISFIABLE, f"{path}.whenUnsatisfiable")
        if (topology_key, when) in seen:
            raise InputError(f"duplicate constraint for topologyKey {topology_key!r} and {when}",
                             field=f"{path}.topologyKey")
        seen.add((topology_key, when))
        min_domains = int32(obj.get("minDomains"), f"{path}.minDomains")
        if min_domains is not None:
            if min_domains < 1:
                raise InputError("must be an integer of at least 1", field=f"{path}.minDomains")
            if when != "DoNotSchedule":
                raise InputError("minDomains can be set only with whenUnsatisfiable DoNotSchedule",
                                 field=f"{path}.minDomains")
        affinity_policy = string(obj.get("nodeAffinityPolicy"), f"{path}.nodeAffinityPolicy") or "Honor"
        one_of(affinity_policy, INCLUSION_POLICIES, f"{path}.nodeAffinityPolicy")
        taints_policy = string(obj.get("nodeTaintsPolicy"), f"{path}.nodeTaintsPolicy") or "Ignore"
        one_of(taints_policy, INCLUSION_POLICIES, f"{path}.nodeTaintsPolicy")
        selector = parse_label_selector(obj.get("labelSelector"), f"{path}.labelSelector")
        match_keys = string_list(obj.get("matchLabelKeys"), f"{path}.matchLabelKeys")
        if match_keys and selector is None:
            raise InputError("matchLabelKeys needs a labelSelector", field=f"{path}.matchLabelKeys")
        constraints.append(TopologySpreadConstraint(
            max_skew=max_skew, topology_key=topology_key, when_unsatisfiable=when, label_selector=selector,
            min_domains=1 if min_domains is None else min_domains,
            node_affinity_policy=affinity_policy, node_taints_policy=taints_policy,
            match_label_keys=match_keys))
    return tuple(constraints)


def _scheduling_gates(value: object) -> tuple[str, ...]:
    names = []
    for i, gate in enumerate(sequence(value, "spec.schedulingGates")):
        path = f"spec.schedulingGates[{i}]"
        gate = mapping(gate, path)
        check_keys(gate, _GATE_KEYS, path)
        name = string(gate.get("name"), f"{path}.name")
        if not name:
            raise InputError("a gate name is required", field=f"{path}.name")
        qualified_name(name, f"{path}.name", "gate name")
        if name in names:
            raise InputError(f"duplicate scheduling gate {name!r}", field=f"{path}.name")
        names.append(name)
    return tuple(names)
