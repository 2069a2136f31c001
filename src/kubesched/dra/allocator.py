"""The device allocator of kube-scheduler v1.37 (structured parameters, the variant its
default feature gates select): for one node and a pod's claims still to allocate, the first
solution of a depth-first search — claims in order, their requests in order, a
firstAvailable request's alternatives in order, and devices in pool order (driver, pool),
slice name, then position in the slice; within one request only increasing positions, so
each set of devices is tried once. The same input gives upstream's devices.

Devices in use (allocated to other claims, or being allocated for this pod), selectors
(the class's, then the request's: bitsets computed once, see inventory.py), device taints
without a toleration, matchAttribute and distinctAttribute constraints, partitionable
devices' shared counters, and consumable capacity (capacity.py: a device that allows
multiple allocations is taken by several claims, each result with its shareID and
consumed capacity) decide what may be taken. Results carry the device's binding
conditions, for PreBind to wait on.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from fractions import Fraction

from kubesched.dra.allocated_state import Shares
from kubesched.dra.capacity import CapacityError, Consumed, add, consumed_by, fits, subtract
from kubesched.dra.inventory import Entry, Inventory, Pool, node_matches
from kubesched.model.dra_records import (
    ALL, Allocation, Attribute, ClaimSpec, DeviceClass, DeviceResult, DeviceToleration, SubRequest)
from kubesched.model.records import NodeSelectorTerm, Requirement

MAX_RESULTS = 32  # resourceapi.AllocationResultsMaxSize
CANNOT_ALLOCATE = "cannot allocate all claims"
INVALID_POOLS = "invalid resource pools were encountered"


class AllocationError(Exception):
    """What upstream's allocator returns as an error: scheduling the pod fails (not just
    this node), with this message."""


@dataclass
class ClaimToAllocate:
    label: str  # "ns/name", for messages
    spec: ClaimSpec


@dataclass(slots=True)
class _Request:
    """One request, or one alternative of a firstAvailable request."""
    name: str  # as in results: "request" or "request/subrequest"
    base: str  # the request's own name
    sub: str  # the alternative's name, "" for an `exactly` request
    request: SubRequest
    device_class: DeviceClass
    eligible: int  # devices the class's and the request's selectors select
    failing: int  # devices on which one of them fails
    count: int = 0
    all_devices: list[Entry] = field(default_factory=list)


def tolerates(toleration: DeviceToleration, key: str, value: str, effect: str) -> bool:
    if toleration.effect and toleration.effect != effect:
        return False
    if toleration.key and toleration.key != key:
        return False
    if toleration.operator == "Exists":
        return True
    return toleration.value == value


def _taint_prevents(entry: Entry, request: SubRequest) -> bool:
    for taint in entry.device.taints:
        if taint.effect in ("NoSchedule", "NoExecute") and not any(
                tolerates(t, taint.key, taint.value, taint.effect) for t in request.tolerations):
            return True
    return False


def lookup_attribute(entry: Entry, name: str) -> Attribute | None:
    return entry.device.attributes.get(name)  # names are fully qualified when read


class _Constraint:
    def __init__(self, attribute: str, requests: tuple[str, ...]):
        self.attribute = attribute
        self.requests = set(requests)
        self.value: Attribute | None = None
        self.count = 0

    @staticmethod
    def of(spec) -> _Constraint:
        return (_Distinct if spec.distinct else _Constraint)(spec.attribute, spec.requests)

    def applies(self, base: str, sub: str) -> bool:
        if not self.requests:
            return True
        return base in self.requests or (bool(sub) and f"{base}/{sub}" in self.requests)

    def add(self, base: str, sub: str, entry: Entry) -> bool:
        if not self.applies(base, sub):
            return True
        value = lookup_attribute(entry, self.attribute)
        if value is None:
            return False
        if self.count == 0:
            self.value = value
        elif value != self.value:
            return False
        self.count += 1
        return True

    def remove(self, base: str, sub: str) -> None:
        if self.applies(base, sub):
            self.count -= 1


class _Distinct(_Constraint):
    """distinctAttribute: no two devices of the requests with the same value (of one kind;
    versions compared as written)."""

    def __init__(self, attribute: str, requests: tuple[str, ...]):
        super().__init__(attribute, requests)
        self.values: list[Attribute] = []

    def add(self, base: str, sub: str, entry: Entry) -> bool:
        if not self.applies(base, sub):
            return True
        value = lookup_attribute(entry, self.attribute)
        if value is None or value in self.values:
            return False
        self.values.append(value)
        return True

    def remove(self, base: str, sub: str) -> None:
        if self.applies(base, sub):
            self.values.pop()


class Allocator:
    """Allocation against one state of the cluster: `allocated` holds the device IDs that
    other claims have (admin-access results excepted, as upstream's tracker lists them)."""

    def __init__(self, inventory: Inventory, classes: dict[str, DeviceClass], allocated: set[tuple[str, str, str]],
                 shares: Shares | None = None, fractional: bool = False):
        self.inventory = inventory
        self.classes = classes
        self.allocated = allocated
        self.shares = shares if shares is not None else Shares()
        self.fractional = fractional  # DRAFractionalCapacityRange (off by default in v1.37)
        self._available: dict[tuple[str, str], dict[str, dict[str, Fraction]]] = {}

    def allocate(self, node, claims: list[ClaimToAllocate], timeout: float | None = None) -> list[Allocation] | str:
        """One allocation per claim, or upstream's reason why this node cannot have them.
        `timeout` (seconds; DynamicResourcesArgs.filterTimeout in `run`): the search gives up
        after it with an AllocationError, as upstream's does."""
        deadline = time.monotonic() + timeout if timeout else None
        return _Search(self, node, claims, deadline).run()

    def available_counters(self, pool: Pool) -> dict[str, dict[str, Fraction]]:
        found = self._available.get(pool.pool_id)
        if found is None:
            found = {name: dict(counters) for name, counters in pool.counter_sets.items()}
            for entry in [e for entries in pool.entries for e in entries] + pool.other_entries:
                if entry.device_id not in self.allocated and not self.shares.in_use(entry.device_id):
                    continue
                for set_name, counters in entry.device.consumes_counters:
                    for name, amount in counters.items():
                        if name in found.get(set_name, {}):
                            found[set_name][name] -= amount
            self._available[pool.pool_id] = found
        return found


class _Search:
    def __init__(self, allocator: Allocator, node, claims: list[ClaimToAllocate], deadline: float | None = None):
        self.a = allocator
        self.deadline = deadline
        self.node = node
        self.claims = claims
        self.pools = allocator.inventory.pools_for(node)
        self.requests: list[list[list[_Request]]] = []  # claim → request → alternatives
        self.constraints: list[list[_Constraint]] = []
        self.allocating: dict[tuple[str, str, str], set[int]] = {}  # device → claims taking it
        self.consumed: dict[tuple[str, str], dict[str, dict[str, Fraction]]] = {}
        self.results: list[list[tuple[_Request, Entry, str, Consumed | None]]] = [[] for _ in claims]
        self.allocating_capacity: dict[tuple[str, str, str], Consumed] = {}  # shared devices being allocated
        self.chosen: dict[tuple[int, int], int] = {}  # (claim, request) → alternative

    # -- setting up --------------------------------------------------------------------------

    def _request(self, claim: ClaimToAllocate, base: str, sub: SubRequest, is_sub: bool) -> _Request:
        name = f"{base}/{sub.name}" if is_sub else base
        device_class = self.a.classes.get(sub.device_class_name)
        if device_class is None:
            raise AllocationError(f"claim {claim.label}, request {name}: could not retrieve device class "
                                  f"{sub.device_class_name}: deviceclass.resource.k8s.io "
                                  f"\"{sub.device_class_name}\" not found")
        eligible, failing = self.a.inventory.eligible((*device_class.selectors, *sub.selectors))
        data = _Request(name, base, sub.name if is_sub else "", sub, device_class, eligible, failing)
        if sub.allocation_mode == ALL:
            for pool in self.pools:
                if pool.incomplete:
                    raise AllocationError(f"claim {claim.label}, request {sub.name}: asks for all devices, but "
                                          f"resource pool {pool.driver}/{pool.name} is currently being updated")
                if pool.invalid:
                    raise AllocationError(f"claim {claim.label}, request {sub.name}: asks for all devices, but "
                                          f"resource pool {pool.driver}/{pool.name} is currently invalid")
                for entries in pool.entries:
                    data.all_devices.extend(e for e in entries if self._selectable(claim, data, e)
                                            and self._capacity_fits(claim, data, e, static=True))
            data.count = len(data.all_devices)
        else:
            data.count = sub.count
        return data

    def run(self) -> list[Allocation] | None:
        for claim in self.claims:
            per_claim, minimum = [], 0
            for request in claim.spec.requests:
                if request.exactly is not None:
                    alternatives = [self._request(claim, request.name, request.exactly, False)]
                else:
                    alternatives = [self._request(claim, request.name, s, True) for s in request.first_available]
                smallest = min(r.count for r in alternatives)
                if smallest > MAX_RESULTS - minimum:
                    raise AllocationError(f"claim {claim.label}, request {request.name}: adding {smallest} devices "
                                          f"exceeds the claim limit of {MAX_RESULTS}, with {minimum} already "
                                          "accounted for")
                minimum += smallest
                per_claim.append(alternatives)
            self.requests.append(per_claim)
            self.constraints.append([_Constraint.of(c) for c in claim.spec.constraints])
        if not self._one(0, 0, 0, 0, False, (0, 0, 0)):
            if any(p.invalid for p in self.pools):
                return INVALID_POOLS
            return CANNOT_ALLOCATE
        return [self._allocation(c) for c in range(len(self.claims))]

    # -- the search ----------------------------------------------------------------------------

    def _selectable(self, claim: ClaimToAllocate, request: _Request, entry: Entry) -> bool:
        bit = 1 << entry.index
        if request.failing & bit:
            expressions = (*request.device_class.selectors, *request.request.selectors)
            found = self.a.inventory.first_error(expressions, entry.index)
            if found is not None:
                number, message = found
                own = number >= len(request.device_class.selectors)
                where = f"claim {claim.label}" if own else f"class {request.device_class.name}"
                number = number - len(request.device_class.selectors) if own else number
                raise AllocationError(f"{where}: selector #{number} on device "
                                      f"{'/'.join(entry.device_id)}: {message}")
        if not request.eligible & bit:
            return False
        if entry.slice.per_device_node_selection:
            d = entry.device
            return node_matches(self.node, d.node_name, d.all_nodes, d.node_selector)
        return True

    def _in_use(self, device_id) -> bool:
        return device_id in self.a.allocated or bool(self.allocating.get(device_id))

    def _capacity_in_use(self, device_id) -> bool:
        return self.a.shares.in_use(device_id) or device_id in self.allocating_capacity

    def _capacity_fits(self, claim: ClaimToAllocate, request: _Request, entry: Entry, static: bool = False) -> bool:
        """Whether the device still has the capacity the request consumes (static: of the
        device alone, as an `All` request counts its devices)."""
        device_id = entry.device_id
        if request.request.capacity_requests is None and not entry.device.allow_multiple_allocations and \
                (static or not self.a.shares.in_use(device_id)):
            return True  # a whole device, nothing asked of its capacity: it consumes all of it, which it has
        allocated = None if static else self.a.shares.capacity(device_id)
        allocating = None if static else self.allocating_capacity.get(device_id)
        try:
            return fits(request.request.capacity_requests, entry.device, allocated, allocating, self.a.fractional)
        except CapacityError as error:
            raise AllocationError(f"claim {claim.label}, request {request.request.name}: checking capacity for device "
                                  f"{'/'.join(device_id)}: {error}") from None

    def _one(self, c: int, r: int, s: int, d: int, in_sub: bool, start: tuple[int, int, int]) -> bool:
        """Allocate device number d of alternative s of request r of claim c, and the rest."""
        if c >= len(self.claims):
            return True
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise AllocationError(f"node {self.node.name}: timed out trying to allocate devices")
        requests = self.requests[c]
        if r >= len(requests):
            try:
                return self._one(c + 1, 0, 0, 0, False, (0, 0, 0))
            except _TooMany:
                return False
        alternatives = requests[r]
        if not in_sub and alternatives[0].sub:  # firstAvailable: each alternative in turn
            all_too_many = True
            for index in range(len(alternatives)):
                try:
                    done = self._one(c, r, index, 0, True, (0, 0, 0))
                except _TooMany:
                    continue
                all_too_many = False
                if done:
                    self.chosen[(c, r)] = index
                    return True
            if all_too_many:
                raise _TooMany()
            return False
        request = alternatives[s]
        if request.request.allocation_mode == ALL and not request.all_devices:
            return False
        if d >= request.count:
            return self._one(c, r + 1, 0, 0, False, (0, 0, 0))
        if request.count - d > MAX_RESULTS - len(self.results[c]):
            raise _TooMany()
        claim = self.claims[c]
        if request.request.allocation_mode == ALL:
            entry = request.all_devices[d]
            undo = self._take(c, request, entry, must=True)
            if undo is None:
                return False
            return self._then(undo, c, r, s, d + 1, in_sub, (0, 0, 0))
        admin = request.request.admin_access
        for p in range(start[0], len(self.pools)):
            pool = self.pools[p]
            if pool.incomplete or pool.invalid:
                continue
            first_slice = start[1] if p == start[0] else 0
            for si in range(first_slice, len(pool.entries)):
                entries = pool.entries[si]
                first_device = start[2] if (p, si) == start[:2] else 0
                for di in range(first_device, len(entries)):
                    entry = entries[di]
                    device_id = entry.device_id
                    if admin and c in self.allocating.get(device_id, ()):
                        continue
                    if not admin and self._in_use(device_id):
                        continue
                    if not self._selectable(claim, request, entry):
                        continue
                    if not self._capacity_fits(claim, request, entry):
                        continue
                    undo = self._take(c, request, entry, must=False)
                    if undo is None:
                        continue
                    if self._then(undo, c, r, s, d + 1, in_sub, (p, si, di + 1)):
                        return True
        return False

    def _then(self, undo, *position) -> bool:
        """The rest of the search after taking a device; the device is given back unless
        that succeeds (also when the rest backs off with _TooMany)."""
        try:
            done = self._one(*position)
        except _TooMany:
            undo()
            raise
        if not done:
            undo()
        return done

    def _take(self, c: int, request: _Request, entry: Entry, must: bool):
        """Allocate one device for the request, or None; the returned function undoes it."""
        device_id = entry.device_id
        admin = request.request.admin_access
        multiple = entry.device.allow_multiple_allocations
        if not multiple and admin and c in self.allocating.get(device_id, ()):
            return None
        if not admin and self._in_use(device_id):
            return None
        # A shared device's counters are consumed once, by its first allocation.
        counters = bool(entry.device.consumes_counters) and not (multiple and self._capacity_in_use(device_id))
        if counters and not self._reserve_counters(entry):
            return None
        if _taint_prevents(entry, request.request):
            if counters:
                self._release_counters(entry)
            return None
        added = []
        for constraint in self.constraints[c]:
            if not constraint.add(request.base, request.sub, entry):
                for done in reversed(added):
                    done.remove(request.base, request.sub)
                if counters:
                    self._release_counters(entry)
                if must:
                    raise AllocationError(f"claim {self.claims[c].label}, request {request.request.name}: cannot add "
                                          f"device {'/'.join(device_id)} because a claim constraint would not be "
                                          "satisfied")
                return None
            added.append(constraint)
        if not multiple:
            self.allocating.setdefault(device_id, set()).add(c)

        def undo_marks():
            if not multiple:
                self.allocating[device_id].discard(c)
            for done in reversed(added):
                done.remove(request.base, request.sub)
            if counters:
                self._release_counters(entry)

        share_id, consumed, existed = "", None, device_id in self.allocating_capacity
        try:
            enough = self._capacity_fits(self.claims[c], request, entry)
        except AllocationError:
            undo_marks()
            raise
        if not enough:
            undo_marks()
            return None
        if multiple:
            consumed = consumed_by(request.request.capacity_requests, entry.device, self.a.fractional)
            share_id = self._share_id(c, device_id)
            add(self.allocating_capacity.setdefault(device_id, {}), consumed)
        self.results[c].append((request, entry, share_id, consumed or None))

        def undo():
            self.results[c].pop()
            if multiple:
                found = self.allocating_capacity[device_id]
                subtract(found, consumed)
                if all(amount == 0 for amount in found.values()) and not existed:
                    del self.allocating_capacity[device_id]
            undo_marks()
        return undo

    def _share_id(self, c: int, device_id) -> str:
        """Upstream draws a random UID; ours is derived from the claim and the shares the
        device has, so that a run is repeatable and no two shares of a device have one ID."""
        taken = len(self.a.shares.by_device.get(device_id, ())) + len(self.results[c])
        name = f"{self.claims[c].label}/{'/'.join(device_id)}/{taken}"
        return str(uuid.uuid5(uuid.NAMESPACE_URL, name))

    def _pool_of(self, entry: Entry) -> Pool:
        return next(p for p in self.pools if p.pool_id == (entry.slice.driver, entry.slice.pool))

    def _reserve_counters(self, entry: Entry) -> bool:
        pool = self._pool_of(entry)
        available = self.a.available_counters(pool)
        consumed = self.consumed.setdefault(pool.pool_id, {})
        for set_name, counters in entry.device.consumes_counters:
            target = consumed.setdefault(set_name, {})
            for name, amount in counters.items():
                target[name] = target.get(name, Fraction(0)) + amount
        for set_name, counters in available.items():
            used = consumed.get(set_name, {})
            if any(amount < used.get(name, 0) for name, amount in counters.items()):
                self._release_counters(entry)
                return False
        return True

    def _release_counters(self, entry: Entry) -> None:
        consumed = self.consumed[self._pool_of(entry).pool_id]
        for set_name, counters in entry.device.consumes_counters:
            for name, amount in counters.items():
                consumed[set_name][name] -= amount

    # -- the result ----------------------------------------------------------------------------

    def _allocation(self, c: int) -> Allocation:
        results = tuple(DeviceResult(request.name, *entry.device_id, admin_access=request.request.admin_access,
                                     share_id=share_id, consumed_capacity=tuple(sorted((consumed or {}).items())),
                                     binding_conditions=entry.device.binding_conditions,
                                     binding_failure_conditions=entry.device.binding_failure_conditions,
                                     tolerations=request.request.tolerations)
                        for request, entry, share_id, consumed in self.results[c])
        return Allocation(results, *self._node_selector(c))

    def _node_selector(self, c: int):
        expressions: list[Requirement] = []
        fields: list[Requirement] = []
        for _, entry, _, _ in self.results[c]:
            s, d = entry.slice, entry.device
            node_name, selector = (d.node_name, d.node_selector) if s.per_device_node_selection else \
                (s.node_name, s.node_selector)
            if node_name or d.binds_to_node:
                term = NodeSelectorTerm(match_fields=(Requirement("metadata.name", "In", (self.node.name,)),))
                return (term,), {"nodeSelectorTerms": [{"matchFields": [
                    {"key": "metadata.name", "operator": "In", "values": [self.node.name]}]}]}
            if selector:
                for requirement in selector[0].match_fields:
                    if requirement not in fields:
                        fields.append(requirement)
                for requirement in selector[0].match_expressions:
                    if requirement not in expressions:
                        expressions.append(requirement)
        if not fields and not expressions:
            return None, None
        raw_term = {}
        if fields:
            raw_term["matchFields"] = [_raw(r) for r in fields]
        if expressions:
            raw_term["matchExpressions"] = [_raw(r) for r in expressions]
        return (NodeSelectorTerm(tuple(expressions), tuple(fields)),), {"nodeSelectorTerms": [raw_term]}


def _raw(requirement: Requirement) -> dict:
    raw = {"key": requirement.key, "operator": requirement.operator}
    if requirement.values:
        raw["values"] = list(requirement.values)
    return raw


class _TooMany(Exception):
    """More devices than one claim's result can hold: back off further up (upstream's
    errAllocationResultMaxSizeExceeded)."""
