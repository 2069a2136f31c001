"""`plan drain` with DynamicResources: a pod with claims moves only where its claims can be
allocated, with new claims from its templates; a named claim its pod alone used is
deallocated once the pod is gone."""

from __future__ import annotations

from tests.conformance.dra_builders import claim, device, device_class, request, resource_slice
from tests.unit.test_plan_drain import RS, drain, node, pod


def gpus(node_name, count):
    return resource_slice(f"{node_name}-gpus", [device(f"gpu-{i}") for i in range(count)], node_name=node_name,
                          pool=node_name)


def on_node(node_name, *devices):
    return {"devices": {"results": [{"request": "gpus", "driver": "driver-a", "pool": node_name, "device": d}
                                    for d in devices]},
            "nodeSelector": {"nodeSelectorTerms": [{"matchFields": [
                {"key": "metadata.name", "operator": "In", "values": [node_name]}]}]}}


def claim_pod(name, node_name, claim_name, template=None, uid=None):
    obj = pod(name, node_name, owner=RS)
    obj["metadata"]["uid"] = uid or f"uid-{name}"
    source = {"resourceClaimTemplateName": template} if template else {"resourceClaimName": claim_name}
    obj["spec"]["resourceClaims"] = [{"name": "gpus", **source}]
    if template:
        obj["status"] = {"resourceClaimStatuses": [{"name": "gpus", "resourceClaimName": claim_name}]}
    return obj


def reserved(obj, pod_name):
    obj["status"]["reservedFor"] = [{"resource": "pods", "name": pod_name, "uid": f"uid-{pod_name}"}]
    return obj


def template_claim(name, pod_name, count, *devices):
    obj = claim(name, request("gpus", count=count), allocation=on_node("a", *devices),
                ownerReferences=[{"apiVersion": "v1", "kind": "Pod", "name": pod_name, "uid": f"uid-{pod_name}",
                                  "controller": True}])
    return reserved(obj, pod_name)


TEMPLATE = {"apiVersion": "resource.k8s.io/v1", "kind": "ResourceClaimTemplate",
            "metadata": {"name": "two", "namespace": "default"},
            "spec": {"spec": {"devices": {"requests": [request("gpus", count=2)]}}}}
# c has two GPUs, one of them taken by a pod already there.
BUSY_C = [claim_pod("busy", "c", "busy-gpu"), reserved(claim("busy-gpu", request("gpus"),
                                                             allocation=on_node("c", "gpu-0")), "busy")]


def test_claims_move_only_where_they_can_be_allocated(tmp_path):
    objects = [node("a"), node("b"), node("c"), device_class(), gpus("a", 2), gpus("c", 3), TEMPLATE, *BUSY_C,
               claim_pod("train", "a", "train-gpus-x1", template="two"),
               template_claim("train-gpus-x1", "train", 2, "gpu-0", "gpu-1")]
    result, data = drain(tmp_path, objects, "a")
    assert result.exit_code == 0, result.output
    assert data["placements"] == [{"pod": "default/train", "from": "a", "node": "c"}]


def test_no_node_with_enough_free_devices_is_unschedulable(tmp_path):
    objects = [node("a"), node("b"), node("c"), device_class(), gpus("a", 2), gpus("c", 2), TEMPLATE, *BUSY_C,
               claim_pod("train", "a", "train-gpus-x1", template="two"),
               template_claim("train-gpus-x1", "train", 2, "gpu-0", "gpu-1")]
    result, data = drain(tmp_path, objects, "a")
    assert result.exit_code == 1
    assert data["unschedulable"][0]["pod"] == "default/train"
    assert "2 cannot allocate all claims" in data["unschedulable"][0]["message"]


def test_a_named_claim_its_pod_alone_used_is_deallocated_and_allocated_again(tmp_path):
    objects = [node("a"), node("b"), node("c"), device_class(), gpus("a", 1), gpus("c", 2), *BUSY_C,
               claim_pod("solo", "a", "solo-gpu"),
               reserved(claim("solo-gpu", request("gpus"), allocation=on_node("a", "gpu-0")), "solo")]
    result, data = drain(tmp_path, objects, "a")
    assert result.exit_code == 0, result.output
    assert data["placements"] == [{"pod": "default/solo", "from": "a", "node": "c"}]


def test_a_claim_still_used_by_a_pod_that_stays_keeps_its_node(tmp_path):
    shared = claim("shared-gpu", request("gpus"), allocation=on_node("a", "gpu-0"))
    shared["status"]["reservedFor"] = [{"resource": "pods", "name": n, "uid": f"uid-{n}"} for n in ("one", "ds")]
    keeper = claim_pod("ds", "a", "shared-gpu")
    keeper["metadata"]["ownerReferences"][0]["kind"] = "DaemonSet"
    objects = [node("a"), node("b"), device_class(), gpus("a", 1), shared, keeper, claim_pod("one", "a", "shared-gpu")]
    result, data = drain(tmp_path, objects, "a")
    assert result.exit_code == 1
    assert data["unschedulable"][0]["pod"] == "default/one"
    assert "resourceclaim not available on the node" in data["unschedulable"][0]["message"]


def test_a_pod_with_claims_preempts_where_its_devices_fit_and_its_victims_claims_are_released(tmp_path):
    high = {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "high"},
            "value": 1000}
    train = claim_pod("train", "a", "train-gpus-x1", template="two")
    train["spec"]["priorityClassName"] = "high"
    train["spec"]["containers"][0]["resources"]["requests"]["cpu"] = "3"
    # b has the GPUs but its CPU is batch's, whose own claim holds one of c's GPUs.
    batch = claim_pod("batch", "b", "batch-gpu")
    batch["spec"]["containers"][0]["resources"]["requests"]["cpu"] = "4"
    objects = [high, node("a"), node("b"), node("c"), device_class(), gpus("a", 2), gpus("b", 2), gpus("c", 1),
               TEMPLATE, train, template_claim("train-gpus-x1", "train", 2, "gpu-0", "gpu-1"), batch,
               reserved(claim("batch-gpu", request("gpus"), allocation=on_node("c", "gpu-0")), "batch")]
    result, data = drain(tmp_path, objects, "a")
    assert result.exit_code == 0, result.output
    assert [(p["pod"], p["node"], p["victims"]) for p in data["preemptions"]] == [
        ("default/train", "b", ["default/batch"])]
    # batch, recreated, finds c's GPU free again: its claim was deallocated with it gone.
    assert {p["pod"]: p["node"] for p in data["placements"]} == {"default/train": "b", "default/batch": "c"}
