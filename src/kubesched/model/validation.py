"""The API server's rules for the names and keys the engine reads (apimachinery's
`IsDNS1123Subdomain`, `IsDNS1123Label`, `IsQualifiedName`, `IsValidLabelValue`,
`IsValidPortNum`): an object the API server would refuse is refused here too, naming the
field, instead of being scheduled as if it could exist.
"""

from __future__ import annotations

import re

from kubesched.errors import InputError

_DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS_LABEL_RE = re.compile(_DNS_LABEL)
DNS_SUBDOMAIN_RE = re.compile(rf"{_DNS_LABEL}(\.{_DNS_LABEL})*")
_QUALIFIED_NAME_RE = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_LABEL_VALUE_RE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")

DNS_LABEL_MAX = 63
DNS_SUBDOMAIN_MAX = 253
NAME_PART_MAX = 63
LABEL_VALUE_MAX = 63

_valid_labels: set[tuple[str, str]] = set()
_valid_label_keys: set[str] = set()


def dns_subdomain(value: str, path: str) -> str:
    return _rfc1123(value, path, DNS_SUBDOMAIN_RE, DNS_SUBDOMAIN_MAX, "subdomain", "a-z, 0-9, '-' and '.'")


def csi_driver_name(value: str, path: str) -> str:
    """ValidateCSIDriverName: at most 63 characters, a DNS subdomain but for upper case."""
    if len(value) > NAME_PART_MAX:
        raise InputError(f"a CSI driver name has at most {NAME_PART_MAX} characters", field=path)
    dns_subdomain(value.lower(), path)
    return value


def dns_label(value: str, path: str) -> str:
    return _rfc1123(value, path, _DNS_LABEL_RE, DNS_LABEL_MAX, "label", "a-z, 0-9 and '-'")


def _rfc1123(value: str, path: str, pattern: re.Pattern[str], limit: int, what: str, characters: str) -> str:
    if len(value) > limit or not pattern.fullmatch(value):
        raise InputError(f"invalid name {value!r}: a lowercase RFC 1123 {what} (at most {limit} "
                         f"characters: {characters}, starting and ending with an alphanumeric)", field=path)
    return value


def qualified_name(value: str, path: str, what: str = "key") -> str:
    """A label key, taint key, topologyKey or scheduling gate: `[prefix/]name`, the prefix a
    DNS subdomain, the name at most 63 alphanumerics, '-', '_' or '.'."""
    prefix, slash, name = value.rpartition("/")
    valid = bool(name) and len(name) <= NAME_PART_MAX and _QUALIFIED_NAME_RE.fullmatch(name) is not None
    if slash:
        valid = valid and "/" not in prefix and len(prefix) <= DNS_SUBDOMAIN_MAX \
            and DNS_SUBDOMAIN_RE.fullmatch(prefix) is not None
    if not valid:
        raise InputError(f"invalid {what} {value!r}: a qualified name ([prefix/]name; the name at most "
                         f"{NAME_PART_MAX} alphanumerics, '-', '_' or '.', starting and ending with an "
                         "alphanumeric; the prefix a DNS subdomain)", field=path)
    return value


def label_value(value: str, path: str) -> str:
    if len(value) > LABEL_VALUE_MAX or not _LABEL_VALUE_RE.fullmatch(value):
        raise InputError(f"invalid label value {value!r}: at most {LABEL_VALUE_MAX} characters, alphanumerics, "
                         "'-', '_' or '.', starting and ending with an alphanumeric", field=path)
    return value


def labels(values: dict[str, str], path: str) -> dict[str, str]:
    """Keys and values of a label map (the caller has checked they are strings)."""
    for item in values.items():
        if item in _valid_labels:
            continue
        key, value = item
        if key in _valid_label_keys and len(value) <= LABEL_VALUE_MAX and _LABEL_VALUE_RE.fullmatch(value):
            continue  # a known key with a new value (every node's hostname): only the value to check
        where = f"{path}[{key}]" if "/" in key or "." in key else f"{path}.{key}"
        qualified_name(key, where, "label key")
        label_value(value, where)
        if len(_valid_labels) > 100_000:
            _valid_labels.clear()
            _valid_label_keys.clear()
        _valid_labels.add(item)
        _valid_label_keys.add(key)
    return values


def port_number(value: int, path: str) -> int:
    if not 1 <= value <= 65535:
        raise InputError(f"must be between 1 and 65535, inclusive, got {value}", field=path)
    return value
