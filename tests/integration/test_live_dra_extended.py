"""Extended resources backed by devices in `kubesched run` and in kube-scheduler, on one
control plane: each schedules a copy of pods asking `example.com/gpu-…` (no node lists it in
its allocatable; a DeviceClass names it in `extendedResourceName`) on nodes of its own with the
same ResourceSlices. Both choose the same nodes and devices, create the same claim for each
pod (generateName, annotation, owner, finalizer, one request per container, allocation,
reservation), write the same `status.extendedResourceClaimStatus`, and give the pod that does
not fit the same message."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from tests.integration.live_fixtures import (  # noqa: F401 (plane_with_both: a fixture)
    KWOK_TOLERATION, RunningScheduler, create_pod_retrying, group_node, list_pods, plane_with_both,
    scheduled_condition, write_config)

pytestmark = pytest.mark.integration

API = "/apis/resource.k8s.io/v1"
NODE_CPUS = ("32", "24")  # unequal, so LeastAllocated never ties: no random pick between nodes


def _slice(node: str, driver: str) -> dict:
    return {"apiVersion": "resource.k8s.io/v1", "kind": "ResourceSlice", "metadata": {"name": f"{node}-gpus"},
            "spec": {"driver": driver, "nodeName": node, "pool": {"name": node, "generation": 1,
                                                                  "resourceSliceCount": 1},
                     "devices": [{"name": f"gpu-{i}"} for i in range(4)]}}


def _container(name: str, resource: str, gpus: int, **more) -> dict:
    amounts = {"cpu": "4", "memory": "1Gi", resource: str(gpus)}
    return {"name": name, "image": "registry.k8s.io/pause:3.10",
            "resources": {"requests": dict(amounts), "limits": {resource: str(gpus)}}, **more}


def _pods(resource: str) -> list[tuple[str, dict]]:
    """(name, spec): several containers, an init container reusing a container's devices,
    and a pod that no node has devices left for."""
    return [
        ("two-containers", {"containers": [_container("a", resource, 1), _container("b", resource, 2)]}),
        ("with-init", {"initContainers": [_container("init", resource, 2)],
                       "containers": [_container("main", resource, 1)]}),
        ("four", {"containers": [_container("c", resource, 4)]}),
        ("too-many", {"containers": [_container("c", resource, 3)]}),
    ]


def _workload(kube, namespace: str, scheduler: str, group: str, resource: str) -> None:
    kube.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                "metadata": {"name": namespace}})
    for name, spec in _pods(resource):
        create_pod_retrying(kube, namespace, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": {
            **spec, "schedulerName": scheduler, "nodeSelector": {"dra-test-group": group},
            "tolerations": [KWOK_TOLERATION]}})
        time.sleep(0.3)  # one queue order for both schedulers: creation order


def _outcome(kube, namespace: str, prefix: str, driver: str, timeout: float = 90) -> dict:
    """Per pod: its node (index), or its message; the claim made for it and its status."""
    count = len(_pods(""))
    deadline = time.monotonic() + timeout
    while True:
        pods = list_pods(kube, namespace)
        decided = [p for p in pods if p["spec"].get("nodeName") and p["status"].get("extendedResourceClaimStatus")
                   or (scheduled_condition(p) or {}).get("status") == "False"]
        if len(decided) == count:
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(decided)}/{count} pods decided in {namespace} after {timeout}s")
        time.sleep(0.5)
    claims = kube.request("GET", f"{API}/namespaces/{namespace}/resourceclaims")["items"]
    outcome = {}
    for p in pods:
        name, node = p["metadata"]["name"], p["spec"].get("nodeName")
        mine = [c for c in claims if any(r["uid"] == p["metadata"]["uid"] for r in c["metadata"].get("ownerReferences", []))]
        if not node:
            outcome[name] = {"message": scheduled_condition(p)["message"], "claims": len(mine)}
            continue
        [claim] = mine
        meta, status = claim["metadata"], claim["status"]
        allocation = status["allocation"]
        extended = p["status"]["extendedResourceClaimStatus"]
        outcome[name] = {
            "node": node.removeprefix(prefix),
            "claim": {"named": meta["name"].startswith(meta["generateName"]), "generateName": meta["generateName"],
                      "annotations": meta.get("annotations"), "finalizers": meta.get("finalizers"),
                      "owners": [(r["apiVersion"], r["kind"], r["name"], r.get("controller")) for r in meta["ownerReferences"]],
                      "requests": claim["spec"]["devices"]["requests"]},
            "devices": [(r["request"], r["driver"] == driver, r["pool"].removeprefix(prefix), r["device"])
                        for r in allocation["devices"]["results"]],
            "nodeSelector": allocation["nodeSelector"]["nodeSelectorTerms"][0]["matchFields"][0]["values"] == [node],
            "allocationTimestamp": "allocationTimestamp" in allocation,
            "reservedFor": [(r["resource"], r["name"], r["uid"]) for r in status["reservedFor"]]
            == [("pods", name, p["metadata"]["uid"])],
            "podStatus": {"resourceClaimName": extended["resourceClaimName"] == meta["name"],
                          "requestMappings": extended["requestMappings"]}}
    return outcome


def test_kubesched_makes_the_claim_kube_scheduler_makes(plane_with_both, tmp_path):
    from kubesched.kube import connect

    kube = connect(str(plane_with_both.kubeconfig))
    suffix = uuid.uuid4().hex[:6]
    driver = f"gpu-{suffix}.example.com"
    resource = f"example.com/gpu-{suffix}"
    scheduler = f"kubesched-{suffix}"
    groups = {"up": f"drax-up-{suffix}-", "ks": f"drax-ks-{suffix}-"}
    for group, prefix in groups.items():
        for i, cpu in enumerate(NODE_CPUS):
            kube.request("POST", "/api/v1/nodes", group_node(f"{prefix}{i}", f"{group}-{suffix}", cpu))
            kube.request("POST", f"{API}/resourceslices", _slice(f"{prefix}{i}", driver))
    kube.request("POST", f"{API}/deviceclasses", {
        "apiVersion": "resource.k8s.io/v1", "kind": "DeviceClass", "metadata": {"name": driver},
        "spec": {"selectors": [{"cel": {"expression": f'device.driver == "{driver}"'}}],
                 "extendedResourceName": resource}})
    running = RunningScheduler(plane_with_both.kubeconfig, write_config(tmp_path, scheduler), tmp_path / "run.log")
    try:
        running.wait_synced()  # the pods come one by one, as to kube-scheduler (not listed at once)
        _workload(kube, f"up-{suffix}", "default-scheduler", f"up-{suffix}", resource)
        _workload(kube, f"ks-{suffix}", scheduler, f"ks-{suffix}", resource)
        upstream = _outcome(kube, f"up-{suffix}", groups["up"], driver)
        ours = _outcome(kube, f"ks-{suffix}", groups["ks"], driver)
    finally:
        running.kill()
    assert ours == upstream, (json.dumps(ours, indent=1), json.dumps(upstream, indent=1), running.text()[-3000:])
    # the scenario is what it means to be: pods placed through claims of their own, one that fits nowhere
    placed = {name: o for name, o in upstream.items() if "node" in o}
    assert {"two-containers", "with-init"} <= set(placed), upstream
    assert placed["two-containers"]["claim"]["requests"] == [
        {"name": "container-0-request-1", "exactly": {"deviceClassName": driver, "allocationMode": "ExactCount",
                                                      "count": 1}},
        {"name": "container-1-request-1", "exactly": {"deviceClassName": driver, "allocationMode": "ExactCount",
                                                      "count": 2}}]
    unplaced = [o for o in upstream.values() if "message" in o]
    assert unplaced and all(o["claims"] == 0 and "cannot allocate all claims" in o["message"] for o in unplaced)
