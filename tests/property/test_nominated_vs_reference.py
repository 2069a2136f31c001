"""Decisions with pods nominated to nodes (src/_core/nominated.cpp, through the live
nominator's choice of the pods to yield to) match the pure-Python reference's two passes on
random clusters: nominated pods of random priorities (some the pending pods themselves),
nodes where several are nominated, inter-pod rules and spreading in the specs, seeded ties."""

from __future__ import annotations

from hypothesis import event, given, settings
from hypothesis import strategies as st

from kubesched.live.nominator import Nominator
from kubesched.model.records import Pod
from kubesched.engine.cluster import ClusterSnapshot
from tests.reference.reference import ReferenceScheduler

from .strategies import NAMESPACES, nodes, objects, pod_labels, profiles, specs

PRIORITIES = (0, 10, 10, 100)


@st.composite
def nominated_scenarios(draw):
    cluster = draw(nodes(min_size=1, max_size=6))
    pool = draw(st.lists(specs(), min_size=1, max_size=4))
    label_pool = draw(st.lists(pod_labels, min_size=1, max_size=3))

    def pod(name: str, node_name: str = "") -> Pod:
        return Pod(draw(st.sampled_from(tuple(NAMESPACES))), name, dict(draw(st.sampled_from(label_pool))),
                   draw(st.sampled_from(pool)), node_name=node_name, priority=draw(st.sampled_from(PRIORITIES)))

    bound = [pod(f"bound-{i}", draw(st.sampled_from(cluster)).name) for i in range(draw(st.integers(0, 8)))]
    pending = [pod(f"pod-{i}") for i in range(draw(st.integers(1, 8)))]
    waiting = [pod(f"nominated-{i}") for i in range(draw(st.integers(0, 4)))]
    nominated = [(p, draw(st.sampled_from(cluster)).name)
                 for p in [*waiting, *draw(st.lists(st.sampled_from(pending), max_size=2, unique_by=lambda p: p.key))]]
    seed = draw(st.one_of(st.none(), st.integers(0, 2**31)))
    return cluster, bound, pending, nominated, draw(profiles()), draw(objects()), seed


def _both_sides(cluster, bound, nominated, profile, cluster_objects, seed):
    """The reference, the engine's snapshot with the bound pods, and a nominator holding the
    nominations."""
    reference = ReferenceScheduler(cluster, profile, bound, cluster_objects)
    snapshot = ClusterSnapshot(cluster, profile, seed=seed, objects=cluster_objects)
    snapshot.add_bound(bound)
    nominator = Nominator()
    for other, where in nominated:
        nominator.nominate(other.key, other, where)
    return reference, snapshot, nominator


@settings(max_examples=400)
@given(nominated_scenarios())
def test_decisions_with_nominated_pods_match_reference(scenario):
    cluster, bound, pending, nominated, profile, cluster_objects, seed = scenario
    reference, snapshot, nominator = _both_sides(cluster, bound, nominated, profile, cluster_objects, seed)
    for pod in pending:
        held = nominator.yield_to(snapshot, pod, pod.key)
        event(f"yields to {min(len(held), 2)}{'+' if len(held) >= 2 else ''} nominated pods")
        if any(reference.failure_with_nominated(pod, state, nominated) != reference.first_failure(pod, state)
               for state in reference.states):
            event("a nominated pod changes a node's verdict")
        chosen = snapshot._engine.schedule_with_nominated(snapshot.class_of(pod), held)
        got = snapshot.node_names[chosen] if chosen >= 0 else None
        want = reference.decide(pod, choice=got, nominated=nominated)
        context = (pod.name, want.totals, seed)
        nominator.remove(pod.key)  # decided: its own nomination is over
        nominated = [(other, where) for other, where in nominated if other.key != pod.key]
        if want.node is None:
            assert got is None, context
            assert snapshot.failure_message(snapshot.last_failure()) == want.message, context
            continue
        assert got in want.best, context
        if seed is None:
            assert got == want.best[0], context


@settings(max_examples=200)
@given(nominated_scenarios())
def test_evaluations_with_nominated_pods_match_reference(scenario):
    """Engine.evaluate with the pods to yield to (the decisions that filter further outside
    the core): each node's verdict is the reference's two passes', and the node it selects
    is schedule_with_nominated's."""
    cluster, bound, pending, nominated, profile, cluster_objects, _ = scenario
    reference, snapshot, nominator = _both_sides(cluster, bound, nominated, profile, cluster_objects, None)
    engine = snapshot._engine
    for pod in pending:
        held = nominator.yield_to(snapshot, pod, pod.key)
        class_id = snapshot.class_of(pod)
        evaluation = engine.evaluate(class_id, held)
        feasible = [name for n, name in enumerate(snapshot.node_names)
                    if evaluation["examined"][n] and evaluation["failed_filter"][n] is None]
        want = [state.node.name for state in reference.states
                if reference.failure_with_nominated(pod, state, nominated)[0] is None]
        assert feasible == want, pod.name
        chosen = engine.schedule_with_nominated(class_id, held)
        assert evaluation["selected"] == chosen, pod.name
        if chosen >= 0:
            engine.forget(class_id, chosen)
