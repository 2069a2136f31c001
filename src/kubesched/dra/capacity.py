"""Consumable capacity (DRAConsumableCapacity, beta and on in v1.37): what one request
consumes of each capacity of a device, and whether the device still has it. A device that
allows multiple allocations is shared by several claims until a capacity is used up.

DRAFractionalCapacityRange is off by default in v1.37 (its default turns on only with
--min-compatibility-version=1.37), so a validRange is rounded in whole units unless
`fractional` is asked for: amounts are then read as upstream's Quantity.Value(), rounded up.
"""

from __future__ import annotations

import math
from fractions import Fraction

from kubesched.model.dra_records import Capacity, Device, RequestPolicy

MAX_INT64 = 2**63 - 1
Consumed = dict[str, Fraction]  # capacity name (as the slice writes it) → amount


class CapacityError(Exception):
    """A request upstream cannot compute (its error is the scheduling attempt's)."""


def _milli(amount: Fraction) -> int | None:
    """Thousandths, when the amount has no finer part (upstream's safeMilliValue)."""
    scaled = amount * 1000
    return scaled.numerator if scaled.denominator == 1 else None


def _use_milli(valid_range, fractional: bool) -> bool:
    if not fractional:
        return False
    low, high, step = valid_range
    for amount in (low, high, step):
        if amount is not None and _milli(amount) is None:
            return False
    return step is None or _milli(step) >= 1


def _round_up_range(requested: Fraction, valid_range, fractional: bool) -> Fraction:
    low, _, step = valid_range
    if requested < low:
        return low
    if step is None:
        return requested
    if _use_milli(valid_range, fractional):
        wanted = _milli(requested)
        if wanted is None:
            raise CapacityError(f"capacity request cannot be represented in the device's range arithmetic: "
                                f"request {requested} is not a representable milli value")
        size, base = _milli(step), _milli(low)
        return Fraction(base + size * -(-(wanted - base) // size), 1000)
    if requested > MAX_INT64:
        raise CapacityError(f"capacity request cannot be represented in the device's range arithmetic: "
                            f"request {requested} exceeds MaxInt64")
    size, base = math.ceil(step), math.ceil(low)
    steps = -(-(math.ceil(requested) - base) // size)
    if base >= 0 and steps > (MAX_INT64 - base) // size:
        raise CapacityError(f"capacity request cannot be represented in the device's range arithmetic: "
                            f"rounding request {requested} up to the next step passes MaxInt64")
    return Fraction(base + size * steps)


def consumed_amount(requested: Fraction | None, capacity: Capacity, fractional: bool = False) -> Fraction:
    policy = capacity.policy
    if requested is None:
        return policy.default if policy is not None and policy.default is not None else capacity.value
    if policy is None:
        return requested
    if policy.valid_range is not None:
        return _round_up_range(requested, policy.valid_range, fractional)
    if policy.valid_values:
        return next((v for v in policy.valid_values if requested <= v), requested)
    return requested


def violates(amount: Fraction, policy: RequestPolicy | None, fractional: bool = False) -> bool:
    if policy is None or (policy.default is not None and amount == policy.default):
        return False
    if policy.valid_range is not None:
        low, high, step = policy.valid_range
        if high is not None and amount > high:
            return True
        if step is not None:
            if _use_milli(policy.valid_range, fractional):
                wanted = _milli(amount)
                return wanted is None or (wanted - _milli(low)) % _milli(step) != 0
            return (math.ceil(amount) - math.ceil(low)) % math.ceil(step) != 0
        return False
    if policy.valid_values:
        return amount not in policy.valid_values
    return False


def consumed_by(requests, device: Device, fractional: bool = False) -> Consumed:
    """What a request (its capacity.requests, or None) consumes of each capacity of the device."""
    wanted = dict(requests or ())
    return {name: consumed_amount(wanted.get(name), capacity, fractional) for name, capacity in device.consumable.items()}


def fits(requests, device: Device, allocated: Consumed | None, allocating: Consumed | None,
         fractional: bool = False) -> bool:
    """Upstream's CmpRequestOverCapacity: the request names only capacities the device has,
    consumes amounts its policies allow, and what is allocated, being allocated and asked
    for stays within each capacity."""
    wanted = dict(requests or ())
    if any(name not in device.consumable for name in wanted):
        return False
    consumed = consumed_by(requests, device, fractional)
    if any(amount < 0 for amount in consumed.values()):
        raise CapacityError("capacity value is negative")
    for name, capacity in device.consumable.items():
        amount = consumed[name]
        if violates(amount, capacity.policy, fractional):
            return False
        total = amount + (allocated or {}).get(name, 0) + (allocating or {}).get(name, 0)
        if total > capacity.value:
            return False
    return True


def add(target: dict, consumed: Consumed) -> None:
    for name, amount in consumed.items():
        target[name] = target.get(name, Fraction(0)) + amount


def subtract(target: dict, consumed: Consumed) -> None:
    for name, amount in consumed.items():
        if name in target:
            target[name] -= amount
