"""upstream scheduler_perf's SchedulingWithResourceClaimTemplate/5000pods_500nodes in memory:
500 nodes with one ResourceSlice of 10 devices each (upstream's attributes), 2500 claims
allocated before (half the devices), then 2500 pods from one ResourceClaimTemplate, each
asking for one device. Measured: pods/s of `simulate` for those pods, next to the same pods
without claims on the same nodes (resources only) in the same run; upstream's live floor
for this workload is 56 pods/s."""

from __future__ import annotations

import json
import time

from kubesched.framework.profile import default_profile
from kubesched.model.cluster import read_cluster
from kubesched.sim.simulate import simulate
from tests.perf import perf_node, perf_pod

DRIVER = "test-driver.cdi.k8s.io"
UPSTREAM_FLOOR = 56


def _slice(i: int, devices: int) -> dict:
    return {"apiVersion": "resource.k8s.io/v1", "kind": "ResourceSlice", "metadata": {"name": f"resourceslice-{i}"},
            "spec": {"driver": DRIVER, "nodeName": f"node-{i}",
                     "pool": {"name": f"resourceslice-{i}", "generation": 1, "resourceSliceCount": 1},
                     "devices": [{"name": f"basic-device-{d}", "attributes": {
                         "driverVersion": {"version": "1.2.3"}, "model": {"string": "B60"},
                         "pciRoot": {"string": f"0{d % 2}"}, "type": {"string": "gpu"}, "sriov": {"bool": True}},
                         "capacity": {"memory": {"value": "24480Mi"}, "millicores": {"value": "1k"}}}
                         for d in range(devices)]}}


def _allocated_claim(k: int, node: int, device: int) -> dict:
    return {"apiVersion": "resource.k8s.io/v1", "kind": "ResourceClaim",
            "metadata": {"name": f"init-claim-{k}", "namespace": "init"},
            "spec": {"devices": {"requests": [{"name": "req-0", "exactly": {"deviceClassName": "test-class"}}]}},
            "status": {"allocation": {"devices": {"results": [{"request": "req-0", "driver": DRIVER,
                                                               "pool": f"resourceslice-{node}",
                                                               "device": f"basic-device-{device}"}]},
                                      "nodeSelector": {"nodeSelectorTerms": [{"matchFields": [
                                          {"key": "metadata.name", "operator": "In", "values": [f"node-{node}"]}]}]}}}}


def workload(nodes: int, devices: int, init_claims: int, pods: int, claims: bool) -> list[dict]:
    objects = [perf_node(i) for i in range(nodes)]
    if claims:
        objects += [_slice(i, devices) for i in range(nodes)]
        objects.append({"apiVersion": "resource.k8s.io/v1", "kind": "DeviceClass", "metadata": {"name": "test-class"},
                        "spec": {"selectors": [{"cel": {"expression": f'device.driver == "{DRIVER}"'}}]}})
        objects += [_allocated_claim(k, k % nodes, k // nodes) for k in range(init_claims)]
        objects.append({"apiVersion": "resource.k8s.io/v1", "kind": "ResourceClaimTemplate",
                        "metadata": {"name": "test-claim-template", "namespace": "test"},
                        "spec": {"spec": {"devices": {"requests": [
                            {"name": "req-0", "exactly": {"deviceClassName": "test-class"}}]}}}})
    extra = {"resourceClaims": [{"name": "resource", "resourceClaimTemplateName": "test-claim-template"}]} \
        if claims else {}
    for i in range(pods):
        pod = perf_pod(i, extra_spec=extra)
        pod["metadata"]["namespace"] = "test"
        objects.append(pod)
    return objects


def _simulate(tmp_path, name: str, objects: list[dict]):
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}))
    cluster = read_cluster([str(path)], warn=lambda m: None)
    start = time.perf_counter()
    result = simulate(cluster, {"default-scheduler": default_profile()})
    return result, time.perf_counter() - start


def test_scheduling_with_resource_claim_template(benchmark, tmp_path, record_result, request):
    disabled = request.config.getoption("benchmark_disable", False)
    nodes, devices, init_claims, pods = (20, 10, 100, 100) if disabled else (500, 10, 2500, 2500)
    with_claims = workload(nodes, devices, init_claims, pods, claims=True)
    (result, seconds) = benchmark.pedantic(lambda: _simulate(tmp_path, "dra", with_claims), rounds=1, iterations=1)
    placed = [p for p in result.placements if p.node is not None]
    assert len(placed) == pods, "the free half of the devices serves every pod"
    taken = [(p.node, d["device"]) for p in placed for c in p.claims for d in c["devices"]]
    assert len(set(taken)) == pods and all(d["pool"] == f"resourceslice-{p.node.split('-')[1]}"
                                           for p in placed for c in p.claims for d in c["devices"])
    # none of the devices the claims allocated before hold (device k // nodes of node k % nodes)
    allocated_before = {(f"node-{k % nodes}", f"basic-device-{k // nodes}") for k in range(init_claims)}
    assert not allocated_before & set(taken), "a device allocated before was given again"
    resources_only, plain_seconds = _simulate(tmp_path, "plain", workload(nodes, devices, init_claims, pods,
                                                                           claims=False))
    assert all(p.node is not None for p in resources_only.placements)
    if disabled:
        return
    record_result("dra_scheduler_perf_in_memory", {"workload": "SchedulingWithResourceClaimTemplate/5000pods_500nodes",
                                                   "nodes": nodes, "devices_per_node": devices,
                                                   "allocated_before": init_claims, "measured_pods": pods,
                                                   "kubesched_pods_per_second": round(pods / seconds),
                                                   "resources_only_pods_per_second": round(pods / plain_seconds),
                                                   "upstream_floor_pods_per_second": UPSTREAM_FLOOR})
