"""Preemption on a real control plane, kube-scheduler against `kubesched run`: the same
scenario — low-priority pods filling three kwok nodes, a PodDisruptionBudget over some of
them, then high-priority pods one at a time — is played for each on the same nodes, one
after the other, and who is preempted, where each preemptor lands, its nomination, the
conditions and the events must be the same.

The scenario leaves no choice to ties: every decision is made by a priority or a budget
(upstream breaks ties between equal victims by start time, which kwok sets to the second)."""

from __future__ import annotations

import re
import urllib.request
import uuid

import pytest

from tests.integration.live_fixtures import (  # noqa: F401 (fixtures)
    PodHistory, create_ignoring_conflict, create_priority_classes, delete_pods_now, events_for,
    list_pods, new_namespace, priority_pod, running_plane, scheduled_condition, start_scheduler)
from tests.waiting import wait_for

pytestmark = pytest.mark.integration

WAIT = 180.0  # seconds a step may take before the test gives up (only a hang reaches it)

CLASSES = {"preempt-low": 10, "preempt-low2": 20, "preempt-mid": 100, "preempt-mid2": 200,
           "preempt-high": 1000}
NEVER_CLASS = "preempt-high-never"

# (name, node, cpu, class): node-0 is guarded by a budget that allows no disruption.
RESIDENTS = [*((f"guarded-{i}", 0, "1", "preempt-low") for i in range(4)),
             ("n1-a", 1, "2", "preempt-low"), ("n1-b", 1, "2", "preempt-low2"),
             ("n2-a", 2, "3", "preempt-mid"), ("n2-b", 2, "1", "preempt-mid2")]
# Preemptors in order, each bound before the next comes.
PREEMPTORS = [("p1", "2"), ("p2", "3"), ("p3", "2"), ("p5", "1")]
# What the candidates' costs decide (the budget makes node-0 the last resort).
EXPECTED = {"p1": ("kwok-node-1", ["n1-a"]), "p2": ("kwok-node-2", ["n2-a"]),
            "p3": ("kwok-node-1", ["n1-b"]), "p5": ("kwok-node-2", ["n2-b"])}


@pytest.fixture(scope="module")
def plane(tmp_path_factory):
    with running_plane(tmp_path_factory.mktemp("preemption-plane"), nodes=3, with_kube_scheduler=True) as started:
        yield started


@pytest.fixture(scope="module")
def kube(plane):
    from kubesched.kube import connect

    kube = connect(str(plane.kubeconfig))
    create_priority_classes(kube, CLASSES)
    create_ignoring_conflict(kube, "/apis/scheduling.k8s.io/v1/priorityclasses", {
        "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": NEVER_CLASS},
        "value": 1000, "preemptionPolicy": "Never"})
    return kube


def _play(kube, namespace, scheduler_name) -> dict:
    """Run the scenario in `namespace` for the scheduler of `scheduler_name`; what it did,
    with names of this run (scheduler, uids) replaced by placeholders."""
    history = PodHistory(kube, namespace, WAIT)
    try:
        pods = f"/api/v1/namespaces/{namespace}/pods"
        for name, node, cpu, priority_class in RESIDENTS:
            labels = {"app": "guarded"} if name.startswith("guarded") else {}
            kube.request("POST", pods, priority_pod(name, scheduler_name, cpu, priority_class, node, labels))
        budgets = f"/apis/policy/v1/namespaces/{namespace}/poddisruptionbudgets"
        kube.request("POST", budgets, {
            "apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "guarded"},
            "spec": {"minAvailable": 4, "selector": {"matchLabels": {"app": "guarded"}}}})
        # No disruption controller runs here: write the status it would (no disruption
        # allowed), so that both schedulers read the same budget.
        kube.request("PATCH", f"{budgets}/guarded/status", {"status": {
            "disruptionsAllowed": 0, "currentHealthy": 4, "desiredHealthy": 4, "expectedPods": 4,
            "observedGeneration": 1}}, content_type="application/merge-patch+json")
        wait_for(what="the residents running", timeout=WAIT, interval=0.1, condition=lambda: sum(
            1 for p in list_pods(kube, namespace) if (p.get("status") or {}).get("phase") == "Running")
            == len(RESIDENTS))

        uids = {}
        for name, cpu in PREEMPTORS:
            created = kube.request("POST", pods, priority_pod(name, scheduler_name, cpu, "preempt-high"))
            uids[created["metadata"]["uid"]] = name
            wait_for(what=f"{name} bound", timeout=WAIT, interval=0.1,
                     condition=lambda: kube.request("GET", f"{pods}/{name}")["spec"].get("nodeName"))
        never = kube.request("POST", pods, priority_pod("p-never", scheduler_name, "1", NEVER_CLASS))
        uids[never["metadata"]["uid"]] = "p-never"
        wait_for(what="p-never unschedulable", timeout=WAIT, interval=0.1, condition=lambda: (
            scheduled_condition(kube.request("GET", f"{pods}/p-never")) or {}).get("status") == "False")

        def normal(text):
            text = text.replace(scheduler_name, "SCHEDULER")
            return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                          lambda m: uids.get(m.group(0), "UID"), text)

        victims = {name for name, *_ in RESIDENTS} & set(history.deleted())
        wait_for(what="the victims' events", timeout=WAIT, interval=0.1, condition=lambda: {
            e["regarding"]["name"] for e in events_for(kube, namespace) if e["reason"] == "Preempted"} >= victims)
        wait_for(what="the events of p-never", timeout=WAIT, interval=0.1, condition=lambda: any(
            e["regarding"]["name"] == "p-never" for e in events_for(kube, namespace)))
        events = events_for(kube, namespace)
        result = {"landed": {}, "nominated": {}, "victims": sorted(victims), "messages": {}, "disruption": {},
                  "preempted": {}, "nominated_when_bound": {}}
        for name, _ in PREEMPTORS:
            states = [o for _, o in history.of(name)]
            result["landed"][name] = states[-1]["spec"].get("nodeName")
            bound = kube.request("GET", f"{pods}/{name}")
            result["nominated_when_bound"][name] = (bound.get("status") or {}).get("nominatedNodeName")
            result["nominated"][name] = sorted({(o.get("status") or {}).get("nominatedNodeName")
                                                for o in states} - {None, ""})
            # The nomination's message; retries while the victims terminate may add others,
            # as many as the timing gives.
            result["messages"][name] = sorted({normal(e["note"]) for e in events
                                               if e["regarding"]["name"] == name and e["reason"] == "FailedScheduling"
                                               and "found a potential placement" in e["note"]})
        for name in sorted(victims):
            conditions = [c for _, o in history.of(name) for c in (o.get("status") or {}).get("conditions") or ()
                          if c["type"] == "DisruptionTarget"]
            result["disruption"][name] = sorted({(c["status"], c["reason"], normal(c["message"])) for c in conditions})
            result["preempted"][name] = sorted({(e["type"], e["action"], normal(e["note"]),
                                                 normal(repr(sorted((e.get("related") or {}).items()))))
                                                for e in events if e["regarding"]["name"] == name
                                                and e["reason"] == "Preempted"})
        never_obj = kube.request("GET", f"{pods}/p-never")
        result["never"] = (never_obj["spec"].get("nodeName"), normal(scheduled_condition(never_obj)["message"]),
                           (never_obj.get("status") or {}).get("nominatedNodeName"))
        return result
    finally:
        history.stop.set()


def test_kubesched_preempts_as_kube_scheduler_does(plane, kube, start_scheduler):
    upstream_namespace = new_namespace(kube, "preempt")
    upstream = _play(kube, upstream_namespace, "default-scheduler")
    delete_pods_now(kube, upstream_namespace, WAIT)

    scheduler_name = f"kubesched-{uuid.uuid4().hex[:8]}"
    running = start_scheduler(plane.kubeconfig, scheduler_name, "-v=2")
    try:
        ours = _play(kube, new_namespace(kube, "preempt"), scheduler_name)
    except AssertionError as error:
        raise AssertionError(f"{error}\nkubesched's log:\n{running.text()[-6000:]}") from None
    assert running.process.poll() is None, running.text()[-3000:]
    with urllib.request.urlopen(f"http://{running.metrics_address()}/metrics", timeout=30) as response:
        metrics = dict(line.rsplit(" ", 1) for line in response.read().decode().splitlines()
                       if line and not line.startswith("#"))
    # Four nominations of one victim each; p-never's attempt (and retries while victims
    # terminate) count as attempts too.
    assert float(metrics["scheduler_preemption_victims_count"]) == 4
    assert float(metrics["scheduler_preemption_victims_sum"]) == 4
    assert float(metrics["scheduler_preemption_attempts_total"]) >= 5

    # What the scenario's costs decide, so that two schedulers doing nothing cannot agree.
    assert upstream["landed"] == {name: node for name, (node, _) in EXPECTED.items()}
    assert upstream["victims"] == sorted(v for _, victims in EXPECTED.values() for v in victims)
    assert upstream["never"][0] is None and upstream["never"][1].endswith(
        " preemption: not eligible due to preemptionPolicy=Never.")
    assert upstream["nominated_when_bound"] == {name: None for name in EXPECTED}  # cleared by the binding
    for name, (node, _) in EXPECTED.items():
        assert upstream["nominated"][name] == [node]
        assert upstream["messages"][name] == [f"0/3 nodes are available: 3 Insufficient cpu. preemption: found a "
                                              f"potential placement for pod on node {node}, preempting 1 victims"]

    for key in upstream:
        assert ours[key] == upstream[key], key
