"""NodeResourcesFit scoring strategies, ported from upstream's noderesources
least_allocated_test.go, most_allocated_test.go and requested_to_capacity_ratio_test.go.

Upstream builds "nothing requested" pods with no containers at all, so their non-zero
requests are 0; a kubesched pod needs a container, and one with explicit zero requests
(an explicit 0 stays 0) stands for it. Nodes get a pods count, which upstream's score
tests leave out, and no filter runs, as in upstream's plugin-level tests.
"""

from dataclasses import replace

import pytest

from kubesched.errors import InputError
from kubesched.framework.profile import Profile

from .builders import MiB, configured, container, evaluate, node, plugin_args, pod, score_only

EXT = "abc.com/xyz"
DEFAULT_RESOURCES = [{"name": "cpu", "weight": 1}, {"name": "memory", "weight": 1}]
EXTENDED_SET = DEFAULT_RESOURCES + [{"name": EXT, "weight": 1}]
NOTHING = {"cpu": "0", "memory": "0"}


def profile_for(strategy, resources=None, shape=None):
    scoring = {"type": strategy}
    if resources is not None:
        scoring["resources"] = resources
    if shape is not None:
        scoring["requestedToCapacityRatio"] = {"shape": [{"utilization": u, "score": s} for u, s in shape]}
    return score_only("NodeResourcesFit", configured(plugin_args("NodeResourcesFit", scoringStrategy=scoring)))


def capacity(cpu=None, memory=None, **extended):
    """Node allocatable as upstream's `Capacity(map)`: cpu in cores, memory in bytes."""
    result = {}
    if cpu is not None:
        result["cpu"] = cpu
    if memory is not None:
        result["memory"] = memory
    result.update(extended)
    return result


def workload(*requests):
    """A pod with one container per request map."""
    return pod(containers=[container(r) for r in requests])


def on(node_name, *requests):
    return pod(node=node_name, containers=[container(r) for r in requests])


def run(strategy, incoming, nodes, existing=(), resources=DEFAULT_RESOURCES, shape=None):
    built = [node(name, allocatable=alloc) for name, alloc in nodes.items()]
    result = evaluate(built, incoming, list(existing), profile=profile_for(strategy, resources, shape))
    return result.scores("NodeResourcesFit")


TWO_CONTAINERS = ({"cpu": "1000", "memory": "2000"}, {"cpu": "2000", "memory": "3000"})

LEAST_CASES = [
    ("nothing scheduled, nothing requested", workload(NOTHING),
     {"node1": capacity("4000", "10000"), "node2": capacity("4000", "10000")}, [], DEFAULT_RESOURCES,
     {"node1": 100, "node2": 100}),
    ("nothing scheduled, resources requested, differently sized nodes", workload(*TWO_CONTAINERS),
     {"node1": capacity("4000", "10000"), "node2": capacity("6000", "10000")}, [], DEFAULT_RESOURCES,
     {"node1": 37, "node2": 50}),
    ("no resources requested, pods scheduled", workload(NOTHING),
     {"node1": capacity("4000", "10000"), "node2": capacity("4000", "10000")},
     [on("node1", NOTHING), on("node1", NOTHING), on("node2", NOTHING), on("node2", NOTHING)], DEFAULT_RESOURCES,
     {"node1": 100, "node2": 100}),
    ("no resources requested, pods scheduled with resources", workload(NOTHING),
     {"node1": capacity("10000", "20000"), "node2": capacity("10000", "20000")},
     [on("node1", {"cpu": "3000", "memory": "0"}), on("node1", {"cpu": "3000", "memory": "0"}),
      on("node2", {"cpu": "3000", "memory": "0"}), on("node2", {"cpu": "3000", "memory": "5000"})],
     DEFAULT_RESOURCES, {"node1": 70, "node2": 57}),
    ("resources requested, pods scheduled with resources", workload(*TWO_CONTAINERS),
     {"node1": capacity("10000", "20000"), "node2": capacity("10000", "20000")},
     [on("node1", {"cpu": "3000", "memory": "0"}), on("node2", {"cpu": "3000", "memory": "5000"})],
     DEFAULT_RESOURCES, {"node1": 57, "node2": 45}),
    ("resources requested, pods scheduled with resources, differently sized nodes", workload(*TWO_CONTAINERS),
     {"node1": capacity("10000", "20000"), "node2": capacity("10000", "50000")},
     [on("node1", {"cpu": "3000", "memory": "0"}), on("node2", {"cpu": "3000", "memory": "5000"})],
     DEFAULT_RESOURCES, {"node1": 57, "node2": 60}),
    ("requested resources exceed node capacity", workload({"cpu": "3000", "memory": "0"}),
     {"node1": capacity("4000", "10000"), "node2": capacity("4000", "10000")},
     [on("node1", {"cpu": "3000", "memory": "0"}), on("node2", {"cpu": "3000", "memory": "5000"})],
     DEFAULT_RESOURCES, {"node1": 50, "node2": 25}),
    ("zero node resources, pods scheduled with resources", workload(NOTHING),
     {"node1": capacity(), "node2": capacity()},
     [on("node1", {"cpu": "3000", "memory": "0"}), on("node2", {"cpu": "3000", "memory": "5000"})],
     DEFAULT_RESOURCES, {"node1": 0, "node2": 0}),
    ("nothing scheduled, resources requested with different weight on CPU and memory, differently sized nodes",
     workload(*TWO_CONTAINERS), {"node1": capacity("4000", "10000"), "node2": capacity("6000", "10000")}, [],
     [{"name": "memory", "weight": 2}, {"name": "cpu", "weight": 1}], {"node1": 41, "node2": 50}),
    ("bypass extended resource if the pod does not request", workload(*TWO_CONTAINERS),
     {"node1": capacity("6000", "10000"), "node2": capacity("6000", "10000", **{EXT: "4"})}, [], EXTENDED_SET,
     {"node1": 50, "node2": 50}),
    ("honor extended resource if the pod requests", workload({"cpu": "3000", "memory": "5000", EXT: "2"}),
     {"node1": capacity("6000", "10000", **{EXT: "4"}), "node2": capacity("6000", "10000", **{EXT: "10"})}, [],
     EXTENDED_SET, {"node1": 50, "node2": 60}),
    ("if the node doesn't have a resource", workload({"cpu": "3000", "memory": "4000"}),
     {"node1": capacity("6000", "10000"), "node2": capacity("6000", "10000", **{EXT: "4"})}, [],
     [{"name": EXT, "weight": 2}, {"name": "cpu", "weight": 1}, {"name": "memory", "weight": 1}],
     {"node1": 55, "node2": 55}),
]


@pytest.mark.parametrize("name, incoming, nodes, existing, resources, want", LEAST_CASES,
                         ids=[c[0][:70] for c in LEAST_CASES])
def test_least_allocated(name, incoming, nodes, existing, resources, want):
    assert run("LeastAllocated", incoming, nodes, existing, resources) == want


MOST_CASES = [
    ("nothing scheduled, nothing requested", workload(NOTHING),
     {"node1": capacity("4000", "10000"), "node2": capacity("4000", "10000")}, [], DEFAULT_RESOURCES,
     {"node1": 0, "node2": 0}),
    ("nothing scheduled, resources requested, differently sized nodes", workload(*TWO_CONTAINERS),
     {"node1": capacity("4000", "10000"), "node2": capacity("6000", "10000")}, [], DEFAULT_RESOURCES,
     {"node1": 62, "node2": 50}),
    ("no resources requested, pods scheduled with resources", workload(NOTHING),
     {"node1": capacity("10000", "20000"), "node2": capacity("10000", "20000")},
     [on("node1", {"cpu": "3000", "memory": "0"}), on("node1", {"cpu": "3000", "memory": "0"}),
      on("node2", {"cpu": "3000", "memory": "0"}), on("node2", {"cpu": "3000", "memory": "5000"})],
     DEFAULT_RESOURCES, {"node1": 30, "node2": 42}),
    ("resources requested, pods scheduled with resources", workload(*TWO_CONTAINERS),
     {"node1": capacity("10000", "20000"), "node2": capacity("10000", "20000")},
     [on("node1", {"cpu": "3000", "memory": "0"}), on("node2", {"cpu": "3000", "memory": "5000"})],
     DEFAULT_RESOURCES, {"node1": 42, "node2": 55}),
    ("resources requested equal node capacity",
     workload({"cpu": "2000", "memory": "4000"}, {"cpu": "3000", "memory": "5000"}),
     {"node1": capacity("5000", "10000"), "node2": capacity("10000", "9000")}, [], DEFAULT_RESOURCES,
     {"node1": 95, "node2": 75}),
    ("nothing scheduled, resources requested, differently sized nodes, memory weighs 2", workload(*TWO_CONTAINERS),
     {"node1": capacity("4000", "10000"), "node2": capacity("6000", "10000")}, [],
     [{"name": "memory", "weight": 2}, {"name": "cpu", "weight": 1}], {"node1": 58, "node2": 50}),
    ("no resources requested, pods scheduled, nonzero request for resource", pod(),
     {"node1": capacity("250m", "1000Mi"), "node2": capacity("250m", "1000Mi")},
     [pod(node="node1"), pod(node="node1")], DEFAULT_RESOURCES, {"node1": 80, "node2": 30}),
    ("bypass extended resource if the pod does not request", workload(*TWO_CONTAINERS),
     {"node1": capacity("6000", "10000"), "node2": capacity("6000", "10000", **{EXT: "4"})}, [], EXTENDED_SET,
     {"node1": 50, "node2": 50}),
    ("honor extended resource if the pod request", workload({"cpu": "3000", "memory": "5000", EXT: "2"}),
     {"node1": capacity("6000", "10000", **{EXT: "4"}), "node2": capacity("6000", "10000", **{EXT: "10"})}, [],
     EXTENDED_SET, {"node1": 50, "node2": 40}),
    ("if the node doesn't have a resource", workload({"cpu": "3000", "memory": "4000"}),
     {"node1": capacity("6000", "10000"), "node2": capacity("6000", "10000", **{EXT: "4"})}, [],
     [{"name": EXT, "weight": 2}, {"name": "cpu", "weight": 1}, {"name": "memory", "weight": 1}],
     {"node1": 45, "node2": 45}),
]


@pytest.mark.parametrize("name, incoming, nodes, existing, resources, want", MOST_CASES,
                         ids=[c[0][:70] for c in MOST_CASES])
def test_most_allocated(name, incoming, nodes, existing, resources, want):
    assert run("MostAllocated", incoming, nodes, existing, resources) == want


LEAST_SHAPE = [(0, 10), (100, 0)]

RATIO_CASES = [
    ("nothing scheduled, nothing requested (default - least requested nodes have priority)", workload(NOTHING),
     {"node1": capacity("4000", "10000"), "node2": capacity("4000", "10000")},
     [on("node1", NOTHING), on("node1", NOTHING)], {"node1": 100, "node2": 100}),
    ("nothing scheduled, resources requested, differently sized nodes (default - least requested nodes have priority)",
     workload(*TWO_CONTAINERS), {"node1": capacity("4000", "10000"), "node2": capacity("6000", "10000")},
     [on("node1", NOTHING), on("node1", NOTHING)], {"node1": 38, "node2": 50}),
    ("no resources requested, pods scheduled with resources (default - least requested nodes have priority)",
     workload(NOTHING), {"node1": capacity("4000", "10000"), "node2": capacity("6000", "10000")},
     [on("node1", {"cpu": "3000", "memory": "5000"}), on("node2", {"cpu": "3000", "memory": "5000"})],
     {"node1": 38, "node2": 50}),
]


@pytest.mark.parametrize("name, incoming, nodes, existing, want", RATIO_CASES, ids=[c[0][:70] for c in RATIO_CASES])
def test_requested_to_capacity_ratio(name, incoming, nodes, existing, want):
    assert run("RequestedToCapacityRatio", incoming, nodes, existing, DEFAULT_RESOURCES, LEAST_SHAPE) == want


BIN_PACKING = [(0, 0), (100, 1)]
FOO = "intel.com/foo"
BAR = "intel.com/bar"


def ext_node(**extended):
    # upstream's makeNode(name, 4000 millicores, 10000 MiB, extended)
    return capacity("4000m", str(10000 * MiB), **{k.replace("_", "/", 1): str(v) for k, v in extended.items()})


SINGLE_NODES = {"node1": ext_node(**{"intel.com_foo": 8}), "node2": ext_node(**{"intel.com_foo": 4})}


@pytest.mark.parametrize("name, request_, existing, want", [
    ("nothing scheduled, nothing requested", None, [], {"node1": 0, "node2": 0}),
    ("resources requested, pods scheduled with less resources", "2", [], {"node1": 2, "node2": 5}),
    ("resources requested, pods scheduled with resources, on node with existing pod running", "2",
     [("node2", "2")], {"node1": 2, "node2": 10}),
    ("resources requested, pods scheduled with more resources", "4", [], {"node1": 5, "node2": 10}),
])
def test_bin_packing_single_extended(name, request_, existing, want):
    incoming = workload({FOO: request_} if request_ else NOTHING)
    bound = [on(n, {FOO: amount}) for n, amount in existing]
    assert run("RequestedToCapacityRatio", incoming, SINGLE_NODES, bound, [{"name": FOO, "weight": 1}],
               BIN_PACKING) == want


MULTI_NODES = {"node1": ext_node(**{"intel.com_foo": 8, "intel.com_bar": 4}),
               "node2": ext_node(**{"intel.com_foo": 4, "intel.com_bar": 8})}


@pytest.mark.parametrize("name, requests, existing, want", [
    ("nothing scheduled, nothing requested", NOTHING, [], {"node1": 0, "node2": 0}),
    ("resources requested, pods scheduled with less resources", {FOO: "2", BAR: "2"}, [], {"node1": 4, "node2": 3}),
    ("resources requested, pods scheduled with resources, on node with existing pod running", {FOO: "2", BAR: "2"},
     [("node2", {FOO: "4", BAR: "2"})], {"node1": 4, "node2": 7}),
    ("resources requested, pods scheduled with more resources", {FOO: "4", BAR: "2"}, [], {"node1": 5, "node2": 5}),
])
def test_bin_packing_multiple_extended(name, requests, existing, want):
    bound = [on(n, r) for n, r in existing]
    resources = [{"name": FOO, "weight": 3}, {"name": BAR, "weight": 5}]
    assert run("RequestedToCapacityRatio", workload(requests), MULTI_NODES, bound, resources, BIN_PACKING) == want


@pytest.mark.parametrize("name, strategy, resources, shape", [
    ("resource with negative weight", "LeastAllocated", [{"name": "memory", "weight": -1}, {"name": "cpu", "weight": 1}], None),
    ("resource with zero weight", "LeastAllocated", [{"name": "memory", "weight": 1}, {"name": "cpu", "weight": 0}], None),
    ("resource weight larger than MaxNodeScore", "MostAllocated", [{"name": "memory", "weight": 101}], None),
    # Upstream's argument validation of the shape (utilization ascending, score 0..10):
    ("shape utilization not increasing", "RequestedToCapacityRatio", DEFAULT_RESOURCES, [(50, 1), (10, 2)]),
    ("shape score above 10", "RequestedToCapacityRatio", DEFAULT_RESOURCES, [(0, 11)]),
])
def test_invalid_scoring_arguments_are_refused(name, strategy, resources, shape):
    with pytest.raises(InputError):
        profile_for(strategy, resources, shape)


def test_fit_scores_the_containers_while_balanced_allocation_sees_pod_level_requests():
    # Upstream builds NodeResourcesFit's scorer without the pod-level-resources flag
    # (noderesources/fit.go: only the Fit struct, not its embedded scorer, gets it), so the
    # incoming pod is scored by its containers' non-zero requests (100m, 200Mi here), while
    # the filter and NodeResourcesBalancedAllocation use spec.resources (2 cores, 4Gi).
    incoming = pod(requests=None, spec_fields={"resources": {"requests": {"cpu": "2", "memory": "4Gi"}}})
    nodes = [node("n1", allocatable={"cpu": "4", "memory": "8Gi", "pods": "10"})]
    profile = replace(Profile(), filters=(), weights={"NodeResourcesFit": 1, "NodeResourcesBalancedAllocation": 1})
    result = evaluate(nodes, incoming, profile=profile)
    # (4000-100)*100/4000 = 97; (8Gi-200Mi)*100/8Gi = 97
    assert result.scores("NodeResourcesFit") == {"n1": 97}
    # fractions 0.5/0.5 with the pod, 0/0 without: 50 + (50 + 100 - 100) / 2
    assert result.scores("NodeResourcesBalancedAllocation") == {"n1": 75}
