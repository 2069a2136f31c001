"""`kubesched run` counts the VolumeAttachments its informers list: of two nodes whose
CSINode allows one and two volumes of the driver, each with an attachment, a pod with a
claim fits only the second; the next pod fits nowhere and gets NodeVolumeLimits' message.
(No controller manager: nothing detaches.)"""

from __future__ import annotations

import uuid

import pytest

from tests.integration.live_fixtures import (  # noqa: F401 (fixtures)
    create_pod, group_node, live_kube, live_plane, namespace, pod, scheduled_condition, scheduler_name,
    start_scheduler, wait_decided)

pytestmark = pytest.mark.integration

DRIVER = "ebs.csi.aws.com"
GROUP = "volume-limits-test-group"
STORAGE = "/apis/storage.k8s.io/v1"


def _csi_pv(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name},
            "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "storageClassName": "",
                     "persistentVolumeReclaimPolicy": "Retain", "csi": {"driver": DRIVER, "volumeHandle": name}}}


def _bound_claim(name: str, volume: str) -> dict:
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": name, "annotations": {"pv.kubernetes.io/bind-completed": "yes"}},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
                     "storageClassName": "", "volumeName": volume}}


def _attachment(name: str, node: str, volume: str) -> dict:
    return {"apiVersion": "storage.k8s.io/v1", "kind": "VolumeAttachment", "metadata": {"name": name},
            "spec": {"attacher": DRIVER, "nodeName": node, "source": {"persistentVolumeName": volume}}}


def test_run_counts_volume_attachments(live_kube, live_plane, namespace, scheduler_name, start_scheduler):
    kube = live_kube
    suffix = uuid.uuid4().hex[:6]
    nodes = [f"limits-{suffix}-{i}" for i in range(2)]
    for name, limit in zip(nodes, (1, 2)):
        kube.request("POST", "/api/v1/nodes", group_node(name, suffix, group_label=GROUP))
        kube.request("POST", f"{STORAGE}/csinodes", {
            "apiVersion": "storage.k8s.io/v1", "kind": "CSINode", "metadata": {"name": name},
            "spec": {"drivers": [{"name": DRIVER, "nodeID": name, "allocatable": {"count": limit}}]}})
    volumes = [f"limits-{suffix}-pv-{i}" for i in range(4)]
    for volume in volumes:
        kube.request("POST", "/api/v1/persistentvolumes", _csi_pv(volume))
    for i in (0, 1):
        kube.request("POST", f"/api/v1/namespaces/{namespace}/persistentvolumeclaims",
                     _bound_claim(f"data-{i}", volumes[i]))
    for node, volume in zip(nodes, volumes[2:]):
        kube.request("POST", f"{STORAGE}/volumeattachments", _attachment(f"{volume}-on-{node}", node, volume))
    start_scheduler(live_plane.kubeconfig, scheduler_name)

    def claim_pod(name: str, claim: str) -> dict:
        return pod(name, scheduler_name, nodeSelector={GROUP: suffix},
                   volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": claim}}])

    create_pod(kube, namespace, claim_pod("first", "data-0"))
    assert wait_decided(kube, namespace, "first", timeout=120)["spec"].get("nodeName") == nodes[1]
    create_pod(kube, namespace, claim_pod("second", "data-1"))
    decided = wait_decided(kube, namespace, "second", timeout=120)
    assert not decided["spec"].get("nodeName")
    assert "2 node(s) exceed max volume count" in scheduled_condition(decided)["message"]
