"""Pods seen before the PriorityClass they name (watches of different resources keep no
order between them) are read again when it comes: pending ones are scheduled, bound ones
counted."""

from __future__ import annotations

import pytest

from tests.unit.test_live_preemption import FakeKube, node_obj, scheduler, step

pytestmark = pytest.mark.unit


def _pod(name, node=None):
    spec = {"schedulerName": "kubesched", "priorityClassName": "late", "priority": 7,
            "containers": [{"name": "c", "image": "i", "resources": {"requests": {"cpu": "1"}}}]}
    if node:
        spec["nodeName"] = node
    return {"metadata": {"name": name, "namespace": "ns", "uid": name}, "spec": spec}


def test_pods_are_read_again_when_their_priority_class_comes():
    kube = FakeKube()
    sched = scheduler(kube)
    try:
        sched.inbox.put(("node", "ADDED", node_obj("n0", cpu="2")))
        sched.inbox.put(("pod", "ADDED", _pod("bound", node="n0")))
        sched.inbox.put(("pod", "ADDED", _pod("pending")))
        step(sched)
        assert "bound" not in sched.cache.placed and "pending" not in sched.queue

        sched.inbox.put(("priorityclass", "ADDED", {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                                                    "metadata": {"name": "late"}, "value": 7}))
        step(sched, until=lambda: kube.calls("POST", "/pods/pending/binding"))
        assert sched.cache.placed["bound"].pod.priority == 7
        assert sched.cache.placed["pending"].node == "n0"
    finally:
        sched.shutdown()
