"""A profile with Python plugins (engine/python_plugins.py) decides as the pure-Python
reference calling the same plugin objects after its own filters and scores, on random
clusters, through tests/side_by_side.py: the same node (one of the tied best with a seed,
the first without), the same upstream message where a pod fits nowhere, and the engine's
reason histogram wording that message; evaluated first (as explain evaluates), the same
verdict per node, totals and weighted scores per plugin, the Python plugins' among them.
A constant Python score changes no total, so with the same seed the Python path draws among
the same ties as the core's own."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import event, given, settings, strategies as st

from tests.python_test_plugins import HASHED_OUT
from tests.side_by_side import Cluster, EngineSide, assert_same_evaluation, assert_same_queue, sides

from .strategies import scenarios

PLUGINS = "tests.python_test_plugins"
# (filters, scores with their weights)
PLUGIN_SETS = (
    ((f"{PLUGINS}:HashedFilter",), ()),
    ((), ((f"{PLUGINS}:HashedScore", 1),)),
    ((), ((f"{PLUGINS}:HashedScore", 3),)),
    ((f"{PLUGINS}:HashedFilter",), ((f"{PLUGINS}:HashedScore", 2), (f"{PLUGINS}:Flat", 1))),
    ((f"{PLUGINS}:PodHashedFilter",), ()),
    ((f"{PLUGINS}:HashedFilter", f"{PLUGINS}:PodHashedFilter"), ((f"{PLUGINS}:HashedScore", 1),)),
)


def _setup(scenario, filters=(), scores=()):
    cluster = Cluster(scenario.nodes, scenario.bound, scenario.objects)
    return cluster, replace(scenario.profiles[0], preemption=None, python_filters=filters, python_scores=scores)


@settings(max_examples=150)
@given(scenarios(changes=False), st.sampled_from(PLUGIN_SETS), st.one_of(st.none(), st.integers(0, 2**31)))
def test_python_plugin_decisions_match_reference(scenario, plugins, seed):
    seeded = seed is not None
    cluster, profile = _setup(scenario, *plugins)
    engine, reference = sides(cluster, profile, seed)
    explainer = EngineSide(cluster, profile, seed)  # evaluates each pod first, as explain would
    got = engine.decide_queue(scenario.pending)
    for pod, decided in zip(scenario.pending, got):
        evaluation = explainer.evaluate(pod)
        want, want_evaluation = reference.decide(pod, follow=decided.node)
        if len(want.best) > 1:
            event("tie among the best nodes" + (" (seeded)" if seeded else ""))
        if HASHED_OUT in want.message:
            event("a Python filter's reason in the message")
        assert_same_evaluation(evaluation, want_evaluation, seeded, (pod.key, seed))
        assert_same_queue([decided], [want], seeded, seed)
        if decided.node is None:
            assert decided.worded_failure == decided.message, decided.pod
        else:
            explainer.assume(pod, decided.node)


@settings(max_examples=60)
@given(scenarios(changes=False), st.integers(0, 2**31))
def test_a_constant_python_score_draws_as_the_core(scenario, seed):
    cluster, profile = _setup(scenario)
    core, _ = sides(cluster, profile, seed)
    flat, _ = sides(cluster, replace(profile, python_scores=((f"{PLUGINS}:Flat", 2),)), seed)
    pending = scenario.pending
    assert [d.node for d in flat.decide_queue(pending)] == [d.node for d in core.decide_queue(pending)]
