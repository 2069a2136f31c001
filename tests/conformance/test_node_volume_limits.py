"""NodeVolumeLimits, ported from upstream's nodevolumelimits/csi_test.go (TestCSILimits and
TestVolumeLimitScalingGate): CSINode allocatable counts against the node's unique volumes."""

from .builders import filters_only, node
from .volume_builders import csi_driver, csi_node, pv, pvc, run, storage_class, with_claims

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
