"""`kubesched snapshot` against the real control plane: the dump reads back as the cluster,
and `plan fit` answers on it offline."""

from __future__ import annotations

import uuid

import kubernetes
import orjson
import pytest
from click.testing import CliRunner

from kubesched.cli import main
from kubesched.model.cluster import read_cluster

from .conftest import NODES

pytestmark = pytest.mark.integration

def test_snapshot_of_a_live_cluster_reads_back_and_plans(control_plane, core_api, tmp_path):
    api_client = core_api.api_client
    namespace = f"snap-{uuid.uuid4().hex[:6]}"
    core_api.create_namespace({"metadata": {"name": namespace, "labels": {"team": "planning"}}})
    node = core_api.list_node(label_selector="type=kwok").items[0].metadata.name
    core_api.create_namespaced_pod(namespace, {
        "metadata": {"name": "bound", "labels": {"app": "web"}},
        "spec": {"nodeName": node,
                 "containers": [{"name": "c", "image": "registry.k8s.io/pause:3.10",
                                 "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}]}})
    kubernetes.client.PolicyV1Api(api_client).create_namespaced_pod_disruption_budget(namespace, {
        "metadata": {"name": "web"}, "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}}})
    kubernetes.client.SchedulingV1Api(api_client).create_priority_class({
        "metadata": {"name": f"{namespace}-high"}, "value": 1000})

    dump = tmp_path / "dump"
    result = CliRunner().invoke(main, ["snapshot", "--kubeconfig", str(control_plane.kubeconfig), "--output-directory", str(dump),
                                       "--page-size", "2"])
    assert result.exit_code == 0, result.output
    for kind in ("nodes", "pods", "namespaces", "poddisruptionbudgets", "priorityclasses", "services"):
        assert (dump / f"{kind}.yaml").is_file()

    cluster = read_cluster([str(dump)])
    assert len([n for n in cluster.nodes if n.labels.get("type") == "kwok"]) == NODES
    bound = {p.key: p for p in cluster.bound_pods}
    assert bound[f"{namespace}/bound"].node_name == node
    assert cluster.namespaces[namespace]["team"] == "planning"
    assert cluster.priority_classes[f"{namespace}-high"] == 1000
    assert any(p["metadata"]["name"] == "web" and p["metadata"]["namespace"] == namespace for p in cluster.pdbs)

    pod = tmp_path / "pod.yaml"
    pod.write_bytes(orjson.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "probe"},
                                  "spec": {"containers": [{"name": "c", "image": "x",
                                                           "resources": {"requests": {"cpu": "1"}}}]}}))
    out = tmp_path / "fit.json"
    result = CliRunner().invoke(main, ["plan", "fit", "-f", str(dump), "--pod", str(pod), "--output-file", str(out)])
    assert result.exit_code == 0, result.output
    per_node = orjson.loads(out.read_bytes())["perNode"]
    assert sum(per_node.values()) >= 1 and node in per_node

    live_out = tmp_path / "fit-live.json"
    result = CliRunner().invoke(main, ["plan", "fit", "--kubeconfig", str(control_plane.kubeconfig),
                                       "--pod", str(pod), "--output-file", str(live_out)])
    assert result.exit_code == 0, result.output
    assert orjson.loads(live_out.read_bytes())["perNode"] == per_node


def test_plan_needs_a_cluster(tmp_path):
    result = CliRunner().invoke(main, ["plan", "drain", "--nodes", "n1"])
    assert result.exit_code == 2
    assert "give the cluster as -f manifests or --kubeconfig" in result.output
