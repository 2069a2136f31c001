"""Kubernetes `resource.Quantity` values, parsed exactly.

Grammar (from the API reference): `<sign>? <number> <suffix>` where the number is `1`,
`1.5`, `1.` or `.5`, and the suffix is a binary SI unit (Ki Mi Gi Ti Pi Ei), a decimal SI
unit (n u m "" k M G T P E) or a decimal exponent (`e3`, `E-3`). YAML and JSON numbers are
accepted too. Arithmetic is done on fractions, so `0.1` is exactly a tenth.

Amounts used by the scheduler are integers rounded up, as Quantity.MilliValue() and
Quantity.Value() do: cpu in millicores, everything else in units (bytes, counts).
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

_SUFFIXES: dict[str, Fraction] = {
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 10**3),
    "": Fraction(1),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
    "Ki": Fraction(2**10),
    "Mi": Fraction(2**20),
    "Gi": Fraction(2**30),
    "Ti": Fraction(2**40),
    "Pi": Fraction(2**50),
    "Ei": Fraction(2**60),
}
_SUFFIX_NAMES = "n, u, m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei"
_NUMBER = re.compile(r"([+-]?)([0-9]+\.?[0-9]*|\.[0-9]+)(.*)", re.DOTALL)
_EXPONENT = re.compile(r"[eE]([+-]?[0-9]+)")
# Exponents beyond this make no sense for resources and would cost unbounded big-int work.
_MAX_EXPONENT = 100
# The core keeps amounts in int64.
MAX_AMOUNT = 2**63 - 1


def parse_quantity(value: object) -> Fraction:
    """The exact value of a quantity given as a string or a YAML/JSON number."""
    if isinstance(value, bool):
        raise ValueError(f"a quantity must be a string or a number, not a boolean ({value})")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"quantity {value} is not a finite number")
        return Fraction(repr(value))  # repr is the shortest exact form of what was written
    if not isinstance(value, str):
        raise ValueError(f"a quantity must be a string or a number, not {type(value).__name__}")
    if value == "":
        raise ValueError("empty quantity")
    match = _NUMBER.fullmatch(value)
    if match is None:
        raise ValueError(f"quantity {value!r} does not start with a number "
                         f"(expected forms like 500m, 0.5, 128Mi, 1e3)")
    sign, number, suffix = match.groups()
    if suffix in _SUFFIXES:
        multiplier = _SUFFIXES[suffix]
    else:
        exponent = _EXPONENT.fullmatch(suffix)
        if exponent is None:
            hint = " (no spaces allowed)" if suffix[:1].isspace() else ""
            if suffix.startswith("."):
                raise ValueError(f"quantity {value!r} has more than one decimal point")
            raise ValueError(f"quantity {value!r} has an unknown suffix {suffix!r}{hint}; "
                             f"use one of {_SUFFIX_NAMES} or an exponent like e3")
        power = int(exponent.group(1))
        if abs(power) > _MAX_EXPONENT:
            raise ValueError(f"quantity {value!r} has an exponent out of range")
        multiplier = Fraction(10) ** power
    amount = Fraction(number) * multiplier
    return -amount if sign == "-" else amount


def to_milli(quantity: Fraction) -> int:
    """Thousandths, rounded up (cpu millicores)."""
    return math.ceil(quantity * 1000)


def to_units(quantity: Fraction) -> int:
    """Whole units, rounded up (bytes, pods, devices)."""
    return math.ceil(quantity)


def is_extended_resource(name: str) -> bool:
    """A name with a domain outside kubernetes.io (example.com/gpu); upstream counts any
    name containing `kubernetes.io/` as native, and hugepages-* carry no domain."""
    return "/" in name and "kubernetes.io/" not in name and not name.startswith("requests.")


_amounts: dict[tuple[str, object], int] = {}


def resource_amount(resource_name: str, value: object) -> int:
    """The integer amount the scheduler uses: cpu in millicores, anything else in whole
    units rounded up. Negative amounts and fractional extended resources are refused."""
    if isinstance(value, bool):  # True == 1 would hit the cache below
        raise ValueError(f"a quantity must be a string or a number, not a boolean ({value})")
    key = (resource_name, value)
    try:
        found = _amounts.get(key)
    except TypeError:  # unhashable (a list or a map where a quantity belongs)
        raise ValueError(f"a quantity must be a string or a number, not {type(value).__name__}") from None
    if found is not None:
        return found
    quantity = parse_quantity(value)
    if quantity < 0:
        raise ValueError(f"quantity {value!r} is negative")
    if is_extended_resource(resource_name) and quantity.denominator != 1:
        raise ValueError(f"quantity {value!r} must be a whole number for extended resource {resource_name}")
    amount = to_milli(quantity) if resource_name == "cpu" else to_units(quantity)
    if amount > MAX_AMOUNT:
        raise ValueError(f"quantity {value!r} is too large")
    if len(_amounts) > 100_000:
        _amounts.clear()
    _amounts[key] = amount
    return amount
