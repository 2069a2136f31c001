"""simulate and explain with DefaultPreemption: nomination, evictions, requeue or report,
the summary, the explain section, and profiles that disable it or set its args."""

from __future__ import annotations

import json

import yaml

from kubesched.cli.options import load_profiles
from kubesched.framework.config import parse_config
from kubesched.model.cluster import read_cluster
from kubesched.sim.explain import explain
from kubesched.sim.simulate import simulate

PRIORITY = {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "high"}, "value": 1000}


def node(name):
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
            "status": {"allocatable": {"cpu": "2", "memory": "4Gi", "pods": "10"}}}


def pod(name, cpu, *, node_name=None, high=False, owner=False, start=None, labels=None, never=False):
    meta = {"name": name, "labels": labels or {}}
    if owner:
        meta["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "u",
                                    "controller": True}]
    spec = {"containers": [{"name": "c", "image": "x", "resources": {"requests": {"cpu": cpu}}}]}
    if node_name:
        spec["nodeName"] = node_name
    if high:
        spec["priorityClassName"] = "high"
    if never:
        spec["preemptionPolicy"] = "Never"
    obj = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}
    if start:
        obj["status"] = {"startTime": start}
    return obj


def cluster(tmp_path, *objects):
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump_all([PRIORITY, node("n1"), node("n2"), *objects]))
    return read_cluster([str(path)], warn=lambda message: None)


def filled(tmp_path, owner=True, extra=()):
    return cluster(tmp_path,
                   pod("low-1", "1500m", node_name="n1", owner=owner, start="2024-01-01T00:00:00Z", labels={"app": "low"}),
                   pod("low-2", "1500m", node_name="n2", owner=owner, start="2024-01-02T00:00:00Z", labels={"app": "low"}),
                   pod("critical", "1", high=True), *extra)


def test_a_preemptor_lands_on_its_nominated_node_and_its_victims_are_requeued(tmp_path):
    result = simulate(filled(tmp_path), load_profiles(None))
    placements = [p.to_json() for p in result.placements]
    # n2's victim started later: upstream's last criterion picks it
    assert placements[0] == {"pod": "default/critical", "node": "n2", "message": "", "nominatedNode": "n2",
                             "preempted": ["default/low-2"]}
    assert placements[1]["pod"] == "default/low-2" and placements[1]["node"] is None
    assert placements[1]["message"] == ("0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are "
                                        "available: 2 No preemption victims found for incoming pod.")
    summary = result.summary()
    assert (summary["preemptions"], summary["evicted"], summary["placed"], summary["unschedulable"]) == (1, 1, 1, 1)


def test_report_mode_and_bare_pods_are_not_decided_again(tmp_path):
    for case, preempted in ((filled(tmp_path, owner=True), "report"), (filled(tmp_path, owner=False), "requeue")):
        placements = [p.to_json() for p in simulate(case, load_profiles(None), preempted=preempted).placements]
        assert [p["pod"] for p in placements] == ["default/critical"]
        assert placements[0]["preempted"] == ["default/low-2"]


def test_a_pdb_steers_the_choice(tmp_path):
    budget = {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "b"},
              "spec": {"selector": {"matchLabels": {"app": "low"}}, "minAvailable": 2}}
    spare = pod("other", "1500m", node_name="n1", start="2024-01-01T00:00:00Z")
    case = cluster(tmp_path, pod("low-2", "1500m", node_name="n2", start="2024-01-02T00:00:00Z", labels={"app": "low"}),
                   pod("low-3", "1m", node_name="n1", labels={"app": "low"}), spare, budget, pod("critical", "1", high=True))
    first = simulate(case, load_profiles(None), preempted="report").placements[0]
    assert first.nominated_node == "n1" and first.preempted == ["default/other"]  # n2's victim would violate b


def test_explain_shows_every_candidate_and_why_the_node_won(tmp_path):
    report = explain(filled(tmp_path), load_profiles(None), "default/critical")
    assert report["selectedNode"] is None
    assert report["message"].endswith("preemption: found a potential placement for pod on node n2, preempting 1 victims")
    preemption = report["preemption"]
    assert preemption["decidedBy"] == "latest start of the highest-priority victims"
    assert [(c["node"], c["victims"], c["chosen"]) for c in preemption["candidates"]] == [
        ("n1", ["default/low-1"], False), ("n2", ["default/low-2"], True)]
    json.dumps(report)


def test_preemption_policy_never(tmp_path):
    never = cluster(tmp_path, pod("low-1", "1500m", node_name="n1"), pod("low-2", "1500m", node_name="n2"),
                    pod("critical", "1", high=True, never=True))
    placement = simulate(never, load_profiles(None)).placements[0]
    assert placement.node is None and placement.message == (
        "0/2 nodes are available: 2 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.")


def config(plugins=None, args=None):
    profile = {"schedulerName": "default-scheduler"}
    if plugins:
        profile["plugins"] = plugins
    if args:
        profile["pluginConfig"] = [{"name": "DefaultPreemption", "args": args}]
    return parse_config({"apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration",
                         "profiles": [profile]})


def test_a_profile_without_default_preemption_keeps_the_plain_message(tmp_path):
    profiles = config(plugins={"postFilter": {"disabled": [{"name": "DefaultPreemption"}]}})
    assert profiles["default-scheduler"].preemption is None
    placement = simulate(filled(tmp_path), profiles).placements[0]
    assert placement.node is None and placement.message == "0/2 nodes are available: 2 Insufficient cpu."


def test_default_preemption_args_are_read():
    profile = config(args={"minCandidateNodesPercentage": 40, "minCandidateNodesAbsolute": 1})["default-scheduler"]
    assert profile.preemption == (40, 1)
    assert config()["default-scheduler"].preemption == (10, 100)


def test_the_command_line_reports_preemptions(tmp_path):
    from click.testing import CliRunner

    from kubesched.cli import main

    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump_all([PRIORITY, node("n1"), pod("low-1", "1500m", node_name="n1", owner=True),
                                        pod("critical", "1", high=True)]))
    for mode, decided in (("requeue", ["default/critical", "default/low-1"]), ("report", ["default/critical"])):
        result = CliRunner().invoke(main, ["simulate", "-f", str(path), "--preempted", mode, "-o", "json"],
                                    catch_exceptions=False)
        document = json.loads(result.output)
        assert [p["pod"] for p in document["placements"]] == decided
        assert document["placements"][0]["preempted"] == ["default/low-1"]
        assert document["summary"]["preemptions"] == 1
    table = CliRunner().invoke(main, ["simulate", "-f", str(path)], catch_exceptions=False).output
    assert "1 preemptions evicted 1 pods." in table
    bad = CliRunner().invoke(main, ["simulate", "-f", str(path), "--preempted", "drop"])
    assert bad.exit_code == 2
