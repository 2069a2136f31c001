"""Random clusters and pods for comparing the core with the pure-Python reference."""

from __future__ import annotations

from hypothesis import strategies as st

from kubesched.framework.plugins import CORE_FILTERS, CORE_SCORES
from kubesched.framework.profile import Profile
from kubesched.model.records import (HostPort, Node, NodeSelectorTerm, Pod, PodSpecInfo,
                                     PreferredSchedulingTerm, Requirement, Taint, Toleration)

KEYS = ("zone", "type", "num", "disk")
VALUES = ("a", "b", "c", "1", "5", "10", "-3")
EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
GPU = "example.com/gpu"
MI = 1024 * 1024

labels = st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=4)
taints = st.lists(st.builds(Taint, st.sampled_from(("dedicated", "spot", "zone")),
                            st.sampled_from(("", "db", "a")), st.sampled_from(EFFECTS)),
                  max_size=3, unique_by=lambda t: (t.key, t.effect))


@st.composite
def nodes(draw, min_size=1, max_size=10):
    count = draw(st.integers(min_size, max_size))
    result = []
    for i in range(count):
        allocatable = {"cpu": draw(st.integers(0, 16)) * 500,
                       "memory": draw(st.integers(0, 32)) * 512 * MI,
                       "pods": draw(st.integers(0, 8))}
        if draw(st.booleans()):
            allocatable["ephemeral-storage"] = draw(st.integers(0, 4)) * 1024 * MI
        if draw(st.integers(0, 3)) == 0:
            allocatable[GPU] = draw(st.integers(0, 4))
        result.append(Node(name=f"node-{i}", labels=draw(labels), allocatable=allocatable,
                           taints=tuple(draw(taints)), unschedulable=draw(st.integers(0, 6)) == 0))
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


@st.composite
def specs(draw):
    requests = {}
    cpu = draw(st.one_of(st.none(), st.integers(0, 4000)))
    memory = draw(st.one_of(st.none(), st.integers(0, 8 * 1024) .map(lambda m: m * MI)))
    if cpu:
        requests["cpu"] = cpu
    if memory:
        requests["memory"] = memory
    if draw(st.integers(0, 4)) == 0:
        requests["ephemeral-storage"] = draw(st.integers(1, 2048)) * MI
    if draw(st.integers(0, 3)) == 0:
        requests[GPU] = draw(st.integers(1, 3))
    ports = draw(st.lists(st.builds(HostPort, st.sampled_from(("0.0.0.0", "10.0.0.1", "10.0.0.2")),
                                    st.sampled_from(("TCP", "UDP")), st.sampled_from((80, 443))), max_size=2))
    return PodSpecInfo(
        requests=requests,
        nonzero_cpu=100 if cpu is None else cpu,
        nonzero_memory=200 * MI if memory is None else memory,
        host_ports=tuple(ports),
        tolerations=draw(tolerations),
        node_selector=tuple(draw(st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=1)).items()),
        required_node_terms=draw(st.one_of(st.none(), st.lists(terms, min_size=1, max_size=2).map(tuple))),
        preferred_node_terms=tuple(draw(st.lists(
            st.builds(PreferredSchedulingTerm, st.integers(1, 100), terms), max_size=2))),
    )


@st.composite
def profiles(draw):
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
    return Profile(filters=filters, weights=weights, strategy=strategy, fit_resources=resources,
                   shape=shape, balanced_resources=balanced)


@st.composite
def scenarios(draw):
    """(nodes, bound pods, pending pods, profile); pending pods share a few specs so that the
    core's incremental per-class state is exercised."""
    cluster = draw(nodes())
    pool = draw(st.lists(specs(), min_size=1, max_size=4))
    bound = []
    for i in range(draw(st.integers(0, 6))):
        node = draw(st.sampled_from(cluster))
        bound.append(Pod("default", f"bound-{i}", {}, draw(st.sampled_from(pool)), node_name=node.name))
    pending = [Pod("default", f"pod-{i}", {}, draw(st.sampled_from(pool)), index=i)
               for i in range(draw(st.integers(1, 25)))]
    return cluster, bound, pending, draw(profiles())
