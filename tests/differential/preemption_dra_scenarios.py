"""The preemption-dra family: DefaultPreemption where devices are claimed (its own scenario
per seed, `"preemption": true`). Nodes with GPUs published as ResourceSlices, filled with
low- and mid-priority pods of which some hold GPUs through allocated claims (their own,
made from a template, or a user claim reserved for them); pending pods of higher priority,
some claiming GPUs, some only CPU. Decides: that the dry run frees no victim's devices,
that claim-bearing preemptors evict for CPU, and that evicted pods' claims are released
(deallocated, or deleted with their pod) before the next pods are decided."""

from __future__ import annotations

import random

from tests.conformance.dra_builders import API, claim_template, device_class, resource_slice

DRIVER = "gpu.example.com"
HOSTNAME = "kubernetes.io/hostname"
FINALIZER = "resource.kubernetes.io/delete-protection"  # the scheduler adds it when it allocates
CLASSES = (("low", 10), ("mid", 100), ("high", 1000), ("top", 5000))


def generate_preemption_dra(seed: int) -> dict:
    rng = random.Random(f"preemption-dra-{seed}")
    objects: list[dict] = [{"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                            "metadata": {"name": name}, "value": value} for name, value in CLASSES]
    objects.append(device_class("gpu", DRIVER))
    objects += [_template(name, count) for name, count in (("one-gpu", 1), ("two-gpus", 2))]
    free: dict[str, list[str]] = {}
    for i in range(rng.randint(1, 5)):
        name = f"node-{i}"
        objects.append(_node(rng, name))
        count = rng.choice((0, 1, 1, 2, 3))
        if count:
            objects.append(_slice(name, count))
            free[name] = [f"gpu-{d}" for d in range(count)]
    names = [f"node-{i}" for i in range(len([o for o in objects if o["kind"] == "Node"]))]
    for i in range(rng.randint(len(names), 3 * len(names))):
        node = rng.choice(names)
        pod = _pod(rng, f"run-{i}", rng.choice(("low", "low", "mid")), node,
                   start=f"2026-01-01T00:{i // 60:02d}:{i % 60:02d}Z")
        if free.get(node) and rng.random() < 0.6:
            device = free[node].pop(0)
            objects += _hold(rng, pod, node, device)
        objects.append(pod)
    for i in range(rng.randint(1, 5)):
        pod = _pod(rng, f"pod-{i}", rng.choice(("mid", "high", "high", "top")), None)
        if rng.random() < 0.6:
            objects.append(_own_claim(pod, rng.choice(("one-gpu", "one-gpu", "two-gpus"))))
        objects.append(pod)
    return {"objects": objects, "config": None, "preemption": True}


def _node(rng: random.Random, name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {HOSTNAME: name}},
            "spec": {}, "status": {"allocatable": {"cpu": rng.choice(("2", "4")), "memory": "8Gi",
                                       "pods": str(rng.randint(3, 6))}}}


def _slice(node: str, count: int) -> dict:
    return resource_slice(f"{node}-gpus", [{"name": f"gpu-{d}"} for d in range(count)], node_name=node, pool=node,
                          driver=DRIVER, generation=1)


def _template(name: str, count: int) -> dict:
    return claim_template(name, _spec(count))


def _spec(count: int) -> dict:
    return {"devices": {"requests": [{"name": "gpu", "exactly": {"deviceClassName": "gpu", "count": count}}]}}


def _pod(rng: random.Random, name: str, priority_class: str, node: str | None, start: str | None = None) -> dict:
    spec: dict = {"priorityClassName": priority_class, "containers": [
        {"name": "app", "image": "registry.k8s.io/pause:3.10",
         "resources": {"requests": {"cpu": rng.choice(("100m", "500m", "1", "1500m")), "memory": "256Mi"}}}]}
    meta = {"name": name, "namespace": "default", "uid": f"00000000-0000-4000-8000-{rng.getrandbits(48):012x}"}
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}
    if node is not None:
        spec["nodeName"] = node
        pod["status"] = {"phase": "Running", "startTime": start}
    return pod


def _claims_of(pod: dict, reference: dict, claim_name: str | None = None) -> None:
    pod["spec"]["resourceClaims"] = [{"name": "gpus", **reference}]
    pod["spec"]["containers"][0]["resources"]["claims"] = [{"name": "gpus"}]
    if claim_name is not None:  # the resourceclaim controller's name for the template's claim
        pod.setdefault("status", {})["resourceClaimStatuses"] = [{"name": "gpus", "resourceClaimName": claim_name}]


def _claim(name: str, spec: dict, owner: dict | None) -> dict:
    meta: dict = {"name": name, "namespace": "default"}
    if owner is not None:
        meta["ownerReferences"] = [{"apiVersion": "v1", "kind": "Pod", "name": owner["metadata"]["name"],
                                    "uid": owner["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}]
        meta["annotations"] = {"resource.kubernetes.io/pod-claim-name": "gpus"}
    return {"apiVersion": API, "kind": "ResourceClaim", "metadata": meta, "spec": spec}


def _own_claim(pod: dict, template: str) -> dict:
    """A pending pod's claim from a template, made by the controller, not allocated yet."""
    name = f"{pod['metadata']['name']}-gpus-x7k2p"
    _claims_of(pod, {"resourceClaimTemplateName": template}, name)
    return _claim(name, _template(template, 2 if template == "two-gpus" else 1)["spec"]["spec"], pod)


def _hold(rng: random.Random, pod: dict, node: str, device: str) -> list[dict]:
    """The bound pod holds one of its node's GPUs through an allocated claim."""
    owned = rng.random() < 0.6
    name = f"{pod['metadata']['name']}-gpus-{'b9w4z' if owned else 'user'}"
    if owned:
        _claims_of(pod, {"resourceClaimTemplateName": "one-gpu"}, name)
    else:
        _claims_of(pod, {"resourceClaimName": name})
    claim = _claim(name, _spec(1), pod if owned else None)
    claim["metadata"]["finalizers"] = [FINALIZER]
    claim["status"] = {
        "allocation": {"devices": {"results": [{"request": "gpu", "driver": DRIVER, "pool": node, "device": device}]},
                       "nodeSelector": {"nodeSelectorTerms": [{"matchFields": [
                           {"key": "metadata.name", "operator": "In", "values": [node]}]}]}},
        "reservedFor": [{"resource": "pods", "name": pod["metadata"]["name"], "uid": pod["metadata"]["uid"]}]}
    return [claim]
