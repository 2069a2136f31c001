"""A sub-family of `dra`: devices that allow multiple allocations (consumable capacity,
on by default in v1.37). Slices of devices shared by several claims, with a `memory`
capacity under no policy, a validRange or validValues; claims from templates that ask
for amounts of it (or for none: the policy's default, or everything), in `exactly` or
`firstAvailable` requests, with distinctAttribute or matchAttribute constraints; a
claim allocated earlier that holds a share; and DeviceTaintRules that taint devices of
this family or of `dra` (which requests tolerate or not).

Its random choices come from a generator of its own, seeded from the scenario's seed, so
the objects of the other families (and of `dra`) are what they were without it.
"""

from __future__ import annotations

import random

from tests.conformance.dra_builders import API, claim_template, device_class, resource_slice

from .dra_scenarios import _claim_object, template_in

DRIVER = "share.example.com"
MODELS = ("t4", "a10")
CAPACITIES = ("8Gi", "16Gi", "40Gi")
AMOUNTS = ("1Gi", "2Gi", "2Gi", "3Gi", "4Gi", "6Gi", "8Gi", "20Gi")


def add_dra_sharing(seed: int, objects: list[dict], chance: float = 0.3) -> list[dict]:
    rng = random.Random(f"dra-sharing-{seed}")
    if rng.random() >= chance:
        return objects
    nodes = [o for o in objects if o["kind"] == "Node"]
    pending = [o for o in objects if o["kind"] == "Pod" and not o["spec"].get("nodeName")
               and not o["metadata"]["name"].startswith("invalid-") and not o["spec"].get("resourceClaims")]
    if not nodes or not pending:
        return objects
    added: list[dict] = [device_class("shared-gpu", None, (
                             f'device.driver == "{DRIVER}" && device.allowMultipleAllocations',)),
                         device_class("any-share-gpu", DRIVER)]
    devices = []
    for node in rng.sample(nodes, k=rng.randint(1, min(2, len(nodes)))):  # few: pods come to share them
        name = node["metadata"]["name"]
        parts = [_device(rng, f"vgpu-{i}", i) for i in range(rng.randint(1, 2))]
        if rng.random() < 0.25:
            parts.append({"name": "whole-gpu", "attributes": {"model": {"string": rng.choice(MODELS)},
                                                             "numa": {"int": 0}},
                          "capacity": {"memory": {"value": rng.choice(CAPACITIES)}}})
        added.append(resource_slice(f"{name}-shared", parts, node_name=name, pool=f"{name}-shared", driver=DRIVER, generation=1))
        devices += [(name, d) for d in parts if d.get("allowMultipleAllocations")]
    templates = [_template(rng, i) for i in range(rng.randint(1, 2))]
    if devices and rng.random() < 0.4:
        added.append(_holding(rng, *rng.choice(devices)))
    if rng.random() < 0.4:
        added += _taint_rules(rng, nodes)
    copies: dict[tuple[str, str], dict] = {}
    for pod in rng.sample(pending, k=min(len(pending), rng.randint(3, 8))):
        added += _claim_for(rng, pod, templates, copies)
    return objects + added + [t for t in templates if t not in added]


def _taint_rules(rng: random.Random, nodes: list[dict]) -> list[dict]:
    """DeviceTaintRules: a driver's devices on one node, or one device name everywhere, or
    (without a selector) none."""
    rules = []
    for i in range(rng.randint(1, 2)):
        shape = rng.random()
        if shape < 0.5:
            node = rng.choice(nodes)["metadata"]["name"]
            selector = rng.choice(({"driver": DRIVER, "pool": f"{node}-shared"}, {"pool": node}))
        elif shape < 0.85:
            selector = {"device": rng.choice(("vgpu-0", "vgpu-1", "gpu-0", "whole-gpu"))}
        else:
            selector = None
        spec: dict = {"taint": {"key": "example.com/maintenance", "value": "planned",
                                "effect": rng.choice(("NoSchedule", "NoExecute", "None"))}}
        if selector is not None:
            spec["deviceSelector"] = selector
        rules.append({"apiVersion": API, "kind": "DeviceTaintRule", "metadata": {"name": f"maintenance-{i}"},
                      "spec": spec})
    return rules


def _device(rng: random.Random, name: str, numa: int) -> dict:
    value = rng.choice(CAPACITIES)
    memory: dict = {"value": value}
    policy = rng.random()
    if policy < 0.35:
        memory["requestPolicy"] = {"default": "2Gi", "validRange": {"min": "2Gi", "step": "2Gi", "max": value}}
    elif policy < 0.6:
        memory["requestPolicy"] = {"default": "4Gi", "validValues": sorted({"4Gi", "8Gi", value},
                                                                         key=lambda v: int(v[:-2]))}
    device = {"name": name, "allowMultipleAllocations": True,
              "attributes": {"model": {"string": rng.choice(MODELS)}, "numa": {"int": numa}},
              "capacity": {"memory": memory}}
    if rng.random() < 0.3:
        device["capacity"]["cores"] = {"value": str(rng.choice((2, 4)))}
    return device


def _request(rng: random.Random) -> dict:
    request: dict = {"deviceClassName": rng.choice(("shared-gpu", "shared-gpu", "any-share-gpu"))}
    if rng.random() < 0.75:
        wanted = {"memory": rng.choice(AMOUNTS)}
        if rng.random() < 0.15:
            wanted["cores"] = "1"
        request["capacity"] = {"requests": wanted}
    if rng.random() < 0.2:
        request["count"] = 2
    if rng.random() < 0.2:
        request["tolerations"] = [{"key": "example.com/maintenance", "operator": "Exists"}]
    if rng.random() < 0.2:
        request["selectors"] = [{"cel": {"expression": f'device.attributes["{DRIVER}"].model == "t4"'}}]
    return request


def _claim_spec(rng: random.Random) -> dict:
    requests = []
    for r in range(rng.choice((1, 1, 2))):
        if rng.random() < 0.25:
            requests.append({"name": f"req-{r}", "firstAvailable": [
                {"name": f"alt-{a}", **_request(rng)} for a in range(2)]})
        else:
            requests.append({"name": f"req-{r}", "exactly": _request(rng)})
    devices: dict = {"requests": requests}
    shape = rng.random()
    if shape < 0.25:
        devices["constraints"] = [{"distinctAttribute": f"{DRIVER}/{rng.choice(('numa', 'model'))}"}]
    elif shape < 0.35:
        devices["constraints"] = [{"matchAttribute": f"{DRIVER}/model"}]
    return {"devices": devices}


def _template(rng: random.Random, i: int) -> dict:
    return claim_template(f"shared-template-{i}", _claim_spec(rng))


def _holding(rng: random.Random, node: str, device: dict) -> dict:
    """A claim allocated earlier (by a pod not in the scenario) holding a share of the device."""
    claim = _claim_object(rng, "earlier-share", "default", {"devices": {"requests": [
        {"name": "req-0", "exactly": {"deviceClassName": "shared-gpu",
                                      "capacity": {"requests": {"memory": "2Gi"}}}}]}})
    consumed = {"memory": "2Gi" if "validValues" not in device["capacity"]["memory"].get("requestPolicy", {})
                else "4Gi"}
    if "cores" in device["capacity"]:
        consumed["cores"] = device["capacity"]["cores"]["value"]
    claim["status"] = {"allocation": {
        "devices": {"results": [{"request": "req-0", "driver": DRIVER, "pool": f"{node}-shared",
                                 "device": device["name"], "shareID": f"00000000-0000-4000-8000-{rng.getrandbits(48):012x}",
                                 "consumedCapacity": consumed}]},
        "nodeSelector": {"nodeSelectorTerms": [{"matchFields": [
            {"key": "metadata.name", "operator": "In", "values": [node]}]}]}}}
    return claim


def _claim_for(rng: random.Random, pod: dict, templates: list[dict], copies: dict[tuple[str, str], dict]) -> list[dict]:
    """The pod claims devices from a template: its claim as the resourceclaim controller made it."""
    namespace = pod["metadata"].get("namespace") or "default"
    pod["metadata"]["uid"] = f"00000000-0000-4000-9000-{rng.getrandbits(48):012x}"
    template, added = template_in(rng.choice(templates), namespace, copies)
    claim_name = f"{pod['metadata']['name']}-vgpu-{rng.choice(('q2w7e', 'z8x4c', 'p3o9i'))}"
    pod["spec"]["resourceClaims"] = [{"name": "vgpu", "resourceClaimTemplateName": template["metadata"]["name"]}]
    pod["status"] = {"resourceClaimStatuses": [{"name": "vgpu", "resourceClaimName": claim_name}]}
    added.append(_claim_object(rng, claim_name, namespace, template["spec"]["spec"], owner=pod))
    return added
