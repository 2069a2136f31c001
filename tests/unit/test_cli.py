"""The command line as a user meets it: results, exit codes and one-line errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from kubesched.cli import main
from kubesched.cli.options import cluster_inputs, load_profiles
from kubesched.framework.cluster_objects import ClusterObjects
from kubesched.model.cluster import read_cluster
from kubesched.engine.queue_order import queue_order
from tests.reference.reference import ReferenceScheduler

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
EXAMPLE_PATHS = ["-f", str(EXAMPLES / "cluster"), "-f", str(EXAMPLES / "workload")]


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_simulate_examples(tmp_path):
    out = tmp_path / "out.json"
    result = run("simulate", "-f", str(EXAMPLES / "cluster"), "-f", str(EXAMPLES / "workload"), "--output-file", str(out))
    assert result.exit_code == 0, result.output
    assert "11/12 pods placed on 5 nodes" in result.output
    placements = json.loads(out.read_text())["placements"]
    by_pod = {p["pod"]: p for p in placements}
    assert by_pod["default/report"]["node"] is None
    assert by_pod["default/report"]["message"] == (
        "0/5 nodes are available: 1 node(s) had untolerated taint(s), 4 Insufficient memory. "
        "preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling.")
    assert {p["node"] for p in placements if p["pod"].startswith("ml/train")} == {"gpu-1"}
    assert by_pod["kube-system/ingress-1"]["node"] != "general-1"  # host port 80 is taken there
    rows = {line.split()[0]: line.split()[1:] for line in result.output.splitlines() if line.strip()}
    assert rows["memory"] == ["121.0Gi", "240.0Gi", "50.4%"]
    assert rows["cpu"] == ["18.6", "36", "51.7%"]
    # the unschedulable pod, under each (plugin, reason) of its message
    assert re.search(r"^\s+1\s+NodeResourcesFit\s+Insufficient memory$", result.output, re.M)
    assert re.search(r"^\s+1\s+TaintToleration\s+node\(s\) had untolerated taint", result.output, re.M)


def test_explain_json_and_table():
    paths = ["-f", str(EXAMPLES / "cluster"), "-f", str(EXAMPLES / "workload")]
    report = json.loads(run("explain", *paths, "--pod", "kube-system/ingress-1", "-o", "json").output)
    general_1 = next(n for n in report["nodes"] if n["node"] == "general-1")
    assert general_1["filters"]["NodePorts"] == {
        "status": "Unschedulable", "reasons": ["node(s) didn't have free ports for the requested pod ports"]}
    chosen = next(n for n in report["nodes"] if n["node"] == report["selectedNode"])
    assert chosen["total"] == sum(s["weighted"] for s in chosen["scores"].values())
    table = run("explain", *paths, "--pod", "kube-system/ingress-1").output
    assert f"*{report['selectedNode']}" in table
    assert "NodePorts: node(s) didn't have free ports" in table
    assert "NODERESOURCESFIT" not in table
    wide = run("explain", *paths, "--pod", "ingress-1", "-n", "kube-system", "-o", "wide").output
    assert "NODERESOURCESFIT" in wide and f"*{report['selectedNode']}" in wide
    assert run("explain", *paths, "-n", "kube-system", "--pod", "ingress-1", "-o", "name").output == (
        f"node/{report['selectedNode']}\n")


PACKING_CLUSTER = """
apiVersion: v1
kind: List
items:
""" + "".join(f"""
- apiVersion: v1
  kind: Node
  metadata: {{name: node-{i}, labels: {{kubernetes.io/hostname: node-{i}}}}}
  status: {{allocatable: {{cpu: "4", memory: 8Gi, pods: "10"}}}}""" for i in range(3)) + """
- apiVersion: v1
  kind: Pod
  metadata: {name: running, namespace: default}
  spec:
    nodeName: node-1
    containers: [{name: c, image: x, resources: {requests: {cpu: "1", memory: 1Gi}}}]
""" + "".join(f"""
- apiVersion: v1
  kind: Pod
  metadata: {{name: web-{i}, namespace: default}}
  spec: {{containers: [{{name: c, image: x, resources: {{requests: {{cpu: 500m, memory: 512Mi}}}}}}]}}""" for i in range(3))


def _simulated(*args: str) -> dict[str, str | None]:
    result = run("simulate", *args, "-o", "json")
    assert result.exit_code == 0, result.output
    return {p["pod"]: p["node"] for p in json.loads(result.output)["placements"]}


def _referenced(paths: list[str], config: str | None) -> dict[str, str | None]:
    """The same inputs decided by the pure-Python reference."""
    cluster = read_cluster(paths)
    profile = next(iter(load_profiles(config).values()))
    reference = ReferenceScheduler(cluster.nodes, profile, cluster.bound_pods, ClusterObjects.of(cluster))
    return {pod.key: reference.decide(pod).node for pod in queue_order(cluster.pending_pods)}


def test_config_changes_decisions(tmp_path):
    manifests = tmp_path / "cluster.yaml"
    manifests.write_text(PACKING_CLUSTER)
    config = str(EXAMPLES / "config" / "bin-packing.yaml")
    spread = _simulated("-f", str(manifests))
    packed = _simulated("-f", str(manifests), "--config", config)
    # LeastAllocated spreads the replicas over the emptiest nodes; MostAllocated packs them
    # onto the node already running a pod
    assert sorted(spread.values()) == ["node-0", "node-0", "node-2"]
    assert set(packed.values()) == {"node-1"}
    assert spread == _referenced([str(manifests)], None)
    assert packed == _referenced([str(manifests)], config)
    examples = [str(EXAMPLES / "cluster"), str(EXAMPLES / "workload")]
    for chosen in (None, config):
        got = _simulated("-f", examples[0], "-f", examples[1], *(["--config", chosen] if chosen else []))
        assert got == _referenced(examples, chosen)


SPOT_CONFIG = """
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
- plugins:
    filter:
      enabled: [{name: "examples.plugins.spot:AvoidSpotForCritical"}]
    score:
      enabled: [{name: "examples.plugins.spot:AvoidSpotForCritical", weight: 5}]
"""

# Two on-demand nodes and a spot node the core's TaintToleration score avoids (a
# PreferNoSchedule taint: 100 x weight 3 less), with room for 3 pods.
def _nodes(*rows: tuple[str, bool, int]) -> str:
    """Nodes of 4 CPUs from (name, spot?, pods): a spot node has the lifecycle label and a
    PreferNoSchedule taint."""
    spot_labels, spot_taint = ", node.kubernetes.io/lifecycle: spot", "{key: spot, effect: PreferNoSchedule}"
    return "".join(f"""
apiVersion: v1
kind: Node
metadata: {{name: {name}, labels: {{kubernetes.io/hostname: {name}{spot_labels if spot else ""}}}}}
spec: {{taints: [{spot_taint if spot else ""}]}}
status: {{allocatable: {{cpu: "4", memory: 16Gi, pods: "{pods}"}}}}
---""" for name, spot, pods in rows)


SPOT_NODES = _nodes(("on-demand-1", False, 10), ("on-demand-2", False, 10), ("spot", True, 3))


def _spot_pod(name: str, workload_class: str, spec: str = "") -> str:
    return f"""
apiVersion: v1
kind: Pod
metadata: {{name: {name}, labels: {{workload-class: {workload_class}}}}}
spec: {{{spec}containers: [{{name: c, image: x, resources: {{requests: {{cpu: 800m, memory: 100Mi}}}}}}]}}
"""


def test_python_plugin_in_simulate(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(SPOT_CONFIG)
    manifests = tmp_path / "cluster.yaml"
    # In queue order: a critical pod that may only go to spot, which the plugin's filter
    # refuses; the batch pods go to spot, the plugin's score (100 x 5) outweighing the core's,
    # until its pods are used up; the last one goes where the core sends it.
    manifests.write_text(SPOT_NODES + "---".join(
        [_spot_pod("api", "critical"), _spot_pod("pinned", "critical", "nodeSelector: {node.kubernetes.io/lifecycle: spot}, ")]
        + [_spot_pod(f"batch-{i}", "batch") for i in range(1, 5)]))
    out = tmp_path / "out.json"
    result = run("simulate", "-f", str(manifests), "--config", str(config), "--output-file", str(out))
    assert result.exit_code == 0, result.output
    placements = {p["pod"]: (p["node"], p["message"]) for p in json.loads(out.read_text())["placements"]}
    assert placements == {
        "default/api": ("on-demand-1", ""),
        "default/pinned": (None, "0/3 nodes are available: 1 node(s) are spot instances and the pod is critical, "
                                 "2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are "
                                 "available: 1 No preemption victims found for incoming pod, 2 Preemption is not "
                                 "helpful for scheduling."),
        "default/batch-1": ("spot", ""), "default/batch-2": ("spot", ""), "default/batch-3": ("spot", ""),
        "default/batch-4": ("on-demand-2", ""),
    }
    # the core alone keeps the batch pods off spot
    alone = {p["pod"]: p["node"] for p in json.loads(run("simulate", "-f", str(manifests), "-o", "json").output)["placements"]}
    assert alone["default/pinned"] == "spot"
    assert [alone[f"default/batch-{i}"] for i in range(1, 5)] == ["on-demand-2", "on-demand-1", "on-demand-2", "on-demand-1"]



# Two spot nodes alike: the plugin's score sends a batch pod to spot, and the tie between
# the two is the seed's to break (the first in node order without one).
TIED_SPOT_NODES = _nodes(("on-demand-1", False, 10), ("spot-a", True, 10), ("on-demand-2", False, 10),
                         ("spot-b", True, 10))


def test_python_plugin_scores_decide_and_seed_breaks_their_tie(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(SPOT_CONFIG)
    manifests = tmp_path / "cluster.yaml"
    manifests.write_text(TIED_SPOT_NODES + _spot_pod("batch", "batch"))
    with_plugin = ["-f", str(manifests), "--config", str(config)]
    # the core alone: TaintToleration (100 x 3) keeps it off spot, the on-demand tie goes to the first
    assert _simulated("-f", str(manifests)) == {"default/batch": "on-demand-1"}
    # the plugin's 100 x 5 outweighs that: a spot node, the first of the two without a seed
    assert _simulated(*with_plugin) == {"default/batch": "spot-a"}
    chosen = {seed: _simulated(*with_plugin, "--seed", str(seed))["default/batch"] for seed in range(16)}
    assert set(chosen.values()) == {"spot-a", "spot-b"}  # only the best two, and both of them
    assert all(_simulated(*with_plugin, "--seed", str(seed))["default/batch"] == node for seed, node in chosen.items())


# Both nodes full of low-priority pods: the high-priority pod fits only by evicting one
# (n2's, which started later), the pods after it decide in the state that leaves.
PREEMPTION_CLUSTER = yaml.safe_dump_all([
    {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "high"}, "value": 1000},
    *({"kind": "Node", "metadata": {"name": n, "labels": {"kubernetes.io/hostname": n}},
       "status": {"allocatable": {"cpu": "2", "memory": "4Gi", "pods": "10"}}} for n in ("n1", "n2")),
    *({"kind": "Pod", "metadata": {"name": f"low-{n}", "ownerReferences": [
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "u", "controller": True}]},
       "spec": {"nodeName": n, "containers": [{"name": "c", "image": "x", "resources": {"requests": {"cpu": "1500m"}}}]},
       "status": {"startTime": f"2024-01-0{i + 1}T00:00:00Z"}} for i, n in enumerate(("n1", "n2"))),
    {"kind": "Pod", "metadata": {"name": "critical"},
     "spec": {"priorityClassName": "high", "containers": [{"name": "c", "image": "x", "resources": {"requests": {"cpu": "1"}}}]}},
    *({"kind": "Pod", "metadata": {"name": f"small-{i}"},
       "spec": {"containers": [{"name": "c", "image": "x", "resources": {"requests": {"cpu": "400m"}}}]}} for i in range(3)),
])


def _explain_cases(tmp_path) -> dict[str, list[str]]:
    """Clusters and profiles whose choices explain must reproduce: the default profile, a
    scoring config, a Python plugin profile (scores and a filter) and a preemption."""
    files = {"packing.yaml": PACKING_CLUSTER, "spot.yaml": SPOT_NODES + "---".join(
        [_spot_pod("api", "critical"), _spot_pod("pinned", "critical", "nodeSelector: {node.kubernetes.io/lifecycle: spot}, ")]
        + [_spot_pod(f"batch-{i}", "batch") for i in range(1, 5)]),
        "tied-spot.yaml": TIED_SPOT_NODES + "---".join(_spot_pod(f"batch-{i}", "batch") for i in range(3)),
        "spot-config.yaml": SPOT_CONFIG, "preemption.yaml": PREEMPTION_CLUSTER}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return {"examples": EXAMPLE_PATHS, "default profile": ["-f", str(tmp_path / "packing.yaml")],
            "bin-packing": ["-f", str(tmp_path / "packing.yaml"), "--config", str(EXAMPLES / "config" / "bin-packing.yaml")],
            "python plugin": ["-f", str(tmp_path / "spot.yaml"), "--config", str(tmp_path / "spot-config.yaml")],
            "python plugin ties": ["-f", str(tmp_path / "tied-spot.yaml"), "--config", str(tmp_path / "spot-config.yaml")],
            "preemption": ["-f", str(tmp_path / "preemption.yaml")]}


@pytest.mark.parametrize("seed", [None, "3", "11"])
@pytest.mark.parametrize("case", ["examples", "default profile", "bin-packing", "python plugin", "python plugin ties",
                                  "preemption"])
def test_explain_selects_the_node_simulate_chooses_for_every_pod(tmp_path, case, seed):
    """explain decides each pod in the state simulate decides it in: its selected node is
    simulate's choice (seeded random tie-breaks and Python plugins included), and a pod that
    preempts is nominated where simulate placed it, with simulate's victims."""
    paths = [*_explain_cases(tmp_path)[case], *(["--seed", seed] if seed else [])]
    result = run("simulate", *paths, "-o", "json")
    assert result.exit_code == 0, result.output
    # explain is asked about the input's pending pods (not about a victim simulate requeued)
    pending = {pod.key for pod in read_cluster([paths[i + 1] for i, a in enumerate(paths) if a == "-f"]).pending_pods}
    placements = [p for p in json.loads(result.output)["placements"] if p["pod"] in pending]
    assert len(placements) >= 3
    for placement in placements:
        result = run("explain", *paths, "--pod", placement["pod"], "-o", "json")
        assert result.exit_code == 0, result.output
        report = json.loads(result.output)
        if placement.get("preempted"):
            assert report["selectedNode"] is None, placement["pod"]
            assert report["preemption"]["nominatedNode"] == placement["nominatedNode"] == placement["node"]
            assert report["preemption"]["victims"] == placement["preempted"]
        else:
            assert report["selectedNode"] == placement["node"], placement["pod"]
    if case == "preemption":
        assert [p["pod"] for p in placements if p.get("preempted")] == ["default/critical"]
        assert {p["pod"]: p.get("preempted") for p in placements}["default/critical"] == ["default/low-n2"]


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


def test_output_formats_go_to_stdout_and_output_file_to_a_file(tmp_path):
    as_json = json.loads(run("simulate", *EXAMPLE_PATHS, "-o", "json").output)
    assert as_json["summary"]["placed"] == 11 and as_json["summary"]["nodesUsed"] <= 5
    assert yaml.safe_load(run("simulate", *EXAMPLE_PATHS, "-o", "yaml").output) == as_json
    names = run("simulate", *EXAMPLE_PATHS, "-o", "name").output.splitlines()
    assert names == [f"pod/{p['pod']}" for p in as_json["placements"] if p["node"]]
    out = tmp_path / "out.yaml"
    result = run("simulate", *EXAMPLE_PATHS, "-o", "yaml", "--output-file", str(out))
    assert yaml.safe_load(out.read_text()) == as_json
    assert result.output.startswith("11/12 pods placed")  # the table stays on the terminal


def test_output_is_a_format_not_a_file(tmp_path):
    result = CliRunner().invoke(main, ["simulate", *EXAMPLE_PATHS, "-o", str(tmp_path / "out.json")])
    assert result.exit_code == 2
    assert "is not one of json, yaml, wide, name (a file goes through --output-file)" in result.output
    assert not (tmp_path / "out.json").exists()


def test_simulate_wide_has_one_row_per_node():
    wide = run("simulate", *EXAMPLE_PATHS, "-o", "wide").output
    header = next(line for line in wide.splitlines() if line.startswith("NODE "))
    assert header.split() == ["NODE", "PODS", "CPU", "%", "MEMORY", "%", "NVIDIA.COM/GPU", "%"]
    rows = {line.split()[0]: line.split() for line in wide.splitlines()[wide.splitlines().index(header) + 1:]}
    assert list(rows) == ["general-1", "general-2", "general-3", "highmem-1", "gpu-1"]  # input order
    # gpu-1: the two training pods of examples/ (4 cpu, 32Gi and 2 GPUs each)
    assert rows["gpu-1"][1:] == ["2/110", "8/16", "50.0%", "64.0Gi/128.0Gi", "50.0%", "4/4", "100.0%"]
    assert rows["general-3"][1] == "1/110"


def test_unschedulable_pods_are_grouped_by_plugin_and_reason_and_json_keeps_each_message(tmp_path):
    manifests = tmp_path / "cluster.yaml"
    nodes = [{"kind": "Node", "metadata": {"name": f"n{i}"}, "status": {"allocatable": {"cpu": "1", "pods": "10"}}}
             for i in range(3)]
    pods = [{"kind": "Pod", "metadata": {"name": f"big-{i}"},
             "spec": {"containers": [{"name": "c", "image": "x", "resources": {"requests": {"cpu": "2"}}}]}}
            for i in range(4)]
    pods.append({"kind": "Pod", "metadata": {"name": "picky"},
                 "spec": {"nodeSelector": {"disk": "ssd"}, "containers": [{"name": "c", "image": "x"}]}})
    manifests.write_text(yaml.safe_dump_all(nodes + pods))
    table = run("simulate", "-f", str(manifests)).output
    assert re.search(r"^\s+4\s+NodeResourcesFit\s+Insufficient cpu$", table, re.M)
    assert re.search(r"^\s+1\s+NodeAffinity\s+node\(s\) didn't match Pod's node affinity/selector$", table, re.M)
    document = json.loads(run("simulate", "-f", str(manifests), "-o", "json").output)
    messages = {p["pod"]: p["message"] for p in document["placements"]}
    assert messages["default/big-0"] == ("0/3 nodes are available: 3 Insufficient cpu. "
                                         "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.")
    assert document["summary"]["unschedulableByReason"][0] == {
        "plugin": "NodeResourcesFit", "reason": "Insufficient cpu", "pods": 4}


def _kubesched_pod(tmp_path):
    manifests = tmp_path / "cluster.yaml"
    manifests.write_text(yaml.safe_dump_all([
        {"kind": "Node", "metadata": {"name": "n"}, "status": {"allocatable": {"cpu": "2", "pods": "10"}}},
        {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"schedulerName": "kubesched",
                                                               "containers": [{"name": "c", "image": "x"}]}}]))
    return manifests


@pytest.mark.parametrize("command", [["simulate"], ["explain", "--pod", "p"], ["plan", "nodes", "--node-template"]])
def test_a_pod_no_profile_serves_is_an_error_naming_the_flag(tmp_path, command):
    manifests = _kubesched_pod(tmp_path)
    if command[-1] == "--node-template":
        command = [*command, str(manifests)]
    result = CliRunner().invoke(main, [*command, "-f", str(manifests)])
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"error: {manifests}: Pod default/p: spec.schedulerName: no profile serves schedulerName 'kubesched' "
        "(served: 'default-scheduler'); pass --scheduler-name kubesched, or a --config with a profile of that "
        "schedulerName")


def test_scheduler_name_makes_the_default_profile_serve_it(tmp_path):
    manifests = _kubesched_pod(tmp_path)
    document = json.loads(run("simulate", "-f", str(manifests), "--scheduler-name", "kubesched", "-o", "json").output)
    assert document["placements"] == [{"pod": "default/p", "node": "n", "message": ""}]
    assert run("explain", "-f", str(manifests), "--pod", "p", "--scheduler-name", "kubesched", "-o", "name").output \
        == "node/n\n"
    result = CliRunner().invoke(main, ["plan", "fit", "-f", str(manifests), "--pod", str(manifests.parent / "pod.yaml"),
                                       "--max-replicas", "3", "-o", "name"])
    assert result.exit_code == 2  # no such --pod file
    (manifests.parent / "pod.yaml").write_text(yaml.safe_dump(
        {"kind": "Pod", "metadata": {"name": "q"}, "spec": {"schedulerName": "kubesched",
                                                               "containers": [{"name": "c", "image": "x"}]}}))
    fit = ["plan", "fit", "-f", str(manifests), "--pod", str(manifests.parent / "pod.yaml"), "--max-replicas", "3"]
    assert CliRunner().invoke(main, fit).exit_code == 2
    assert run(*fit, "--scheduler-name", "kubesched", "-o", "name").output == "node/n\n"
    mixed = tmp_path / "mixed.yaml"
    mixed.write_text(manifests.read_text() + "---\n" + yaml.safe_dump(
        {"kind": "Pod", "metadata": {"name": "r"}, "spec": {"containers": [{"name": "c", "image": "x"}]}}))
    names = ["--scheduler-name", "kubesched", "--scheduler-name", "default-scheduler"]
    placed = json.loads(run("simulate", "-f", str(mixed), *names, "-o", "json").output)["placements"]
    assert {p["pod"]: p["node"] for p in placed} == {"default/p": "n", "default/r": "n"}
    owner = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "u", "controller": True}]
    bound = tmp_path / "bound.yaml"
    bound.write_text(yaml.safe_dump_all([
        {"kind": "Node", "metadata": {"name": n}, "status": {"allocatable": {"cpu": "2", "pods": "10"}}} for n in "nm"]
        + [{"kind": "Pod", "metadata": {"name": name, "ownerReferences": owner},
            "spec": {"nodeName": "n", "containers": [{"name": "c", "image": "x"}], **spec}}
           for name, spec in (("a", {"schedulerName": "kubesched"}), ("b", {}))]))
    drain = ["plan", "drain", "-f", str(bound), "--nodes", "n"]
    assert run(*drain, *names, "-o", "name").output == "pod/default/a\npod/default/b\n"
    one_name = CliRunner().invoke(main, [*drain, "--scheduler-name", "kubesched"])
    assert one_name.exit_code == 2 and "Pod default/b: spec.schedulerName" in one_name.output
    both = CliRunner().invoke(main, ["simulate", "-f", str(manifests), "--scheduler-name", "kubesched",
                                     "--config", str(EXAMPLES / "config" / "bin-packing.yaml")])
    assert both.exit_code == 2 and "--scheduler-name: give --scheduler-name or --config, not both" in both.output


@pytest.mark.parametrize("shell, marker", [("bash", "complete -o nosort -F"), ("zsh", "#compdef kubesched"),
                                           ("fish", "complete --no-files --command kubesched")])
def test_completion_scripts(shell, marker):
    script = run("completion", shell).output
    assert marker in script and "_KUBESCHED_COMPLETE" in script


def test_completion_completes_commands_and_formats():
    def complete(words: str) -> list[str]:
        env = {"_KUBESCHED_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - 1)}
        result = CliRunner().invoke(main, [], env=env, prog_name="kubesched")
        return [line.split(",", 1)[1] for line in result.output.splitlines()]

    assert complete("kubesched sim") == ["simulate"]
    assert complete("kubesched simulate -o y") == ["yaml"]


def test_a_report_names_the_live_cluster_it_read_not_the_snapshot_directory():
    assert cluster_inputs(("a.yaml", "dir"), None, None) == ["a.yaml", "dir"]
    assert cluster_inputs(("a.yaml",), "kc", "ctx") == ["a.yaml", "--kubeconfig kc", "--context ctx"]
    assert cluster_inputs((), None, "ctx") == ["--context ctx"]  # a context alone reads the live cluster too
