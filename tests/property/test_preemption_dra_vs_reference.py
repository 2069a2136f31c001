"""The core's victim search for pods with resource claims against the pure-Python reference:
DynamicResources' verdict per node (what the allocator found in PreFilter) is a fixed last
filter whose rejections are unresolvable; random clusters, priorities, budgets and
verdicts (as in test_preemption_vs_reference.py)."""

from __future__ import annotations

from hypothesis import event, given, settings
from hypothesis import strategies as st

from kubesched.dra.plugin import CANNOT_ALLOCATE, FITS, NOT_AVAILABLE, VERDICT_TEXT
from kubesched.preemption import PodTable, preempt
from kubesched.engine.cluster import ClusterSnapshot
from tests.reference.preemption_reference import reference_preempt
from tests.reference.reference import ReferenceScheduler

from .test_preemption_vs_reference import _summary, preemption_scenarios


@settings(max_examples=300)
@given(preemption_scenarios(), st.data())
def test_core_victim_search_with_device_verdicts_matches_the_reference(scenario, data):
    cluster, bound, starts, budgets, incoming, nominated, args, profile, objects = scenario
    reference = ReferenceScheduler(cluster, profile, bound, objects)
    snapshot = ClusterSnapshot(cluster, profile, objects=objects)
    snapshot.add_bound(bound)
    table = PodTable(snapshot, budgets)
    for p in bound:
        table.add(p, p.node_name, start_time=starts[p.key])
    checks = "DynamicResources" in profile.filters
    for pod in incoming:
        verdict = data.draw(st.lists(st.sampled_from((FITS, FITS, CANNOT_ALLOCATE, NOT_AVAILABLE)),
                                     min_size=len(cluster), max_size=len(cluster)))
        class_id = snapshot.class_with_dra(pod, verdict, [0] * len(cluster))
        if snapshot.evaluate(class_id)["feasible"]:
            event("fits without preemption")
            continue
        devices = {n.name: VERDICT_TEXT[v] for n, v in zip(cluster, verdict) if v != FITS} if checks else {}
        offset = data.draw(st.integers(0, max(len(cluster) - 1, 0)))
        ours = preempt(snapshot, pod, table, args=args, nominated=nominated, offset=offset, class_id=class_id)
        theirs = reference_preempt(reference, pod, budgets, args, start_times=starts, nominated=nominated,
                                   offset=offset, devices=devices)
        assert _summary(ours) == _summary(theirs)
        if any(VERDICT_TEXT[CANNOT_ALLOCATE] in reasons or VERDICT_TEXT[NOT_AVAILABLE] in reasons
               for reasons in ours.statuses.values()):
            event("devices reject a candidate in the dry run")
        event("nominated" if ours.nominated_node else "preemption cannot help")
