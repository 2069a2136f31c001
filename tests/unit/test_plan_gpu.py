"""`kubesched plan` with GPU pods: fit and drain decide through the engine GPU by GPU, and
`plan nodes` packs on relaxed GPU columns, then replays through the engine."""

from __future__ import annotations

from collections import Counter

import orjson
import pytest
import yaml
from click.testing import CliRunner

from kubesched.cli import main
from tests.resources import resources

pytestmark = pytest.mark.unit

RS = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "infer-1", "uid": "u", "controller": True}


def gpu_node(name, gpus=2, cpu="32"):
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, "kubesched.io/gpu-model": "T4"}},
            "status": {"allocatable": {"cpu": cpu, "memory": "64Gi", "pods": "110", "kubesched.io/gpu": str(gpus)}}}


def gpu_pod(name, milli, node_name=None, indices=None, owned=False):
    annotations = {"kubesched.io/gpu-milli": str(milli)}
    if indices is not None:
        annotations["kubesched.io/gpu-indices"] = indices
    meta = {"name": name, "annotations": annotations}
    if owned:
        meta["ownerReferences"] = [RS]
    spec = {"containers": [{"name": "c", "image": "app:1", "resources": {"requests": {"cpu": "1"}}}]}
    if node_name:
        spec["nodeName"] = node_name
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def deployment(name, replicas, annotations=None, requests=None):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}, "annotations": annotations or {}},
                                  "spec": {"containers": [{"name": "c", "image": "app:1", "resources": resources(
                                      {"cpu": "1", **(requests or {})})}]}}}}


def run(tmp_path, args, files):
    for name, objects in files.items():
        (tmp_path / name).write_text(yaml.safe_dump_all(objects))
    out = tmp_path / "out.json"
    result = CliRunner().invoke(main, [*(str(tmp_path / a) if a in files else a for a in args), "--output-file", str(out)])
    return result, (orjson.loads(out.read_bytes()) if out.exists() else None)


def test_fit_counts_shares_gpu_by_gpu(tmp_path):
    cluster = [gpu_node("a"), gpu_node("b"), gpu_pod("busy", 700, node_name="a", indices="1")]
    result, data = run(tmp_path, ["plan", "fit", "-f", "cluster.yaml", "--pod", "pod.yaml"],
                       {"cluster.yaml": cluster, "pod.yaml": [gpu_pod("share", 400)]})
    assert result.exit_code == 0, result.output
    # 3300 milli are free in all, room for 8 shares of 400; GPU by GPU only 6 fit.
    assert data["replicas"] == 6 and data["perNode"] == {"a": 2, "b": 4}
    assert data["limitedBy"] == {"Insufficient kubesched.io/gpu": 2}


def test_drain_places_evicted_gpu_pods_gpu_by_gpu(tmp_path):
    cluster = [gpu_node("a"), gpu_node("b"), gpu_node("c"),
               gpu_pod("a0", 600, "a", "0", owned=True), gpu_pod("a1", 600, "a", "1", owned=True),
               gpu_pod("b0", 600, "b", "0"), gpu_pod("b1", 600, "b", "1"), gpu_pod("c0", 300, "c", "0")]
    result, data = run(tmp_path, ["plan", "drain", "-f", "cluster.yaml", "--nodes", "a"], {"cluster.yaml": cluster})
    assert result.exit_code == 0, result.output
    assert [p["node"] for p in data["placements"]] == ["c", "c"]
    # Without c, b has 800 milli free but 400 on each GPU: neither fits.
    result, data = run(tmp_path, ["plan", "drain", "-f", "cluster.yaml", "--nodes", "a,c"],
                       {"cluster.yaml": cluster})
    assert result.exit_code == 1
    assert [u["message"] for u in data["unschedulable"]] == [
        "0/3 nodes are available: 1 Insufficient kubesched.io/gpu, 2 node(s) were unschedulable. preemption: "
        "0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful "
        "for scheduling."] * 2


def test_plan_nodes_bound_counts_gpus_more_than_half_used(tmp_path):
    workload = [deployment("infer", 6, {"kubesched.io/gpu-milli": "600"}),
                deployment("train", 1, requests={"kubesched.io/gpu": "2"})]
    result, data = run(tmp_path, ["plan", "nodes", "-f", "workload.yaml", "--node-template", "templates.yaml",
                                  "--time-limit", "2"],
                       {"workload.yaml": workload, "templates.yaml": [gpu_node("gpu2")]})
    assert result.exit_code == 0, result.output
    # 8 GPUs are each more than half used: 4 nodes, and the lower bound proves it.
    assert data["nodeCount"] == 4 and data["lowerBound"] == 4 and data["optimal"] and data["repaired"] == 0


def test_plan_nodes_repairs_what_the_relaxed_gpu_columns_allow(tmp_path):
    workload = [deployment("infer", 10, {"kubesched.io/gpu-milli": "400"})]
    result, data = run(tmp_path, ["plan", "nodes", "-f", "workload.yaml", "--node-template", "templates.yaml",
                                  "--time-limit", "2"],
                       {"workload.yaml": workload, "templates.yaml": [gpu_node("gpu2")]})
    assert result.exit_code == 0, result.output
    # 4000 milli fit 2 nodes' milli, but two shares of 400 per GPU make 4 per node: 3 nodes.
    assert data["lowerBound"] == 2 and data["nodeCount"] == 3 and not data["optimal"]
    assert data["repaired"] > 0 and not data["unschedulable"]
    assert max(Counter(p["node"] for p in data["placements"]).values()) <= 4


def test_fgd_profile_plans_with_the_typical_pods_of_the_input_and_the_pod(tmp_path):
    from kubesched.framework.config import parse_config
    from kubesched.framework.typical_pods import typical_pods
    from kubesched.model.cluster import ClusterInput
    from kubesched.model.nodes import parse_node
    from kubesched.model.pods import PodParser
    from kubesched.plan.fit import plan_fit

    profile = parse_config({"apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration",
                            "profiles": [{"schedulerName": "default-scheduler", "plugins": {
                                "multiPoint": {"disabled": [{"name": "*"}]},
                                "filter": {"enabled": [{"name": "NodeResourcesFit"}]},
                                "score": {"enabled": [{"name": "FGDScore"}]}}}]})["default-scheduler"]
    parser = PodParser()
    bound = parser.parse(gpu_pod("busy", 700, node_name="a", indices="1"))
    share = parser.parse(gpu_pod("share", 400))
    cluster = ClusterInput(nodes=[parse_node(gpu_node("a")), parse_node(gpu_node("b"))], bound_pods=[bound])
    result = plan_fit(cluster, share, profile)
    assert result.replicas == 6
    assert result.snapshot.gpu_typical == typical_pods([(1000, 700, 1, ()), (1000, 400, 1, ())])
