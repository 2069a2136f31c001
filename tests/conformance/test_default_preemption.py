"""DefaultPreemption (PostFilter), rebuilt from upstream's table tests in
pkg/scheduler/framework/plugins/defaultpreemption (TestPostFilter, TestDryRunPreemption,
TestSelectBestCandidate, TestPodEligibleToPreemptOthers, TestSelectVictimsOnNode) and
pkg/scheduler/framework/preemption. Upstream's tests hand the plugin the filters' statuses;
here the core's own filters produce them, so the cases set up nodes whose rejections carry
the status the upstream case names."""

from __future__ import annotations

import pytest

from kubesched.preemption import (PodDisruptionBudget, PodOnNode, PreemptionArgs, parse_pdb, pod_on_node, preempt,
                                  violating)
from kubesched.model.records import LabelSelector
from tests.conformance.builders import node, pod, snapshot, taint

LOW, MID, HIGH, VERY_HIGH = 0, 100, 1000, 10000
NEG = -100
SMALL = {"cpu": "100m", "memory": "100"}
MEDIUM = {"cpu": "200m", "memory": "200"}
LARGE = {"cpu": "300m", "memory": "300"}
VERY_LARGE = {"cpu": "500m", "memory": "500"}
ONE_POD = {"cpu": "1000", "memory": "1000Gi", "pods": "1"}


def prio(name: str, priority: int, *, node_name: str | None = None, requests: dict | None = None, **kwargs):
    return pod(name, node=node_name, requests=requests, spec_fields={"priority": priority}, **kwargs)


def run(nodes, existing, incoming, pdbs=(), args=None, *, start_times=None, offset=0, nominated=()):
    cluster = snapshot(nodes, existing)
    assert cluster.evaluate(cluster.class_of(incoming))["feasible"] == 0, "the pod fits without preemption"
    placed = [PodOnNode(p, p.node_name, (start_times or {}).get(p.name, 2**63 - 1)) for p in existing]
    return preempt(cluster, incoming, placed, pdbs, args, nominated=nominated, offset=offset)


def budget(allowed: int, labels: dict, disrupted=(), namespace="default", name="pdb") -> PodDisruptionBudget:
    return PodDisruptionBudget(namespace, name, LabelSelector(tuple(labels.items())), allowed, frozenset(disrupted))


def victims(result) -> list[str]:
    return [p.name for p in result.victims]


def candidates(result) -> dict[str, list[str]]:
    return {c.node: [p.name for p in c.victims] for c in result.candidates}


# -- TestPostFilter -------------------------------------------------------------------------

def test_higher_priority_pod_can_be_made_schedulable():
    result = run([node("node1", allocatable=ONE_POD)], [prio("p1", LOW, node_name="node1")], prio("p", HIGH))
    assert result.nominated_node == "node1" and victims(result) == ["p1"]
    assert result.message == "preemption: found a potential placement for pod on node node1, preempting 1 victims"


def test_tied_priority_is_still_unschedulable():
    result = run([node("node1", allocatable=ONE_POD)], [prio("p1", LOW, node_name="node1")], prio("p", LOW))
    assert result.nominated_node is None
    assert result.message == "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."


def test_unresolvable_rejections_are_not_candidates():
    nodes = [node("node1", allocatable=ONE_POD, taints=[taint("dedicated")])]
    result = run(nodes, [prio("p1", LOW, node_name="node1")], prio("p", HIGH))
    assert result.nominated_node is None
    assert result.message == "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."


def test_schedulable_on_the_node_with_lower_priority_pods():
    nodes = [node("node1", allocatable=ONE_POD), node("node2", allocatable=ONE_POD)]
    existing = [prio("p1", HIGH, node_name="node1"), prio("p2", LOW, node_name="node2")]
    result = run(nodes, existing, prio("p", MID))
    assert result.nominated_node == "node2" and victims(result) == ["p2"]


def test_min_highest_priority_node_with_pdbs():
    label = "test.kubernetes.io/is-violating-pdb"
    nodes = [node("node1", allocatable=ONE_POD), node("node2", allocatable=ONE_POD)]
    existing = [prio("p1", HIGH, node_name="node1", labels={label: "non-violating"}),
                prio("p2", LOW, node_name="node1", labels={label: "violating"}),
                prio("p3", MID, node_name="node2", labels={label: "violating"})]
    pdbs = [budget(0, {label: "violating"}, name="violating-pdb"),
            budget(2**31 - 1, {label: "non-violating"}, name="non-violating-pdb")]
    result = run(nodes, existing, prio("p", VERY_HIGH), pdbs)
    assert result.nominated_node == "node2" and victims(result) == ["p3"] and result.pdb_violations == 1
    assert result.decided_by == "lowest highest-victim priority"


def test_no_candidates_when_higher_priority_pods_hold_the_room():
    nodes = [node("node1", allocatable=VERY_LARGE), node("node2", allocatable=VERY_LARGE)]
    existing = [prio("p1", HIGH, node_name="node1", requests=LARGE), prio("p2", LOW, node_name="node2", requests=SMALL),
                prio("p2h", HIGH, node_name="node2", requests=LARGE)]
    result = run(nodes, existing, prio("p", HIGH, requests=LARGE))
    assert result.nominated_node is None
    assert result.message == ("preemption: 0/2 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, "
                              "1 No preemption victims found for incoming pod.")


def test_mixed_reasons_with_unresolvable_nodes():
    # node3 and node4 reject the pod outright: its request exceeds their allocatable.
    nodes = [node("node1", allocatable=VERY_LARGE), node("node2", allocatable=VERY_LARGE),
             node("node3", allocatable=SMALL), node("node4", allocatable=SMALL)]
    existing = [prio("p1", HIGH, node_name="node1", requests=LARGE), prio("p2", HIGH, node_name="node2", requests=LARGE)]
    result = run(nodes, existing, prio("p", HIGH, requests=LARGE))
    assert result.message == ("preemption: 0/4 nodes are available: 2 No preemption victims found for incoming pod, "
                              "2 Preemption is not helpful for scheduling.")


# -- TestDryRunPreemption ---------------------------------------------------------------------

def five_hundred(*names):
    return [node(n, allocatable={**VERY_LARGE, "pods": "110"}) for n in names]


def test_medium_priority_pod_is_preempted_but_the_small_low_one_stays():
    existing = [prio("p1.1", LOW, node_name="node1", requests=SMALL), prio("p1.2", MID, node_name="node1", requests=LARGE),
                prio("p2", MID, node_name="node2", requests=LARGE)]
    result = run(five_hundred("node1", "node2"), existing, prio("p", HIGH, requests=LARGE))
    assert candidates(result) == {"node1": ["p1.2"], "node2": ["p2"]}


def test_mixed_priority_pods_are_preempted():
    existing = [prio("p1.1", MID, node_name="node1", requests=SMALL), prio("p1.2", LOW, node_name="node1", requests=SMALL),
                prio("p1.3", MID, node_name="node1", requests=MEDIUM), prio("p1.4", HIGH, node_name="node1", requests=SMALL),
                prio("p2", HIGH, node_name="node2", requests=LARGE)]
    result = run(five_hundred("node1", "node2"), existing, prio("p", HIGH, requests=LARGE))
    assert candidates(result) == {"node1": ["p1.3", "p1.2"]}
    assert result.statuses == {"node2": ["No preemption victims found for incoming pod"]}


def test_equal_priorities_reprieve_the_earlier_started_pod():
    existing = [prio("p1.1", LOW, node_name="node1", requests=SMALL), prio("p1.2", LOW, node_name="node1", requests=SMALL),
                prio("p1.3", MID, node_name="node1", requests=MEDIUM), prio("p1.4", HIGH, node_name="node1", requests=SMALL),
                prio("p2", HIGH, node_name="node2", requests=LARGE)]
    times = {"p1.1": 5, "p1.2": 4, "p1.3": 3, "p1.4": 2, "p2": 1}
    result = run(five_hundred("node1", "node2"), existing, prio("p", HIGH, requests=LARGE), start_times=times)
    assert candidates(result) == {"node1": ["p1.3", "p1.1"]}


def test_a_pod_with_anti_affinity_to_the_preemptor_is_preempted():
    anti = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchExpressions": [{"key": "foo", "operator": "Exists"}]},
         "topologyKey": "kubernetes.io/hostname"}]}}
    nodes = [node(n, {"kubernetes.io/hostname": n}, allocatable={**VERY_LARGE, "pods": "110"})
             for n in ("node1", "node2")]
    existing = [prio("p1.1", LOW, node_name="node1", requests=SMALL, labels={"foo": ""}, affinity=anti),
                prio("p1.2", MID, node_name="node1", requests=SMALL), prio("p1.3", HIGH, node_name="node1", requests=SMALL),
                prio("p2", HIGH, node_name="node2", requests=LARGE), prio("p2.2", HIGH, node_name="node2", requests=MEDIUM)]
    result = run(nodes, existing, prio("p", HIGH, requests=SMALL, labels={"foo": ""}))
    assert candidates(result) == {"node1": ["p1.1"]}


def test_preemption_resolves_a_topology_spread_failure():
    def spread(key):
        return {"maxSkew": 1, "topologyKey": key, "whenUnsatisfiable": "DoNotSchedule",
                "labelSelector": {"matchExpressions": [{"key": "foo", "operator": "Exists"}]}}
    nodes = [node("node-a", {"zone": "zone1", "hostname": "node-a"}), node("node-b", {"zone": "zone1", "hostname": "node-b"}),
             node("node-x", {"zone": "zone2", "hostname": "node-x"})]
    existing = [prio("pod-a1", MID, node_name="node-a", labels={"foo": ""}),
                prio("pod-a2", LOW, node_name="node-a", labels={"foo": ""}),
                prio("pod-b1", LOW, node_name="node-b", labels={"foo": ""}),
                prio("pod-x1", HIGH, node_name="node-x", labels={"foo": ""}),
                prio("pod-x2", HIGH, node_name="node-x", labels={"foo": ""})]
    incoming = pod("p", labels={"foo": ""}, spread=[spread("zone"), spread("hostname")], spec_fields={"priority": HIGH})
    result = run(nodes, existing, incoming)
    assert candidates(result) == {"node-a": ["pod-a2"], "node-b": ["pod-b1"]}
    assert result.nominated_node == "node-a"  # every criterion ties: the first candidate


def same_pdb_pods(*names):
    return [prio(n, MID, node_name="node1", requests=MEDIUM, labels={"app": "foo"}) for n in names]


def test_victims_violating_the_same_pdb():
    result = run(five_hundred("node1"), same_pdb_pods("p1.1", "p1.2"), prio("p", HIGH, requests=VERY_LARGE),
                 [budget(1, {"app": "foo"})])
    assert victims(result) == ["p1.1", "p1.2"] and result.pdb_violations == 1


def test_a_disrupted_pod_elsewhere_changes_nothing():
    result = run(five_hundred("node1"), same_pdb_pods("p1.1", "p1.2"), prio("p", HIGH, requests=VERY_LARGE),
                 [budget(1, {"app": "foo"}, disrupted=["p2"])])
    assert victims(result) == ["p1.1", "p1.2"] and result.pdb_violations == 1


def test_a_victim_among_the_disrupted_pods_does_not_count():
    result = run(five_hundred("node1"), same_pdb_pods("p1.1", "p1.2"), prio("p", HIGH, requests=VERY_LARGE),
                 [budget(1, {"app": "foo"}, disrupted=["p1.2"])])
    assert victims(result) == ["p1.1", "p1.2"] and result.pdb_violations == 0


def test_a_disrupted_victim_is_non_violating():
    result = run(five_hundred("node1"), same_pdb_pods("p1.1", "p1.2", "p1.3"), prio("p", HIGH, requests=VERY_LARGE),
                 [budget(1, {"app": "foo"}, disrupted=["p1.3"])])
    assert victims(result) == ["p1.1", "p1.2", "p1.3"] and result.pdb_violations == 1


def five_nodes_each_with(priorities):
    names = [f"node{i}" for i in range(1, 6)]
    existing = [prio(f"p{i}", priority, node_name=f"node{i}", requests=LARGE)
                for i, priority in zip(range(1, 6), priorities)]
    return five_hundred(*names), existing


@pytest.mark.parametrize("priorities, offset, expected", [
    ([MID] * 5, 4, {"node5": ["p5"], "node1": ["p1"]}),  # all nodes are candidates, args limit to 2
    ([MID, HIGH, MID, HIGH, HIGH], 4, {"node1": ["p1"], "node3": ["p3"]}),  # some nodes are not
    ([MID] * 5, 1, {"node2": ["p2"], "node3": ["p3"]}),  # the offset of a later cycle
    ([MID] * 5, 3, {"node4": ["p4"], "node5": ["p5"]}),  # and wrapping around
])
def test_default_preemption_args_limit_the_dry_run(priorities, offset, expected):
    nodes, existing = five_nodes_each_with(priorities)
    result = run(nodes, existing, prio("p", HIGH, requests=LARGE), args=PreemptionArgs(40, 1), offset=offset)
    assert candidates(result) == expected


def test_the_dry_run_looks_past_the_limit_for_a_node_without_violations():
    nodes, existing = five_nodes_each_with([MID] * 5)
    existing = [prio(p.name, MID, node_name=p.node_name, requests=LARGE,
                     labels={"app": "foo"} if p.name in ("p1", "p2") else {"app": "bar"}) for p in existing]
    # p3 is in no budget's way; p1, p2 violate theirs.
    existing[2] = prio("p3", MID, node_name="node3", requests=LARGE)
    pdbs = [budget(0, {"app": "foo"}, name="foo"), budget(0, {"app": "bar"}, name="bar")]
    result = run(nodes, existing, prio("p", HIGH, requests=LARGE), pdbs, PreemptionArgs(40, 1), offset=0)
    assert [c.node for c in result.candidates] == ["node3", "node1", "node2"]
    assert result.nominated_node == "node3" and result.decided_by == "fewest PDB violations"


# -- TestSelectBestCandidate ----------------------------------------------------------------

def best(existing, nodes=("node1", "node2", "node3"), requests=LARGE, start_times=None):
    return run(five_hundred(*nodes), existing, prio("p", HIGH, requests=requests), start_times=start_times)


def test_node_with_the_lowest_highest_priority_victim_is_picked():
    result = best([prio("p1.1", MID, node_name="node1", requests=LARGE), prio("p2.1", LOW, node_name="node2", requests=LARGE),
                   prio("p3.1", MID, node_name="node3", requests=LARGE)])
    assert result.nominated_node == "node2"


def test_equal_highest_priorities_pick_the_smallest_sum():
    result = best([prio("p1.1", MID, node_name="node1", requests=MEDIUM), prio("p1.2", MID, node_name="node1", requests=MEDIUM),
                   prio("p2.1", MID, node_name="node2", requests=MEDIUM), prio("p2.2", LOW, node_name="node2", requests=MEDIUM),
                   prio("p3.1", MID, node_name="node3", requests=MEDIUM), prio("p3.2", MID, node_name="node3", requests=MEDIUM)],
                  requests=VERY_LARGE)
    assert result.nominated_node == "node2" and result.decided_by == "smallest sum of victim priorities"


def test_upstream_minimum_number_case_is_decided_by_the_sum():
    # Upstream's "when highest priority and sum are the same, minimum number of pods is
    # picked": with the MaxInt32+1 shift the sums differ, and node2's is the smallest.
    existing = [prio("p1.1", MID, node_name="node1", requests=SMALL), prio("p1.2", NEG, node_name="node1", requests=SMALL),
                prio("p1.3", MID, node_name="node1", requests=SMALL), prio("p1.4", NEG, node_name="node1", requests=SMALL),
                prio("p2.1", MID, node_name="node2", requests=LARGE), prio("p2.2", NEG, node_name="node2", requests=MEDIUM),
                prio("p3.1", MID, node_name="node3", requests=MEDIUM), prio("p3.2", NEG, node_name="node3", requests=SMALL),
                prio("p3.3", LOW, node_name="node3", requests=SMALL)]
    result = best(existing, requests=VERY_LARGE)
    assert result.nominated_node == "node2" and result.decided_by == "smallest sum of victim priorities"


def test_equal_sums_pick_the_fewest_victims():
    # 0 + 2^31 == (0 + 2^31) + (-2^31 + 2^31): equal adjusted sums, equal highest priority.
    existing = [prio("p1.1", LOW, node_name="node1", requests=VERY_LARGE),
                prio("p2.1", LOW, node_name="node2", requests=LARGE), prio("p2.2", -2**31, node_name="node2", requests=MEDIUM)]
    result = best(existing, nodes=("node2", "node1"), requests=VERY_LARGE)
    assert result.nominated_node == "node1" and result.decided_by == "fewest victims"


def test_sum_of_adjusted_priorities_counts_negative_priorities_sensibly():
    # node1: one victim at -100; node2: two victims at -100 — upstream shifts by MaxInt32+1,
    # so two negative victims sum higher than one.
    result = best([prio("p1.1", NEG, node_name="node1", requests=VERY_LARGE),
                   prio("p2.1", NEG, node_name="node2", requests=MEDIUM), prio("p2.2", NEG, node_name="node2", requests=LARGE)],
                  nodes=("node1", "node2"), requests=VERY_LARGE)
    assert result.nominated_node == "node1" and result.decided_by == "smallest sum of victim priorities"


def test_equal_victims_pick_the_latest_start_of_the_highest_priority_ones():
    existing = [prio("p1.1", MID, node_name="node1", requests=VERY_LARGE), prio("p2.1", MID, node_name="node2", requests=VERY_LARGE),
                prio("p3.1", MID, node_name="node3", requests=VERY_LARGE)]
    result = best(existing, requests=VERY_LARGE, start_times={"p1.1": 2, "p2.1": 3, "p3.1": 1})
    assert result.nominated_node == "node2" and result.decided_by == "latest start of the highest-priority victims"


# -- TestPodEligibleToPreemptOthers -----------------------------------------------------------

def test_preemption_policy_never_is_not_eligible():
    incoming = pod("p", spec_fields={"priority": HIGH, "preemptionPolicy": "Never"})
    result = run([node("node1", allocatable=ONE_POD)], [prio("p1", LOW, node_name="node1")], incoming)
    assert not result.eligible and result.message == "preemption: not eligible due to preemptionPolicy=Never."
    assert result.fit_error("0/1 nodes are available: 1 Too many pods.") == (
        "0/1 nodes are available: 1 Too many pods. preemption: not eligible due to preemptionPolicy=Never.")


def test_a_terminating_victim_on_the_nominated_node_makes_the_pod_wait():
    nodes = [node("node1", allocatable=ONE_POD)]
    victim = prio("p1", LOW, node_name="node1")
    incoming = prio("p", HIGH)
    incoming.raw["status"] = {"nominatedNodeName": "node1"}
    cluster = snapshot(nodes, [victim])
    result = preempt(cluster, incoming, [PodOnNode(victim, "node1", terminating=True)])
    assert not result.eligible
    assert result.message == "preemption: not eligible due to a terminating pod on the nominated node."
    # A terminating pod of higher priority is not the pod's doing: it may preempt.
    cluster = snapshot(nodes, [prio("p1", VERY_HIGH, node_name="node1")])
    result = preempt(cluster, incoming, [PodOnNode(cluster_pod, "node1", terminating=True)
                                         for cluster_pod in [prio("p1", VERY_HIGH, node_name="node1")]])
    assert result.eligible


# -- PDB violation counting (preemption's FilterVictimsWithPDBViolation) -----------------------

def test_pdb_selection_rules():
    a = prio("a", LOW, labels={"app": "x"})
    unlabeled = prio("u", LOW)
    other_ns = pod("o", namespace="other", labels={"app": "x"})
    pdbs = [budget(1, {"app": "x"})]
    assert violating([a, unlabeled, other_ns], pdbs) == [False, False, False]
    assert violating([a, prio("b", LOW, labels={"app": "x"})], pdbs) == [False, True]
    empty = PodDisruptionBudget("default", "all", LabelSelector(), 0)
    assert violating([a], [empty]) == [False]  # an empty selector selects nothing here


def test_pdb_status_from_manifests():
    bound = [prio(f"w{i}", LOW, node_name="n", labels={"app": "w"}) for i in range(4)]
    spec = {"selector": {"matchLabels": {"app": "w"}}}
    assert parse_pdb({"metadata": {"name": "b"}, "spec": {**spec, "minAvailable": 3}}, bound).disruptions_allowed == 1
    assert parse_pdb({"metadata": {"name": "b"}, "spec": {**spec, "maxUnavailable": "50%"}}, bound).disruptions_allowed == 2
    live = parse_pdb({"metadata": {"name": "b"}, "spec": spec,
                      "status": {"disruptionsAllowed": 0, "disruptedPods": {"w1": "2024-01-01T00:00:00Z"}}}, bound)
    assert live.disruptions_allowed == 0 and live.disrupted_pods == {"w1"}


def test_start_times_come_from_the_pod_status():
    started = prio("s", LOW, node_name="n")
    started.raw["status"] = {"startTime": "1970-01-01T00:00:02Z"}
    assert pod_on_node(started, "n").start_time == 2_000_000_000


def test_required_affinity_to_a_victim_keeps_the_node_out():
    # The dry run removes every lower-priority pod before it asks the filters: a preemptor
    # whose required affinity only a victim satisfies cannot preempt there (as upstream).
    affinity = {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"app": "db"}}, "topologyKey": "kubernetes.io/hostname"}]}}
    nodes = [node("node1", {"kubernetes.io/hostname": "node1"}, allocatable={**VERY_LARGE, "pods": "110"})]
    existing = [prio("db", LOW, node_name="node1", requests=LARGE, labels={"app": "db"})]
    result = run(nodes, existing, prio("p", HIGH, requests=LARGE, affinity=affinity))
    assert result.nominated_node is None
    assert result.message == "preemption: 0/1 nodes are available: 1 node(s) didn't match pod affinity rules."


def test_affinity_only_a_nominated_pod_satisfies_does_not_make_a_candidate():
    # RunFilterPluginsWithNominatedPods: on node1 the dry run passes with the higher-priority
    # pod nominated there added, then runs the filters again without it, and the required
    # affinity that only that nominated pod satisfies fails: no node can be a candidate.
    affinity = {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": "kubernetes.io/hostname"}]}}
    nodes = [node(n, {"kubernetes.io/hostname": n}, allocatable={**VERY_LARGE, "pods": "110"})
             for n in ("node1", "node2")]
    existing = [prio("low1", LOW, node_name="node1", requests=LARGE),
                prio("low2", LOW, node_name="node2", requests=LARGE)]
    web = prio("web", VERY_HIGH, requests=SMALL, labels={"app": "web"})
    incoming = prio("p", HIGH, requests=LARGE, affinity=affinity)
    result = run(nodes, existing, incoming, nominated=[(web, "node1")])
    assert result.nominated_node is None
    assert result.statuses == {"node1": ["node(s) didn't match pod affinity rules"],
                               "node2": ["node(s) didn't match pod affinity rules"]}
