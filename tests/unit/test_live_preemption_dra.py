"""Preemption in the live loop for a pod with resource claims, on a fake API: it is nominated
with upstream's message, evicts its victims, lands on its nominated node once they are gone
and gets its devices there; a node whose devices cannot serve it is not helped."""

from __future__ import annotations

import threading

import pytest

from tests import live_loop
from tests.conformance.dra_builders import claim, device, device_class, request, resource_slice
from tests.live_loop import step
from tests.unit.test_live_preemption import full_cluster, pod_obj

pytestmark = pytest.mark.unit

NAME = "kubesched"


class FakeKube:
    """Records every request; answers a claim's status update with the claim written."""

    def __init__(self):
        self.requests = []
        self.lock = threading.Lock()

    def request(self, method, path, body=None, **_):
        with self.lock:
            self.requests.append((method, path, body))
        if method == "PUT" and "/resourceclaims/" in path:
            return {**body, "metadata": {**body["metadata"], "resourceVersion": str(len(self.requests))}}
        return {}

    def calls(self, method, suffix=""):
        with self.lock:
            return [(p, b) for m, p, b in self.requests if m == method and p.endswith(suffix)]


def with_devices(sched, devices_on_n0=1, devices_on_n1=1):
    sched.inbox.put(("dra:DeviceClass", "ADDED", device_class("class-a")))
    for node, count in (("n0", devices_on_n0), ("n1", devices_on_n1)):
        sched.inbox.put(("dra:ResourceSlice", "ADDED", resource_slice(
            f"{node}-slice", [device(f"gpu-{i}") for i in range(count)], node_name=node, pool=node)))
    sched.inbox.put(("dra:ResourceClaim", "ADDED", claim("gpu", request("req-0"), namespace="ns")))


def claiming(name, cpu, priority):
    obj = pod_obj(name, cpu=cpu, priority=priority)
    obj["spec"]["resourceClaims"] = [{"name": "gpu", "resourceClaimName": "gpu"}]
    return obj


def test_a_claim_bearing_pod_preempts_and_gets_its_devices_on_its_nominated_node():
    kube = FakeKube()
    sched = live_loop.scheduler(kube, NAME)
    try:
        full_cluster(sched)
        with_devices(sched)
        sched.inbox.put(("pod", "ADDED", claiming("high", "2", 100)))
        step(sched, until=lambda: len(kube.calls("DELETE")) == 2)
        assert sorted(p.rsplit("/", 1)[1] for p, _ in kube.calls("DELETE")) == ["low-n1-0", "low-n1-1"]
        patch = next(b for p, b in kube.calls("PATCH", "/pods/high/status"))
        assert patch["status"]["nominatedNodeName"] == "n1"
        assert patch["status"]["conditions"][0]["message"] == (
            "0/2 nodes are available: 2 Insufficient cpu. preemption: found a potential placement for pod on "
            "node n1, preempting 2 victims")

        for i in range(2):
            sched.inbox.put(("pod", "DELETED", pod_obj(f"low-n1-{i}", node="n1")))
        sched.queue.move_all()
        step(sched, until=lambda: kube.calls("POST", "/pods/high/binding"))
        (binding,) = [b for p, b in kube.calls("POST", "/binding") if p.endswith("/high/binding")]
        assert binding["target"]["name"] == "n1"
        (_, written), = kube.calls("PUT", "/resourceclaims/gpu/status")
        assert [r["pool"] for r in written["status"]["allocation"]["devices"]["results"]] == ["n1"]
        assert sched.preemption.nominator.node_of("uid-high") is None
    finally:
        sched.shutdown()


def test_devices_that_cannot_serve_the_pod_make_preemption_not_helpful():
    kube = FakeKube()
    sched = live_loop.scheduler(kube, NAME)
    try:
        full_cluster(sched)
        with_devices(sched, 0, 0)
        sched.inbox.put(("pod", "ADDED", claiming("high", "100m", 100)))
        step(sched, until=lambda: kube.calls("PATCH", "/pods/high/status"))
        (_, patch), = kube.calls("PATCH", "/pods/high/status")
        # Both nodes fail NodeResourcesFit first (candidates); without their pods, DynamicResources
        # rejects them in the dry run.
        assert patch["status"]["conditions"][0]["message"] == (
            "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: "
            "2 cannot allocate all claims.")
        assert not kube.calls("DELETE")
    finally:
        sched.shutdown()
