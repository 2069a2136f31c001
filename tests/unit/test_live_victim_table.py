"""The live table of potential victims follows the cache: pods that come, change (a victim
seen terminating) and go; a new snapshot or new budgets start it afresh."""

from __future__ import annotations

import pytest

from kubesched.framework.profile import default_profile
from kubesched.live.cache import Cache
from kubesched.live.victim_table import VictimTable
from kubesched.model.pods import PodParser

pytestmark = pytest.mark.unit


def _node(name):
    return {"metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
            "status": {"allocatable": {"cpu": "4", "memory": "4Gi", "pods": "110"}}}


def _pod(name, node, deleting=False, labels=None):
    meta = {"name": name, "uid": name, "namespace": "ns", "labels": labels or {}}
    status = {"startTime": "2026-01-01T00:00:00Z"}
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T01:00:00Z"
        status["conditions"] = [{"type": "DisruptionTarget", "status": "True", "reason": "PreemptionByScheduler"}]
    return PodParser().parse({"metadata": meta, "status": status, "spec": {
        "nodeName": node, "containers": [{"name": "c", "image": "i", "resources": {"requests": {"cpu": "1"}}}]}})


def _live(table):
    return sorted((table.pods[r].name, table.snapshot.node_names[table.node_of(r)], table.terminating[r])
                  for r in range(len(table)) if table.node_of(r) >= 0)


def test_the_table_follows_the_cache():
    cache = Cache(default_profile())
    cache.set_node(_node("a"))
    cache.set_node(_node("b"))
    snapshot = cache.snapshot_for(cache.profile)
    for name, node in (("p", "a"), ("q", "a"), ("r", "b")):
        cache.confirm(name, _pod(name, node), node)
    victims = VictimTable()
    table = victims.current(snapshot, cache.placed, [])
    assert _live(table) == [("p", "a", False), ("q", "a", False), ("r", "b", False)]
    assert victims.current(snapshot, cache.placed, []) is table and len(table) == 3  # nothing changed

    cache.confirm("q", _pod("q", "a", deleting=True), "a")  # seen terminating
    cache.remove("r")
    table = victims.current(snapshot, cache.placed, [])
    assert _live(table) == [("p", "a", False), ("q", "a", True)]

    budget = {"metadata": {"name": "b", "namespace": "ns"}, "spec": {"selector": {"matchLabels": {"x": "y"}}},
              "status": {"disruptionsAllowed": 0}}
    fresh = victims.current(snapshot, cache.placed, [budget])
    assert fresh is not table and len(fresh) == 2 and len(fresh.pdbs) == 1

    cache.set_node(_node("c"))
    cache.delete_node("c")  # a node deleted: the next decision rebuilds the snapshot
    rebuilt = cache.snapshot_for(cache.profile)
    assert rebuilt is not snapshot
    again = victims.current(rebuilt, cache.placed, [budget])
    assert again.snapshot is rebuilt and _live(again) == [("p", "a", False), ("q", "a", True)]
