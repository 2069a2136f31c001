"""`plan nodes` with volumes: new nodes only take pods whose volumes can follow them there.
Local static PVs exist only on the nodes they were made for (a StatefulSet on them cannot
use new nodes); dynamic provisioning with allowedTopologies can, in the allowed zones; a
template's CSINode limits how many CSI volumes its nodes attach."""

from __future__ import annotations

from collections import Counter

from tests.unit.test_plan_nodes import node, plan, pod_spec

ZONE = "topology.kubernetes.io/zone"
HOSTNAME = "kubernetes.io/hostname"


def storage_class(name, provisioner, zones=None):
    obj = {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": name},
           "provisioner": provisioner, "volumeBindingMode": "WaitForFirstConsumer"}
    if zones:
        obj["allowedTopologies"] = [{"matchLabelExpressions": [{"key": ZONE, "values": zones}]}]
    return obj


def local_pv(name, node_name):
    return {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name}, "spec": {
        "capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteOnce"], "storageClassName": "local",
        "local": {"path": "/mnt"}, "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
            {"key": HOSTNAME, "operator": "In", "values": [node_name]}]}]}}}}


def replicas(count, storage_class_name, cpu="3"):
    """A StatefulSet's pods and their claims, as the controller makes them."""
    objects = []
    for k in range(count):
        objects.append({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                        "metadata": {"name": f"data-web-{k}", "namespace": "default"},
                        "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": storage_class_name,
                                 "resources": {"requests": {"storage": "5Gi"}}}})
        objects.append({"apiVersion": "v1", "kind": "Pod", "metadata": {
            "name": f"web-{k}", "namespace": "default",
            "labels": {"app": "web", "statefulset.kubernetes.io/pod-name": f"web-{k}"}},
            "spec": pod_spec(cpu=cpu, volumes=[{"name": "data", "persistentVolumeClaim": {
                "claimName": f"data-web-{k}"}}])})
    return objects


def test_a_stateful_set_on_local_pvs_cannot_use_new_nodes(tmp_path):
    cluster = [node("old-0", cpu="4"), node("old-1", cpu="4"), storage_class("local", "kubernetes.io/no-provisioner"),
               local_pv("pv-0", "old-0"), local_pv("pv-1", "old-1")]
    result, data = plan(tmp_path, replicas(3, "local"), [node("big", cpu="16")], cluster=cluster)
    assert result.exit_code == 1, result.output
    placed = {p["pod"]: p["node"] for p in data["placements"]}
    assert sorted(placed.values()) == ["old-0", "old-1"]  # each on the node of a PV
    assert data["nodeCount"] == 0  # a new node would have no PV for the third
    (unplaced,) = data["unschedulable"]
    assert "didn't find available persistent volumes to bind" in unplaced["message"]
    assert "new nodes come without PersistentVolumes" in unplaced["message"]


def test_dynamic_provisioning_lands_on_new_nodes_of_the_allowed_zone(tmp_path):
    cluster = [storage_class("zonal", "csi.example.com", zones=["z1"])]
    templates = [node("in-z2", cpu="16", labels={ZONE: "z2"}, cost="1"),
                 node("in-z1", cpu="16", labels={ZONE: "z1"}, cost="2")]
    result, data = plan(tmp_path, replicas(4, "zonal"), templates, cluster=cluster)
    assert result.exit_code == 0, result.output
    assert data["byTemplate"] == {"in-z2": 0, "in-z1": 1}  # the cheaper template is in the wrong zone
    assert len(data["placements"]) == 4 and not data["unschedulable"]


def test_a_templates_csi_node_limits_the_volumes_its_nodes_attach(tmp_path):
    cluster = [storage_class("csi", "csi.example.com")]
    templates = [node("t", cpu="16"),
                 {"apiVersion": "storage.k8s.io/v1", "kind": "CSINode", "metadata": {"name": "t"},
                  "spec": {"drivers": [{"name": "csi.example.com", "nodeID": "t", "allocatable": {"count": 2}}]}}]
    result, data = plan(tmp_path, replicas(5, "csi", cpu="1"), templates, cluster=cluster)
    assert result.exit_code == 0, result.output
    per_node = Counter(p["node"] for p in data["placements"])
    assert len(per_node) == 3 and max(per_node.values()) == 2  # 2 volumes a node: 3 nodes for 5 pods
