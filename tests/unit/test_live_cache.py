"""The live cache: heartbeats are ignored, relevant node changes reach the snapshot (a deletion
rebuilds it), pods count once."""

from __future__ import annotations

import pytest

from kubesched.framework.profile import default_profile
from kubesched.live.cache import Cache
from kubesched.model.pods import PodParser

pytestmark = pytest.mark.unit


def _node(name, cpu="2", labels=None, heartbeat="t0"):
    return {"metadata": {"name": name, "labels": labels or {"kubernetes.io/hostname": name}},
            "status": {"allocatable": {"cpu": cpu, "memory": "4Gi", "pods": "110"},
                       "conditions": [{"type": "Ready", "status": "True",
                                       "lastHeartbeatTime": heartbeat}]}}


def _pod(name, cpu="1"):
    return PodParser().parse({"metadata": {"name": name, "uid": name},
                              "spec": {"containers": [{"name": "c", "image": "i", "resources": {
                                  "requests": {"cpu": cpu}}}]}})


def test_heartbeats_are_ignored_relevant_changes_are_applied_and_a_deletion_rebuilds():
    cache = Cache(default_profile())
    assert cache.set_node(_node("a"))
    snapshot = cache.snapshot_for(cache.profile)
    assert not cache.set_node(_node("a", heartbeat="t1"))
    assert cache.snapshot_for(cache.profile) is snapshot
    assert cache.set_node(_node("a", labels={"zone": "z"}))
    assert cache.snapshot_for(cache.profile) is snapshot and snapshot.nodes[0].labels == {"zone": "z"}
    assert cache.rebuilds == 1
    assert cache.delete_node("a") and not cache.delete_node("a")
    assert cache.snapshot_for(cache.profile) is not snapshot


def test_pods_count_once_across_assume_confirm_and_rebuild():
    cache = Cache(default_profile())
    cache.set_node(_node("a", cpu="2"))
    snapshot = cache.snapshot_for(cache.profile)
    pod = _pod("p")
    node = snapshot._engine.schedule(snapshot.class_of(pod))
    assert node == 0
    cache.assumed("p", pod, "a", (snapshot.class_of(pod), node))
    assert not cache.confirm("p", pod, "a")  # the watch shows it bound where assumed
    second = _pod("q")
    assert snapshot._engine.schedule(snapshot.class_of(second)) == 0  # 1 + 1 of 2 cpus
    snapshot.forget(snapshot.class_of(second), 0)
    cache.set_node(_node("b"))
    cache.delete_node("b")  # rebuild: p is counted again
    rebuilt = cache.snapshot_for(cache.profile)
    assert rebuilt._engine.schedule(rebuilt.class_of(second)) == 0
    assert rebuilt._engine.schedule(rebuilt.class_of(_pod("r"))) == -1  # full: counted once
    cache.remove("p")
    assert rebuilt._engine.schedule(rebuilt.class_of(_pod("s"))) == 0


def test_a_decision_counts_evaluated_and_feasible_nodes_as_upstream_logs_them():
    from dataclasses import replace

    for percentage in (100, 50):  # every node scored, or upstream's sampling (min 100 nodes)
        cache = Cache(replace(default_profile(), percentage_of_nodes_to_score=percentage))
        for name, cpu in (("a", "2"), ("b", "500m"), ("c", "4")):
            cache.set_node(_node(name, cpu=cpu))
        snapshot = cache.snapshot_for(cache.profile)
        assert snapshot._engine.schedule(snapshot.class_of(_pod("p", cpu="1"))) >= 0
        assert snapshot._engine.last_counts == (3, 2)  # b has too little cpu
        assert snapshot._engine.schedule(snapshot.class_of(_pod("big", cpu="8"))) == -1
        assert snapshot._engine.last_counts == (3, 0)
