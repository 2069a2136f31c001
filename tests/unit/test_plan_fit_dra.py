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
    assert result.message == "0/2 nodes are available: 2 cannot allocate all claims."
