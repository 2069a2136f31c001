"""DefaultPreemptionArgs and how many candidate nodes the dry run looks for."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PreemptionArgs:
    min_candidate_nodes_percentage: int = 10
    min_candidate_nodes_absolute: int = 100


def candidates_to_find(args: PreemptionArgs, potential_nodes: int) -> int:
    """Upstream's calculateNumCandidates: a percentage of the potential nodes, at least the
    absolute minimum, at most all of them."""
    wanted = potential_nodes * args.min_candidate_nodes_percentage // 100
    return min(max(wanted, args.min_candidate_nodes_absolute), potential_nodes)


def preemption_args(profile) -> PreemptionArgs | None:
    """A profile's DefaultPreemptionArgs; None when it disables DefaultPreemption."""
    if profile.preemption is None:
        return None
    percentage, absolute = profile.preemption
    return PreemptionArgs(percentage, absolute)
