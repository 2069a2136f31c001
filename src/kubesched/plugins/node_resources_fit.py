"""NodeResourcesFit: requests must fit the node's allocatable; scored by a strategy."""

from dataclasses import replace

from kubesched.plugins.args import resource_weights, shape
from kubesched.plugins.plugin import Plugin, Reason, ReasonKind, points, reads

STRATEGIES = ("LeastAllocated", "MostAllocated", "RequestedToCapacityRatio")


def read_args(r, profile, args: dict, path: str):
    strategy = r.mapping(args.get("scoringStrategy"), f"{path}.scoringStrategy",
                         {"type", "resources", "requestedToCapacityRatio"})
    kind = strategy.get("type", "LeastAllocated")
    if kind not in STRATEGIES:
        raise r.fail(f"{path}.scoringStrategy.type", f"must be one of {', '.join(STRATEGIES)}, got {kind!r}")
    resources = resource_weights(r, strategy.get("resources"), f"{path}.scoringStrategy.resources")
    points_: tuple[tuple[int, int], ...] = ()
    ratio = r.mapping(strategy.get("requestedToCapacityRatio"), f"{path}.scoringStrategy.requestedToCapacityRatio",
                      {"shape"})
    if kind == "RequestedToCapacityRatio":
        points_ = shape(r, ratio.get("shape"), f"{path}.scoringStrategy.requestedToCapacityRatio.shape")
    ignored = tuple(r.string(v, f"{path}.ignoredResources[{i}]")
                    for i, v in enumerate(r.sequence(args.get("ignoredResources"), f"{path}.ignoredResources")))
    groups = tuple(r.string(v, f"{path}.ignoredResourceGroups[{i}]")
                   for i, v in enumerate(r.sequence(args.get("ignoredResourceGroups"), f"{path}.ignoredResourceGroups")))
    for i, group in enumerate(groups):
        if "/" in group:
            raise r.fail(f"{path}.ignoredResourceGroups[{i}]", f"a resource group name cannot contain '/': {group!r}")
    return replace(profile, strategy=kind, fit_resources=resources or profile.fit_resources, shape=points_,
                   fit_ignored_resources=ignored, fit_ignored_groups=groups)


PLUGIN = Plugin("NodeResourcesFit", points("preFilter", "filter", "preScore", "score"), default_weight=1,
                core_filter=5, core_score=2,
                reads=reads("requests", "nonzero_cpu", "nonzero_memory", "fit_score_cpu", "fit_score_memory",
                            "dra_served"),
                args_fields=frozenset({"ignoredResources", "ignoredResourceGroups", "scoringStrategy"}),
                read_args=read_args, reasons=(
                    Reason(ReasonKind.TOO_MANY_PODS, 0, "Too many pods"),
                    Reason(ReasonKind.INSUFFICIENT, None, "Insufficient {resource}"),
                ))
