"""NodeVolumeLimits, ported from upstream's nodevolumelimits/csi_test.go (TestCSILimits and
TestVolumeLimitScalingGate): CSINode allocatable counts against the node's unique volumes."""

from .builders import filters_only, node
from .volume_builders import csi_driver, csi_node, pv, pvc, run, storage_class, volume_attachment, with_claims

MAX = "node(s) exceed max volume count"
ONLY = filters_only("NodeVolumeLimits")
EBS = "ebs.csi.aws.com"
CLASS = storage_class("csi-sc", mode="Immediate", provisioner=EBS)


def bound_claims(count: int, prefix: str = "c", driver: str = EBS) -> list[dict]:
    objects = []
    for i in range(count):
        objects += [pvc(f"{prefix}{i}", "csi-sc", bound=f"{prefix}-pv{i}"),
                    pv(f"{prefix}-pv{i}", "csi-sc", csi=(driver, f"{prefix}-handle{i}"))]
    return objects


def test_within_the_limit():
    objects = [CLASS, csi_node("n1", **{EBS: 4}), *bound_claims(4)]
    existing = [with_claims("c0", "c1", node="n1")]
    outcome = run([node("n1")], with_claims("c2", "c3"), objects, existing=existing, profile=ONLY)
    assert outcome.failed("n1") is None


def test_exceeds_the_limit():
    objects = [CLASS, csi_node("n1", **{EBS: 3}), *bound_claims(4)]
    existing = [with_claims("c0", "c1", node="n1")]
    outcome = run([node("n1")], with_claims("c2", "c3"), objects, existing=existing, profile=ONLY)
    assert outcome.reasons("n1") == [MAX]


def test_a_volume_already_attached_is_not_counted_twice():
    objects = [CLASS, csi_node("n1", **{EBS: 2}), *bound_claims(2)]
    existing = [with_claims("c0", "c1", node="n1")]
    outcome = run([node("n1")], with_claims("c0"), objects, existing=existing, profile=ONLY)
    assert outcome.failed("n1") is None


def test_unbound_claims_count_under_their_class_provisioner():
    objects = [CLASS, csi_node("n1", **{EBS: 1}), pvc("u0", "csi-sc"), pvc("u1", "csi-sc")]
    outcome = run([node("n1")], with_claims("u1"), objects, existing=[with_claims("u0", node="n1")], profile=ONLY)
    assert outcome.reasons("n1") == [MAX]


def test_other_drivers_and_nodes_without_csinode_are_not_limited():
    objects = [CLASS, csi_node("n1", **{"other.csi": 0}), *bound_claims(1)]
    outcome = run([node("n1"), node("n2")], with_claims("c0"), objects, profile=ONLY)
    assert outcome.verdicts() == {"n1": None, "n2": None}


def test_driver_missing_with_prevent_pod_scheduling_if_missing():
    objects = [CLASS, csi_driver(EBS, prevent_if_missing=True), csi_node("n1", **{EBS: None}), *bound_claims(1)]
    outcome = run([node("n1"), node("n2")], with_claims("c0"), objects, profile=ONLY)
    assert outcome.verdicts() == {"n1": None, "n2": "NodeVolumeLimits"}
    assert outcome.reasons("n2") == [f"{EBS} CSI driver is not installed on the node"]


def test_driver_missing_without_the_opt_in():
    objects = [CLASS, csi_driver(EBS), *bound_claims(1)]
    assert run([node("n1")], with_claims("c0"), objects, profile=ONLY).failed("n1") is None


# -- VolumeAttachments, in-tree volumes migrated to CSI, inline in-tree volumes ----------------
# Upstream's fixtures: a claim `csi-<driver>-<i>` bound to the PV of the same name, whose source
# is CSI (handle = its name), or awsElasticBlockStore for the in-tree plugin (volumeID = its
# name), or hostPath; the claim `csi-4` is unbound on the class `csi-sc` whose provisioner is
# the case's first driver.

IN_TREE = "kubernetes.io/aws-ebs"
HOSTPATH = "kubernetes.io/hostpath"


def fixtures(*drivers: str) -> list[dict]:
    objects = [storage_class("csi-sc", mode="Immediate", provisioner=drivers[0]), pvc("csi-4", "csi-sc")]
    for driver in drivers:
        for i in range(4):
            name = f"csi-{driver.replace('/', '.')}-{i}"
            if driver == IN_TREE:
                volume = pv(name, "", source={"awsElasticBlockStore": {"volumeID": name}})
            elif driver == HOSTPATH:
                volume = pv(name, "")
            else:
                volume = pv(name, "", csi=(driver, name))
            objects += [pvc(name, "", bound=name), volume]
    return objects


def limited(count: int | None, *drivers: str) -> dict:
    return csi_node("n1", **{d: count for d in drivers})


def ebs(*indices: int, name=None, node=None):
    return with_claims(*(f"csi-{EBS}-{i}" for i in indices), name=name, node=node)


def in_tree(*indices: int, name=None, node=None):
    return with_claims(*(f"csi-kubernetes.io.aws-ebs-{i}" for i in indices), name=name, node=node)


def inline(volume_id: str, node=None):
    return with_claims(node=node, extra=[{"name": "inline", "awsElasticBlockStore": {"volumeID": volume_id}}])


def attachments(count: int, driver: str = EBS, node: str = "n1") -> list[dict]:
    return [volume_attachment(f"va-{driver}-{j}", node, driver, f"csi-{driver}-{j}") for j in range(count)]


def test_volume_attachments_count_when_no_pods_exist():
    objects = [*fixtures(EBS), limited(2, EBS), *attachments(2)]
    assert run([node("n1")], ebs(0), objects, profile=ONLY).reasons("n1") == [MAX]


def test_volume_attachments_within_the_limit():
    objects = [*fixtures(EBS), limited(2, EBS), *attachments(1)]
    assert run([node("n1")], ebs(0), objects, profile=ONLY).failed("n1") is None


def test_in_tree_pvs_count_under_their_csi_driver():
    objects = [*fixtures(IN_TREE, EBS), limited(2, IN_TREE, EBS)]
    outcome = run([node("n1")], in_tree(0), objects, existing=[in_tree(1, 2, node="n1")], profile=ONLY)
    assert outcome.reasons("n1") == [MAX]


def test_inline_in_tree_volume_without_a_csinode():
    objects = fixtures(IN_TREE, EBS)
    outcome = run([node("n1")], inline("aws-inline1"), objects, existing=[in_tree(1, 2, node="n1")], profile=ONLY)
    assert outcome.failed("n1") is None


def test_unbound_claim_of_an_in_tree_class_counts_under_its_csi_driver():
    objects = [*fixtures(IN_TREE, EBS), limited(2, IN_TREE, EBS)]
    outcome = run([node("n1")], with_claims("csi-4"), objects, existing=[in_tree(1, 2, node="n1")], profile=ONLY)
    assert outcome.reasons("n1") == [MAX]


def test_in_tree_volumes_of_a_driver_without_limits():
    objects = [*fixtures(IN_TREE, EBS), limited(None, IN_TREE, EBS)]
    outcome = run([node("n1")], in_tree(0), objects, existing=[in_tree(1, 2, node="n1")], profile=ONLY)
    assert outcome.failed("n1") is None


def test_non_migratable_in_tree_volumes_are_not_counted():
    objects = [*fixtures(HOSTPATH, EBS), limited(2, HOSTPATH, EBS)]
    outcome = run([node("n1")], with_claims("csi-kubernetes.io.hostpath-0"), objects,
                  existing=[ebs(1, 2, node="n1")], profile=ONLY)
    assert outcome.failed("n1") is None


def test_inline_in_tree_volumes_count_with_a_csinode():
    objects = [*fixtures(IN_TREE, EBS), limited(2, IN_TREE, EBS)]
    outcome = run([node("n1")], inline("aws-inline1"), objects, existing=[in_tree(1, 2, node="n1")], profile=ONLY)
    assert outcome.reasons("n1") == [MAX]


def test_in_tree_and_csi_volumes_count_together():
    objects = [*fixtures(IN_TREE, EBS), limited(2, IN_TREE, EBS)]
    assert run([node("n1")], in_tree(0), objects, existing=[ebs(1, 2, node="n1")],
               profile=ONLY).reasons("n1") == [MAX]
    assert run([node("n1")], ebs(0), objects, existing=[in_tree(1, 2, node="n1")],
               profile=ONLY).reasons("n1") == [MAX]


def test_in_tree_inline_and_csi_volumes_count_together():
    objects = [*fixtures(IN_TREE, EBS), limited(3, IN_TREE, EBS)]
    existing = [ebs(1, 2, node="n1"), in_tree(0, node="n1")]
    assert run([node("n1")], inline("aws-inline1"), objects, existing=existing, profile=ONLY).reasons("n1") == [MAX]


def test_an_inline_volume_with_the_handle_of_an_attached_csi_volume_is_not_counted_twice():
    objects = [*fixtures(IN_TREE, EBS), limited(3, IN_TREE, EBS)]
    existing = [ebs(1, 2, node="n1"), in_tree(0, node="n1")]
    outcome = run([node("n1")], inline(f"csi-{EBS}-1"), objects, existing=existing, profile=ONLY)
    assert outcome.failed("n1") is None
