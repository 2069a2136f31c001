"""PodTopologySpread: topology spread constraints, the pod's or the profile's defaults."""

from dataclasses import replace

from kubesched.errors import InputError
from kubesched.model.fields import INT32_MAX
from kubesched.model.pod_spec import WHEN_UNSATISFIABLE
from kubesched.model.validation import qualified_name
from kubesched.plugins.plugin import Plugin, Reason, ReasonKind, points, reads

CONSTRAINT_FIELDS = {"maxSkew", "topologyKey", "whenUnsatisfiable", "labelSelector", "minDomains",
                     "nodeAffinityPolicy", "nodeTaintsPolicy", "matchLabelKeys"}


def read_args(r, profile, args: dict, path: str):
    defaulting = args.get("defaultingType", "System")
    if defaulting not in ("System", "List"):
        raise r.fail(f"{path}.defaultingType", f"must be System or List, got {defaulting!r}")
    constraints = _default_constraints(r, args.get("defaultConstraints"), f"{path}.defaultConstraints")
    if defaulting == "System" and constraints:
        raise r.fail(f"{path}.defaultConstraints", "must be empty when defaultingType is System")
    return replace(profile, spread_defaulting_type=defaulting, spread_default_constraints=constraints)


def _default_constraints(r, value, field: str) -> tuple[dict, ...]:
    """defaultConstraints, checked as upstream's ValidatePodTopologySpreadArgs."""
    constraints = []
    for k, item in enumerate(r.sequence(value, field)):
        where = f"{field}[{k}]"
        if item is None:
            raise r.fail(where, "expected a constraint (a mapping), got null")
        item = r.mapping(item, where, CONSTRAINT_FIELDS)
        r.integer(item.get("maxSkew"), f"{where}.maxSkew", 1, INT32_MAX)
        key = r.string(item.get("topologyKey"), f"{where}.topologyKey")
        try:
            qualified_name(key, f"{where}.topologyKey", "topologyKey")
        except InputError as error:
            raise r.fail(f"{where}.topologyKey", error.problem) from None
        when = item.get("whenUnsatisfiable")
        if when not in WHEN_UNSATISFIABLE:
            raise r.fail(f"{where}.whenUnsatisfiable", f"must be one of {', '.join(WHEN_UNSATISFIABLE)}, got {when!r}")
        if item.get("labelSelector") is not None:
            raise r.fail(f"{where}.labelSelector", "a default constraint must not define a selector: it is deduced "
                                                   "for each pod")
        if any(c["topologyKey"] == key and c["whenUnsatisfiable"] == when for c in constraints):
            raise r.fail(where, f"duplicate constraint for topologyKey {key!r} and {when}")
        constraints.append(item)
    return tuple(constraints)


PLUGIN = Plugin("PodTopologySpread", points("preFilter", "filter", "preScore", "score"), default_weight=2,
                core_filter=6, core_score=4,
                reads=reads("topology_spread", "node_selector", "required_node_terms", "tolerations", "namespace",
                            "labels", "owner", "gpu"), args_fields=frozenset({"defaultConstraints", "defaultingType"}),
                read_args=read_args, reasons=(
                    Reason(ReasonKind.SPREAD_MISSING_LABEL, 0,
                           "node(s) didn't match pod topology spread constraints (missing required label)",
                           unresolvable=True),
                    Reason(ReasonKind.SPREAD, 0, "node(s) didn't match pod topology spread constraints"),
                ))
