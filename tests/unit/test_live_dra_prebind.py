"""kubesched run's DynamicResources PreBind beyond the pod's own claims (against a fake API):
the claim it creates for extended resources backed by devices, the pod status naming it, its
deletion when the binding fails; and the wait for devices' binding conditions."""

import threading
from types import SimpleNamespace

from kubesched.live.binding_conditions import claim_ready, wait_until_bound
from kubesched.live.dra import LiveDra, release
from kubesched.model.nodes import parse_node
from kubesched.model.pods import PodParser
from tests.conformance.dra_builders import claim, device, device_class, request, resource_slice

FINALIZER = "resource.kubernetes.io/delete-protection"


class FakeKube:
    """Answers as the API server would for the writes PreBind makes; keeps the claims."""

    def __init__(self):
        self.writes = []
        self.claims = {}

    def request(self, method, path, body=None, **_):
        self.writes.append((method, path, body))
        if method == "POST":
            body = {**body, "metadata": {**body["metadata"], "name": body["metadata"]["generateName"] + "x7k2p",
                                         "uid": "uid-claim"}}
        if method == "GET":
            return self.claims[path]
        if method in ("POST", "PUT"):
            key = path.removesuffix("/status") if method == "PUT" else f"{path}/{body['metadata']['name']}"
            self.claims[key] = body = {**body, "metadata": {**body["metadata"],
                                                            "resourceVersion": str(len(self.writes))}}
        return body


def _pod(**spec):
    return PodParser().parse({"metadata": {"name": "p", "namespace": "default", "uid": "uid-p"},
                              "spec": {"containers": [{"name": "c", "image": "x", "resources": {
                                  "requests": {"example.com/gpu": "2"}, "limits": {"example.com/gpu": "2"}}}],
                                  **spec}})


def _state(*devices, allocatable=None):
    kube = FakeKube()
    dra = LiveDra(kube)
    dra.event("DeviceClass", "ADDED", device_class("class-a", extendedResourceName="example.com/gpu"))
    dra.event("ResourceSlice", "ADDED", resource_slice("slice-1", list(devices)))
    nodes = [parse_node({"metadata": {"name": "node-1"}, "status": {"allocatable": {
        "cpu": "1", "pods": "10", **(allocatable or {})}}})]
    return kube, dra, nodes


def test_the_claim_for_extended_resources_is_created_allocated_and_named_in_the_pod_status():
    kube, dra, nodes = _state(device("device-0"), device("device-1"))
    pod = _pod()
    assert dra.has_claims(pod)
    cluster = dra.cluster_for(nodes)
    claims = cluster.prefilter(pod)
    assert cluster.for_filters(pod).spec.requests.get("example.com/gpu", 0) == 0  # not NodeResourcesFit's
    verdict, _, allocations = cluster.verdicts(claims)
    assert verdict == [0]
    assert dra.prebind(claims, "node-1", allocations[0]) is None
    (create, created, _), (update, _, finalized), (status_write, _, bound), (patch, pod_path, pod_status) = kube.writes
    assert (create, created) == ("POST", "/apis/resource.k8s.io/v1/namespaces/default/resourceclaims")
    made = kube.writes[0][2]
    assert made["metadata"] == {"generateName": "p-extended-resources-", "namespace": "default",
                                "annotations": {"resource.kubernetes.io/extended-resource-claim": "true"},
                                "ownerReferences": [{"apiVersion": "v1", "kind": "Pod", "name": "p", "uid": "uid-p",
                                                     "controller": True}]}
    assert made["spec"] == {"devices": {"requests": [{"name": "container-0-request-0", "exactly": {
        "deviceClassName": "class-a", "allocationMode": "ExactCount", "count": 2}}]}}
    assert update == "PUT" and finalized["metadata"]["finalizers"] == [FINALIZER]
    assert status_write == "PUT" and [r["device"] for r in bound["status"]["allocation"]["devices"]["results"]] == \
        ["device-0", "device-1"]
    assert bound["status"]["reservedFor"] == [{"resource": "pods", "name": "p", "uid": "uid-p"}]
    assert (patch, pod_path) == ("PATCH", "/api/v1/namespaces/default/pods/p/status")
    assert pod_status == {"status": {"extendedResourceClaimStatus": {
        "resourceClaimName": "p-extended-resources-x7k2p",
        "requestMappings": [{"containerName": "c", "resourceName": "example.com/gpu",
                             "requestName": "container-0-request-0"}]}}}


def test_a_failed_binding_deletes_the_claim_made_for_the_pod():
    kube, dra, nodes = _state(device("device-0"), device("device-1"))
    pod = _pod()
    cluster = dra.cluster_for(nodes)
    claims = cluster.prefilter(pod)
    _, _, allocations = cluster.verdicts(claims)
    dra.prebind(claims, "node-1", allocations[0])
    kube.writes.clear()
    release(SimpleNamespace(dra=dra), pod)
    path = "/apis/resource.k8s.io/v1/namespaces/default/resourceclaims/p-extended-resources-x7k2p"
    assert [(m, p) for m, p, _ in kube.writes] == [("GET", path), ("PUT", path), ("DELETE", path)]
    assert kube.writes[1][2]["metadata"]["finalizers"] == []


def test_on_a_node_that_lists_the_resource_no_claim_is_made():
    # device plugins serve it there: NodeResourcesFit counts it, DynamicResources allocates nothing
    kube, dra, nodes = _state(device("device-0"), allocatable={"example.com/gpu": "4"})
    pod = _pod()
    cluster = dra.cluster_for(nodes)
    claims = cluster.prefilter(pod)
    assert cluster.for_filters(pod).spec.requests["example.com/gpu"] == 2
    verdict, _, allocations = cluster.verdicts(claims)
    assert verdict == [0] and allocations[0] == []
    cluster.reserve(claims, 0, allocations[0])
    assert claims.claims == [] and cluster.extended_claim_of(pod) is None
    assert dra.prebind(claims, "node-1", allocations[0]) is None
    assert kube.writes == []


def _allocated(results, devices=None):
    return {"metadata": {"name": "c"}, "status": {"allocation": {
        "devices": {"results": results}, "allocationTimestamp": "2030-01-01T00:00:00Z"},
        **({"devices": devices} if devices is not None else {})}}


RESULT = {"request": "r", "driver": "d", "pool": "p", "device": "dev", "bindingConditions": ["attached"],
          "bindingFailureConditions": ["failed"]}


def _status(*conditions):
    return [{"driver": "d", "pool": "p", "device": "dev", "conditions": [
        {"type": kind, "status": value, "reason": "R", "message": "went \"wrong\""} for kind, value in conditions]}]


def test_a_claim_is_ready_once_every_binding_condition_is_true():
    assert claim_ready(_allocated([RESULT])) == (False, None)  # no device status yet
    assert claim_ready(_allocated([RESULT], _status(("attached", "False")))) == (False, None)
    assert claim_ready(_allocated([RESULT], _status(("attached", "True")))) == (True, None)
    assert claim_ready(_allocated([{**RESULT, "bindingConditions": None}])) == (True, None)


def test_a_true_failure_condition_fails_the_binding_with_upstreams_words():
    ready, failure = claim_ready(_allocated([RESULT], _status(("attached", "True"), ("failed", "True"))))
    assert not ready and failure == 'device binding failed: claim=c, reason=R, message="went \\"wrong\\""'
    assert wait_until_bound(lambda: [_allocated([RESULT], _status(("failed", "True")))], 600,
                            threading.Event()) == failure


def test_the_wait_ends_at_the_binding_timeout():
    assert wait_until_bound(lambda: [_allocated([RESULT])], 0.01, threading.Event()) == \
        "device binding timeout: context deadline exceeded"
    old = _allocated([RESULT])
    old["status"]["allocation"]["allocationTimestamp"] = "2020-01-01T00:00:00Z"
    assert wait_until_bound(lambda: [old], 600, threading.Event()) == "device binding timeout: claim=c"


def test_binding_conditions_are_written_with_the_allocation():
    kube, dra, nodes = _state(device("device-0", bindingConditions=["attached"], bindingFailureConditions=["failed"]))
    dra.event("ResourceClaim", "ADDED", claim("c", request("req-0")))
    pod = PodParser().parse({"metadata": {"name": "q", "namespace": "default", "uid": "uid-q"},
                             "spec": {"containers": [{"name": "c", "image": "x"}],
                                      "resourceClaims": [{"name": "r", "resourceClaimName": "c"}]}})
    cluster = dra.cluster_for(nodes)
    claims = cluster.prefilter(pod)
    _, _, allocations = cluster.verdicts(claims)
    assert dra.prebind(claims, "node-1", allocations[0]) is None
    [result] = kube.writes[-1][2]["status"]["allocation"]["devices"]["results"]
    assert result["bindingConditions"] == ["attached"] and result["bindingFailureConditions"] == ["failed"]
    assert dra.binding_wait("uid-q", 600, threading.Event()) is not None
