"""Objects for the DynamicResources cases, in the API's form (dicts), read through
kubesched's own parsers so that each case also passes the validation."""

from __future__ import annotations

from kubesched.dra.allocator import Allocator, ClaimToAllocate
from kubesched.dra.inventory import Inventory
from kubesched.model.dra_objects import parse_claim, parse_class, parse_slice
from kubesched.model.nodes import parse_node

API = "resource.k8s.io/v1"
DRIVER_A = "driver-a"
DRIVER_B = "driver-b"
NODE_1, NODE_2 = "node-1", "node-2"


def node(name: str = NODE_1, labels: dict | None = None):
    return parse_node({"metadata": {"name": name, "labels": {"region": "region-1", **(labels or {})}},
                       "status": {"allocatable": {"cpu": "8", "memory": "32Gi", "pods": "110"}}})


def device_class(name: str = "class-a", driver: str | None = DRIVER_A, selectors: tuple[str, ...] = (),
                 **spec) -> dict:
    """Upstream's class(name, driver): a class that selects its driver's devices (with no
    driver, only what `selectors` select)."""
    expressions = [f'device.driver == "{driver}"', *selectors] if driver else list(selectors)
    return {"apiVersion": API, "kind": "DeviceClass", "metadata": {"name": name},
            "spec": {"selectors": [{"cel": {"expression": e}} for e in expressions], **spec}}


def device(name: str, capacity: dict | None = None, attributes: dict | None = None, **more) -> dict:
    result = {"name": name, **more}
    if capacity:
        result["capacity"] = {k: {"value": v} for k, v in capacity.items()}
    if attributes:
        result["attributes"] = attributes
    return result


def resource_slice(name: str, devices: list[dict], *, node_name: str | None = NODE_1, pool: str = "pool-1",
                   driver: str = DRIVER_A, generation: int = 0, count: int = 1, **spec) -> dict:
    """A slice of `node_name`'s (None: `spec` says where: nodeSelector, allNodes)."""
    body = {"driver": driver, "pool": {"name": pool, "generation": generation, "resourceSliceCount": count},
            "devices": devices, **spec}
    if node_name:
        body["nodeName"] = node_name
    return {"apiVersion": API, "kind": "ResourceSlice", "metadata": {"name": name}, "spec": body}


def request(name: str, device_class_name: str = "class-a", count: int | None = 1, selectors: tuple[str, ...] = (),
            **more) -> dict:
    exactly = {"deviceClassName": device_class_name, **more}
    if count is not None:
        exactly["count"] = count
    if selectors:
        exactly["selectors"] = [{"cel": {"expression": e}} for e in selectors]
    return {"name": name, "exactly": exactly}


def first_available(name: str, *alternatives: dict) -> dict:
    return {"name": name, "firstAvailable": [{"name": a["name"], **a["exactly"]} for a in alternatives]}


def claim_template(name: str, spec: dict, namespace: str = "default") -> dict:
    """A ResourceClaimTemplate whose claims have `spec` (a ResourceClaimSpec)."""
    return {"apiVersion": API, "kind": "ResourceClaimTemplate", "metadata": {"name": name, "namespace": namespace},
            "spec": {"spec": spec}}


def claim(name: str, *requests: dict, constraints: list[dict] | None = None, namespace: str = "default",
          allocation: dict | None = None, **meta) -> dict:
    obj = {"apiVersion": API, "kind": "ResourceClaim",
           "metadata": {"name": name, "namespace": namespace, **meta},
           "spec": {"devices": {"requests": list(requests), **({"constraints": constraints} if constraints else {})}}}
    if allocation is not None:
        obj["status"] = {"allocation": allocation}
    return obj


def allocate(claims: list[dict], classes: list[dict], slices: list[dict], on=None, allocated=()):
    """Upstream's allocator test: the claims on one node, as (request, driver, pool, device)
    per claim, or the reason it cannot."""
    inventory = Inventory([parse_slice(s) for s in slices])
    allocator = Allocator(inventory, {c["metadata"]["name"]: parse_class(c) for c in classes}, set(allocated))
    parsed = [parse_claim(c) for c in claims]
    result = allocator.allocate(on or node(), [ClaimToAllocate(c.key, c.spec) for c in parsed])
    if isinstance(result, str):
        return result
    return [[(r.request, r.driver, r.pool, r.device) for r in a.results] for a in result]
