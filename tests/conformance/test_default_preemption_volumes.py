"""DefaultPreemption with volumes, as v1.37's plugins return their rejections.
VolumeRestrictions' disk and ReadWriteOncePod conflicts and NodeVolumeLimits' count (and its
missing driver) are plain Unschedulable: the dry run evicts the pods holding the disk, the
claim or the attachments, and VolumeRestrictions' AddPod/RemovePod (NodeVolumeLimits reads
the node's pods) sees them go. VolumeBinding's Filter and VolumeZone's conflict are
UnschedulableAndUnresolvable (pkg/scheduler/framework/plugins/volumebinding, volumezone).
The ReadWriteOncePod cases are rebuilt from upstream's TestReadWriteOncePodPreemption
(test/integration/scheduler/preemption/misc); each case is decided by the core and by the
pure-Python reference (tests.reference.preemption_reference) alike."""

from __future__ import annotations

from kubesched.preemption import PodOnNode, preempt
from tests.conformance.builders import node, pod, snapshot
from tests.conformance.volume_builders import (csi_driver, csi_node, objects_of, pv, pvc, storage_class,
                                               volume_attachment)
from tests.reference.preemption_reference import reference_preempt
from tests.reference.reference import ReferenceScheduler

ZONE = "topology.kubernetes.io/zone"
LOW, HIGH = 0, 1000
DISK = "node(s) had no available disk"
RWOP = ("node(s) unavailable due to PersistentVolumeClaim with ReadWriteOncePod access mode already in-use by "
        "another pod")
MAX = "node(s) exceed max volume count"
EBS = "ebs.csi.aws.com"
# Two ReadWriteOncePod claims bound to their PVs, as upstream's case has them.
RWOP_CLAIMS = [pvc("pvc-1", None, "1Mi", bound="pv-1", modes=("ReadWriteOncePod",)),
               pv("pv-1", "", "1Mi", modes=("ReadWriteOncePod",), claim="pvc-1", phase="Bound"),
               pvc("pvc-2", None, "1Mi", bound="pv-2", modes=("ReadWriteOncePod",)),
               pv("pv-2", "", "1Mi", modes=("ReadWriteOncePod",), claim="pvc-2", phase="Bound")]
GCE = {"gcePersistentDisk": {"pdName": "foo"}}


def _claims(*names: str) -> list[dict]:
    return [{"name": f"volume-{i}", "persistentVolumeClaim": {"claimName": c}} for i, c in enumerate(names)]


def _pod(name: str, priority: int, volumes: list, node_name: str | None = None):
    return pod(name, node=node_name, spec_fields={"priority": priority, "volumes": volumes})


def _summary(result) -> dict:
    return {"node": result.nominated_node, "victims": [p.name for p in result.victims],
            "message": result.message, "statuses": result.statuses,
            "candidates": [(c.node, [p.name for p in c.victims]) for c in result.candidates]}


def _preempt(nodes, existing, incoming, manifests=()):
    objects = objects_of(list(manifests), [incoming, *existing])
    cluster = snapshot(nodes, existing, objects=objects)
    assert cluster.evaluate(cluster.class_of(incoming))["feasible"] == 0
    before = cluster.usage()
    ours = preempt(cluster, incoming, [PodOnNode(p, p.node_name, 0) for p in existing], ())
    assert all((a == b).all() for a, b in zip(before, cluster.usage())), "the what-if changed the snapshot"
    reference = ReferenceScheduler(nodes, cluster.profile, list(existing), objects)
    theirs = reference_preempt(reference, incoming, start_times={p.key: 0 for p in existing})
    assert _summary(ours) == _summary(theirs)
    return ours


# -- ReadWriteOncePod (TestReadWriteOncePodPreemption) ------------------------------------

def test_the_pod_holding_a_read_write_once_pod_claim_is_preempted():
    existing = [_pod("victim-pod", LOW, _claims("pvc-1"), "node1")]
    result = _preempt([node("node1")], existing, _pod("preemptor-pod", HIGH, _claims("pvc-1")), RWOP_CLAIMS)
    assert result.nominated_node == "node1"
    assert [p.name for p in result.victims] == ["victim-pod"]
    assert result.message == "preemption: found a potential placement for pod on node node1, preempting 1 victims"


def test_two_pods_holding_the_claims_are_preempted():
    existing = [_pod("victim-pod-1", LOW, _claims("pvc-1"), "node1"),
                _pod("victim-pod-2", LOW, _claims("pvc-2"), "node1")]
    result = _preempt([node("node1")], existing, _pod("preemptor-pod", HIGH, _claims("pvc-1", "pvc-2")),
                      RWOP_CLAIMS)
    assert sorted(p.name for p in result.victims) == ["victim-pod-1", "victim-pod-2"]


def test_one_pod_holding_both_claims_is_preempted():
    existing = [_pod("victim-pod", LOW, _claims("pvc-1", "pvc-2"), "node1")]
    result = _preempt([node("node1")], existing, _pod("preemptor-pod", HIGH, _claims("pvc-1", "pvc-2")),
                      RWOP_CLAIMS)
    assert [p.name for p in result.victims] == ["victim-pod"]


def test_only_the_holder_is_a_victim_and_only_its_node_a_candidate():
    # The claim is in use cluster-wide: evicting node2's pods does not free it.
    existing = [_pod("holder", LOW, _claims("pvc-1"), "node1"), _pod("bystander", LOW, [], "node1"),
                _pod("other", LOW, [], "node2")]
    result = _preempt([node("node1"), node("node2")], existing, _pod("preemptor-pod", HIGH, _claims("pvc-1")),
                      RWOP_CLAIMS)
    assert result.nominated_node == "node1"
    assert [p.name for p in result.victims] == ["holder"]
    assert result.statuses == {"node2": [RWOP]}


def test_a_holder_of_the_same_priority_is_not_a_victim():
    existing = [_pod("holder", HIGH, _claims("pvc-1"), "node1"), _pod("other", LOW, [], "node2")]
    result = _preempt([node("node1"), node("node2")], existing, _pod("preemptor-pod", HIGH, _claims("pvc-1")),
                      RWOP_CLAIMS)
    assert result.nominated_node is None
    assert result.message == (f"preemption: 0/2 nodes are available: 1 No preemption victims found for incoming "
                              f"pod, 1 {RWOP}.")


# Upstream's count (volumerestrictions' conflictingPVCRefCount): PreFilter counts a claim in
# use once, however many pods use it; RemovePod subtracts each volume of an evicted pod that
# names one of the preemptor's ReadWriteOncePod claims, by name, in any namespace.

def test_evicting_one_of_two_users_of_the_claim_looks_enough():
    existing = [_pod("user-1", LOW, _claims("pvc-1"), "node1"), _pod("user-2", LOW, _claims("pvc-1"), "node2")]
    result = _preempt([node("node1"), node("node2")], existing, _pod("preemptor-pod", HIGH, _claims("pvc-1")),
                      RWOP_CLAIMS)
    assert result.nominated_node == "node1"
    assert [p.name for p in result.victims] == ["user-1"]


def test_a_claim_of_the_same_name_in_another_namespace_counts_as_the_claim():
    other = [pvc("pvc-1", None, "1Mi", bound="pv-other", modes=("ReadWriteOncePod",), namespace="team-a"),
             pv("pv-other", "", "1Mi", modes=("ReadWriteOncePod",), phase="Bound")]
    other[1]["spec"]["claimRef"] = {"namespace": "team-a", "name": "pvc-1"}
    existing = [_pod("holder", HIGH, _claims("pvc-1"), "node1"),
                pod("namesake", namespace="team-a", node="node2", spec_fields={"priority": LOW,
                                                                               "volumes": _claims("pvc-1")})]
    result = _preempt([node("node1"), node("node2")], existing, _pod("preemptor-pod", HIGH, _claims("pvc-1")),
                      RWOP_CLAIMS + other)
    assert result.nominated_node == "node2"
    assert [p.key for p in result.victims] == ["team-a/namesake"]


# -- in-tree disks --------------------------------------------------------------------------

def test_the_pod_mounting_the_disk_is_preempted_and_the_others_stay():
    existing = [_pod("disk-holder", LOW, [{"name": "disk", **GCE}], "node1"), _pod("bystander", LOW, [], "node1")]
    result = _preempt([node("node1")], existing, _pod("preemptor-pod", HIGH, [{"name": "disk", **GCE}]))
    assert result.nominated_node == "node1"
    assert [p.name for p in result.victims] == ["disk-holder"]


def test_a_disk_held_at_the_same_priority_cannot_be_freed():
    existing = [_pod("disk-holder", HIGH, [{"name": "disk", **GCE}], "node1"), _pod("bystander", LOW, [], "node1")]
    result = _preempt([node("node1")], existing, _pod("preemptor-pod", HIGH, [{"name": "disk", **GCE}]))
    assert result.nominated_node is None
    assert result.message == f"preemption: 0/1 nodes are available: 1 {DISK}."


# -- CSI attach limits ----------------------------------------------------------------------

def _csi_claims(count: int) -> list[dict]:
    objects = [storage_class("csi-sc", mode="Immediate", provisioner=EBS)]
    for i in range(count):
        objects += [pvc(f"c{i}", "csi-sc", bound=f"csi-pv{i}"), pv(f"csi-pv{i}", "csi-sc", csi=(EBS, f"handle{i}"))]
    return objects


def test_the_pod_holding_the_attachment_slot_is_preempted():
    manifests = [*_csi_claims(2), csi_node("node1", **{EBS: 1})]
    existing = [_pod("attached", LOW, _claims("c0"), "node1"), _pod("bystander", LOW, [], "node1")]
    result = _preempt([node("node1")], existing, _pod("preemptor-pod", HIGH, _claims("c1")), manifests)
    assert result.nominated_node == "node1"
    assert [p.name for p in result.victims] == ["attached"]


def test_a_slot_a_volume_attachment_holds_stays_taken_when_its_pod_goes():
    # CSILimits counts the node's VolumeAttachments besides its pods' volumes: with the
    # victim gone, its volume's attachment still takes the slot (the attach-detach controller
    # detaches it later), so evicting it does not help
    manifests = [*_csi_claims(2), csi_node("node1", **{EBS: 1}), volume_attachment("va-0", "node1", EBS, "csi-pv0")]
    existing = [_pod("attached", LOW, _claims("c0"), "node1"), _pod("bystander", LOW, [], "node1")]
    result = _preempt([node("node1")], existing, _pod("preemptor-pod", HIGH, _claims("c1")), manifests)
    assert result.nominated_node is None
    assert result.message == f"preemption: 0/1 nodes are available: 1 {MAX}."


def test_a_slot_held_at_the_same_priority_cannot_be_freed():
    manifests = [*_csi_claims(2), csi_node("node1", **{EBS: 1})]
    existing = [_pod("attached", HIGH, _claims("c0"), "node1"), _pod("bystander", LOW, [], "node1")]
    result = _preempt([node("node1")], existing, _pod("preemptor-pod", HIGH, _claims("c1")), manifests)
    assert result.nominated_node is None
    assert result.message == f"preemption: 0/1 nodes are available: 1 {MAX}."


def test_a_missing_csi_driver_is_tried_but_not_helped():
    # NodeVolumeLimits returns Unschedulable for it: the node is tried, and stays rejected.
    manifests = [*_csi_claims(1), csi_driver(EBS, prevent_if_missing=True), csi_node("node1", **{"other.csi": 1})]
    existing = [_pod("low", LOW, [], "node1")]
    result = _preempt([node("node1")], existing, _pod("preemptor-pod", HIGH, _claims("c0")), manifests)
    assert result.nominated_node is None
    assert result.message == f"preemption: 0/1 nodes are available: 1 {EBS} CSI driver is not installed on the node."


# -- unresolvable ---------------------------------------------------------------------------

def test_a_volume_zone_conflict_is_not_helped_by_preemption():
    claim = {"name": "data", "persistentVolumeClaim": {"claimName": "c"}}
    manifests = [pvc("c", bound="v"), pv("v", labels={ZONE: "zone-a"})]
    result = _preempt([node("n1", {ZONE: "zone-b"})], [_pod("low", 0, [], "n1")], _pod("high", 1000, [claim]),
                      manifests)
    assert result.nominated_node is None
    assert result.message == "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."


def test_a_persistent_volume_node_affinity_conflict_is_not_helped_by_preemption():
    claim = {"name": "data", "persistentVolumeClaim": {"claimName": "c"}}
    manifests = [pvc("c", bound="v"), pv("v", affinity={"kubernetes.io/hostname": ["elsewhere"]}, claim="c",
                                         phase="Bound")]
    result = _preempt([node("n1")], [_pod("low", 0, [], "n1")], _pod("high", 1000, [claim]), manifests)
    assert result.nominated_node is None
    assert result.message == "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
