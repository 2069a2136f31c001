"""`plan nodes` with DynamicResources: node templates carry ResourceSlices, each node added
publishes its own copy, and pods with claims go only where the allocator serves them."""

from __future__ import annotations

from collections import Counter

from tests.conformance.dra_builders import device, device_class, request, resource_slice
from tests.unit.test_plan_nodes import node, plan, pod_spec
from tests.resources import resources

GPU_DRIVER = "driver-a"


def gpu_template(name="gpu", gpus=8, cost="10"):
    return [node(name, cpu="64", memory="256Gi", cost=cost),
            resource_slice(f"{name}-gpus", [device(f"gpu-{i}") for i in range(gpus)], node_name=name, pool=name)]


def claim_template(name="two-gpus", count=2):
    return {"apiVersion": "resource.k8s.io/v1", "kind": "ResourceClaimTemplate",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"spec": {"devices": {"requests": [request("gpus", count=count)]}}}}


def training(replicas, template="two-gpus", cpu="1"):
    spec = {**pod_spec(cpu=cpu), "resourceClaims": [{"name": "gpus", "resourceClaimTemplateName": template}]}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "train"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "train"}},
                     "template": {"metadata": {"labels": {"app": "train"}}, "spec": spec}}}


def devices_of(data):
    return [(d["pool"], d["device"]) for p in data["placements"] for c in p.get("claims", []) for d in c["devices"]]


def test_gpu_nodes_are_bought_for_claims_and_each_publishes_its_own_devices(tmp_path):
    workload = [device_class(), claim_template(), training(10)]
    templates = [node("cpu", cpu="64", memory="256Gi", cost="1"), *gpu_template()]
    result, data = plan(tmp_path, workload, templates)
    assert result.exit_code == 0, result.output
    assert data["byTemplate"] == {"cpu": 0, "gpu": 3} and data["repaired"] == 0
    assert len(data["placements"]) == 10 and max(Counter(p["node"] for p in data["placements"]).values()) <= 4
    used = devices_of(data)
    assert len(used) == 20 and len(set(used)) == 20
    for placement in data["placements"]:  # the devices are the node's own: pools are per node
        assert {d["pool"] for c in placement["claims"] for d in c["devices"]} == {placement["node"]}


def test_existing_free_devices_are_used_before_buying(tmp_path):
    cluster = [node("old", cpu="64", memory="256Gi"),
               resource_slice("old-gpus", [device(f"gpu-{i}") for i in range(4)], node_name="old", pool="old")]
    workload = [device_class(), claim_template(), training(4)]
    result, data = plan(tmp_path, workload, gpu_template(cost="10"), cluster=cluster)
    assert result.exit_code == 0, result.output
    assert data["byTemplate"] == {"gpu": 1}
    assert Counter(p["node"] for p in data["placements"]) == {"old": 2, "gpu-1": 2}


def test_claims_no_template_can_serve_are_unschedulable_with_the_allocators_reason(tmp_path):
    workload = [device_class(), claim_template(count=16), training(1)]
    result, data = plan(tmp_path, workload, gpu_template())
    assert result.exit_code == 1
    assert data["unschedulable"][0]["message"] == \
        "0/1 node templates and existing nodes are available: 1 cannot allocate all claims."


def test_as_scheduled_allocates_claims_too(tmp_path):
    workload = [device_class(), claim_template(count=4), training(5)]
    result, data = plan(tmp_path, workload, gpu_template(), "--as-scheduled")
    assert result.exit_code == 0, result.output
    assert data["byTemplate"] == {"gpu": 3}
    assert data["asScheduled"]["byTemplate"] == {"gpu": 3} and not data["asScheduled"]["unschedulable"]


def test_template_slice_must_name_a_template(tmp_path):
    templates = [node("gpu", cpu="64", memory="256Gi"),
                 resource_slice("stray", [device("gpu-0")], node_name="other", pool="other")]
    result, _ = plan(tmp_path, [device_class(), claim_template(), training(1)], templates)
    assert result.exit_code == 2
    assert "ResourceSlice stray" in result.output and "spec.nodeName" in result.output


def test_extended_resources_backed_by_devices_buy_gpu_nodes(tmp_path):
    gpu_class = device_class(extendedResourceName="example.com/gpu")
    spec = {"containers": [{"name": "c", "image": "app:1",
                            "resources": resources({"cpu": "1", "example.com/gpu": "2"})}]}
    workload = [gpu_class, {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "train"},
                            "spec": {"replicas": 6, "selector": {"matchLabels": {"app": "train"}},
                                     "template": {"metadata": {"labels": {"app": "train"}}, "spec": spec}}}]
    templates = [node("cpu", cpu="64", memory="256Gi", cost="1"), *gpu_template()]
    result, data = plan(tmp_path, workload, templates)
    assert result.exit_code == 0, result.output
    assert data["byTemplate"] == {"cpu": 0, "gpu": 2} and data["repaired"] == 0
    used = devices_of(data)
    assert len(used) == 12 and len(set(used)) == 12


def taint_rule(name, device_name=None, effect="NoSchedule"):
    selector = {"driver": GPU_DRIVER, **({"device": device_name} if device_name else {})}
    return {"apiVersion": "resource.k8s.io/v1", "kind": "DeviceTaintRule", "metadata": {"name": name},
            "spec": {"deviceSelector": selector, "taint": {"key": "example.com/broken", "effect": effect}}}


def test_device_taint_rules_taint_the_devices_of_added_nodes(tmp_path):
    # the rule picks gpu-0 of every pool of the driver: each added node serves 7 GPUs, 3 pods
    workload = [device_class(), claim_template(), training(10), taint_rule("no-gpu-0", "gpu-0")]
    result, data = plan(tmp_path, workload, gpu_template())
    assert result.exit_code == 0, result.output
    assert data["byTemplate"] == {"gpu": 4}
    assert len(data["placements"]) == 10 and max(Counter(p["node"] for p in data["placements"]).values()) == 3
    assert all(device != "gpu-0" for _, device in devices_of(data))


def test_a_rule_tainting_every_device_of_the_template_leaves_the_pods_unschedulable(tmp_path):
    workload = [device_class(), claim_template(), training(2), taint_rule("all-gpus")]
    result, data = plan(tmp_path, workload, gpu_template())
    assert result.exit_code == 1 and data["byTemplate"] == {"gpu": 0}, result.output
    assert [u["message"] for u in data["unschedulable"]] == [
        "0/1 node templates and existing nodes are available: 1 cannot allocate all claims."] * 2
