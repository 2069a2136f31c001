"""simulate with DefaultPreemption in a profile with a Python filter plugin: the plugin's
verdict does not depend on the pods on a node, so a node it rejects is no candidate (it
counts with the plugin's reason); the others preempt as the core's pods do."""

from __future__ import annotations

import sys

import pytest
import yaml

from kubesched.framework.config import parse_config
from kubesched.model.cluster import read_cluster
from kubesched.sim.simulate import simulate
from tests.unit.test_simulate_preemption import PRIORITY, node, pod

PLUGIN = '''
class NotOnN2:
    def filter(self, pod, node):
        return "node(s) are n2" if node.name == "n2" and pod.priority > 0 else None
'''


@pytest.fixture
def profiles(tmp_path, monkeypatch):
    (tmp_path / "n2_plugin.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield parse_config({"apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration",
                        "profiles": [{"plugins": {"filter": {"enabled": [{"name": "n2_plugin:NotOnN2"}]}}}]})
    sys.modules.pop("n2_plugin", None)


def cluster(tmp_path, *objects):
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump_all([PRIORITY, node("n1"), node("n2"), *objects]))
    return read_cluster([str(path)], warn=lambda message: None)


def test_the_preemptor_evicts_only_where_the_plugin_lets_it_go(tmp_path, profiles):
    # n2's victim started later (the core alone would pick n2), but the plugin rejects n2.
    case = cluster(tmp_path,
                   pod("low-1", "1500m", node_name="n1", owner=True, start="2024-01-01T00:00:00Z"),
                   pod("low-2", "1500m", node_name="n2", owner=True, start="2024-01-02T00:00:00Z"),
                   pod("critical", "1", high=True))
    placements = [p.to_json() for p in simulate(case, profiles).placements]
    assert placements[0] == {"pod": "default/critical", "node": "n1", "message": "", "nominatedNode": "n1",
                             "preempted": ["default/low-1"]}
    assert placements[1]["pod"] == "default/low-1" and placements[1]["node"] is None  # requeued, fits nowhere


def test_a_node_only_the_plugin_rejects_is_reported_with_its_reason(tmp_path, profiles):
    case = cluster(tmp_path, pod("low-2", "100m", node_name="n2", start="2024-01-02T00:00:00Z"),
                   pod("top-1", "1500m", node_name="n1", high=True), pod("critical", "1", high=True))
    (placement,) = simulate(case, profiles).placements
    assert placement.node is None
    assert placement.message == ("0/2 nodes are available: 1 Insufficient cpu, 1 node(s) are n2. preemption: 0/2 "
                                 "nodes are available: 1 No preemption victims found for incoming pod, "
                                 "1 node(s) are n2.")
