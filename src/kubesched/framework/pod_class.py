"""Compile what the filters and scores read from a pod into the core's pod class."""

from __future__ import annotations

from kubesched.model.records import NodeSelectorTerm, Pod, PodSpecInfo


def class_key(pod: Pod) -> object:
    """Pods with equal keys are decided alike; the spec record is interned per distinct spec."""
    return pod.spec


def _term(term: NodeSelectorTerm) -> tuple:
    return ([(e.key, e.operator, e.values) for e in term.match_expressions],
            [(f.key, f.operator, f.values) for f in term.match_fields])


def pod_class_arguments(spec: PodSpecInfo) -> dict:
    """Keyword arguments of `_core.Engine.add_class` for a pod spec."""
    return {
        "requests": list(spec.requests.items()),
        "nonzero_cpu": spec.nonzero_cpu,
        "nonzero_memory": spec.nonzero_memory,
        "ports": [(p.ip, p.protocol, p.port) for p in spec.host_ports],
        "tolerations": [(t.key, t.operator, t.value, t.effect) for t in spec.tolerations],
        "node_selector": list(spec.node_selector),
        "required_terms": None if spec.required_node_terms is None
        else [_term(t) for t in spec.required_node_terms],
        "preferred_terms": [(p.weight, _term(p.term)) for p in spec.preferred_node_terms],
    }
