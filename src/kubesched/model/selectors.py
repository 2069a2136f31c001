"""Label selectors and node selector terms: read from the API form, validated as the API
server validates them, and matched against labels.

- A label selector (`matchLabels` + `matchExpressions`) allows In, NotIn, Exists and
  DoesNotExist; In/NotIn need values, Exists/DoesNotExist take none.
- A node selector term adds Gt and Lt (exactly one integer value) to its
  `matchExpressions`, and `matchFields` accepts only `metadata.name` with In/NotIn and
  one value.
"""

from __future__ import annotations

import re

from kubesched.errors import InputError
from kubesched.model.fields import INT64_MAX, INT64_MIN, check_keys, mapping, sequence, string, string_list, string_map
from kubesched.model.records import LabelSelector, NodeSelectorTerm, Requirement
from kubesched.model.validation import qualified_name

LABEL_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
NODE_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt")
FIELD_OPERATORS = ("In", "NotIn")
NODE_NAME_FIELD = "metadata.name"

_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")


def check_label_value(value: str, path: str) -> str:
    """The API server refuses selectors whose values are not valid label values."""
    if len(value) > 63 or not _LABEL_VALUE.fullmatch(value):
        raise InputError(f"invalid label value {value!r}: at most 63 characters, alphanumerics, '-', '_' or '.', "
                         "starting and ending with an alphanumeric", field=path)
    return value


_INTEGER = re.compile(r"[+-]?[0-9]+")

_SELECTOR_KEYS = frozenset({"matchLabels", "matchExpressions"})
_REQUIREMENT_KEYS = frozenset({"key", "operator", "values"})
_TERM_KEYS = frozenset({"matchExpressions", "matchFields"})


def parse_requirement(obj: object, path: str, operators: tuple[str, ...], *,
                      unparseable_matches_nothing: bool = False) -> Requirement:
    """With `unparseable_matches_nothing` (a required node affinity term), a Gt/Lt value
    that is no integer is accepted, as the API server does, and the requirement matches no
    node, as upstream's scheduler ignores a term it cannot parse."""
    obj = mapping(obj, path)
    check_keys(obj, _REQUIREMENT_KEYS, path)
    key = string(obj.get("key"), f"{path}.key")
    if not key:
        raise InputError("a key is required", field=f"{path}.key")
    if operators is not FIELD_OPERATORS:
        qualified_name(key, f"{path}.key", "label key")
    operator = string(obj.get("operator"), f"{path}.operator")
    if operator not in operators:
        raise InputError(f"unknown operator {operator!r}: must be one of {', '.join(operators)}",
                         field=f"{path}.operator")
    values = string_list(obj.get("values"), f"{path}.values")
    if operator in ("In", "NotIn") and not values:
        raise InputError(f"values must be given when operator is {operator}", field=f"{path}.values")
    if operator in ("Exists", "DoesNotExist") and values:
        raise InputError(f"values must be empty when operator is {operator}", field=f"{path}.values")
    if operators is not FIELD_OPERATORS:
        for i, value in enumerate(values):
            check_label_value(value, f"{path}.values[{i}]")
    if operator in ("Gt", "Lt"):
        if len(values) != 1:
            raise InputError(f"exactly one value must be given when operator is {operator}",
                             field=f"{path}.values")
        if not _is_go_int64(values[0]):
            if unparseable_matches_nothing:
                return Requirement(key, "In", ())
            raise InputError(f"the value must be an integer (64-bit) when operator is {operator}, got {values[0]!r}",
                             field=f"{path}.values[0]")
    return Requirement(key, operator, values)


def _is_go_int64(text: str) -> bool:
    """What Go's strconv.ParseInt(text, 10, 64) accepts."""
    return _INTEGER.fullmatch(text) is not None and INT64_MIN <= int(text) <= INT64_MAX


def parse_label_selector(obj: object, path: str) -> LabelSelector | None:
    """None when the selector is absent (it then selects nothing where it is used)."""
    if obj is None:
        return None
    obj = mapping(obj, path)
    check_keys(obj, _SELECTOR_KEYS, path)
    labels = string_map(obj.get("matchLabels"), f"{path}.matchLabels")
    for key, value in labels.items():
        qualified_name(key, f"{path}.matchLabels.{key}", "label key")
        check_label_value(value, f"{path}.matchLabels.{key}")
    expressions = sequence(obj.get("matchExpressions"), f"{path}.matchExpressions")
    return LabelSelector(
        match_labels=tuple(labels.items()),
        match_expressions=tuple(parse_requirement(e, f"{path}.matchExpressions[{i}]", LABEL_OPERATORS)
                                for i, e in enumerate(expressions)))


def parse_field_requirement(obj: object, path: str) -> Requirement:
    requirement = parse_requirement(obj, path, FIELD_OPERATORS)
    if requirement.key != NODE_NAME_FIELD:
        raise InputError(f"unsupported field {requirement.key!r}: only {NODE_NAME_FIELD} can be matched",
                         field=f"{path}.key")
    if len(requirement.values) != 1:
        raise InputError("exactly one value must be given for a node field selector", field=f"{path}.values")
    return requirement


def parse_node_selector_term(obj: object, path: str, *, required: bool = False) -> NodeSelectorTerm:
    """`required`: a term of a pod's required node affinity (see parse_requirement)."""
    obj = mapping(obj, path)
    check_keys(obj, _TERM_KEYS, path)
    expressions = sequence(obj.get("matchExpressions"), f"{path}.matchExpressions")
    fields = sequence(obj.get("matchFields"), f"{path}.matchFields")
    return NodeSelectorTerm(
        match_expressions=tuple(parse_requirement(e, f"{path}.matchExpressions[{i}]", NODE_OPERATORS,
                                                  unparseable_matches_nothing=required)
                                for i, e in enumerate(expressions)),
        match_fields=tuple(parse_field_requirement(f, f"{path}.matchFields[{i}]")
                           for i, f in enumerate(fields)))


def requirement_matches(requirement: Requirement, labels: dict[str, str]) -> bool:
    value = labels.get(requirement.key)
    operator = requirement.operator
    if operator == "In":
        return value is not None and value in requirement.values
    if operator == "NotIn":
        return value is None or value not in requirement.values
    if operator == "Exists":
        return value is not None
    if operator == "DoesNotExist":
        return value is None
    # Gt / Lt: an absent or non-integer label does not match (Go's strconv.ParseInt).
    if value is None or not _INTEGER.fullmatch(value):
        return False
    number, bound = int(value), int(requirement.values[0])
    if not INT64_MIN <= number <= INT64_MAX:
        return False
    return number > bound if operator == "Gt" else number < bound


def label_selector_matches(selector: LabelSelector, labels: dict[str, str]) -> bool:
    """An empty selector matches everything."""
    return (all(labels.get(k) == v for k, v in selector.match_labels)
            and all(requirement_matches(r, labels) for r in selector.match_expressions))


def node_term_matches(term: NodeSelectorTerm, node_name: str, labels: dict[str, str]) -> bool:
    """An empty term matches nothing."""
    if not term.match_expressions and not term.match_fields:
        return False
    fields = {NODE_NAME_FIELD: node_name}
    return (all(requirement_matches(r, labels) for r in term.match_expressions)
            and all(requirement_matches(r, fields) for r in term.match_fields))
