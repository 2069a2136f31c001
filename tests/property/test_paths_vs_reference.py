"""The commands' own paths decide as the pure-Python reference does, on random clusters,
through one helper (tests/side_by_side.py): `simulate` (the function the command runs),
`explain` (its per-node totals, each plugin's weighted score on each feasible node, and the
selected node, which is simulate's choice for that pod) and `plan fit` (the replicas that
fit, per node, against the reference deciding copies one by one until one fits nowhere).
Preemption is off: every pod has priority 0, and the reference's preemption is checked in
test_preemption_vs_reference.py."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import event, given, settings, strategies as st

from kubesched.plan.fit import plan_fit
from kubesched.sim.explain import explain
from kubesched.sim.simulate import simulate
from tests.side_by_side import (Cluster, Decided, Evaluation, Verdict, assert_same_evaluation, assert_same_queue,
                                sides)

from .strategies import scenarios


def _setup(scenario):
    cluster = Cluster(scenario.nodes, scenario.bound, scenario.objects)
    profile = replace(scenario.profiles[0], preemption=None)
    return cluster, profile, {"default-scheduler": profile}


def _simulated(cluster, profiles, pending, seed) -> list[Decided]:
    result = simulate(cluster.as_input(pending), profiles, seed)
    return [Decided(p.pod, p.node, p.message) for p in result.placements]


@settings(max_examples=150)
@given(scenarios(changes=False))
def test_simulate_matches_reference(scenario):
    _simulate_matches_reference(scenario)


@settings(max_examples=25)
@given(scenarios(large=True, changes=False))
def test_sampled_simulate_matches_reference(scenario):
    """100+ nodes: percentageOfNodesToScore samples from the rotating start."""
    _simulate_matches_reference(scenario)


def _simulate_matches_reference(scenario):
    if scenario.seed is not None:
        event("seeded")
    cluster, profile, profiles = _setup(scenario)
    got = _simulated(cluster, profiles, scenario.pending, scenario.seed)
    _, reference = sides(cluster, profile, scenario.seed)
    want = reference.decide_queue(scenario.pending, follow=[d.node for d in got])
    assert_same_queue(got, want, scenario.seed is not None, scenario.seed)


def _explained(report: dict) -> Evaluation:
    """explain's report as the helper's record: the nodes examined, each with the filter
    that failed on it (none on a feasible node) and its reasons, a feasible node's total and
    weighted score per plugin."""
    nodes = {}
    for entry in report["nodes"]:
        failed = next((name for name, f in entry["filters"].items() if f["status"] == "Unschedulable"), None)
        if failed is None and not entry["feasible"]:
            continue  # not examined: the search stopped before it
        reasons = tuple(entry["filters"][failed]["reasons"]) if failed else ()
        scores = {plugin: s["weighted"] for plugin, s in entry["scores"].items()} if entry["feasible"] else None
        nodes[entry["node"]] = Verdict(failed, reasons, entry.get("total"), scores)
    return Evaluation(nodes, report["selectedNode"])


@settings(max_examples=150)
@given(scenarios(changes=False), st.data())
def test_explain_matches_reference_and_simulate(scenario, data):
    """explain of a pending pod: the totals and the selected node the reference gives for
    it after the pods ahead of it, and the node simulate places it on (with the seed)."""
    _explain_matches_reference_and_simulate(scenario, data)


@settings(max_examples=25)
@given(scenarios(large=True, changes=False), st.data())
def test_sampled_explain_matches_reference_and_simulate(scenario, data):
    """100+ nodes: explain examines the nodes simulate's search would, from the same start."""
    _explain_matches_reference_and_simulate(scenario, data)


def _explain_matches_reference_and_simulate(scenario, data):
    cluster, profile, profiles = _setup(scenario)
    position = data.draw(st.integers(0, len(scenario.pending) - 1), label="position")
    pod = scenario.pending[position]
    simulated = _simulated(cluster, profiles, scenario.pending, scenario.seed)
    report = explain(cluster.as_input(scenario.pending), profiles, pod.key, scenario.seed)
    assert report["selectedNode"] == simulated[position].node, "explain selects another node than simulate"
    got = _explained(report)
    if len(got.nodes) < len(scenario.nodes):
        event("sampled: fewer nodes examined than the cluster has")
    _, reference = sides(cluster, profile, scenario.seed)
    reference.decide_queue(scenario.pending[:position], follow=[d.node for d in simulated[:position]])
    want = reference.evaluate(pod, follow=got.selected)
    assert_same_evaluation(got, want, scenario.seed is not None, (pod.key, scenario.seed))
    if want.selected is None:
        assert report["message"] == simulated[position].message


@settings(max_examples=100)
@given(scenarios(changes=False))
def test_plan_fit_matches_reference(scenario):
    """The replicas of the first pending pod that fit, per node, the cap 40 sometimes reached."""
    cluster, profile, _ = _setup(scenario)
    pod = replace(scenario.pending[0], index=0)
    cap = 40
    fit = plan_fit(cluster.as_input([]), pod, profile, max_replicas=cap, allow_preemption=False)
    engine, reference = sides(cluster, profile)
    want = reference.fit(pod, cap)
    if sum(want.values()) == cap:
        event("capped")
    assert fit.per_node == want, pod.key
    assert fit.replicas == sum(want.values())
    assert engine.fit(pod, cap) == want
