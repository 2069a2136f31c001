"""Quantities as people read them: cpu in cores, memory and storage in Gi, ratios in %."""

from __future__ import annotations


def amount(resource: str, value: int) -> str:
    """CPU in cores (the core counts millicores), memory and storage in Gi, the rest as is."""
    if resource == "cpu":
        return f"{value / 1000:g}"
    if resource in ("memory", "ephemeral-storage") or resource.startswith("hugepages-"):
        return f"{value / 2**30:.1f}Gi"
    return str(value)


def percent(used: int | float, total: int | float) -> str:
    return f"{used / total * 100:.1f}%" if total else "-"
