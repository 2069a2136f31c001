"""The command line as a user meets it: results, exit codes and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kubesched.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_simulate_examples(tmp_path):
    out = tmp_path / "out.json"
    result = run("simulate", "-f", str(EXAMPLES / "cluster"), "-f", str(EXAMPLES / "workload"), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "11/12 pods placed on 5 nodes" in result.output
    placements = json.loads(out.read_text())["placements"]
    by_pod = {p["pod"]: p for p in placements}
    assert by_pod["default/report"]["node"] is None
    assert by_pod["default/report"]["message"] == (
        "0/5 nodes are available: 1 node(s) had untolerated taint(s), 4 Insufficient memory.")
    assert {p["node"] for p in placements if p["pod"].startswith("ml/train")} == {"gpu-1"}
    assert by_pod["kube-system/ingress-1"]["node"] != "general-1"  # host port 80 is taken there
    assert "memory                 50.4%  (121.0Gi / 240.0Gi)" in result.output
    assert "cpu                    51.7%  (18.6 / 36)" in result.output


def test_explain_json_and_table():
    paths = ["-f", str(EXAMPLES / "cluster"), "-f", str(EXAMPLES / "workload")]
    result = run("explain", *paths, "--pod", "kube-system/ingress-1")
    report = json.loads(result.output)
    general_1 = next(n for n in report["nodes"] if n["node"] == "general-1")
    assert general_1["filters"]["NodePorts"] == {
        "status": "Unschedulable", "reasons": ["node(s) didn't have free ports for the requested pod ports"]}
    chosen = next(n for n in report["nodes"] if n["node"] == report["selectedNode"])
    assert chosen["total"] == sum(s["weighted"] for s in chosen["scores"].values())
    table = run("explain", *paths, "--pod", "kube-system/ingress-1", "--format", "table").output
    assert f"*{report['selectedNode']}" in table
    assert "NodePorts: node(s) didn't have free ports" in table


def test_config_changes_decisions(tmp_path):
    out = tmp_path / "out.json"
    result = run("simulate", "-f", str(EXAMPLES / "cluster"), "-f", str(EXAMPLES / "workload"),
                 "--config", str(EXAMPLES / "config" / "bin-packing.yaml"), "-o", str(out))
    assert result.exit_code == 0
    web = [p["node"] for p in json.loads(out.read_text())["placements"] if p["pod"].startswith("default/web")]
    assert len(set(web)) < 3  # MostAllocated packs the replicas


def test_python_plugin_in_simulate(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("""
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
- plugins:
    filter:
      enabled: [{name: "examples.plugins.spot:AvoidSpotForCritical"}]
""")
    manifests = tmp_path / "cluster.yaml"
    manifests.write_text("""
apiVersion: v1
kind: Node
metadata: {name: spot, labels: {node.kubernetes.io/lifecycle: spot}}
status: {allocatable: {cpu: "2", memory: 4Gi, pods: "10"}}
---
apiVersion: v1
kind: Pod
metadata: {name: api, labels: {workload-class: critical}}
spec: {containers: [{name: c, image: x, resources: {requests: {cpu: 100m}}}]}
""")
    out = tmp_path / "out.json"
    result = run("simulate", "-f", str(manifests), "--config", str(config), "-o", str(out))
    assert result.exit_code == 0, result.output
    [placement] = json.loads(out.read_text())["placements"]
    assert placement == {"pod": "default/api", "node": None,
                         "message": "0/1 nodes are available: 1 node(s) are spot instances and the pod is critical."}


@pytest.mark.parametrize("content, expected", [
    ("kind: Node\nmetadata: {name: n}\nstatus: {allocatable: {cpu: 2x, pods: '1'}}\n",
     ["Node n", "status.allocatable.cpu"]),
    ("kind: Pod\nmetadata: {name: p}\nspec: {containers: []}\n", ["Pod default/p", "spec.containers"]),
    ("kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: x}], affinity: {nodeAffinity: "
     "{requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: "
     "[{key: a, operator: Near, values: [b]}]}]}}}}\n", ["Pod default/p", "operator"]),
    ("kind: Node\nmetadata: {name: n}\n", ["Node n", "status.allocatable"]),
    ("kind: Pod\nmetadata: {name: p\nspec: [\n", ["invalid YAML"]),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, content, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    process = subprocess.run([sys.executable, "-m", "kubesched", "simulate", "-f", str(path)],
                             capture_output=True, text=True, cwd=ROOT)
    assert process.returncode == 2, process.stderr
    lines = process.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in process.stderr
    assert str(path) in lines[0]
    for part in expected:
        assert part in lines[0]


def test_missing_file_and_bad_config(tmp_path):
    process = subprocess.run([sys.executable, "-m", "kubesched", "simulate", "-f", str(tmp_path / "nope.yaml")],
                             capture_output=True, text=True, cwd=ROOT)
    assert process.returncode == 2 and len(process.stderr.strip().splitlines()) == 1
    config = tmp_path / "c.yaml"
    config.write_text("apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nprofiles: 3\n")
    process = subprocess.run([sys.executable, "-m", "kubesched", "simulate", "-f", str(EXAMPLES / "cluster"),
                              "--config", str(config)], capture_output=True, text=True, cwd=ROOT)
    assert process.returncode == 2
    assert process.stderr.strip() == f"error: {config}: KubeSchedulerConfiguration: profiles: expected a list, got a number"
