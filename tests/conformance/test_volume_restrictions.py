"""VolumeRestrictions, ported from upstream's volumerestrictions/volume_restrictions_test.go:
in-tree disks mounted twice (GCE PD, EBS, RBD, iSCSI) and ReadWriteOncePod claims in use."""

import pytest

from .builders import filters_only, node, pod
from .volume_builders import message, pvc, run, with_claims

DISK = "node(s) had no available disk"
RWOP = ("node(s) unavailable due to PersistentVolumeClaim with ReadWriteOncePod access mode already in-use by "
        "another pod")
ONLY = filters_only("VolumeRestrictions")


def with_disk(volume: dict, node_name: str | None = None):
    return pod(node=node_name, spec_fields={"volumes": [{"name": "disk", **volume}]})


GCE = {"gcePersistentDisk": {"pdName": "foo"}}
AWS = {"awsElasticBlockStore": {"volumeID": "foo"}}
ISCSI = {"iscsi": {"targetPortal": "127.0.0.1:3260", "iqn": "iqn.2016-12.server:storage.target01", "lun": 0}}
RBD = {"rbd": {"monitors": ["a", "b"], "pool": "foo", "image": "bar"}}

CASES = [
    # (case, incoming volume, existing volume on the node, conflict?)
    ("gce same state", GCE, GCE, True),
    ("gce different state", GCE, {"gcePersistentDisk": {"pdName": "bar"}}, False),
    ("gce both read-only", {"gcePersistentDisk": {"pdName": "foo", "readOnly": True}},
     {"gcePersistentDisk": {"pdName": "foo", "readOnly": True}}, False),
    ("aws same state", AWS, AWS, True),
    ("aws both read-only still conflict", {"awsElasticBlockStore": {"volumeID": "foo", "readOnly": True}},
     {"awsElasticBlockStore": {"volumeID": "foo", "readOnly": True}}, True),
    ("aws different state", AWS, {"awsElasticBlockStore": {"volumeID": "bar"}}, False),
    ("rbd same state", RBD, RBD, True),
    ("rbd different monitors", RBD, {"rbd": {"monitors": ["c", "d"], "pool": "foo", "image": "bar"}}, False),
    ("rbd different image", RBD, {"rbd": {"monitors": ["a", "b"], "pool": "foo", "image": "baz"}}, False),
    ("iscsi same state", ISCSI, ISCSI, True),
    ("iscsi different state", ISCSI,
     {"iscsi": {"targetPortal": "127.0.0.1:3260", "iqn": "iqn.2017-12.server:storage.target01", "lun": 0}}, False),
]


@pytest.mark.parametrize("name, incoming, existing, conflict", CASES, ids=[c[0] for c in CASES])
def test_disk_conflicts(name, incoming, existing, conflict):
    outcome = run([node("n1")], with_disk(incoming), [], existing=[with_disk(existing, "n1")], profile=ONLY)
    assert outcome.failed("n1") == ("VolumeRestrictions" if conflict else None)
    assert outcome.reasons("n1") == ([DISK] if conflict else [])


def test_a_volume_without_restrictions_passes():
    outcome = run([node("n1")], with_disk({"emptyDir": {}}), [], existing=[with_disk({"emptyDir": {}}, "n1")],
                  profile=ONLY)
    assert outcome.failed("n1") is None


RWOP_1 = pvc("claim-with-rwop-1", modes=("ReadWriteOncePod",))
RWOP_2 = pvc("claim-with-rwop-2", modes=("ReadWriteOncePod",))
RWX = pvc("claim-with-rwx", modes=("ReadWriteMany",))


def test_failed_to_get_pvc():
    assert message([node("n1")], with_claims("claim-with-rwop-1"), [], profile=ONLY) == \
        '0/1 nodes are available: persistentvolumeclaim "claim-with-rwop-1" not found. not found'


def test_no_access_mode_conflict():
    outcome = run([node("n1")], with_claims("claim-with-rwop-1"), [RWOP_1, RWX],
                  existing=[with_claims("claim-with-rwx", node="n1")], profile=ONLY)
    assert outcome.failed("n1") is None


@pytest.mark.parametrize("claims", [("claim-with-rwop-1",), ("claim-with-rwop-1", "claim-with-rwop-2")])
def test_access_mode_conflict_on_every_node(claims):
    existing = [with_claims(*claims, node="n1"), with_claims("claim-with-rwx", node="n1")]
    outcome = run([node("n1"), node("n2")], with_claims(*claims), [RWOP_1, RWOP_2, RWX], existing=existing,
                  profile=ONLY)
    assert outcome.verdicts() == {"n1": "VolumeRestrictions", "n2": "VolumeRestrictions"}
    assert outcome.reasons("n2") == [RWOP]
