"""Upstream's pickOneNodeForPreemption: the candidate node whose eviction costs least."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from kubesched.preemption.result import Candidate

from kubesched.preemption.victims import LATEST
INT32_SHIFT = 2**31  # upstream adds MaxInt32+1 so that negative priorities sum sensibly


def earliest_start_of_highest(candidate: Candidate, start_times: Mapping[str, int]) -> int:
    """GetEarliestPodStartTime: the earliest start among the highest-priority victims."""
    top = max(p.priority for p in candidate.victims)
    return min(start_times.get(p.key, LATEST) for p in candidate.victims if p.priority == top)


def criteria(start_times: Mapping[str, int]) -> list[tuple[str, Callable[[Candidate], int]]]:
    """The scores in order of precedence; higher is better."""
    return [
        ("fewest PDB violations", lambda c: -c.pdb_violations),
        ("lowest highest-victim priority", lambda c: -c.victims[0].priority),
        ("smallest sum of victim priorities", lambda c: -sum(p.priority + INT32_SHIFT for p in c.victims)),
        ("fewest victims", lambda c: -len(c.victims)),
        ("latest start of the highest-priority victims", lambda c: earliest_start_of_highest(c, start_times)),
    ]


def pick_candidate(candidates: Sequence[Candidate], start_times: Mapping[str, int]) -> tuple[Candidate, str]:
    """The chosen candidate and the criterion that singled it out ("only candidate", or
    "first of the tied" when every criterion ties)."""
    if len(candidates) == 1:
        return candidates[0], "only candidate"
    remaining = list(candidates)
    for name, score in criteria(start_times):
        best = max(score(c) for c in remaining)
        remaining = [c for c in remaining if score(c) == best]
        if len(remaining) == 1:
            return remaining[0], name
    return remaining[0], "first of the tied"
