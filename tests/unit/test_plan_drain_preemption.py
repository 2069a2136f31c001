"""`kubesched plan drain` with priorities: an evicted pod that fits nowhere preempts as the
scheduler would; a victim with a controller is recreated and placed in turn (preempting
lower pods still), one without is reported gone for good; `--no-preemption` turns it off."""

from __future__ import annotations

import orjson
import pytest
import yaml
from click.testing import CliRunner

from kubesched.cli import main
from tests.unit.test_plan_drain import RS, node, pdb, pod

pytestmark = pytest.mark.unit


def priority_class(name, value):
    return {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": name},
            "value": value}


def classed(obj, name):
    obj["spec"]["priorityClassName"] = name
    return obj


def cluster():
    """a (drained): critical; b: a batch pod; c: a mid pod and an orphan; d: a scrap pod whose
    budget allows no disruption."""
    return [priority_class("scrap", 1), priority_class("low", 10), priority_class("mid", 100),
            priority_class("high", 1000), node("a"), node("b"), node("c"), node("d"),
            classed(pod("critical", "a", cpu="3", owner=RS), "high"),
            classed(pod("batch", "b", cpu="4", owner=RS), "low"),
            classed(pod("mid", "c", cpu="2", owner=RS), "mid"),
            classed(pod("orphan", "c", cpu="2"), "low"),
            classed(pod("scrap", "d", cpu="4", labels={"app": "scrap"}), "scrap"),
            pdb("scrap", {"app": "scrap"}, minAvailable=1)]


def drain(tmp_path, *extra):
    (tmp_path / "cluster.yaml").write_text(yaml.safe_dump_all(cluster()))
    out = tmp_path / "drain.json"
    result = CliRunner().invoke(main, ["plan", "drain", "-f", str(tmp_path / "cluster.yaml"), "--nodes", "a",
                                       "--output-file", str(out), *extra])
    return result, orjson.loads(out.read_bytes())


def test_evicted_pods_preempt_and_recreated_victims_preempt_in_turn(tmp_path):
    result, data = drain(tmp_path)
    assert result.exit_code == 0, result.output
    assert data["fits"] and data["unschedulable"] == []
    # critical: b costs a low victim, c a mid one, d breaks a budget: b. The batch pod,
    # recreated, fits nowhere and preempts in turn, where only the scrap pod is lower.
    assert data["placements"] == [{"pod": "default/critical", "from": "a", "node": "b"},
                                  {"pod": "default/batch", "from": "b", "node": "d"}]
    assert [(p["pod"], p["node"], p["victims"], p["pdbViolations"]) for p in data["preemptions"]] == [
        ("default/critical", "b", ["default/batch"], 0), ("default/batch", "d", ["default/scrap"], 1)]
    assert data["preemptedNotRecreated"] == ["default/scrap"]
    assert "default/critical preempts default/batch on b." in result.output
    assert "default/batch preempts default/scrap on d (1 PDB violations)." in result.output


def test_without_preemption_the_critical_pod_fits_nowhere(tmp_path):
    result, data = drain(tmp_path, "--no-preemption")
    assert result.exit_code == 1
    assert [u["pod"] for u in data["unschedulable"]] == ["default/critical"]
    assert data["unschedulable"][0]["message"] == (
        "0/4 nodes are available: 1 node(s) were unschedulable, 3 Insufficient cpu.")
    assert data["preemptions"] == [] and data["preemptedNotRecreated"] == []
