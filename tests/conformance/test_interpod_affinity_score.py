"""InterPodAffinity score, ported from upstream's interpodaffinity/scoring_test.go
(TestPreferredAffinity, TestPreferredAffinityWithHardPodAffinitySymmetricWeight). No filter
runs, as in upstream's tests; upstream's empty namespace is kubesched's "default"."""

import pytest

from kubesched.framework.cluster_objects import ClusterObjects

from .builders import affinity, configured, evaluate, node, plugin_args, pod, pod_term, req, score_only, selector

PLUGIN = "InterPodAffinity"
NAMESPACES = ClusterObjects(namespaces={
    "subteam1-team1": {"team": "team1"}, "subteam2-team1": {"team": "team1"},
    "subteam1-team2": {"team": "team2"}, "subteam2-team2": {"team": "team2"},
})

CHINA = {"region": "China"}
INDIA = {"region": "India"}
AZ1 = {"az": "az1"}
AZ2 = {"az": "az2"}
CHINA_AZ1 = {"region": "China", "az": "az1"}
S1 = {"security": "S1"}
S2 = {"security": "S2"}


def sel(key, operator, *values):
    return selector(req(key, operator, *values))


TEAM1 = sel("team", "In", "team1")
STAY_WITH_S1_IN_REGION = affinity(pod_preferred=[(5, pod_term(sel("security", "In", "S1"), "region"))])
STAY_WITH_S2_IN_REGION = affinity(pod_preferred=[(6, pod_term(sel("security", "In", "S2"), "region"))])
AFFINITY3 = affinity(pod_preferred=[
    (8, pod_term(selector(req("security", "NotIn", "S1"), req("security", "In", "S2")), "region")),
    (2, pod_term(selector(req("security", "Exists"), req("wrongkey", "DoesNotExist")), "region"))])
HARD_AFFINITY = affinity(pod_required=[
    pod_term(sel("security", "In", "S1", "value2"), "region"),
    pod_term(selector(req("security", "Exists"), req("wrongkey", "DoesNotExist")), "region")])
AWAY_FROM_S1_IN_AZ = affinity(anti_preferred=[(5, pod_term(sel("security", "In", "S1"), "az"))])
AWAY_FROM_S2_IN_AZ = affinity(anti_preferred=[(5, pod_term(sel("security", "In", "S2"), "az"))])
STAY_WITH_S1_IN_REGION_AWAY_FROM_S2_IN_AZ = affinity(
    pod_preferred=[(8, pod_term(sel("security", "In", "S1"), "region"))],
    anti_preferred=[(5, pod_term(sel("security", "In", "S2"), "az"))])
AFFINITY_NAMESPACE_SELECTOR = affinity(pod_preferred=[
    (5, pod_term(sel("security", "In", "S1"), "region", namespaces=["subteam2-team2"], namespace_selector=TEAM1))])
ANTI_AFFINITY_NAMESPACE_SELECTOR = affinity(anti_preferred=[
    (5, pod_term(sel("security", "In", "S1"), "region", namespaces=["subteam2-team2"], namespace_selector=TEAM1))])


def on(node_name, labels=None, spec_affinity=None, namespace=None):
    return pod(node=node_name, labels=labels, affinity=spec_affinity, namespace=namespace)


def run(incoming, existing, nodes, profile=None):
    built = [node(name, labels) for name, labels in nodes.items()]
    return evaluate(built, incoming, existing, profile or score_only(PLUGIN), NAMESPACES)


CASES = [
    ("Affinity: pod that matches topology key & pods in nodes will get high score comparing to others",
     pod(labels=S1, affinity=STAY_WITH_S1_IN_REGION),
     [on("node1", S1), on("node2", S2), on("node3", S1)],
     {"node1": CHINA, "node2": INDIA, "node3": AZ1}, [100, 0, 0]),
    ("All the nodes that have the same topology key & label value with one of them has an existing pod that match the affinity rules, have the same score",
     pod(affinity=STAY_WITH_S1_IN_REGION), [on("node1", S1)],
     {"node1": CHINA, "node2": CHINA_AZ1, "node3": INDIA}, [100, 100, 0]),
    ("Affinity: nodes in one region has more matching pods comparing to other region, so the region which has more matches will get high score",
     pod(labels=S1, affinity=STAY_WITH_S2_IN_REGION),
     [on("node1", S2), on("node1", S2), on("node2", S2), on("node3", S2), on("node4", S2), on("node5", S2)],
     {"node1": CHINA, "node2": INDIA, "node3": CHINA, "node4": CHINA, "node5": INDIA}, [100, 0, 100, 100, 0]),
    ("Affinity: different Label operators and values for pod affinity scheduling preference, including some match failures",
     pod(labels=S1, affinity=AFFINITY3), [on("node1", S1), on("node2", S2), on("node3", S1)],
     {"node1": CHINA, "node2": INDIA, "node3": AZ1}, [20, 100, 0]),
    ("Affinity symmetry: considered only the preferredDuringSchedulingIgnoredDuringExecution in pod affinity symmetry",
     pod(labels=S2), [on("node1", S1, STAY_WITH_S1_IN_REGION), on("node2", S2, STAY_WITH_S2_IN_REGION)],
     {"node1": CHINA, "node2": INDIA, "node3": AZ1}, [0, 100, 0]),
    ("Affinity symmetry with namespace selector",
     pod(namespace="subteam1-team1", labels=S1),
     [on("node1", S1, AFFINITY_NAMESPACE_SELECTOR), on("node2", S2, STAY_WITH_S2_IN_REGION)],
     {"node1": CHINA, "node2": INDIA, "node3": AZ1}, [100, 0, 0]),
    ("AntiAffinity symmetry with namespace selector",
     pod(namespace="subteam1-team1", labels=S1),
     [on("node1", S1, ANTI_AFFINITY_NAMESPACE_SELECTOR), on("node2", S2, STAY_WITH_S2_IN_REGION)],
     {"node1": CHINA, "node2": INDIA, "node3": AZ1}, [0, 100, 100]),
    ("Affinity symmetry: considered RequiredDuringSchedulingIgnoredDuringExecution in pod affinity symmetry",
     pod(labels=S1), [on("node1", S1, HARD_AFFINITY), on("node2", S2, HARD_AFFINITY)],
     {"node1": CHINA, "node2": INDIA, "node3": AZ1}, [100, 100, 0]),
    ("Anti Affinity: pod that does not match existing pods in node will get high score",
     pod(labels=S1, affinity=AWAY_FROM_S1_IN_AZ), [on("node1", S1), on("node2", S2)],
     {"node1": AZ1, "node2": CHINA}, [0, 100]),
    ("Anti Affinity: pod that does not match topology key & match the pods in nodes will get higher score comparing to others",
     pod(labels=S1, affinity=AWAY_FROM_S1_IN_AZ), [on("node1", S1), on("node2", S1)],
     {"node1": AZ1, "node2": CHINA}, [0, 100]),
    ("Anti Affinity: one node has more matching pods comparing to other node, so the node which has more unmatches will get high score",
     pod(labels=S1, affinity=AWAY_FROM_S1_IN_AZ), [on("node1", S1), on("node1", S1), on("node2", S2)],
     {"node1": AZ1, "node2": INDIA}, [0, 100]),
    ("Anti Affinity symmetry: the existing pods in node which has anti affinity match will get high score",
     pod(labels=S2), [on("node1", S1, AWAY_FROM_S2_IN_AZ), on("node2", S2, AWAY_FROM_S1_IN_AZ)],
     {"node1": AZ1, "node2": AZ2}, [0, 100]),
    ("Affinity and Anti Affinity: considered only preferredDuringSchedulingIgnoredDuringExecution in both pod affinity & anti affinity",
     pod(labels=S1, affinity=STAY_WITH_S1_IN_REGION_AWAY_FROM_S2_IN_AZ), [on("node1", S1), on("node2", S1)],
     {"node1": CHINA, "node2": AZ1}, [100, 0]),
    ("Affinity and Anti Affinity: considering both affinity and anti-affinity, the pod to schedule and existing pods have the same labels",
     pod(labels=S1, affinity=STAY_WITH_S1_IN_REGION_AWAY_FROM_S2_IN_AZ),
     [on("node1", S1), on("node1", S1), on("node2", S1), on("node3", S1), on("node3", S1), on("node4", S1),
      on("node5", S1)],
     {"node1": CHINA_AZ1, "node2": INDIA, "node3": CHINA, "node4": CHINA, "node5": INDIA}, [100, 0, 100, 100, 0]),
    ("Affinity and Anti Affinity and symmetry: considered only preferredDuringSchedulingIgnoredDuringExecution in both pod affinity & anti affinity & symmetry",
     pod(labels=S1, affinity=STAY_WITH_S1_IN_REGION_AWAY_FROM_S2_IN_AZ),
     [on("node1", S1), on("node2", S2), on("node3", None, STAY_WITH_S1_IN_REGION_AWAY_FROM_S2_IN_AZ),
      on("node4", None, AWAY_FROM_S1_IN_AZ)],
     {"node1": CHINA, "node2": AZ1, "node3": INDIA, "node4": AZ2}, [100, 0, 100, 0]),
    ("Avoid panic when partial nodes in a topology don't have pods with affinity",
     pod(labels=S1), [on("node1", S1), on("node2", None, STAY_WITH_S1_IN_REGION_AWAY_FROM_S2_IN_AZ)],
     {"node1": CHINA, "node2": CHINA}, [0, 0]),
    ("Affinity with pods matching NamespaceSelector",
     pod(namespace="subteam1-team1", labels=S1, affinity=AFFINITY_NAMESPACE_SELECTOR),
     [on("node1", S1, namespace="subteam1-team1"), on("node1", S1, namespace="subteam1-team1"),
      on("node1", S1, namespace="subteam1-team2"), on("node2", S1, namespace="subteam2-team1")],
     {"node1": CHINA, "node2": INDIA}, [100, 0]),
    ("Affinity with pods matching both NamespaceSelector and Namespaces fields",
     pod(namespace="subteam1-team1", labels=S1, affinity=AFFINITY_NAMESPACE_SELECTOR),
     [on("node1", S1, namespace="subteam1-team1"), on("node1", S1, namespace="subteam1-team1"),
      on("node1", S1, namespace="subteam2-team2"), on("node2", S1, namespace="subteam2-team1")],
     {"node1": CHINA, "node2": INDIA}, [100, 0]),
    ("Anti-affinity with pods matching NamespaceSelector",
     pod(namespace="subteam1-team1", labels=S1, affinity=ANTI_AFFINITY_NAMESPACE_SELECTOR),
     [on("node1", S1, namespace="subteam1-team1"), on("node1", S1, namespace="subteam1-team1"),
      on("node1", S1, namespace="subteam1-team2"), on("node2", S1, namespace="subteam2-team1")],
     {"node1": CHINA, "node2": INDIA}, [0, 100]),
    ("Anti-affinity with pods matching both NamespaceSelector and Namespaces fields",
     pod(namespace="subteam1-team1", labels=S1, affinity=ANTI_AFFINITY_NAMESPACE_SELECTOR),
     [on("node1", S1, namespace="subteam1-team1"), on("node1", S1, namespace="subteam1-team1"),
      on("node1", S1, namespace="subteam2-team2"), on("node2", S1, namespace="subteam2-team1")],
     {"node1": CHINA, "node2": INDIA}, [0, 100]),
    ("Do not ignore preferred terms of existing pods",
     pod(labels=S2), [on("node1", S1, STAY_WITH_S1_IN_REGION_AWAY_FROM_S2_IN_AZ), on("node2", S2, STAY_WITH_S2_IN_REGION)],
     {"node1": CHINA, "node2": INDIA}, [0, 100]),
]


@pytest.mark.parametrize("name, incoming, existing, nodes, want", CASES, ids=[c[0][:80] for c in CASES])
def test_preferred_affinity(name, incoming, existing, nodes, want):
    assert run(incoming, existing, nodes).scores(PLUGIN) == dict(zip(nodes, want))


def test_all_nodes_same_priority_when_affinity_is_nil():
    # "all nodes are same priority as Affinity is nil": PreScore skips.
    result = run(pod(labels=S1), [], {"node1": CHINA, "node2": INDIA, "node3": AZ1})
    assert result.skipped(PLUGIN)
    assert result.scores(PLUGIN) == {"node1": 0, "node2": 0, "node3": 0}


def test_ignore_preferred_terms_of_existing_pods():
    # "Ignore preferred terms of existing pods": with the argument set, the existing pods'
    # preferred terms do not count and, the incoming pod having none, PreScore skips.
    profile = score_only(PLUGIN, configured(plugin_args(PLUGIN, ignorePreferredTermsOfExistingPods=True)))
    result = run(pod(labels=S2),
                 [on("node1", S1, STAY_WITH_S1_IN_REGION_AWAY_FROM_S2_IN_AZ), on("node2", S2, STAY_WITH_S2_IN_REGION)],
                 {"node1": CHINA, "node2": INDIA}, profile)
    assert result.skipped(PLUGIN)
    assert result.scores(PLUGIN) == {"node1": 0, "node2": 0}


# -- TestPreferredAffinityWithHardPodAffinitySymmetricWeight -------------------------------------

HARD_POD_AFFINITY = affinity(pod_required=[pod_term(sel("service", "In", "S1"), "region",
                                                    namespaces=["default", "subteam2-team2"],
                                                    namespace_selector=TEAM1)])
SERVICE_S1 = {"service": "S1"}
HARD_NODES = {"node1": CHINA, "node2": INDIA, "node3": AZ1}


@pytest.mark.parametrize("name, namespace, weight, want", [
    ("with default weight", None, 1, [100, 100, 0]),
    ("with zero weight", None, 0, None),
    ("with no matching namespace", "subteam1-team2", 1, None),
    ("with matching NamespaceSelector", "subteam1-team1", 1, [100, 100, 0]),
    ("with matching Namespaces", "subteam2-team2", 1, [100, 100, 0]),
])
def test_hard_pod_affinity_symmetric_weight(name, namespace, weight, want):
    # want None: upstream's PreScore skips (no score).
    profile = score_only(PLUGIN, configured(plugin_args(PLUGIN, hardPodAffinityWeight=weight)))
    existing = [on("node1", None, HARD_POD_AFFINITY), on("node2", None, HARD_POD_AFFINITY)]
    result = run(pod(namespace=namespace, labels=SERVICE_S1), existing, HARD_NODES, profile)
    if want is None:
        assert result.skipped(PLUGIN)
        assert result.scores(PLUGIN) == {"node1": 0, "node2": 0, "node3": 0}
    else:
        assert not result.skipped(PLUGIN)
        assert result.scores(PLUGIN) == dict(zip(HARD_NODES, want))


def test_default_hard_pod_affinity_weight_is_one():
    # Without args, hardPodAffinityWeight is upstream's DefaultHardPodAffinitySymmetricWeight (1):
    # the "with default weight" case again, on the plain default profile.
    existing = [on("node1", None, HARD_POD_AFFINITY), on("node2", None, HARD_POD_AFFINITY)]
    result = run(pod(labels=SERVICE_S1), existing, HARD_NODES)
    assert result.scores(PLUGIN) == {"node1": 100, "node2": 100, "node3": 0}
