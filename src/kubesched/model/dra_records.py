"""Dynamic Resource Allocation (`resource.k8s.io/v1`) as the scheduler reads it: device
classes, the devices that drivers publish in ResourceSlices, and the claims pods make.

Only the fields the DynamicResources plugin and its allocator read are kept; quantities are
exact (Fraction), attribute and capacity names fully qualified (`domain/id`, the driver's
domain filled in where a slice leaves it out, as the CEL environment sees them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

from kubesched.model.records import NodeSelectorTerm

API_VERSION = "resource.k8s.io/v1"
EXACT_COUNT = "ExactCount"
ALL = "All"


@dataclass(frozen=True, slots=True)
class Attribute:
    kind: str  # "int", "bool", "string" or "version" (exactly one of the API's *Value fields)
    value: object


@dataclass(frozen=True, slots=True)
class DeviceTaint:
    key: str
    value: str
    effect: str  # NoSchedule, NoExecute or None


@dataclass(frozen=True, slots=True)
class DeviceToleration:
    key: str = ""
    operator: str = "Equal"  # Equal or Exists
    value: str = ""
    effect: str = ""  # "" matches every effect


@dataclass(frozen=True, slots=True)
class RequestPolicy:
    """capacity.<name>.requestPolicy of a device that allows multiple allocations: what a
    request consumes when it names no amount (default), and the amounts it may consume
    (validValues, ascending; or validRange min/max/step), requests rounded up to them."""
    default: Fraction | None = None
    valid_values: tuple[Fraction, ...] = ()
    valid_range: tuple[Fraction, Fraction | None, Fraction | None] | None = None  # (min, max, step)


@dataclass(frozen=True, slots=True)
class Capacity:
    value: Fraction
    policy: RequestPolicy | None = None


@dataclass(frozen=True, slots=True)
class Device:
    name: str
    attributes: dict[str, Attribute]  # fully qualified name → value
    capacity: dict[str, Fraction]  # fully qualified name → quantity
    consumes_counters: tuple[tuple[str, dict[str, Fraction]], ...] = ()  # (counter set, counters)
    taints: tuple[DeviceTaint, ...] = ()
    # Where the device is, for a slice with perDeviceNodeSelection.
    node_name: str = ""
    node_selector: tuple[NodeSelectorTerm, ...] | None = None
    all_nodes: bool = False
    binds_to_node: bool = False
    # Consumable capacity: a device several claims share until its capacity is used up.
    allow_multiple_allocations: bool = False
    consumable: dict[str, Capacity] = field(default_factory=dict)  # capacity by its name as written
    binding_conditions: tuple[str, ...] = ()
    binding_failure_conditions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ResourceSlice:
    name: str
    driver: str
    pool: str
    generation: int
    slice_count: int
    devices: tuple[Device, ...]
    node_name: str = ""
    node_selector: tuple[NodeSelectorTerm, ...] | None = None
    all_nodes: bool = False
    per_device_node_selection: bool = False
    shared_counters: tuple[tuple[str, dict[str, Fraction]], ...] = ()  # (counter set name, counters)


@dataclass(frozen=True, slots=True)
class DeviceClass:
    name: str
    selectors: tuple[str, ...]  # CEL expressions
    extended_resource_name: str = ""
    created: str = ""  # metadata.creationTimestamp: the newer of two classes serves a resource both name


@dataclass(frozen=True, slots=True)
class SubRequest:
    """One alternative of a firstAvailable request, or the `exactly` request itself."""
    name: str
    device_class_name: str
    selectors: tuple[str, ...] = ()
    allocation_mode: str = EXACT_COUNT
    count: int = 1
    admin_access: bool = False
    tolerations: tuple[DeviceToleration, ...] = ()
    capacity_requests: tuple[tuple[str, Fraction], ...] | None = None  # capacity.requests, None: not given


@dataclass(frozen=True, slots=True)
class DeviceRequest:
    name: str
    exactly: SubRequest | None = None
    first_available: tuple[SubRequest, ...] = ()


@dataclass(frozen=True, slots=True)
class MatchAttribute:
    attribute: str  # fully qualified
    requests: tuple[str, ...] = ()  # empty: all requests of the claim
    distinct: bool = False  # a distinctAttribute constraint: every device a different value


@dataclass(frozen=True, slots=True)
class DeviceResult:
    request: str  # "request" or "request/subrequest"
    driver: str
    pool: str
    device: str
    admin_access: bool = False
    share_id: str = ""  # set on a device that allows multiple allocations
    consumed_capacity: tuple[tuple[str, Fraction], ...] = ()
    binding_conditions: tuple[str, ...] = ()  # PreBind waits for these conditions in the claim's device status
    binding_failure_conditions: tuple[str, ...] = ()
    tolerations: tuple[DeviceToleration, ...] = ()

    @property
    def device_id(self) -> tuple[str, str, str]:
        return self.driver, self.pool, self.device

    def to_json(self) -> dict:
        result = {"request": self.request, "driver": self.driver, "pool": self.pool, "device": self.device}
        if self.admin_access:
            result["adminAccess"] = True
        if self.tolerations:
            result["tolerations"] = [_toleration_json(t) for t in self.tolerations]
        if self.binding_conditions:
            result["bindingConditions"] = list(self.binding_conditions)
        if self.binding_failure_conditions:
            result["bindingFailureConditions"] = list(self.binding_failure_conditions)
        if self.share_id:
            result["shareID"] = self.share_id
        if self.consumed_capacity:
            result["consumedCapacity"] = {name: format_quantity(amount) for name, amount in self.consumed_capacity}
        return result


def _toleration_json(toleration: DeviceToleration) -> dict:
    raw = {"operator": toleration.operator}
    for key, value in (("key", toleration.key), ("value", toleration.value), ("effect", toleration.effect)):
        if value:
            raw[key] = value
    return raw


def format_quantity(amount: Fraction) -> str:
    """A quantity as the API reads it back: whole units (in the largest binary suffix that
    is exact: 20Gi), else thousandths, else billionths."""
    if amount.denominator == 1 and amount.numerator and amount.numerator % 1024 == 0:
        for power, suffix in ((6, "Ei"), (5, "Pi"), (4, "Ti"), (3, "Gi"), (2, "Mi"), (1, "Ki")):
            if amount.numerator % 1024**power == 0:
                return f"{amount.numerator // 1024**power}{suffix}"
    for scale, suffix in ((1, ""), (1000, "m"), (10**9, "n")):
        scaled = amount * scale
        if scaled.denominator == 1:
            return f"{scaled.numerator}{suffix}"
    return f"{math.ceil(amount * 10**9)}n"


@dataclass(frozen=True, slots=True)
class Allocation:
    results: tuple[DeviceResult, ...]
    node_selector: tuple[NodeSelectorTerm, ...] | None = None  # None: available on every node
    raw_node_selector: dict | None = None  # as written, for status.allocation
    allocated_at: str = ""  # allocationTimestamp (RFC 3339, UTC)


@dataclass(frozen=True, slots=True)
class ClaimSpec:
    requests: tuple[DeviceRequest, ...]
    constraints: tuple[MatchAttribute, ...] = ()


@dataclass(slots=True)
class ResourceClaim:
    namespace: str
    name: str
    spec: ClaimSpec
    uid: str = ""
    owner_pod_uid: str = ""  # the controller ownerReference of kind Pod, for template claims
    owner_pod_name: str = ""
    deleting: bool = False
    allocation: Allocation | None = None
    reserved_for: list[dict] = field(default_factory=list)  # {resource, name, uid}
    source: str = ""
    # status.devices: the conditions drivers report per allocated device, (driver, pool,
    # device) → condition type → status ("True", "False", "Unknown").
    device_conditions: dict[tuple[str, str, str], dict[str, str]] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True, slots=True)
class ResourceClaimTemplate:
    namespace: str
    name: str
    spec: ClaimSpec
    labels: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class DeviceTaintRule:
    """A taint for the devices its selector picks (None: any driver, pool or device name)."""
    name: str
    taint: DeviceTaint
    selects: bool  # spec.deviceSelector is given (without one, no device is picked)
    driver: str | None = None
    pool: str | None = None
    device: str | None = None


@dataclass
class DraObjects:
    classes: dict[str, DeviceClass] = field(default_factory=dict)
    slices: list[ResourceSlice] = field(default_factory=list)
    claims: dict[str, ResourceClaim] = field(default_factory=dict)  # "ns/name" →
    templates: dict[str, ResourceClaimTemplate] = field(default_factory=dict)  # "ns/name" →
    taint_rules: list[DeviceTaintRule] = field(default_factory=list)  # already applied to the slices

    def __bool__(self) -> bool:
        return bool(self.classes or self.slices or self.claims or self.templates or self.taint_rules)
