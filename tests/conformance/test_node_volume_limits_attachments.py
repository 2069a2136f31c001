"""NodeVolumeLimits beyond upstream's table: which VolumeAttachments count and how they meet
the pods' volumes, which in-tree sources count under which CSI driver (csi.go's
getNodeVolumeAttachmentInfo, getCSIDriverInfo, isCSIMigrationOn; csi-translation-lib)."""

from .builders import filters_only, node
from .volume_builders import csi_driver, csi_node, pv, pvc, run, storage_class, volume_attachment, with_claims

MAX = "node(s) exceed max volume count"
ONLY = filters_only("NodeVolumeLimits")
EBS = "ebs.csi.aws.com"
PD = "pd.csi.storage.gke.io"


def bound(name: str, **pv_fields) -> list[dict]:
    return [pvc(name, "", bound=f"{name}-pv"), pv(f"{name}-pv", "", **pv_fields)]


def test_an_attachment_of_a_volume_a_pod_on_the_node_uses_counts_once():
    objects = [csi_node("n1", **{EBS: 2}), *bound("a", csi=(EBS, "h-a")), *bound("b", csi=(EBS, "h-b")),
               volume_attachment("va-a", "n1", EBS, "a-pv", attached=True)]
    outcome = run([node("n1")], with_claims("b"), objects, existing=[with_claims("a", node="n1")], profile=ONLY)
    assert outcome.failed("n1") is None


def test_attachments_count_on_their_node_only_and_whether_attached_or_not():
    objects = [csi_node("n1", **{EBS: 1}), csi_node("n2", **{EBS: 1}), *bound("a", csi=(EBS, "h-a")),
               *bound("b", csi=(EBS, "h-b")), volume_attachment("va-a", "n1", EBS, "a-pv", attached=False)]
    outcome = run([node("n1"), node("n2")], with_claims("b"), objects, profile=ONLY)
    assert outcome.verdicts() == {"n1": "NodeVolumeLimits", "n2": None}


def test_two_attachments_of_one_volume_count_once():
    objects = [csi_node("n1", **{EBS: 2}), *bound("a", csi=(EBS, "h-a")), *bound("b", csi=(EBS, "h-b")),
               volume_attachment("va-1", "n1", EBS, "a-pv"), volume_attachment("va-2", "n1", EBS, "a-pv")]
    assert run([node("n1")], with_claims("b"), objects, profile=ONLY).failed("n1") is None


def test_the_new_pods_own_attached_volume_counts_twice():
    # upstream takes the pods' volumes off the attachments, not the new pod's
    objects = [csi_node("n1", **{EBS: 1}), *bound("a", csi=(EBS, "h-a")), volume_attachment("va-a", "n1", EBS, "a-pv")]
    assert run([node("n1")], with_claims("a"), objects, profile=ONLY).reasons("n1") == [MAX]


def test_attachments_of_missing_non_csi_or_inline_volumes_do_not_count():
    objects = [csi_node("n1", **{EBS: 1}), *bound("b", csi=(EBS, "h-b")),
               *bound("t", source={"awsElasticBlockStore": {"volumeID": "vol-1"}}),
               volume_attachment("va-missing", "n1", EBS, "nowhere"), volume_attachment("va-tree", "n1", EBS, "t-pv"),
               volume_attachment("va-inline", "n1", EBS)]
    assert run([node("n1")], with_claims("b"), objects, profile=ONLY).failed("n1") is None


def test_an_attachment_counts_under_its_attacher():
    objects = [csi_node("n1", **{EBS: 1, PD: 1}), *bound("a", csi=(PD, "h-a")), *bound("b", csi=(EBS, "h-b")),
               volume_attachment("va-a", "n1", EBS, "a-pv")]
    assert run([node("n1")], with_claims("b"), objects, profile=ONLY).reasons("n1") == [MAX]


def test_a_gce_pd_counts_with_the_handle_its_zone_gives():
    handle = "projects/UNSPECIFIED/zones/us-central1-a/disks/disk-1"
    objects = [csi_node("n1", **{PD: 1}), *bound("csi", csi=(PD, handle)),
               *bound("pd", source={"gcePersistentDisk": {"pdName": "disk-1"}},
                      labels={"topology.kubernetes.io/zone": "us-central1-a"})]
    outcome = run([node("n1")], with_claims("pd"), objects, existing=[with_claims("csi", node="n1")], profile=ONLY)
    assert outcome.failed("n1") is None
    inline = with_claims(extra=[{"name": "pd", "gcePersistentDisk": {"pdName": "disk-1"}}])
    assert run([node("n1")], inline, objects, existing=[with_claims("csi", node="n1")],
               profile=ONLY).reasons("n1") == [MAX]


def test_an_aws_url_counts_as_its_volume_id():
    objects = [csi_node("n1", **{EBS: 1}), *bound("csi", csi=(EBS, "vol-0abc")),
               *bound("tree", source={"awsElasticBlockStore": {"volumeID": "aws://us-east-1a/vol-0abc"}})]
    outcome = run([node("n1")], with_claims("tree"), objects, existing=[with_claims("csi", node="n1")], profile=ONLY)
    assert outcome.failed("n1") is None


def test_untranslatable_and_uncounted_in_tree_volumes():
    disk = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/disks/d"
    objects = [csi_node("n1", **{"disk.csi.azure.com": 0, "csi.vsphere.vmware.com": 0, EBS: 0}),
               *bound("blob", source={"azureDisk": {"diskName": "d", "diskURI": "https://a.blob.core.windows.net/c/d.vhd",
                                                    "kind": "Shared"}}),
               *bound("bad", source={"awsElasticBlockStore": {"volumeID": "aws://us-east-1a/not-a-volume"}}),
               *bound("vsphere", source={"vsphereVolume": {"volumePath": "[ds] d.vmdk"}}),
               storage_class("vsphere-sc", mode="Immediate", provisioner="kubernetes.io/vsphere-volume"),
               pvc("pending", "vsphere-sc")]
    pod = with_claims("blob", "bad", "vsphere", "pending")
    assert run([node("n1")], pod, objects, profile=ONLY).failed("n1") is None
    managed = with_claims(extra=[{"name": "az", "azureDisk": {"diskName": "d", "diskURI": disk, "kind": "Managed"}}])
    assert run([node("n1")], managed, objects, profile=ONLY).reasons("n1") == [MAX]


def test_in_tree_volumes_on_a_node_without_csinode_skip_the_driver_check():
    objects = [csi_driver(EBS, prevent_if_missing=True), csi_node("n1"),
               *bound("tree", source={"awsElasticBlockStore": {"volumeID": "vol-1"}})]
    outcome = run([node("n1"), node("n2")], with_claims("tree"), objects, profile=ONLY)
    assert outcome.verdicts() == {"n1": "NodeVolumeLimits", "n2": None}
    assert outcome.reasons("n1") == [f"{EBS} CSI driver is not installed on the node"]
    csi = [csi_driver(EBS, prevent_if_missing=True), *bound("c", csi=(EBS, "h"))]
    assert run([node("n2")], with_claims("c"), csi, profile=ONLY).reasons("n2") == [
        f"{EBS} CSI driver is not installed on the node"]
