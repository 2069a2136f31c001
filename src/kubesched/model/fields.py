"""Typed reads from a Kubernetes object held as plain dicts and lists.

Each reader takes the value and its field path (`spec.containers[0].ports`) and raises an
InputError naming that path when the value has the wrong type, so that a string where a
list belongs never turns into a TypeError deep inside the parser. A missing value (None)
reads as the empty value of its type, as the API treats an omitted field.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone

from kubesched.errors import InputError


def describe(value: object) -> str:
    """The JSON type of a value, in words, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a map"
    return type(value).__name__


def key_path(path: str, key: str) -> str:
    """`path.key`, or `path[key]` when the key holds dots or slashes (`nvidia.com/gpu`),
    the way the API server spells map keys in its field paths."""
    if "." in key or "/" in key:
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def wrong_type(expected: str, value: object, path: str) -> InputError:
    return InputError(f"expected {expected}, got {describe(value)}", field=path)


def mapping(value: object, path: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise wrong_type("a map", value, path)
    return value


def sequence(value: object, path: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise wrong_type("a list", value, path)
    return value


def string(value: object, path: str, default: str = "") -> str:
    if value is None:
        return default
    if not isinstance(value, str):
        raise wrong_type("a string", value, path)
    return value


INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def integer(value: object, path: str, default: int | None = None) -> int | None:
    """An int64 API field; a float (even 1.0) is refused, as the API's integer fields do."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise wrong_type("an integer", value, path)
    if not INT64_MIN <= value <= INT64_MAX:
        raise InputError(f"{shorten_number(value)} is out of range for a 64-bit integer", field=path)
    return value


def shorten_number(value: int) -> str:
    """A huge integer as its leading digits and length: str() of a 100,000-digit int is slow."""
    if value.bit_length() < 200:
        return str(value)
    return f"a {value.bit_length()}-bit integer"


def int32(value: object, path: str, default: int | None = None) -> int | None:
    """An int32 API field (replicas, priority, maxSkew, …)."""
    if isinstance(value, int) and not isinstance(value, bool) and not INT32_MIN <= value <= INT32_MAX:
        raise InputError(f"{shorten_number(value)} is out of range for a 32-bit integer", field=path)
    result = integer(value, path, default)
    return result


def boolean(value: object, path: str, default: bool = False) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise wrong_type("true or false", value, path)
    return value


def string_map(value: object, path: str) -> dict[str, str]:
    """A map of strings to strings (labels, annotations, nodeSelector)."""
    result = mapping(value, path)
    for key, item in result.items():
        if not isinstance(key, str):
            raise InputError(f"keys must be strings, got {describe(key)} {key!r}", field=path)
        if not isinstance(item, str):
            raise wrong_type("a string", item, key_path(path, key))
    return result


def is_string_map(value: object) -> bool:
    """True for a map of strings to strings; the quick check before `string_map`'s errors."""
    if type(value) is not dict:
        return False
    for key, item in value.items():
        if type(key) is not str or type(item) is not str:
            return False
    return True


def string_list(value: object, path: str) -> tuple[str, ...]:
    items = sequence(value, path)
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise wrong_type("a string", item, f"{path}[{i}]")
    return tuple(items)


def check_keys(obj: dict, allowed: Iterable[str], path: str) -> None:
    """Refuse keys we do not know inside a structure we interpret: a typo there would
    otherwise silently change the decision."""
    for key in obj:
        if key not in allowed:
            where = key_path(path, str(key))
            known = ", ".join(sorted(allowed))
            raise InputError(f"unknown field (known fields: {known})", field=where)


def one_of(value: str, choices: Iterable[str], path: str) -> str:
    if value not in choices:
        options = ", ".join(choices)
        raise InputError(f"unsupported value {value!r}: must be one of {options}", field=path)
    return value


_timestamps: dict[object, str] = {}


def timestamp(value: object, path: str) -> str:
    """An RFC 3339 time in one spelling, UTC to the second (`2024-05-01T12:00:00Z`, as the
    API server writes metav1.Time), so that times compare as strings. YAML may hand us a
    datetime already."""
    if value is None or value == "":
        return ""
    try:
        found = _timestamps.get(value)
    except TypeError:
        raise wrong_type("an RFC 3339 time", value, path) from None
    if found is not None:
        return found
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise InputError(f"{value!r} is not an RFC 3339 time such as 2024-05-01T12:00:00Z",
                             field=path) from None
    else:
        raise wrong_type("an RFC 3339 time", value, path)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    text = moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if len(_timestamps) > 100_000:
        _timestamps.clear()
    _timestamps[value] = text
    return text
