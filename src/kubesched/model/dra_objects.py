"""Reading DeviceClasses, ResourceSlices, ResourceClaims and ResourceClaimTemplates
(`resource.k8s.io/v1`) from manifests, validated as the API server validates the fields the
scheduler reads. A mistake is an InputError naming the file, the object and the field."""

from __future__ import annotations

import re
from collections.abc import Iterable

from kubesched.dra.cel import CelError, compiled
from kubesched.errors import InputError
from kubesched.model.dra_records import (
    ALL, API_VERSION, EXACT_COUNT, Allocation, Attribute, ClaimSpec, Device, DeviceClass, DeviceRequest,
    DeviceResult, DeviceTaint, DeviceToleration, DraObjects, MatchAttribute, ResourceClaim, ResourceClaimTemplate,
    ResourceSlice, SubRequest)
from kubesched.model.dra_capacity import binding_conditions, capacity_requests, consumed_capacity, device_conditions, request_policy
from kubesched.model.dra_records import Capacity
from kubesched.model.dra_taint_rules import parse_taint_rule, with_taint_rules
from kubesched.model.fields import boolean, integer, mapping, one_of, sequence, string, string_map, timestamp
from kubesched.model.manifests import Manifest
from kubesched.model.quantity import parse_quantity
from kubesched.model.selectors import parse_node_selector_term
from kubesched.model.validation import dns_label, dns_subdomain, labels as check_labels, qualified_name

DRA_KINDS = ("DeviceClass", "ResourceSlice", "ResourceClaim", "ResourceClaimTemplate", "DeviceTaintRule")
MAX_REQUESTS = 32  # resourceapi.DeviceRequestsMaxSize
MAX_SUBREQUESTS = 8  # FirstAvailableDeviceRequestMaxSize
MAX_SLICE_DEVICES = 128
MAX_SELECTORS = 32
MAX_CEL_LENGTH = 10 * 1024
MAX_STRING_ATTRIBUTE = 64
_C_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
                     r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
                     r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?")
TAINT_EFFECTS = ("NoSchedule", "NoExecute", "None")


def read_dra_objects(by_kind: dict[str, list[Manifest]]) -> DraObjects:
    objects = DraObjects()
    for manifest in by_kind.get("DeviceClass", ()):
        _located(manifest, lambda: _add_class(objects, manifest.obj))
    for manifest in by_kind.get("ResourceSlice", ()):
        _located(manifest, lambda: objects.slices.append(parse_slice(manifest.obj)))
    names = set()
    for s in objects.slices:
        if s.name in names:
            raise InputError("duplicate ResourceSlice: another one in the input has this name",
                             obj=f"ResourceSlice {s.name}", field="metadata.name")
        names.add(s.name)
    for manifest in by_kind.get("DeviceTaintRule", ()):
        _located(manifest, lambda: objects.taint_rules.append(parse_taint_rule(manifest.obj, _name)))
    objects.slices = with_taint_rules(objects.slices, objects.taint_rules)
    for manifest in by_kind.get("ResourceClaim", ()):
        _located(manifest, lambda: _add_keyed(objects.claims, parse_claim(manifest.obj, manifest.file), "ResourceClaim"))
    for manifest in by_kind.get("ResourceClaimTemplate", ()):
        _located(manifest, lambda: _add_keyed(objects.templates, parse_template(manifest.obj), "ResourceClaimTemplate"))
    return objects


def _located(manifest: Manifest, read) -> None:
    meta = manifest.obj.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    name = meta.get("name") if isinstance(meta.get("name"), str) else "?"
    namespace = meta.get("namespace") if isinstance(meta.get("namespace"), str) else ""
    kind = manifest.kind
    label = f"{kind} {namespace or 'default'}/{name}" if kind in ("ResourceClaim", "ResourceClaimTemplate") \
        else f"{kind} {name}"
    try:
        version = manifest.obj.get("apiVersion")
        if version is not None and version != API_VERSION:
            raise InputError(f"expected {API_VERSION!r} for a {kind} (the version kube-scheduler v1.37 reads), "
                             f"got {version!r}", field="apiVersion")
        read()
    except InputError as e:
        raise e.located(file=manifest.file or None, obj=label) from None


def _add_class(objects: DraObjects, obj: dict) -> None:
    device_class = parse_class(obj)
    if device_class.name in objects.classes:
        raise InputError("duplicate DeviceClass: another one in the input has this name", field="metadata.name")
    objects.classes[device_class.name] = device_class


def _add_keyed(target: dict, item, kind: str) -> None:
    key = f"{item.namespace}/{item.name}"
    if key in target:
        raise InputError(f"duplicate {kind}: another one in the input has this namespace and name",
                         field="metadata.name")
    target[key] = item


def _name(obj: dict, namespaced: bool) -> tuple[str, str]:
    meta = mapping(obj.get("metadata"), "metadata")
    name = string(meta.get("name"), "metadata.name")
    if not name:
        raise InputError("a name is required", field="metadata.name")
    dns_subdomain(name, "metadata.name")
    namespace = ""
    if namespaced:
        namespace = string(meta.get("namespace"), "metadata.namespace") or "default"
        dns_label(namespace, "metadata.namespace")
    return namespace, name


def _selectors(value: object, path: str) -> tuple[str, ...]:
    items = sequence(value, path)
    if len(items) > MAX_SELECTORS:
        raise InputError(f"must have at most {MAX_SELECTORS} items", field=path)
    expressions = []
    for i, item in enumerate(items):
        item = mapping(item, f"{path}[{i}]")
        cel = mapping(item.get("cel"), f"{path}[{i}].cel")
        if not cel:
            raise InputError("exactly one selector type is required (cel)", field=f"{path}[{i}]")
        expression = string(cel.get("expression"), f"{path}[{i}].cel.expression")
        if not expression.strip():
            raise InputError("Required value", field=f"{path}[{i}].cel.expression")
        if len(expression) > MAX_CEL_LENGTH:
            raise InputError(f"must have at most {MAX_CEL_LENGTH} bytes", field=f"{path}[{i}].cel.expression")
        try:
            compiled(expression)  # the API server refuses an expression that does not compile
        except CelError as error:
            raise InputError(str(error), field=f"{path}[{i}].cel.expression") from None
        expressions.append(expression)
    return tuple(expressions)


def parse_class(obj: dict) -> DeviceClass:
    _, name = _name(obj, namespaced=False)
    spec = mapping(obj.get("spec"), "spec")
    extended = string(spec.get("extendedResourceName"), "spec.extendedResourceName")
    if extended:
        qualified_name(extended, "spec.extendedResourceName", "extended resource name")
        if "/" not in extended or extended.startswith("kubernetes.io/"):
            raise InputError(f"invalid extended resource name {extended!r}: a domain-qualified name outside "
                             "kubernetes.io", field="spec.extendedResourceName")
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    created = timestamp(meta.get("creationTimestamp"), "metadata.creationTimestamp")
    return DeviceClass(name, _selectors(spec.get("selectors"), "spec.selectors"), extended, created)


def qualify(name: str, driver: str, path: str) -> str:
    """A device attribute or capacity name, fully qualified: the driver's domain when the
    name has none. The domain is a DNS subdomain, the ID a C identifier of at most 32."""
    domain, slash, identifier = name.rpartition("/")
    if not _C_IDENTIFIER.fullmatch(identifier) or len(identifier) > 32:
        raise InputError(f"invalid name {name!r}: the ID must be a C identifier of at most 32 characters", field=path)
    if slash:
        if len(domain) > 63:
            raise InputError(f"invalid name {name!r}: the domain must be at most 63 characters", field=path)
        dns_subdomain(domain, path)
        return name
    return f"{driver}/{identifier}"


def _attribute(value: object, path: str) -> Attribute:
    value = mapping(value, path)
    kinds = [k for k in ("int", "bool", "string", "version") if value.get(k) is not None]
    if len(kinds) != 1:
        raise InputError("exactly one value must be specified (int, bool, string or version)", field=path)
    kind = kinds[0]
    if kind == "int":
        return Attribute("int", integer(value["int"], f"{path}.int"))
    if kind == "bool":
        return Attribute("bool", boolean(value["bool"], f"{path}.bool"))
    text = string(value[kind], f"{path}.{kind}")
    if kind == "string" and len(text) > MAX_STRING_ATTRIBUTE:
        raise InputError(f"must have at most {MAX_STRING_ATTRIBUTE} bytes", field=f"{path}.string")
    if kind == "version" and not _SEMVER.fullmatch(text):
        raise InputError(f"invalid version {text!r}: must be a semantic version (semver 2.0.0)", field=f"{path}.version")
    return Attribute(kind, text)


def _quantity(value: object, path: str):
    try:
        return parse_quantity(value)
    except InputError as e:
        raise InputError(e.problem, field=path) from None
    except (ValueError, TypeError):
        raise InputError(f"invalid quantity {value!r}", field=path) from None


def _counters(value: object, path: str) -> dict:
    counters = {}
    for name, counter in mapping(value, path).items():
        dns_label(name, f"{path}[{name}]")
        counters[name] = _quantity(mapping(counter, f"{path}[{name}]").get("value"), f"{path}[{name}].value")
    return counters


def _node_selector(value: object, path: str):
    if value is None:
        return None
    terms = sequence(mapping(value, path).get("nodeSelectorTerms"), f"{path}.nodeSelectorTerms")
    if len(terms) != 1:
        raise InputError("must have exactly one node selector term", field=f"{path}.nodeSelectorTerms")
    return tuple(parse_node_selector_term(t, f"{path}.nodeSelectorTerms[{i}]") for i, t in enumerate(terms))


def _taints(value: object, path: str) -> tuple[DeviceTaint, ...]:
    taints = []
    for i, taint in enumerate(sequence(value, path)):
        taint = mapping(taint, f"{path}[{i}]")
        key = qualified_name(string(taint.get("key"), f"{path}[{i}].key"), f"{path}[{i}].key")
        effect = one_of(string(taint.get("effect"), f"{path}[{i}].effect"), TAINT_EFFECTS, f"{path}[{i}].effect")
        taints.append(DeviceTaint(key, string(taint.get("value"), f"{path}[{i}].value"), effect))
    return tuple(taints)


def _device(obj: object, driver: str, per_device: bool, path: str) -> Device:
    obj = mapping(obj, path)
    name = dns_label(string(obj.get("name"), f"{path}.name"), f"{path}.name")
    attributes = {}
    for key, value in mapping(obj.get("attributes"), f"{path}.attributes").items():
        full = qualify(key, driver, f"{path}.attributes[{key}]")
        attributes[full] = _attribute(value, f"{path}.attributes[{key}]")
    capacity, consumable = {}, {}
    shared = boolean(obj.get("allowMultipleAllocations"), f"{path}.allowMultipleAllocations")
    for key, value in mapping(obj.get("capacity"), f"{path}.capacity").items():
        full = qualify(key, driver, f"{path}.capacity[{key}]")
        where = f"{path}.capacity[{key}]"
        amount = _quantity(mapping(value, where).get("value"), f"{where}.value")
        capacity[full] = amount
        consumable[key] = Capacity(amount, request_policy(mapping(value, where).get("requestPolicy"), amount, shared,
                                                          f"{where}.requestPolicy"))
    if len(attributes) + len(capacity) > 32:
        raise InputError("at most 32 attributes and capacities together", field=path)
    consumes = []
    for i, item in enumerate(sequence(obj.get("consumesCounters"), f"{path}.consumesCounters")):
        item = mapping(item, f"{path}.consumesCounters[{i}]")
        counter_set = dns_label(string(item.get("counterSet"), f"{path}.consumesCounters[{i}].counterSet"),
                                f"{path}.consumesCounters[{i}].counterSet")
        consumes.append((counter_set, _counters(item.get("counters"), f"{path}.consumesCounters[{i}].counters")))
    node_name = string(obj.get("nodeName"), f"{path}.nodeName")
    node_selector = _node_selector(obj.get("nodeSelector"), f"{path}.nodeSelector")
    all_nodes = boolean(obj.get("allNodes"), f"{path}.allNodes")
    chosen = sum((bool(node_name), node_selector is not None, all_nodes))
    if per_device and chosen != 1:
        raise InputError("exactly one of nodeName, nodeSelector and allNodes is required with "
                         "spec.perDeviceNodeSelection", field=path)
    if not per_device and chosen:
        raise InputError("nodeName, nodeSelector and allNodes of a device need spec.perDeviceNodeSelection",
                         field=path)
    conditions, failures = binding_conditions(obj, path)
    return Device(name, attributes, capacity, tuple(consumes), _taints(obj.get("taints"), f"{path}.taints"),
                  node_name, node_selector, all_nodes, boolean(obj.get("bindsToNode"), f"{path}.bindsToNode"),
                  shared, consumable, conditions, failures)


def parse_slice(obj: dict) -> ResourceSlice:
    _, name = _name(obj, namespaced=False)
    spec = mapping(obj.get("spec"), "spec")
    driver = string(spec.get("driver"), "spec.driver")
    if not driver:
        raise InputError("Required value", field="spec.driver")
    if len(driver) > 63:
        raise InputError("must be no more than 63 characters", field="spec.driver")
    dns_subdomain(driver, "spec.driver")
    pool = mapping(spec.get("pool"), "spec.pool")
    pool_name = string(pool.get("name"), "spec.pool.name")
    if not pool_name:
        raise InputError("Required value", field="spec.pool.name")
    for part in pool_name.split("/"):
        dns_subdomain(part, "spec.pool.name")
    generation = integer(pool.get("generation"), "spec.pool.generation", 0)
    count = integer(pool.get("resourceSliceCount"), "spec.pool.resourceSliceCount", 0)
    if generation < 0:
        raise InputError("must be greater than or equal to 0", field="spec.pool.generation")
    if count <= 0:
        raise InputError("must be greater than zero", field="spec.pool.resourceSliceCount")
    node_name = string(spec.get("nodeName"), "spec.nodeName")
    if node_name:
        dns_subdomain(node_name, "spec.nodeName")
    node_selector = _node_selector(spec.get("nodeSelector"), "spec.nodeSelector")
    all_nodes = boolean(spec.get("allNodes"), "spec.allNodes")
    per_device = boolean(spec.get("perDeviceNodeSelection"), "spec.perDeviceNodeSelection")
    shared = []
    for i, item in enumerate(sequence(spec.get("sharedCounters"), "spec.sharedCounters")):
        item = mapping(item, f"spec.sharedCounters[{i}]")
        set_name = dns_label(string(item.get("name"), f"spec.sharedCounters[{i}].name"), f"spec.sharedCounters[{i}].name")
        shared.append((set_name, _counters(item.get("counters"), f"spec.sharedCounters[{i}].counters")))
    devices = sequence(spec.get("devices"), "spec.devices")
    chosen = sum((bool(node_name), node_selector is not None, all_nodes, per_device))
    if chosen != 1 and not (shared and not devices and chosen == 0):
        raise InputError("exactly one of nodeName, nodeSelector, allNodes and perDeviceNodeSelection is required",
                         field="spec")
    if len(devices) > MAX_SLICE_DEVICES:
        raise InputError(f"must have at most {MAX_SLICE_DEVICES} items", field="spec.devices")
    parsed = tuple(_device(d, driver, per_device, f"spec.devices[{i}]") for i, d in enumerate(devices))
    seen = set()
    for i, device in enumerate(parsed):
        if device.name in seen:
            raise InputError(f"Duplicate value: {device.name!r}", field=f"spec.devices[{i}].name")
        seen.add(device.name)
    return ResourceSlice(name, driver, pool_name, generation, count, parsed, node_name, node_selector, all_nodes,
                         per_device, tuple(shared))


def _tolerations(value: object, path: str) -> tuple[DeviceToleration, ...]:
    tolerations = []
    for i, item in enumerate(sequence(value, path)):
        item = mapping(item, f"{path}[{i}]")
        key = string(item.get("key"), f"{path}[{i}].key")
        if key:
            qualified_name(key, f"{path}[{i}].key")
        operator = one_of(string(item.get("operator"), f"{path}[{i}].operator") or "Equal", ("Equal", "Exists"),
                          f"{path}[{i}].operator")
        effect = string(item.get("effect"), f"{path}[{i}].effect")
        if effect:
            one_of(effect, TAINT_EFFECTS, f"{path}[{i}].effect")
        tolerations.append(DeviceToleration(key, operator, string(item.get("value"), f"{path}[{i}].value"), effect))
    return tuple(tolerations)


def _sub_request(obj: dict, name: str, path: str) -> SubRequest:
    class_name = string(obj.get("deviceClassName"), f"{path}.deviceClassName")
    if not class_name:
        raise InputError("Required value", field=f"{path}.deviceClassName")
    dns_subdomain(class_name, f"{path}.deviceClassName")
    mode = one_of(string(obj.get("allocationMode"), f"{path}.allocationMode") or EXACT_COUNT, (EXACT_COUNT, ALL),
                  f"{path}.allocationMode")
    count = integer(obj.get("count"), f"{path}.count")
    if mode == ALL and count is not None:
        raise InputError("must not be specified when allocationMode is All", field=f"{path}.count")
    if mode == EXACT_COUNT:
        count = 1 if count is None else count
        if count <= 0:
            raise InputError("must be greater than zero", field=f"{path}.count")
    return SubRequest(name, class_name, _selectors(obj.get("selectors"), f"{path}.selectors"), mode, count or 0,
                      boolean(obj.get("adminAccess"), f"{path}.adminAccess"),
                      _tolerations(obj.get("tolerations"), f"{path}.tolerations"),
                      capacity_requests(obj.get("capacity"), f"{path}.capacity"))


def parse_claim_spec(obj: object, path: str) -> ClaimSpec:
    devices = mapping(mapping(obj, path).get("devices"), f"{path}.devices")
    requests = []
    names = set()
    items = sequence(devices.get("requests"), f"{path}.devices.requests")
    if len(items) > MAX_REQUESTS:
        raise InputError(f"must have at most {MAX_REQUESTS} items", field=f"{path}.devices.requests")
    for i, item in enumerate(items):
        where = f"{path}.devices.requests[{i}]"
        item = mapping(item, where)
        name = dns_label(string(item.get("name"), f"{where}.name"), f"{where}.name")
        if name in names:
            raise InputError(f"Duplicate value: {name!r}", field=f"{where}.name")
        names.add(name)
        exactly, first = item.get("exactly"), sequence(item.get("firstAvailable"), f"{where}.firstAvailable")
        if (exactly is None) == (not first):
            raise InputError("exactly one of exactly and firstAvailable is required", field=where)
        if exactly is not None:
            requests.append(DeviceRequest(name, exactly=_sub_request(mapping(exactly, f"{where}.exactly"), name,
                                                                     f"{where}.exactly")))
            continue
        if len(first) > MAX_SUBREQUESTS:
            raise InputError(f"must have at most {MAX_SUBREQUESTS} items", field=f"{where}.firstAvailable")
        subs, sub_names = [], set()
        for j, sub in enumerate(first):
            sub_path = f"{where}.firstAvailable[{j}]"
            sub = mapping(sub, sub_path)
            sub_name = dns_label(string(sub.get("name"), f"{sub_path}.name"), f"{sub_path}.name")
            if sub_name in sub_names:
                raise InputError(f"Duplicate value: {sub_name!r}", field=f"{sub_path}.name")
            sub_names.add(sub_name)
            subs.append(_sub_request(sub, sub_name, sub_path))
        requests.append(DeviceRequest(name, first_available=tuple(subs)))
    constraints = []
    for i, item in enumerate(sequence(devices.get("constraints"), f"{path}.devices.constraints")):
        where = f"{path}.devices.constraints[{i}]"
        item = mapping(item, where)
        attribute = string(item.get("matchAttribute"), f"{where}.matchAttribute")
        distinct = string(item.get("distinctAttribute"), f"{where}.distinctAttribute")
        if bool(attribute) == bool(distinct):
            raise InputError("exactly one constraint type is required (matchAttribute or distinctAttribute)",
                             field=where)
        kind = "matchAttribute" if attribute else "distinctAttribute"
        attribute = attribute or distinct
        if "/" not in attribute:
            raise InputError("must include a domain", field=f"{where}.{kind}")
        qualify(attribute, "", f"{where}.{kind}")
        referenced = tuple(string(r, f"{where}.requests[{j}]")
                           for j, r in enumerate(sequence(item.get("requests"), f"{where}.requests")))
        for j, name in enumerate(referenced):
            base = name.split("/", 1)[0]
            if base not in names:
                raise InputError(f"Invalid value: {name!r}: must be the name of a request in the claim",
                                 field=f"{where}.requests[{j}]")
        constraints.append(MatchAttribute(attribute, referenced, distinct=bool(distinct)))
    return ClaimSpec(tuple(requests), tuple(constraints))


def _allocation(obj: object, path: str) -> Allocation | None:
    if obj is None:
        return None
    obj = mapping(obj, path)
    results = []
    for i, item in enumerate(sequence(mapping(obj.get("devices"), f"{path}.devices").get("results"),
                                      f"{path}.devices.results")):
        where = f"{path}.devices.results[{i}]"
        item = mapping(item, where)
        results.append(DeviceResult(string(item.get("request"), f"{where}.request"),
                                    string(item.get("driver"), f"{where}.driver"),
                                    string(item.get("pool"), f"{where}.pool"),
                                    string(item.get("device"), f"{where}.device"),
                                    boolean(item.get("adminAccess"), f"{where}.adminAccess"),
                                    string(item.get("shareID"), f"{where}.shareID"),
                                    consumed_capacity(item.get("consumedCapacity"), f"{where}.consumedCapacity"),
                                    *binding_conditions(item, where)))
    raw_selector = obj.get("nodeSelector")
    return Allocation(tuple(results), _node_selector(raw_selector, f"{path}.nodeSelector"),
                      raw_selector if isinstance(raw_selector, dict) else None,
                      timestamp(obj.get("allocationTimestamp"), f"{path}.allocationTimestamp"))


def parse_claim(obj: dict, file: str = "") -> ResourceClaim:
    namespace, name = _name(obj, namespaced=True)
    meta = mapping(obj.get("metadata"), "metadata")
    spec = parse_claim_spec(obj.get("spec"), "spec")
    status = mapping(obj.get("status"), "status")
    owner_uid = owner_name = ""
    for i, ref in enumerate(sequence(meta.get("ownerReferences"), "metadata.ownerReferences")):
        ref = mapping(ref, f"metadata.ownerReferences[{i}]")
        if ref.get("controller") is True and ref.get("kind") == "Pod":
            owner_uid = string(ref.get("uid"), f"metadata.ownerReferences[{i}].uid")
            owner_name = string(ref.get("name"), f"metadata.ownerReferences[{i}].name")
    reserved = [dict(mapping(r, f"status.reservedFor[{i}]"))
                for i, r in enumerate(sequence(status.get("reservedFor"), "status.reservedFor"))]
    return ResourceClaim(namespace, name, spec, string(meta.get("uid"), "metadata.uid"), owner_uid, owner_name,
                         meta.get("deletionTimestamp") is not None, _allocation(status.get("allocation"),
                                                                                "status.allocation"),
                         reserved, file, device_conditions(status.get("devices"), "status.devices"))


def parse_template(obj: dict) -> ResourceClaimTemplate:
    namespace, name = _name(obj, namespaced=True)
    spec = mapping(obj.get("spec"), "spec")
    labels = check_labels(string_map(mapping(spec.get("metadata"), "spec.metadata").get("labels"),
                                     "spec.metadata.labels"), "spec.metadata.labels")
    return ResourceClaimTemplate(namespace, name, parse_claim_spec(spec.get("spec"), "spec.spec"),
                                 tuple(sorted(labels.items())))


def pod_claim_references(pod_obj: dict) -> list[tuple[str, str, str]]:
    """A pod's spec.resourceClaims as (name, resourceClaimName, resourceClaimTemplateName)."""
    spec = pod_obj.get("spec") if isinstance(pod_obj, dict) else None
    items = sequence(mapping(spec, "spec").get("resourceClaims"), "spec.resourceClaims")
    references, names = [], set()
    for i, item in enumerate(items):
        where = f"spec.resourceClaims[{i}]"
        item = mapping(item, where)
        name = dns_label(string(item.get("name"), f"{where}.name"), f"{where}.name")
        if name in names:
            raise InputError(f"Duplicate value: {name!r}", field=f"{where}.name")
        names.add(name)
        claim = string(item.get("resourceClaimName"), f"{where}.resourceClaimName")
        template = string(item.get("resourceClaimTemplateName"), f"{where}.resourceClaimTemplateName")
        if bool(claim) == bool(template):
            raise InputError("must specify one of: `resourceClaimName`, `resourceClaimTemplateName`", field=where)
        dns_subdomain(claim or template, f"{where}.{'resourceClaimName' if claim else 'resourceClaimTemplateName'}")
        references.append((name, claim, template))
    return references


def pod_claim_statuses(pod_obj: dict) -> dict[str, str | None]:
    """status.resourceClaimStatuses: pod claim name → generated claim name (None: none needed)."""
    status = mapping(pod_obj.get("status"), "status")
    result = {}
    for i, item in enumerate(sequence(status.get("resourceClaimStatuses"), "status.resourceClaimStatuses")):
        item = mapping(item, f"status.resourceClaimStatuses[{i}]")
        name = string(item.get("name"), f"status.resourceClaimStatuses[{i}].name")
        result[name] = string(item.get("resourceClaimName"), f"status.resourceClaimStatuses[{i}].resourceClaimName") \
            or None
    return result


def dra_kinds_present(kinds: Iterable[str]) -> bool:
    return any(kind in DRA_KINDS for kind in kinds)


def check_pod_claims(pods) -> None:
    """Each pod's spec.resourceClaims and status.resourceClaimStatuses, read once where the
    file is known."""
    without = None  # the last spec without claims: a workload's replicas share their template's
    for pod in pods:
        raw = pod.raw or {}
        spec = raw.get("spec")
        if spec is without:
            continue
        if not (isinstance(spec, dict) and spec.get("resourceClaims")):
            without = spec
            continue
        try:
            pod_claim_references(raw)
            pod_claim_statuses(raw)
        except InputError as e:
            raise e.located(file=pod.source or None, obj=f"Pod {pod.key}") from None
