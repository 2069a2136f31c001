"""A pod with both a resource claim and a PersistentVolumeClaim: DynamicResources and the
volume plugins decide it together, offline (the DRA path compiles the volume verdicts too)."""

from __future__ import annotations

import yaml

from kubesched.framework.profile import Profile
from kubesched.model.cluster import read_cluster
from kubesched.sim.simulate import simulate


def _node(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
            "status": {"allocatable": {"cpu": "8", "memory": "32Gi", "pods": "110"}}}


def _slice(node: str) -> dict:
    return {"apiVersion": "resource.k8s.io/v1", "kind": "ResourceSlice", "metadata": {"name": f"{node}-gpus"},
            "spec": {"driver": "gpu.example.com", "nodeName": node,
                     "pool": {"name": node, "generation": 1, "resourceSliceCount": 1},
                     "devices": [{"name": "gpu-0"}]}}


OBJECTS = [
    _node("n1"), _node("n2"), _slice("n1"), _slice("n2"),
    {"apiVersion": "resource.k8s.io/v1", "kind": "DeviceClass", "metadata": {"name": "gpu"},
     "spec": {"selectors": [{"cel": {"expression": 'device.driver == "gpu.example.com"'}}]}},
    {"apiVersion": "resource.k8s.io/v1", "kind": "ResourceClaim", "metadata": {"name": "one-gpu", "namespace": "default"},
     "spec": {"devices": {"requests": [{"name": "gpu", "exactly": {"deviceClassName": "gpu"}}]}}},
    {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "local"},
     "provisioner": "kubernetes.io/no-provisioner", "volumeBindingMode": "WaitForFirstConsumer"},
    {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "pv-n2"},
     "spec": {"capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteOnce"], "storageClassName": "local",
              "local": {"path": "/mnt/disks/a"},
              "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                  {"key": "kubernetes.io/hostname", "operator": "In", "values": ["n2"]}]}]}}}},
    {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data", "namespace": "default"},
     "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "local",
              "resources": {"requests": {"storage": "5Gi"}}}},
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "train", "namespace": "default"},
     "spec": {"containers": [{"name": "c", "image": "x", "resources": {"claims": [{"name": "gpu"}]}}],
              "resourceClaims": [{"name": "gpu", "resourceClaimName": "one-gpu"}],
              "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]}},
]


def test_the_pods_volume_decides_among_the_nodes_with_devices(tmp_path):
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump_all(OBJECTS))
    cluster = read_cluster([str(path)], warn=lambda message: None)
    (placement,) = simulate(cluster, {"default-scheduler": Profile()}).placements
    # Both nodes have a free GPU; only n2 has the PV the claim can bind.
    assert placement.node == "n2"
    assert placement.volumes == [{"claim": "default/data", "volume": "pv-n2"}]
    assert [d["device"] for c in placement.claims for d in c["devices"]] == ["gpu-0"]
