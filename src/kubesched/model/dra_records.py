"""Dynamic Resource Allocation (`resource.k8s.io/v1`) as the scheduler reads it: device
classes, the devices that drivers publish in ResourceSlices, and the claims pods make.

Only the fields the DynamicResources plugin and its allocator read are kept; quantities are
exact (Fraction), attribute and capacity names fully qualified (`domain/id`, the driver's
domain filled in where a slice leaves it out, as the CEL environment sees them).
"""

from __future__ import annotations

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
    # DRADeviceBindingConditions: PreBind waits until these are True in the claim's status.devices
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


@dataclass(frozen=True, slots=True)
class DeviceRequest:
    name: str
    exactly: SubRequest | None = None
    first_available: tuple[SubRequest, ...] = ()


@dataclass(frozen=True, slots=True)
class MatchAttribute:
    attribute: str  # fully qualified
    requests: tuple[str, ...] = ()  # empty: all requests of the claim


@dataclass(frozen=True, slots=True)
class DeviceResult:
    request: str  # "request" or "request/subrequest"
    driver: str
    pool: str
    device: str
    admin_access: bool = False

    @property
    def device_id(self) -> tuple[str, str, str]:
        return self.driver, self.pool, self.device

    def to_json(self) -> dict:
        result = {"request": self.request, "driver": self.driver, "pool": self.pool, "device": self.device}
        if self.admin_access:
            result["adminAccess"] = True
        return result


@dataclass(frozen=True, slots=True)
class Allocation:
    results: tuple[DeviceResult, ...]
    node_selector: tuple[NodeSelectorTerm, ...] | None = None  # None: available on every node
    raw_node_selector: dict | None = None  # as written, for status.allocation


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

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True, slots=True)
class ResourceClaimTemplate:
    namespace: str
    name: str
    spec: ClaimSpec
    labels: tuple[tuple[str, str], ...] = ()


@dataclass
class DraObjects:
    classes: dict[str, DeviceClass] = field(default_factory=dict)
    slices: list[ResourceSlice] = field(default_factory=list)
    claims: dict[str, ResourceClaim] = field(default_factory=dict)  # "ns/name" →
    templates: dict[str, ResourceClaimTemplate] = field(default_factory=dict)  # "ns/name" →

    def __bool__(self) -> bool:
        return bool(self.classes or self.slices or self.claims or self.templates)
