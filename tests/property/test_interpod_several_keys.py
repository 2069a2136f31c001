"""Inter-pod terms and spread constraints on several topology keys at once, above all
PodTopologySpread's system default constraints (zone and hostname, ScheduleAnyway) for pods
that a Service or ReplicaSet selects: the core keeps such classes up to date per placement
(cells of nodes alike under every key, buckets by their hostname counts). Many alike nodes
(ties across cells and buckets, broken in node order or by a seed), pods of a few classes
placed again and again, and pods leaving between decisions: the queue's decisions,
`explain` and the pure-Python reference must agree throughout."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import event, given, settings
from hypothesis import strategies as st

from .strategies import HOSTNAME, MI, NAMESPACES, Scenario, objects, pod_labels, profiles, specs
from .test_core_vs_reference import SideBySide
from kubesched.framework.cluster_objects import ClusterObjects
from kubesched.framework.profile import Profile
from kubesched.model.records import Node, Pod, PodSpecInfo

ZONE = "topology.kubernetes.io/zone"  # the system default constraints' key


@st.composite
def clusters(draw):
    """Up to 40 nodes in up to 4 zones (both the upstream zone label and the strategies'
    own `zone`) and 3 types, a few without a key; most alike."""
    templates = [{"cpu": draw(st.integers(1, 8)) * 1000, "memory": draw(st.integers(1, 16)) * 512 * MI,
                  "pods": draw(st.integers(1, 6))} for _ in range(draw(st.integers(1, 3)))]
    zones = draw(st.integers(1, 4))
    result = []
    for i in range(draw(st.integers(2, 40))):
        labels = {}
        if draw(st.integers(0, 7)) > 0:
            zone = "abcd"[draw(st.integers(0, zones - 1))]
            labels[ZONE] = labels["zone"] = zone
        if draw(st.integers(0, 7)) > 0:
            labels["type"] = str(draw(st.integers(0, 2)))
        if draw(st.integers(0, 9)) > 0:
            labels[HOSTNAME] = f"node-{i}"
        result.append(Node(name=f"node-{i}", labels=labels, allocatable=dict(draw(st.sampled_from(templates))),
                           taints=(), unschedulable=draw(st.integers(0, 15)) == 0, images=()))
    return result


def _defaulted(spec):
    """The spec without constraints of its own: a selected pod gets the default ones."""
    return replace(spec, topology_spread=())


@st.composite
def several_key_scenarios(draw):
    cluster = draw(clusters())
    pool = draw(st.lists(specs(), min_size=1, max_size=3))
    pool = [_defaulted(s) if draw(st.booleans()) else s for s in pool]
    label_pool = draw(st.lists(pod_labels, min_size=1, max_size=3))

    def pod(name: str, **extra):
        owned = draw(st.booleans())
        return Pod(draw(st.sampled_from(tuple(NAMESPACES))), name, dict(draw(st.sampled_from(label_pool))),
                   draw(st.sampled_from(pool)), owner_kind="ReplicaSet" if owned else "",
                   owner_name="rs" if owned else "", **extra)

    bound = [pod(f"bound-{i}", node_name=draw(st.sampled_from(cluster)).name) for i in range(draw(st.integers(0, 8)))]
    pending = [pod(f"pod-{i}", index=i) for i in range(draw(st.integers(1, 40)))]
    profile = replace(draw(profiles()), percentage_of_nodes_to_score=100)
    events: dict[int, list[tuple]] = {}
    for _ in range(draw(st.integers(0, 8))):
        events.setdefault(draw(st.integers(0, len(pending) - 1)), []).append(("forget", draw(st.integers(0, 1000))))
    seed = draw(st.one_of(st.none(), st.integers(0, 2**31)))
    return Scenario(cluster, bound, pending, [profile], draw(objects()), seed, events)


def _keys(spec) -> set[str]:
    terms = [*spec.pod_affinity_required, *spec.pod_anti_affinity_required,
             *(w.term for w in spec.pod_affinity_preferred), *(w.term for w in spec.pod_anti_affinity_preferred)]
    return {t.topology_key for t in terms} | {c.topology_key for c in spec.topology_spread}


@settings(max_examples=300)
@given(several_key_scenarios())
def test_several_key_classes_match_reference(scenario):
    if any(len(_keys(p.spec)) > 1 for p in scenario.pending):
        event("a class with several topology keys")
    if any(not p.spec.topology_spread for p in scenario.pending) and scenario.objects.services:
        event("default constraints may apply")
    SideBySide(scenario).run()


@settings(max_examples=4, deadline=None)
@given(st.integers(1, 4))
def test_system_default_constraints_spread_over_zones_and_hosts(zones):
    """Selected pods without constraints of their own spread by the system defaults: on
    alike nodes in a few zones each decision agrees with the reference, and the pods end up
    spread evenly over the zones and the hosts."""
    nodes = [Node(name=f"node-{i}", labels={ZONE: "abcd"[i % zones], HOSTNAME: f"node-{i}"},
                  allocatable={"cpu": 4000, "memory": 8 * 1024 * MI, "pods": 10}, taints=(), unschedulable=False,
                  images=()) for i in range(12)]
    spec = PodSpecInfo(requests={"cpu": 100}, nonzero_cpu=100, nonzero_memory=200 * MI)
    services = [{"metadata": {"name": "svc", "namespace": "default"}, "spec": {"selector": {"app": "a"}}}]
    objects_ = ClusterObjects(namespaces=dict(NAMESPACES), services=services)
    pending = [Pod("default", f"pod-{i}", {"app": "a"}, spec, index=i) for i in range(24)]
    profile = replace(Profile(), percentage_of_nodes_to_score=100)
    side = SideBySide(Scenario(nodes, [], pending, [profile], objects_, None, {}))
    side.run()
    per_node: dict[str, int] = {}
    for _, node, *_ in side.placed:
        per_node[node] = per_node.get(node, 0) + 1
    assert sorted(per_node.values()) == [2] * 12
