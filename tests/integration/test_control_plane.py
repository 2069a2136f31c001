"""Smoke tests of `kubesched cluster`: the plane serves a real API, kwok runs the fake
nodes, the reference kube-scheduler binds, and `down` leaves no process behind."""

from __future__ import annotations

import os
import signal
import time
import uuid

import pytest
from click.testing import CliRunner

from kubesched.cli import main
from kubesched.cli.cluster import cluster
from kubesched.cluster import plane, processes

from .conftest import NODES

pytestmark = pytest.mark.integration


def test_nodes_are_ready_with_zones_and_allocatable(core_api):
    nodes = core_api.list_node(label_selector="type=kwok").items
    assert len(nodes) == NODES
    for node in nodes:
        conditions = {condition.type: condition.status for condition in node.status.conditions}
        assert conditions["Ready"] == "True"
        assert node.metadata.labels["topology.kubernetes.io/zone"].startswith("zone-")
        assert node.status.allocatable["pods"] == "110"


def test_reference_scheduler_binds_a_pod_and_kwok_runs_it(core_api):
    name = f"smoke-{uuid.uuid4().hex[:8]}"
    core_api.create_namespaced_pod("default", {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
        "spec": {
            "containers": [{"name": "pause", "image": "registry.k8s.io/pause:3.10",
                            "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}],
        },  # no toleration: the nodes have no taint unless --node-taints asks
    })
    try:
        pod = _wait_for(lambda: _running(core_api.read_namespaced_pod(name, "default")))
        assert pod.spec.node_name.startswith("kwok-node-")
        assert pod.spec.scheduler_name == "default-scheduler"
    finally:
        core_api.delete_namespaced_pod(name, "default", grace_period_seconds=0)


@pytest.mark.slow
def test_down_leaves_no_process_even_after_a_crash(tmp_path):
    runner = CliRunner()
    arguments = ["--dir", str(tmp_path), "--nodes", "2", "--with-kube-scheduler"]
    result = runner.invoke(cluster, ["up", *arguments])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == str(tmp_path / "kubeconfig")
    first = processes.recorded_pids(tmp_path)
    assert set(first) == {"etcd", "kube-apiserver", "kwok", "kube-scheduler",
                          "kube-controller-manager"}  # the controller manager by default

    # While it runs, `up` again refuses and leaves it be.
    refused = runner.invoke(main, ["cluster", "up", *arguments])
    assert refused.exit_code == 2 and "a cluster is running here" in refused.output
    assert processes.recorded_pids(tmp_path) == first
    assert runner.invoke(cluster, ["get", "kubeconfig", "--dir", str(tmp_path)]).output == (
        (tmp_path / "kubeconfig").read_text())

    # One component crashes; `up` again on the same directory stops the stale others first.
    os.kill(first["kube-apiserver"], signal.SIGKILL)
    result = runner.invoke(cluster, ["up", *arguments])
    assert result.exit_code == 0, result.output
    second = processes.recorded_pids(tmp_path)
    assert not set(first.values()) & set(second.values())
    assert all(processes.group_members(pid) == [] for pid in first.values())

    result = runner.invoke(cluster, ["down", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert all(processes.group_members(pid) == [] for pid in second.values())
    assert all(not _exists(pid) for pid in [*first.values(), *second.values()])
    assert plane.Plane.load(tmp_path).pids() == {}


def _running(pod):
    return pod if pod.spec.node_name and pod.status.phase == "Running" else None


def _wait_for(get, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while (value := get()) is None:
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)
    return value


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
