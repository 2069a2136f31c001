"""The plugin tables agree across languages: the C++ core's names (profile.hpp, reasons.hpp)
and the Python table (framework/plugins.py) a profile is configured from."""

import pytest

from kubesched import _core
from kubesched.framework.plugins import CORE_FILTERS, CORE_SCORES, DEFAULT_PLUGINS, EXTENSION_POINTS, GPU_SCORES
from kubesched.framework.profile import DEFAULT_WEIGHTS, Profile
from kubesched.engine.cluster import ClusterSnapshot


def test_filters_are_the_cores_in_its_order():
    # the order is the diagnosis order: a node's reason is the first filter that rejects it
    assert CORE_FILTERS == _core.FILTERS


def test_scores_are_the_cores():
    assert not set(CORE_SCORES) & set(GPU_SCORES)
    assert sorted(CORE_SCORES + GPU_SCORES) == sorted(_core.SCORES)
    assert len(_core.SCORES) == len(set(_core.SCORES))


def test_every_core_plugin_implements_its_extension_point():
    assert all("filter" in EXTENSION_POINTS[name] for name in _core.FILTERS)
    assert all("score" in EXTENSION_POINTS[name] for name in _core.SCORES)


def test_cpp_default_profile_is_the_python_default():
    filters, weights = _core.default_profile()
    assert filters == Profile().filters == CORE_FILTERS
    assert {name: weight for name, weight in weights.items() if weight} == DEFAULT_WEIGHTS
    assert DEFAULT_WEIGHTS == {name: weight or 1 for name, weight in DEFAULT_PLUGINS if name in CORE_SCORES}
    assert all(weights[name] == 0 for name in GPU_SCORES)  # off unless a profile enables them


def test_every_reason_kind_has_a_text():
    kinds = range(1, _core.REASON_KIND_COUNT)
    assert all((kind in _core._REASON_TEXT) != (kind in _core.PAYLOAD_REASON_KINDS) for kind in kinds)
    assert set(_core._REASON_TEXT) | set(_core.PAYLOAD_REASON_KINDS) == set(kinds)


@pytest.mark.parametrize("field, value, message", [
    ("filters", CORE_FILTERS + ("NodeFoo",), "unknown filter plugin(s) NodeFoo"),
    ("weights", {**DEFAULT_WEIGHTS, "FooScore": 1}, "unknown score plugin(s) FooScore"),
])
def test_set_profile_rejects_an_unknown_name(field, value, message):
    profile = Profile(**{field: value})
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ClusterSnapshot([], profile)
