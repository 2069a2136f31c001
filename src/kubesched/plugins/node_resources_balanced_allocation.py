"""NodeResourcesBalancedAllocation: nodes whose resource fractions stay even score higher."""

from dataclasses import replace

from kubesched.plugins.args import resource_weights
from kubesched.plugins.plugin import Plugin, points, reads


def read_args(r, profile, args: dict, path: str):
    resources = resource_weights(r, args.get("resources"), f"{path}.resources")
    for k, (resource, weight) in enumerate(resources):
        if weight != 1:
            raise r.fail(f"{path}.resources[{k}].weight", f"must be 1, got {weight}")
        if resource in [n for n, _ in resources[:k]]:
            raise r.fail(f"{path}.resources[{k}].name", f"duplicate resource {resource!r}")
    return replace(profile, balanced_resources=resources or profile.balanced_resources)


PLUGIN = Plugin("NodeResourcesBalancedAllocation", points("preScore", "score"), default_weight=1, core_score=3, reads=reads("requests", "nonzero_cpu", "nonzero_memory"),
                args_fields=frozenset({"resources"}), read_args=read_args)
