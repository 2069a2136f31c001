"""Random clusters and pods for comparing the core with the pure-Python reference."""

from __future__ import annotations

from dataclasses import dataclass, replace

from hypothesis import strategies as st

from kubesched.plugins import CORE_FILTERS, CORE_SCORES
from kubesched.framework.cluster_objects import ClusterObjects
from kubesched.framework.profile import Profile
from kubesched.plugins.node_affinity import AddedAffinity
from kubesched.model.records import (HostPort, Image, LabelSelector, Node, NodeSelectorTerm, Pod, PodAffinityTerm,
                                     PodSpecInfo, PreferredSchedulingTerm, Requirement, Taint, Toleration,
                                     TopologySpreadConstraint, WeightedPodAffinityTerm)

KEYS = ("zone", "type", "num", "disk")
VALUES = ("a", "b", "c", "1", "5", "10", "-3")
EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
GPU = "example.com/gpu"
MI = 1024 * 1024
HOSTNAME = "kubernetes.io/hostname"
TOPOLOGY_KEYS = (HOSTNAME, "zone", "type")
IMAGES = {"nginx:latest": 30 * MI, "redis:7": 300 * MI, "big:1": 2000 * MI}
NAMESPACES = {"default": {"kubernetes.io/metadata.name": "default", "team": "x"},
              "other": {"kubernetes.io/metadata.name": "other", "team": "y"}}

labels = st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=4)
taints = st.lists(st.builds(Taint, st.sampled_from(("dedicated", "spot", "zone")),
                            st.sampled_from(("", "db", "a")), st.sampled_from(EFFECTS)),
                  max_size=3, unique_by=lambda t: (t.key, t.effect))


# Quantities near the int64 edge: the largest allocatable for which upstream's int64 score
# arithmetic ((allocatable - requested) * 100) cannot overflow, and requests that sum below it.
HUGE = (2**63 - 1) // 100


def huge_amount(unit: int):
    """Any amount up to HUGE, or a small multiple of the scenario's unit give or take a
    little: requests in units make fractions near round numbers, where float64 rounding of
    each side (past 2^53) decides a score."""
    return st.one_of(st.integers(0, HUGE),
                     st.builds(lambda m, e: max(0, min(HUGE, m * unit + e)), st.integers(1, 50), st.integers(-3, 3)))


@st.composite
def node(draw, i: int, huge: bool = False, unit: int = 0):
    if huge:
        allocatable = {"cpu": draw(huge_amount(unit)), "memory": draw(huge_amount(unit)),
                       "pods": draw(st.integers(0, 8))}
    else:
        allocatable = {"cpu": draw(st.integers(0, 16)) * 500,
                       "memory": draw(st.integers(0, 32)) * 512 * MI,
                       "pods": draw(st.integers(0, 8))}
    if draw(st.booleans()):
        allocatable["ephemeral-storage"] = draw(st.integers(0, HUGE)) if huge else draw(st.integers(0, 4)) * 1024 * MI
    if draw(st.integers(0, 3)) == 0:
        allocatable[GPU] = draw(st.integers(0, HUGE)) if huge else draw(st.integers(0, 4))
    node_labels = draw(labels)
    if draw(st.integers(0, 5)) > 0:
        node_labels[HOSTNAME] = f"node-{i}"
    images = tuple(Image((name,), size) for name, size in IMAGES.items() if draw(st.booleans()))
    return Node(name=f"node-{i}", labels=node_labels, allocatable=allocatable,
                taints=tuple(draw(taints)), unschedulable=draw(st.integers(0, 6)) == 0, images=images)


@st.composite
def nodes(draw, min_size=1, max_size=10, huge=False, unit=0):
    """Some nodes are copies of earlier ones: alike nodes tie, and a seed breaks the tie."""
    result = []
    for i in range(draw(st.integers(min_size, max_size))):
        if result and draw(st.integers(0, 2)) == 0:
            result.append(renamed(draw(st.sampled_from(result)), i))
        else:
            result.append(draw(node(i, huge, unit)))
    return result


def renamed(original: Node, i: int) -> Node:
    node_labels = {k: v for k, v in original.labels.items() if k != HOSTNAME}
    if HOSTNAME in original.labels:
        node_labels[HOSTNAME] = f"node-{i}"
    return replace(original, name=f"node-{i}", labels=node_labels)


@st.composite
def large_clusters(draw, min_size=150, max_size=260):
    """Enough nodes for percentageOfNodesToScore to sample (upstream never samples below
    100): copies of a few drawn nodes, so that many are alike and some are infeasible."""
    roomy = Node(name="node-0", labels=draw(labels), allocatable={"cpu": 64000, "memory": 256 * 1024 * MI, "pods": 110},
                 taints=(), unschedulable=False, images=())
    templates = draw(st.lists(node(0), min_size=1, max_size=3))
    result = []
    for i in range(draw(st.integers(min_size, max_size))):
        # mostly roomy nodes: sampling needs more feasible nodes than it looks for
        template = roomy if draw(st.integers(0, 5)) else templates[draw(st.integers(0, len(templates) - 1))]
        result.append(renamed(template, i))
    return result


def requirement(field: bool = False):
    if field:
        return st.builds(Requirement, st.just("metadata.name"), st.sampled_from(("In", "NotIn")),
                         st.lists(st.sampled_from([f"node-{i}" for i in range(10)]), min_size=1, max_size=3)
                         .map(tuple))
    return st.one_of(
        st.builds(Requirement, st.sampled_from(KEYS), st.sampled_from(("In", "NotIn")),
                  st.lists(st.sampled_from(VALUES), min_size=1, max_size=3).map(tuple)),
        st.builds(Requirement, st.sampled_from(KEYS), st.sampled_from(("Exists", "DoesNotExist"))),
        st.builds(Requirement, st.sampled_from(KEYS), st.sampled_from(("Gt", "Lt")),
                  st.sampled_from(("0", "3", "7")).map(lambda v: (v,))),
    )


terms = st.builds(NodeSelectorTerm, st.lists(requirement(), max_size=3).map(tuple),
                  st.lists(requirement(field=True), max_size=1).map(tuple))

tolerations = st.lists(st.one_of(
    st.builds(Toleration, st.sampled_from(("", "dedicated", "spot", "zone", "node.kubernetes.io/unschedulable")),
              st.just("Exists"), st.just(""), st.sampled_from(("",) + EFFECTS)),
    st.builds(Toleration, st.sampled_from(("dedicated", "spot", "zone")), st.just("Equal"),
              st.sampled_from(("", "db", "a")), st.sampled_from(("",) + EFFECTS)),
), max_size=3).map(tuple)


pod_selectors = st.one_of(
    st.none(),
    st.builds(LabelSelector, st.just(()), st.just(())),
    st.builds(LabelSelector,
              st.lists(st.tuples(st.just("app"), st.sampled_from(("a", "b"))), max_size=1).map(tuple),
              st.lists(st.builds(Requirement, st.sampled_from(("app", "tier")),
                                 st.sampled_from(("In", "NotIn")),
                                 st.lists(st.sampled_from(("a", "b", "x")), min_size=1, max_size=2).map(tuple)),
                       max_size=1).map(tuple)),
    st.builds(LabelSelector, st.just(()),
              st.builds(Requirement, st.sampled_from(("app", "tier")), st.sampled_from(("Exists", "DoesNotExist")))
              .map(lambda r: (r,))),
)
namespace_selectors = st.sampled_from((None, LabelSelector(), LabelSelector((("team", "x"),))))

pod_terms = st.builds(
    PodAffinityTerm, pod_selectors, st.sampled_from(TOPOLOGY_KEYS),
    st.lists(st.sampled_from(tuple(NAMESPACES)), max_size=1, unique=True).map(tuple), namespace_selectors,
    st.sampled_from(((), ("tier",))), st.sampled_from(((), ("tier",))))

spread_constraints = st.builds(
    lambda key, skew, hard, selector, min_domains, affinity, taints, label_keys: TopologySpreadConstraint(
        skew, key, "DoNotSchedule" if hard else "ScheduleAnyway", selector, min_domains if hard else 1,
        affinity, taints, label_keys),
    st.sampled_from(TOPOLOGY_KEYS), st.integers(1, 3), st.booleans(), pod_selectors, st.integers(1, 3),
    st.sampled_from(("Honor", "Ignore")), st.sampled_from(("Honor", "Ignore")), st.sampled_from(((), ("tier",))))


@st.composite
def specs(draw, huge=False, unit=0):
    requests = {}
    if huge:  # up to a quarter of the largest node: a few pods fill it, and their sums stay in int64
        amount = st.one_of(st.integers(0, HUGE // 4), st.integers(1, 5).map(lambda j: j * unit))
        cpu, memory = draw(st.one_of(st.none(), amount)), draw(st.one_of(st.none(), amount))
    else:
        amount = None
        cpu = draw(st.one_of(st.none(), st.integers(0, 4000)))
        memory = draw(st.one_of(st.none(), st.integers(0, 8 * 1024) .map(lambda m: m * MI)))
    if cpu:
        requests["cpu"] = cpu
    if memory:
        requests["memory"] = memory
    if draw(st.integers(0, 4)) == 0:
        requests["ephemeral-storage"] = draw(st.integers(1, HUGE // 4) if huge else st.integers(1, 2048).map(lambda m: m * MI))
    if draw(st.integers(0, 3)) == 0:
        requests[GPU] = draw(st.integers(1, HUGE // 4) if huge else st.integers(1, 3))
    ports = draw(st.lists(st.builds(HostPort, st.sampled_from(("0.0.0.0", "10.0.0.1", "10.0.0.2")),
                                    st.sampled_from(("TCP", "UDP")), st.sampled_from((80, 443))), max_size=2))
    return PodSpecInfo(
        requests=requests,
        nonzero_cpu=100 if cpu is None else cpu,
        nonzero_memory=200 * MI if memory is None else memory,
        # pod-level requests: NodeResourcesFit's scorer reads other numbers than the rest
        fit_score_cpu=draw(st.one_of(st.none(), amount if huge else st.integers(0, 4000))),
        fit_score_memory=draw(st.one_of(st.none(), amount if huge else st.integers(0, 8 * 1024).map(lambda m: m * MI))),
        host_ports=tuple(ports),
        tolerations=draw(tolerations),
        node_selector=tuple(draw(st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=1)).items()),
        required_node_terms=draw(st.one_of(st.none(), st.lists(terms, min_size=1, max_size=2).map(tuple))),
        preferred_node_terms=tuple(draw(st.lists(
            st.builds(PreferredSchedulingTerm, st.integers(1, 100), terms), max_size=2))),
        pod_affinity_required=tuple(draw(st.lists(pod_terms, max_size=2 if draw(st.integers(0, 3)) == 0 else 0))),
        pod_anti_affinity_required=tuple(draw(st.lists(pod_terms, max_size=1 if draw(st.booleans()) else 0))),
        pod_affinity_preferred=tuple(draw(st.lists(
            st.builds(WeightedPodAffinityTerm, st.integers(1, 100), pod_terms), max_size=2))),
        pod_anti_affinity_preferred=tuple(draw(st.lists(
            st.builds(WeightedPodAffinityTerm, st.integers(1, 100), pod_terms), max_size=1))),
        topology_spread=tuple(draw(st.lists(spread_constraints, max_size=2, unique_by=lambda c: (c.topology_key, c.when_unsatisfiable)))),
        images=tuple(draw(st.lists(st.sampled_from(tuple(IMAGES) + ("absent:1",)), min_size=1, max_size=2))),
    )


added_affinities = st.one_of(st.none(), st.builds(
    AddedAffinity, st.one_of(st.none(), st.lists(terms, min_size=1, max_size=2).map(tuple)),
    st.lists(st.builds(PreferredSchedulingTerm, st.integers(1, 100), terms), max_size=2).map(tuple)))


@st.composite
def profiles(draw, name="default-scheduler", sampling=False):
    strategy = draw(st.sampled_from(("LeastAllocated", "MostAllocated", "RequestedToCapacityRatio")))
    shape = ()
    if strategy == "RequestedToCapacityRatio":
        utilizations = sorted(draw(st.sets(st.integers(0, 100), min_size=1, max_size=4)))
        shape = tuple((u, draw(st.integers(0, 10))) for u in utilizations)
    resources = (("cpu", 1), ("memory", 1))
    if draw(st.booleans()):
        resources = (("cpu", draw(st.integers(1, 5))), ("memory", draw(st.integers(1, 5))),
                     (GPU, draw(st.integers(1, 5))), ("ephemeral-storage", 1))
    balanced = (("cpu", 1), ("memory", 1)) if draw(st.booleans()) else (("cpu", 1), ("memory", 1), (GPU, 1))
    filters = tuple(f for f in CORE_FILTERS if draw(st.integers(0, 5)) > 0)
    weights = {s: draw(st.integers(0, 5)) for s in CORE_SCORES}
    defaulting = draw(st.sampled_from(("System", "System", "List")))
    defaults = ()
    if defaulting == "List":
        defaults = tuple(draw(st.lists(st.fixed_dictionaries({
            "topologyKey": st.sampled_from(TOPOLOGY_KEYS), "maxSkew": st.integers(1, 3),
            "whenUnsatisfiable": st.sampled_from(("DoNotSchedule", "ScheduleAnyway"))}), max_size=2,
            unique_by=lambda c: (c["topologyKey"], c["whenUnsatisfiable"]))))
    # 0 is upstream's adaptive rule; a percentage only samples with 100 nodes or more
    percentage = draw(st.sampled_from((0, 1, 30, 50) if sampling else (100, 100, 0, 1, 30, 50, 80)))
    return Profile(scheduler_name=name, percentage_of_nodes_to_score=percentage,
                   added_affinity=draw(added_affinities), filters=filters, weights=weights, strategy=strategy, fit_resources=resources,
                   shape=shape, balanced_resources=balanced, hard_pod_affinity_weight=draw(st.integers(0, 3)),
                   ignore_preferred_terms_of_existing_pods=draw(st.booleans()),
                   spread_defaulting_type=defaulting, spread_default_constraints=defaults,
                   fit_ignored_resources=(GPU,) if draw(st.integers(0, 4)) == 0 else (),
                   fit_ignored_groups=("example.com",) if draw(st.integers(0, 6)) == 0 else ())


pod_labels = st.fixed_dictionaries({}, optional={"app": st.sampled_from(("a", "b")), "tier": st.sampled_from(("x", "y"))})


def objects():
    services = st.lists(st.fixed_dictionaries({
        "metadata": st.fixed_dictionaries({"name": st.just("svc"), "namespace": st.sampled_from(tuple(NAMESPACES))}),
        "spec": st.fixed_dictionaries({"selector": st.fixed_dictionaries({"app": st.sampled_from(("a", "b"))})}),
    }), max_size=2)
    replica_sets = st.lists(st.fixed_dictionaries({
        "metadata": st.fixed_dictionaries({"name": st.just("rs"), "namespace": st.just("default")}),
        "spec": st.fixed_dictionaries({"selector": st.fixed_dictionaries({"matchLabels": st.fixed_dictionaries(
            {"tier": st.sampled_from(("x", "y"))})})}),
    }), max_size=1)
    return st.builds(lambda s, r: ClusterObjects(namespaces=dict(NAMESPACES), services=s, replica_sets=r),
                     services, replica_sets)


@dataclass
class Scenario:
    nodes: list[Node]
    bound: list[Pod]
    pending: list[Pod]
    profiles: list[Profile]  # the first decides first; events switch to the others
    objects: ClusterObjects
    seed: int | None  # None: ties go to the first node examined; else a random tie-break
    events: dict[int, list[tuple]]  # before pending pod i: ("forget", k) / ("node", Node) / ("profile", p)


@st.composite
def scenarios(draw, large=False, changes=True):
    """Pods share a few specs and label sets so that the core's per-class state is
    exercised; `large`: a cluster big enough for percentageOfNodesToScore to sample;
    `changes`: pods leave, nodes change and the profile switches between decisions. A small
    cluster may have no nodes at all (upstream then fails before any plugin runs)."""
    huge = not large and draw(st.integers(0, 3)) == 0
    unit = draw(st.integers(2**53 // 50, HUGE // 50)) if huge else 0
    if large:
        cluster = draw(large_clusters())
    else:  # now and then no nodes at all
        cluster = [] if draw(st.integers(0, 15)) == 0 else draw(nodes(huge=huge, unit=unit))
    pool = draw(st.lists(specs(huge, unit), min_size=1, max_size=4))
    label_pool = draw(st.lists(pod_labels, min_size=1, max_size=3))

    def pod(name: str, **extra) -> Pod:
        owned = draw(st.booleans())
        return Pod(draw(st.sampled_from(tuple(NAMESPACES))), name, dict(draw(st.sampled_from(label_pool))),
                   draw(st.sampled_from(pool)), owner_kind="ReplicaSet" if owned else "",
                   owner_name="rs" if owned else "", **extra)

    bound = [pod(f"bound-{i}", node_name=draw(st.sampled_from(cluster)).name)
             for i in range(draw(st.integers(0, 6)) if cluster else 0)]
    pending = [pod(f"pod-{i}", index=i) for i in range(draw(st.integers(1, 12 if large else 25)))]
    chosen_profiles = [draw(profiles(f"profile-{i}", sampling=large and i == 0))
                       for i in range(draw(st.integers(1, 2) if changes else st.just(1)))]
    events: dict[int, list[tuple]] = {}
    for _ in range(draw(st.integers(0, 4)) if changes else 0):
        step = draw(st.integers(0, len(pending) - 1))
        kind = draw(st.sampled_from(("forget", "node", "profile") if cluster else ("forget", "profile")))
        if kind == "forget":
            event = ("forget", draw(st.integers(0, 1000)))
        elif kind == "node":
            old = draw(st.sampled_from(cluster))
            new_labels = draw(labels)
            if HOSTNAME in old.labels:
                new_labels[HOSTNAME] = old.labels[HOSTNAME]
            event = ("node", replace(old, labels=new_labels, taints=tuple(draw(taints)),
                                     unschedulable=draw(st.integers(0, 6)) == 0))
        else:
            event = ("profile", draw(st.sampled_from(chosen_profiles)))
        events.setdefault(step, []).append(event)
    seed = draw(st.one_of(st.none(), st.integers(0, 2**31)))
    return Scenario(cluster, bound, pending, chosen_profiles, draw(objects()), seed, events)
