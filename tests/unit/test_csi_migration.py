"""The CSI (driver, volumeHandle) of in-tree sources, rebuilt from csi-translation-lib's tests
(TestKubernetesVolumeIDToEBSVolumeID, TestTranslateInTreePVToCSIVolIDFmt) and the
translators' handles; and how the manifests' PVs and pod volumes carry it."""

import pytest

from kubesched.model.csi_migration import ebs_volume_id, translated_source
from kubesched.model.pod_volumes import parse_pod_volumes
from kubesched.model.storage import parse_persistent_volume, parse_volume_attachment
from kubesched.errors import InputError

VOLUME = "vol-02399794d890f9375"


@pytest.mark.parametrize("given, expected", [
    (VOLUME, VOLUME), (f"aws:///{VOLUME}", VOLUME), (f"aws://us-west-2a/{VOLUME}", VOLUME),
    ("aws://us-west-2a/02399794d890f9375", None)])
def test_ebs_volume_ids(given, expected):
    assert ebs_volume_id(given) == expected


@pytest.mark.parametrize("labels, handle", [
    ({"failure-domain.beta.kubernetes.io/zone": "us-east1-a"}, "projects/UNSPECIFIED/zones/us-east1-a/disks/pd-name"),
    ({"topology.kubernetes.io/zone": "us-east1-a"}, "projects/UNSPECIFIED/zones/us-east1-a/disks/pd-name"),
    ({"failure-domain.beta.kubernetes.io/zone": "us-central1-a__us-central1-c"},
     "projects/UNSPECIFIED/regions/us-central1/disks/pd-name"),
    ({"topology.kubernetes.io/zone": "us-central1-a__us-central1-c"},
     "projects/UNSPECIFIED/regions/us-central1/disks/pd-name"),
    ({}, "projects/UNSPECIFIED/zones/UNSPECIFIED/disks/pd-name"),
    ({"topology.kubernetes.io/zone": "us-central1-a__us-east1-b"}, None)])
def test_gce_pd_handles(labels, handle):
    found = translated_source({"gcePersistentDisk": {"pdName": "pd-name"}}, labels)
    assert found == (None if handle is None else ("pd.csi.storage.gke.io", handle))


def test_inline_gce_pd_has_no_zone():
    assert translated_source({"gcePersistentDisk": {"pdName": "pd"}}, None) == (
        "pd.csi.storage.gke.io", "projects/UNSPECIFIED/zones/UNSPECIFIED/disks/pd")


@pytest.mark.parametrize("source, expected", [
    ({"azureDisk": {"diskURI": "/subscriptions/x/d"}}, ("disk.csi.azure.com", "/subscriptions/x/d")),
    ({"azureDisk": {"diskURI": "/subscriptions/x/d", "kind": "managed"}}, ("disk.csi.azure.com", "/subscriptions/x/d")),
    ({"azureDisk": {"diskURI": "https://a/b.vhd", "kind": "Dedicated"}}, None),
    ({"cinder": {"volumeID": "c-1"}}, ("cinder.csi.openstack.org", "c-1")),
    ({"portworxVolume": {"volumeID": "p-1"}}, ("pxd.portworx.com", "p-1")),
    ({"vsphereVolume": {"volumePath": "[ds] d"}}, None), ({"azureFile": {"shareName": "s"}}, None),
    ({"hostPath": {"path": "/tmp"}}, None)])
def test_other_sources(source, expected):
    assert translated_source(source, {}) == expected


def test_pvs_and_pod_volumes_carry_the_translation():
    volume = parse_persistent_volume({"metadata": {"name": "p"}, "spec": {
        "capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "awsElasticBlockStore": {"volumeID": VOLUME}}})
    assert volume.in_tree == ("ebs.csi.aws.com", VOLUME) and volume.csi is None
    (inline, claim) = parse_pod_volumes([{"name": "a", "cinder": {"volumeID": "c-1"}},
                                         {"name": "b", "persistentVolumeClaim": {"claimName": "c"}}])
    assert inline.in_tree == ("cinder.csi.openstack.org", "c-1") and claim.in_tree is None


def test_volume_attachments_are_validated():
    base = {"metadata": {"name": "va"}, "spec": {"attacher": "ebs.csi.aws.com", "nodeName": "n1",
                                                  "source": {"persistentVolumeName": "p"}}}
    assert parse_volume_attachment(base).volume == "p"
    assert parse_volume_attachment({**base, "spec": {**base["spec"], "attacher": "EBS.csi.aws.com"}})
    for spec, field in (({"nodeName": "n1", "source": {"persistentVolumeName": "p"}}, "spec.attacher"),
                        ({"attacher": "a", "source": {"persistentVolumeName": "p"}}, "spec.nodeName"),
                        ({"attacher": "a", "nodeName": "n1", "source": {}}, "spec.source"),
                        ({"attacher": "a", "nodeName": "n1", "source": {"persistentVolumeName": "p",
                                                                        "inlineVolumeSpec": {}}}, "spec.source"),
                        ({"attacher": "a", "nodeName": "n1", "source": {"persistentVolumeName": ""}},
                         "spec.source.persistentVolumeName"),
                        ({"attacher": "not a driver", "nodeName": "n1", "source": {"persistentVolumeName": "p"}},
                         "spec.attacher"),
                        ({"attacher": "d" * 64, "nodeName": "n1", "source": {"persistentVolumeName": "p"}},
                         "spec.attacher"),
                        ({"attacher": "a", "nodeName": "N_1", "source": {"persistentVolumeName": "p"}},
                         "spec.nodeName")):
        with pytest.raises(InputError) as error:
            parse_volume_attachment({"metadata": {"name": "va"}, "spec": spec})
        assert error.value.field == field
