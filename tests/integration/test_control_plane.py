"""Smoke tests of `kubesched cluster`: the plane serves a real API, kwok runs the fake
nodes, the reference kube-scheduler binds, and `down` leaves no process behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
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
    deadline = time.monotonic() + 60  # SIGKILL is delivered asynchronously; a busy machine is slow
    while processes.group_members(first["kube-apiserver"]) and time.monotonic() < deadline:
        time.sleep(0.1)
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


@pytest.mark.slow
def test_named_cluster_with_taints_a_scheduler_profile_and_its_kubectl(tmp_path, monkeypatch):
    """`up --name` with the kwok taint and a custom kube-scheduler profile; `list` shows it
    running; `cluster kubectl` talks to it with the cluster's own kubectl."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    config = tmp_path / "scheduler.yaml"
    config.write_text("apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n"
                      "profiles:\n- schedulerName: packer\n  pluginConfig:\n  - name: NodeResourcesFit\n"
                      "    args: {scoringStrategy: {type: MostAllocated}}\n")
    runner = CliRunner()
    up = ["cluster", "up", "--name", "probe", "--nodes", "2", "--node-taints", "kwok", "--with-kube-scheduler",
          "--kube-scheduler-config", str(config), "--without-controller-manager"]
    result = runner.invoke(main, up)
    assert result.exit_code == 0, result.output
    directory = plane.default_directory("probe")
    try:
        assert set(processes.recorded_pids(directory)) == {"etcd", "kube-apiserver", "kwok", "kube-scheduler"}
        listed = runner.invoke(main, ["cluster", "list"]).output.splitlines()
        assert listed[1].split()[:2] == ["probe", "running"] and listed[1].split()[-1] == "2"

        def kubectl(*args: str) -> str:
            done = subprocess.run([sys.executable, "-m", "kubesched", "cluster", "kubectl", "--name", "probe", "--",
                                   *args], capture_output=True, text=True, timeout=60,
                                  env={**os.environ, "XDG_STATE_HOME": str(tmp_path)})
            assert done.returncode == 0, done.stderr
            return done.stdout

        assert "Server Version: v1.37.2" in kubectl("version")
        taints = kubectl("get", "nodes", "-o", "jsonpath={.items[*].spec.taints[*].key}").split()
        assert taints == ["kwok.x-k8s.io/node"] * 2
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "packed"},
               "spec": {"schedulerName": "packer", "containers": [{"name": "c", "image": "x"}],
                        "tolerations": [{"key": "kwok.x-k8s.io/node", "operator": "Exists"}]}}
        (tmp_path / "pod.json").write_text(json.dumps(pod))
        kubectl("create", "-f", str(tmp_path / "pod.json"))
        node = _wait_for(lambda: kubectl("get", "pod", "packed", "-o", "jsonpath={.spec.nodeName}") or None)
        assert node.startswith("kwok-node-")  # bound by kube-scheduler's `packer` profile
    finally:
        assert runner.invoke(main, ["cluster", "down", "--name", "probe"]).exit_code == 0
