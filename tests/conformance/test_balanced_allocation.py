"""NodeResourcesBalancedAllocation score, ported from upstream v1.37's
noderesources/balanced_allocation_test.go (TestNodeResourcesBalancedAllocation): the score
is the change in balance the pod causes, 50 + (50 + balance(with) - balance(without)) / 2.
Nodes are upstream's makeNode(name, milliCPU, memory bytes, extended); no filter runs, as
in the plugin-level test."""

import pytest

from .builders import configured, container, evaluate, node, plugin_args, pod, score_only

PLUGIN = "NodeResourcesBalancedAllocation"
GPU = "nvidia.com/gpu"
WITH_GPU = [{"name": "cpu", "weight": 1}, {"name": "memory", "weight": 1}, {"name": GPU, "weight": 1}]


def make_node(name, milli_cpu, memory, **extended):
    allocatable = {"cpu": f"{milli_cpu}m", "memory": str(memory)}
    allocatable.update({k: str(v) for k, v in extended.items()})
    return node(name, allocatable=allocatable)


def spec(*requests, node_name=None):
    return pod(node=node_name, containers=[container(r) for r in requests])


def cpu_only(node_name=None):
    return spec({"cpu": "1000m"}, {"cpu": "2000m"}, node_name=node_name)


def cpu_and_memory(node_name=None):
    return spec({"cpu": "1000m", "memory": "2000"}, {"cpu": "2000m", "memory": "3000"}, node_name=node_name)


def cpu_memory_and_gpu(node_name=None):
    return spec({"cpu": "1000m", "memory": "2000"}, {"cpu": "2000m", "memory": "3000", GPU: "3"}, node_name=node_name)


def run(incoming, nodes, existing=(), resources=None):
    base = configured(plugin_args(PLUGIN, resources=resources)) if resources else None
    return evaluate(nodes, incoming, list(existing), profile=score_only(PLUGIN, base))


def test_best_effort_pod_is_skipped():
    # "nothing scheduled, nothing requested, skip in PreScore"
    result = run(pod(), [make_node("node1", 4000, 10000), make_node("node2", 4000, 10000)])
    assert result.skipped(PLUGIN)
    assert result.scores(PLUGIN) == {"node1": 0, "node2": 0}


CASES = [
    ("nothing scheduled, resources requested, differently sized nodes", cpu_and_memory(),
     [("node1", 4000, 10000, {}), ("node2", 6000, 10000, {})], [], None, {"node1": 68, "node2": 75}),
    ("resources requested, pods scheduled with resources", cpu_and_memory(),
     [("node1", 10000, 20000, {}), ("node2", 10000, 20000, {})], [cpu_only("node1"), cpu_and_memory("node2")], None,
     {"node1": 73, "node2": 74}),
    ("resources requested, pods scheduled with resources, differently sized nodes", cpu_and_memory(),
     [("node1", 10000, 20000, {}), ("node2", 10000, 50000, {})], [cpu_only("node1"), cpu_and_memory("node2")], None,
     {"node1": 73, "node2": 70}),
    ("resources requested, pods scheduled with resources, nodes to reach min/max score",
     spec({"memory": "2000"}, {"memory": "3000"}),
     [("node1", 3000, 5000, {}), ("node2", 3000, 5000, {})], [cpu_only("node1")], None,
     {"node1": 100, "node2": 50}),
    ("requested resources at node capacity", cpu_only(),
     [("node1", 6000, 10000, {}), ("node2", 6000, 10000, {})], [cpu_only("node1"), cpu_and_memory("node2")], None,
     {"node1": 62, "node2": 62}),
    ("scalar resource is included in the score computation if pod requests the scalar resource",
     spec({"cpu": "0", "memory": "0", GPU: "1"}),
     [("node1", 3500, 40000, {GPU: 8}), ("node2", 3500, 40000, {GPU: 8})],
     [cpu_memory_and_gpu("node1"), cpu_and_memory("node2")], WITH_GPU, {"node1": 75, "node2": 76}),
    ("scalar resource is not included in the score computation if pod doesn't request the scalar resource",
     cpu_and_memory(), [("node1", 3500, 40000, {GPU: 8}), ("node2", 3500, 40000, {})], [], WITH_GPU,
     {"node1": 56, "node2": 56}),
]


@pytest.mark.parametrize("name, incoming, nodes, existing, resources, want", CASES, ids=[c[0][:70] for c in CASES])
def test_balanced_allocation(name, incoming, nodes, existing, resources, want):
    built = [make_node(n, cpu, mem, **ext) for n, cpu, mem, ext in nodes]
    assert run(incoming, built, existing, resources).scores(PLUGIN) == want


def test_fractions_are_float64_of_each_side_as_upstream():
    """Upstream divides float64(requested) by float64(allocatable): past 2^53 each side is
    rounded first. Here that fraction is 0.20000000000000004 (the exact quotient rounds to
    0.20000000000000007): balance(with) = int((1 - f / 2) * 100) = 90 (not 89), so the
    score is 50 + (50 + 90 - 100) / 2 = 70. Found comparing with the reference (which
    divided the integers exactly) at quantities near the int64 edge."""
    built = [make_node("node1", 10068194523635687, 1024**3)]
    incoming = spec({"cpu": "2013638904727138m"})
    assert run(incoming, built).scores(PLUGIN) == {"node1": 70}
