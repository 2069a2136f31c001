"""Upstream's PrioritySort: higher priority first, then older, then input order."""

from __future__ import annotations

from kubesched.model.records import Pod


def queue_order(pods: list[Pod]) -> list[Pod]:
    return sorted(pods, key=lambda p: (-p.priority, p.creation, p.index))
