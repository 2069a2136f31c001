"""The pods on nodes as preemption sees them: who they are, when they started, whether an
earlier preemption is deleting them already."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kubesched.errors import InputError
from kubesched.model.fields import timestamp
from kubesched.model.records import Pod

LATEST = 2**63 - 1  # a pod without status.startTime: upstream takes "now", after any real start


@dataclass(frozen=True, eq=False)
class PodOnNode:
    """A pod counted on a node (bound, or assumed by a decision): a potential victim."""

    pod: Pod
    node: str
    start_time: int = LATEST  # status.startTime in nanoseconds since the epoch
    terminating: bool = False  # deleted by an earlier preemption, not gone yet


def start_time(pod: Pod) -> int:
    """The pod's status.startTime (nanoseconds since the epoch), LATEST when it has none."""
    status = (pod.raw or {}).get("status")
    value = status.get("startTime") if isinstance(status, dict) else None
    if not value:
        return LATEST
    try:
        text = timestamp(value, "status.startTime")
    except InputError as error:
        raise error.located(file=pod.source or None, obj=f"Pod {pod.key}") from None
    return int(datetime.fromisoformat(text).timestamp()) * 1_000_000_000


def terminating_by_preemption(obj: dict) -> bool:
    """Upstream's PodTerminatingByPreemption: a deletionTimestamp and a DisruptionTarget
    condition (status True, reason PreemptionByScheduler)."""
    meta = obj.get("metadata") or {}
    if not meta.get("deletionTimestamp"):
        return False
    for condition in (obj.get("status") or {}).get("conditions") or ():
        if isinstance(condition, dict) and condition.get("type") == "DisruptionTarget":
            return condition.get("status") == "True" and condition.get("reason") == "PreemptionByScheduler"
    return False


def pod_on_node(pod: Pod, node: str) -> PodOnNode:
    """A bound pod as its manifest (or API object) says."""
    return PodOnNode(pod, node, start_time(pod), terminating_by_preemption(pod.raw or {}))
