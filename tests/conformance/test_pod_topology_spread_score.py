"""PodTopologySpread score, ported from upstream's podtopologyspread/scoring_test.go
(TestPodTopologySpreadScore, TestPreScoreSkip). Upstream's "failedNodes" (not candidates)
are marked unschedulable here and only the NodeUnschedulable filter runs, so every other
node is a candidate as in upstream's plugin-level test. Not ported: the terminating-pod case
(kubesched's input has none) and "minDomains has no effect when ScheduleAnyway" (the API,
and kubesched's parser, refuse minDomains with ScheduleAnyway).
"""

import pytest

from kubesched.framework.cluster_objects import ClusterObjects

from .builders import (HOSTNAME, SCHEDULE_ANYWAY, affinity, configured, evaluate, exists, node, node_term,
                       plugin_args, pod, req, score_only, selector, spread, taint)

PLUGIN = "PodTopologySpread"
PROFILE = score_only(PLUGIN, filters=("NodeUnschedulable",))
FOO = exists("foo")
BAR = exists("bar")


def host(max_skew=1, sel=FOO, **kwargs):
    return spread(max_skew, HOSTNAME, SCHEDULE_ANYWAY, sel, **kwargs)


def zone(max_skew=1, sel=FOO, **kwargs):
    return spread(max_skew, "zone", SCHEDULE_ANYWAY, sel, **kwargs)


def by_node(max_skew=1, sel=FOO, **kwargs):
    return spread(max_skew, "node", SCHEDULE_ANYWAY, sel, **kwargs)


def incoming(*constraints, labels=None, **kwargs):
    return pod(labels={"foo": ""} if labels is None else labels, spread=list(constraints), **kwargs)


def pods(placement, labels=None, namespace=None):
    labels = {"foo": ""} if labels is None else labels
    return [pod(node=n, labels=labels, namespace=namespace) for n, count in placement.items() for _ in range(count)]


def hosts(*names, zones=None):
    zones = zones or {}
    return {n: {HOSTNAME: n, **({"zone": zones[n]} if n in zones else {})} for n in names}


def run(nodes, incoming_pod, existing, failed=(), taints=None, objects=None, profile=PROFILE):
    taints = taints or {}
    built = [node(n, labels, unschedulable=n in failed, taints=taints.get(n)) for n, labels in nodes.items()]
    return evaluate(built, incoming_pod, existing, profile, objects)


ABCD = ("node-a", "node-b", "node-c", "node-d")
ZONED = hosts("node-a", "node-b", "node-x", "node-y",
              zones={"node-a": "zone1", "node-b": "zone1", "node-x": "zone2", "node-y": "zone2"})

CASES = [
    # (upstream case name, nodes, failed nodes, incoming pod, existing pods, scores of the candidates)
    ("one constraint on node, no existing pods", hosts("node-a", "node-b"), (), incoming(host()), [],
     {"node-a": 100, "node-b": 100}),
    ("one constraint on node, only one node is candidate", hosts("node-a", "node-b"), ("node-b",), incoming(host()),
     pods({"node-a": 2, "node-b": 1}), {"node-a": 100}),
    ("one constraint on node, all nodes have the same number of matching pods", hosts("node-a", "node-b"), (),
     incoming(host()), pods({"node-a": 1, "node-b": 1}), {"node-a": 100, "node-b": 100}),
    ("one constraint on node, all 4 nodes are candidates", hosts(*ABCD), (), incoming(host()),
     pods({"node-a": 2, "node-b": 1, "node-d": 3}), {"node-a": 20, "node-b": 60, "node-c": 100, "node-d": 0}),
    ("one constraint on node, null selector", hosts(*ABCD), (), incoming(host(sel=None)),
     pods({"node-a": 2, "node-b": 1, "node-d": 3}), {"node-a": 100, "node-b": 100, "node-c": 100, "node-d": 100}),
    ("one constraint on node, all 4 nodes are candidates, maxSkew=2", hosts(*ABCD), (), incoming(host(2)),
     pods({"node-a": 2, "node-b": 1, "node-d": 3}), {"node-a": 33, "node-b": 66, "node-c": 100, "node-d": 16}),
    ("one constraint on node, all 4 nodes are candidates, maxSkew=3", hosts(*ABCD), (), incoming(host(3)),
     pods({"node-a": 4, "node-b": 3, "node-c": 2, "node-d": 1}),
     {"node-a": 44, "node-b": 66, "node-c": 77, "node-d": 100}),
    ("one constraint on node, 3 out of 4 nodes are candidates", hosts("node-a", "node-b", "node-x", "node-y"),
     ("node-y",), incoming(host()), pods({"node-a": 4, "node-b": 2, "node-x": 1, "node-y": 3}),
     {"node-a": 33, "node-b": 83, "node-x": 100}),
    ("one constraint on node, 3 out of 4 nodes are candidates, one node doesn't match topology key",
     {**hosts("node-a", "node-x", "node-y"), "node-b": {"n": "node-b"}}, ("node-y",), incoming(host()),
     pods({"node-a": 4, "node-b": 2, "node-x": 1, "node-y": 3}), {"node-a": 16, "node-b": 0, "node-x": 100}),
    ("one constraint on zone, 3 out of 4 nodes are candidates", ZONED, ("node-y",), incoming(zone()),
     pods({"node-a": 4, "node-b": 2, "node-x": 1, "node-y": 3}), {"node-a": 75, "node-b": 75, "node-x": 100}),
    ("two Constraints on zone and node, 2 out of 4 nodes are candidates", ZONED, ("node-b", "node-y"),
     incoming(zone(), host()), pods({"node-a": 2, "node-b": 1, "node-x": 2, "node-y": 4}),
     {"node-a": 100, "node-x": 63}),
    ("two Constraints on zone and node, with different labelSelectors", ZONED, (),
     incoming(zone(), host(sel=BAR), labels={"foo": "", "bar": ""}),
     pods({"node-a": 1, "node-y": 1}) + pods({"node-b": 1}, labels={"foo": "", "bar": ""})
     + pods({"node-y": 1}, labels={"bar": ""}),
     {"node-a": 60, "node-b": 20, "node-x": 100, "node-y": 60}),
    ("two Constraints on zone and node, with different labelSelectors, some nodes have 0 pods", ZONED, (),
     incoming(zone(), host(sel=BAR), labels={"foo": "", "bar": ""}),
     pods({"node-b": 1}, labels={"bar": ""}) + pods({"node-x": 1}) + pods({"node-y": 1}, labels={"foo": "", "bar": ""}),
     {"node-a": 100, "node-b": 60, "node-x": 40, "node-y": 0}),
    ("two Constraints on zone and node, with different labelSelectors, 3 out of 4 nodes are candidates", ZONED,
     ("node-y",), incoming(zone(), host(sel=BAR), labels={"foo": "", "bar": ""}),
     pods({"node-a": 1, "node-y": 1}) + pods({"node-b": 1}, labels={"foo": "", "bar": ""})
     + pods({"node-y": 1}, labels={"bar": ""}),
     {"node-a": 50, "node-b": 25, "node-x": 100}),
    ("existing pods in a different namespace do not count", hosts("node-a", "node-b"), (), incoming(host()),
     pods({"node-a": 1}, namespace="ns1") + pods({"node-a": 1, "node-b": 2}), {"node-a": 100, "node-b": 33}),
]


@pytest.mark.parametrize("name, nodes, failed, incoming_pod, existing, want", CASES, ids=[c[0][:80] for c in CASES])
def test_pod_topology_spread_score(name, nodes, failed, incoming_pod, existing, want):
    assert run(nodes, incoming_pod, existing, failed).scores(PLUGIN) == want


NODE_KEYED = {n: {"node": n} for n in ("node-a", "node-b", "node-c")}
NODE_KEYED_FOO = {"node-a": {"node": "node-a", "foo": ""}, "node-b": {"node": "node-b", "foo": ""},
                  "node-c": {"node": "node-c"}}
IN_FOO = affinity(node_required=[node_term(req("foo", "In", ""))])


@pytest.mark.parametrize("name, nodes, incoming_pod, taints, want", [
    ("NodeAffinityPolicy honoed with labelSelectors", NODE_KEYED_FOO,
     incoming(by_node(), node_selector={"foo": ""}), None, [0, 33, 100]),
    ("NodeAffinityPolicy ignored with labelSelectors", NODE_KEYED_FOO,
     incoming(by_node(node_affinity_policy="Ignore"), node_selector={"foo": ""}), None, [66, 100, 100]),
    ("NodeAffinityPolicy honoed with nodeAffinity", NODE_KEYED_FOO, incoming(by_node(), affinity=IN_FOO), None,
     [0, 33, 100]),
    ("NodeAffinityPolicy ignored with nodeAffinity", NODE_KEYED_FOO,
     incoming(by_node(node_affinity_policy="Ignore"), affinity=IN_FOO), None, [66, 100, 100]),
    ("NodeTaintsPolicy honored", NODE_KEYED, incoming(by_node(node_taints_policy="Honor")),
     {"node-c": [taint("node.kubernetes.io/unschedulable", "", "NoSchedule")]}, [0, 33, 100]),
    ("NodeTaintsPolicy ignored", NODE_KEYED, incoming(by_node()),
     {"node-c": [taint("node.kubernetes.io/unschedulable", "", "NoSchedule")]}, [66, 100, 100]),
])
def test_node_inclusion_policies(name, nodes, incoming_pod, taints, want):
    # Pods spread 2/1/1; node-c lacks label foo, or carries an untolerated taint.
    result = run(nodes, incoming_pod, pods({"node-a": 2, "node-b": 1, "node-c": 1}), taints=taints)
    assert result.scores(PLUGIN) == dict(zip(nodes, want))


LABEL_KEY_NODES = hosts(*ABCD, zones={"node-a": "zone1", "node-b": "zone1", "node-c": "zone2", "node-d": "zone2"})


@pytest.mark.parametrize("name, incoming_pod, existing", [
    ("matchLabelKeys ANDed with LabelSelector when LabelSelector is empty",
     incoming(zone(sel=selector(), match_label_keys=["foo"]), host(sel=selector(), match_label_keys=["bar"]),
              labels={"foo": "", "bar": ""}),
     pods({"node-a": 1, "node-c": 1}) + pods({"node-b": 1}, labels={"foo": "", "bar": ""})
     + pods({"node-c": 1}, labels={"bar": ""})),
    ("matchLabelKeys ANDed with LabelSelector when LabelSelector isn't empty",
     incoming(zone(), host(sel=BAR, match_label_keys=["baz"]), labels={"foo": "", "bar": "", "baz": ""}),
     pods({"node-a": 1, "node-c": 1}) + pods({"node-b": 1}, labels={"foo": "", "bar": "", "baz": ""})
     + pods({"node-c": 1}, labels={"bar": ""}) + pods({"node-c": 1}, labels={"bar": "", "baz": ""})),
])
def test_match_label_keys(name, incoming_pod, existing):
    result = run(LABEL_KEY_NODES, incoming_pod, existing)
    assert result.scores(PLUGIN) == {"node-a": 60, "node-b": 20, "node-c": 60, "node-d": 100}


def test_system_defaulting_nodes_without_zone_pods_match_service():
    # "system defaulting, nodes don't have zone, pods match service": the pod has no
    # constraints; the Service selecting it gives the system defaults' selector, and as no
    # node has a zone only the hostname constraint (maxSkew 3) scores.
    objects = ClusterObjects(services=[{"metadata": {"name": "svc"}, "spec": {"selector": {"foo": ""}}}])
    result = run(hosts(*ABCD), pod(labels={"foo": ""}), pods({"node-a": 4, "node-b": 3, "node-c": 2, "node-d": 1}),
                 objects=objects)
    assert not result.skipped(PLUGIN)
    assert result.scores(PLUGIN) == {"node-a": 44, "node-b": 66, "node-c": 77, "node-d": 100}


def test_system_defaulting_with_zones():
    # Derived from the system defaults (hostname maxSkew 3, zone maxSkew 5, weights
    # ln(domains + 2)): pods of the Service spread 2/0/1 over hosts, 2/1 over zones.
    # raw: a = 2 ln5 + 2 + 2 ln4 + 4 = 12, b = 2 + 2 ln4 + 4 = 9, c = ln5 + 2 + ln4 + 4 = 9.
    objects = ClusterObjects(services=[{"metadata": {"name": "svc"}, "spec": {"selector": {"app": "web"}}}])
    nodes = {"node-a": {HOSTNAME: "node-a", "topology.kubernetes.io/zone": "z1"},
             "node-b": {HOSTNAME: "node-b", "topology.kubernetes.io/zone": "z1"},
             "node-c": {HOSTNAME: "node-c", "topology.kubernetes.io/zone": "z2"}}
    result = run(nodes, pod(labels={"app": "web"}), pods({"node-a": 2, "node-c": 1}, labels={"app": "web"}),
                 objects=objects)
    assert result.raw(PLUGIN) == {"node-a": 12, "node-b": 9, "node-c": 9}
    assert result.scores(PLUGIN) == {"node-a": 75, "node-b": 100, "node-c": 100}


@pytest.mark.parametrize("name, incoming_pod, objects, args", [
    ("the pod doesn't have soft topology spread Constraints", pod(), None, {"defaultingType": "List"}),
    ("default constraints and a replicaset that doesn't match",
     pod(labels={"foo": "bar", "baz": "sup"}, owner=("ReplicaSet", "rs2")),
     ClusterObjects(replica_sets=[{"metadata": {"name": "rs1", "namespace": "default"},
                                   "spec": {"selector": {"matchExpressions": [{"key": "tar", "operator": "Exists"}]}}}]),
     {"defaultingType": "List", "defaultConstraints": [{"maxSkew": 2, "topologyKey": "planet",
                                                        "whenUnsatisfiable": "ScheduleAnyway"}]}),
])
def test_pre_score_skip(name, incoming_pod, objects, args):
    profile = score_only(PLUGIN, configured(plugin_args(PLUGIN, **args)), filters=("NodeUnschedulable",))
    nodes = {"node-a": {HOSTNAME: "node-a", "planet": "mars"}, "node-b": {HOSTNAME: "node-b"}}
    result = run(nodes, incoming_pod, [], objects=objects, profile=profile)
    assert result.skipped(PLUGIN)
