"""The class signature (engine.pod_class.ClassSigner) leaves out only what no enabled plugin
reads: a pod and a twin that shares its key, made by changing such fields (and, where no
plugin reads it, the controller), are decided alike. Each is evaluated by its own engine on
the same cluster, so the twin's class is compiled from the twin; after both are placed on the
same node, every other pending pod is evaluated alike in the two engines too (what a placed
pod is to the others is in every key)."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import event, given, settings, strategies as st

from kubesched.engine.cluster import ClusterSnapshot
from kubesched.engine.pod_class import ClassSigner
from kubesched.plugins.plugin import SPEC_READS

from .strategies import scenarios, specs

# The plugins whose reads a twin may differ in when the profile turns them off.
SWITCHABLE = ("NodeUnschedulable", "TaintToleration", "NodeAffinity", "NodeResourcesFit", "PodTopologySpread",
              "InterPodAffinity", "NodeResourcesBalancedAllocation", "ImageLocality")


def _without(profile, names: set[str]):
    return replace(profile, filters=tuple(f for f in profile.filters if f not in names),
                   prefilters=tuple(f for f in profile.prefilters if f not in names),
                   weights={n: w for n, w in profile.weights.items() if n not in names}, preemption=None)


@st.composite
def twins(draw, pod, signer: ClassSigner):
    """A pod that differs from `pod` only where the signer does not look (each such field
    changed or kept at random)."""
    other = draw(specs())
    changed = {name: getattr(other, name) for name in sorted(SPEC_READS - set(signer.spec_fields))
               if draw(st.booleans())}
    for name in changed:
        event(f"twin differs in {name}")
    twin = replace(pod, name=f"{pod.name}-twin", spec=replace(pod.spec, **changed))
    if not signer.reads_owner and draw(st.booleans()):
        event("twin differs in its controller")
        twin = replace(twin, owner_kind=draw(st.sampled_from(("", "ReplicaSet", "StatefulSet"))), owner_name="rs")
    return twin


def _snapshot(scenario, profile) -> ClusterSnapshot:
    snapshot = ClusterSnapshot(scenario.nodes, profile, objects=scenario.objects)
    snapshot.add_bound(scenario.bound)
    return snapshot


@settings(max_examples=300)
@given(scenarios(changes=False), st.data())
def test_a_pod_and_its_signature_twin_are_decided_alike(scenario, data):
    off = {name for name in SWITCHABLE if data.draw(st.booleans())}
    profile = _without(scenario.profiles[0], off)
    signer = ClassSigner(profile)
    pod, others = scenario.pending[0], scenario.pending[1:]
    twin = data.draw(twins(pod, signer))
    assert signer.key(twin) == signer.key(pod)

    ours, theirs = _snapshot(scenario, profile), _snapshot(scenario, profile)
    pod_class, twin_class = ours.class_of(pod), theirs.class_of(twin)
    evaluated = ours.evaluate(pod_class)
    assert theirs.evaluate(twin_class) == evaluated
    if evaluated["selected"] < 0:
        return
    ours.assume(pod_class, evaluated["selected"])
    theirs.assume(twin_class, evaluated["selected"])
    for other in others:
        assert theirs.evaluate(theirs.class_of(other)) == ours.evaluate(ours.class_of(other)), other.key
