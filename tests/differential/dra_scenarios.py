"""The `dra` family of the differential scenarios: DeviceClasses, ResourceSlices (per node,
per node selector, all nodes; pools of several slices, obsolete generations, partitionable
devices with shared counters, tainted devices), ResourceClaims and their templates, and
pods that name them — claims from templates (with the resourceclaim controller's
`status.resourceClaimStatuses`), shared claims, claims allocated earlier.

Its random choices come from a generator of their own, seeded from the scenario's seed, so
the objects of the other families are what they were without it.
"""

from __future__ import annotations

import random

from tests.conformance.dra_builders import API, claim_template, device_class, resource_slice

DRIVER = "gpu.example.com"
NIC_DRIVER = "nic.example.com"
MODELS = ("a100", "h100", "l4")
MEMORY = ("16Gi", "40Gi", "80Gi")
SELECTORS = (
    f'device.attributes["{DRIVER}"].model == "h100"',
    f'device.attributes["{DRIVER}"].model != "l4"',
    f'device.capacity["{DRIVER}"].memory.compareTo(quantity("40Gi")) >= 0',
    f'device.capacity["{DRIVER}"].memory.isLessThan(quantity("50Gi"))',
    f'device.attributes["{DRIVER}"].driverVersion.isGreaterThan(semver("1.5.0"))',
    f'device.attributes["{DRIVER}"].numa == 0',
    f'"{DRIVER}" in device.attributes && device.attributes["{DRIVER}"].model.startsWith("a")',
)


def add_dra(seed: int, objects: list[dict], chance: float = 0.4) -> list[dict]:
    """The scenario's objects with DRA objects added to some seeds, and some pending pods
    made to claim devices."""
    rng = random.Random(f"dra-{seed}")
    if rng.random() >= chance:
        return objects
    nodes = [o for o in objects if o["kind"] == "Node"]
    pending = [o for o in objects if o["kind"] == "Pod" and not o["spec"].get("nodeName")
               and not o["metadata"]["name"].startswith("invalid-")]
    if not nodes or not pending:
        return objects
    added: list[dict] = [device_class("gpu", DRIVER), device_class("nic", NIC_DRIVER)]
    if rng.random() < 0.5:
        added.append(device_class("big-gpu", DRIVER, (SELECTORS[2],)))
    slices, devices = _slices(rng, nodes)
    added += slices
    templates = [_template(rng, i) for i in range(rng.randint(1, 3))]
    added += templates
    shared = [_claim_object(rng, f"shared-{i}", rng.choice(("default", "team-a")), _claim_spec(rng))
              for i in range(rng.randint(0, 2))]
    if shared and devices and rng.random() < 0.4:
        _allocate(shared[0], rng.choice(devices))
    added += shared
    copies: dict[tuple[str, str], dict] = {}  # a template in another namespace, made once
    for pod in rng.sample(pending, k=min(len(pending), rng.randint(1, 6))):
        added += _claim_for(rng, pod, templates, shared, copies)
    return objects + added


def _device(rng: random.Random, name: str, numa: int) -> dict:
    device = {"name": name, "attributes": {"model": {"string": rng.choice(MODELS)}, "numa": {"int": numa},
                                           "driverVersion": {"version": rng.choice(("1.2.0", "1.10.1", "2.0.0"))}},
              "capacity": {"memory": {"value": rng.choice(MEMORY)}}}
    if rng.random() < 0.1:
        device["taints"] = [{"key": "example.com/unhealthy", "value": "true",
                             "effect": rng.choice(("NoSchedule", "NoExecute", "None"))}]
    return device


def _slice(name: str, node: str, devices: list[dict], *, generation: int = 1, count: int = 1, **spec) -> dict:
    """A slice of GPUs in `node`'s pool."""
    return resource_slice(name, devices, node_name=node, pool=node, driver=DRIVER, generation=generation, count=count,
                          **spec)


def _slices(rng: random.Random, nodes: list[dict]) -> tuple[list[dict], list[tuple[str, str, str, str]]]:
    """Slices and the (driver, pool, device, node) of the devices local to one node."""
    slices, devices = [], []
    for node in nodes:
        name = node["metadata"]["name"]
        if rng.random() < 0.35:
            continue
        shape = rng.random()
        if shape < 0.15:  # partitionable: one GPU as two halves or one whole, sharing counters
            counters = _slice(f"{name}-counters", name, [], count=2, sharedCounters=[
                {"name": "gpu-0", "counters": {"memory": {"value": "80Gi"}}}])
            del counters["spec"]["devices"]  # a slice of shared counters only
            slices.append(counters)
            parts = []
            for part, amount in (("whole", "80Gi"), ("half-0", "40Gi"), ("half-1", "40Gi")):
                device = _device(rng, f"gpu-0-{part}", 0)
                device["capacity"] = {"memory": {"value": amount}}
                device["consumesCounters"] = [{"counterSet": "gpu-0", "counters": {"memory": {"value": amount}}}]
                parts.append(device)
            slices.append(_slice(f"{name}-gpus", name, parts, count=2))
            devices += [(DRIVER, name, d["name"], name) for d in parts]
            continue
        count = rng.randint(1, 8)
        gpus = [_device(rng, f"gpu-{i}", i * 2 // count) for i in range(count)]
        if shape < 0.3 and count > 1:  # the pool in two slices, named so that name order matters
            half = count // 2
            slices.append(_slice(f"{name}-gpus-b", name, gpus[:half], count=2))
            slices.append(_slice(f"{name}-gpus-a", name, gpus[half:], count=2))
        elif shape < 0.4:  # a newer generation replaces an older one
            slices.append(_slice(f"{name}-gpus-old", name, [_device(rng, "gpu-old", 0)]))
            slices.append(_slice(f"{name}-gpus", name, gpus, generation=2))
        elif shape < 0.45:  # incomplete: the second slice is missing
            slices.append(_slice(f"{name}-gpus", name, gpus, count=2))
            continue
        else:
            slices.append(_slice(f"{name}-gpus", name, gpus))
        devices += [(DRIVER, name, d["name"], name) for d in gpus]
    if rng.random() < 0.4:  # network-attached devices for a zone, or for every node
        if rng.random() < 0.5:
            where = {"nodeSelector": {"nodeSelectorTerms": [{"matchExpressions": [
                {"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["zone-0"]}]}]}}
        else:
            where = {"allNodes": True}
        nics = [{"name": f"nic-{i}", "attributes": {"numa": {"int": 0}, "model": {"string": "cx7"}}}
                for i in range(rng.randint(1, 3))]
        slices.append(resource_slice("fabric-nics", nics, node_name=None, pool="fabric", driver=NIC_DRIVER, generation=1, **where))
    return slices, devices


def _request(rng: random.Random, name: str) -> dict:
    request: dict = {"deviceClassName": rng.choice(("gpu", "gpu", "gpu", "big-gpu", "nic"))}
    mode = rng.random()
    if mode < 0.1:
        request["allocationMode"] = "All"
    elif mode < 0.6:
        request["count"] = rng.randint(1, 3)
    if request["deviceClassName"] != "nic" and rng.random() < 0.5:
        request["selectors"] = [{"cel": {"expression": e}} for e in rng.sample(SELECTORS, rng.randint(1, 2))]
    if rng.random() < 0.15:
        request["tolerations"] = [{"key": "example.com/unhealthy", "operator": "Exists"}]
    return request


def _claim_spec(rng: random.Random) -> dict:
    requests = []
    for r in range(rng.choice((1, 1, 1, 2))):
        if rng.random() < 0.25:
            requests.append({"name": f"req-{r}", "firstAvailable": [
                {"name": f"alt-{a}", **_request(rng, f"alt-{a}")} for a in range(rng.randint(2, 3))]})
        else:
            requests.append({"name": f"req-{r}", "exactly": _request(rng, f"req-{r}")})
    devices: dict = {"requests": requests}
    if rng.random() < 0.25:
        devices["constraints"] = [{"matchAttribute": f"{DRIVER}/numa"}]
    return {"devices": devices}


def _template(rng: random.Random, i: int) -> dict:
    return claim_template(f"template-{i}", _claim_spec(rng))


def _claim_object(rng: random.Random, name: str, namespace: str, spec: dict, owner: dict | None = None) -> dict:
    meta: dict = {"name": name, "namespace": namespace}
    if owner is not None:
        meta["ownerReferences"] = [{"apiVersion": "v1", "kind": "Pod", "name": owner["metadata"]["name"],
                                    "uid": owner["metadata"]["uid"], "controller": True,
                                    "blockOwnerDeletion": True}]
        meta["annotations"] = {"resource.kubernetes.io/pod-claim-name": "gpus"}
    return {"apiVersion": API, "kind": "ResourceClaim", "metadata": meta, "spec": spec}


def _allocate(claim: dict, device: tuple[str, str, str, str]) -> None:
    """The claim allocated earlier: its first request on one node's device."""
    driver, pool, name, node = device
    claim["spec"] = {"devices": {"requests": [{"name": "req-0", "exactly": {"deviceClassName": "gpu"}}]}}
    claim["status"] = {"allocation": {
        "devices": {"results": [{"request": "req-0", "driver": driver, "pool": pool, "device": name}]},
        "nodeSelector": {"nodeSelectorTerms": [{"matchFields": [
            {"key": "metadata.name", "operator": "In", "values": [node]}]}]}}}


def template_in(template: dict, namespace: str, copies: dict[tuple[str, str], dict]) -> tuple[dict, list[dict]]:
    """The template as the pod's namespace has it (outside default a copy of its own, made
    once: `copies`), and the objects to add for it."""
    if namespace == "default":
        return template, []
    key = (template["metadata"]["name"], namespace)
    if key in copies:
        return copies[key], []
    copies[key] = {**template, "metadata": {"namespace": namespace, "name": f"{key[0]}-{namespace}"}}
    return copies[key], [copies[key]]


def _claim_for(rng: random.Random, pod: dict, templates: list[dict], shared: list[dict],
               copies: dict[tuple[str, str], dict]) -> list[dict]:
    """Make the pod claim devices: a claim of its own from a template, as the controller
    would have made it, or a shared claim in its namespace. Returns the objects to add."""
    namespace = pod["metadata"].get("namespace") or "default"
    mine = [c for c in shared if c["metadata"]["namespace"] == namespace]
    pod["metadata"]["uid"] = f"00000000-0000-4000-8000-{rng.getrandbits(48):012x}"
    if mine and rng.random() < 0.4:
        pod["spec"]["resourceClaims"] = [{"name": "gpus", "resourceClaimName": rng.choice(mine)["metadata"]["name"]}]
        return []
    template, added = template_in(rng.choice(templates), namespace, copies)
    claim_name = f"{pod['metadata']['name']}-gpus-{rng.choice(('x7k2p', 'b9w4z', 'm5q8d'))}"
    pod["spec"]["resourceClaims"] = [{"name": "gpus", "resourceClaimTemplateName": template["metadata"]["name"]}]
    pod["status"] = {"resourceClaimStatuses": [{"name": "gpus", "resourceClaimName": claim_name}]}
    added.append(_claim_object(rng, claim_name, namespace, template["spec"]["spec"], owner=pod))
    return added
