"""NodeAffinity: the pod's node selector and affinity, and NodeAffinityArgs.addedAffinity."""

from __future__ import annotations

from dataclasses import dataclass, replace

from kubesched.errors import InputError
from kubesched.model.pod_spec import parse_node_affinity
from kubesched.model.records import NodeSelectorTerm, PreferredSchedulingTerm
from kubesched.plugins.plugin import Plugin, Reason, ReasonKind, points, reads


# PreFilter: required terms that name nodes, no node in all of them (upstream's errReasonConflict)
TERMS_CONFLICT = "pod affinity terms conflict"


@dataclass(frozen=True)
class AddedAffinity:
    """NodeAffinityArgs.addedAffinity: node affinity the profile adds to every pod."""

    required_terms: tuple[NodeSelectorTerm, ...] | None = None
    preferred_terms: tuple[PreferredSchedulingTerm, ...] = ()


def read_args(r, profile, args: dict, path: str):
    if args.get("addedAffinity") is None:
        return profile
    try:
        required, preferred = parse_node_affinity(args["addedAffinity"], f"{path}.addedAffinity")
    except InputError as error:
        raise r.fail(error.field or f"{path}.addedAffinity", error.problem) from None
    return replace(profile, added_affinity=AddedAffinity(required, preferred))


PLUGIN = Plugin("NodeAffinity", points("preFilter", "filter", "preScore", "score"), default_weight=2,
                core_filter=3, core_score=1, core_prefilter=True,
                reads=reads("node_selector", "required_node_terms", "preferred_node_terms", "gpu"),
                args_fields=frozenset({"addedAffinity"}), read_args=read_args, reasons=(
                    Reason(ReasonKind.NODE_AFFINITY, 0, "node(s) didn't match Pod's node affinity/selector",
                           unresolvable=True),
                    Reason(ReasonKind.ENFORCED_AFFINITY, 0, "node(s) didn't match scheduler-enforced node affinity",
                           unresolvable=True),
                    Reason(ReasonKind.PREFILTER_REJECTED, 1, TERMS_CONFLICT, unresolvable=True),
                ))
