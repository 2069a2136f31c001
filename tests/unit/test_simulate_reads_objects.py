"""simulate and explain give the plugins the Namespaces, Services and workload objects of
the input (inter-pod namespaceSelector terms, system default spreading), as upstream's
informers do, and the two commands decide alike."""

from __future__ import annotations

import json

from kubesched.cli.options import load_profiles
from kubesched.model.cluster import read_cluster
from kubesched.sim.explain import explain
from kubesched.sim.simulate import simulate


def _node(name: str, zone: str) -> dict:
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name,
                                                  "topology.kubernetes.io/zone": zone}},
            "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"}}}


def _pod(name: str, namespace: str, labels: dict, node: str | None = None, affinity: dict | None = None) -> dict:
    spec: dict = {"containers": [{"name": "c", "image": "pause",
                                  "resources": {"requests": {"cpu": "100m", "memory": "100Mi"}}}]}
    if node:
        spec["nodeName"] = node
    if affinity:
        spec["affinity"] = affinity
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace, "labels": labels}, "spec": spec}


def _decide(tmp_path, objects: list[dict]):
    path = tmp_path / "cluster.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}))
    cluster = read_cluster([str(path)], warn=lambda message: None)
    profiles = load_profiles(None)
    return cluster, profiles, simulate(cluster, profiles)


def test_required_affinity_with_a_namespace_selector_finds_the_labelled_namespace(tmp_path):
    affinity = {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{
        "labelSelector": {"matchLabels": {"app": "db"}},
        "namespaceSelector": {"matchLabels": {"team": "data"}},
        "topologyKey": "kubernetes.io/hostname"}]}}
    objects = [
        _node("n1", "a"), _node("n2", "b"),
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "data", "labels": {"team": "data"}}},
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "web"}},
        _pod("db", "data", {"app": "db"}, node="n2"),
        _pod("frontend", "web", {"app": "frontend"}, affinity=affinity),
    ]
    cluster, profiles, result = _decide(tmp_path, objects)
    assert [(p.pod, p.node) for p in result.placements] == [("web/frontend", "n2")]
    assert explain(cluster, profiles, "web/frontend")["selectedNode"] == "n2"


def test_system_default_spreading_reads_the_owning_service(tmp_path):
    # Two pods of a Service already in zone a: the system default constraints (zone and
    # hostname, ScheduleAnyway) prefer zone b for the third; without the Service the
    # pod would have no spreading selector and PodTopologySpread would score nothing.
    objects = [
        _node("n1", "a"), _node("n2", "b"),
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "default"},
         "spec": {"selector": {"app": "web"}}},
        _pod("web-0", "default", {"app": "web"}, node="n1"),
        _pod("web-1", "default", {"app": "web"}, node="n1"),
        _pod("web-2", "default", {"app": "web"}),
    ]
    cluster, profiles, result = _decide(tmp_path, objects)
    report = explain(cluster, profiles, "default/web-2")
    spread = {n["node"]: n["scores"]["PodTopologySpread"]["normalized"] for n in report["nodes"]}
    assert spread["n2"] > spread["n1"]
    assert [(p.pod, p.node) for p in result.placements] == [("default/web-2", report["selectedNode"])]
