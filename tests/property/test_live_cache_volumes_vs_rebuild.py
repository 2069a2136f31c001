"""The live cache changed in place decides as a snapshot built anew, with the volume plugins
judging: PersistentVolumes, claims, StorageClasses, CSI drivers and nodes, attachments and
capacities (tests/property/test_volumes_vs_reference.py's clusters), while nodes change, go and
come back, and pods with claims are bound, removed and decided by the cache itself; and as
the pure-Python reference (volume_reference.py among its plugins) judges the same objects."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from kubesched.framework.profile import Profile
from kubesched.live.cache import Cache

from tests.side_by_side import ReferenceSide

from .test_live_cache_vs_rebuild import Objects, apply, assert_as_reference, decision, node_change
from .test_volumes_vs_reference import scenarios as volume_clusters


@st.composite
def scenarios(draw):
    nodes, objects, bound, pending, _ = draw(volume_clusters())
    bound = [replace(pod, uid=pod.name) for pod in bound]
    pending = [replace(pod, uid=pod.name) for pod in pending]
    steps = [("bind", pod, pod.node_name) for pod in bound]
    decided = 0
    for _ in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(("change", "change", "delete", "add", "bind", "remove", "decide", "decide")))
        if kind == "change":
            i = draw(st.integers(0, len(nodes) - 1))
            steps.append(("node", draw(node_change(nodes[i], i))))
        elif kind in ("delete", "add"):
            steps.append(("delete", nodes[-1].name) if kind == "delete" else ("node", nodes[-1]))
        elif kind == "bind":
            decided += 1
            pod = draw(st.sampled_from(pending))
            where = draw(st.sampled_from(nodes)).name
            steps.append(("bind", replace(pod, uid=f"bound-{decided}", node_name=where), where))
        elif kind == "remove":
            steps.append(("remove", draw(st.integers(0, 100))))
        else:
            decided += 1
            pod = draw(st.sampled_from(pending))
            steps.append(("decide", replace(pod, uid=f"decided-{decided}")))
    return nodes, objects, pending, steps, draw(st.one_of(st.none(), st.integers(0, 2**31)))


@settings(max_examples=150)
@given(scenarios())
def test_the_cache_with_volumes_decides_as_a_snapshot_built_anew(scenario):
    nodes, objects, pending, steps, seed = scenario
    profile = Profile()
    cache = Cache(profile, seed)
    references = objects.claim_references or Counter()
    cache.storage_source = lambda: (objects.storage, references)
    held = Objects(storage=objects.storage, claim_references=references)
    for node in nodes:
        apply(("node", node), cache, held, profile, seed)
    cache.snapshot_for(profile)
    for number, step in enumerate(steps):
        apply(step, cache, held, profile, seed)
        kept = cache.snapshot is not None
        snapshot = cache.snapshot_for(profile)
        rebuilt = held.snapshot(profile, seed, {})
        assert snapshot.node_names == rebuilt.node_names, (number, step[0])
        reference = ReferenceSide(held.cluster(), profile, seed)
        for pod in pending:
            before = snapshot.sampling_start
            got, want = decision(snapshot, pod, seed), decision(rebuilt, pod, seed)
            assert got == want, (number, step[0], pod.name, kept, got[0], want[0])
            assert_as_reference(snapshot, reference, pod, seed, before, got[0], (), (number, step[0], pod.name, kept))
