"""`kubesched plan fit` with priorities: copies of a higher-priority pod preempt as the
scheduler would — the cheapest node first (PodDisruptionBudgets before priorities), each
victim listed — unless `--no-preemption`, `preemptionPolicy: Never` or equal priority."""

from __future__ import annotations

import pytest

from tests.unit.test_plan_fit import fit, node, pod

pytestmark = pytest.mark.unit


def priority_class(name, value, policy=None):
    obj = {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": name},
           "value": value}
    if policy:
        obj["preemptionPolicy"] = policy
    return obj


def with_class(obj, name):
    obj["spec"]["priorityClassName"] = name
    return obj


def cluster():
    """a: two guarded 2-cpu pods (a budget allowing no disruption); b: four 1-cpu pods."""
    guarded = [with_class(pod(f"guarded-{i}", cpu="2", node_name="a", labels={"app": "guarded"}), "low")
               for i in range(2)]
    loose = [with_class(pod(f"loose-{i}", cpu="1", node_name="b"), "low") for i in range(4)]
    budget = {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
              "metadata": {"name": "guarded", "namespace": "default"},
              "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "guarded"}}}}
    return [priority_class("low", 10), priority_class("high", 1000), priority_class("never", 1000, "Never"),
            node("a"), node("b"), *guarded, *loose, budget]


def test_copies_preempt_the_cheapest_victims_first(tmp_path):
    result, data = fit(tmp_path, cluster(), with_class(pod("critical", cpu="2"), "high"))
    assert result.exit_code == 0, result.output
    assert data["replicas"] == 4 and data["perNode"] == {"a": 2, "b": 2}
    # b costs no budget: both of its rounds come first, two loose pods each; then a, one
    # guarded pod each, each a violation.
    assert [(p["node"], len(p["victims"]), p["pdbViolations"]) for p in data["preemptions"]] == [
        ("b", 2, 0), ("b", 2, 0), ("a", 1, 1), ("a", 1, 1)]
    assert sorted(data["victims"]) == [f"default/guarded-{i}" for i in range(2)] + [
        f"default/loose-{i}" for i in range(4)]
    assert all(p["victimPriorities"] == [10] * len(p["victims"]) for p in data["preemptions"])
    assert data["message"] == ("0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are "
                               "available: 2 No preemption victims found for incoming pod.")
    assert "4 of them preempt 6 lower-priority pods" in result.output


def test_without_preemption_only_free_room_counts(tmp_path):
    result, data = fit(tmp_path, cluster(), with_class(pod("critical", cpu="2"), "high"), "--no-preemption")
    assert result.exit_code == 1
    assert data["replicas"] == 0 and data["preemptions"] == [] and data["victims"] == []
    assert data["message"] == "0/2 nodes are available: 2 Insufficient cpu."


def test_never_policy_and_equal_priority_preempt_nothing(tmp_path):
    result, data = fit(tmp_path, cluster(), with_class(pod("polite", cpu="2"), "never"))
    assert result.exit_code == 1 and data["replicas"] == 0
    assert data["message"].endswith(" preemption: not eligible due to preemptionPolicy=Never.")
    result, data = fit(tmp_path, cluster(), with_class(pod("peer", cpu="1"), "low"))
    assert result.exit_code == 1 and data["replicas"] == 0 and data["victims"] == []
    assert data["message"].endswith(" preemption: 0/2 nodes are available: 2 No preemption victims found for "
                                    "incoming pod.")


def test_pending_pods_placed_first_preempt_too(tmp_path):
    objects = [*cluster(), with_class(pod("urgent", cpu="4"), "high")]  # pending, before the copies
    result, data = fit(tmp_path, objects, with_class(pod("critical", cpu="2"), "high"), "--with-pending")
    assert result.exit_code == 0, result.output
    assert data["pendingPlaced"] == 1
    # urgent takes b (four loose victims, no budget); the copies then preempt on a.
    assert [(p["pod"], p["node"], len(p["victims"])) for p in data["pendingPreemptions"]] == [
        ("default/urgent", "b", 4)]
    assert data["replicas"] == 2 and data["perNode"] == {"a": 2}
