"""Consumable capacity as upstream's CmpRequestOverCapacity computes it, written apart from
kubesched.dra.capacity: what one request consumes of each capacity of a device, and whether
that, with what the device's shares and the assignment already hold, stays within it.

DRAFractionalCapacityRange is off in v1.37: a validRange's min, step and the request are
read as Quantity.Value(), which rounds up to a whole unit.
"""

from __future__ import annotations

import math
from fractions import Fraction

from kubesched.model.dra_records import Capacity, Device

MAX_INT64 = 2**63 - 1


class NotRepresentable(Exception):
    """A request upstream's range arithmetic cannot compute: the scheduling attempt fails."""


def _rounded_to_range(requested: Fraction, valid_range) -> Fraction:
    low, _, step = valid_range
    if requested < low:
        return low
    if step is None:
        return requested
    if requested > MAX_INT64:
        raise NotRepresentable(f"request {requested} exceeds MaxInt64")
    base, size = math.ceil(low), math.ceil(step)
    steps = math.ceil(Fraction(math.ceil(requested) - base, size))
    if base >= 0 and steps > (MAX_INT64 - base) // size:
        raise NotRepresentable(f"rounding request {requested} up to the next step passes MaxInt64")
    return Fraction(base + size * steps)


def consumed(requested: Fraction | None, capacity: Capacity) -> Fraction:
    """calculateConsumedCapacity: no request takes the policy's default (or all of it); a
    request is rounded up to the range's next step or the next valid value."""
    policy = capacity.policy
    if requested is None:
        return policy.default if policy is not None and policy.default is not None else capacity.value
    if policy is None:
        return requested
    if policy.valid_range is not None:
        return _rounded_to_range(requested, policy.valid_range)
    for value in policy.valid_values:
        if requested <= value:
            return value
    return requested


def breaks_policy(amount: Fraction, capacity: Capacity) -> bool:
    """violatesPolicy: the default is always allowed; else above the range's max, off its
    steps, or none of the valid values."""
    policy = capacity.policy
    if policy is None or (policy.default is not None and amount == policy.default):
        return False
    if policy.valid_range is not None:
        low, high, step = policy.valid_range
        if high is not None and amount > high:
            return True
        return step is not None and (math.ceil(amount) - math.ceil(low)) % math.ceil(step) != 0
    if policy.valid_values:
        return amount not in policy.valid_values
    return False


def consumption(requests, device: Device) -> dict[str, Fraction]:
    """What a request (capacity.requests as (name, amount) pairs, or None) consumes of each
    of the device's capacities."""
    asked = dict(requests or ())
    return {name: consumed(asked.get(name), capacity) for name, capacity in device.consumable.items()}


def within_capacity(requests, device: Device, held: dict[str, Fraction] | None) -> bool:
    """CmpRequestOverCapacity: the request names only the device's capacities, each amount
    it consumes is allowed, and it fits beside what is `held`."""
    if any(name not in device.consumable for name in dict(requests or ())):
        return False
    amounts = consumption(requests, device)
    if any(amount < 0 for amount in amounts.values()):
        raise NotRepresentable("capacity value is negative")
    held = held or {}
    for name, capacity in device.consumable.items():
        if breaks_policy(amounts[name], capacity):
            return False
        if amounts[name] + held.get(name, 0) > capacity.value:
            return False
    return True
