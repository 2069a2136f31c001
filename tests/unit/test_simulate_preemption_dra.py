"""simulate and explain with DefaultPreemption for pods with resource claims, as upstream's
v1.37 decides them: DynamicResources' rejections are UnschedulableAndUnresolvable (no
preemption frees devices); a pod whose devices fit elsewhere preempts for CPU; the victims'
claims are released once they are gone (deallocated, or deleted with their pod)."""

from __future__ import annotations

import yaml

from kubesched.cli.options import load_profiles
from kubesched.model.cluster import read_cluster
from kubesched.sim.explain import explain
from kubesched.sim.simulate import simulate

API = "resource.k8s.io/v1"
HIGH = {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "high"}, "value": 1000}
OWNER = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "rs-uid", "controller": True}]


def node(name):
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
            "status": {"allocatable": {"cpu": "2", "memory": "4Gi", "pods": "10"}}}


def gpu_slice(name):
    return {"apiVersion": API, "kind": "ResourceSlice", "metadata": {"name": f"{name}-gpus"},
            "spec": {"driver": "gpu.example.com", "nodeName": name,
                     "pool": {"name": name, "generation": 1, "resourceSliceCount": 1}, "devices": [{"name": "gpu-0"}]}}


GPU_CLASS = {"apiVersion": API, "kind": "DeviceClass", "metadata": {"name": "gpu"},
             "spec": {"selectors": [{"cel": {"expression": 'device.driver == "gpu.example.com"'}}]}}
ONE_GPU = {"devices": {"requests": [{"name": "gpu", "exactly": {"deviceClassName": "gpu"}}]}}
TEMPLATE = {"apiVersion": API, "kind": "ResourceClaimTemplate", "metadata": {"name": "one-gpu", "namespace": "default"},
            "spec": {"spec": ONE_GPU}}


def allocated_claim(name, node_name, pod_name, owned=False):
    """A claim whose n's GPU was allocated to `pod_name` (from a template when `owned`)."""
    meta = {"name": name, "namespace": "default", "uid": f"{name}-uid"}
    if owned:
        meta["ownerReferences"] = [{"apiVersion": "v1", "kind": "Pod", "name": pod_name, "uid": f"{pod_name}-uid",
                                    "controller": True}]
    return {"apiVersion": API, "kind": "ResourceClaim", "metadata": meta, "spec": ONE_GPU,
            "status": {"allocation": {"devices": {"results": [{"request": "gpu", "driver": "gpu.example.com",
                                                               "pool": node_name, "device": "gpu-0"}]},
                                      "nodeSelector": {"nodeSelectorTerms": [{"matchFields": [
                                          {"key": "metadata.name", "operator": "In", "values": [node_name]}]}]}},
                       "reservedFor": [{"resource": "pods", "name": pod_name, "uid": f"{pod_name}-uid"}]}}


def pod(name, cpu, *, node_name=None, high=False, claim=None, template=False, start=None, owner=True):
    meta = {"name": name, "namespace": "default", "uid": f"{name}-uid"}
    if owner:
        meta["ownerReferences"] = OWNER
    spec = {"containers": [{"name": "c", "image": "x", "resources": {"requests": {"cpu": cpu}}}]}
    status = {}
    if claim is not None:
        spec["resourceClaims"] = [{"name": "gpu", "resourceClaimTemplateName": "one-gpu"} if template
                                  else {"name": "gpu", "resourceClaimName": claim}]
        if template and node_name:
            status["resourceClaimStatuses"] = [{"name": "gpu", "resourceClaimName": claim}]
    if node_name:
        spec["nodeName"] = node_name
        status.update({"phase": "Running", "startTime": start or "2026-01-01T00:00:00Z"})
    if high:
        spec["priorityClassName"] = "high"
    obj = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}
    if status:
        obj["status"] = status
    return obj


def cluster(tmp_path, *objects):
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump_all([HIGH, GPU_CLASS, TEMPLATE, node("n1"), node("n2"), gpu_slice("n1"),
                                        gpu_slice("n2"), *objects]))
    return read_cluster([str(path)], warn=lambda message: None)


def test_a_claim_bearing_pod_preempts_where_its_devices_are_free(tmp_path):
    # n1's GPU belongs to low-1; n2's is free. Both nodes are full of CPU.
    case = cluster(tmp_path, allocated_claim("low-1-gpu", "n1", "low-1", owned=True),
                   pod("low-1", "1500m", node_name="n1", claim="low-1-gpu", template=True),
                   pod("low-2", "1500m", node_name="n2", start="2026-01-01T00:00:05Z"),
                   pod("trainer", "1", high=True, claim="one-gpu", template=True))
    placements = [p.to_json() for p in simulate(case, load_profiles(None), preempted="report").placements]
    (trainer,) = placements
    assert trainer["node"] == "n2" and trainer["nominatedNode"] == "n2" and trainer["preempted"] == ["default/low-2"]
    assert [d["device"] for c in trainer["claims"] for d in c["devices"]] == ["gpu-0"]
    report = explain(case, load_profiles(None), "default/trainer")
    # n1 fails NodeResourcesFit first: a candidate, but its GPU stays low-1's in the dry run.
    assert [c["node"] for c in report["preemption"]["candidates"]] == ["n2"]
    assert report["preemption"]["rejected"] == {"n1": ["cannot allocate all claims"]}


def test_devices_taken_by_lower_priority_pods_are_not_freed_by_preemption(tmp_path):
    case = cluster(tmp_path, allocated_claim("low-1-gpu", "n1", "low-1"), allocated_claim("low-2-gpu", "n2", "low-2"),
                   pod("low-1", "100m", node_name="n1", claim="low-1-gpu"),
                   pod("low-2", "100m", node_name="n2", claim="low-2-gpu"),
                   pod("trainer", "100m", high=True, claim="one-gpu", template=True))
    (trainer,) = simulate(case, load_profiles(None)).placements
    assert trainer.node is None and trainer.nominated_node is None
    assert trainer.message == ("0/2 nodes are available: 2 cannot allocate all claims. preemption: 0/2 nodes are "
                               "available: 2 Preemption is not helpful for scheduling.")
    report = explain(case, load_profiles(None), "default/trainer")
    assert report["message"] == trainer.message


def test_a_claim_bearing_pod_without_lower_priority_pods_gets_upstreams_suffix(tmp_path):
    case = cluster(tmp_path, pod("peer-1", "1500m", node_name="n1", high=True),
                   pod("peer-2", "1500m", node_name="n2", high=True),
                   pod("trainer", "1", high=True, claim="one-gpu", template=True))
    (trainer,) = simulate(case, load_profiles(None)).placements
    assert trainer.message == ("0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: "
                               "2 No preemption victims found for incoming pod.")


def test_a_victims_claims_are_released_and_it_gets_a_new_claim_when_recreated(tmp_path):
    # critical (no claims) evicts low-1, whose template claim held n1's GPU; gpu-user then
    # gets that GPU; low-1, recreated by its ReplicaSet, finds none left.
    case = cluster(tmp_path, allocated_claim("low-1-gpu", "n1", "low-1", owned=True),
                   allocated_claim("low-2-gpu", "n2", "low-2"),
                   pod("low-1", "1500m", node_name="n1", claim="low-1-gpu", template=True, start="2026-01-01T00:00:09Z"),
                   pod("low-2", "1500m", node_name="n2", claim="low-2-gpu"),
                   pod("critical", "1", high=True), pod("gpu-user", "100m", claim="one-gpu", template=True))
    result = simulate(case, load_profiles(None))
    placements = {p.pod: p for p in result.placements}
    assert placements["default/critical"].preempted == ["default/low-1"]
    assert placements["default/gpu-user"].node == "n1"
    again = placements["default/low-1"]
    assert again.node is None and again.message.startswith("0/2 nodes are available: 2 Insufficient cpu.")
    claims = result.snapshot.dra.objects.claims
    assert "default/low-1-gpu" not in claims  # deleted with its pod
    (renewed,) = [c for c in claims.values() if c.owner_pod_name == "low-1"]  # the recreated pod's own
    assert renewed.allocation is None
    assert claims["default/low-2-gpu"].allocation is not None  # low-2 was not evicted


def test_a_user_claim_of_a_victim_is_deallocated(tmp_path):
    case = cluster(tmp_path, allocated_claim("low-1-gpu", "n1", "low-1"),
                   pod("low-1", "1500m", node_name="n1", claim="low-1-gpu", owner=False),
                   pod("low-2", "1500m", node_name="n2", start="2026-01-01T00:00:00Z", owner=False),
                   pod("critical", "1", high=True))
    result = simulate(case, load_profiles(None))
    (critical,) = result.placements
    assert critical.preempted == ["default/low-1"]  # started later than low-2
    claim = result.snapshot.dra.objects.claims["default/low-1-gpu"]
    assert claim.allocation is None and claim.reserved_for == []


def test_a_pod_that_prefilter_rejects_is_not_helped_by_preemption(tmp_path):
    missing = {**TEMPLATE, "metadata": {"name": "other-gpu", "namespace": "default"},
               "spec": {"spec": {"devices": {"requests": [{"name": "gpu", "exactly": {"deviceClassName": "tpu"}}]}}}}
    trainer = pod("trainer", "100m", high=True, claim="x", template=True)
    trainer["spec"]["resourceClaims"][0]["resourceClaimTemplateName"] = "other-gpu"
    case = cluster(tmp_path, missing, trainer)
    (placement,) = simulate(case, load_profiles(None)).placements
    assert placement.message == ("0/2 nodes are available: request gpu: device class tpu does not exist. "
                                 "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.")
    report = explain(case, load_profiles(None), "default/trainer")
    assert report["message"] == placement.message
    assert report["nodes"][0]["filters"]["DynamicResources"]["reasons"] == ["request gpu: device class tpu does not exist"]
