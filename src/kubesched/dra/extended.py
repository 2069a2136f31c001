"""Extended resources backed by DRA (KEP-5004; DRAExtendedResource is GA and locked on in
v1.37): a pod asking `example.com/gpu: 2` of a resource that a DeviceClass names in
`spec.extendedResourceName` (or `deviceclass.resource.kubernetes.io/<class>`, every class's
implicit name), on a node whose allocatable does not list it, is served by devices of that
class. NodeResourcesFit leaves such a resource to DynamicResources, which allocates it
through one claim of the pod's own, made after the pod's other claims: per container a
request `container-<i>-request-<j>` (i: the container's index among init containers then
containers, j: the resource's index among the container's sorted request names) for the
count it asks; an init container that runs to completion first reuses the requests of the
long-running containers after it and asks only for the rest, and of those init requests
only the largest is kept. Requests are sorted by name.

Per node, as upstream's filterExtendedResources: the claim asks only for the resources the
node's allocatable lacks (DraCluster.on_node); where device plugins list them all it is left
out and NodeResourcesFit checks them there.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from fractions import Fraction

from kubesched.model.dra_records import ClaimSpec, DeviceClass, DeviceRequest, ResourceClaim, SubRequest
from kubesched.model.names import name_suffix
from kubesched.model.quantity import is_extended_resource, parse_quantity
from kubesched.model.records import Pod

IMPLICIT_PREFIX = "deviceclass.resource.kubernetes.io/"
CLAIM_ANNOTATION = "resource.kubernetes.io/extended-resource-claim"
_EPOCH = datetime.min.replace(tzinfo=timezone.utc)


def classes_by_resource(classes: dict[str, DeviceClass]) -> dict[str, DeviceClass]:
    """Resource name -> the class that serves it. Two classes naming one resource: the
    newer one, then the lower name (as the scheduler's extended resource cache picks)."""
    mapping: dict[str, DeviceClass] = {}
    for device_class in classes.values():
        mapping[IMPLICIT_PREFIX + device_class.name] = device_class
    explicit: dict[str, DeviceClass] = {}
    for device_class in classes.values():
        name = device_class.extended_resource_name
        if not name:
            continue
        held = explicit.get(name)
        if held is None or (_created(device_class), _reversed(device_class.name)) > \
                (_created(held), _reversed(held.name)):
            explicit[name] = device_class
    mapping.update(explicit)
    return mapping


def _created(device_class: DeviceClass) -> datetime:
    if not device_class.created:
        return _EPOCH
    return datetime.fromisoformat(device_class.created.replace("Z", "+00:00"))


def _reversed(name: str) -> tuple:
    """Orders names so that the lower name compares greater."""
    return tuple(-ord(c) for c in name) + (1,)


def is_dra_extended_name(name: str) -> bool:
    return is_extended_resource(name) or name.startswith(IMPLICIT_PREFIX)


def _containers(pod: Pod) -> tuple[list[dict], int]:
    spec = (pod.raw or {}).get("spec")
    spec = spec if isinstance(spec, dict) else {}
    init = [c for c in spec.get("initContainers") or [] if isinstance(c, dict)]
    regular = [c for c in spec.get("containers") or [] if isinstance(c, dict)]
    return init + regular, len(init)


def _requests(container: dict) -> dict:
    """The container's requests as the API server defaults them (a limit alone is the request)."""
    resources = container.get("resources") if isinstance(container.get("resources"), dict) else {}
    requests = dict(resources.get("requests") or {}) if isinstance(resources.get("requests") or {}, dict) else {}
    limits = resources.get("limits") if isinstance(resources.get("limits"), dict) else {}
    for name, value in limits.items():
        requests.setdefault(name, value)
    return requests


def _whole(value: object) -> int:
    try:
        amount = parse_quantity(value)
    except (ValueError, TypeError):
        return 0
    return int(amount) if isinstance(amount, Fraction) and amount.denominator == 1 else 0


def backed_resources(pod: Pod, mapping: dict[str, DeviceClass]) -> list[str]:
    """The resources the pod asks for that a device class serves, sorted."""
    containers, _ = _containers(pod)
    names = {name for c in containers for name, value in _requests(c).items()
             if name in mapping and is_dra_extended_name(name) and _whole(value) > 0}
    return sorted(names)


def claim_spec(pod: Pod, resources: list[str], mapping: dict[str, DeviceClass]) -> ClaimSpec:
    containers, init_count = _containers(pod)
    long_lived = [i for i, c in enumerate(containers) if i >= init_count or c.get("restartPolicy") == "Always"]
    short_lived = [i for i in range(init_count) if i not in long_lived]
    requests: list[DeviceRequest] = []
    for name in resources:
        class_name = mapping[name].name
        own: list[DeviceRequest | None] = [None] * len(containers)
        for i in long_lived:
            own[i] = _container_request(i, containers[i], name, class_name, [])
        largest = None
        for i in short_lived:
            request = _container_request(i, containers[i], name, class_name, own[i:])
            if request is not None and (largest is None or largest.exactly.count < request.exactly.count):
                largest = request
        requests += ([largest] if largest is not None else []) + [r for r in own if r is not None]
    return ClaimSpec(tuple(sorted(requests, key=lambda r: r.name)))


def request_mappings(pod: Pod, resources: list[str], mapping: dict[str, DeviceClass]) -> list[dict]:
    """`pod.status.extendedResourceClaimStatus.requestMappings` as the scheduler writes them:
    per resource (sorted), the long-lived containers' then the short-lived init containers'
    {containerName, resourceName, requestName}; an init container maps first to the requests
    of the long-lived containers after it that it reuses, and the init requests not kept are
    mapped to the largest one, which is."""
    containers, init_count = _containers(pod)
    long_lived = [i for i, c in enumerate(containers) if i >= init_count or c.get("restartPolicy") == "Always"]
    short_lived = [i for i in range(init_count) if i not in long_lived]
    mappings: list[dict] = []
    for name in resources:
        class_name = mapping[name].name
        own: list[DeviceRequest | None] = [None] * len(containers)
        long_mappings: list[dict] = []
        for i in long_lived:
            own[i] = _container_request(i, containers[i], name, class_name, [])
            if own[i] is not None:
                long_mappings.append(_mapping(containers[i], name, own[i].name))
        short_mappings: list[dict] = []
        largest = None
        short_names: set[str] = set()
        for i in short_lived:
            reused: list[str] = []
            request = _container_request(i, containers[i], name, class_name, own[i:], reused)
            short_mappings += [_mapping(containers[i], name, r) for r in reused]
            if request is not None:
                short_names.add(request.name)
                short_mappings.append(_mapping(containers[i], name, request.name))
                if largest is None or largest.exactly.count < request.exactly.count:
                    largest = request
        if largest is not None and len(short_names) > 1:
            for entry in short_mappings:
                if entry["requestName"] in short_names and entry["requestName"] != largest.name:
                    entry["requestName"] = largest.name
        mappings += long_mappings + short_mappings
    return mappings


def _mapping(container: dict, resource: str, request: str) -> dict:
    return {"containerName": container.get("name") or "", "resourceName": resource, "requestName": request}


def claim_manifest(pod: Pod, spec: ClaimSpec) -> dict:
    """The ResourceClaim the scheduler creates for the pod in PreBind (the API server names it)."""
    return {"apiVersion": "resource.k8s.io/v1", "kind": "ResourceClaim",
            "metadata": {"generateName": f"{pod.name}-extended-resources-", "namespace": pod.namespace,
                         "annotations": {CLAIM_ANNOTATION: "true"},
                         "ownerReferences": [{"apiVersion": "v1", "kind": "Pod", "name": pod.name, "uid": pod.uid,
                                              "controller": True}]},
            "spec": {"devices": {"requests": [
                {"name": r.name, "exactly": {"deviceClassName": r.exactly.device_class_name,
                                             "allocationMode": "ExactCount", "count": r.exactly.count}}
                for r in spec.requests]}}}


def is_extended_claim_of(obj: dict, pod_name: str, pod_uid: str) -> bool:
    """The claim the scheduler made for the pod's extended resources (its annotation, the pod
    its controller owner)."""
    meta = obj.get("metadata") or {}
    if (meta.get("annotations") or {}).get(CLAIM_ANNOTATION) != "true":
        return False
    return any(r.get("name") == pod_name and r.get("uid") == pod_uid and r.get("controller") is True
               for r in meta.get("ownerReferences") or [] if isinstance(r, dict))


def _container_request(index: int, container: dict, name: str, class_name: str,
                       reusable: list[DeviceRequest | None], reused: list[str] | None = None) -> DeviceRequest | None:
    requests = _requests(container)
    if name not in requests:
        return None
    wanted = _whole(requests[name])
    if wanted == 0:
        return None
    reused_count = 0
    for request in reusable:
        if request is not None:
            reused_count += request.exactly.count
            if reused is not None:
                reused.append(request.name)
            if reused_count >= wanted:
                return None
    position = sorted(requests).index(name)
    request_name = f"container-{index}-request-{position}"
    return DeviceRequest(request_name, SubRequest(request_name, class_name, count=wanted - reused_count))


def extended_claim(pod: Pod, spec: ClaimSpec, ordinal: int) -> ResourceClaim:
    """The claim the scheduler makes for the pod (generateName `<pod>-extended-resources-`)."""
    generate = f"{pod.name}-extended-resources-"
    if len(generate) > 58:  # metav1's generateName cut: 63 characters with the suffix
        generate = generate[:58]
    name = generate + name_suffix(f"{pod.namespace}/{pod.name}/extended-resources", 0)
    return ResourceClaim(pod.namespace, name, spec, uid=f"simulated-extended-{ordinal}", owner_pod_uid=pod.uid,
                         owner_pod_name=pod.name)


def as_fit_sees(pod: Pod, resources: list[str], advertised: set[str], cache: dict) -> Pod:
    """The pod as NodeResourcesFit sees it: a resource DRA serves and no node lists in its
    allocatable is left out; one some node lists stays, checked on the nodes that list it
    only (upstream's shouldDelegateResourceToDRA)."""
    served = tuple(r for r in resources if r in advertised)
    key = (id(pod.spec), tuple(resources), served)
    spec = cache.get(key)
    if spec is None:
        requests = {k: v for k, v in pod.spec.requests.items() if k not in resources or k in served}
        spec = cache[key] = (pod.spec, replace(pod.spec, requests=requests, dra_served=served))
    return replace(pod, spec=spec[1])
