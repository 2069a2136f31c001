"""The live nominator: a nominated pod's room is held against pods of lower priority only,
never against itself; the engine counts exactly the held pods, across changes of the pod
decided, removals, rebuilt snapshots and releases."""

from __future__ import annotations

import pytest

from kubesched.framework.profile import default_profile
from kubesched.live.cache import Cache
from kubesched.live.nominator import Nominator
from kubesched.model.pods import PodParser

pytestmark = pytest.mark.unit


def _node(name, cpu="2"):
    return {"metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
            "status": {"allocatable": {"cpu": cpu, "memory": "4Gi", "pods": "110"}}}


def _pod(name, cpu="1", priority=0, nominated=None):
    obj = {"metadata": {"name": name, "uid": name, "namespace": "ns"},
           "spec": {"priority": priority,
                    "containers": [{"name": "c", "image": "i", "resources": {"requests": {"cpu": cpu}}}]}}
    if nominated:
        obj["status"] = {"nominatedNodeName": nominated}
    return PodParser().parse(obj)


def _fits(snapshot, pod) -> list[str]:
    """The nodes the pod could go to now, without changing the snapshot."""
    engine = snapshot.engine
    found = []
    class_id = snapshot.class_of(pod)
    while (node := engine.schedule(class_id)) >= 0:
        found.append(node)
    for node in found:
        engine.forget(class_id, node)
    return sorted(snapshot.node_names[n] for n in found)


@pytest.fixture
def snapshot():
    cache = Cache(default_profile())
    cache.set_node(_node("a"))
    cache.set_node(_node("b"))
    return cache.snapshot_for(cache.profile)


def test_room_is_held_against_lower_priority_only(snapshot):
    nominator = Nominator()
    big = _pod("big", cpu="2", priority=100)
    nominator.nominate("big", big, "a")

    low = _pod("low", cpu="2", priority=10)
    nominator.hold_for(snapshot, low, "low")
    assert nominator.held() == {"big"}
    assert _fits(snapshot, low) == ["b"]

    equal = _pod("equal", cpu="2", priority=100)
    nominator.hold_for(snapshot, equal, "equal")
    assert _fits(snapshot, equal) == ["b"]  # equal priority yields too

    higher = _pod("higher", cpu="2", priority=1000)
    nominator.hold_for(snapshot, higher, "higher")
    assert nominator.held() == set()
    assert _fits(snapshot, higher) == ["a", "b"]

    nominator.hold_for(snapshot, big, "big")  # never against itself
    assert nominator.held() == set()
    assert _fits(snapshot, big) == ["a", "b"]


def test_removed_and_released_nominations_free_the_room(snapshot):
    nominator = Nominator()
    nominator.nominate("big", _pod("big", cpu="2", priority=100), "a")
    low = _pod("low", cpu="2")
    nominator.hold_for(snapshot, low, "low")
    assert _fits(snapshot, low) == ["b"]
    nominator.remove("big")
    nominator.hold_for(snapshot, low, "low")
    assert _fits(snapshot, low) == ["a", "b"]

    nominator.nominate("big", _pod("big", cpu="2", priority=100), "b")
    nominator.hold_for(snapshot, low, "low")
    assert _fits(snapshot, low) == ["a"]
    nominator.release(snapshot)
    assert nominator.held() == set() and _fits(snapshot, low) == ["a", "b"]


def test_a_rebuilt_snapshot_is_counted_afresh():
    cache = Cache(default_profile())
    cache.set_node(_node("a"))
    first = cache.snapshot_for(cache.profile)
    nominator = Nominator()
    nominator.nominate("big", _pod("big", cpu="2", priority=100), "a")
    low = _pod("low", cpu="1")
    nominator.hold_for(first, low, "low")
    cache.set_node(_node("b"))
    cache.set_node(_node("c"))
    cache.delete_node("c")  # a node deleted: the next decision rebuilds
    second = cache.snapshot_for(cache.profile)
    assert second is not first
    nominator.hold_for(second, low, "low")
    assert _fits(second, low) == ["b", "b"]  # held on a once, not twice nor never


def test_the_status_nominates_and_our_nominations_stand_against_stale_watch_events(snapshot):
    nominator = Nominator()
    seen = _pod("p", nominated="a")
    nominator.status_seen("p", seen, seen.raw["status"])
    assert nominator.node_of("p") == "a"
    nominator.status_seen("p", seen, {})  # another writer cleared it
    assert nominator.node_of("p") is None

    nominator.nominate("q", _pod("q"), "b")  # ours
    nominator.status_seen("q", _pod("q"), {})  # the watch still shows the pod before our patch
    assert nominator.node_of("q") == "b"
    assert [n.uid for n in nominator.on_node("b")] == ["q"]
