"""The two filter passes with nominated pods in `run`'s loop, on a fake API, for the decisions
that filter outside the core too (claims, extenders, a Python filter plugin): pod x waits
nominated to n0 (status.nominatedNodeName; both nodes are full and the profile does not
preempt); a pod whose required pod affinity only x would satisfy passes the pass with x on
n0, but not the pass without it, so it fits no node (as upstream's TestFilterPluginsWithNominatedPods)."""

from __future__ import annotations

import sys

import pytest

from kubesched.extenders.client import HttpExtender
from kubesched.framework.extender_config import ExtenderConfig
from kubesched.live.scheduler import Scheduler
from tests import live_loop
from tests.conformance.dra_builders import claim, device, device_class, request, resource_slice
from tests.extender_server import extender_servers
from tests.live_loop import step
from tests.unit.test_live_preemption import node_obj, pod_obj
from tests.unit.test_live_preemption_dra import FakeKube

pytestmark = pytest.mark.unit

NAME = "kubesched"
NO_PREEMPTION = {"postFilter": {"disabled": [{"name": "DefaultPreemption"}]}}
AFFINITY_ONLY_TO_X = "0/2 nodes are available: 2 node(s) didn't match pod affinity rules."
PLUGIN = '''
class NotOnZ:
    def filter(self, pod, node):
        return "node(s) are z" if node.name == "z" else None
'''

servers = extender_servers(prefix="/ext")


def scheduler(kube, plugins=None, extenders=()) -> Scheduler:
    return live_loop.scheduler(kube, NAME, extenders=map(HttpExtender, extenders),
                               plugins={**NO_PREEMPTION, **(plugins or {})})


def follower() -> dict:
    obj = pod_obj("follower", cpu="0")
    obj["spec"]["affinity"] = {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"app": "x"}}, "topologyKey": "kubernetes.io/hostname"}]}}
    return obj


def decided_with_x_nominated(sched, kube, pod: dict) -> str:
    """The message `pod` is reported unschedulable with, x nominated to n0 meanwhile."""
    for node in ("n0", "n1"):
        sched.inbox.put(("node", "ADDED", node_obj(node)))
        sched.inbox.put(("pod", "ADDED", pod_obj(f"busy-{node}", cpu="2", node=node)))
    x = pod_obj("x", cpu="1", priority=100, nominatedNodeName="n0")
    x["metadata"]["labels"] = {"app": "x"}
    sched.inbox.put(("pod", "ADDED", x))
    step(sched, until=lambda: kube.calls("PATCH", "/pods/x/status"))
    assert sched.preemption.nominator.node_of("uid-x") == "n0"
    sched.inbox.put(("pod", "ADDED", pod))
    name = pod["metadata"]["name"]
    status, binding = f"/pods/{name}/status", f"/pods/{name}/binding"
    step(sched, until=lambda: kube.calls("PATCH", status) or kube.calls("POST", binding))
    assert not kube.calls("POST", binding)
    (_, patch), *_ = kube.calls("PATCH", status)
    return patch["status"]["conditions"][0]["message"]


def test_python_plugin_affinity_to_a_nominated_pod_alone_is_unschedulable(tmp_path, monkeypatch):
    (tmp_path / "live_not_on_z.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    kube = FakeKube()
    sched = scheduler(kube, {"filter": {"enabled": [{"name": "live_not_on_z:NotOnZ"}]}})
    try:
        assert decided_with_x_nominated(sched, kube, follower()) == AFFINITY_ONLY_TO_X
    finally:
        sched.shutdown()
        sys.modules.pop("live_not_on_z", None)


def test_extender_affinity_to_a_nominated_pod_alone_is_unschedulable(servers):
    server = servers()
    kube = FakeKube()
    sched = scheduler(kube, extenders=[ExtenderConfig(server.url, filter_verb="filter", node_cache_capable=True)])
    try:
        assert decided_with_x_nominated(sched, kube, follower()) == AFFINITY_ONLY_TO_X
        assert not [args for verb, args in server.calls if args["pod"]["metadata"]["name"] == "follower"]
    finally:
        sched.shutdown()


def test_claims_affinity_to_a_nominated_pod_alone_is_unschedulable():
    kube = FakeKube()
    sched = scheduler(kube)
    try:
        sched.inbox.put(("dra:DeviceClass", "ADDED", device_class("class-a")))
        for node in ("n0", "n1"):
            sched.inbox.put(("dra:ResourceSlice", "ADDED", resource_slice(
                f"{node}-slice", [device("gpu-0")], node_name=node, pool=node)))
        sched.inbox.put(("dra:ResourceClaim", "ADDED", claim("gpu", request("req-0"), namespace="ns")))
        pod = follower()
        pod["spec"]["resourceClaims"] = [{"name": "gpu", "resourceClaimName": "gpu"}]
        assert decided_with_x_nominated(sched, kube, pod) == AFFINITY_ONLY_TO_X
    finally:
        sched.shutdown()
