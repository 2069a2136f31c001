"""CEL device selectors as kube-scheduler evaluates them: the `device` variable with
`driver`, `allowMultipleAllocations`, `attributes` and `capacity` (maps by domain, then by
ID), and Kubernetes' CEL libraries for quantities and semantic versions, on cel-cpp through
cel-expr-python (see README: compile once, evaluate in microseconds).

A quantity or a version crosses into CEL as a tagged string (`\\ue000q:` + exact fraction,
`\\ue000v:` + version) that the library's functions below understand; a driver's attribute
cannot hold the private-use tag character, so no plain string is mistaken for one.
"""

from __future__ import annotations

import re
from functools import lru_cache
from fractions import Fraction

from cel_expr_python import cel
from cel_expr_python.ext.ext_bindings import ExtBindings
from cel_expr_python.ext.ext_strings import ExtStrings

from kubesched.model.dra_records import Attribute, Device
from kubesched.model.quantity import parse_quantity

_QUANTITY = "\ue000q:"
_VERSION = "\ue000v:"
_SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?")
_QUOTED = re.compile(r"""'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)\"""")


class CelError(Exception):
    """A selector that does not compile, or fails on a device (upstream's CEL runtime error)."""


def quantity_value(amount: Fraction) -> str:
    return f"{_QUANTITY}{amount.numerator}/{amount.denominator}"


def version_value(text: str) -> str:
    return _VERSION + text


def _amount(value) -> Fraction:
    if isinstance(value, str) and value.startswith(_QUANTITY):
        return Fraction(value[len(_QUANTITY):])
    if isinstance(value, int) and not isinstance(value, bool):
        return Fraction(value)
    raise ValueError(f"no such overload: {value!r} is not a quantity")


def _version(value) -> tuple:
    if isinstance(value, str) and value.startswith(_VERSION):
        match = _SEMVER.fullmatch(value[len(_VERSION):])
        if match:
            return match.groups()
    raise ValueError(f"no such overload: {value!r} is not a semver")


def _prerelease_key(part: str):
    return (0, int(part), "") if part.isdigit() else (1, 0, part)


def _compare_versions(a: tuple, b: tuple) -> int:
    for x, y in zip(a[:3], b[:3]):
        if int(x) != int(y):
            return -1 if int(x) < int(y) else 1
    pa, pb = a[3], b[3]
    if pa == pb:
        return 0
    if pa is None or pb is None:
        return 1 if pa is None else -1  # a release ranks above its pre-releases
    ka = [_prerelease_key(p) for p in pa.split(".")]
    kb = [_prerelease_key(p) for p in pb.split(".")]
    return (ka > kb) - (ka < kb)


def _compare(a, b) -> int:
    if isinstance(a, str) and a.startswith(_VERSION):
        return _compare_versions(_version(a), _version(b))
    x, y = _amount(a), _amount(b)
    return (x > y) - (x < y)


def _parse_quantity(text: str) -> str:
    try:
        return quantity_value(parse_quantity(text))
    except (ValueError, TypeError):
        raise ValueError(f"quantities must match the regular expression: {text!r}") from None


def _is_quantity(text: str) -> bool:
    try:
        parse_quantity(text)
    except (ValueError, TypeError):
        return False
    return True


def _parse_semver(text: str, normalize: bool = False) -> str:
    if normalize:
        text = _normalize_version(text)
    if not _SEMVER.fullmatch(text):
        raise ValueError(f"could not parse {text!r} as semver")
    return version_value(text)


def _normalize_version(text: str) -> str:
    """`semver(text, true)`: a leading "v" dropped, missing minor and patch filled with 0,
    leading zeros removed."""
    core, rest = re.fullmatch(r"([0-9.]*)(.*)", text.removeprefix("v")).groups()
    parts = [str(int(p)) if p.isdigit() else p for p in (core.split(".") + ["0", "0"])[:3]]
    return ".".join(parts) + rest


def _as_integer(q) -> int:
    amount = _amount(q)
    if amount.denominator != 1 or not -(2**63) <= amount <= 2**63 - 1:
        raise ValueError("cannot convert value to integer")
    return int(amount)


def _library() -> cel.CelExtension:
    T = cel.Type
    dyn = T.DYN

    def member(name: str, result, impl, *extra):
        return cel.FunctionDecl(name, [cel.Overload(f"k8s_{name}_{len(extra)}", result, [dyn, *extra],
                                                    is_member=True, impl=impl)])

    def function(name: str, result, impl, *parameters, suffix=""):
        return cel.FunctionDecl(name, [cel.Overload(f"k8s_{name}{suffix}", result, list(parameters), impl=impl)])

    return cel.CelExtension("kubernetes", [
        function("quantity", dyn, _parse_quantity, T.STRING),
        function("isQuantity", T.BOOL, _is_quantity, T.STRING),
        cel.FunctionDecl("semver", [
            cel.Overload("k8s_semver", dyn, [T.STRING], impl=_parse_semver),
            cel.Overload("k8s_semver_normalize", dyn, [T.STRING, T.BOOL], impl=_parse_semver)]),
        cel.FunctionDecl("isSemver", [
            cel.Overload("k8s_isSemver", T.BOOL, [T.STRING], impl=lambda s: _SEMVER.fullmatch(s) is not None),
            cel.Overload("k8s_isSemver_normalize", T.BOOL, [T.STRING, T.BOOL],
                         impl=lambda s, n: _SEMVER.fullmatch(_normalize_version(s) if n else s) is not None)]),
        member("compareTo", T.INT, _compare, dyn),
        member("isGreaterThan", T.BOOL, lambda a, b: _compare(a, b) > 0, dyn),
        member("isLessThan", T.BOOL, lambda a, b: _compare(a, b) < 0, dyn),
        member("sign", T.INT, lambda q: (_amount(q) > 0) - (_amount(q) < 0)),
        member("isInteger", T.BOOL, lambda q: _amount(q).denominator == 1),
        member("asInteger", T.INT, _as_integer),
        member("asApproximateFloat", T.DOUBLE, lambda q: float(_amount(q))),
        member("add", dyn, lambda a, b: quantity_value(_amount(a) + _amount(b)), dyn),
        member("sub", dyn, lambda a, b: quantity_value(_amount(a) - _amount(b)), dyn),
        member("major", T.INT, lambda v: int(_version(v)[0])),
        member("minor", T.INT, lambda v: int(_version(v)[1])),
        member("patch", T.INT, lambda v: int(_version(v)[2])),
    ])


_ENV = None


def environment():
    global _ENV
    if _ENV is None:
        _ENV = cel.NewEnv(variables={"device": cel.Type.DYN}, extensions=[_library(), ExtStrings(), ExtBindings()])
    return _ENV


@lru_cache(maxsize=4096)
def compiled(expression: str) -> "Selector":
    """Each distinct expression is compiled once (CelError if it does not compile)."""
    return Selector(expression)


class Selector:
    """One compiled expression, evaluated on devices."""

    def __init__(self, expression: str):
        self.expression = expression
        try:
            self._program = environment().compile(expression)
        except RuntimeError as error:
            raise CelError(f"compilation failed: {_short(error)}") from None
        # Upstream's attributes and capacity maps answer an absent domain with an empty map;
        # the domains an expression names are given one, so `attributes["x"].y` fails on y.
        self._domains = {a or b for a, b in _QUOTED.findall(expression)}

    def matches(self, device: Device, driver: str) -> bool:
        result = self._program.eval(data={"device": device_value(device, driver, self._domains)})
        if result.type() == cel.Type.ERROR:
            raise CelError(f"CEL runtime error: {_short(result.value())}")
        value = result.value()
        if not isinstance(value, bool):
            raise CelError(f"CEL result of type {result.type().name()} could not be converted to bool")
        return value


def _short(error) -> str:
    text = str(error).strip()
    return text.split("\n", 1)[0]


def _attribute_value(attribute: Attribute):
    if attribute.kind == "version":
        return version_value(attribute.value)
    return attribute.value


def device_value(device: Device, driver: str, domains=()) -> dict:
    attributes: dict[str, dict] = {d: {} for d in domains}
    for name, attribute in device.attributes.items():
        domain, _, identifier = name.rpartition("/")
        attributes.setdefault(domain, {})[identifier] = _attribute_value(attribute)
    capacity: dict[str, dict] = {d: {} for d in domains}
    for name, amount in device.capacity.items():
        domain, _, identifier = name.rpartition("/")
        capacity.setdefault(domain, {})[identifier] = quantity_value(amount)
    return {"driver": driver, "allowMultipleAllocations": device.allow_multiple_allocations, "attributes": attributes,
            "capacity": capacity}

