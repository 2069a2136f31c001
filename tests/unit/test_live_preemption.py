"""Preemption in the live loop, on a fake API: the preemptor is nominated with upstream's
message and status, its victims are marked, deleted and told, its room is held against
lower-priority pods while they terminate, it does not preempt again meanwhile, and it lands
on its nominated node once they are gone."""

from __future__ import annotations

import threading
import time

import pytest

from kubesched.kube import ApiError
from tests import live_loop
from tests.live_loop import step

pytestmark = pytest.mark.unit

NAME = "kubesched"


class FakeKube:
    """Records every request; answers {} (404 for pods named in `gone`)."""

    def __init__(self):
        self.requests = []
        self.gone = set()
        self.lock = threading.Lock()

    def request(self, method, path, body=None, **_):
        with self.lock:
            self.requests.append((method, path, body))
        if "/pods/" in path and path.split("/pods/")[1].split("/")[0] in self.gone:
            raise ApiError(404, {"message": "not found"})
        return {}

    def calls(self, method, suffix=""):
        with self.lock:
            return [(p, b) for m, p, b in self.requests if m == method and p.endswith(suffix)]


def node_obj(name, cpu="2"):
    return {"metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
            "status": {"allocatable": {"cpu": cpu, "memory": "8Gi", "pods": "110"}}}


def pod_obj(name, cpu="1", priority=0, node=None, started=None, **status):
    spec = {"schedulerName": NAME, "priority": priority,
            "containers": [{"name": "c", "image": "i", "resources": {"requests": {"cpu": cpu}}}]}
    if node:
        spec["nodeName"] = node
    obj = {"metadata": {"name": name, "namespace": "ns", "uid": f"uid-{name}"}, "spec": spec}
    if started:
        status["startTime"] = started
    if status:
        obj["status"] = status
    return obj


def scheduler(kube):
    return live_loop.scheduler(kube, NAME)


def full_cluster(sched):
    """Two nodes of 2 cpu, each full of two 1-cpu pods of priority 0; n1's pods started
    later, so n1 is the cheaper place to preempt."""
    sched.inbox.put(("node", "ADDED", node_obj("n0")))
    sched.inbox.put(("node", "ADDED", node_obj("n1")))
    for node, started in (("n0", "2026-01-01T00:00:00Z"), ("n1", "2026-01-01T01:00:00Z")):
        for i in range(2):
            sched.inbox.put(("pod", "ADDED", pod_obj(f"low-{node}-{i}", node=node, started=started)))


def victim_deleted(sched, name, node):
    """What the watch shows of a victim: the deletion started, then the pod gone."""
    obj = pod_obj(name, node=node, conditions=[{"type": "DisruptionTarget", "status": "True",
                                                 "reason": "PreemptionByScheduler"}])
    obj["metadata"]["deletionTimestamp"] = "2026-01-01T02:00:00Z"
    sched.inbox.put(("pod", "MODIFIED", obj))
    return obj


def test_a_preemptor_is_nominated_evicts_its_victims_and_lands_on_its_node():
    kube = FakeKube()
    sched = scheduler(kube)
    try:
        full_cluster(sched)
        sched.inbox.put(("pod", "ADDED", pod_obj("high", cpu="2", priority=100)))
        step(sched, until=lambda: len(kube.calls("DELETE")) == 2)

        assert sorted(p.rsplit("/", 1)[1] for p, _ in kube.calls("DELETE")) == ["low-n1-0", "low-n1-1"]
        patch = next(b for p, b in kube.calls("PATCH", "/pods/high/status"))
        assert patch["status"]["nominatedNodeName"] == "n1"
        (condition,) = patch["status"]["conditions"]
        assert condition["reason"] == "Unschedulable"
        assert condition["message"] == ("0/2 nodes are available: 2 Insufficient cpu. preemption: found a "
                                        "potential placement for pod on node n1, preempting 2 victims")
        marked = [b["status"]["conditions"][0] for p, b in kube.calls("PATCH", "/status") if "/low-" in p]
        assert [c["reason"] for c in marked] == ["PreemptionByScheduler"] * 2
        assert sched.metrics.preemption_attempts._value.get() == 1
        assert sched.preemption.nominator.node_of("uid-high") == "n1"

        # Moved before the watch shows its victims terminating, it waits: no second preemption.
        sched.queue.move_all()
        step(sched, until=lambda: "uid-high" in sched.preemption._parked)
        assert len(kube.calls("DELETE")) == 2 and len(kube.calls("PATCH", "/pods/high/status")) == 1

        # The victims terminate: the preemptor does not preempt again, and a low pod
        # arriving meanwhile does not take the room held for it.
        for i in range(2):
            victim_deleted(sched, f"low-n1-{i}", "n1")
        sched.queue.move_all()
        step(sched, until=lambda: len(kube.calls("PATCH", "/pods/high/status")) == 2)  # after its backoff
        assert len(kube.calls("DELETE")) == 2
        messages = [b["status"]["conditions"][0]["message"] for p, b in kube.calls("PATCH", "/pods/high/status")]
        assert messages[-1].endswith("preemption: not eligible due to a terminating pod on the nominated node.")
        assert "nominatedNodeName" not in kube.calls("PATCH", "/pods/high/status")[-1][1]["status"]

        for i in range(2):
            sched.inbox.put(("pod", "DELETED", pod_obj(f"low-n1-{i}", node="n1")))
        sched.inbox.put(("pod", "ADDED", pod_obj("late-low", cpu="1", priority=0)))
        step(sched, until=lambda: kube.calls("POST", "/pods/high/binding"))
        (binding,) = [b for p, b in kube.calls("POST", "/binding") if p.endswith("/high/binding")]
        assert binding["target"]["name"] == "n1"
        assert not kube.calls("POST", "/pods/late-low/binding")  # the room was held, then taken
        assert sched.preemption.nominator.node_of("uid-high") is None

        events = {b["regarding"]["name"]: b for p, b in kube.calls("POST", "/events") if b["reason"] == "Preempted"}
        deadline = time.monotonic() + 60
        while len(events) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
            events = {b["regarding"]["name"]: b for p, b in kube.calls("POST", "/events")
                      if b["reason"] == "Preempted"}
        assert set(events) == {"low-n1-0", "low-n1-1"}
        assert events["low-n1-0"]["note"] == "Preempted by pod uid-high on node n1"
    finally:
        sched.shutdown()


def test_a_pod_that_preemption_cannot_help_has_its_nomination_cleared():
    kube = FakeKube()
    sched = scheduler(kube)
    try:
        full_cluster(sched)
        obj = pod_obj("huge", cpu="3", priority=100, nominatedNodeName="n0")
        sched.inbox.put(("pod", "ADDED", obj))
        step(sched, until=lambda: kube.calls("PATCH", "/pods/huge/status"))
        (_, patch), = kube.calls("PATCH", "/pods/huge/status")
        assert patch["status"]["nominatedNodeName"] is None
        assert patch["status"]["conditions"][0]["message"] == (
            "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: "
            "2 Preemption is not helpful for scheduling.")
        assert not kube.calls("DELETE")
    finally:
        sched.shutdown()


def test_never_policy_and_equal_priority_do_not_preempt():
    kube = FakeKube()
    sched = scheduler(kube)
    try:
        full_cluster(sched)
        never = pod_obj("never", cpu="1", priority=100)
        never["spec"]["preemptionPolicy"] = "Never"
        sched.inbox.put(("pod", "ADDED", never))
        sched.inbox.put(("pod", "ADDED", pod_obj("peer", cpu="1", priority=0)))
        step(sched, until=lambda: len(kube.calls("PATCH", "/status")) >= 2)
        messages = {p.split("/")[-2]: b["status"]["conditions"][0]["message"]
                    for p, b in kube.calls("PATCH", "/status")}
        assert messages["never"].endswith(" preemption: not eligible due to preemptionPolicy=Never.")
        assert messages["peer"].endswith(
            " preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.")
        assert not kube.calls("DELETE")
        assert sched.metrics.preemption_attempts._value.get() == 2
    finally:
        sched.shutdown()


def test_a_nominated_pod_takes_its_node_first_if_it_fits_there():
    kube = FakeKube()
    sched = scheduler(kube)
    try:
        sched.inbox.put(("node", "ADDED", node_obj("small", cpu="2")))
        sched.inbox.put(("node", "ADDED", node_obj("big", cpu="8")))  # what scoring would pick
        sched.inbox.put(("pod", "ADDED", pod_obj("back", cpu="1", nominatedNodeName="small")))  # e.g. a restart
        sched.inbox.put(("pod", "ADDED", pod_obj("fresh", cpu="1")))
        step(sched, until=lambda: len(kube.calls("POST", "/binding")) == 2)
        targets = {p.split("/")[-2]: b["target"]["name"] for p, b in kube.calls("POST", "/binding")}
        assert targets == {"back": "small", "fresh": "big"}
    finally:
        sched.shutdown()


def test_a_higher_preemptor_clears_lower_nominations_on_its_node():
    kube = FakeKube()
    sched = scheduler(kube)
    try:
        sched.inbox.put(("node", "ADDED", node_obj("n0", cpu="4")))
        for name, cpu, priority in (("low-a", "1", 0), ("low-b", "1", 0), ("low-c", "2", 10)):
            sched.inbox.put(("pod", "ADDED", pod_obj(name, cpu=cpu, priority=priority, node="n0",
                                                     started="2026-01-01T00:00:00Z")))
        sched.inbox.put(("pod", "ADDED", pod_obj("mid", cpu="2", priority=50)))
        step(sched, until=lambda: len(kube.calls("DELETE")) == 2)
        assert sorted(p.rsplit("/", 1)[1] for p, _ in kube.calls("DELETE")) == ["low-a", "low-b"]
        assert sched.preemption.nominator.node_of("uid-mid") == "n0"
        for name in ("low-a", "low-b"):
            victim_deleted(sched, name, "n0")

        # high needs low-c's room too: a victim to delete, so mid's nomination goes.
        sched.inbox.put(("pod", "ADDED", pod_obj("high", cpu="3", priority=100)))
        step(sched, until=lambda: len(kube.calls("DELETE")) == 3)
        assert kube.calls("DELETE")[-1][0].endswith("/low-c")
        assert ("/api/v1/namespaces/ns/pods/mid/status", {"status": {"nominatedNodeName": None}}) in \
            kube.calls("PATCH", "/pods/mid/status")
        assert sched.preemption.nominator.node_of("uid-mid") is None
        assert sched.preemption.nominator.node_of("uid-high") == "n0"
    finally:
        sched.shutdown()


def test_a_profile_without_default_preemption_does_not_preempt():
    kube = FakeKube()
    sched = live_loop.scheduler(kube, NAME, plugins={"postFilter": {"disabled": [{"name": "DefaultPreemption"}]}})
    try:
        full_cluster(sched)
        sched.inbox.put(("pod", "ADDED", pod_obj("high", cpu="2", priority=100)))
        step(sched, until=lambda: kube.calls("PATCH", "/pods/high/status"))
        (_, patch), = kube.calls("PATCH", "/pods/high/status")
        assert patch["status"]["conditions"][0]["message"] == "0/2 nodes are available: 2 Insufficient cpu."
        assert "nominatedNodeName" not in patch["status"] and not kube.calls("DELETE")
        assert sched.metrics.preemption_attempts._value.get() == 0
    finally:
        sched.shutdown()
