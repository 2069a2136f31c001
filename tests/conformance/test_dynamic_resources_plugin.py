"""Cases from upstream's DynamicResources plugin tests (pkg/scheduler/framework/plugins/
dynamicresources): PreEnqueue, PreFilter and Filter statuses as `simulate` reports them,
shared and already-allocated claims, claims from templates, and the v1.37 score."""

import json
from dataclasses import replace

from kubesched.framework.profile import Profile
from kubesched.model.cluster import read_cluster
from kubesched.sim.explain import explain
from kubesched.sim.simulate import simulate
from tests.conformance.dra_builders import (
    DRIVER_A, NODE_1, NODE_2, claim, claim_template, device, device_class, first_available, request, resource_slice)

CLASS_A = device_class("class-a", DRIVER_A)


def _node(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
            "status": {"allocatable": {"cpu": "8", "memory": "32Gi", "pods": "110"}}}


def _pod(name: str, *claims: tuple[str, str, str], uid: str = "", statuses: dict | None = None) -> dict:
    """claims: (pod claim name, "claim" or "template", object name)."""
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default", "uid": uid or name},
           "spec": {"containers": [{"name": "c", "image": "app"}],
                    "resourceClaims": [{"name": n, ("resourceClaimName" if k == "claim" else
                                                    "resourceClaimTemplateName"): o} for n, k, o in claims]}}
    if statuses is not None:
        pod["status"] = {"resourceClaimStatuses": [{"name": n, "resourceClaimName": c} for n, c in statuses.items()]}
    return pod


def _run(tmp_path, objects: list[dict], preemption: bool = True):
    path = tmp_path / "objects.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}))
    cluster = read_cluster([str(path)], warn=lambda m: None)
    profiles = {"default-scheduler": Profile() if preemption else replace(Profile(), preemption=None)}
    return cluster, profiles, {p.pod: p for p in simulate(cluster, profiles).placements}


def _two_nodes(devices_on_1=1, devices_on_2=1) -> list[dict]:
    return [_node(NODE_1), _node(NODE_2), CLASS_A,
            resource_slice("slice-1", [device(f"device-{i}") for i in range(devices_on_1)], node_name=NODE_1,
                           pool=NODE_1),
            resource_slice("slice-2", [device(f"device-{i}") for i in range(devices_on_2)], node_name=NODE_2,
                           pool=NODE_2)]


def test_claim_not_found_waits_in_pre_enqueue(tmp_path):
    _, _, placements = _run(tmp_path, [*_two_nodes(), _pod("my-pod", ("my-resource", "claim", "missing"))])
    assert placements["default/my-pod"].node is None
    assert placements["default/my-pod"].message == 'could not find ResourceClaim "default/missing"'


def test_deleted_claim(tmp_path):
    deleted = claim("my-pod-my-resource", request("req-0"), deletionTimestamp="2026-01-01T00:00:00Z")
    _, _, placements = _run(tmp_path, [*_two_nodes(), deleted, _pod("my-pod", ("my-resource", "claim",
                                                                                "my-pod-my-resource"))])
    assert placements["default/my-pod"].message == 'resourceclaim "my-pod-my-resource" is being deleted'


def test_template_claim_not_created_yet_is_offline_made_by_the_controller(tmp_path):
    template = claim_template("tmpl", {"devices": {"requests": [request("req-0")]}})
    _, _, placements = _run(tmp_path, [*_two_nodes(), template, _pod("my-pod", ("my-resource", "template", "tmpl"))])
    placement = placements["default/my-pod"]
    assert placement.node == NODE_1
    [made] = placement.claims
    assert made["claim"].startswith("default/my-pod-my-resource-") and len(made["claim"]) == len(
        "default/my-pod-my-resource-") + 5


def test_template_claim_owned_by_another_pod(tmp_path):
    foreign = claim("my-pod-my-resource", request("req-0"), ownerReferences=[
        {"apiVersion": "v1", "kind": "Pod", "name": "other", "uid": "other-uid", "controller": True}])
    template = claim_template("tmpl", {"devices": {"requests": [request("req-0")]}})
    pod = _pod("my-pod", ("my-resource", "template", "tmpl"), statuses={"my-resource": "my-pod-my-resource"})
    _, _, placements = _run(tmp_path, [*_two_nodes(), template, foreign, pod])
    assert placements["default/my-pod"].message == ("ResourceClaim default/my-pod-my-resource was not created for Pod "
                                                    "default/my-pod (Pod is not owner)")


def test_missing_device_class_rejects_in_pre_filter(tmp_path):
    objects = [*_two_nodes(), claim("c", request("req-0", "missing")), _pod("my-pod", ("r", "claim", "c"))]
    _, _, placements = _run(tmp_path, objects)
    assert placements["default/my-pod"].message == (
        "0/2 nodes are available: request req-0: device class missing does not exist. "
        "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.")


def test_cannot_allocate_all_claims(tmp_path):
    objects = [*_two_nodes(), claim("c", request("req-0", count=2)), _pod("my-pod", ("r", "claim", "c"))]
    _, _, placements = _run(tmp_path, objects)
    assert placements["default/my-pod"].message == ("0/2 nodes are available: 2 cannot allocate all claims. "
                                                    "preemption: 0/2 nodes are available: 2 Preemption is not "
                                                    "helpful for scheduling.")


def _allocated_for_node_2_cordoned(devices_on_1: int) -> list[dict]:
    allocated = claim("c", request("req-0"), allocation={
        "devices": {"results": [{"request": "req-0", "driver": DRIVER_A, "pool": NODE_2, "device": "device-0"}]},
        "nodeSelector": {"nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In",
                                                                 "values": [NODE_2]}]}]}})
    cordoned = {**_node(NODE_2), "spec": {"unschedulable": True}}
    nodes = _two_nodes(devices_on_1=devices_on_1)
    return [nodes[0], cordoned, *nodes[2:], allocated, _pod("my-pod", ("r", "claim", "c"))]


def test_claim_allocated_for_another_node_is_deallocated_by_post_filter(tmp_path):
    # upstream's "wrong-topology": Filter says not available, PostFilter deallocates (before
    # DefaultPreemption, which finds every node unresolvable); the claim's change queues the
    # pod and its next attempt allocates the device on node-1.
    cluster, profiles, placements = _run(tmp_path, _allocated_for_node_2_cordoned(devices_on_1=1))
    placement = placements["default/my-pod"]
    assert placement.deallocated == {"claim": "default/c", "message": (
        "0/2 nodes are available: 1 node(s) were unschedulable, 1 resourceclaim not available on the node. "
        "deallocation of ResourceClaim completed, preemption: 0/2 nodes are available: "
        "2 Preemption is not helpful for scheduling.")}
    assert placement.node == NODE_1
    explained = explain(cluster, profiles, "default/my-pod")  # the next attempt, as simulate decides it
    assert explained["selectedNode"] == NODE_1 and explained["deallocated"] == placement.deallocated
    assert placement.claims == [{"claim": "default/c", "devices": [
        {"request": "req-0", "driver": DRIVER_A, "pool": NODE_1, "device": "device-0"}]}]


def test_deallocated_claim_that_fits_nowhere_on_the_next_attempt(tmp_path):
    _, _, placements = _run(tmp_path, _allocated_for_node_2_cordoned(devices_on_1=0))
    placement = placements["default/my-pod"]
    assert placement.deallocated["claim"] == "default/c"
    assert placement.node is None
    assert placement.message == ("0/2 nodes are available: 1 cannot allocate all claims, 1 node(s) were "
                                 "unschedulable. preemption: 0/2 nodes are available: 2 Preemption is not "
                                 "helpful for scheduling.")


def test_post_filter_without_preemption(tmp_path):
    _, _, placements = _run(tmp_path, _allocated_for_node_2_cordoned(devices_on_1=1), preemption=False)
    placement = placements["default/my-pod"]
    assert placement.deallocated["message"] == (
        "0/2 nodes are available: 1 node(s) were unschedulable, 1 resourceclaim not available on the node. "
        "deallocation of ResourceClaim completed")
    assert placement.node == NODE_1


def test_a_claim_reserved_for_another_pod_is_not_deallocated(tmp_path):
    objects = _allocated_for_node_2_cordoned(devices_on_1=1)
    objects[-2]["status"]["reservedFor"] = [{"resource": "pods", "name": "other", "uid": "other-uid"}]
    _, _, placements = _run(tmp_path, objects)
    placement = placements["default/my-pod"]
    assert placement.deallocated is None and placement.node is None
    assert placement.message == ("0/2 nodes are available: 1 node(s) were unschedulable, 1 resourceclaim not "
                                 "available on the node. preemption: 0/2 nodes are available: 2 Preemption is "
                                 "not helpful for scheduling.")


def test_a_shared_claim_is_allocated_once_and_reserved_for_each_pod(tmp_path):
    objects = [*_two_nodes(devices_on_1=0, devices_on_2=1), claim("shared", request("req-0")),
               _pod("pod-a", ("r", "claim", "shared")), _pod("pod-b", ("r", "claim", "shared"))]
    cluster, profiles, placements = _run(tmp_path, objects)
    assert placements["default/pod-a"].node == placements["default/pod-b"].node == NODE_2
    assert placements["default/pod-a"].claims == placements["default/pod-b"].claims == [
        {"claim": "default/shared", "devices": [{"request": "req-0", "driver": DRIVER_A, "pool": NODE_2,
                                                 "device": "device-0"}]}]


def test_devices_taken_by_one_pod_are_not_given_to_the_next(tmp_path):
    objects = [*_two_nodes(devices_on_1=1, devices_on_2=0), claim("c1", request("req-0")),
               claim("c2", request("req-0")), _pod("pod-a", ("r", "claim", "c1")), _pod("pod-b", ("r", "claim", "c2"))]
    _, _, placements = _run(tmp_path, objects)
    assert placements["default/pod-a"].node == NODE_1
    # DynamicResources' rejections are UnschedulableAndUnresolvable: preemption does not try
    assert placements["default/pod-b"].message == ("0/2 nodes are available: 2 cannot allocate all claims. "
                                                   "preemption: 0/2 nodes are available: 2 Preemption is not "
                                                   "helpful for scheduling.")


def test_score_prefers_the_node_serving_the_first_alternative(tmp_path):
    # node-1 can only serve the second alternative, node-2 the first: 8 vs 7 raw, normalised
    # to 100 and 87, times the default weight 2.
    big = 'device.attributes["driver-a"].size == "big"'
    objects = [_node(NODE_1), _node(NODE_2), CLASS_A,
               resource_slice("slice-1", [device("small", attributes={"size": {"string": "small"}})], pool=NODE_1),
               resource_slice("slice-2", [device("big", attributes={"size": {"string": "big"}})], node_name=NODE_2,
                              pool=NODE_2),
               claim("c", first_available("req-0", request("big", selectors=(big,)), request("any"))),
               _pod("my-pod", ("r", "claim", "c"))]
    cluster, profiles, placements = _run(tmp_path, objects)
    assert placements["default/my-pod"].node == NODE_2
    report = explain(cluster, profiles, "default/my-pod")
    scores = {n["node"]: n["scores"]["DynamicResources"] for n in report["nodes"]}
    assert scores == {NODE_1: {"raw": 7, "normalized": 87, "weight": 2, "weighted": 174},
                      NODE_2: {"raw": 8, "normalized": 100, "weight": 2, "weighted": 200}}


def test_explain_names_the_selector_that_leaves_no_device(tmp_path):
    big = 'device.attributes["driver-a"].size == "big"'
    objects = [*_two_nodes(), claim("c", request("req-0", selectors=(big,))), _pod("my-pod", ("r", "claim", "c"))]
    for s in objects[3:5]:
        s["spec"]["devices"][0]["attributes"] = {"size": {"string": "small"}}
    cluster, profiles, _ = _run(tmp_path, objects)
    report = explain(cluster, profiles, "default/my-pod")
    [step_class, step_request] = report["nodes"][0]["devices"]["requests"][0]["selectors"]
    assert (step_class["devices"], step_request["devices"]) == (1, 0)
    assert step_request["selector"] == "request req-0 #0" and step_request["expression"] == big


def test_a_selector_failing_on_a_device_is_an_error_for_the_pod(tmp_path):
    missing = 'device.attributes["driver-a"].size == "big"'  # the devices have no size
    objects = [*_two_nodes(), claim("c", request("req-0", selectors=(missing,))), _pod("my-pod", ("r", "claim", "c"))]
    _, _, placements = _run(tmp_path, objects)
    assert placements["default/my-pod"].message.startswith(
        'error: running "DynamicResources" filter plugin: claim default/c: selector #0 on device '
        'driver-a/node-1/device-0: CEL runtime error: ')


def test_a_claim_without_any_dra_object_in_the_input_waits(tmp_path):
    _, _, placements = _run(tmp_path, [_node(NODE_1), _pod("my-pod", ("r", "claim", "missing"))])
    assert placements["default/my-pod"].node is None
    assert placements["default/my-pod"].message == 'could not find ResourceClaim "default/missing"'


def test_a_profile_without_dynamic_resources_ignores_claims(tmp_path):
    path = tmp_path / "objects.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List",
                                "items": [_node(NODE_1), _pod("my-pod", ("r", "claim", "missing"))]}))
    cluster = read_cluster([str(path)], warn=lambda m: None)
    profile = Profile(filters=tuple(f for f in Profile().filters if f != "DynamicResources"))
    [placement] = simulate(cluster, {"default-scheduler": profile}).placements
    assert placement.node == NODE_1
