"""Reading the consumable-capacity and binding-condition fields of `resource.k8s.io/v1`
(DRAConsumableCapacity, DRADeviceBindingConditions: beta, on by default in v1.37): a
device's `capacity.<name>.requestPolicy`, a request's `capacity.requests`, an allocation
result's `consumedCapacity`, and the device conditions of a claim's `status.devices`,
checked as the API server checks them."""

from __future__ import annotations

from fractions import Fraction

from kubesched.errors import InputError
from kubesched.model.dra_records import RequestPolicy
from kubesched.model.fields import mapping, sequence, string
from kubesched.model.quantity import parse_quantity
from kubesched.model.validation import qualified_name

MAX_VALID_VALUES = 10  # CapacityRequestPolicyDiscreteMaxOptions
MAX_BINDING_CONDITIONS = 4  # BindingConditionsMaxSize, BindingFailureConditionsMaxSize


def _quantity(value: object, path: str) -> Fraction:
    if value is None:
        raise InputError("Required value", field=path)
    try:
        return parse_quantity(value)
    except InputError as e:
        raise InputError(e.problem, field=path) from None
    except (ValueError, TypeError):
        raise InputError(f"invalid quantity {value!r}", field=path) from None


def _optional(value: object, path: str) -> Fraction | None:
    return None if value is None else _quantity(value, path)


def request_policy(value: object, capacity: Fraction, shared: bool, path: str) -> RequestPolicy | None:
    if value is None:
        return None
    if not shared:
        raise InputError("Forbidden: allowMultipleAllocations must be true", field=path)
    raw = mapping(value, path)
    default = _optional(raw.get("default"), f"{path}.default")
    values = tuple(_quantity(v, f"{path}.validValues[{i}]")
                   for i, v in enumerate(sequence(raw.get("validValues"), f"{path}.validValues")))
    valid_range = None
    if raw.get("validRange") is not None:
        if values:
            raise InputError('Forbidden: exactly one policy can be specified, cannot specify "validValues" and '
                             '"validRange" at the same time', field=path)
        bounds = mapping(raw.get("validRange"), f"{path}.validRange")
        if bounds.get("min") is None:
            raise InputError("Required value: required when validRange is defined", field=f"{path}.validRange.min")
        low = _quantity(bounds.get("min"), f"{path}.validRange.min")
        high = _optional(bounds.get("max"), f"{path}.validRange.max")
        step = _optional(bounds.get("step"), f"{path}.validRange.step")
        if default is None:
            raise InputError("Required value: required when validRange is defined", field=f"{path}.default")
        if low > capacity:
            raise InputError("min is larger than capacity value", field=f"{path}.validRange.min")
        if default < low:
            raise InputError("default is less than min", field=f"{path}.default")
        if high is not None and (low > high or high > capacity or default > high):
            raise InputError("max must be at least min and default, and at most the capacity value",
                             field=f"{path}.validRange.max")
        if step is not None and (step <= 0 or (default - low) % step):
            raise InputError("default must be min plus a multiple of a positive step", field=f"{path}.validRange.step")
        valid_range = (low, high, step)
    if values:
        if len(values) > MAX_VALID_VALUES:
            raise InputError(f"must have at most {MAX_VALID_VALUES} items", field=f"{path}.validValues")
        if default is None:
            raise InputError("Required value: required when validValues is defined", field=f"{path}.default")
        if any(a >= b for a, b in zip(values, values[1:])):
            raise InputError("values must be sorted in ascending order, without duplicates", field=f"{path}.validValues")
        if values[-1] > capacity:
            raise InputError("option is larger than capacity value", field=f"{path}.validValues")
        if default not in values:
            raise InputError("default value is not valid according to the requestPolicy", field=f"{path}.validValues")
    return RequestPolicy(default, values, valid_range)


def _named_quantities(value: object, path: str) -> tuple[tuple[str, Fraction], ...]:
    return tuple(sorted((name, _quantity(amount, f"{path}[{name}]")) for name, amount in mapping(value, path).items()))


def capacity_requests(value: object, path: str) -> tuple[tuple[str, Fraction], ...] | None:
    """A request's `capacity.requests`: the amount of each named capacity of the device."""
    if value is None:
        return None
    return _named_quantities(mapping(value, path).get("requests"), f"{path}.requests")


def consumed_capacity(value: object, path: str) -> tuple[tuple[str, Fraction], ...]:
    return _named_quantities(value, path)


def binding_conditions(obj: dict, path: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """bindingConditions and bindingFailureConditions: condition types, neither repeated nor
    in both lists."""
    found = []
    for name in ("bindingConditions", "bindingFailureConditions"):
        items = tuple(string(c, f"{path}.{name}[{i}]") for i, c in enumerate(sequence(obj.get(name), f"{path}.{name}")))
        if len(items) > MAX_BINDING_CONDITIONS:
            raise InputError(f"must have at most {MAX_BINDING_CONDITIONS} items", field=f"{path}.{name}")
        for i, item in enumerate(items):
            qualified_name(item, f"{path}.{name}[{i}]", "condition type")
            if item in items[:i]:
                raise InputError(f"Duplicate value: {item!r}", field=f"{path}.{name}[{i}]")
        found.append(items)
    conditions, failures = found
    for i, item in enumerate(failures):
        if item in conditions:
            raise InputError("bindingFailureConditions must not overlap with bindingConditions",
                             field=f"{path}.bindingFailureConditions[{i}]")
    if failures and not conditions:
        raise InputError("bindingConditions are required to use bindingFailureConditions",
                         field=f"{path}.bindingConditions")
    if conditions and not failures:
        raise InputError("bindingFailureConditions are required to use bindingConditions",
                         field=f"{path}.bindingFailureConditions")
    return conditions, failures


def device_conditions(value: object, path: str) -> dict[tuple[str, str, str], dict[str, str]]:
    found = {}
    for i, item in enumerate(sequence(value, path)):
        where = f"{path}[{i}]"
        item = mapping(item, where)
        device = tuple(string(item.get(k), f"{where}.{k}") for k in ("driver", "pool", "device"))
        conditions = {}
        for j, condition in enumerate(sequence(item.get("conditions"), f"{where}.conditions")):
            condition = mapping(condition, f"{where}.conditions[{j}]")
            conditions[string(condition.get("type"), f"{where}.conditions[{j}].type")] = \
                string(condition.get("status"), f"{where}.conditions[{j}].status")
        found.setdefault(device, conditions)  # upstream reads the first entry of a device
    return found
