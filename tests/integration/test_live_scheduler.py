"""`kubesched run` against a real API server: the decisions, the reports, the endpoints."""

from __future__ import annotations

import time
import urllib.request

import pytest

from tests.integration.live_fixtures import (  # noqa: F401 (fixtures)
    create_pod, events_for, list_pods, live_kube, live_plane, namespace, pod, scheduled_condition,
    scheduler_name, start_scheduler, wait_all_bound, wait_decided)

pytestmark = pytest.mark.integration


def _cluster_state(kube):
    nodes = kube.request("GET", "/api/v1/nodes")["items"]
    pods = kube.request("GET", "/api/v1/pods")["items"]
    return nodes, [p for p in pods if p["spec"].get("nodeName")]


def _requests(obj):
    from kubesched.model.pods import PodParser
    return PodParser().parse(obj).spec.requests


def test_decisions_match_simulate_one_pod_at_a_time(live_plane, live_kube, namespace,
                                                    scheduler_name, start_scheduler):
    """Pods arriving one at a time get the nodes `simulate` gives them, and the same
    message when none fits; no node is ever overcommitted."""
    from kubesched.framework.config import parse_config
    from kubesched.model.cluster import ClusterInput
    from kubesched.model.nodes import parse_node
    from kubesched.model.pods import PodParser
    from kubesched.sim.simulate import simulate

    nodes_before, bound_before = _cluster_state(live_kube)
    running = start_scheduler(live_plane.kubeconfig, scheduler_name)
    shapes = [("500m", "1Gi"), ("1500m", "2Gi"), ("250m", "6Gi"), ("1", "512Mi"),
              ("2", "8Gi"), ("750m", "3Gi"), ("100m", "100Mi"), ("1200m", "1Gi")]
    manifests = []
    for i in range(24):
        cpu, memory = shapes[i % len(shapes)]
        extra = {}
        if i % 5 == 0:
            extra["meta"] = {"labels": {"app": "spread"}}
            extra["topologySpreadConstraints"] = [{
                "maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "DoNotSchedule",
                "labelSelector": {"matchLabels": {"app": "spread"}}}]
        manifests.append(pod(f"p{i:02d}", scheduler_name, cpu, memory, **extra))
    manifests.append(pod("too-big", scheduler_name, "5", "1Gi"))
    decided = []
    for manifest in manifests:
        create_pod(live_kube, namespace, manifest)
        decided.append(wait_decided(live_kube, namespace, manifest["metadata"]["name"]))

    parser = PodParser()
    cluster = ClusterInput(nodes=[parse_node(n) for n in nodes_before],
                           bound_pods=[parser.parse(p) for p in bound_before],
                           pending_pods=[parser.parse(p, index=i) for i, p in enumerate(decided)])
    profiles = parse_config({"apiVersion": "kubescheduler.config.k8s.io/v1",
                             "kind": "KubeSchedulerConfiguration",
                             "profiles": [{"schedulerName": scheduler_name}]})
    expected = {p.pod: p for p in simulate(cluster, profiles).placements}
    for obj in decided:
        key = f"{namespace}/{obj['metadata']['name']}"
        node = obj["spec"].get("nodeName")
        assert node == expected[key].node, key
        if node is None:
            assert scheduled_condition(obj)["reason"] == "Unschedulable"
            assert scheduled_condition(obj)["message"] == expected[key].message
    assert decided[-1]["spec"].get("nodeName") is None  # too big for any node

    # no node overcommitted
    nodes, bound = _cluster_state(live_kube)
    used: dict[tuple[str, str], int] = {}
    for obj in bound:
        for resource, amount in _requests(obj).items():
            used[obj["spec"]["nodeName"], resource] = used.get((obj["spec"]["nodeName"], resource), 0) + amount
    for node in (parse_node(n) for n in nodes):
        for resource in ("cpu", "memory"):
            assert used.get((node.name, resource), 0) <= node.allocatable[resource]

    placed = sum(1 for obj in decided if obj["spec"].get("nodeName"))
    deadline = time.monotonic() + 120  # events are posted after the binding, asynchronously (a poll limit)
    while True:
        reasons = [(e["reason"], e["regarding"]["name"]) for e in events_for(live_kube, namespace)]
        if sum(1 for r, _ in reasons if r == "Scheduled") >= placed \
                or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert ("FailedScheduling", "too-big") in reasons
    assert sum(1 for r, _ in reasons if r == "Scheduled") == placed
    event = next(e for e in events_for(live_kube, namespace) if e["reason"] == "Scheduled")
    assert event["reportingController"] == "kubesched"
    assert event["note"].startswith(f"Successfully assigned {namespace}/")
    assert running.process.poll() is None


def test_invalid_pod_gets_failed_scheduling_and_the_loop_goes_on(live_plane, live_kube, namespace,
                                                                scheduler_name, start_scheduler):
    start_scheduler(live_plane.kubeconfig, scheduler_name)
    # The API server takes a Gt value that is no integer; in a preferred term upstream's
    # scheduler cannot use it and neither can kubesched (in a required one it matches nothing).
    bad = pod("invalid", scheduler_name, affinity={"nodeAffinity": {
        "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 1, "preference": {
            "matchExpressions": [{"key": "rank", "operator": "Gt", "values": ["high"]}]}}]}})
    create_pod(live_kube, namespace, bad)
    for i in range(5):
        create_pod(live_kube, namespace, pod(f"good-{i}", scheduler_name))
    wait_all_bound(live_kube, namespace, 5)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        failed = [e for e in events_for(live_kube, namespace)
                  if e["reason"] == "FailedScheduling" and e["regarding"]["name"] == "invalid"]
        if failed:
            break
        time.sleep(0.2)
    assert failed and "must be an integer" in failed[0]["note"]
    obj = wait_decided(live_kube, namespace, "invalid")
    assert obj["spec"].get("nodeName") is None
    # reported once, not once per status update
    time.sleep(1)
    assert len([e for e in events_for(live_kube, namespace)
                if e["reason"] == "FailedScheduling"]) == 1


def test_pods_of_other_schedulers_are_left_alone(live_plane, live_kube, namespace, scheduler_name,
                                                 start_scheduler):
    start_scheduler(live_plane.kubeconfig, scheduler_name)
    create_pod(live_kube, namespace, pod("not-ours", "someone-else"))
    create_pod(live_kube, namespace, pod("ours", scheduler_name))
    wait_decided(live_kube, namespace, "ours")
    time.sleep(1)
    other = next(p for p in list_pods(live_kube, namespace) if p["metadata"]["name"] == "not-ours")
    assert not other["spec"].get("nodeName") and scheduled_condition(other) is None


def test_sigterm_metrics_and_health(live_plane, live_kube, namespace, scheduler_name,
                                    start_scheduler):
    running = start_scheduler(live_plane.kubeconfig, scheduler_name)
    address = running.metrics_address()
    for i in range(20):
        create_pod(live_kube, namespace, pod(f"m-{i}", scheduler_name))
    wait_all_bound(live_kube, namespace, 20)

    def get(path):
        with urllib.request.urlopen(f"http://{address}{path}", timeout=5) as response:
            return response.status, response.read().decode()

    assert get("/healthz") == (200, "ok")
    assert get("/readyz") == (200, "ok")
    _, text = get("/metrics")
    assert f'scheduler_schedule_attempts_total{{profile="{scheduler_name}",result="scheduled"}} 20.0' in text
    assert 'scheduler_pending_pods{queue="active"}' in text
    assert "scheduler_scheduling_attempt_duration_seconds_bucket" in text
    assert "scheduler_pod_scheduling_sli_duration_seconds_count" in text
    # SIGTERM with pods arriving: exits in time, and nothing is half-done
    for i in range(30):
        create_pod(live_kube, namespace, pod(f"late-{i}", scheduler_name))
    assert running.terminate(timeout=10) < 10
    assert running.process.returncode == 0
