"""Extended resources that device plugins serve on some nodes and DRA on others, kubesched
against upstream's own framework (the oracle): per node, NodeResourcesFit counts the
resource where the node's allocatable lists it and DynamicResources allocates devices where
it does not (shouldDelegateResourceToDRA, filterExtendedResources). Every pod's node and
message must be upstream's. (The oracle runs PreBind only for pods with claims of their own,
so the devices of the claim made for extended resources are checked by kubesched's own tests,
tests/unit/test_dra_extended_resources.py.)"""

from __future__ import annotations

import pytest

from tests.conformance.dra_builders import device, device_class, resource_slice

from .oracle import run_oracle
from .ours import run_ours

RESOURCE = "example.com/gpu"


def _node(name: str, plugin_gpus: int = 0) -> dict:
    allocatable = {"cpu": "8", "memory": "32Gi", "pods": "110", **({RESOURCE: str(plugin_gpus)} if plugin_gpus else {})}
    return {"apiVersion": "v1", "kind": "Node", "spec": {},
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
            "status": {"allocatable": allocatable, "capacity": allocatable}}


def _pod(name: str, gpus: int, cpu: str) -> dict:
    resources = {"requests": {"cpu": cpu, RESOURCE: str(gpus)}, "limits": {RESOURCE: str(gpus)}}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
            "spec": {"containers": [{"name": "c", "image": "x", "resources": resources}]}}


@pytest.mark.slow
@pytest.mark.parametrize("nodes", [
    [_node("node-1"), _node("node-2", 4)],                    # devices first, then a device plugin
    [_node("node-2", 4), _node("node-1")],                    # the other order
    [_node("node-1"), _node("node-2", 4), _node("node-3", 1)],  # and a small device plugin node
])
def test_pods_land_where_upstream_puts_them(nodes):
    devices = resource_slice("node-1-gpus", [device(f"gpu-{d}") for d in range(3)], node_name="node-1",
                             pool="node-1")
    objects = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}},
               device_class("gpu.example.com", extendedResourceName=RESOURCE), devices, *nodes,
               *[_pod(f"p{i}", 2 if i % 3 else 1, str(1 + i % 2)) for i in range(6)]]
    upstream = run_oracle({"objects": objects, "config": None})
    ours = run_ours({"objects": objects, "config": None}, upstream.get("rejected", []))
    decided = lambda out: {p["pod"]: (p.get("node"), p.get("message")) for p in out["pods"]}  # noqa: E731
    assert decided(ours) == decided(upstream)
    assert any(node for node, _ in decided(upstream).values())  # some pods land: not a vacuous comparison
