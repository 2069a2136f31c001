"""`kubesched run` places GPU-sharing pods on kwok nodes with GPUs: every pod is bound with
a `kubesched.io/gpu-indices` annotation, no GPU holds more than 1000 milli, and a restarted
scheduler reads the GPUs of bound pods back from their annotations."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from tests.integration.live_fixtures import (  # noqa: F401 (fixtures)
    KWOK_TOLERATION, RunningScheduler, create_pod, list_pods, live_kube, live_plane, namespace, pod,
    scheduled_condition, scheduler_name, wait_decided)

pytestmark = pytest.mark.integration

GPUS = 4
MODELS = ("T4", "T4", "V100")
HELD = 2


def gpu_node(name: str, model: str, taint: dict) -> dict:
    from kubesched.cluster.nodes import NodeShape, node_manifest

    manifest = node_manifest(0, NodeShape(cpu="64", memory="256Gi"))
    manifest["metadata"]["name"] = name
    manifest["metadata"]["labels"].update({"kubernetes.io/hostname": name, "kubesched.io/gpu-model": model})
    manifest["spec"]["taints"].append(taint)
    for field in ("capacity", "allocatable"):
        manifest["status"][field] = {**manifest["status"][field], "kubesched.io/gpu": str(GPUS)}
    return manifest


def gpu_pod(name: str, scheduler: str, taint: dict, annotations: dict, **spec) -> dict:
    return pod(name, scheduler, "500m", "1Gi", meta={"annotations": annotations},
               tolerations=[KWOK_TOLERATION, {"key": taint["key"], "operator": "Exists", "effect": "NoSchedule"}],
               **spec)


def fgd_config(path, scheduler: str):
    path.write_text(json.dumps({
        "apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration",
        "profiles": [{"schedulerName": scheduler, "plugins": {
            "multiPoint": {"disabled": [{"name": "*"}]},
            "filter": {"enabled": [{"name": n} for n in
                                   ("NodeUnschedulable", "NodeResourcesFit", "NodeAffinity", "TaintToleration")]},
            "score": {"enabled": [{"name": "FGDScore", "weight": 1}]}}}]}))
    return path


def wait_bound(kube, namespace: str, names: set[str], timeout: float = 60) -> dict[str, dict]:
    deadline = time.monotonic() + timeout
    while True:
        pods = {p["metadata"]["name"]: p for p in list_pods(kube, namespace)}
        if all(pods.get(n, {}).get("spec", {}).get("nodeName") for n in names):
            return pods
        if time.monotonic() > deadline:
            missing = sorted(n for n in names if not pods.get(n, {}).get("spec", {}).get("nodeName"))
            raise AssertionError(f"not bound after {timeout}s: {missing}")
        time.sleep(0.2)


def check_gpus(pods: dict[str, dict], models: dict[str, str]) -> dict[tuple[str, int], int]:
    """Every pod's annotation holds as many valid GPUs as it asks for, of a model it accepts,
    and no GPU is given more than 1000 milli. The milli used per (node, GPU)."""
    from kubesched.model.gpu import gpu_indices, gpu_request
    from kubesched.model.pods import PodParser

    parser = PodParser()
    used: dict[tuple[str, int], int] = {}
    for name, obj in pods.items():
        parsed = parser.parse(obj)
        request = gpu_request(parsed)
        node = obj["spec"]["nodeName"]
        indices = gpu_indices(parsed)
        assert indices is not None, f"{name} has no kubesched.io/gpu-indices"
        assert len(indices) == request.count and all(0 <= g < GPUS for g in indices), (name, indices)
        assert not request.models or models[node] in request.models, (name, node)
        for g in indices:
            used[node, g] = used.get((node, g), 0) + request.milli
    assert max(used.values()) <= 1000, used
    return used


def test_gpu_pods_bound_with_valid_indices_and_read_back_after_restart(
        live_plane, live_kube, namespace, scheduler_name, tmp_path):
    suffix = uuid.uuid4().hex[:6]
    taint = {"key": f"kubesched.io/gpu-test-{suffix}", "value": "only", "effect": "NoSchedule"}
    models = {f"gpu-{suffix}-{i}": model for i, model in enumerate(MODELS)}
    for name, model in models.items():
        live_kube.request("POST", "/api/v1/nodes", gpu_node(name, model, taint))
    config = fgd_config(tmp_path / "config.json", scheduler_name)
    schedulers: list[RunningScheduler] = []
    try:
        stored = live_kube.request("GET", f"/api/v1/nodes/gpu-{suffix}-0")
        assert stored["status"]["allocatable"]["kubesched.io/gpu"] == str(GPUS)
        # A pod bound by someone else holds GPU 2 of the first node, as its annotation says
        # (by default a whole-GPU pod would take the lowest-numbered free GPU).
        held = gpu_pod("held", "someone-else", taint, {"kubesched.io/gpu-count": "1",
                                                       "kubesched.io/gpu-indices": str(HELD)},
                       nodeName=f"gpu-{suffix}-0")
        create_pod(live_kube, namespace, held)

        # 8700 of the 11000 milli free, the pods that are hardest to place first. Names sort
        # in creation order, so the queue's order is the same whether a pod is listed or watched.
        shapes = [("v100", {"kubesched.io/gpu-milli": "300", "kubesched.io/gpu-models": "V100"})] * 2 \
            + [("whole", {"kubesched.io/gpu-count": "1"})] * 2 + [("pair", {"kubesched.io/gpu-count": "2"})] \
            + [("big", {"kubesched.io/gpu-milli": "700"})] * 3 + [("half", {"kubesched.io/gpu-milli": "500"})] * 2 \
            + [("quarter", {"kubesched.io/gpu-milli": "250"})] * 4
        first = {f"p{i:02d}-{kind}": annotations for i, (kind, annotations) in enumerate(shapes)}
        schedulers.append(RunningScheduler(live_plane.kubeconfig, config, tmp_path / "run-0.log"))
        for name, annotations in first.items():
            create_pod(live_kube, namespace, gpu_pod(name, scheduler_name, taint, annotations))
        pods = wait_bound(live_kube, namespace, set(first) | {"held"})
        used = check_gpus(pods, models)
        assert not any(f"gpu-{suffix}-0" == p["spec"]["nodeName"] and HELD in
                       [int(g) for g in p["metadata"]["annotations"]["kubesched.io/gpu-indices"].split(",")]
                       for name, p in pods.items() if name != "held")
        too_big = gpu_pod("too-big", scheduler_name, taint, {"kubesched.io/gpu-count": str(GPUS + 1)})
        create_pod(live_kube, namespace, too_big)
        condition = scheduled_condition(wait_decided(live_kube, namespace, "too-big"))
        assert condition["status"] == "False" and "Insufficient kubesched.io/gpu" in condition["message"]

        # A new scheduler learns the GPUs of the bound pods from their annotations only. One
        # pod per T4 GPU with room, exactly its free milli, largest first: each fits only
        # where the scheduler sees that much free, so all bind only if it sees the GPUs right.
        schedulers[0].terminate()
        free = {(node, g): 1000 - used.get((node, g), 0) for node in models for g in range(GPUS)}
        room = sorted(((milli, key) for key, milli in free.items() if milli >= 100 and models[key[0]] == "T4"),
                      reverse=True)
        second = {f"fill-{i:02d}": {"kubesched.io/gpu-milli": str(milli), "kubesched.io/gpu-models": "T4"}
                  for i, (milli, _) in enumerate(room)}
        schedulers.append(RunningScheduler(live_plane.kubeconfig, config, tmp_path / "run-1.log"))
        for name, annotations in second.items():
            create_pod(live_kube, namespace, gpu_pod(name, scheduler_name, taint, annotations))
        pods = wait_bound(live_kube, namespace, set(first) | set(second) | {"held"})
        pods.pop("too-big", None)
        used = check_gpus(pods, models)
        # Each T4 GPU with room got exactly the pod made to fill it: all are full now.
        assert all(used.get((node, g)) == 1000 for node in models if models[node] == "T4" for g in range(GPUS)
                   if free[node, g] >= 100), used
    finally:
        for running in schedulers:
            running.kill()
        live_kube.request("DELETE", f"/api/v1/namespaces/{namespace}")
        for name in models:
            live_kube.request("DELETE", f"/api/v1/nodes/{name}")

