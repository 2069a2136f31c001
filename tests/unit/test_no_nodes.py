"""A cluster without nodes, as kube-scheduler v1.37 meets it: schedulePod fails before any
plugin runs (ErrNoNodesAvailable), so every pod that reaches a scheduling cycle gets
upstream's message alone — no PreFilter rejection, no reasons, no PostFilter (no preemption)
— on every path; PreEnqueue still holds back a pod whose claim does not exist. Live, the
pod's condition says so, its nomination is cleared and, no plugin having rejected it, it is
retried after its backoff instead of waiting in the unschedulable pool."""

from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner

from kubesched.cli import main
from kubesched.cli.options import load_profiles
from kubesched.live.queue import BACKOFF, UNSCHEDULABLE
from kubesched.model.cluster import read_cluster
from kubesched.sim.explain import explain
from kubesched.sim.simulate import simulate
from tests.conformance.dra_builders import claim, device_class, request
from tests.live_loop import step
from tests.unit.test_live_preemption import FakeKube, node_obj, pod_obj, scheduler

pytestmark = pytest.mark.unit

NO_NODES = "no nodes available to schedule pods"
API = "resource.k8s.io/v1"
POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "default"},
       "spec": {"containers": [{"name": "c", "image": "nginx", "resources": {"requests": {"cpu": "100m"}}}]}}


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_simulate_says_upstreams_message_in_every_output(tmp_path):
    path = tmp_path / "pod.yaml"
    path.write_text(yaml.safe_dump(POD))
    # the default profile has DefaultPreemption: it adds nothing, PostFilter does not run
    as_json = json.loads(run("simulate", "-f", str(path), "-o", "json").output)
    assert as_json["placements"] == [{"pod": "default/web", "node": None, "message": NO_NODES}]
    assert as_json["summary"]["unschedulableByMessage"] == {NO_NODES: 1}
    as_yaml = yaml.safe_load(run("simulate", "-f", str(path), "-o", "yaml").output)
    assert as_yaml["placements"] == as_json["placements"]
    text = run("simulate", "-f", str(path)).output
    assert "0/1 pods placed" in text
    assert [line.split(None, 2) for line in text.splitlines() if line.strip().startswith("1 ")] == [
        ["1", "-", NO_NODES]]
    report = json.loads(run("explain", "-f", str(path), "--pod", "default/web", "-o", "json").output)
    assert (report["nodes"], report["selectedNode"], report["message"]) == ([], None, NO_NODES)
    assert report["preemption"]["eligible"] is False and report["preemption"]["candidates"] == []
    assert NO_NODES in run("explain", "-f", str(path), "--pod", "default/web").output


def test_claims_and_prefilter_rejections_get_the_message_but_preenqueue_still_waits(tmp_path):
    gpu_class = {"apiVersion": API, "kind": "DeviceClass", "metadata": {"name": "gpu"},
                 "spec": {"selectors": [{"cel": {"expression": 'device.driver == "gpu.example.com"'}}]}}

    def claim(name, device_class):
        return {"apiVersion": API, "kind": "ResourceClaim", "metadata": {"name": name, "namespace": "default"},
                "spec": {"devices": {"requests": [{"name": "gpu", "exactly": {"deviceClassName": device_class}}]}}}

    def pod(name, **spec):
        return {**POD, "metadata": {"name": name, "namespace": "default"}, "spec": {**POD["spec"], **spec}}

    objects = [gpu_class, claim("gpu", "gpu"), claim("odd", "absent-class"),
               pod("claims", resourceClaims=[{"name": "g", "resourceClaimName": "gpu"}]),
               pod("no-class", resourceClaims=[{"name": "g", "resourceClaimName": "odd"}]),
               pod("waits", resourceClaims=[{"name": "g", "resourceClaimName": "missing"}]),
               pod("conflict", affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                   "nodeSelectorTerms": [{"matchFields": [  # NodeAffinity's PreFilter would reject it
                       {"key": "metadata.name", "operator": "In", "values": ["a"]},
                       {"key": "metadata.name", "operator": "In", "values": ["b"]}]}]}}})]
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump_all(objects))
    cluster = read_cluster([str(path)], warn=lambda message: None)
    profiles = load_profiles(None)
    messages = {p.pod: p.message for p in simulate(cluster, profiles).placements}
    assert messages == {"default/claims": NO_NODES, "default/no-class": NO_NODES, "default/conflict": NO_NODES,
                        "default/waits": 'could not find ResourceClaim "default/missing"'}
    for name in ("claims", "no-class", "conflict"):
        report = explain(cluster, profiles, f"default/{name}")
        assert (report["nodes"], report["message"]) == ([], NO_NODES), name


def test_plan_fit_says_upstreams_message(tmp_path):
    empty, pod = tmp_path / "empty.yaml", tmp_path / "pod.yaml"
    empty.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": []}))
    pod.write_text(yaml.safe_dump(POD))
    result = run("plan", "fit", "-f", str(empty), "--pod", str(pod), "-o", "json")
    assert result.exit_code == 1
    fit = json.loads(result.output)
    assert (fit["replicas"], fit["message"], fit["preemptions"]) == (0, NO_NODES, [])


def test_live_pod_without_nodes_is_reported_and_retried_after_its_backoff():
    kube = FakeKube()
    sched = scheduler(kube)  # with DefaultPreemption
    now = [0.0]
    sched.queue.clock = lambda: now[0]  # the backoff on a clock of the test's own
    try:
        sched.inbox.put(("pod", "ADDED", pod_obj("web", priority=100, nominatedNodeName="gone")))
        step(sched, until=lambda: kube.calls("PATCH", "/pods/web/status"))
        (_, patch), = kube.calls("PATCH", "/pods/web/status")
        (condition,) = patch["status"]["conditions"]
        assert (condition["reason"], condition["message"]) == ("Unschedulable", NO_NODES)
        assert patch["status"]["nominatedNodeName"] is None  # upstream's clearNominatedNode
        assert sched.metrics.preemption_attempts._value.get() == 0

        def failed_scheduling():
            return [b for _, b in kube.calls("POST", "/events") if b["reason"] == "FailedScheduling"]
        step(sched, until=failed_scheduling)
        assert [(e["type"], e["note"]) for e in failed_scheduling()] == [("Warning", NO_NODES)]
        assert sched.metrics.attempts.labels("unschedulable", "kubesched")._value.get() == 1
        entry = sched.queue.pods["uid-web"]
        assert (entry.state, entry.attempts) == (BACKOFF, 1)  # not in the unschedulable pool

        sched.queue.move_all()  # an event moves the unschedulable pool only
        assert entry.state == BACKOFF and sched.queue.pop() is None
        now[0] = sched.queue.backoff_duration(entry)
        again = sched.queue.pop()
        assert again is entry
        sched._schedule(again)
        assert (entry.state, entry.attempts) == (BACKOFF, 2)
        assert sched.metrics.attempts.labels("unschedulable", "kubesched")._value.get() == 2
        # the same message: the condition is not written again (the pod as queued still
        # shows the nomination, so the clearing is)
        step(sched, until=lambda: len(kube.calls("PATCH", "/pods/web/status")) == 2)
        assert "conditions" not in kube.calls("PATCH", "/pods/web/status")[1][1]["status"]

        sched.inbox.put(("node", "ADDED", node_obj("n1")))
        now[0] += sched.queue.backoff_duration(entry)
        step(sched, until=lambda: kube.calls("POST", "/pods/web/binding"))
        (_, binding), = kube.calls("POST", "/pods/web/binding")
        assert binding["target"]["name"] == "n1"
    finally:
        sched.shutdown()


def test_live_pod_with_claims_without_nodes_and_one_whose_claim_is_missing():
    kube = FakeKube()
    sched = scheduler(kube)
    sched.queue.clock = lambda: 0.0
    try:
        sched.inbox.put(("dra:DeviceClass", "ADDED", device_class("class-a")))
        sched.inbox.put(("dra:ResourceClaim", "ADDED", claim("gpu", request("req-0"), namespace="ns")))
        for name, claim_name in (("claims", "gpu"), ("waits", "missing")):
            obj = pod_obj(name)
            obj["spec"]["resourceClaims"] = [{"name": "g", "resourceClaimName": claim_name}]
            sched.inbox.put(("pod", "ADDED", obj))
        step(sched, until=lambda: kube.calls("PATCH", "/pods/claims/status"))
        (_, patch), = kube.calls("PATCH", "/pods/claims/status")
        assert patch["status"]["conditions"][0]["message"] == NO_NODES
        assert sched.queue.pods["uid-claims"].state == BACKOFF
        # PreEnqueue holds it back before any cycle: no attempt, nothing written
        waiting = sched.queue.pods["uid-waits"]
        assert (waiting.state, waiting.attempts) == (UNSCHEDULABLE, 0)
        assert waiting.message == 'could not find ResourceClaim "ns/missing"'
        assert not kube.calls("PATCH", "/pods/waits/status")
        assert not kube.calls("PUT")  # no claim allocated or reserved
    finally:
        sched.shutdown()
