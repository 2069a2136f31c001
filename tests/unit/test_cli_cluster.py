"""`kubesched cluster` without starting anything: names, list, get kubeconfig, refused options."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kubesched.cli import main
from kubesched.cluster import plane

pytestmark = pytest.mark.unit


@pytest.fixture
def state(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    return tmp_path


def stopped_cluster(name: str, nodes: int) -> Path:
    directory = plane.default_directory(name)
    directory.mkdir(parents=True)
    (directory / plane.MARKER).write_text(f'{{"server": "https://127.0.0.1:6443", "nodes": {nodes}}}\n')
    (directory / "kubeconfig").write_text("apiVersion: v1\nkind: Config\n")
    return directory


def invoke(*args: str):
    return CliRunner().invoke(main, ["cluster", *args])


def test_list_and_get_kubeconfig_by_name(state):
    directory = stopped_cluster("big", 50)
    stopped_cluster("kubesched", 3)
    listed = invoke("list")
    assert listed.exit_code == 0
    assert [line.split() for line in listed.output.splitlines()] == [
        ["NAME", "STATUS", "SERVER", "NODES"],
        ["big", "stopped", "https://127.0.0.1:6443", "50"],
        ["kubesched", "stopped", "https://127.0.0.1:6443", "3"]]
    assert invoke("list", "-o", "name").output == "cluster/big\ncluster/kubesched\n"
    assert [c["nodes"] for c in json.loads(invoke("list", "-o", "json").output)] == [50, 3]
    assert invoke("get", "kubeconfig", "--name", "big").output == "apiVersion: v1\nkind: Config\n"
    assert invoke("get", "kubeconfig", "--name", "big", "--path").output == f"{directory / 'kubeconfig'}\n"
    missing = invoke("get", "kubeconfig", "--name", "other")
    assert missing.exit_code == 2 and "no kubesched cluster here" in missing.output


@pytest.mark.parametrize("args, message", [
    (["--node-taints", "dedicated=gpu"], "--node-taints: 'dedicated=gpu' is not a taint"),
    (["--kube-scheduler-config", "{config}"], "--kube-scheduler-config: needs --with-kube-scheduler"),
    (["--with-kube-scheduler", "--kube-scheduler-config", "{not_config}"], "expected a KubeSchedulerConfiguration"),
    (["--name", "Big_One"], "lower-case letters, digits and '-'"),
])
def test_up_refuses_bad_options_before_starting_anything(state, args, message):
    config = state / "config.yaml"
    config.write_text("apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n")
    not_config = state / "other.yaml"
    not_config.write_text("kind: Pod\n")
    args = [a.format(config=config, not_config=not_config) for a in args]
    result = invoke("up", "--nodes", "1", *args)
    assert result.exit_code == 2
    assert message in result.output
    assert not (state / "kubesched" / "clusters").exists()
