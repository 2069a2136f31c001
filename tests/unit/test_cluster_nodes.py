"""The fake nodes' manifests and the command lines of the components."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubesched.cluster import components
from kubesched.cluster.nodes import KWOK_TAINT, NodeShape, is_quantity, node_manifest, parse_taints

pytestmark = pytest.mark.unit


def test_node_manifest_has_kwok_markers_zone_and_allocatable():
    node = node_manifest(4, NodeShape(cpu="8", memory="16Gi", pods=50, zones=3))
    metadata = node["metadata"]
    assert metadata["name"] == "kwok-node-4"
    assert metadata["labels"]["kubernetes.io/hostname"] == "kwok-node-4"
    assert metadata["labels"]["topology.kubernetes.io/zone"] == "zone-1"
    assert metadata["annotations"]["kwok.x-k8s.io/node"] == "fake"
    assert node["spec"]["taints"] == []  # examples schedule without tolerations
    assert node["status"]["allocatable"] == {"cpu": "8", "memory": "16Gi", "pods": "50"}


def test_node_taints_when_asked():
    taints = parse_taints("kwok, dedicated=gpu:NoSchedule,spot:PreferNoSchedule")
    assert taints == (KWOK_TAINT, {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"},
                      {"key": "spot", "effect": "PreferNoSchedule"})
    assert node_manifest(0, NodeShape(taints=taints))["spec"]["taints"] == list(taints)
    assert parse_taints("") == ()
    with pytest.raises(ValueError, match="'dedicated=gpu' is not a taint"):
        parse_taints("dedicated=gpu")


def test_zones_are_round_robin():
    zones = [node_manifest(i, NodeShape(zones=2))["metadata"]["labels"]
             ["topology.kubernetes.io/zone"] for i in range(4)]
    assert zones == ["zone-0", "zone-1", "zone-0", "zone-1"]


@pytest.mark.parametrize("text, valid", [
    ("4", True), ("500m", True), ("32Gi", True), ("1.5", True), ("1e3", True),
    ("", False), ("-1", False), ("4 cores", False), ("32GB", False)])
def test_quantities(text, valid):
    assert is_quantity(text) is valid


def test_ports_are_distinct():
    ports = components.Ports.free()
    values = [ports.etcd_client, ports.etcd_peer, ports.apiserver, ports.kube_scheduler,
              ports.kube_controller_manager, ports.kwok]
    assert len(set(values)) == len(values)


def test_request_limits_are_off_and_service_account_admission_needs_the_manager(tmp_path):
    layout = components.Layout(tmp_path)
    ports = components.Ports.free()
    alone = components.kube_apiserver(Path("bin"), layout, ports, with_controller_manager=False)
    assert "--max-requests-inflight=0" in alone
    assert "--max-mutating-requests-inflight=0" in alone
    assert "--enable-priority-and-fairness=false" in alone
    assert "--disable-admission-plugins=TaintNodesByCondition,ServiceAccount" in alone
    managed = components.kube_apiserver(Path("bin"), layout, ports, with_controller_manager=True)
    assert "--disable-admission-plugins=TaintNodesByCondition" in managed


def test_kube_scheduler_client_is_not_throttled(tmp_path):
    config = components.kube_scheduler_config(components.Layout(tmp_path))
    assert config["clientConnection"]["qps"] >= 5000
    assert config["clientConnection"]["burst"] >= 5000


def test_a_users_kube_scheduler_config_keeps_its_profiles_and_gets_the_planes_connection(tmp_path):
    layout = components.Layout(tmp_path)
    user = {"apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration",
            "clientConnection": {"kubeconfig": "/elsewhere", "qps": 50},
            "profiles": [{"schedulerName": "packer", "pluginConfig": [
                {"name": "NodeResourcesFit", "args": {"scoringStrategy": {"type": "MostAllocated"}}}]}]}
    config = components.kube_scheduler_config(layout, user)
    assert config["profiles"] == user["profiles"]
    assert config["clientConnection"] == {"kubeconfig": str(layout.component_kubeconfig("kube-scheduler")),
                                          "qps": 50, "burst": components.CLIENT_QPS}
    assert config["leaderElection"] == {"leaderElect": False}
