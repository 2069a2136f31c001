"""Inter-pod terms that all share one topology key: the core keeps such classes up to date
per placement (per-domain counts, verdicts and normalised scores) instead of evaluating
them afresh. Larger domains than the general scenarios, many alike nodes (ties across
domains, broken in node order or by a seed), pods of a few classes placed again and
again, and pods leaving between decisions: the queue's decisions, `explain` and the
pure-Python reference must agree throughout."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from .strategies import (HOSTNAME, MI, NAMESPACES, TOPOLOGY_KEYS, Scenario, objects, pod_labels, profiles,
                         specs)
from .test_core_vs_reference import SideBySide
from kubesched.model.records import Node


def _one_key(spec, key: str):
    """The spec with every inter-pod term and spread constraint on `key`."""
    def term(t):
        return replace(t, topology_key=key)

    def weighted(w):
        return replace(w, term=term(w.term))

    return replace(
        spec,
        pod_affinity_required=tuple(map(term, spec.pod_affinity_required)),
        pod_anti_affinity_required=tuple(map(term, spec.pod_anti_affinity_required)),
        pod_affinity_preferred=tuple(map(weighted, spec.pod_affinity_preferred)),
        pod_anti_affinity_preferred=tuple(map(weighted, spec.pod_anti_affinity_preferred)),
        topology_spread=tuple({c.when_unsatisfiable: replace(c, topology_key=key) for c in spec.topology_spread}.values()),
    )


@st.composite
def clusters(draw):
    """Up to 40 nodes in up to 4 zones and 3 types, a few without the key; most alike."""
    templates = []
    for _ in range(draw(st.integers(1, 3))):
        allocatable = {"cpu": draw(st.integers(1, 8)) * 1000, "memory": draw(st.integers(1, 16)) * 512 * MI,
                       "pods": draw(st.integers(1, 6))}
        templates.append(allocatable)
    zones = draw(st.integers(1, 4))
    result = []
    for i in range(draw(st.integers(2, 40))):
        labels = {}
        if draw(st.integers(0, 7)) > 0:
            labels["zone"] = "abcd"[draw(st.integers(0, zones - 1))]
        if draw(st.integers(0, 7)) > 0:
            labels["type"] = str(draw(st.integers(0, 2)))
        if draw(st.integers(0, 9)) > 0:
            labels[HOSTNAME] = f"node-{i}"
        result.append(Node(name=f"node-{i}", labels=labels, allocatable=dict(draw(st.sampled_from(templates))),
                           taints=(), unschedulable=draw(st.integers(0, 15)) == 0, images=()))
    return result


@st.composite
def one_key_scenarios(draw):
    key = draw(st.sampled_from(TOPOLOGY_KEYS))
    cluster = draw(clusters())
    pool = [_one_key(spec, key) for spec in draw(st.lists(specs(), min_size=1, max_size=3))]
    label_pool = draw(st.lists(pod_labels, min_size=1, max_size=3))

    def pod(name: str, **extra):
        from kubesched.model.records import Pod

        return Pod(draw(st.sampled_from(tuple(NAMESPACES))), name, dict(draw(st.sampled_from(label_pool))),
                   draw(st.sampled_from(pool)), **extra)

    bound = [pod(f"bound-{i}", node_name=draw(st.sampled_from(cluster)).name) for i in range(draw(st.integers(0, 8)))]
    pending = [pod(f"pod-{i}", index=i) for i in range(draw(st.integers(1, 40)))]
    profile = replace(draw(profiles()), percentage_of_nodes_to_score=100)
    events: dict[int, list[tuple]] = {}
    for _ in range(draw(st.integers(0, 8))):
        events.setdefault(draw(st.integers(0, len(pending) - 1)), []).append(("forget", draw(st.integers(0, 1000))))
    seed = draw(st.one_of(st.none(), st.integers(0, 2**31)))
    return Scenario(cluster, bound, pending, [profile], draw(objects()), seed, events)


@settings(max_examples=300)
@given(one_key_scenarios())
def test_one_key_classes_match_reference(scenario):
    SideBySide(scenario).run()
