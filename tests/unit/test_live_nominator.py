"""The live nominator: a nominated pod's room is held against pods of its priority and lower
only, never against itself, through the core's two passes; across changes of the pod
decided, removals, moves and rebuilt snapshots; the snapshot never counts nominated pods."""

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


def _fits(snapshot, nominator, pod) -> list[str]:
    """The nodes the pod fits now, yielding to the nominated pods (the core's two passes)."""
    held = nominator.yield_to(snapshot, pod, pod.uid)
    class_id = snapshot.class_of(pod)
    return [name for node, name in enumerate(snapshot.node_names)
            if snapshot.feasible_with_nominated(class_id, node, held)]


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
    assert nominator.yield_to(snapshot, low, "low") == [(snapshot.class_of(big), snapshot.node_index["a"])]
    assert _fits(snapshot, nominator, low) == ["b"]

    equal = _pod("equal", cpu="2", priority=100)
    assert _fits(snapshot, nominator, equal) == ["b"]  # equal priority yields too

    higher = _pod("higher", cpu="2", priority=1000)
    assert nominator.yield_to(snapshot, higher, "higher") == []
    assert _fits(snapshot, nominator, higher) == ["a", "b"]

    assert nominator.yield_to(snapshot, big, "big") == []  # never against itself
    assert _fits(snapshot, nominator, big) == ["a", "b"]


def test_removed_and_moved_nominations_free_the_room(snapshot):
    nominator = Nominator()
    nominator.nominate("big", _pod("big", cpu="2", priority=100), "a")
    low = _pod("low", cpu="2")
    assert _fits(snapshot, nominator, low) == ["b"]
    nominator.remove("big")
    assert _fits(snapshot, nominator, low) == ["a", "b"]

    nominator.nominate("big", _pod("big", cpu="2", priority=100), "b")
    assert _fits(snapshot, nominator, low) == ["a"]
    assert snapshot._engine.schedule(snapshot.class_of(low)) == snapshot.node_index["a"]  # never counted in


def test_a_rebuilt_snapshot_is_asked_afresh_and_a_deleted_node_holds_nothing():
    cache = Cache(default_profile())
    cache.set_node(_node("a"))
    cache.set_node(_node("c"))
    first = cache.snapshot_for(cache.profile)
    nominator = Nominator()
    nominator.nominate("big", _pod("big", cpu="2", priority=100), "c")
    low = _pod("low", cpu="1")
    assert _fits(first, nominator, low) == ["a"]
    cache.set_node(_node("b"))
    cache.delete_node("c")  # a node deleted: the next decision rebuilds
    second = cache.snapshot_for(cache.profile)
    assert second is not first
    assert nominator.yield_to(second, low, "low") == []
    assert _fits(second, nominator, low) == ["a", "b"]


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
