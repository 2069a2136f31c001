"""Python plugins go through the core's selection: the best total wins, ties are broken by
--seed's stream (the first in node order without one), a score outside 0..100 is upstream's
error, and explain shows the plugins' verdicts and takes the node simulate takes."""

from __future__ import annotations

import sys

import pytest

from kubesched.errors import InputError
from kubesched.framework.config import parse_config
from kubesched.model.cluster import read_cluster
from kubesched.sim.explain import explain
from kubesched.sim.simulate import simulate

PLUGINS = '''
class Prefer:
    def score(self, pod, node):
        return 100 if node.labels.get("prefer") == "yes" else 0

class Flat:
    def score(self, pod, node):
        return 50

class NotN1:
    def filter(self, pod, node):
        return "node(s) are n1" if node.name == "n1" else None

class NotFirstTen:
    def filter(self, pod, node):
        return "node(s) are among the first ten" if int(node.name[1:]) < 10 else None

class Negative:
    def score(self, pod, node):
        return -1
'''


def _node(name: str, prefer: bool = False) -> str:
    labels = "{prefer: 'yes'}" if prefer else "{}"
    return (f"kind: Node\nmetadata: {{name: {name}, labels: {labels}}}\n"
            "status: {allocatable: {cpu: '4', memory: 8Gi, pods: '10'}}\n")


def _pod(name: str) -> str:
    return f"kind: Pod\nmetadata: {{name: {name}}}\nspec: {{containers: [{{name: c, image: x}}]}}\n"


@pytest.fixture
def plugins(tmp_path, monkeypatch):
    (tmp_path / "selection_plugins.py").write_text(PLUGINS)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "selection_plugins"
    sys.modules.pop("selection_plugins", None)


def _profiles(plugins: str, scores=(), filters=()):
    return parse_config({"apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration",
                         "profiles": [{"plugins": {
                             "score": {"enabled": [{"name": f"{plugins}:{n}", "weight": w} for n, w in scores]},
                             "filter": {"enabled": [{"name": f"{plugins}:{n}"} for n in filters]}}}]})


def _cluster(tmp_path, nodes, pods):
    file = tmp_path / "cluster.yaml"
    file.write_text("---\n".join([*nodes, *(_pod(p) for p in pods)]))
    return read_cluster([str(file)])


def _chosen(cluster, profiles, seed):
    return [p.node for p in simulate(cluster, profiles, seed).placements]


def test_scores_decide_among_many_nodes(tmp_path, plugins):
    # the core scores the empty nodes alike and n3 a little lower once it has a pod; Prefer's
    # 100 (weight 3) outweighs that
    cluster = _cluster(tmp_path, [_node("n1"), _node("n2"), _node("n3", prefer=True)], ["a", "b"])
    profiles = _profiles(plugins, scores=[("Prefer", 3)])
    assert _chosen(cluster, profiles, None) == ["n3", "n3"]
    report = explain(cluster, profiles, "default/a")
    assert report["selectedNode"] == "n3"
    n3 = next(e for e in report["nodes"] if e["node"] == "n3")
    assert n3["scores"][f"{plugins}:Prefer"] == {"raw": 100, "normalized": 100, "weight": 3, "weighted": 300}
    n1 = next(e for e in report["nodes"] if e["node"] == "n1")
    assert n3["total"] - n1["total"] == 300


def test_ties_without_a_seed_take_the_first_node(tmp_path, plugins):
    cluster = _cluster(tmp_path, [_node("n1"), _node("n2", prefer=True), _node("n3"), _node("n4", prefer=True)],
                       ["a"])
    assert _chosen(cluster, _profiles(plugins, scores=[("Prefer", 5)]), None) == ["n2"]


def test_a_seed_breaks_ties_at_random_among_the_best(tmp_path, plugins):
    cluster = _cluster(tmp_path, [_node("n1"), _node("n2", prefer=True), _node("n3"), _node("n4", prefer=True)],
                       ["a"])
    profiles = _profiles(plugins, scores=[("Prefer", 5)])
    chosen = {seed: _chosen(cluster, profiles, seed)[0] for seed in range(16)}
    assert set(chosen.values()) == {"n2", "n4"}  # only the best, and both of them
    assert all(_chosen(cluster, profiles, seed)[0] == node for seed, node in chosen.items())  # reproducible


@pytest.mark.parametrize("seed", [None, *range(8)])
def test_explain_takes_the_node_simulate_takes(tmp_path, plugins, seed):
    cluster = _cluster(tmp_path, [_node(f"n{i}") for i in range(1, 6)], ["a", "b", "c"])
    profiles = _profiles(plugins, scores=[("Flat", 1)], filters=["NotN1"])
    placements = dict(zip(["a", "b", "c"], _chosen(cluster, profiles, seed)))
    assert "n1" not in placements.values()
    for pod, node in placements.items():
        report = explain(cluster, profiles, f"default/{pod}", seed)
        assert report["selectedNode"] == node
        assert report["feasibleNodes"] == 4
        verdicts = {e["node"]: e["filters"][f"{plugins}:NotN1"] for e in report["nodes"]}
        assert verdicts["n1"] == {"status": "Unschedulable", "reasons": ["node(s) are n1"]}
        assert verdicts["n2"] == {"status": "Success"}
        n1 = next(e for e in report["nodes"] if e["node"] == "n1")
        assert not n1["feasible"] and "total" not in n1


def test_scores_normalise_over_the_nodes_python_filters_pass(tmp_path, plugins):
    # NodeAffinity's raw scores: n1 15, n2 5, n3 0. NotN1 rejects n1, so upstream normalises
    # over n2 and n3 only: n2 gets 100, not 5 * 100 / 15
    labelled = {"n1": "{tier: gold, fast: 'yes'}", "n2": "{fast: 'yes'}", "n3": "{}"}
    nodes = [f"kind: Node\nmetadata: {{name: {name}, labels: {labels}}}\n"
             "status: {allocatable: {cpu: '4', memory: 8Gi, pods: '10'}}\n" for name, labels in labelled.items()]
    file = tmp_path / "cluster.yaml"
    file.write_text("---\n".join([*nodes, """kind: Pod
metadata: {name: a}
spec:
  containers: [{name: c, image: x}]
  affinity:
    nodeAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
      - {weight: 10, preference: {matchExpressions: [{key: tier, operator: In, values: [gold]}]}}
      - {weight: 5, preference: {matchExpressions: [{key: fast, operator: In, values: ['yes']}]}}
"""]))
    report = explain(read_cluster([str(file)]), _profiles(plugins, filters=["NotN1"]), "default/a")
    scores = {e["node"]: e["scores"]["NodeAffinity"] for e in report["nodes"] if e["feasible"]}
    assert scores == {"n2": {"raw": 5, "normalized": 100, "weight": 2, "weighted": 200},
                      "n3": {"raw": 0, "normalized": 0, "weight": 2, "weighted": 0}}
    assert report["selectedNode"] == "n2"


def test_explain_of_a_pod_python_filters_reject_everywhere(tmp_path, plugins):
    cluster = _cluster(tmp_path, [_node("n1")], ["a"])
    profiles = _profiles(plugins, filters=["NotN1"])
    assert [p.message for p in simulate(cluster, profiles).placements][0].startswith(
        "0/1 nodes are available: 1 node(s) are n1.")
    report = explain(cluster, profiles, "default/a")
    assert report["selectedNode"] is None and report["feasibleNodes"] == 0
    assert report["message"].startswith("0/1 nodes are available: 1 node(s) are n1.")


def test_a_score_out_of_range_is_upstreams_error(tmp_path, plugins):
    cluster = _cluster(tmp_path, [_node("n1"), _node("n2")], ["a"])
    with pytest.raises(InputError) as caught:
        simulate(cluster, _profiles(plugins, scores=[("Negative", 1)]))
    assert str(caught.value).startswith(f'plugin "{plugins}:Negative" returns an invalid score -1, it should in the '
                                        "range of [0, 100] after normalizing (pod default/a, node n1)")


def test_explain_preempts_as_simulate_with_python_filters(tmp_path, monkeypatch):
    from tests.unit.test_simulate_preemption import pod
    from tests.unit.test_simulate_preemption_python_plugins import PLUGIN, cluster

    (tmp_path / "n2_plugin.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    profiles = parse_config({"apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration",
                             "profiles": [{"plugins": {"filter": {"enabled": [{"name": "n2_plugin:NotOnN2"}]}}}]})
    try:
        # the core alone would preempt on n2 (its victim started later); the plugin rejects n2
        case = cluster(tmp_path, pod("low-1", "1500m", node_name="n1", owner=True, start="2024-01-01T00:00:00Z"),
                       pod("low-2", "1500m", node_name="n2", owner=True, start="2024-01-02T00:00:00Z"),
                       pod("critical", "1", high=True))
        report = explain(case, profiles, "default/critical")
        assert report["selectedNode"] is None
        assert report["preemption"]["nominatedNode"] == simulate(case, profiles).placements[0].nominated_node == "n1"
    finally:
        sys.modules.pop("n2_plugin", None)


def test_a_sampled_search_ties_to_the_first_node_looked_at(tmp_path, plugins):
    # 150 nodes, percentageOfNodesToScore 50: each pod looks at 100 feasible nodes from the
    # rotating start. The second pod's search wraps round (n100..n149, then n0..n49): of its
    # tied empty nodes the core takes n100, the first looked at, and a constant Python score
    # must not move it to n1, the first in input order
    cluster = _cluster(tmp_path, [_node(f"n{i}") for i in range(150)], ["a", "b"])
    config = {"apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration",
              "percentageOfNodesToScore": 50}
    core = _chosen(cluster, parse_config(config), None)
    config["profiles"] = [{"plugins": {"score": {"enabled": [{"name": f"{plugins}:Flat", "weight": 1}]}}}]
    assert _chosen(cluster, parse_config(config), None) == core == ["n0", "n100"]


def test_a_sampled_search_goes_on_past_the_nodes_python_filters_reject(tmp_path, plugins):
    # 150 nodes, 100 feasible wanted: NotFirstTen rejects n0..n9, so the first pod's search
    # looks at n0..n110 (100 feasible, then one more, cancelled) and takes n10; the second
    # pod's starts at n110, the nodes the first one processed
    cluster = _cluster(tmp_path, [_node(f"n{i}") for i in range(150)], ["a", "b"])
    config = {"apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration",
              "percentageOfNodesToScore": 50,
              "profiles": [{"plugins": {"filter": {"enabled": [{"name": f"{plugins}:NotFirstTen"}]},
                                        "score": {"enabled": [{"name": f"{plugins}:Flat", "weight": 1}]}}}]}
    assert _chosen(cluster, parse_config(config), None) == ["n10", "n110"]
