"""The live scheduling queue: order, backoff, the unschedulable pool and moves."""

from __future__ import annotations

import pytest

from kubesched.engine.queue_order import queue_order
from kubesched.live.queue import SchedulingQueue
from kubesched.model.pods import PodParser

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def _pod(name, priority=0, created="2024-01-01T00:00:00Z"):
    return PodParser().parse({"metadata": {"name": name, "creationTimestamp": created},
                              "spec": {"priority": priority,
                                       "containers": [{"name": "c", "image": "i"}]}})


def _queue():
    clock = Clock()
    return SchedulingQueue(clock=clock), clock


def test_priority_then_creation_then_arrival():
    queue, _ = _queue()
    queue.add("a", _pod("a", 0, "2024-01-01T00:00:02Z"))
    queue.add("b", _pod("b", 10, "2024-01-01T00:00:05Z"))
    queue.add("c", _pod("c", 0, "2024-01-01T00:00:01Z"))
    queue.add("d", _pod("d", 0, "2024-01-01T00:00:01Z"))
    assert [queue.pop().uid for _ in range(4)] == ["b", "c", "d", "a"]
    assert queue.pop() is None


def test_pods_arriving_in_input_order_come_out_as_simulate_decides_them():
    shapes = [(0, 3), (5, 1), (0, 1), (5, 1), (-2, 0), (0, 3), (5, 2), (0, 1)]  # (priority, second created)
    pods = [PodParser().parse({"metadata": {"name": f"p{i}", "creationTimestamp": f"2024-01-01T00:00:0{second}Z"},
                               "spec": {"priority": priority, "containers": [{"name": "c", "image": "i"}]}},
                              index=i)
            for i, (priority, second) in enumerate(shapes)]
    queue, _ = _queue()
    for pod in pods:
        queue.add(pod.name, pod)
    assert [queue.pop().uid for _ in pods] == [p.name for p in queue_order(pods)]


def test_failed_attempts_back_off_1s_doubling_to_10s():
    queue, clock = _queue()
    queue.add("a", _pod("a"))
    waits = []
    for _ in range(6):
        entry = queue.pop()
        queue.failed(entry)
        assert queue.pop() is None
        waits.append(queue.next_ready_in())
        clock.now += waits[-1]
    assert waits == [1, 2, 4, 8, 10, 10]
    assert queue.pop().uid == "a"


def test_unschedulable_waits_for_a_move_then_its_backoff():
    queue, clock = _queue()
    queue.add("a", _pod("a"))
    queue.unschedulable(queue.pop(), "0/3 nodes are available")
    assert queue.counts()["unschedulable"] == 1
    clock.now += 30
    assert queue.pop() is None  # no event came: it waits
    queue.move_all()
    assert queue.pop().uid == "a"  # its 1 s backoff was long over


def test_a_move_during_the_attempt_sends_the_pod_to_backoff():
    queue, clock = _queue()
    queue.add("a", _pod("a"))
    entry = queue.pop()
    queue.move_all()  # e.g. a node was added while the pod was being decided
    queue.unschedulable(entry)
    assert queue.counts() == {"active": 0, "backoff": 1, "unschedulable": 0, "gated": 0}
    clock.now += 1
    assert queue.pop() is entry


def test_unschedulable_pods_retry_after_five_minutes():
    queue, clock = _queue()
    queue.add("a", _pod("a"))
    queue.unschedulable(queue.pop())
    assert queue.next_ready_in() == pytest.approx(300)
    clock.now += 300
    assert queue.pop().uid == "a"


def test_deleted_pods_leave_and_updates_replace():
    queue, _ = _queue()
    queue.add("a", _pod("a"))
    queue.add("b", _pod("b"))
    queue.delete("a")
    queue.add("b", _pod("b", priority=5))
    entry = queue.pop()
    assert entry.uid == "b" and entry.pod.priority == 5
    assert queue.pop() is None
    assert queue.counts()["active"] == 0


def test_a_pod_whose_binding_failed_comes_back_through_backoff():
    queue, clock = _queue()
    queue.add("a", _pod("a"))
    entry = queue.pop()
    queue.done(entry)
    assert "a" not in queue
    queue.readd(entry)
    assert queue.counts()["backoff"] == 1
    clock.now += 1
    assert queue.pop() is entry


def test_a_gated_pod_waits_for_an_event_without_backoff():
    queue, clock = _queue()
    queue.add("a", _pod("a"))
    for _ in range(3):  # kept out by PreEnqueue again and again: no attempt counted
        entry = queue.pop()
        queue.gated(entry, "waiting for a claim")
        assert queue.pop() is None
        queue.move_all()
    entry = queue.pop()
    assert entry.uid == "a" and entry.attempts == 0
    queue.gated(entry)
    clock.now += 3600  # no event: tried again only after the unschedulable timeout
    assert queue.pop() is not None
