"""DefaultTolerationSeconds, as the API server applies it to the pods of the input."""

from __future__ import annotations

import json

from kubesched.cli.options import load_profiles
from kubesched.model.cluster import read_cluster
from kubesched.sim.simulate import simulate


def _decide(tmp_path, tolerations=None):
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"},
            "spec": {"taints": [{"key": "node.kubernetes.io/not-ready", "effect": "NoExecute"}]},
            "status": {"allocatable": {"cpu": "1", "memory": "1Gi", "pods": "5"}}}
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
           "spec": {"containers": [{"name": "c", "image": "i"}], **({"tolerations": tolerations} if tolerations else {})}}
    path = tmp_path / "in.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [node, pod]}))
    return simulate(read_cluster([str(path)]), load_profiles(None)).placements[0]


def test_every_pod_tolerates_not_ready_and_unreachable_for_300_seconds(tmp_path):
    assert _decide(tmp_path).node == "n1"


def test_a_pod_that_says_how_it_tolerates_not_ready_keeps_its_own(tmp_path):
    # Its own toleration names the key with another effect: the default is still added.
    assert _decide(tmp_path, [{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}]).node == "n1"
    # It tolerates NoExecute for the key by itself: nothing is added, and it still fits.
    placed = _decide(tmp_path, [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"}])
    assert placed.node == "n1"
