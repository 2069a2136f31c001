"""kubesched run's DynamicResources: what PreBind writes into the claims, and what a failed
binding gives back (against a fake API)."""

from types import SimpleNamespace

from kubesched.live.dra import LiveDra, release
from kubesched.model.nodes import parse_node
from kubesched.model.pods import PodParser
from tests.conformance.dra_builders import claim, device, device_class, request, resource_slice


class FakeKube:
    def __init__(self):
        self.writes = []

    def request(self, method, path, body=None, **_):
        self.writes.append((method, path, body))
        return {**body, "metadata": {**body["metadata"], "resourceVersion": str(len(self.writes) + 1)}}


def _state():
    kube = FakeKube()
    dra = LiveDra(kube)
    dra.event("DeviceClass", "ADDED", device_class("class-a"))
    dra.event("ResourceSlice", "ADDED", resource_slice("slice-1", [device("device-0")]))
    dra.event("ResourceClaim", "ADDED", claim("c", request("req-0")))
    nodes = [parse_node({"metadata": {"name": "node-1"}, "status": {"allocatable": {"cpu": "1", "pods": "10"}}})]
    pod = PodParser().parse({"metadata": {"name": "p", "namespace": "default", "uid": "uid-p"},
                             "spec": {"containers": [{"name": "c", "image": "x"}],
                                      "resourceClaims": [{"name": "r", "resourceClaimName": "c"}]}})
    return kube, dra, nodes, pod


def test_prebind_writes_the_allocation_and_the_reservation():
    kube, dra, nodes, pod = _state()
    cluster = dra.cluster_for(nodes)
    claims = cluster.prefilter(pod)
    verdict, _, allocations = cluster.verdicts(claims)
    assert verdict == [0]
    assert dra.prebind(claims, "node-1", allocations[0]) is None
    [finalizer, (method, path, body)] = kube.writes
    # as upstream: the finalizer in a normal update first, then the status
    assert finalizer[:2] == ("PUT", "/apis/resource.k8s.io/v1/namespaces/default/resourceclaims/c")
    assert finalizer[2]["metadata"]["finalizers"] == ["resource.kubernetes.io/delete-protection"]
    assert (method, path) == ("PUT", "/apis/resource.k8s.io/v1/namespaces/default/resourceclaims/c/status")
    allocation = body["status"]["allocation"]
    assert allocation["devices"]["results"] == [{"request": "req-0", "driver": "driver-a", "pool": "pool-1",
                                                 "device": "device-0"}]
    assert allocation["nodeSelector"] == {"nodeSelectorTerms": [{"matchFields": [
        {"key": "metadata.name", "operator": "In", "values": ["node-1"]}]}]}
    assert allocation["allocationTimestamp"].endswith("Z")
    assert body["status"]["reservedFor"] == [{"resource": "pods", "name": "p", "uid": "uid-p"}]
    # the next decision sees the device taken
    again = dra.cluster_for(nodes)
    assert again.allocated == {("driver-a", "pool-1", "device-0")}


def test_a_failed_binding_gives_the_devices_back():
    kube, dra, nodes, pod = _state()
    cluster = dra.cluster_for(nodes)
    claims = cluster.prefilter(pod)
    _, _, allocations = cluster.verdicts(claims)
    dra.prebind(claims, "node-1", allocations[0])
    release(SimpleNamespace(dra=dra), pod)
    method, path, body = kube.writes[-1]
    assert path.endswith("/resourceclaims/c/status") and body["status"] == {}
    assert dra.cluster_for(nodes).allocated == set()


def test_a_claim_event_updates_the_state_without_a_rebuild():
    kube, dra, nodes, pod = _state()
    cluster = dra.cluster_for(nodes)
    claims = cluster.prefilter(pod)
    _, _, allocations = cluster.verdicts(claims)
    dra.prebind(claims, "node-1", allocations[0])
    assert dra.cluster_for(nodes) is cluster  # the devices' CEL results are kept
    assert cluster.allocated == {("driver-a", "pool-1", "device-0")}
    written = kube.writes[-1][2]
    freed = {**written, "metadata": {**written["metadata"], "resourceVersion": "99"}, "status": {}}
    dra.event("ResourceClaim", "MODIFIED", freed)
    assert dra.cluster_for(nodes) is cluster and cluster.allocated == set()
    dra.event("ResourceSlice", "ADDED", resource_slice("slice-2", [device("device-9")]))
    assert dra.cluster_for(nodes) is not cluster  # new devices: read again


def test_an_older_version_from_the_watch_does_not_undo_what_prebind_wrote():
    kube, dra, nodes, pod = _state()
    cluster = dra.cluster_for(nodes)
    claims = cluster.prefilter(pod)
    _, _, allocations = cluster.verdicts(claims)
    dra.prebind(claims, "node-1", allocations[0])
    finalized = kube.writes[0][2]  # the watch brings the finalizer's version after the status's
    dra.event("ResourceClaim", "MODIFIED", {**finalized, "metadata": {**finalized["metadata"], "resourceVersion": "2"}})
    assert dra.cluster_for(nodes).allocated == {("driver-a", "pool-1", "device-0")}
