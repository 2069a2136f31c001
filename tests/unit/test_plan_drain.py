"""`kubesched plan drain`: where the pods of drained nodes go, and PodDisruptionBudgets."""

from __future__ import annotations

import orjson
import yaml
from click.testing import CliRunner

from kubesched.cli import main


def node(name, cpu="4"):
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
            "status": {"allocatable": {"cpu": cpu, "memory": "16Gi", "pods": "110"}}}


def pod(name, node_name, cpu="1", owner=None, labels=None):
    meta = {"name": name, "labels": labels or {}}
    if owner:
        meta["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": owner[0], "name": owner[1], "uid": "u",
                                    "controller": True}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": {"nodeName": node_name,
                     "containers": [{"name": "c", "image": "app:1", "resources": {"requests": {"cpu": cpu}}}]}}


def pdb(name, selector, **spec):
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": name},
            "spec": {"selector": {"matchLabels": selector}, **spec}}


def drain(tmp_path, objects, nodes):
    (tmp_path / "cluster.yaml").write_text(yaml.safe_dump_all(objects))
    out = tmp_path / "drain.json"
    result = CliRunner().invoke(main, ["plan", "drain", "-f", str(tmp_path / "cluster.yaml"), "--nodes", nodes,
                                       "--output-file", str(out)])
    return result, (orjson.loads(out.read_bytes()) if out.exists() else None)


RS = ("ReplicaSet", "web-1")


def test_pods_move_to_the_remaining_nodes(tmp_path):
    objects = [node("a"), node("b"), node("c"),
               pod("web-1", "a", owner=RS, labels={"app": "web"}), pod("web-2", "a", owner=RS, labels={"app": "web"}),
               pod("other", "b", cpu="3", owner=RS)]
    result, data = drain(tmp_path, objects, "a")
    assert result.exit_code == 0, result.output
    assert data["fits"] and data["evicted"] == 2
    assert {p["pod"]: p["node"] for p in data["placements"]} == {"default/web-1": "c", "default/web-2": "c"}
    assert all(p["from"] == "a" for p in data["placements"])


def test_exit_1_when_a_pod_fits_nowhere(tmp_path):
    objects = [node("a"), node("b", cpu="2"), pod("big", "a", cpu="3", owner=RS), pod("small", "a", owner=RS)]
    result, data = drain(tmp_path, objects, "a")
    assert result.exit_code == 1
    assert [u["pod"] for u in data["unschedulable"]] == ["default/big"]
    assert "node(s) were unschedulable" in data["unschedulable"][0]["message"]  # a is cordoned
    assert "Insufficient cpu" in data["unschedulable"][0]["message"]


def test_daemon_pods_stay_and_bare_pods_are_not_recreated(tmp_path):
    objects = [node("a"), node("b"), pod("agent-x", "a", owner=("DaemonSet", "agent")), pod("bare", "a")]
    result, data = drain(tmp_path, objects, "a")
    assert result.exit_code == 0
    assert data["evicted"] == 0
    assert data["keptOnNode"] == ["default/agent-x"] and data["notRecreated"] == ["default/bare"]
    assert "deleted for good" in result.output


def test_budgets_violated_when_evictions_are_simultaneous(tmp_path):
    web = [pod(f"web-{i}", "a" if i < 2 else "b", cpu="100m", owner=RS, labels={"app": "web"}) for i in range(4)]
    objects = [node("a"), node("b"), node("c"), *web,
               pdb("web-min", {"app": "web"}, minAvailable=3),       # allows 1: draining a evicts 2
               pdb("web-pct", {"app": "web"}, maxUnavailable="50%"),  # allows 2
               pdb("none", {"app": "db"}, minAvailable=1)]
    result, data = drain(tmp_path, objects, "a")
    budgets = {b["name"]: b for b in data["podDisruptionBudgets"]}
    assert budgets["default/web-min"] == {"name": "default/web-min", "selectedPods": 4, "disruptionsAllowed": 1,
                                          "evicted": 2, "violatedIfSimultaneous": True}
    assert budgets["default/web-pct"]["disruptionsAllowed"] == 2 and not budgets["default/web-pct"]["violatedIfSimultaneous"]
    assert budgets["default/none"]["evicted"] == 0
    assert data["budgetsViolatedIfSimultaneous"] == ["default/web-min"]
    assert result.exit_code == 0  # everything fits; the budget is reported
    assert "web-min" in result.output


def test_percent_rounds_up(tmp_path):
    web = [pod(f"web-{i}", "a", cpu="100m", owner=RS, labels={"app": "web"}) for i in range(7)]
    _, data = drain(tmp_path, [node("a"), node("b"), *web, pdb("half", {"app": "web"}, minAvailable="50%")], "a")
    assert data["podDisruptionBudgets"][0]["disruptionsAllowed"] == 3  # 7 - ceil(3.5)


def test_unknown_node_is_bad_input(tmp_path):
    result, _ = drain(tmp_path, [node("a")], "a,zzz")
    assert result.exit_code == 2 and "zzz" in result.output
