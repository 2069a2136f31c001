"""kubesched run's DynamicResources PostFilter: a claim allocated for a node the pod cannot
use, reserved by no pod, is deallocated through the API (status.allocation, reservedFor and
devices removed), and the next decision allocates it afresh (against a fake API)."""

from kubesched.dra.deallocate import claim_to_deallocate
from kubesched.dra.plugin import FITS, NOT_AVAILABLE
from kubesched.live.dra import LiveDra
from kubesched.model.nodes import parse_node
from kubesched.model.pods import PodParser
from tests.conformance.dra_builders import claim, device, device_class, request, resource_slice
from tests.unit.test_live_dra import FakeKube

ON_NODE_2 = {"devices": {"results": [{"request": "req-0", "driver": "driver-a", "pool": "pool-2",
                                      "device": "device-0"}]},
             "nodeSelector": {"nodeSelectorTerms": [{"matchFields": [
                 {"key": "metadata.name", "operator": "In", "values": ["node-2"]}]}]}}


def _state(reserved_for=()):
    kube = FakeKube()
    dra = LiveDra(kube)
    dra.event("DeviceClass", "ADDED", device_class("class-a"))
    dra.event("ResourceSlice", "ADDED", resource_slice("slice-1", [device("device-0")], node_name="node-1",
                                                       pool="pool-1"))
    allocated = claim("c", request("req-0"), allocation=ON_NODE_2)
    allocated["status"]["reservedFor"] = list(reserved_for)
    dra.event("ResourceClaim", "ADDED", allocated)
    nodes = [parse_node({"metadata": {"name": "node-1", "labels": {"kubernetes.io/hostname": "node-1"}},
                         "status": {"allocatable": {"cpu": "1", "pods": "10"}}})]
    pod = PodParser().parse({"metadata": {"name": "p", "namespace": "default", "uid": "uid-p"},
                             "spec": {"containers": [{"name": "c", "image": "x"}],
                                      "resourceClaims": [{"name": "r", "resourceClaimName": "c"}]}})
    return kube, dra, nodes, pod


def test_a_claim_allocated_for_another_node_is_deallocated_through_the_api():
    kube, dra, nodes, pod = _state()
    cluster = dra.cluster_for(nodes)
    claims = cluster.prefilter(pod)
    verdict, _, _ = cluster.verdicts(claims, [0])
    assert verdict == [NOT_AVAILABLE]
    freed = claim_to_deallocate(cluster, claims, verdict, [0])
    assert freed is not None and freed.key == "default/c"
    assert dra.deallocate(freed.key) is None
    [(method, path, body)] = kube.writes
    assert (method, path) == ("PUT", "/apis/resource.k8s.io/v1/namespaces/default/resourceclaims/c/status")
    assert body["status"] == {}
    # the next attempt: the claim is unallocated and gets node-1's device
    again = dra.cluster_for(nodes)
    claims = again.prefilter(pod)
    assert claims.to_allocate == [0]
    verdict, _, allocations = again.verdicts(claims, [0])
    assert verdict == [FITS]
    assert [r.device for r in allocations[0][0].results] == ["device-0"]


def test_a_claim_reserved_for_another_pod_stays_allocated():
    _, dra, nodes, pod = _state(reserved_for=[{"resource": "pods", "name": "other", "uid": "uid-other"}])
    cluster = dra.cluster_for(nodes)
    claims = cluster.prefilter(pod)
    verdict, _, _ = cluster.verdicts(claims, [0])
    assert claim_to_deallocate(cluster, claims, verdict, [0]) is None


def test_a_claim_reserved_only_for_this_pod_is_deallocated():
    _, dra, nodes, pod = _state(reserved_for=[{"resource": "pods", "name": "p", "uid": "uid-p"}])
    cluster = dra.cluster_for(nodes)
    claims = cluster.prefilter(pod)
    verdict, _, _ = cluster.verdicts(claims, [0])
    assert claim_to_deallocate(cluster, claims, verdict, [0]) is not None
