"""A bound pod's status updates (the kubelet's, kwok's) are not parsed again: the cache keeps
the newest object (preemption reads its status and deletionTimestamp); a change a decision
reads (labels, spec, annotations) is parsed and counted anew."""

from __future__ import annotations

import copy

from tests.live_loop import scheduler


class Api:
    """Binds every binding posted; nothing else is asked in these tests."""

    def __init__(self):
        self.bound = []

    def request(self, method, path, body=None, **_):
        if path.endswith("/binding"):
            self.bound.append((body["metadata"]["name"], body["target"]["name"]))
        return {}


def node(name):
    return {"metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
            "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "10"}}}


def pod(name, node_name="", labels=None):
    spec = {"schedulerName": "s", "containers": [{"name": "c", "image": "i", "resources": {"requests": {"cpu": "1"}}}]}
    if node_name:
        spec["nodeName"] = node_name
    return {"metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}",
                         "labels": labels or {"app": "a"}, "creationTimestamp": "2026-01-01T00:00:00Z"},
            "spec": spec, "status": {"phase": "Pending"}}


def test_status_updates_of_a_bound_pod_are_not_parsed_again_but_other_changes_are():
    sched = scheduler(Api(), "s")
    sched._apply(("node", "ADDED", node("n0")))
    sched._apply(("pod", "ADDED", pod("p", "n0")))
    placed = sched.cache.placed["uid-p"]
    counted_pod = placed.pod

    parsed = []
    parse = sched.parser.parse
    sched.parser.parse = lambda obj, **kw: parsed.append(obj) or parse(obj, **kw)

    running = copy.deepcopy(pod("p", "n0"))
    running["status"] = {"phase": "Running", "podIP": "10.0.0.1"}
    running["metadata"]["deletionTimestamp"] = None
    sched._apply(("pod", "MODIFIED", running))
    assert parsed == []
    assert sched.cache.placed["uid-p"].pod.raw is running
    assert sched.cache.placed["uid-p"].pod.spec is counted_pod.spec

    relabelled = pod("p", "n0", labels={"app": "b"})
    sched._apply(("pod", "MODIFIED", relabelled))
    assert parsed == [relabelled]
    assert sched.cache.placed["uid-p"].pod.labels == {"app": "b"}


def test_the_binding_of_an_assumed_pod_is_parsed():
    sched = scheduler(Api(), "s")
    sched._apply(("node", "ADDED", node("n0")))
    sched._apply(("pod", "ADDED", pod("p")))
    sched._schedule(sched.queue.pop())
    assert sched.cache.placed["uid-p"].assumed
    bound = pod("p", "n0")
    sched._apply(("pod", "MODIFIED", bound))
    placed = sched.cache.placed["uid-p"]
    assert not placed.assumed and placed.pod.raw is bound and placed.node == "n0"
