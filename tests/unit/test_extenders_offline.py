"""simulate and explain call a configuration's extenders as `run` does: filter, prioritize ×
weight, nodeCacheCapable, managedResources (interest and ignoredByScheduler), ignorable;
explain shows each extender's verdict per node and its scores; bind is never called offline."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from kubesched.cli import main
from kubesched.cli.options import load_profiles, load_profiles_and_extenders
from kubesched.errors import InputError
from kubesched.model.cluster import read_cluster
from kubesched.sim.explain import explain
from kubesched.sim.simulate import simulate
from tests.extender_server import extender_servers
from tests.resources import resources

pytestmark = pytest.mark.unit

NODES = ("a", "b", "c", "small")


servers = extender_servers()


def node(name: str) -> dict:
    cpu = "100m" if name == "small" else "4"
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
            "status": {"allocatable": {"cpu": cpu, "memory": "8Gi", "pods": "110"}}}


def pod(name: str, **requests) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
            "spec": {"containers": [{"name": "c", "image": "pause",
                                     "resources": resources({"cpu": "1", **requests})}]}}


def write(tmp_path, extenders: list[dict], pods: list[dict]) -> tuple[str, str]:
    manifests = tmp_path / "cluster.json"
    manifests.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [*map(node, NODES), *pods]}))
    config = tmp_path / "config.yaml"
    config.write_text(json.dumps({"apiVersion": "kubescheduler.config.k8s.io/v1",
                                  "kind": "KubeSchedulerConfiguration", "extenders": extenders}))
    return str(manifests), str(config)


def decide(tmp_path, extenders: list[dict], pods: list[dict], explained: str | None = None):
    manifests, config = write(tmp_path, extenders, pods)
    cluster = read_cluster([manifests], warn=lambda message: None)
    profiles, called = load_profiles_and_extenders(config)
    if explained:
        return explain(cluster, profiles, f"default/{explained}", None, called)
    return {p.pod: (p.node, p.message) for p in simulate(cluster, profiles, None, extenders=called).placements}


def test_simulate_filters_and_scores_through_the_extenders(tmp_path, servers):
    first = servers(reject={"a": "a is reserved"})
    second = servers(scores={"b": 1, "c": 9})
    placements = decide(tmp_path, [
        {"urlPrefix": first.url, "filterVerb": "filter", "nodeCacheCapable": True},
        {"urlPrefix": second.url, "filterVerb": "filter", "prioritizeVerb": "prioritize", "weight": 2,
         "bindVerb": "bind"}], [pod("p1"), pod("p2")])
    assert placements == {"default/p1": ("c", ""), "default/p2": ("c", "")}
    (verb, args), _ = first.calls  # once per pod; nodeCacheCapable: names only
    assert verb == "filter" and args["nodenames"] == ["a", "b", "c"] and args["pod"]["metadata"]["name"] == "p1"
    verbs = [verb for verb, _ in second.calls]
    assert verbs == ["filter", "prioritize", "filter", "prioritize"]  # never bind offline
    sent = second.calls[0][1]["nodes"]["items"]  # not nodeCacheCapable: the Nodes as read
    assert sent == [node("b"), node("c")]


def test_without_the_extenders_the_core_decides_alone(tmp_path):
    manifests, _ = write(tmp_path, [], [pod("p1")])
    cluster = read_cluster([manifests], warn=lambda message: None)
    (placement,) = simulate(cluster, load_profiles(None)).placements
    assert placement.node == "a"  # the extender's scores above are what moved it to c


def test_explain_shows_each_extender_s_verdict_and_scores(tmp_path, servers):
    first = servers(reject={"a": "a is reserved"}, unresolvable={"b": "b is retired"})
    second = servers(scores={"c": 3, "d": 0})
    report = decide(tmp_path, [
        {"urlPrefix": first.url, "filterVerb": "filter"},
        {"urlPrefix": second.url, "prioritizeVerb": "prioritize", "weight": 5, "bindVerb": "bind"}],
        [pod("p1")], explained="p1")
    nodes = {n["node"]: n for n in report["nodes"]}
    assert nodes["a"]["extenders"] == {first.url: {"status": "Unschedulable", "reasons": ["a is reserved"]}}
    assert nodes["b"]["extenders"] == {first.url: {"status": "UnschedulableAndUnresolvable",
                                                   "reasons": ["b is retired"]}}
    assert nodes["small"]["extenders"] == {first.url: {"status": "NotRun"}}  # the core rejected it
    assert not nodes["a"]["feasible"] and "total" not in nodes["a"]
    # one node left after the filters: upstream takes it without calling prioritize
    assert report["selectedNode"] == "c" and report["feasibleNodes"] == 1
    assert [verb for verb, _ in second.calls] == []
    assert report["binder"] == second.url
    assert [e["interested"] for e in report["extenders"]] == [True, True]


def test_explain_totals_add_score_times_weight_times_ten(tmp_path, servers):
    server = servers(scores={"b": 10, "c": 3})
    extenders = [{"urlPrefix": server.url, "prioritizeVerb": "prioritize", "weight": 5}]
    plain = explain(read_cluster([write(tmp_path, [], [pod("p1")])[0]], warn=lambda m: None),
                    load_profiles(None), "default/p1")
    report = decide(tmp_path, extenders, [pod("p1")], explained="p1")
    core = {n["node"]: n.get("total") for n in plain["nodes"]}
    nodes = {n["node"]: n for n in report["nodes"]}
    assert nodes["b"]["extenderScores"] == {server.url: {"score": 10, "weight": 5, "weighted": 500}}
    assert nodes["b"]["total"] == core["b"] + 500 and nodes["c"]["total"] == core["c"] + 150
    assert nodes["a"]["total"] == core["a"] and nodes["a"]["extenderScores"][server.url]["weighted"] == 0
    assert report["selectedNode"] == "b" and plain["selectedNode"] == "a"


def test_explain_table_names_the_extender_that_rejected_a_node(tmp_path, servers):
    server = servers(reject={"a": "a is reserved"}, scores={"b": 7})
    manifests, config = write(tmp_path, [{"urlPrefix": server.url, "filterVerb": "filter",
                                          "prioritizeVerb": "prioritize", "weight": 1}], [pod("p1")])
    result = CliRunner().invoke(main, ["explain", "-f", manifests, "--config", config, "--pod", "p1", "-o", "wide"])
    assert result.exit_code == 0, result.output
    assert f"{server.url}: a is reserved" in result.output
    assert "7×1×10=70" in result.output and "selected: b" in result.output


def test_managed_resources_decide_interest_and_may_be_ignored_by_the_core(tmp_path, servers):
    server = servers(reject={"a": "no foo here"})
    extender = {"urlPrefix": server.url, "filterVerb": "filter",
                "managedResources": [{"name": "example.com/foo", "ignoredByScheduler": True}]}
    placements = decide(tmp_path, [extender], [pod("plain"), pod("foo", **{"example.com/foo": "1"})])
    # no node has example.com/foo: the core ignores it, the extender decides about it
    assert placements == {"default/plain": ("a", ""), "default/foo": ("b", "")}
    assert [args["pod"]["metadata"]["name"] for _, args in server.calls] == ["foo"]
    report = decide(tmp_path, [extender], [pod("plain")], explained="plain")
    assert report["extenders"][0]["interested"] is False and "extenders" not in report["nodes"][0]


def test_a_failing_extender_is_skipped_if_ignorable_else_the_pod_is_not_placed(tmp_path, servers):
    broken = servers(status=500)
    ignorable = {"urlPrefix": broken.url, "filterVerb": "filter", "ignorable": True}
    assert decide(tmp_path, [ignorable], [pod("p1")]) == {"default/p1": ("a", "")}
    report = decide(tmp_path, [ignorable], [pod("p1")], explained="p1")
    assert report["selectedNode"] == "a"
    assert report["nodes"][0]["extenders"][broken.url]["status"] == "Error"
    strict = {"urlPrefix": broken.url, "filterVerb": "filter"}
    ((node_name, message),) = decide(tmp_path, [strict], [pod("p1")]).values()
    assert node_name is None and message == f"failed filter with extender at URL {broken.url}/filter, code 500"
    report = decide(tmp_path, [strict], [pod("p1")], explained="p1")
    assert report["selectedNode"] is None and "code 500" in report["error"]


def test_plan_still_refuses_extenders_and_bad_tls_is_one_line(tmp_path):
    manifests, config = write(tmp_path, [{"urlPrefix": "https://127.0.0.1:1", "filterVerb": "filter",
                                          "enableHTTPS": True, "tlsConfig": {"caFile": str(tmp_path / "none")}}],
                              [pod("p1")])
    with pytest.raises(InputError) as error:
        load_profiles(config)  # what plan reads
    assert error.value.field == "extenders" and "plan cannot honour them" in error.value.problem
    result = CliRunner().invoke(main, ["simulate", "-f", manifests, "--config", config])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1 and "extenders.tlsConfig" in result.output


def test_a_seed_breaks_the_extenders_ties_at_random_among_the_best(tmp_path, servers):
    # b and c tie on the extender's scores (a is lower); upstream's selectHost draws among them
    extender = servers(scores={"a": 1, "b": 5, "c": 5})
    manifests, config = write(tmp_path, [{"urlPrefix": extender.url, "prioritizeVerb": "prioritize", "weight": 1}],
                              [pod("p1")])
    cluster = read_cluster([manifests], warn=lambda message: None)
    profiles, called = load_profiles_and_extenders(config)
    chosen = {seed: simulate(cluster, profiles, seed, extenders=called).placements[0].node for seed in range(16)}
    assert set(chosen.values()) == {"b", "c"}
    assert simulate(cluster, profiles, None, extenders=called).placements[0].node == "b"  # no seed: the first
    assert all(simulate(cluster, profiles, seed, extenders=called).placements[0].node == node
               for seed, node in chosen.items())
