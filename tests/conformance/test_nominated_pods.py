"""Pods nominated to nodes, as upstream's RunFilterPluginsWithNominatedPods treats them,
rebuilt from its table tests (pkg/scheduler/framework/runtime TestFilterPluginsWithNominatedPods,
pkg/scheduler TestFindFitPredicateCallCounts) with real plugins in place of the injected
ones, and from the two-pass rule its comment states: on a node with nominated pods of the
incoming pod's priority or above (not the pod itself), the filters must pass with them added
and again without them; scores never see them. Each case is decided by the core (through the
live nominator's choice of the pods to yield to) and by the pure-Python reference."""

from __future__ import annotations

import pytest

from kubesched.framework.cluster_objects import ClusterObjects
from kubesched.framework.profile import Profile
from kubesched.live.nominator import Nominator
from tests.side_by_side import Cluster, assert_same_queue, sides
from tests.conformance.volume_builders import objects_of, pv, pvc
from tests.conformance.builders import (DO_NOT_SCHEDULE, HOSTNAME, ZONE, affinity, node, pod, pod_term, selector,
                                        snapshot, spread)

pytestmark = pytest.mark.unit

LOW, MID, HIGH = 0, 100, 1000


def prio(name: str, priority: int, **kwargs):
    return pod(name, spec_fields={"priority": priority}, **kwargs)


def decide(nodes, existing, incoming, nominated, objects=None):
    """(node or None, message) from the core, checked equal to the reference's (through
    tests/side_by_side.py)."""
    engine, reference = sides(Cluster(nodes, list(existing), objects or ClusterObjects()), Profile())
    nominator = Nominator()
    for other, where in nominated:
        nominator.nominate(other.key, other, where)
    got = engine.decide(incoming, nominator.yield_to(engine.snapshot, incoming, incoming.key))
    want, _ = reference.decide(incoming, nominated=nominated)
    assert_same_queue([got], [want], False)
    return got.node, got.message


def one_node(cpu="1"):
    return [node("1", {HOSTNAME: "1"}, allocatable={"cpu": cpu, "memory": "1Gi", "pods": "110"})]


# -- TestFilterPluginsWithNominatedPods / TestFindFitPredicateCallCounts ----------------------

def test_node_has_no_nominated_pod():
    assert decide(one_node(), [], prio("low", LOW, requests={"cpu": "1"}), []) == ("1", "")


def test_high_priority_nominated_pod_and_all_filters_succeed():
    nominated = [(prio("high", HIGH, requests={"cpu": "500m"}), "1")]
    assert decide(one_node(), [], prio("low", LOW, requests={"cpu": "500m"}), nominated) == ("1", "")


def test_high_priority_nominated_pod_and_filters_fail():
    nominated = [(prio("high", HIGH, requests={"cpu": "600m"}), "1")]
    assert decide(one_node(), [], prio("low", LOW, requests={"cpu": "500m"}), nominated) == (
        None, "0/1 nodes are available: 1 Insufficient cpu.")


def test_low_priority_nominated_pod_is_ignored():
    nominated = [(prio("low", LOW, requests={"cpu": "600m"}), "1")]
    assert decide(one_node(), [], prio("high", HIGH, requests={"cpu": "500m"}), nominated) == ("1", "")


def test_equal_priority_nominated_pod_is_yielded_to():
    nominated = [(prio("first", MID, requests={"cpu": "600m"}), "1")]
    assert decide(one_node(), [], prio("second", MID, requests={"cpu": "500m"}), nominated)[0] is None


def test_the_pod_never_yields_to_its_own_nomination():
    incoming = prio("self", MID, requests={"cpu": "600m"})
    assert decide(one_node(), [], incoming, [(incoming, "1")]) == ("1", "")


# -- the second pass: filters that pass only with the nominated pods ---------------------------

def _two_hosts():
    return [node(name, {HOSTNAME: name}) for name in ("a", "b")]


def test_required_affinity_to_a_nominated_pod_alone_is_unschedulable():
    """The pass with the nominated app=x pod succeeds on its node; the pass without it fails
    there, as everywhere: nominated pods are not running and may land elsewhere."""
    wants_x = affinity(pod_required=[pod_term(selector(labels={"app": "x"}), HOSTNAME)])
    nominated = [(prio("x", HIGH, labels={"app": "x"}), "a")]
    assert decide(_two_hosts(), [], prio("follower", LOW, affinity=wants_x), nominated) == (
        None, "0/2 nodes are available: 2 node(s) didn't match pod affinity rules.")


def test_required_affinity_met_by_a_running_pod_passes_both():
    wants_x = affinity(pod_required=[pod_term(selector(labels={"app": "x"}), HOSTNAME)])
    running = [prio("x-running", LOW, labels={"app": "x"}, node="a")]
    nominated = [(prio("x", HIGH, labels={"app": "x"}), "a")]
    assert decide(_two_hosts(), running, prio("follower", LOW, affinity=wants_x), nominated) == ("a", "")


def test_a_nominated_pods_anti_affinity_repels_in_the_first_pass():
    repels = affinity(anti_required=[pod_term(selector(labels={"app": "y"}), HOSTNAME)])
    nominated = [(prio("guard", HIGH, affinity=repels), "a")]
    assert decide(_two_hosts(), [], prio("y", LOW, labels={"app": "y"}), nominated) == ("b", "")
    # of lower priority than the pod: ignored, and the first node of the tie wins
    nominated = [(prio("guard", LOW, affinity=repels), "a")]
    assert decide(_two_hosts(), [], prio("y", HIGH, labels={"app": "y"}), nominated) == ("a", "")


def test_a_nominated_pod_counts_for_spreading_on_its_own_node_only():
    """Nodes a and b in zone 1, c in zone 2 with one matching pod; a matching pod nominated
    to a. On a it makes zone 1 count 1 (skew 1: fine); b and c are filtered without it, so
    c (zone 2 would reach 2 against zone 1's 0) is rejected, as upstream, which adds the
    nominated pods of the node being filtered only."""
    nodes = [node("a", {HOSTNAME: "a", ZONE: "1"}), node("b", {HOSTNAME: "b", ZONE: "1"}),
             node("c", {HOSTNAME: "c", ZONE: "2"})]
    constraint = [spread(1, ZONE, DO_NOT_SCHEDULE, selector(labels={"app": "s"}))]
    running = [prio("s-running", LOW, labels={"app": "s"}, node="c")]
    nominated = [(prio("s-nominated", HIGH, labels={"app": "s"}), "a")]
    incoming = prio("s", LOW, labels={"app": "s"}, spread=constraint)
    cluster = snapshot(nodes, running)
    held = [(cluster.class_of(nominated[0][0]), cluster.node_index["a"])]
    feasible = [name for i, name in enumerate(cluster.node_names)
                if cluster.feasible_with_nominated(cluster.class_of(incoming), i, held)]
    assert feasible == ["a", "b"]
    assert decide(nodes, running, incoming, nominated)[0] in ("a", "b")


def test_scores_do_not_see_nominated_pods():
    """LeastAllocated would prefer b if the nominated pod counted on a; without it the two
    nodes tie and the first wins."""
    nodes = [node(name, {HOSTNAME: name}, allocatable={"cpu": "4", "memory": "4Gi", "pods": "110"})
             for name in ("a", "b")]
    nominated = [(prio("big", HIGH, requests={"cpu": "2", "memory": "2Gi"}), "a")]
    assert decide(nodes, [], prio("small", LOW, requests={"cpu": "1", "memory": "1Gi"}), nominated) == ("a", "")


# -- volumes: the nominated pod's disks and claims count where it is nominated ----------------

def test_a_nominated_pod_mounting_the_disk_rejects_the_node():
    disk = [{"name": "disk", "gcePersistentDisk": {"pdName": "foo"}}]
    incoming = pod("low", spec_fields={"priority": LOW, "volumes": disk})
    high = pod("high", spec_fields={"priority": HIGH, "volumes": disk})
    assert decide(one_node(), [], incoming, [(high, "1")], objects_of([], [incoming, high])) == (
        None, "0/1 nodes are available: 1 node(s) had no available disk.")


def test_a_nominated_pod_using_the_read_write_once_pod_claim_holds_only_its_node():
    claim = [{"name": "data", "persistentVolumeClaim": {"claimName": "c"}}]
    incoming = pod("low", spec_fields={"priority": LOW, "volumes": claim})
    high = pod("high", spec_fields={"priority": HIGH, "volumes": claim})
    nodes = [node(n, {HOSTNAME: n}, allocatable={"cpu": "1", "memory": "1Gi", "pods": "110"}) for n in ("1", "2")]
    manifests = [pvc("c", None, bound="v", modes=("ReadWriteOncePod",)),
                 pv("v", "", modes=("ReadWriteOncePod",), claim="c", phase="Bound")]
    assert decide(nodes, [], incoming, [(high, "1")], objects_of(manifests, [incoming, high])) == ("2", "")
