"""PodTopologySpread filter, ported from upstream's podtopologyspread/filtering_test.go
(TestSingleConstraint, TestMultipleConstraints, and the matchLabelKeys cases of
TestPreFilterState turned into the verdicts their counts imply). Only the plugin's filter
runs, as in upstream's tests (which is why nodes another filter would reject still fit).
Upstream's "terminating Pods should be excluded" cases are not ported: kubesched's input
has no terminating pods.
"""

import pytest

from .builders import (DO_NOT_SCHEDULE, affinity, evaluate, exists, filters_only, node, node_term, pod, req,
                       selector, spread, taint)

SPREAD = "node(s) didn't match pod topology spread constraints"
MISSING = "node(s) didn't match pod topology spread constraints (missing required label)"
PROFILE = filters_only("PodTopologySpread")
FOO = exists("foo")
BAR = exists("bar")
UNSCHEDULABLE_TAINT = [taint("node.kubernetes.io/unschedulable", "", "NoSchedule")]


def zn(zone, name, **extra):
    labels = {"node": name} if zone is None else {"zone": zone, "node": name}
    labels.update(extra)
    return labels


FOUR = {"node-a": zn("zone1", "node-a"), "node-b": zn("zone1", "node-b"),
        "node-x": zn("zone2", "node-x"), "node-y": zn("zone2", "node-y")}


def pods(placement, labels=None, namespace=None):
    """Existing pods from {node: count}, all with `labels` (default {foo: ""})."""
    labels = {"foo": ""} if labels is None else labels
    return [pod(node=n, labels=labels, namespace=namespace) for n, count in placement.items() for _ in range(count)]


def incoming(*constraints, labels=None, **kwargs):
    return pod(labels={"foo": ""} if labels is None else labels, spread=list(constraints), **kwargs)


def zone(max_skew=1, sel=FOO, **kwargs):
    return spread(max_skew, "zone", DO_NOT_SCHEDULE, sel, **kwargs)


def by_node(max_skew=1, sel=FOO, **kwargs):
    return spread(max_skew, "node", DO_NOT_SCHEDULE, sel, **kwargs)


def run(nodes, incoming_pod, existing, taints=None):
    taints = taints or {}
    built = [node(n, labels, taints=taints.get(n)) for n, labels in nodes.items()]
    return evaluate(built, incoming_pod, existing, PROFILE)


def check(result, expected):
    """`expected`: node -> "ok", "skew" or "missing"."""
    reasons = {"ok": [], "skew": [SPREAD], "missing": [MISSING]}
    got = {n: ("ok" if result.failed(n) is None else result.reasons(n)) for n in expected}
    want = {n: ("ok" if v == "ok" else reasons[v]) for n, v in expected.items()}
    assert got == want
    for name, verdict in expected.items():
        assert result.failed(name) == (None if verdict == "ok" else "PodTopologySpread")


def expect(a, b, x, y, names=("node-a", "node-b", "node-x", "node-y")):
    return dict(zip(names, (a, b, x, y)))


SINGLE = [
    ("no existing pods", FOUR, incoming(zone()), [], expect("ok", "ok", "ok", "ok")),
    ("no existing pods, incoming pod doesn't match itself", FOUR, incoming(zone(sel=BAR)), [],
     expect("ok", "ok", "ok", "ok")),
    ("existing pods in a different namespace do not count", FOUR, incoming(zone()),
     pods({"node-a": 1}, namespace="ns1") + pods({"node-a": 1}, namespace="ns2") + pods({"node-x": 1, "node-y": 1}),
     expect("ok", "ok", "skew", "skew")),
    ("existing pods do not match null selector", FOUR, incoming(zone(sel=None)), pods({"node-x": 1, "node-y": 1}),
     expect("ok", "ok", "ok", "ok")),
    ("pods spread across zones as 3/3, all nodes fit", FOUR, incoming(zone()),
     pods({"node-a": 2, "node-b": 1, "node-y": 3}), expect("ok", "ok", "ok", "ok")),
    ("pods spread across zones as 1/2 due to absence of label 'zone' on node-b",
     {**FOUR, "node-b": {"zon": "zone1", "node": "node-b"}}, incoming(zone()),
     pods({"node-a": 1, "node-b": 1, "node-x": 1, "node-y": 1}), expect("ok", "missing", "skew", "skew")),
    ("pods spread across nodes as 2/1/0/3, only node-x fits", FOUR, incoming(by_node()),
     pods({"node-a": 2, "node-b": 1, "node-y": 3}), expect("skew", "skew", "ok", "skew")),
    ("pods spread across nodes as 2/1/0/3, maxSkew is 2, node-b and node-x fit", FOUR, incoming(by_node(2)),
     pods({"node-a": 2, "node-b": 1, "node-y": 3}), expect("skew", "ok", "ok", "skew")),
    ("pods spread across nodes as 2/1/0/3, but pod doesn't match itself", FOUR,
     incoming(by_node(), labels={"bar": ""}), pods({"node-a": 2, "node-b": 1, "node-y": 3}),
     expect("skew", "ok", "ok", "skew")),
    ("incoming pod has nodeAffinity, pods spread as 2/~1~/~0~/3, hence node-a fits", FOUR,
     incoming(by_node(), affinity=affinity(node_required=[node_term(req("node", "In", "node-a", "node-y"))])),
     pods({"node-a": 2, "node-b": 1, "node-y": 3}), expect("ok", "ok", "ok", "skew")),
    ("incoming pod has nodeAffinity, pods spread as 0/~2~/0/1, hence node-a fits", FOUR,
     incoming(zone(), affinity=affinity(node_required=[node_term(req("node", "NotIn", "node-b"))])),
     pods({"node-b": 2, "node-y": 1}), expect("ok", "ok", "skew", "skew")),
    ("NodeAffinityPolicy honored with labelSelectors",
     {n: zn(None, n, **({"foo": ""} if n != "node-y" else {})) for n in FOUR},
     incoming(by_node(), node_selector={"foo": ""}), pods({"node-a": 1, "node-b": 1, "node-y": 1}),
     expect("skew", "skew", "ok", "ok")),
    ("NodeAffinityPolicy ignored with labelSelectors",
     {n: zn(None, n, **({"foo": ""} if n != "node-y" else {})) for n in FOUR},
     incoming(by_node(node_affinity_policy="Ignore"), node_selector={"foo": ""}),
     pods({"node-a": 1, "node-b": 1, "node-y": 1}), expect("skew", "skew", "ok", "skew")),
    ("NodeAffinityPolicy honored with nodeAffinity",
     {n: zn(None, n, **({"foo": ""} if n != "node-y" else {})) for n in FOUR},
     incoming(by_node(), affinity=affinity(node_required=[node_term(req("foo", "In", ""))])),
     pods({"node-a": 1, "node-b": 1, "node-y": 1}), expect("skew", "skew", "ok", "ok")),
    ("NodeAffinityPolicy ignored with nodeAffinity",
     {n: zn(None, n, **({"foo": ""} if n != "node-y" else {})) for n in FOUR},
     incoming(by_node(node_affinity_policy="Ignore"), affinity=affinity(node_required=[node_term(req("foo", "In", ""))])),
     pods({"node-a": 1, "node-b": 1, "node-y": 1}), expect("skew", "skew", "ok", "skew")),
]


@pytest.mark.parametrize("name, nodes, incoming_pod, existing, expected", SINGLE, ids=[c[0][:80] for c in SINGLE])
def test_single_constraint(name, nodes, incoming_pod, existing, expected):
    check(run(nodes, incoming_pod, existing), expected)


def test_missing_topology_key_on_every_node():
    # "pod cannot be scheduled as all nodes don't have label 'rack'"
    nodes = {"node-a": zn("zone1", "node-a"), "node-x": zn("zone2", "node-x")}
    result = run(nodes, incoming(spread(1, "rack", DO_NOT_SCHEDULE, FOO)), [])
    check(result, {"node-a": "missing", "node-x": "missing"})


@pytest.mark.parametrize("name, policy, expected", [
    ("NodeTaintsPolicy honored", "Honor", expect("skew", "skew", "ok", "ok")),
    ("NodeTaintsPolicy ignored", None, expect("skew", "skew", "ok", "skew")),
])
def test_node_taints_policy(name, policy, expected):
    # Pods spread 1/1/0/1 and node-y carries an untolerated taint.
    nodes = {n: zn(None, n, **({"foo": ""} if n != "node-y" else {})) for n in FOUR}
    result = run(nodes, incoming(by_node(node_taints_policy=policy)), pods({"node-a": 1, "node-b": 1, "node-y": 1}),
                 taints={"node-y": UNSCHEDULABLE_TAINT})
    check(result, expected)


THREE_NODES = {"node-a": {"node": "node-a"}, "node-b": {"node": "node-b"}, "node-c": {"node": "node-c"}}


@pytest.mark.parametrize("name, nodes, constraint, placement, expected", [
    ("pods spread across nodes as 2/2/1, maxSkew is 2, and the number of domains < minDomains, then the third node fits",
     THREE_NODES, by_node(2, min_domains=4), {"node-a": 2, "node-b": 2, "node-c": 1},
     {"node-a": "skew", "node-b": "skew", "node-c": "ok"}),
    ("pods spread across nodes as 2/2/1, maxSkew is 2, and the number of domains > minDomains, then the all nodes fit",
     THREE_NODES, by_node(2, min_domains=2), {"node-a": 2, "node-b": 2, "node-c": 1},
     {"node-a": "ok", "node-b": "ok", "node-c": "ok"}),
    ("pods spread across zone as 2/1, maxSkew is 2 and the number of domains < minDomains, then the third and fourth nodes fit",
     FOUR, zone(2, min_domains=3), {"node-a": 1, "node-b": 1, "node-y": 1}, expect("skew", "skew", "ok", "ok")),
    ("pods spread across zone as 2/1, maxSkew is 2 and the number of domains > minDomains, then the all nodes fit",
     FOUR, zone(2, min_domains=1), {"node-a": 1, "node-b": 1, "node-y": 1}, expect("ok", "ok", "ok", "ok")),
])
def test_min_domains(name, nodes, constraint, placement, expected):
    check(run(nodes, incoming(constraint), pods(placement)), expected)


TAINTED_Y = {"node-y": UNSCHEDULABLE_TAINT}
FOO_EXCEPT_Y = {n: {**FOUR[n], **({"foo": ""} if n != "node-y" else {})} for n in FOUR}

MULTIPLE = [
    # (upstream case name, nodes, taints, incoming pod, existing pods, verdicts)
    ("two Constraints on zone and node, spreads = [3/3, 2/1/0/3]", FOUR, None, incoming(zone(), by_node()),
     pods({"node-a": 2, "node-b": 1, "node-y": 3}), expect("skew", "skew", "ok", "skew")),
    ("two Constraints on zone and node, spreads = [3/4, 2/1/0/4]", FOUR, None, incoming(zone(), by_node()),
     pods({"node-a": 2, "node-b": 1, "node-y": 4}), expect("skew", "skew", "skew", "skew")),
    ("Constraints hold different labelSelectors, spreads = [1/0, 1/0/0/1]", FOUR, None,
     incoming(zone(), by_node(sel=BAR), labels={"foo": "", "bar": ""}),
     pods({"node-a": 1}) + pods({"node-y": 1}, labels={"bar": ""}), expect("skew", "skew", "ok", "skew")),
    ("Constraints hold different labelSelectors, spreads = [1/0, 0/0/1/1]", FOUR, None,
     incoming(zone(), by_node(sel=BAR), labels={"foo": "", "bar": ""}),
     pods({"node-a": 1}) + pods({"node-x": 1, "node-y": 1}, labels={"bar": ""}), expect("skew", "skew", "skew", "skew")),
    ("Constraints hold different labelSelectors, spreads = [2/3, 1/0/0/1]", FOUR, None,
     incoming(zone(), by_node(sel=BAR), labels={"foo": "", "bar": ""}),
     pods({"node-a": 1, "node-y": 2}) + pods({"node-a": 1, "node-y": 1}, labels={"foo": "", "bar": ""}),
     expect("skew", "ok", "skew", "skew")),
    ("Constraints hold different labelSelectors but pod doesn't match itself on 'zone' constraint", FOUR, None,
     incoming(zone(), by_node(sel=BAR), labels={"bar": ""}),
     pods({"node-a": 1}) + pods({"node-x": 1, "node-y": 1}, labels={"bar": ""}), expect("ok", "ok", "skew", "skew")),
    ("two Constraints on zone and node, absence of label 'node' on node-x, spreads = [1/1, 1/0/0/1]",
     {**FOUR, "node-x": {"zone": "zone2"}}, None, incoming(zone(), by_node()), pods({"node-a": 1, "node-y": 1}),
     expect("skew", "ok", "missing", "skew")),
    ("two node inclusion Constraints, zone: honor/ignore, node: ignore/ignore", FOO_EXCEPT_Y, None,
     incoming(zone(), by_node(node_affinity_policy="Ignore"), node_selector={"foo": ""}),
     pods({"node-a": 1, "node-b": 1, "node-y": 1}), expect("skew", "skew", "ok", "skew")),
    ("two node inclusion Constraints, zone: honor/honor, node: honor/ignore", FOO_EXCEPT_Y, TAINTED_Y,
     incoming(zone(node_taints_policy="Honor"), by_node()),
     pods({"node-a": 1, "node-b": 1, "node-y": 1}), expect("skew", "skew", "ok", "skew")),
    ("two node inclusion Constraints, zone: honor/ignore, node: honor/ignore",
     {"node-a": {**FOUR["node-a"], "foo": ""}, "node-b": FOUR["node-b"], "node-x": {**FOUR["node-x"], "foo": ""},
      "node-y": {**FOUR["node-y"], "foo": ""}}, TAINTED_Y,
     incoming(zone(), by_node(), node_selector={"foo": ""}), pods({"node-a": 1, "node-b": 1, "node-y": 1}),
     expect("skew", "ok", "ok", "skew")),
]


@pytest.mark.parametrize("name, nodes, taints, incoming_pod, existing, expected", MULTIPLE,
                         ids=[c[0][:80] for c in MULTIPLE])
def test_multiple_constraints(name, nodes, taints, incoming_pod, existing, expected):
    check(run(nodes, incoming_pod, existing, taints), expected)


# matchLabelKeys (TestPreFilterState): the pod's own values of the listed keys are ANDed
# into the selector, so only pods agreeing with it are counted.

@pytest.mark.parametrize("name, incoming_pod, existing, expected", [
    ("matchLabelKeys ANDed with LabelSelector when LabelSelector isn't empty (counts 1/1)",
     incoming(zone(match_label_keys=["bar"]), labels={"foo": "", "bar": "a"}),
     pods({"node-a": 1, "node-b": 1}) + pods({"node-a": 1, "node-y": 1}, labels={"foo": "", "bar": "a"})
     + pods({"node-y": 1}, labels={"bar": ""}),
     expect("ok", "ok", "ok", "ok")),
    ("matchLabelKeys ANDed with LabelSelector when LabelSelector is empty (counts 3/2)",
     incoming(zone(sel=selector(), match_label_keys=["foo"]), labels={"foo": "a"}),
     pods({"node-a": 2, "node-b": 1, "node-y": 2}, labels={"foo": "a"}),
     expect("skew", "skew", "ok", "ok")),
    ("key in matchLabelKeys is ignored when it isn't exist in pod.labels (counts 3/2)",
     incoming(zone(match_label_keys=["bar"])),
     pods({"node-a": 2, "node-b": 1, "node-y": 2}, labels={"foo": "a"}),
     expect("skew", "skew", "ok", "ok")),
])
def test_match_label_keys(name, incoming_pod, existing, expected):
    check(run(FOUR, incoming_pod, existing), expected)
