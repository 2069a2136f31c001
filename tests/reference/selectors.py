"""Label selectors and node selector terms matched as upstream's labels.Requirement and
nodeaffinity match them, written apart from kubesched.model.selectors."""

from __future__ import annotations

import re

from kubesched.model.records import LabelSelector, NodeSelectorTerm, Requirement

_DECIMAL = re.compile(r"[+-]?[0-9]+")  # what strconv.ParseInt(s, 10, 64) reads, range aside


def _go_int64(text: str) -> int | None:
    if not _DECIMAL.fullmatch(text):
        return None
    number = int(text)
    return number if -2**63 <= number < 2**63 else None


def requirement_holds(requirement: Requirement, labels: dict[str, str]) -> bool:
    present = requirement.key in labels
    value = labels.get(requirement.key)
    match requirement.operator:
        case "In":
            return present and value in requirement.values
        case "NotIn":
            return not present or value not in requirement.values
        case "Exists":
            return present
        case "DoesNotExist":
            return not present
        case "Gt" | "Lt":
            if not present:
                return False
            number, bound = _go_int64(value), _go_int64(requirement.values[0])
            if number is None or bound is None:
                return False
            return number > bound if requirement.operator == "Gt" else number < bound
    raise ValueError(f"unknown operator {requirement.operator!r}")


def selector_matches(selector: LabelSelector, labels: dict[str, str]) -> bool:
    """metav1.LabelSelectorAsSelector(selector).Matches(labels): an empty selector matches all."""
    for key, value in selector.match_labels:
        if key not in labels or labels[key] != value:
            return False
    return all(requirement_holds(r, labels) for r in selector.match_expressions)


def term_matches(term: NodeSelectorTerm, node_name: str, labels: dict[str, str]) -> bool:
    """One node selector term: its expressions on the labels, its fields on metadata.name;
    a term with neither matches no node. Without a node name (a PV's node affinity, which
    upstream matches against a node made of the labels alone) the fields are not looked at."""
    if not term.match_expressions and not term.match_fields:
        return False
    if not all(requirement_holds(r, labels) for r in term.match_expressions):
        return False
    return not node_name or all(requirement_holds(r, {"metadata.name": node_name}) for r in term.match_fields)
