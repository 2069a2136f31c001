"""The core's victim search (src/_core/preemption.cpp) decides as the pure-Python reference
does, on random clusters with priorities, start times, PodDisruptionBudgets, nominated pods
and DefaultPreemptionArgs: the candidates (node, victims in order, PDB violations), the
rejected nodes and their reasons, the chosen node and why. Each preemption is then carried
out (victims leave, the preemptor lands on its node) before the next pod, so the core's
what-if must leave the snapshot exactly as it found it."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import event, given, settings
from hypothesis import strategies as st

from kubesched.model.records import LabelSelector, Pod
from kubesched.preemption import LATEST, PodDisruptionBudget, PodTable, PreemptionArgs, preempt
from kubesched.engine.cluster import ClusterSnapshot
from tests.reference.preemption_reference import reference_preempt
from tests.reference.reference import ReferenceScheduler

from .strategies import NAMESPACES, nodes, objects, pod_labels, profiles, specs

PRIORITIES = (-10, 0, 5, 10, 100)
RWOP = ("node(s) unavailable due to PersistentVolumeClaim with ReadWriteOncePod access mode already in-use by "
        "another pod")


@st.composite
def preemption_scenarios(draw):
    cluster = [] if draw(st.integers(0, 15)) == 0 else draw(nodes(min_size=1, max_size=8))  # no PostFilter then
    pool = draw(st.lists(specs(), min_size=1, max_size=4))
    if draw(st.integers(0, 3)) > 0:
        # Most rejections resolvable: no taints or node constraints, few pods per node.
        cluster = [replace(n, taints=(), unschedulable=False,
                           allocatable={**n.allocatable, "pods": draw(st.integers(1, 4))}) for n in cluster]
        pool = [replace(spec, tolerations=(), node_selector=(), required_node_terms=None) for spec in pool]
        event("resolvable-leaning cluster")
    label_pool = draw(st.lists(pod_labels, min_size=1, max_size=3))

    def pod(name: str, priority: int, node_name: str = "") -> Pod:
        return Pod(draw(st.sampled_from(tuple(NAMESPACES))), name, dict(draw(st.sampled_from(label_pool))),
                   draw(st.sampled_from(pool)), node_name=node_name, priority=priority)

    bound = [pod(f"bound-{i}", draw(st.sampled_from(PRIORITIES)), draw(st.sampled_from(cluster)).name)
             for i in range(draw(st.integers(0, 20)) if cluster else 0)]
    starts = {p.key: draw(st.one_of(st.just(LATEST), st.integers(0, 5))) for p in bound}
    budgets = [PodDisruptionBudget(draw(st.sampled_from(tuple(NAMESPACES))), f"pdb-{i}",
                                   LabelSelector((("app", draw(st.sampled_from(("a", "b")))),)),
                                   draw(st.integers(0, 2)),
                                   frozenset(draw(st.lists(st.sampled_from([p.name for p in bound] or ["x"]),
                                                           max_size=1))))
               for i in range(draw(st.integers(0, 2)))]
    incoming = [pod(f"pod-{i}", draw(st.sampled_from((5, 10, 100, 1000, 1000)))) for i in range(draw(st.integers(1, 5)))]
    nominated = []
    if cluster and draw(st.integers(0, 3)) == 0:
        nominated = [(pod("nominated", draw(st.sampled_from((10, 1000)))), draw(st.sampled_from(cluster)).name)]
    percentage = draw(st.integers(0, 100))
    args = PreemptionArgs(percentage, draw(st.integers(1 if percentage == 0 else 0, 5)))
    return cluster, bound, starts, budgets, incoming, nominated, args, draw(profiles()), draw(objects())


def _summary(result):
    return {"node": result.nominated_node, "victims": [p.key for p in result.victims],
            "violations": result.pdb_violations, "decided_by": result.decided_by, "message": result.message,
            "statuses": result.statuses,
            "candidates": [(c.node, [p.key for p in c.victims], c.pdb_violations) for c in result.candidates]}


@settings(max_examples=400)
@given(preemption_scenarios(), st.data())
def test_core_victim_search_matches_the_reference(scenario, data):
    check_preemptions(*scenario, data)


def check_preemptions(cluster, bound, starts, budgets, incoming, nominated, args, profile, objects, data):
    """Each incoming pod that fits nowhere: the core's preemption equals the reference's, the
    what-if leaves the snapshot as it was, and the preemption is carried out in both."""
    reference = ReferenceScheduler(cluster, profile, bound, objects)
    snapshot = ClusterSnapshot(cluster, profile, objects=objects)
    snapshot.add_bound(bound)
    table = PodTable(snapshot, budgets)
    for p in bound:  # the table's rows in the order the reference's nodes hold the pods
        table.add(p, p.node_name, start_time=starts[p.key])
    if not cluster:
        event("a cluster without nodes")
    for pod in incoming:
        class_id = snapshot.class_of(pod)
        evaluation = snapshot.evaluate(class_id)
        if evaluation["feasible"]:
            event("fits without preemption")
            continue
        for reason in {r for reasons in evaluation["reasons"] for r in reasons}:
            event(f"rejected: {reason}")
        offset = data.draw(st.integers(0, max(len(cluster) - 1, 0)))
        before = snapshot.usage()
        ours = preempt(snapshot, pod, table, args=args, nominated=nominated, offset=offset)
        theirs = reference_preempt(reference, pod, budgets, args, start_times=starts, nominated=nominated,
                                   offset=offset)
        assert _summary(ours) == _summary(theirs)
        after = snapshot.usage()
        assert all((a == b).all() for a, b in zip(before, after)), "the what-if changed the snapshot"
        if ours.nominated_node is None:
            event("preemption cannot help")
            continue
        for reason in {r for r in evaluation["reasons"][snapshot.node_index[ours.nominated_node]]}:
            event(f"preemption resolves: {reason}")
        event(f"decided by {ours.decided_by}")
        if ours.pdb_violations:
            event("violates a PodDisruptionBudget")
        if nominated:
            event("with a nominated pod")
        if len(ours.candidates) > 1:
            event("several candidates")
        node = ours.nominated_node
        for victim in ours.victims:
            snapshot.forget(*table.remove(victim))
            reference.forget(victim, victim.node_name)
        after_eviction = snapshot.evaluate(class_id)
        if after_eviction["failed_filter"][snapshot.node_index[node]] is not None and not nominated:
            # Upstream's what-if counts a ReadWriteOncePod claim's references by name: evicting
            # one of its users (or a pod naming a claim of that name elsewhere) may look enough.
            assert after_eviction["reasons"][snapshot.node_index[node]] == [RWOP], \
                "the pod does not fit where its victims left"
            event("nominated, still rejected: ReadWriteOncePod claim in use")
            continue
        snapshot.assume(class_id, snapshot.node_index[node])
        placed = Pod(pod.namespace, pod.name, pod.labels, pod.spec, node_name=node, priority=pod.priority)
        reference.state_of(node).add(placed)
        table.add(placed, node, class_id=class_id)
        starts[placed.key] = LATEST
