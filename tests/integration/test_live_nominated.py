"""A pod decided while another is nominated, kube-scheduler against `kubesched run` on one
control plane: pod x (app=x, high priority) preempts a victim on kwok-node-0 whose finalizer
keeps it terminating, so x stays nominated there; then a low-priority pod whose required pod
affinity only x would satisfy comes. Upstream filters node-0 twice — with x (affinity met)
and without it (not met) — so the follower is unschedulable until x is bound, and then lands
beside it. Both schedulers must tell the same story: x's nomination, the follower's message
while x waits, where both land. No step depends on timing: each waits for what it needs."""

from __future__ import annotations

import uuid

import pytest

from tests.integration.live_fixtures import (KWOK_TOLERATION, running_plane,  # noqa: F401
                                             scheduled_condition, start_scheduler)
from tests.integration.test_live_preemption import _clear, _create, _namespace, _pod, _wait

pytestmark = pytest.mark.integration

CLASSES = {"nominate-low": 10, "nominate-high": 1000}
HOLD = "kubesched.test/hold"


@pytest.fixture(scope="module")
def plane(tmp_path_factory):
    with running_plane(tmp_path_factory.mktemp("nominated-plane"), nodes=3, with_kube_scheduler=True) as started:
        yield started


@pytest.fixture(scope="module")
def kube(plane):
    from kubesched.kube import connect

    kube = connect(str(plane.kubeconfig))
    for name, value in CLASSES.items():
        _create(kube, "/apis/scheduling.k8s.io/v1/priorityclasses", {
            "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": name},
            "value": value})
    return kube


def _follower(scheduler_name):
    """No requests (resources never reject it); required affinity to app=x per host."""
    term = {"labelSelector": {"matchLabels": {"app": "x"}}, "topologyKey": "kubernetes.io/hostname"}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "follower", "labels": {"app": "follower"}},
            "spec": {"schedulerName": scheduler_name, "priorityClassName": "nominate-low",
                     "tolerations": [KWOK_TOLERATION],
                     "affinity": {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]}},
                     "containers": [{"name": "c", "image": "registry.k8s.io/pause:3.9"}]}}


def _play(kube, namespace, scheduler_name) -> dict:
    pods = f"/api/v1/namespaces/{namespace}/pods"
    victim = _pod("victim", scheduler_name, "4", "nominate-low", node=0)
    victim["metadata"]["finalizers"] = [HOLD]
    kube.request("POST", pods, victim)
    _wait("the victim running", lambda: (kube.request("GET", f"{pods}/victim").get("status") or {}).get(
        "phase") == "Running")
    x = _pod("x", scheduler_name, "2", "nominate-high", labels={"app": "x"})
    x["spec"]["nodeSelector"] = {"kubernetes.io/hostname": "kwok-node-0"}
    kube.request("POST", pods, x)
    _wait("x nominated", lambda: (kube.request("GET", f"{pods}/x").get("status") or {}).get("nominatedNodeName"))
    _wait("the victim terminating", lambda: kube.request("GET", f"{pods}/victim")["metadata"].get(
        "deletionTimestamp"))
    kube.request("POST", pods, _follower(scheduler_name))
    _wait("the follower unschedulable", lambda: (scheduled_condition(kube.request("GET", f"{pods}/follower"))
                                                 or {}).get("status") == "False")
    waiting = kube.request("GET", f"{pods}/follower")
    x_waiting = kube.request("GET", f"{pods}/x")
    result = {"nominated": (x_waiting.get("status") or {}).get("nominatedNodeName"),
              "x_bound_while_victim_terminates": x_waiting["spec"].get("nodeName"),
              "follower_waiting": (waiting["spec"].get("nodeName"),
                                   scheduled_condition(waiting)["message"].replace(scheduler_name, "SCHEDULER"))}
    kube.request("PATCH", f"{pods}/victim", {"metadata": {"finalizers": None}},
                 content_type="application/merge-patch+json")
    result["x"] = _wait("x bound", lambda: kube.request("GET", f"{pods}/x")["spec"].get("nodeName"))
    result["follower"] = _wait("the follower bound",
                               lambda: kube.request("GET", f"{pods}/follower")["spec"].get("nodeName"))
    return result


def test_a_pod_needing_a_nominated_pod_waits_for_it_as_with_kube_scheduler(plane, kube, start_scheduler):
    upstream_namespace = _namespace(kube)
    upstream = _play(kube, upstream_namespace, "default-scheduler")
    _clear(kube, upstream_namespace)

    scheduler_name = f"kubesched-{uuid.uuid4().hex[:8]}"
    running = start_scheduler(plane.kubeconfig, scheduler_name, "-v=2")
    try:
        ours = _play(kube, _namespace(kube), scheduler_name)
    except AssertionError as error:
        raise AssertionError(f"{error}\nkubesched's log:\n{running.text()[-6000:]}") from None
    assert running.process.poll() is None, running.text()[-3000:]

    # What upstream's two passes decide, so that two schedulers doing nothing cannot agree.
    assert upstream == {
        "nominated": "kwok-node-0", "x_bound_while_victim_terminates": None,
        "follower_waiting": (None, "0/3 nodes are available: 3 node(s) didn't match pod affinity rules. "
                                   "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."),
        "x": "kwok-node-0", "follower": "kwok-node-0"}
    assert ours == upstream
