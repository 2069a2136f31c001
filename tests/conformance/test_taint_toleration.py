"""TaintToleration filter and score, ported from upstream's
tainttoleration/taint_toleration_test.go (TestTaintTolerationFilter, TestTaintTolerationScore).

The Gt/Lt toleration cases of recent upstream need the alpha feature gate
TaintTolerationComparisonOperators (off by default) and are not ported.
"""

import pytest

from .builders import evaluate, node, pod, score_only, taint, toleration

# Upstream's filter reason since kubernetes#134740 (cherry-picked to the supported
# releases): taint keys and values are no longer put in pod status messages.
REASON = "node(s) had untolerated taint(s)"

FILTER_CASES = [
    ("A pod having no tolerations can't be scheduled onto a node with nonempty taints",
     [], [taint("dedicated", "user1", "NoSchedule")], False),
    ("A pod which can be scheduled on a dedicated node assigned to user1 with effect NoSchedule",
     [toleration("dedicated", "user1", "NoSchedule")], [taint("dedicated", "user1", "NoSchedule")], True),
    ("A pod which can't be scheduled on a dedicated node assigned to user2 with effect NoSchedule",
     [toleration("dedicated", "user2", "NoSchedule", "Equal")], [taint("dedicated", "user1", "NoSchedule")], False),
    ("A pod can be scheduled onto the node, with a toleration uses operator Exists that tolerates the taints on the node",
     [toleration("foo", effect="NoSchedule", operator="Exists")], [taint("foo", "bar", "NoSchedule")], True),
    ("A pod has multiple tolerations, node has multiple taints, all the taints are tolerated",
     [toleration("dedicated", "user2", "NoSchedule", "Equal"), toleration("foo", effect="NoSchedule", operator="Exists")],
     [taint("dedicated", "user2", "NoSchedule"), taint("foo", "bar", "NoSchedule")], True),
    ("A pod has a toleration that keys and values match the taint on the node, but (non-empty) effect doesn't match",
     [toleration("foo", "bar", "PreferNoSchedule", "Equal")], [taint("foo", "bar", "NoSchedule")], False),
    ("The pod has a toleration that keys and values match the taint on the node, the effect of toleration is empty",
     [toleration("foo", "bar", operator="Equal")], [taint("foo", "bar", "NoSchedule")], True),
    ("The pod has a toleration that key and value don't match the taint on the node, but the effect of taint is PreferNoSchedule",
     [toleration("dedicated", "user2", "NoSchedule", "Equal")], [taint("dedicated", "user1", "PreferNoSchedule")], True),
    ("The pod has no toleration, but the effect of taint on node is PreferNoSchedule",
     [], [taint("dedicated", "user1", "PreferNoSchedule")], True),
    # Derived from the filter's rule (NoSchedule and NoExecute taints must be tolerated):
    ("derived: an untolerated NoExecute taint rejects the node",
     [toleration("dedicated", "user1", "NoSchedule")], [taint("dedicated", "user1", "NoExecute")], False),
    ("derived: an empty key with Exists tolerates every taint",
     [toleration(operator="Exists")], [taint("a", "1", "NoSchedule"), taint("b", "2", "NoExecute")], True),
]


@pytest.mark.parametrize("name, tolerations, taints, fits", FILTER_CASES, ids=[c[0][:60] for c in FILTER_CASES])
def test_filter(name, tolerations, taints, fits):
    result = evaluate([node("node-a", taints=taints)], pod(tolerations=tolerations))
    assert result.failed("node-a") == (None if fits else "TaintToleration")


def test_filter_reason_names_no_taint():
    """Upstream reports `node(s) had untolerated taint(s)`, without the taint's key and value,
    so that every node rejected for a taint lands in one bucket of the FitError message."""
    result = evaluate([node("node-a", taints=[taint("dedicated", "user1", "NoSchedule")])], pod())
    assert result.reasons("node-a") == [REASON]


SCORE_CASES = [
    ("node with taints tolerated by the pod, gets a higher score than those node with intolerable taints",
     [toleration("foo", "bar", "PreferNoSchedule", "Equal")],
     {"node-a": [taint("foo", "bar", "PreferNoSchedule")], "node-b": [taint("foo", "blah", "PreferNoSchedule")]},
     {"node-a": 100, "node-b": 0}),
    ("the nodes that all of their taints are tolerated by the pod, get the same score",
     [toleration("cpu-type", "arm64", "PreferNoSchedule", "Equal"), toleration("disk-type", "ssd", "PreferNoSchedule", "Equal")],
     {"node-a": [], "node-b": [taint("cpu-type", "arm64", "PreferNoSchedule")],
      "node-c": [taint("cpu-type", "arm64", "PreferNoSchedule"), taint("disk-type", "ssd", "PreferNoSchedule")]},
     {"node-a": 100, "node-b": 100, "node-c": 100}),
    ("the more intolerable taints a node has, the lower score it gets.",
     [toleration("foo", "bar", "PreferNoSchedule", "Equal")],
     {"node-a": [], "node-b": [taint("cpu-type", "arm64", "PreferNoSchedule")],
      "node-c": [taint("cpu-type", "arm64", "PreferNoSchedule"), taint("disk-type", "ssd", "PreferNoSchedule")]},
     {"node-a": 100, "node-b": 50, "node-c": 0}),
    ("only taints and tolerations that have effect PreferNoSchedule are checked by taints-tolerations priority function",
     [toleration("cpu-type", "arm64", "NoSchedule", "Equal"), toleration("disk-type", "ssd", "NoSchedule", "Equal")],
     {"node-a": [], "node-b": [taint("cpu-type", "arm64", "NoSchedule")],
      "node-c": [taint("cpu-type", "arm64", "PreferNoSchedule"), taint("disk-type", "ssd", "PreferNoSchedule")]},
     {"node-a": 100, "node-b": 100, "node-c": 0}),
    ("Default behaviour No taints and tolerations, lands on node with no taints",
     [], {"node-a": [], "node-b": [taint("cpu-type", "arm64", "PreferNoSchedule")]},
     {"node-a": 100, "node-b": 0}),
]


@pytest.mark.parametrize("name, tolerations, taints, want", SCORE_CASES, ids=[c[0][:60] for c in SCORE_CASES])
def test_score(name, tolerations, taints, want):
    nodes = [node(n, taints=t) for n, t in taints.items()]
    result = evaluate(nodes, pod(tolerations=tolerations), profile=score_only("TaintToleration"))
    assert result.scores("TaintToleration") == want
