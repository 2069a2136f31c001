"""The core decides every pod exactly as the pure-Python reference does."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from kubesched.snapshot.cluster import ClusterSnapshot
from kubesched.testing.reference import ReferenceScheduler

from .strategies import scenarios


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_queue_decisions_match_reference(scenario):
    nodes, bound, pending, profile, objects = scenario
    reference = ReferenceScheduler(nodes, profile, bound, objects)
    expected = [reference.decide(pod) for pod in pending]

    snapshot = ClusterSnapshot(nodes, profile, objects=objects)
    snapshot.add_bound(bound)
    chosen = snapshot.place(pending)
    failures = iter(snapshot.engine.failures())
    for pod, node, want in zip(pending, chosen.tolist(), expected):
        got = snapshot.node_names[node] if node >= 0 else None
        assert got == want.node, (pod.name, want.totals)
        if node < 0:
            assert snapshot.failure_message(next(failures)) == want.message


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_explain_totals_match_reference(scenario):
    nodes, bound, pending, profile, objects = scenario
    reference = ReferenceScheduler(nodes, profile, bound, objects)
    snapshot = ClusterSnapshot(nodes, profile, objects=objects)
    snapshot.add_bound(bound)
    pod = pending[0]
    evaluation = snapshot.engine.evaluate(snapshot.class_of(pod))
    want = reference.decide(pod)
    got_totals = {snapshot.node_names[i]: t for i, t in enumerate(evaluation["total"]) if t >= 0}
    if want.node is None:
        assert got_totals == {}
    else:
        assert got_totals == want.totals
        assert snapshot.node_names[evaluation["selected"]] == want.node
