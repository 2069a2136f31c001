"""Upstream's PrioritySort: higher priority first, then older; offline, input order breaks
the remaining ties (the live queue uses its arrival order instead)."""

from __future__ import annotations

from kubesched.model.records import Pod


def sort_key(pod: Pod) -> tuple[int, str]:
    """PrioritySort's Less as a key: higher priority first, then the older creation time."""
    return -pod.priority, pod.creation


def input_order_key(pod: Pod) -> tuple[int, str, int]:
    """The offline queue's key: PrioritySort's, then the pod's place in the input."""
    return *sort_key(pod), pod.index


def queue_order(pods: list[Pod]) -> list[Pod]:
    return sorted(pods, key=input_order_key)
