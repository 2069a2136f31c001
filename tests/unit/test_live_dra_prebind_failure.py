"""A DynamicResources PreBind whose claim write fails, in the live loop on a fake API: the
devices are given back and the pod shows the binding cycle's error as kube-scheduler's
handleBindingCycleError reports it (FailedScheduling, PodScheduled=False with reason
SchedulerError, `running PreBind plugin "DynamicResources": …`); it is tried again after its
backoff and binds once the write succeeds."""

from __future__ import annotations

import pytest

from kubesched.kube import ApiError
from kubesched.live.queue import UNSCHEDULABLE
from tests import live_loop
from tests.live_loop import step
from tests.unit.test_live_preemption import node_obj
from tests.unit.test_live_preemption_dra import FakeKube, claiming, with_devices

pytestmark = pytest.mark.unit


class RefusingOnce(FakeKube):
    """Refuses the first write of a claim's status, as a conflicting update would be."""

    def __init__(self):
        super().__init__()
        self.refused = False

    def request(self, method, path, body=None, **options):
        if method == "PUT" and path.endswith("/resourceclaims/gpu/status") and not self.refused:
            self.refused = True
            with self.lock:
                self.requests.append((method, path, body))
            raise ApiError(409, {"message": "the object has been modified"})
        return super().request(method, path, body, **options)


def test_a_failed_claim_write_is_reported_on_the_pod_and_retried():
    kube = RefusingOnce()
    sched = live_loop.scheduler(kube, "kubesched")
    try:
        sched.inbox.put(("node", "ADDED", node_obj("n0")))
        sched.inbox.put(("node", "ADDED", node_obj("n1")))
        with_devices(sched)
        sched.inbox.put(("pod", "ADDED", claiming("p", "1", 0)))
        step(sched, until=lambda: kube.calls("PATCH", "/pods/p/status"))
        (_, patch), = kube.calls("PATCH", "/pods/p/status")
        (condition,) = patch["status"]["conditions"]
        assert (condition["type"], condition["status"], condition["reason"]) == ("PodScheduled", "False",
                                                                                 "SchedulerError")
        assert condition["message"] == ('running PreBind plugin "DynamicResources": binding claim ns/gpu: '
                                        '409 the object has been modified')
        assert not kube.calls("POST", "/pods/p/binding")
        step(sched, until=lambda: kube.calls("POST", "/pods/p/binding"))
        assert len(kube.calls("PUT", "/resourceclaims/gpu/status")) == 2
    finally:
        sched.shutdown()


def test_a_device_search_past_filter_timeout_is_a_filter_error_retried_after_backoff():
    # a timeout no search can meet: the first node's search gives up as upstream's does
    kube = FakeKube()
    sched = live_loop.scheduler(kube, "kubesched", pluginConfig=[
        {"name": "DynamicResources", "args": {"filterTimeout": "1ns"}}])
    try:
        sched.inbox.put(("node", "ADDED", node_obj("n0")))
        with_devices(sched, devices_on_n1=0)
        sched.inbox.put(("pod", "ADDED", claiming("p", "1", 0)))
        step(sched, until=lambda: kube.calls("PATCH", "/pods/p/status"))
        (_, patch), = kube.calls("PATCH", "/pods/p/status")
        (condition,) = patch["status"]["conditions"]
        assert condition["reason"] == "SchedulerError"
        assert condition["message"] == ('running "DynamicResources" filter plugin: node n0: timed out trying to '
                                        'allocate devices')
        assert not kube.calls("PUT", "/resourceclaims/gpu/status")
        assert sched.queue.pods["uid-p"].state != UNSCHEDULABLE  # an error: backoff, not the unschedulable pool
    finally:
        sched.shutdown()
