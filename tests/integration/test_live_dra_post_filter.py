"""DynamicResources' PostFilter in `kubesched run` beside kube-scheduler on one control plane:
a pod's claim is allocated for a cordoned node and reserved by no pod; the first attempt
fails (`resourceclaim not available on the node`), PostFilter deallocates the claim, and the
claim's change brings the pod back: it is bound on the other node with that node's device.
Both schedulers report the same FailedScheduling message and end alike."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.integration.live_fixtures import (  # noqa: F401 (plane_with_both: a fixture)
    RunningScheduler, create_pod, group_node, list_pods, plane_with_both, pod, write_config)
from tests.integration.test_live_dra import API, _slice

pytestmark = pytest.mark.integration


def _stuck_claim(kube, namespace: str, driver: str, cordoned: str) -> None:
    """A claim allocated for `cordoned`'s first device, reserved by no pod."""
    kube.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                "metadata": {"name": namespace}})
    path = f"{API}/namespaces/{namespace}/resourceclaims"
    made = kube.request("POST", path, {
        "apiVersion": "resource.k8s.io/v1", "kind": "ResourceClaim", "metadata": {"name": "stuck"},
        "spec": {"devices": {"requests": [{"name": "gpu", "exactly": {"deviceClassName": driver}}]}}})
    made["status"] = {"allocation": {
        "devices": {"results": [{"request": "gpu", "driver": driver, "pool": cordoned, "device": "gpu-0"}]},
        "nodeSelector": {"nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In",
                                                                 "values": [cordoned]}]}]}}}
    kube.request("PUT", f"{path}/stuck/status", made)


def _outcome(kube, namespace: str, usable: str, cordoned: str, timeout: float = 90) -> tuple:
    """(bound on the usable node, its device's pool is that node's, the claim reserved for
    the pod, the FailedScheduling messages with node names generalised)."""
    deadline = time.monotonic() + timeout
    while True:
        [placed] = list_pods(kube, namespace)
        if placed["spec"].get("nodeName"):
            break
        assert time.monotonic() < deadline, f"{namespace}/p not bound"
        time.sleep(0.5)
    claim = kube.request("GET", f"{API}/namespaces/{namespace}/resourceclaims/stuck")
    [result] = claim["status"]["allocation"]["devices"]["results"]
    events = kube.request("GET", f"/api/v1/namespaces/{namespace}/events")["items"]
    failed = sorted({(e.get("message") or e.get("note") or "").replace(usable, "USABLE").replace(cordoned, "CORDONED")
                     for e in events if e.get("reason") == "FailedScheduling"})
    reserved = [(r["resource"], r["name"]) for r in claim["status"].get("reservedFor") or []]
    return placed["spec"]["nodeName"] == usable, result["pool"] == usable, reserved == [("pods", "p")], failed


def test_a_claim_allocated_for_a_cordoned_node_is_deallocated_as_kube_scheduler_does(plane_with_both, tmp_path):
    from kubesched.kube import connect

    kube = connect(str(plane_with_both.kubeconfig))
    suffix = uuid.uuid4().hex[:6]
    driver = f"gpu-{suffix}.example.com"
    scheduler = f"kubesched-{suffix}"
    kube.request("POST", f"{API}/deviceclasses", {
        "apiVersion": "resource.k8s.io/v1", "kind": "DeviceClass", "metadata": {"name": driver},
        "spec": {"selectors": [{"cel": {"expression": f'device.driver == "{driver}"'}}]}})
    nodes = {}
    for group in ("up", "ks"):
        usable, cordoned = f"dra-pf-{group}-{suffix}-a", f"dra-pf-{group}-{suffix}-b"
        nodes[group] = (usable, cordoned)
        for name in (usable, cordoned):
            manifest = group_node(name, f"pf-{group}-{suffix}")
            if name == cordoned:
                manifest["spec"] = {**manifest.get("spec", {}), "unschedulable": True}
            kube.request("POST", "/api/v1/nodes", manifest)
            kube.request("POST", f"{API}/resourceslices", _slice(name, driver))
    running = RunningScheduler(plane_with_both.kubeconfig, write_config(tmp_path, scheduler), tmp_path / "run.log")
    try:
        for group, name in (("up", "default-scheduler"), ("ks", scheduler)):
            namespace = f"pf-{group}-{suffix}"
            _stuck_claim(kube, namespace, driver, nodes[group][1])
            create_pod(kube, namespace, pod("p", name, nodeSelector={"dra-test-group": f"pf-{group}-{suffix}"},
                                            resourceClaims=[{"name": "gpu", "resourceClaimName": "stuck"}]))
        upstream = _outcome(kube, f"pf-up-{suffix}", *nodes["up"])
        ours = _outcome(kube, f"pf-ks-{suffix}", *nodes["ks"])
    finally:
        running.kill()
    assert upstream[:3] == (True, True, True), upstream
    assert any("deallocation of ResourceClaim completed, preemption: " in m for m in upstream[3]), upstream
    assert ours == upstream, running.text()
