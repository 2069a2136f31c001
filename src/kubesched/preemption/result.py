"""What DefaultPreemption decides for one unschedulable pod, and upstream's wording of it."""

from __future__ import annotations

from dataclasses import dataclass, field

from kubesched.model.records import Pod

NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"
NEVER = "not eligible due to preemptionPolicy=Never."
TERMINATING = "not eligible due to a terminating pod on the nominated node."


@dataclass
class Candidate:
    """A node where evicting `victims` (most important first) lets the pod fit."""

    node: str
    victims: list[Pod]
    pdb_violations: int

    def to_json(self) -> dict:
        return {"node": self.node, "victims": [p.key for p in self.victims],
                "victimPriorities": [p.priority for p in self.victims], "pdbViolations": self.pdb_violations}


@dataclass
class Preemption:
    """The PostFilter's answer.

    `nominated_node` is None when preemption cannot help; `message` is then the PostFilter
    status message (`preemption: ...`) that upstream appends to the FitError, and `statuses`
    holds, per node the dry run rejected, its reasons. `candidates` are those the dry run
    found, in the order upstream's selection sees them (non-violating first), and
    `decided_by` names the criterion that separated the chosen one from the rest."""

    nominated_node: str | None
    victims: list[Pod] = field(default_factory=list)  # in eviction order
    pdb_violations: int = 0
    candidates: list[Candidate] = field(default_factory=list)
    statuses: dict[str, list[str]] = field(default_factory=dict)
    message: str = ""
    decided_by: str = ""
    eligible: bool = True

    def fit_error(self, fit_message: str) -> str:
        """The pod's full unschedulable message: the filters' FitError, then this one."""
        return f"{fit_message} {self.message}" if self.message else fit_message

    def to_json(self) -> dict:
        return {"nominatedNode": self.nominated_node, "victims": [p.key for p in self.victims],
                "pdbViolations": self.pdb_violations, "candidates": [c.to_json() for c in self.candidates],
                "decidedBy": self.decided_by, "message": self.message}


def success_message(node: str, victims: int) -> str:
    """The PostFilter status of a nomination, as the preemptor's condition ends."""
    return f"preemption: found a potential placement for pod on node {node}, preempting {victims} victims"


def not_helpful_message(node_count: int, statuses: dict[str, list[str]]) -> str:
    """`preemption: 0/N nodes are available: ...`: the dry run's rejections, and every
    other node as not helpful."""
    counts: dict[str, int] = {}
    for reasons in statuses.values():
        for reason in reasons:
            counts[reason] = counts.get(reason, 0) + 1
    absent = node_count - len(statuses)
    if absent > 0:
        counts[NOT_HELPFUL] = counts.get(NOT_HELPFUL, 0) + absent
    parts = sorted(f"{count} {reason}" for reason, count in counts.items())
    text = f"0/{node_count} nodes are available:"
    if parts:
        text += " " + ", ".join(parts) + "."
    return "preemption: " + text


def unresolvable_everywhere(pod: Pod, node_count: int) -> str:
    """The PostFilter status for a pod that every node rejects as unresolvable."""
    if pod.spec.preemption_policy == "Never":
        return f"preemption: {NEVER}"
    return not_helpful_message(node_count, {})
