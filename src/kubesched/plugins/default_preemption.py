"""DefaultPreemption at PostFilter (kubesched.preemption), and DefaultPreemptionArgs."""

from dataclasses import replace

from kubesched.model.fields import INT32_MAX
from kubesched.plugins.plugin import Plugin, points


def read_args(r, profile, args: dict, path: str):
    """Minimum candidate nodes (percentage, absolute), kept where the profile preempts."""
    percentage = r.integer(args.get("minCandidateNodesPercentage", 10), f"{path}.minCandidateNodesPercentage", 0, 100)
    absolute = r.integer(args.get("minCandidateNodesAbsolute", 100), f"{path}.minCandidateNodesAbsolute", 0, INT32_MAX)
    if percentage == 0 and absolute == 0:
        raise r.fail(f"{path}.minCandidateNodesPercentage",
                     "cannot be zero at the same time as minCandidateNodesAbsolute")
    return profile if profile.preemption is None else replace(profile, preemption=(percentage, absolute))


PLUGIN = Plugin("DefaultPreemption", points("postFilter"), default_weight=0,
                args_fields=frozenset({"minCandidateNodesPercentage", "minCandidateNodesAbsolute"}),
                read_args=read_args)
