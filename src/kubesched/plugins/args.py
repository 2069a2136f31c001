"""Readers of args fields that several plugins share, validated as upstream's
pkg/scheduler/apis/config/validation does."""

from __future__ import annotations


def resource_weights(r, value, field: str) -> tuple[tuple[str, int], ...]:
    """A list of {name, weight} (NodeResourcesFit's scoring resources, BalancedAllocation's)."""
    result = []
    for k, item in enumerate(r.sequence(value, field)):
        item = r.mapping(item, f"{field}[{k}]", {"name", "weight"})
        name = r.string(item.get("name"), f"{field}[{k}].name")
        weight = r.integer(item.get("weight", 1), f"{field}[{k}].weight", 1, 100)
        result.append((name, weight))
    return tuple(result)


def shape(r, value, field: str) -> tuple[tuple[int, int], ...]:
    """A broken linear function's (utilization, score) points, validated as upstream's
    validateFunctionShape (RequestedToCapacityRatio and VolumeBinding share it)."""
    points: list[tuple[int, int]] = []
    for k, point in enumerate(r.sequence(value, field)):
        point = r.mapping(point, f"{field}[{k}]", {"utilization", "score"})
        utilization = r.integer(point.get("utilization"), f"{field}[{k}].utilization", 0, 100)
        score = r.integer(point.get("score"), f"{field}[{k}].score", 0, 10)
        if points and utilization <= points[-1][0]:
            raise r.fail(f"{field}[{k}].utilization", "values must be sorted in increasing order")
        points.append((utilization, score))
    if not points:
        raise r.fail(field, "at least one point must be specified")
    return tuple(points)
