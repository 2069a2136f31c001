"""Pods decided with extenders preempt as kube-scheduler v1.37's DefaultPreemption does: the
core's dry run finds the candidates, each interested extender with a preemptVerb may drop
nodes or change victims (ProcessPreemption), its errors fail the PostFilter unless it is
ignorable; extenders without a preemptVerb do not prevent preemption."""

from __future__ import annotations

import json

import pytest

from kubesched.cli.options import load_profiles_and_extenders
from kubesched.model.cluster import read_cluster
from kubesched.sim.explain import explain
from kubesched.sim.simulate import simulate
from tests.extender_server import extender_servers
from tests.resources import resources

pytestmark = pytest.mark.unit

servers = extender_servers(prefix="/ext")


def node(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
            "status": {"allocatable": {"cpu": "2", "memory": "8Gi", "pods": "110"}}}


def pod(name: str, cpu: str, priority: int, node_name: str = "", uid: str = "") -> dict:
    spec = {"priority": priority, "containers": [{"name": "c", "image": "pause", "resources": resources({"cpu": cpu})}]}
    if node_name:
        spec["nodeName"] = node_name
    meta = {"name": name, "namespace": "default", **({"uid": uid} if uid else {})}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


# a and b each hold one low-priority pod of 1500m; the preemptor (1 CPU) fits after evicting it
BOUND = [pod("low-a", "1500m", 0, "a", uid="ua"), pod("low-b", "1500m", 0, "b", uid="ub"),
         pod("low-b2", "100m", 0, "b", uid="ub2")]


def run(tmp_path, extenders: list[dict], pods=None, explained: str | None = None):
    manifests = tmp_path / "cluster.json"
    items = [node("a"), node("b"), *BOUND, *(pods or [pod("high", "1", 100)])]
    manifests.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    config = tmp_path / "config.yaml"
    config.write_text(json.dumps({"apiVersion": "kubescheduler.config.k8s.io/v1",
                                  "kind": "KubeSchedulerConfiguration", "extenders": extenders}))
    cluster = read_cluster([str(manifests)], warn=lambda message: None)
    profiles, called = load_profiles_and_extenders(str(config))
    if explained:
        return explain(cluster, profiles, f"default/{explained}", None, called)
    return {p.pod: p for p in simulate(cluster, profiles, None, preempted="report", extenders=called).placements}


def preempt_calls(server):
    return [args for verb, args in server.calls if verb == "preempt"]


def test_an_extender_without_preempt_verb_does_not_prevent_preemption(tmp_path, servers):
    server = servers()
    placed = run(tmp_path, [{"urlPrefix": server.url, "filterVerb": "filter"}])["default/high"]
    # both nodes tie on every criterion: the first
    assert (placed.node, placed.nominated_node, placed.preempted) == ("a", "a", ["default/low-a"])
    assert preempt_calls(server) == []


def test_the_extender_drops_a_candidate_and_gets_the_victims_pods(tmp_path, servers):
    server = servers(drop={"a"})
    placed = run(tmp_path, [{"urlPrefix": server.url, "filterVerb": "filter", "preemptVerb": "preempt"}])["default/high"]
    assert (placed.node, placed.nominated_node, placed.preempted) == ("b", "b", ["default/low-b"])
    (args,) = preempt_calls(server)
    assert args["Pod"]["metadata"]["name"] == "high" and args["NodeNameToMetaVictims"] is None
    sent = args["NodeNameToVictims"]
    assert {n: [p["metadata"]["name"] for p in v["Pods"]] for n, v in sent.items()} == {
        "a": ["low-a"], "b": ["low-b"]}
    assert sent["a"]["NumPDBViolations"] == 0
    # the nominated node is tried first: the extender's filter is asked about it alone
    filters = [args for verb, args in server.calls if verb == "filter"]
    assert [n["metadata"]["name"] for n in filters[-1]["nodes"]["items"]] == ["b"]


def test_node_cache_capable_extender_gets_uids_and_may_change_the_victims(tmp_path, servers):
    server = servers(drop={"a"}, victims={"b": ["ub", "ub2"]})
    placed = run(tmp_path, [{"urlPrefix": server.url, "preemptVerb": "preempt", "nodeCacheCapable": True}])
    assert placed["default/high"].preempted == ["default/low-b", "default/low-b2"]
    (args,) = preempt_calls(server)
    assert args["NodeNameToVictims"] is None
    assert args["NodeNameToMetaVictims"] == {"a": {"Pods": [{"UID": "ua"}], "NumPDBViolations": 0},
                                             "b": {"Pods": [{"UID": "ub"}], "NumPDBViolations": 0}}


def test_errors_fail_the_post_filter_unless_the_extender_is_ignorable(tmp_path, servers):
    broken = servers(preempt_status=500)
    strict = {"urlPrefix": broken.url, "preemptVerb": "preempt"}
    placed = run(tmp_path, [strict])["default/high"]
    assert placed.node is None and placed.nominated_node is None
    assert placed.message.endswith(f"preemption: failed preempt with extender at URL {broken.url}/preempt, code 500")
    placed = run(tmp_path, [{**strict, "ignorable": True}])["default/high"]
    assert (placed.node, placed.preempted) == ("a", ["default/low-a"])


def test_a_node_without_victims_or_an_unknown_pod_is_an_error(tmp_path, servers):
    empty = servers(drop={"a"}, victims={"b": []})
    placed = run(tmp_path, [{"urlPrefix": empty.url, "preemptVerb": "preempt"}])["default/high"]
    assert placed.node is None and placed.message.endswith('preemption: expected at least one victim pod on node "b"')
    placed = run(tmp_path, [{"urlPrefix": empty.url, "preemptVerb": "preempt", "ignorable": True}])["default/high"]
    assert placed.node is None and placed.message.endswith("preemption: no candidate node for preemption")
    unknown = servers(victims={"b": ["nope"]})
    placed = run(tmp_path, [{"urlPrefix": unknown.url, "preemptVerb": "preempt"}])["default/high"]
    assert placed.message.endswith(f"preemption: extender: {unknown.url} claims to preempt pod (UID: &{{nope}}) "
                                   "on node: b, but the pod is not found on that node")


def test_an_extender_filter_rejection_is_a_potential_node_of_the_dry_run(tmp_path, servers):
    # b: the core's filters pass (400m free), the extender rejects it as Unschedulable; with
    # low-b and low-b2 back the pod fits, so the dry run finds no victim there: an error
    server = servers(reject={"b": "b is reserved"})
    on_b = pod("high", "300m", 100)
    on_b["spec"]["nodeSelector"] = {"kubernetes.io/hostname": "b"}
    placed = run(tmp_path, [{"urlPrefix": server.url, "filterVerb": "filter"}], [on_b])["default/high"]
    assert placed.node is None
    assert placed.message == ("0/2 nodes are available: 1 b is reserved, 1 node(s) didn't match Pod's node "
                              'affinity/selector. preemption: expected at least one victim pod on node "b"')
    server.reject, server.unresolvable = {}, {"b": "b is retired"}  # unresolvable: no candidate
    placed = run(tmp_path, [{"urlPrefix": server.url, "filterVerb": "filter"}], [on_b])["default/high"]
    assert placed.message.endswith("preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.")


def test_an_uninterested_extender_is_not_asked(tmp_path, servers):
    server = servers(drop={"a", "b"})
    extender = {"urlPrefix": server.url, "preemptVerb": "preempt", "filterVerb": "filter",
                "managedResources": [{"name": "example.com/foo"}]}
    placed = run(tmp_path, [extender])["default/high"]
    assert placed.preempted == ["default/low-a"] and server.calls == []


def test_explain_shows_each_extender_s_answer_on_the_candidates(tmp_path, servers):
    server = servers(drop={"a"})
    report = run(tmp_path, [{"urlPrefix": server.url, "preemptVerb": "preempt"}], explained="high")
    preemption = report["preemption"]
    assert preemption["nominatedNode"] == "b" and [c["node"] for c in preemption["candidates"]] == ["b"]
    (call,) = preemption["extenders"]
    assert call["urlPrefix"] == server.url and call["sent"] == ["a", "b"]
    assert [c["node"] for c in call["kept"]] == ["b"]
    assert report["message"].endswith("preemption: found a potential placement for pod on node b, preempting 1 victims")
