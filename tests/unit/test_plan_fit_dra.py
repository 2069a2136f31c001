"""`plan fit` for a pod with claims from a template: each copy its own devices."""

import json

from kubesched.framework.profile import Profile
from kubesched.model.cluster import read_cluster
from kubesched.model.pods import PodParser
from kubesched.plan.fit import plan_fit
from tests.conformance.dra_builders import device, device_class, request, resource_slice


def test_copies_fit_until_the_devices_run_out(tmp_path):
    nodes = [{"apiVersion": "v1", "kind": "Node", "metadata": {"name": f"node-{i}"},
              "status": {"allocatable": {"cpu": "64", "memory": "256Gi", "pods": "110"}}} for i in (1, 2)]
    template = {"apiVersion": "resource.k8s.io/v1", "kind": "ResourceClaimTemplate",
                "metadata": {"name": "two", "namespace": "default"},
                "spec": {"spec": {"devices": {"requests": [request("gpus", count=2)]}}}}
    slices = [resource_slice("s1", [device(f"d{i}") for i in range(5)], node_name="node-1", pool="node-1"),
              resource_slice("s2", [device(f"d{i}") for i in range(2)], node_name="node-2", pool="node-2")]
    path = tmp_path / "cluster.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List",
                                "items": [*nodes, device_class("class-a"), *slices, template]}))
    cluster = read_cluster([str(path)], warn=lambda m: None)
    pod = PodParser().parse({"metadata": {"name": "p", "namespace": "default"},
                             "spec": {"containers": [{"name": "c", "image": "x"}],
                                      "resourceClaims": [{"name": "gpus", "resourceClaimTemplateName": "two"}]}})
    result = plan_fit(cluster, pod, Profile())
    assert result.replicas == 3 and result.per_node == {"node-1": 2, "node-2": 1}
    assert result.limited_by == {"cannot allocate all claims": 2}
    assert result.message == ("0/2 nodes are available: 2 cannot allocate all claims. preemption: 0/2 nodes are "
                              "available: 2 Preemption is not helpful for scheduling.")
    unpreempting = plan_fit(cluster, pod, Profile(), allow_preemption=False)
    assert unpreempting.message == "0/2 nodes are available: 2 cannot allocate all claims."


def test_copies_preempt_lower_pods_for_cpu_until_the_devices_run_out(tmp_path):
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1"},
            "status": {"allocatable": {"cpu": "4", "memory": "16Gi", "pods": "110"}}}
    low = [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"low-{i}", "namespace": "default"},
            "spec": {"nodeName": "node-1", "containers": [{"name": "c", "image": "x",
                                                           "resources": {"requests": {"cpu": "1500m"}}}]},
            "status": {"startTime": f"2026-01-01T00:00:0{i}Z"}} for i in range(2)]
    template = {"apiVersion": "resource.k8s.io/v1", "kind": "ResourceClaimTemplate",
                "metadata": {"name": "one", "namespace": "default"},
                "spec": {"spec": {"devices": {"requests": [request("gpu")]}}}}
    path = tmp_path / "cluster.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [
        node, *low, device_class("class-a"), template,
        resource_slice("s1", [device(f"d{i}") for i in range(4)], node_name="node-1", pool="node-1")]}))
    cluster = read_cluster([str(path)], warn=lambda m: None)
    pod = PodParser().parse({"metadata": {"name": "p", "namespace": "default"},
                             "spec": {"priority": 1000, "containers": [
                                 {"name": "c", "image": "x", "resources": {"requests": {"cpu": "1"}}}],
                                 "resourceClaims": [{"name": "gpu", "resourceClaimTemplateName": "one"}]}})
    result = plan_fit(cluster, pod, Profile())
    # The second and third copies each evict a low pod (the later started first); the fifth
    # finds the CPU taken by its equals.
    assert result.replicas == 4
    assert [[v.key for v in p.victims] for p in result.preemptions] == [["default/low-1"], ["default/low-0"]]
    assert result.message == ("0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: "
                              "1 No preemption victims found for incoming pod.")
    assert plan_fit(cluster, pod, Profile(), allow_preemption=False).replicas == 1
