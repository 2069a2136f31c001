"""The `0/N nodes are available: ...` message, as upstream's FitError.Error() builds it
(framework/types_test.go, TestFitError_Error): one "<count> <reason>" per distinct reason
over the nodes' filter statuses, sorted as strings (so "10 ..." sorts before "2 ..."),
joined with ", " and closed with a period. A node contributes the reasons of the first
filter that rejected it, all of them (NodeResourcesFit reports every short resource)."""

from .builders import (DO_NOT_SCHEDULE, affinity, evaluate, failure_message, host_port, node, pod,
                       pod_term, selector, spread, taint)

UNSCHEDULABLE = "node(s) were unschedulable"
SMALL = {"cpu": "1", "memory": "1Gi", "pods": "110"}


def test_reasons_are_sorted_as_strings():
    # Like upstream's "1 Node(s) failed Filter plugin FalseFilter-2, 2 Node(s) ...": the
    # count is part of the string, so "10 ..." comes before "2 ...".
    nodes = [node(f"other-{i}", {"disk": "hdd"}) for i in range(10)]
    nodes += [node(f"small-{i}", {"disk": "ssd"}, allocatable=SMALL) for i in range(2)]
    incoming = pod(requests={"cpu": "2"}, node_selector={"disk": "ssd"})
    assert failure_message(nodes, incoming) == (
        "0/12 nodes are available: 10 node(s) didn't match Pod's node affinity/selector, 2 Insufficient cpu.")


def test_counts_per_reason_across_plugins():
    # Two nodes fail one filter, one fails another: "1 ..., 2 ...".
    nodes = [node("a", unschedulable=True), node("b", unschedulable=True), node("c")]
    existing = [pod(node="c", ports=[host_port("TCP", "", 8080)])]
    incoming = pod(ports=[host_port("TCP", "", 8080)])
    assert failure_message(nodes, incoming, existing) == (
        "0/3 nodes are available: 1 node(s) didn't have free ports for the requested pod ports, 2 " + UNSCHEDULABLE + ".")


def test_every_reason_of_node_resources_fit_is_counted():
    nodes = [node("full", allocatable={"cpu": "1", "memory": "1Gi", "pods": "1"})]
    existing = [pod(node="full", requests={"cpu": "500m", "memory": "512Mi"})]
    incoming = pod(requests={"cpu": "1", "memory": "1Gi"})
    assert failure_message(nodes, incoming, existing) == (
        "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 1 Too many pods.")
    result = evaluate(nodes, incoming, existing)
    assert sorted(result.reasons("full")) == ["Insufficient cpu", "Insufficient memory", "Too many pods"]


def test_reasons_of_several_resources_over_several_nodes():
    nodes = [node("n1", allocatable=SMALL), node("n2", allocatable=SMALL),
             node("n3", allocatable={"cpu": "8", "memory": "1Gi", "pods": "110", "example.com/gpu": "1"})]
    incoming = pod(requests={"cpu": "2", "memory": "2Gi", "example.com/gpu": "1"})
    assert failure_message(nodes, incoming) == (
        "0/3 nodes are available: 2 Insufficient cpu, 2 Insufficient example.com/gpu, 3 Insufficient memory.")


def test_only_the_first_failing_filter_counts():
    # NodeUnschedulable runs before NodeResourcesFit: the node is not also "Insufficient cpu".
    nodes = [node("n1", unschedulable=True, allocatable=SMALL)]
    assert failure_message(nodes, pod(requests={"cpu": "2"})) == "0/1 nodes are available: 1 " + UNSCHEDULABLE + "."


def test_inter_pod_reasons():
    # PodTopologySpread runs before InterPodAffinity; n2 lacks the zone label, n1 holds a
    # pod the incoming pod's anti-affinity rejects.
    nodes = [node("n1", {"zone": "z1", "kubernetes.io/hostname": "n1"}), node("n2", {"kubernetes.io/hostname": "n2"})]
    existing = [pod(node="n1", labels={"app": "db"})]
    anti = pod_term(selector(labels={"app": "db"}), "kubernetes.io/hostname")
    incoming = pod(labels={"app": "web"},
                   spread=[spread(1, "zone", DO_NOT_SCHEDULE, selector(labels={"app": "web"}))],
                   affinity=affinity(anti_required=[anti]))
    assert failure_message(nodes, incoming, existing) == (
        "0/2 nodes are available: 1 node(s) didn't match pod anti-affinity rules, "
        "1 node(s) didn't match pod topology spread constraints (missing required label).")


def test_untolerated_taints_share_one_reason():
    # Upstream's TaintToleration reason names no taint, so nodes with different taints count
    # under one "node(s) had untolerated taint(s)".
    nodes = [node("a", taints=[taint("dedicated", "a")]), node("b", taints=[taint("gpu", "true", "NoExecute")])]
    assert failure_message(nodes, pod()) == "0/2 nodes are available: 2 node(s) had untolerated taint(s)."

