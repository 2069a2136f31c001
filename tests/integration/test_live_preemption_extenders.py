"""Preemption with an extender on a real control plane, kube-scheduler against `kubesched
run`: the same extender (nodeCacheCapable, filter and preempt verbs; its preempt answer
drops the node the core's criteria would pick) serves both, and what it is sent (the field
names of the filter and preempt verbs' arguments), where the preemptor lands, whom it
evicts and its nomination message must be the same."""

from __future__ import annotations

import re
import uuid

import pytest
import yaml

from tests.extender_server import Extender
from tests.integration.live_fixtures import (
    PodHistory, RunningScheduler, create_priority_classes, delete_pods_now, events_for, new_namespace, priority_pod,
    running_plane)
from tests.integration.test_live_preemption import WAIT
from tests.waiting import wait_for

pytestmark = pytest.mark.integration

CLASSES = {"ext-low": 10, "ext-low2": 20, "ext-high": 1000}
# node 1's resident has the lower priority: the core alone would preempt there
RESIDENTS = [("r0", 0, "3", "ext-low2"), ("r1", 1, "3", "ext-low")]


@pytest.fixture(scope="module")
def extender():
    server = Extender(drop={"kwok-node-1"})
    yield server
    server.close()


def _config(extender: Extender) -> dict:
    return {"extenders": [{"urlPrefix": extender.url, "filterVerb": "filter", "preemptVerb": "preempt",
                           "nodeCacheCapable": True, "httpTimeout": "10s"}]}


@pytest.fixture(scope="module")
def plane(tmp_path_factory, extender):
    with running_plane(tmp_path_factory.mktemp("preemption-extender-plane"), nodes=2, with_kube_scheduler=True,
                       kube_scheduler_config=_config(extender)) as started:
        yield started


@pytest.fixture(scope="module")
def kube(plane):
    from kubesched.kube import connect

    kube = connect(str(plane.kubeconfig))
    create_priority_classes(kube, CLASSES)
    return kube


def _play(kube, extender: Extender, namespace: str, scheduler_name: str) -> dict:
    history = PodHistory(kube, namespace, WAIT)
    try:
        pods = f"/api/v1/namespaces/{namespace}/pods"
        names = {}
        for name, node, cpu, priority_class in RESIDENTS:
            created = kube.request("POST", pods, priority_pod(name, scheduler_name, cpu, priority_class, node))
            names[created["metadata"]["uid"]] = name
        wait_for(what="the residents running", timeout=WAIT, interval=0.1, condition=lambda: sum(
            1 for p in kube.request("GET", pods)["items"] if (p.get("status") or {}).get("phase") == "Running")
            == len(RESIDENTS))
        del extender.calls[:], extender.sent[:]
        kube.request("POST", pods, priority_pod("p1", scheduler_name, "2", "ext-high"))
        wait_for(what="p1 bound", timeout=WAIT, interval=0.1,
                 condition=lambda: kube.request("GET", f"{pods}/p1")["spec"].get("nodeName"))
        bound = kube.request("GET", f"{pods}/p1")
        states = [o for _, o in history.of("p1")]
        preempts = [args for verb, args in extender.calls if verb == "preempt"]
        sent = [{"keys": sorted(args), "pod": args["Pod"]["metadata"]["name"], "victims": args["NodeNameToVictims"],
                 "meta": {node: ([names.get(p["UID"], "?") for p in v["Pods"]], v["NumPDBViolations"])
                          for node, v in (args["NodeNameToMetaVictims"] or {}).items()}} for args in preempts]
        notes = sorted({re.sub(r"\S*" + re.escape(scheduler_name) + r"\S*", "SCHEDULER", e["note"])
                        for e in events_for(kube, namespace)
                        if e["regarding"]["name"] == "p1" and e["reason"] == "FailedScheduling"
                        and "found a potential placement" in e["note"]})
        return {"landed": bound["spec"]["nodeName"], "victims": sorted(set(history.deleted()) & {"r0", "r1"}),
                "nominated": sorted({(o.get("status") or {}).get("nominatedNodeName") for o in states} - {None, ""}),
                "preempt calls": sent, "messages": notes,
                "filter fields": sorted({tuple(sorted(args)) for verb, args in extender.sent if verb == "filter"})}
    finally:
        history.stop.set()


def test_kubesched_preempts_with_an_extender_as_kube_scheduler_does(plane, kube, extender, tmp_path):
    upstream_namespace = new_namespace(kube, "preempt")
    upstream = _play(kube, extender, upstream_namespace, "default-scheduler")
    delete_pods_now(kube, upstream_namespace, WAIT)

    scheduler_name = f"kubesched-{uuid.uuid4().hex[:8]}"
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"apiVersion": "kubescheduler.config.k8s.io/v1",
                                      "kind": "KubeSchedulerConfiguration", **_config(extender),
                                      "profiles": [{"schedulerName": scheduler_name}]}))
    running = RunningScheduler(plane.kubeconfig, config, tmp_path / "run.log", "-v=2")
    try:
        ours = _play(kube, extender, new_namespace(kube, "preempt"), scheduler_name)
    except AssertionError as error:
        raise AssertionError(f"{error}\nkubesched's log:\n{running.text()[-6000:]}") from None
    finally:
        running.kill()

    # the extender's answer decided: node 1 (the cheaper victim) was dropped
    assert upstream["landed"] == "kwok-node-0" and upstream["victims"] == ["r0"]
    assert upstream["nominated"] == ["kwok-node-0"]
    assert upstream["preempt calls"][0] == {
        "keys": ["NodeNameToMetaVictims", "NodeNameToVictims", "Pod"], "pod": "p1", "victims": None,
        "meta": {"kwok-node-0": (["r0"], 0), "kwok-node-1": (["r1"], 0)}}
    assert upstream["messages"] == ["0/2 nodes are available: 2 Insufficient cpu. preemption: found a potential "
                                    "placement for pod on node kwok-node-0, preempting 1 victims"]
    assert upstream["filter fields"] == [("NodeNames", "Nodes", "Pod")]
    for key in upstream:
        assert ours[key] == upstream[key], key
