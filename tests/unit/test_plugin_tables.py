"""Each plugin is declared once, in its module under src/kubesched/plugins/; the C++ core's
enums, default weights and reason texts (profile.hpp, reasons.hpp, as the binding exposes them)
must agree with those declarations."""

import pytest

from kubesched import _core
from kubesched.framework.profile import Profile
from kubesched.plugins import (CORE_FILTERS, CORE_SCORES, DEFAULT_PLUGINS, DEFAULT_WEIGHTS, EXTENSION_POINTS,
                               FRAMEWORK_REASONS, GPU_SCORES, PLUGINS, ReasonKind)
from kubesched.engine.cluster import ClusterSnapshot

pytestmark = pytest.mark.unit


def declared_reasons():
    """(reason kind, payload) -> (the plugin declaring it, its text)."""
    found = {}
    for owner, reasons in [*((p.name, p.reasons) for p in PLUGINS), ("framework", FRAMEWORK_REASONS)]:
        for reason in reasons:
            key = (reason.kind, reason.payload)
            assert key not in found, f"{key} declared by {found[key][0]} and {owner}"
            found[key] = (owner, reason.text)
    return found


def test_each_core_filter_is_at_its_declared_index():
    # the order is the diagnosis order: a node's reason is the first filter that rejects it
    assert CORE_FILTERS == _core.FILTERS
    assert all(_core.FILTERS[p.core_filter] == p.name for p in PLUGINS if p.core_filter is not None)


def test_each_core_score_is_at_its_declared_index():
    declared = {p.core_score: p.name for p in PLUGINS if p.core_score is not None}
    assert declared == dict(enumerate(_core.SCORES))
    assert not set(CORE_SCORES) & set(GPU_SCORES)
    assert sorted(CORE_SCORES + GPU_SCORES) == sorted(_core.SCORES)


def test_every_core_plugin_implements_its_extension_point():
    assert all("filter" in EXTENSION_POINTS[name] for name in _core.FILTERS)
    assert all("score" in EXTENSION_POINTS[name] for name in _core.SCORES)


def test_cpp_default_profile_is_the_declared_default():
    filters, weights = _core.default_profile()
    assert filters == Profile().filters == CORE_FILTERS
    assert {name: weight for name, weight in weights.items() if weight} == DEFAULT_WEIGHTS
    assert DEFAULT_WEIGHTS == {name: weight or 1 for name, weight in DEFAULT_PLUGINS if name in CORE_SCORES}
    assert all(weights[name] == 0 for name in GPU_SCORES)  # off unless a profile enables them


def test_the_default_profile_is_upstreams():
    # pkg/scheduler/apis/config/v1/default_plugins.go, with DynamicResources (GA) before
    # DefaultPreemption and NodeDeclaredFeatures (GA) appended
    assert DEFAULT_PLUGINS == (
        ("SchedulingGates", 0), ("PrioritySort", 0), ("NodeName", 0), ("NodeUnschedulable", 0),
        ("TaintToleration", 3), ("NodeAffinity", 2), ("NodePorts", 0), ("NodeResourcesFit", 1),
        ("VolumeRestrictions", 0), ("NodeVolumeLimits", 0), ("VolumeBinding", 0), ("VolumeZone", 0),
        ("PodTopologySpread", 2), ("InterPodAffinity", 2), ("DynamicResources", 2), ("DefaultPreemption", 0),
        ("NodeResourcesBalancedAllocation", 1), ("ImageLocality", 1), ("DefaultBinder", 0),
        ("NodeDeclaredFeatures", 0))


def test_reason_kinds_are_the_cores():
    assert [kind.value for kind in ReasonKind] == list(range(1, _core.REASON_KIND_COUNT))
    assert {kind for kind, _ in declared_reasons()} == set(ReasonKind)


def test_the_cores_fixed_texts_are_declared():
    declared = declared_reasons()
    assert set(_core._REASON_TEXT) | set(_core.PAYLOAD_REASON_KINDS) == set(range(1, _core.REASON_KIND_COUNT))
    assert {kind: declared[kind, 0][1] for kind in _core._REASON_TEXT} == _core._REASON_TEXT
    assert not any(kind in _core._REASON_TEXT for kind, payload in declared if payload != 0)


def test_the_cores_payload_tables_are_declared():
    declared = {key: text for key, (_, text) in declared_reasons().items()}
    assert {p: declared[ReasonKind.DYNAMIC_RESOURCES, p] for p in _core.DRA_VERDICTS} == _core.DRA_VERDICTS
    assert {p: declared[ReasonKind.VOLUME, p] for p in _core.VOLUME_REASONS} == _core.VOLUME_REASONS
    assert {p for kind, p in declared if kind == ReasonKind.VOLUME} == set(_core.VOLUME_REASONS)
    assert {p for kind, p in declared if kind == ReasonKind.DYNAMIC_RESOURCES} == set(_core.DRA_VERDICTS)
    assert declared[ReasonKind.PREFILTER_REJECTED, 1] == _core.PREFILTER_REJECTIONS[1]


@pytest.mark.parametrize("key", sorted(declared_reasons()), ids=str)
def test_the_core_words_each_declared_reason_as_its_plugin(key):
    kind, payload = key
    owner, text = declared_reasons()[key]
    engine = _core.Engine()
    engine.volume_drivers = ["ebs.csi.aws.com"]
    if payload is None:  # a template the core fills from the payload: resource 0 is cpu, driver 0
        # the one above, PreFilter plugin bits 1 | 2 NodeName and NodeAffinity
        payload = {ReasonKind.INSUFFICIENT: 0, ReasonKind.CSI_DRIVER_MISSING: 0, ReasonKind.PREFILTER_NODES: 3}[kind]
        text = text.format(resource="cpu", driver="ebs.csi.aws.com", plugins="NodeAffinity NodeName")
    assert engine.reason_text(kind << 24 | payload) == text, owner


@pytest.mark.parametrize("field, value, message", [
    ("filters", CORE_FILTERS + ("NodeFoo",), "unknown filter plugin(s) NodeFoo"),
    ("weights", {**DEFAULT_WEIGHTS, "FooScore": 1}, "unknown score plugin(s) FooScore"),
])
def test_set_profile_rejects_an_unknown_name(field, value, message):
    profile = Profile(**{field: value})
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ClusterSnapshot([], profile)


@pytest.mark.parametrize("changes, message", [
    ({"filters": ("NodeName", "NodeFoo")}, "unknown filter plugin(s) NodeFoo; the core runs NodeName, "),
    ({"weights": {"ImageLocality": 1, "BarScore": 2}}, "unknown score plugin(s) BarScore; the core runs "),
    ({"strategy": "Mostallocated"}, "unknown scoring strategy 'Mostallocated'; the core runs LeastAllocated, "),
    ({"gpu_select": "Fgd"}, "unknown GPU selection 'Fgd'; the core runs Best, "),
])
def test_the_cores_set_profile_rejects_an_unknown_name(changes, message):
    engine = _core.Engine()
    with pytest.raises(ValueError) as raised:
        engine.set_profile(**{"filters": CORE_FILTERS, "weights": DEFAULT_WEIGHTS, **changes})
    assert str(raised.value).startswith(message)
