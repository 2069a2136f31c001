"""`kubesched run` and kube-scheduler on one control plane (with the controller manager, which
makes the pods' claims from their templates), each scheduling a copy of one DRA workload on
nodes of its own with the same ResourceSlices: the same devices are taken on corresponding
nodes, the claims' status is written alike, and the pod that does not fit gets the same
message."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.integration.live_fixtures import (  # noqa: F401 (plane_with_both: a fixture)
    RunningScheduler, create_pod, group_node, list_pods, plane_with_both, pod, scheduled_condition, write_config)

pytestmark = pytest.mark.integration

NODES = 2
PODS = 5  # two "b" GPUs per node: four fit
API = "/apis/resource.k8s.io/v1"


def _slice(node: str, driver: str) -> dict:
    return {"apiVersion": "resource.k8s.io/v1", "kind": "ResourceSlice", "metadata": {"name": f"{node}-gpus"},
            "spec": {"driver": driver, "nodeName": node, "pool": {"name": node, "generation": 1,
                                                                  "resourceSliceCount": 1},
                     "devices": [{"name": f"gpu-{i}", "attributes": {"model": {"string": "a" if i < 2 else "b"}},
                                  "capacity": {"memory": {"value": "40Gi"}}} for i in range(4)]}}


def _workload(kube, namespace: str, scheduler: str, group: str, device_class: str) -> None:
    kube.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                "metadata": {"name": namespace}})
    selector = f'device.attributes["{device_class}"].model == "b"'
    kube.request("POST", f"{API}/namespaces/{namespace}/resourceclaimtemplates", {
        "apiVersion": "resource.k8s.io/v1", "kind": "ResourceClaimTemplate", "metadata": {"name": "one-b"},
        "spec": {"spec": {"devices": {"requests": [{"name": "gpu", "exactly": {
            "deviceClassName": device_class, "selectors": [{"cel": {"expression": selector}}]}}]}}}})
    for i in range(PODS):
        manifest = pod(f"p{i}", scheduler, nodeSelector={"dra-test-group": group},
                       resourceClaims=[{"name": "gpu", "resourceClaimTemplateName": "one-b"}])
        create_pod(kube, namespace, manifest)
        time.sleep(0.3)  # one queue order for both schedulers: creation order


def _outcome(kube, namespace: str, prefix: str, timeout: float = 90):
    """(node index, device) per bound pod, the claims' status, and the unschedulable pods'
    messages, once every pod is decided."""
    deadline = time.monotonic() + timeout
    while True:
        pods = list_pods(kube, namespace)
        decided = [p for p in pods if p["spec"].get("nodeName") or
                   (scheduled_condition(p) or {}).get("status") == "False"]
        if len(decided) == PODS:
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(decided)}/{PODS} pods decided in {namespace} after {timeout}s")
        time.sleep(0.5)
    claims = {c["metadata"]["name"]: c for c in kube.request("GET", f"{API}/namespaces/{namespace}/resourceclaims")["items"]}
    taken, statuses, messages = [], [], []
    for p in pods:
        node = p["spec"].get("nodeName")
        if not node:
            messages.append(scheduled_condition(p)["message"])
            continue
        [status] = p["status"]["resourceClaimStatuses"]
        claim = claims[status["resourceClaimName"]]
        allocation = claim["status"]["allocation"]
        [result] = allocation["devices"]["results"]
        taken.append((node.removeprefix(prefix), result["pool"].removeprefix(prefix), result["device"]))
        statuses.append((sorted(allocation), allocation["nodeSelector"]["nodeSelectorTerms"][0]["matchFields"][0]
                         ["values"] == [node], [(r["resource"], r["name"], r["uid"]) for r in claim["status"]["reservedFor"]]
                         == [("pods", p["metadata"]["name"], p["metadata"]["uid"])]))
    return sorted(taken), statuses, messages


def test_kubesched_allocates_the_devices_kube_scheduler_allocates(plane_with_both, tmp_path):
    from kubesched.kube import connect

    kube = connect(str(plane_with_both.kubeconfig))
    suffix = uuid.uuid4().hex[:6]
    driver = f"gpu-{suffix}.example.com"
    scheduler = f"kubesched-{suffix}"
    groups = {"up": f"dra-up-{suffix}-", "ks": f"dra-ks-{suffix}-"}
    for group, prefix in groups.items():
        for i in range(NODES):
            kube.request("POST", "/api/v1/nodes", group_node(f"{prefix}{i}", f"{group}-{suffix}"))
            kube.request("POST", f"{API}/resourceslices", _slice(f"{prefix}{i}", driver))
    kube.request("POST", f"{API}/deviceclasses", {
        "apiVersion": "resource.k8s.io/v1", "kind": "DeviceClass", "metadata": {"name": driver},
        "spec": {"selectors": [{"cel": {"expression": f'device.driver == "{driver}"'}}]}})
    running = RunningScheduler(plane_with_both.kubeconfig, write_config(tmp_path, scheduler), tmp_path / "run.log")
    try:
        _workload(kube, f"up-{suffix}", "default-scheduler", f"up-{suffix}", driver)
        _workload(kube, f"ks-{suffix}", scheduler, f"ks-{suffix}", driver)
        upstream = _outcome(kube, f"up-{suffix}", groups["up"])
        ours = _outcome(kube, f"ks-{suffix}", groups["ks"])
    finally:
        running.kill()
    assert len(upstream[0]) == PODS - 1 and all(device in ("gpu-2", "gpu-3") for _, _, device in upstream[0])
    assert ours[0] == upstream[0]
    assert ours[1] == upstream[1] and all(selector and reserved for _, selector, reserved in ours[1])
    assert len(upstream[2]) == 1 and "2 cannot allocate all claims" in upstream[2][0]
    assert "preemption: " in upstream[2][0]
    assert ours[2] == upstream[2], running.text()  # DefaultPreemption's part included


def _preemption_workload(kube, namespace: str, scheduler: str, node: str, device_class: str, low: str, high: str):
    """A low-priority pod holding one of the node's GPUs and most of its CPU, then a
    high-priority pod with a claim that fits only if the low one goes."""
    kube.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                "metadata": {"name": namespace}})
    kube.request("POST", f"{API}/namespaces/{namespace}/resourceclaimtemplates", {
        "apiVersion": "resource.k8s.io/v1", "kind": "ResourceClaimTemplate", "metadata": {"name": "one"},
        "spec": {"spec": {"devices": {"requests": [{"name": "gpu", "exactly": {"deviceClassName": device_class}}]}}}})
    for name, cpu, priority_class in (("low", "3", low), ("high", "2", high)):
        manifest = pod(name, scheduler, cpu=cpu, nodeSelector={"kubernetes.io/hostname": node},
                       priorityClassName=priority_class,
                       resourceClaims=[{"name": "gpu", "resourceClaimTemplateName": "one"}])
        create_pod(kube, namespace, manifest)
        deadline = time.monotonic() + 90
        while not next((p for p in list_pods(kube, namespace) if p["metadata"]["name"] == name),
                       {}).get("spec", {}).get("nodeName"):
            assert time.monotonic() < deadline, f"{namespace}/{name} not bound"
            time.sleep(0.5)


def _preemption_outcome(kube, namespace: str, node: str) -> tuple:
    """(the pods left, where high runs, its device's pool, high's FailedScheduling messages
    with the node's name generalised), once low is gone."""
    deadline = time.monotonic() + 90
    while any(p["metadata"]["name"] == "low" for p in list_pods(kube, namespace)):
        assert time.monotonic() < deadline, f"{namespace}/low not evicted"
        time.sleep(0.5)
    [high] = list_pods(kube, namespace)
    claims = kube.request("GET", f"{API}/namespaces/{namespace}/resourceclaims")["items"]
    [claim] = [c for c in claims if c["metadata"]["ownerReferences"][0]["name"] == "high"]
    [result] = claim["status"]["allocation"]["devices"]["results"]
    events = kube.request("GET", f"/api/v1/namespaces/{namespace}/events")["items"]
    failed = sorted({e.get("message") or e.get("note") or "" for e in events
                     if e.get("reason") == "FailedScheduling" and e["involvedObject"]["name"] == "high"})
    return (high["metadata"]["name"], high["spec"]["nodeName"] == node, result["pool"] == node,
            [m.replace(node, "NODE") for m in failed])


def test_a_claim_bearing_pod_preempts_as_kube_scheduler_does(plane_with_both, tmp_path):
    from kubesched.kube import connect

    kube = connect(str(plane_with_both.kubeconfig))
    suffix = uuid.uuid4().hex[:6]
    driver = f"gpu-{suffix}.example.com"
    scheduler = f"kubesched-{suffix}"
    low, high = f"dra-low-{suffix}", f"dra-high-{suffix}"
    for name, value in ((low, 10), (high, 1000)):
        kube.request("POST", "/apis/scheduling.k8s.io/v1/priorityclasses", {
            "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": name}, "value": value})
    kube.request("POST", f"{API}/deviceclasses", {
        "apiVersion": "resource.k8s.io/v1", "kind": "DeviceClass", "metadata": {"name": driver},
        "spec": {"selectors": [{"cel": {"expression": f'device.driver == "{driver}"'}}]}})
    nodes = {"up": f"dra-pre-up-{suffix}", "ks": f"dra-pre-ks-{suffix}"}
    for group, name in nodes.items():
        manifest = group_node(name, f"pre-{group}-{suffix}")
        manifest["status"]["allocatable"]["cpu"] = manifest["status"]["capacity"]["cpu"] = "4"
        kube.request("POST", "/api/v1/nodes", manifest)
        kube.request("POST", f"{API}/resourceslices", _slice(name, driver))
    running = RunningScheduler(plane_with_both.kubeconfig, write_config(tmp_path, scheduler), tmp_path / "run.log")
    try:
        _preemption_workload(kube, f"pre-up-{suffix}", "default-scheduler", nodes["up"], driver, low, high)
        _preemption_workload(kube, f"pre-ks-{suffix}", scheduler, nodes["ks"], driver, low, high)
        upstream = _preemption_outcome(kube, f"pre-up-{suffix}", nodes["up"])
        ours = _preemption_outcome(kube, f"pre-ks-{suffix}", nodes["ks"])
    finally:
        running.kill()
    assert upstream[:3] == ("high", True, True)
    assert any("preemption: found a potential placement for pod on node NODE, preempting 1 victims" in m
               for m in upstream[3]), upstream
    assert ours == upstream, running.text()
