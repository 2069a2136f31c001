"""NodeResourcesFit filter, ported from upstream's noderesources/fit_test.go
(TestEnoughRequests, TestNotEnoughRequests, TestStorageRequests).

Upstream's node: allocatable cpu 10m, memory 20, pods 32, example.com/aaa 5,
ephemeral-storage 20, hugepages-2Mi 5; one existing pod holds `used`."""

import pytest

from .builders import configured, container, evaluate, filters_only, node, plugin_args, pod

EXTENDED_A = "example.com/aaa"
EXTENDED_B = "example.com/bbb"
K8S_IO_A = "kubernetes.io/something"
K8S_IO_B = "subdomain.kubernetes.io/something"
HUGEPAGES = "hugepages-2Mi"


def alloc(cpu, memory, pods, extended_a=0, storage=0, hugepages=0):
    return {"cpu": f"{cpu}m", "memory": str(memory), "pods": str(pods), EXTENDED_A: str(extended_a),
            "ephemeral-storage": str(storage), HUGEPAGES: str(hugepages)}


UPSTREAM_NODE = alloc(10, 20, 32, 5, 20, 5)


def res(cpu=None, memory=None, **scalars):
    """A container's requests: cpu in millicores, memory in bytes, scalars by name."""
    result = {}
    if cpu is not None:
        result["cpu"] = f"{cpu}m"
    if memory is not None:
        result["memory"] = str(memory)
    for name, value in scalars.items():
        result[name] = str(value)
    return result


def containers(*requests):
    return [container(r) for r in requests]


def run(incoming, used, allocatable=UPSTREAM_NODE, profile=None):
    nodes = [node("n1", allocatable=allocatable)]
    existing = pod(node="n1", containers=containers(used))
    return evaluate(nodes, incoming, [existing], profile=profile or filters_only("NodeResourcesFit"))


def insufficient(*names):
    return sorted(f"Insufficient {n}" for n in names)


ENOUGH_CASES = [
    # (upstream case name, containers, init containers, used, insufficient resources)
    ("no resources requested always fits", [{}], [], res(10, 20), []),
    ("too many resources fails", [res(1, 1)], [], res(10, 20), ["cpu", "memory"]),
    ("too many resources fails due to init container cpu", [res(1, 1)], [res(3, 1)], res(8, 19), ["cpu"]),
    ("too many resources fails due to highest init container cpu", [res(1, 1)], [res(3, 1), res(2, 1)],
     res(8, 19), ["cpu"]),
    ("too many resources fails due to init container memory", [res(1, 1)], [res(1, 3)], res(9, 19), ["memory"]),
    ("too many resources fails due to highest init container memory", [res(1, 1)], [res(1, 3), res(1, 2)],
     res(9, 19), ["memory"]),
    ("init container fits because it's the max, not sum, of containers and init containers", [res(1, 1)],
     [res(1, 1)], res(9, 19), []),
    ("multiple init containers fit because it's the max, not sum, of containers and init containers",
     [res(1, 1)], [res(1, 1), res(1, 1)], res(9, 19), []),
    ("both resources fit", [res(1, 1)], [], res(5, 5), []),
    ("one resource memory fits", [res(2, 1)], [], res(9, 5), ["cpu"]),
    ("one resource cpu fits", [res(1, 2)], [], res(5, 19), ["memory"]),
    ("equal edge case", [res(5, 1)], [], res(5, 19), []),
    ("equal edge case for init container", [res(4, 1)], [res(5, 1)], res(5, 19), []),
    ("extended resource fits", [res(**{EXTENDED_A: 1})], [], res(), []),
    ("extended resource fits for init container", [res()], [res(**{EXTENDED_A: 1})], res(), []),
    ("extended resource capacity enforced", [res(1, 1, **{EXTENDED_A: 10})], [], res(0, 0, **{EXTENDED_A: 0}),
     [EXTENDED_A]),
    ("extended resource capacity enforced for init container", [res()], [res(1, 1, **{EXTENDED_A: 10})],
     res(0, 0, **{EXTENDED_A: 0}), [EXTENDED_A]),
    ("extended resource allocatable enforced", [res(1, 1, **{EXTENDED_A: 1})], [], res(0, 0, **{EXTENDED_A: 5}),
     [EXTENDED_A]),
    ("extended resource allocatable enforced for multiple containers",
     [res(1, 1, **{EXTENDED_A: 3}), res(1, 1, **{EXTENDED_A: 3})], [], res(0, 0, **{EXTENDED_A: 2}), [EXTENDED_A]),
    ("extended resource allocatable admits multiple init containers", [res()],
     [res(1, 1, **{EXTENDED_A: 3}), res(1, 1, **{EXTENDED_A: 3})], res(0, 0, **{EXTENDED_A: 2}), []),
    ("extended resource allocatable enforced for multiple init containers", [res()],
     [res(1, 1, **{EXTENDED_A: 6}), res(1, 1, **{EXTENDED_A: 3})], res(0, 0, **{EXTENDED_A: 2}), [EXTENDED_A]),
    ("extended resource allocatable enforced for unknown resource", [res(1, 1, **{EXTENDED_B: 1})], [],
     res(0, 0), [EXTENDED_B]),
    ("kubernetes.io resource capacity enforced", [res(1, 1, **{K8S_IO_A: 10})], [], res(0, 0), [K8S_IO_A]),
    ("kubernetes.io resource capacity enforced for init container", [res()], [res(1, 1, **{K8S_IO_B: 10})],
     res(0, 0), [K8S_IO_B]),
    ("hugepages resource capacity enforced", [res(1, 1, **{HUGEPAGES: 10})], [], res(0, 0, **{HUGEPAGES: 0}),
     [HUGEPAGES]),
    ("hugepages resource allocatable enforced for multiple containers",
     [res(1, 1, **{HUGEPAGES: 3}), res(1, 1, **{HUGEPAGES: 3})], [], res(0, 0, **{HUGEPAGES: 2}), [HUGEPAGES]),
]


@pytest.mark.parametrize("name, requests, init, used, short", ENOUGH_CASES, ids=[c[0][:70] for c in ENOUGH_CASES])
def test_enough_requests(name, requests, init, used, short):
    incoming = pod(containers=containers(*requests), init_containers=containers(*init))
    result = run(incoming, used)
    assert result.failed("n1") == ("NodeResourcesFit" if short else None)
    assert sorted(result.reasons("n1")) == insufficient(*short)


@pytest.mark.parametrize("name, overhead, short", [
    ("resources + pod overhead fits", {"cpu": "3m", "memory": "13"}, []),
    ("requests + overhead does not fit for memory", {"cpu": "1m", "memory": "15"}, ["memory"]),
])
def test_pod_overhead(name, overhead, short):
    incoming = pod(containers=containers(res(1, 1)), overhead=overhead)
    result = run(incoming, res(5, 5))
    assert sorted(result.reasons("n1")) == insufficient(*short)


def test_ignored_extended_resource_is_not_checked():
    # "skip checking ignored extended resource": NodeResourcesFitArgs.ignoredResources.
    profile = configured(plugin_args("NodeResourcesFit", ignoredResources=[EXTENDED_B]))
    result = run(pod(containers=containers(res(1, 1, **{EXTENDED_B: 1}))), res(0, 0), profile=profile)
    assert result.failed("n1") is None
    assert result.reasons("n1") == []


def test_ignored_resource_group_is_not_checked():
    # "skip checking ignored extended resource via resource groups": ignoredResourceGroups
    # names the prefix before the "/"; kubernetes.io/something is still checked.
    profile = configured(plugin_args("NodeResourcesFit", ignoredResourceGroups=["example.com"]))
    incoming = pod(containers=containers(res(1, 1, **{EXTENDED_B: 1, K8S_IO_A: 1})))
    result = run(incoming, res(0, 0), profile=profile)
    assert result.failed("n1") == "NodeResourcesFit"
    assert result.reasons("n1") == insufficient(K8S_IO_A)


ONE_POD_NODE = alloc(10, 20, 1)


@pytest.mark.parametrize("name, requests, init, used", [
    ("even without specified resources, predicate fails when there's no space for additional pod",
     [{}], [], res(10, 20)),
    ("even if both resources fit, predicate fails when there's no space for additional pod",
     [res(1, 1)], [], res(5, 5)),
    ("even for equal edge case, predicate fails when there's no space for additional pod",
     [res(5, 1)], [], res(5, 19)),
    ("even for equal edge case, predicate fails when there's no space for additional pod due to init container",
     [res(5, 1)], [res(5, 1)], res(5, 19)),
])
def test_not_enough_pods(name, requests, init, used):
    incoming = pod(containers=containers(*requests), init_containers=containers(*init))
    result = run(incoming, used, allocatable=ONE_POD_NODE)
    assert result.failed("n1") == "NodeResourcesFit"
    assert result.reasons("n1") == ["Too many pods"]


@pytest.mark.parametrize("name, requests, used, short", [
    ("due to container scratch disk", res(1, 1), res(10, 10), ["cpu"]),
    ("pod fit", res(1, 1), res(2, 10), []),
    ("storage ephemeral local storage request exceeds allocatable", res(**{"ephemeral-storage": 25}),
     res(2, 2), ["ephemeral-storage"]),
    ("pod fits", res(**{"ephemeral-storage": 10}), res(2, 2), []),
])
def test_storage_requests(name, requests, used, short):
    result = run(pod(containers=containers(requests)), used)
    assert sorted(result.reasons("n1")) == insufficient(*short)


def test_too_many_pods_and_insufficient_resources_are_all_reported():
    # Upstream's Fit filter reports every failing reason of the node (pods count first).
    result = run(pod(containers=containers(res(6, 15))), res(5, 10), allocatable=ONE_POD_NODE)
    assert sorted(result.reasons("n1")) == sorted(["Too many pods", "Insufficient cpu", "Insufficient memory"])
