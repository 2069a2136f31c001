"""NodeAffinity filter and score, ported from upstream's nodeaffinity/node_affinity_test.go
(TestNodeAffinity, TestNodeAffinityPriority), including the profile's addedAffinity."""

import pytest

from kubesched.errors import InputError

from kubesched.framework.profile import Profile

from .builders import (affinity, configured, evaluate, failure_message, filters_only, node, node_term, plugin_args,
                       pod, req, score_only)

REASON = "node(s) didn't match Pod's node affinity/selector"
ENFORCED_REASON = "node(s) didn't match scheduler-enforced node affinity"
NAME = "metadata.name"


def required(*terms):
    return affinity(node_required=list(terms))


FILTER_CASES = [
    # (upstream case name, node name, node labels, pod nodeSelector, pod affinity, fits)
    ("missing labels", "node1", {}, {"foo": "bar"}, None, False),
    ("same labels", "node1", {"foo": "bar"}, {"foo": "bar"}, None, True),
    ("node labels are superset", "node1", {"foo": "bar", "baz": "blah"}, {"foo": "bar"}, None, True),
    ("node labels are subset", "node1", {"foo": "bar"}, {"foo": "bar", "baz": "blah"}, None, False),
    ("Pod with matchExpressions using In operator that matches the existing node", "node1", {"foo": "bar"}, None,
     required(node_term(req("foo", "In", "bar", "value2"))), True),
    ("Pod with matchExpressions using Gt operator that matches the existing node", "node1",
     {"kernel-version": "0206"}, None, required(node_term(req("kernel-version", "Gt", "0204"))), True),
    ("Pod with matchExpressions using NotIn operator that matches the existing node", "node1",
     {"mem-type": "DDR3"}, None, required(node_term(req("mem-type", "NotIn", "DDR", "DDR2"))), True),
    ("Pod with matchExpressions using Exists operator that matches the existing node", "node1",
     {"GPU": "NVIDIA-GRID-K1"}, None, required(node_term(req("GPU", "Exists"))), True),
    ("Pod with affinity that don't match node's labels won't schedule onto the node", "node1", {"foo": "bar"}, None,
     required(node_term(req("foo", "In", "value1", "value2"))), False),
    ("Pod with empty MatchExpressions is not a valid value will match no objects", "node1", {"foo": "bar"}, None,
     required(node_term()), False),
    ("Pod with no Affinity will schedule onto a node", "node1", {"foo": "bar"}, None, None, True),
    ("Pod with multiple matchExpressions ANDed that matches the existing node", "node1", {"GPU": "NVIDIA-GRID-K1"},
     None, required(node_term(req("GPU", "Exists"), req("GPU", "NotIn", "AMD", "INTER"))), True),
    ("Pod with multiple matchExpressions ANDed that doesn't match the existing node", "node1",
     {"GPU": "NVIDIA-GRID-K1"}, None, required(node_term(req("GPU", "Exists"), req("GPU", "In", "AMD", "INTER"))),
     False),
    ("Pod with multiple NodeSelectorTerms ORed in affinity, matches the node's labels", "node1", {"foo": "bar"}, None,
     required(node_term(req("foo", "In", "bar", "value2")), node_term(req("diffkey", "In", "wrong", "value2"))), True),
    ("Pod with an Affinity and a PodSpec.NodeSelector both are satisfied", "node1", {"foo": "bar"}, {"foo": "bar"},
     required(node_term(req("foo", "Exists"))), True),
    ("Pod with an Affinity matches node's labels but the PodSpec.NodeSelector is not satisfied", "node1",
     {"foo": "barrrrrr"}, {"foo": "bar"}, required(node_term(req("foo", "Exists"))), False),
    ("Pod with matchFields using In operator that matches the existing node", "node1", {}, None,
     required(node_term(fields=[req(NAME, "In", "node1")])), True),
    ("Pod with matchFields using In operator that does not match the existing node", "node2", {}, None,
     required(node_term(fields=[req(NAME, "In", "node1")])), False),
    ("Pod with two terms: matchFields does not match, but matchExpressions matches", "node2", {"foo": "bar"}, None,
     required(node_term(fields=[req(NAME, "In", "node1")]), node_term(req("foo", "In", "bar"))), True),
    ("Pod with one term: matchFields does not match, but matchExpressions matches", "node2", {"foo": "bar"}, None,
     required(node_term(req("foo", "In", "bar"), fields=[req(NAME, "In", "node1")])), False),
    ("Pod with one term: both matchFields and matchExpressions match", "node1", {"foo": "bar"}, None,
     required(node_term(req("foo", "In", "bar"), fields=[req(NAME, "In", "node1")])), True),
    ("Pod with two terms: both matchFields and matchExpressions do not match", "node2", {"foo": "bar"}, None,
     required(node_term(fields=[req(NAME, "In", "node1")]), node_term(req("foo", "In", "not-match-to-bar"))), False),
    ("Pod with two terms of node.Name affinity", "node2", {}, None,
     required(node_term(fields=[req(NAME, "In", "node1")]), node_term(fields=[req(NAME, "In", "node2")])), True),
    ("Pod with two conflicting mach field requirements", "node2", {"foo": "bar"}, None,
     required(node_term(fields=[req(NAME, "In", "node1"), req(NAME, "In", "node2")])), False),
    # Derived from the operators' definitions (Gt/Lt need an integer label; NotIn and
    # DoesNotExist hold when the label is absent):
    ("derived: Gt on a node without the label does not match", "node1", {}, None,
     required(node_term(req("kernel-version", "Gt", "1"))), False),
    ("derived: Lt on a non-integer label does not match", "node1", {"kernel-version": "v2"}, None,
     required(node_term(req("kernel-version", "Lt", "10"))), False),
    ("derived: NotIn holds when the label is absent", "node1", {}, None,
     required(node_term(req("mem-type", "NotIn", "DDR"))), True),
    ("derived: DoesNotExist holds when the label is absent", "node1", {"a": "b"}, None,
     required(node_term(req("GPU", "DoesNotExist"))), True),
]


@pytest.mark.parametrize("name, node_name, labels, node_selector, pod_affinity, fits", FILTER_CASES,
                         ids=[c[0][:70] for c in FILTER_CASES])
def test_filter(name, node_name, labels, node_selector, pod_affinity, fits):
    result = evaluate([node(node_name, labels)], pod(node_selector=node_selector, affinity=pod_affinity),
                      profile=filters_only("NodeAffinity"))
    assert result.failed(node_name) == (None if fits else "NodeAffinity")
    assert result.reasons(node_name) == ([] if fits else [REASON])


NOT_IN_PREFILTER_RESULT = "node(s) didn't satisfy plugin(s) [NodeAffinity]"
NODES = ("node1", "node2", "node3")


@pytest.mark.parametrize("name, pod_affinity, node_set", [
    # (upstream case name, pod affinity, wantPreFilterResult's node names or None for all)
    ("Pod with matchFields using In operator that matches the existing node",
     required(node_term(fields=[req(NAME, "In", "node1")])), {"node1"}),
    ("Pod with one term: matchFields does not match, but matchExpressions matches",
     required(node_term(req("foo", "In", "bar"), fields=[req(NAME, "In", "node1")])), {"node1"}),
    ("Pod with two terms of node.Name affinity",
     required(node_term(fields=[req(NAME, "In", "node1")]), node_term(fields=[req(NAME, "In", "node2")])),
     {"node1", "node2"}),
    ("Pod with two terms: matchFields does not match, but matchExpressions matches",
     required(node_term(fields=[req(NAME, "In", "node1")]), node_term(req("foo", "In", "bar"))), None),
    ("derived: a name that is no node's narrows to nothing, and no filter runs",
     required(node_term(fields=[req(NAME, "In", "node9")])), set()),
])
def test_prefilter_result_restricts_the_nodes(name, pod_affinity, node_set):
    """Nodes outside NodeAffinity's PreFilter result are rejected with the framework's
    status for them, before any filter runs; nodes inside go through the filters."""
    nodes = [node(n, {"foo": "bar"}) for n in NODES]
    result = evaluate(nodes, pod(affinity=pod_affinity), profile=Profile(weights={}))
    for n in NODES:
        if node_set is None or n in node_set:
            assert result.failed(n) is None
        else:
            assert (result.failed(n), result.reasons(n)) == ("NodeAffinity", [NOT_IN_PREFILTER_RESULT])


def test_prefilter_result_holds_with_the_filter_disabled():
    # PreFilter and Filter are separate extension points: disabling the Filter keeps the
    # PreFilter's node set (upstream leaves such a pod unschedulable on other nodes).
    incoming = pod(affinity=required(node_term(fields=[req(NAME, "In", "node9")])))
    profile = Profile(filters=("NodeUnschedulable", "NodeResourcesFit"), weights={})
    assert failure_message([node(n) for n in NODES], incoming, profile=profile) == (
        f"0/3 nodes are available: 3 {NOT_IN_PREFILTER_RESULT}.")


def test_conflicting_name_requirements_are_rejected_at_prefilter():
    # "Pod with two conflicting mach field requirements": wantPreFilterStatus
    # UnschedulableAndUnresolvable errReasonConflict; FitError prints a PreFilter message once.
    incoming = pod(affinity=required(node_term(fields=[req(NAME, "In", "node1"), req(NAME, "In", "node2")])))
    assert failure_message([node(n) for n in NODES], incoming) == (
        "0/3 nodes are available: pod affinity terms conflict. not found")  # DynamicResources' PostFilter: fit_error.py


def test_filter_term_with_an_invalid_label_value_matches_nothing():
    # "Pod with an invalid value in Affinity term won't be scheduled onto the node": the
    # value is no valid label value, so upstream cannot build the term's selector and the
    # term matches no node, although `foo=bar` is "not in" the listed values.
    # (Recent API servers refuse such a value in a new pod's required node affinity, so
    # refusing the manifest is conformant too; accepting it and matching is not.)
    try:
        incoming = pod(affinity=required(node_term(req("foo", "NotIn", "invalid value: ___@#$%^"))))
    except InputError:
        return
    result = evaluate([node("node1", {"foo": "bar"})], incoming, profile=filters_only("NodeAffinity"))
    assert result.failed("node1") == "NodeAffinity"


ADDED_NAME_NODE2 = {"requiredDuringSchedulingIgnoredDuringExecution": {
    "nodeSelectorTerms": [{"matchFields": [{"key": NAME, "operator": "In", "values": ["node2"]}]}]}}


@pytest.mark.parametrize("name, added, pod_affinity, failed, reasons", [
    ("Matches added affinity and Pod's node affinity", ADDED_NAME_NODE2,
     required(node_term(req("zone", "In", "foo"))), None, []),
    ("Matches added affinity but not Pod's node affinity", ADDED_NAME_NODE2,
     required(node_term(req("zone", "In", "bar"))), "NodeAffinity", [REASON]),
    ("Doesn't match added affinity", {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "In", "values": ["bar"]}]}]}},
     None, "NodeAffinity", [ENFORCED_REASON]),
])
def test_filter_added_affinity(name, added, pod_affinity, failed, reasons):
    profile = configured(plugin_args("NodeAffinity", addedAffinity=added))
    result = evaluate([node("node2", {"zone": "foo"})], pod(affinity=pod_affinity), profile=profile)
    assert result.failed("node2") == failed
    assert result.reasons("node2") == reasons


LABEL1 = {"foo": "bar"}
LABEL2 = {"key": "value"}
LABEL3 = {"az": "az1"}
LABEL4 = {"abc": "az11", "def": "az22"}
LABEL5 = {"foo": "bar", "key": "value", "az": "az1"}
AFFINITY1 = [(2, node_term(req("foo", "In", "bar")))]
AFFINITY2 = [(2, node_term(req("foo", "In", "bar"))), (4, node_term(req("key", "In", "value"))),
             (5, node_term(req("foo", "In", "bar"), req("key", "In", "value"), req("az", "In", "az1")))]

SCORE_CASES = [
    ("all nodes are same priority as NodeAffinity is nil", None,
     {"node1": LABEL1, "node2": LABEL2, "node3": LABEL3}, {"node1": 0, "node2": 0, "node3": 0}),
    ("no node matches preferred scheduling requirements in NodeAffinity of pod so all nodes' priority is zero",
     AFFINITY1, {"node1": LABEL4, "node2": LABEL2, "node3": LABEL3}, {"node1": 0, "node2": 0, "node3": 0}),
    ("only node1 matches the preferred scheduling requirements of pod", AFFINITY1,
     {"node1": LABEL1, "node2": LABEL2, "node3": LABEL3}, {"node1": 100, "node2": 0, "node3": 0}),
    ("all nodes matches the preferred scheduling requirements of pod but with different priorities", AFFINITY2,
     {"node1": LABEL1, "node5": LABEL5, "node2": LABEL2}, {"node1": 18, "node5": 100, "node2": 36}),
]


@pytest.mark.parametrize("name, preferred, nodes, want", SCORE_CASES, ids=[c[0][:70] for c in SCORE_CASES])
def test_score(name, preferred, nodes, want):
    incoming = pod(affinity=affinity(node_preferred=preferred) if preferred else None)
    result = evaluate([node(n, labels) for n, labels in nodes.items()], incoming,
                      profile=score_only("NodeAffinity"))
    assert result.scores("NodeAffinity") == want


def _preferred_args(weight, key, value):
    return {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": weight, "preference": {"matchExpressions": [{"key": key, "operator": "In", "values": [value]}]}}]}


def test_score_added_affinity():
    # "added affinity": the profile's preferred term scores a pod without affinity.
    added = plugin_args("NodeAffinity", addedAffinity=_preferred_args(2, "foo", "bar"))
    profile = score_only("NodeAffinity", configured(added))
    result = evaluate([node("node1", LABEL1), node("node2", LABEL2)], pod(), profile=profile)
    assert result.scores("NodeAffinity") == {"node1": 100, "node2": 0}


def test_score_added_affinity_and_pod_affinity_add_up():
    # "added affinity and pod has default affinity": 2 (pod), 3 (profile), 5 (both).
    added = plugin_args("NodeAffinity", addedAffinity=_preferred_args(3, "key", "value"))
    profile = score_only("NodeAffinity", configured(added))
    nodes = [node("node1", LABEL1), node("node2", LABEL2), node("node3", LABEL5)]
    result = evaluate(nodes, pod(affinity=affinity(node_preferred=AFFINITY1)), profile=profile)
    assert result.scores("NodeAffinity") == {"node1": 40, "node2": 60, "node3": 100}


def test_a_required_term_with_a_gt_value_that_is_no_integer_matches_no_node():
    # The API server accepts it (validation checks one value only); upstream's selector
    # cannot parse it and the scheduler ignores that term, so only the other term matches.
    incoming = pod(affinity=required(node_term(req("kernel", "Gt", "five")), node_term(req("foo", "In", "bar"))))
    result = evaluate([node("node1", {"kernel": "9"}), node("node2", {"foo": "bar"})], incoming,
                      profile=filters_only("NodeAffinity"))
    assert result.verdicts() == {"node1": "NodeAffinity", "node2": None}


def test_explain_names_the_prefilter_plugin_with_its_filter_disabled(tmp_path):
    import json

    from kubesched.framework.config import load_config
    from kubesched.model.cluster import read_cluster
    from kubesched.sim.explain import explain

    config = tmp_path / "config.json"
    config.write_text(json.dumps({"apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration",
                                  "profiles": [{"plugins": {"filter": {"disabled": [{"name": "NodeAffinity"}]}}}]}))
    nodes = [{"apiVersion": "v1", "kind": "Node", "metadata": {"name": n},
              "status": {"allocatable": {"cpu": "1", "memory": "1Gi", "pods": "5"}}} for n in ("n1", "n2")]
    incoming = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {
        "containers": [{"name": "c", "image": "i"}],
        "affinity": required(node_term(fields=[req(NAME, "In", "n2")]))}}
    manifest = tmp_path / "in.json"
    manifest.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [*nodes, incoming]}))
    report = explain(read_cluster([str(manifest)]), load_config(str(config)), "default/p")
    first = report["nodes"][0]
    assert first["filters"]["NodeAffinity"] == {"status": "Unschedulable", "reasons": [NOT_IN_PREFILTER_RESULT]}
    assert report["selectedNode"] == "n2"
