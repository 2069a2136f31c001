"""Preemption's API calls: per victim the DisruptionTarget condition, a graceful delete and a
`Preempted` event, as upstream writes them; lower-priority nominations on the node cleared
first; victims already terminating and victims already gone cost no further call."""

from __future__ import annotations

import threading

import pytest

from kubesched.kube import ApiError
from kubesched.live.eviction import Evictor
from kubesched.live.events import EventRecorder
from kubesched.model.pods import PodParser

pytestmark = pytest.mark.unit


class FakeKube:
    def __init__(self, gone=()):
        self.gone = set(gone)
        self.calls = []
        self.lock = threading.Lock()

    def request(self, method, path, body=None, **_):
        with self.lock:
            self.calls.append((method, path, body))
        name = path.split("/pods/")[1].split("/")[0] if "/pods/" in path else ""
        if name in self.gone:
            raise ApiError(404, {"message": "not found"})
        return {}


def _pod(name, priority=0, deleting=False, scheduler="kubesched"):
    meta = {"name": name, "uid": f"uid-{name}", "namespace": "ns"}
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return PodParser().parse({"metadata": meta, "spec": {
        "schedulerName": scheduler, "priority": priority,
        "containers": [{"name": "c", "image": "i"}]}})


def _evict(kube, victims, lower=()):
    done = threading.Event()
    outcome = {}

    def finished(uid, ok):
        outcome[uid] = ok
        done.set()

    events = EventRecorder(kube, controller="kubesched", instance="i")
    evictor = Evictor(kube, events, finished)
    preemptor = _pod("high", priority=100)
    started = evictor.start(preemptor, "node-1", victims, lower)
    if started:
        assert done.wait(10)
        assert not evictor.running(preemptor.uid)
    events.close(timeout=5)
    evictor.close()
    return started, outcome


def test_each_victim_gets_the_condition_a_graceful_delete_and_an_event():
    kube = FakeKube()
    started, outcome = _evict(kube, [_pod("v1"), _pod("v2"), _pod("v3")], lower=[_pod("nominated-low")])
    assert started and outcome == {"uid-high": True}
    assert kube.calls[0] == ("PATCH", "/api/v1/namespaces/ns/pods/nominated-low/status",
                             {"status": {"nominatedNodeName": None}})
    for name in ("v1", "v2", "v3"):
        path = f"/api/v1/namespaces/ns/pods/{name}"
        mine = [(m, p, b) for m, p, b in kube.calls if p.startswith(path)]
        assert [(m, p) for m, p, _ in mine] == [("PATCH", path + "/status"), ("DELETE", path)]
        (condition,) = mine[0][2]["status"]["conditions"]
        assert {k: condition[k] for k in ("type", "status", "reason", "message")} == {
            "type": "DisruptionTarget", "status": "True", "reason": "PreemptionByScheduler",
            "message": "kubesched: preempting to accommodate a higher priority pod"}
        assert mine[1][2] is None  # no grace period of ours: the pod's own
    events = {b["regarding"]["name"]: b for m, p, b in kube.calls if m == "POST" and "/events" in p}
    assert set(events) == {"v1", "v2", "v3"}
    event = events["v2"]
    assert (event["type"], event["reason"], event["action"]) == ("Normal", "Preempted", "Preempting")
    assert event["note"] == "Preempted by pod uid-high on node node-1"
    assert "related" not in event
    last = [p for m, p, _ in kube.calls if m == "DELETE"][-1]
    assert last.endswith("/v3")  # the last victim is deleted alone, after the others


def test_terminating_victims_are_skipped_and_alone_start_nothing():
    kube = FakeKube()
    started, outcome = _evict(kube, [_pod("v1", deleting=True)])
    assert not started and kube.calls == [] and outcome == {}
    started, outcome = _evict(kube, [_pod("v1", deleting=True), _pod("v2")])
    assert started and {p for m, p, _ in kube.calls if m == "DELETE"} == {"/api/v1/namespaces/ns/pods/v2"}


def test_a_victim_already_gone_is_no_error_and_gets_no_event():
    kube = FakeKube(gone={"v1"})
    started, outcome = _evict(kube, [_pod("v1"), _pod("v2")])
    assert outcome == {"uid-high": True}
    assert not any(m == "DELETE" and p.endswith("/v1") for m, p, _ in kube.calls)
    assert [b["regarding"]["name"] for m, p, b in kube.calls if m == "POST"] == ["v2"]

