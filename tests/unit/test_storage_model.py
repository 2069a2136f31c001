"""Storage objects read from manifests: records, defaults, validation, controller claims."""

import pytest

from kubesched.errors import InputError
from kubesched.model.cluster import _read
from kubesched.model.manifests import Manifest

NODE = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"},
        "status": {"allocatable": {"cpu": "1", "memory": "1Gi", "pods": "10"}}}
LOCAL = {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "local"},
         "provisioner": "kubernetes.io/no-provisioner", "volumeBindingMode": "WaitForFirstConsumer"}


def pv(name="pv1", **spec):
    base = {"capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteOnce"], "storageClassName": "local",
            "hostPath": {"path": "/tmp"}}
    return {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name}, "spec": {**base, **spec}}


def pvc(name="c1", **spec):
    base = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name, "namespace": "ns"},
            "spec": {**base, **spec}}


def read(*objects):
    return _read([Manifest(o, "in.yaml") for o in objects], lambda message: None)


def test_objects_become_records_with_api_defaults():
    cluster = read(NODE, LOCAL, pv(), pvc(storageClassName="local"))
    volume = cluster.storage.volumes["pv1"]
    assert (volume.capacity, volume.volume_mode, volume.phase) == (10 * 2**30, "Filesystem", "Available")
    claim = cluster.storage.claims["ns/c1"]
    assert (claim.request, claim.storage_class, claim.bound) == (2**30, "local", False)
    assert cluster.storage.classes["local"].binding_mode == "WaitForFirstConsumer"


def test_a_claim_without_class_gets_the_default_class():
    default = {**LOCAL, "metadata": {"name": "std", "annotations": {
        "storageclass.kubernetes.io/is-default-class": "true"}}}
    cluster = read(default, pvc(), pvc("c2", storageClassName=""))
    assert cluster.storage.claims["ns/c1"].storage_class == "std"
    assert cluster.storage.claims["ns/c2"].storage_class == ""  # "" asks for no class


@pytest.mark.parametrize("obj, field, message", [
    (pv(capacity={}), "spec.capacity[storage]", "Required value"),
    (pv(accessModes=[]), "spec.accessModes", "at least 1 access mode"),
    (pv(accessModes=["ReadWriteOncePod", "ReadWriteOnce"]), "spec.accessModes", "ReadWriteOncePod"),
    (pv(hostPath=None), "spec", "must specify a volume type"),
    (pv(hostPath=None, local={"path": "/x"}), "spec.nodeAffinity", "Local volume requires node affinity"),
    (pvc(resources={}), "spec.resources[storage]", "Required value"),
    (pvc(volumeMode="Raw"), "spec.volumeMode", "unsupported value"),
    ({**LOCAL, "volumeBindingMode": "Later"}, "volumeBindingMode", "unsupported value"),
    ({"apiVersion": "storage.k8s.io/v1", "kind": "CSINode", "metadata": {"name": "n1"},
      "spec": {"drivers": [{"name": "d", "allocatable": {"count": -1}}]}}, "spec.drivers[0].allocatable.count",
     "greater than or equal to 0"),
])
def test_invalid_objects_name_file_object_and_field(obj, field, message):
    with pytest.raises(InputError) as error:
        read(obj)
    text = str(error.value)
    assert field in text and message in text and "in.yaml" in text and obj["kind"] in text


def test_stateful_set_claims_come_from_its_templates():
    sts = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "web", "namespace": "ns"},
           "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                    "template": {"metadata": {"labels": {"app": "web"}},
                                 "spec": {"containers": [{"name": "c", "image": "x"}]}},
                    "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": pvc()["spec"]}]}}
    cluster = read(NODE, sts, pvc("data-web-1", storageClassName="kept"))
    assert [v.claim for p in cluster.pending_pods for v in p.spec.volumes] == ["data-web-0", "data-web-1"]
    assert cluster.storage.claims["ns/data-web-0"].storage_class == ""
    assert cluster.storage.claims["ns/data-web-1"].storage_class == "kept"  # the input's claim wins


def test_ephemeral_volumes_become_claims_owned_by_the_pod():
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns", "uid": "u1"},
           "spec": {"containers": [{"name": "c", "image": "x"}],
                    "volumes": [{"name": "scratch", "ephemeral": {"volumeClaimTemplate": {"spec": pvc()["spec"]}}}]}}
    cluster = read(NODE, pod)
    claim = cluster.storage.claims["ns/p-scratch"]
    assert (claim.owner_kind, claim.owner_name, claim.owner_uid) == ("Pod", "p", "u1")
    assert cluster.pending_pods[0].spec.volumes[0].claim_name("p") == "p-scratch"


def test_simulate_says_which_pv_a_claim_binds_or_where_it_is_provisioned(tmp_path):
    import json

    import yaml
    from click.testing import CliRunner

    from kubesched.cli import main

    csi = {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "csi"},
           "provisioner": "csi.example.com", "volumeBindingMode": "WaitForFirstConsumer"}
    local_pv = pv("pv-local", hostPath=None, local={"path": "/d"}, nodeAffinity={"required": {
        "nodeSelectorTerms": [{"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In",
                                                     "values": ["n1"]}]}]}})
    node = {**NODE, "metadata": {"name": "n1", "labels": {"kubernetes.io/hostname": "n1"}}}
    pods = [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "ns"},
             "spec": {"containers": [{"name": "c", "image": "x"}],
                      "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": claim}}]}}
            for name, claim in (("static", "c1"), ("dynamic", "c2"))]
    objects = [node, LOCAL, csi, local_pv, pvc(storageClassName="local"), pvc("c2", storageClassName="csi"), *pods]
    path = tmp_path / "in.yaml"
    path.write_text(yaml.safe_dump_all(objects))
    result = CliRunner().invoke(main, ["simulate", "-f", str(path), "-o", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    placements = {p["pod"]: p for p in json.loads(result.output)["placements"]}
    assert placements["ns/static"]["volumes"] == [{"claim": "ns/c1", "volume": "pv-local"}]
    assert placements["ns/dynamic"]["volumes"] == [{"claim": "ns/c2", "provisionedOn": "n1"}]
