"""`kubesched plan fit`: how many more replicas fit, decided by the engine one by one."""

from __future__ import annotations

import orjson
import yaml
from click.testing import CliRunner

from kubesched.cli import main


def node(name, cpu="4", pods=110, taints=None):
    obj = {"apiVersion": "v1", "kind": "Node",
           "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
           "status": {"allocatable": {"cpu": cpu, "memory": "16Gi", "pods": str(pods)}}}
    if taints:
        obj["spec"] = {"taints": taints}
    return obj


def pod(name, cpu="1", node_name=None, labels=None, affinity=None):
    spec = {"containers": [{"name": "c", "image": "app:1", "resources": {"requests": {"cpu": cpu}}}]}
    if node_name:
        spec["nodeName"] = node_name
    if affinity:
        spec["affinity"] = affinity
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels or {}}, "spec": spec}


def fit(tmp_path, cluster, the_pod, *extra):
    (tmp_path / "cluster.yaml").write_text(yaml.safe_dump_all(cluster))
    (tmp_path / "pod.yaml").write_text(yaml.safe_dump(the_pod))
    out = tmp_path / "fit.json"
    result = CliRunner().invoke(main, ["plan", "fit", "-f", str(tmp_path / "cluster.yaml"), "--pod",
                                       str(tmp_path / "pod.yaml"), "--output-file", str(out), *extra])
    return result, (orjson.loads(out.read_bytes()) if out.exists() else None)


def test_counts_replicas_until_the_next_does_not_fit(tmp_path):
    cluster = [node("a"), node("b"), pod("busy", cpu="3", node_name="b"),
               node("gpu", cpu="32", taints=[{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}])]
    result, data = fit(tmp_path, cluster, pod("worker", cpu="1"))
    assert result.exit_code == 0, result.output
    assert data["replicas"] == 5
    assert data["perNode"] == {"a": 4, "b": 1}
    # The limits are the engine's failure for the next replica, in upstream's wording (the
    # taint's exact text is the core's business).
    taint = [reason for reason in data["limitedBy"] if reason.startswith("node(s) had untolerated taint")]
    assert len(taint) == 1 and data["limitedBy"] == {"Insufficient cpu": 2, taint[0]: 1}
    assert data["message"].startswith("0/3 nodes are available: ") and "2 Insufficient cpu" in data["message"]
    assert "5 replicas of default/worker fit" in result.output


def test_pod_count_limits_pods_without_requests(tmp_path):
    result, data = fit(tmp_path, [node("a", pods=3)], pod("tiny", cpu="0"))
    assert data["replicas"] == 3 and data["limitedBy"] == {"Too many pods": 1}


def test_replicas_respect_inter_pod_anti_affinity(tmp_path):
    anti = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"app": "db"}}, "topologyKey": "kubernetes.io/hostname"}]}}
    result, data = fit(tmp_path, [node("a"), node("b"), node("c")],
                       pod("db", cpu="100m", labels={"app": "db"}, affinity=anti))
    assert data["replicas"] == 3 and set(data["perNode"].values()) == {1}


def test_workload_template_is_the_pod(tmp_path):
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api"},
                  "spec": {"replicas": 50, "selector": {"matchLabels": {"app": "api"}},
                           "template": {"metadata": {"labels": {"app": "api"}},
                                        "spec": pod("x", cpu="2")["spec"]}}}
    result, data = fit(tmp_path, [node("a", cpu="8")], deployment)
    assert result.exit_code == 0, result.output
    assert data["replicas"] == 4 and data["pod"].startswith("default/api-")


def test_none_fit_exits_1(tmp_path):
    result, data = fit(tmp_path, [node("a", cpu="1")], pod("big", cpu="2"))
    assert result.exit_code == 1 and data["replicas"] == 0


def test_cap_stops_counting(tmp_path):
    result, data = fit(tmp_path, [node("a", cpu="100")], pod("w", cpu="1"), "--max-replicas", "7")
    assert data["replicas"] == 7 and data["capped"] and data["limitedBy"] == {}


def test_bound_pod_is_bad_input(tmp_path):
    result, _ = fit(tmp_path, [node("a")], pod("w", node_name="a"))
    assert result.exit_code == 2 and "spec.nodeName" in result.output


def test_with_pending_places_the_cluster_pending_pods_first(tmp_path):
    cluster = [node("a"), pod("waiting", cpu="2")]
    _, without = fit(tmp_path, cluster, pod("w", cpu="1"))
    _, with_pending = fit(tmp_path, cluster, pod("w", cpu="1"), "--with-pending")
    assert (without["replicas"], with_pending["replicas"]) == (4, 2)
    assert with_pending["pendingPlaced"] == 1
