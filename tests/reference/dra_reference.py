"""A slow, obvious reference for the DRA allocator (kubesched.dra.allocator): every
complete assignment of devices to the claims' requests, enumerated in upstream's order
(claims, requests, a firstAvailable request's alternatives, then device combinations in
pool/slice/device order), checked as a whole; the first valid one is the answer.

It evaluates the CEL selectors on each device directly (no bitsets), checks constraints,
shared counters and consumable capacity (the totals a device's shares consume) on the
finished assignment rather than while searching, and knows nothing of backtracking.
Pools are gathered from the inventory's slices by dra_pools.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from itertools import combinations

from kubesched.dra.cel import compiled
from kubesched.model.dra_records import ALL, ClaimSpec, DeviceClass, DeviceTaint, DeviceToleration, SubRequest
from tests.reference.dra_capacity import consumption, within_capacity
from tests.reference.dra_pools import DeviceEntry, device_on_node, gather_pools


def tolerates(toleration: DeviceToleration, taint: DeviceTaint) -> bool:
    """resourceclaim.ToleratesTaint: effect and key when given; Exists takes any value,
    Equal (or no operator) the taint's."""
    if toleration.effect not in ("", taint.effect) or toleration.key not in ("", taint.key):
        return False
    if toleration.operator == "Exists":
        return True
    return toleration.operator in ("", "Equal") and toleration.value == taint.value


def held_by_shares(shares, device_id) -> dict[str, Fraction]:
    """The capacity a device's shares (`shares.by_device`: device -> share -> consumed
    capacity or None) hold together."""
    total: dict[str, Fraction] = {}
    for amounts in (shares.by_device.get(device_id, {}) if shares is not None else {}).values():
        for name, amount in (amounts or {}).items():
            total[name] = total.get(name, Fraction(0)) + amount
    return total


def shared_out(shares, device_id) -> bool:
    return shares is not None and bool(shares.by_device.get(device_id))


def _selected(entry: DeviceEntry, device_class: DeviceClass, sub: SubRequest) -> bool:
    return all(compiled(e).matches(entry.device, entry.slice.driver)
               for e in (*device_class.selectors, *sub.selectors))


def reference_allocate(inventory, classes: dict[str, DeviceClass], allocated: set, node,
                       claims: list[ClaimSpec], shares=None) -> list[list[tuple[str, tuple[str, str, str]]]] | None:
    """Per claim the (request name, device ID) taken, or None when no assignment is valid.
    `inventory`: the slices (its `slices`) as kubesched.dra.inventory holds them.
    `shares`: what devices that allow multiple allocations already give out (its `by_device`)."""
    pools = [p for p in gather_pools(inventory.slices, node) if not p.incomplete and not p.invalid]
    order = [e for p in pools for entries in p.entries for e in entries if device_on_node(e, node)]
    slots = []  # (claim, base request, alternatives: (name, sub, candidates))
    for c, spec in enumerate(claims):
        for request in spec.requests:
            alternatives = [(request.name, request.exactly)] if request.exactly else \
                [(f"{request.name}/{s.name}", s) for s in request.first_available]
            slots.append((c, request.name, [(name, sub, [e for e in order if _selected(e, classes[sub.device_class_name],
                                                                                   sub)])
                                            for name, sub in alternatives]))
    for assignment in _assignments(slots, 0):
        if _valid(assignment, claims, allocated, pools, shares):
            result: list[list] = [[] for _ in claims]
            for c, base, name, sub, entry in assignment:
                result[c].append((name, entry.device_id))
            return result
    return None


def _assignments(slots, i: int) -> Iterator[list]:
    if i == len(slots):
        yield []
        return
    c, base, alternatives = slots[i]
    for name, sub, candidates in alternatives:
        if sub.allocation_mode == ALL:  # the devices whose capacity alone would do
            candidates = [e for e in candidates if within_capacity(sub.capacity_requests, e.device, None)]
            choices = [tuple(candidates)] if candidates else []
        else:
            choices = combinations(candidates, sub.count)
        for chosen in choices:
            for rest in _assignments(slots, i + 1):
                yield [(c, base, name, sub, e) for e in chosen] + rest


def _valid(assignment: list, claims: list[ClaimSpec], allocated: set, pools, shares) -> bool:
    taking: dict[tuple, set[int]] = {}
    for c, base, name, sub, entry in assignment:
        device = entry.device_id
        shared = entry.device.allow_multiple_allocations
        if device in allocated and not sub.admin_access:
            return False
        if not shared and (c in taking.get(device, set()) if sub.admin_access else taking.get(device)):
            return False
        for taint in entry.device.taints:
            if taint.effect in ("NoSchedule", "NoExecute") and not any(
                    tolerates(t, taint) for t in sub.tolerations):
                return False
        if not shared:
            taking.setdefault(device, set()).add(c)
    if not _capacity_left(assignment, shares):
        return False
    for c, spec in enumerate(claims):
        for constraint in spec.constraints:
            values = []
            for claim, base, name, sub, entry in assignment:
                if claim != c:
                    continue
                if constraint.requests and base not in constraint.requests and name not in constraint.requests:
                    continue
                values.append(entry.device.attributes.get(constraint.attribute))
            if any(v is None for v in values):
                return False
            if len(set(values)) != (len(values) if constraint.distinct else min(len(values), 1)):
                return False
    for pool in pools:
        if not pool.counter_sets:
            continue
        mine = [e for entries in pool.entries for e in entries] + pool.other_entries
        if not any(a[4] in mine and a[4].device.consumes_counters for a in assignment):
            continue  # counters are checked when a device that consumes them is taken
        used: dict[tuple[str, str], Fraction] = {}
        for entry in mine:  # a shared device's counters count once, also when others hold it
            taken = any(a[4] is entry for a in assignment)
            if entry.device_id in allocated or shared_out(shares, entry.device_id) or taken:
                for set_name, counters in entry.device.consumes_counters:
                    for counter, amount in counters.items():
                        used[(set_name, counter)] = used.get((set_name, counter), Fraction(0)) + amount
        for (set_name, counter), amount in used.items():
            if amount > pool.counter_sets[set_name][counter]:
                return False
    return True


def _capacity_left(assignment: list, shares) -> bool:
    """Each device's capacity covers what its shares hold and what the assignment takes,
    each amount as the device's request policy makes it."""
    taken: dict[tuple, list] = {}
    for c, base, name, sub, entry in assignment:
        taken.setdefault(entry.device_id, []).append((sub, entry))
    for device_id, uses in taken.items():
        total = held_by_shares(shares, device_id)
        for sub, entry in uses:
            if not within_capacity(sub.capacity_requests, entry.device, total):
                return False
            if entry.device.allow_multiple_allocations:
                for capacity, amount in consumption(sub.capacity_requests, entry.device).items():
                    total[capacity] = total.get(capacity, Fraction(0)) + amount
    return True
