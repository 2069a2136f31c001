"""InterPodAffinity: pod (anti-)affinity terms, the pod's and existing pods'."""

from dataclasses import replace

from kubesched.plugins.plugin import Plugin, Reason, ReasonKind, points, reads


def read_args(r, profile, args: dict, path: str):
    weight = r.integer(args.get("hardPodAffinityWeight", 1), f"{path}.hardPodAffinityWeight", 0, 100)
    ignore = args.get("ignorePreferredTermsOfExistingPods", False)
    if not isinstance(ignore, bool):
        raise r.fail(f"{path}.ignorePreferredTermsOfExistingPods", f"expected true or false, got {ignore!r}")
    return replace(profile, hard_pod_affinity_weight=weight, ignore_preferred_terms_of_existing_pods=ignore)


PLUGIN = Plugin("InterPodAffinity", points("preFilter", "filter", "preScore", "score"), default_weight=2,
                core_filter=7, core_score=5,
                reads=reads("pod_affinity_required", "pod_affinity_preferred", "pod_anti_affinity_required",
                            "pod_anti_affinity_preferred", "namespace", "labels"),
                args_fields=frozenset({"hardPodAffinityWeight", "ignorePreferredTermsOfExistingPods"}),
                read_args=read_args, reasons=(
                    Reason(ReasonKind.AFFINITY, 0, "node(s) didn't match pod affinity rules", unresolvable=True),
                    Reason(ReasonKind.ANTI_AFFINITY, 0, "node(s) didn't match pod anti-affinity rules"),
                    Reason(ReasonKind.EXISTING_ANTI, 0, "node(s) didn't satisfy existing pods anti-affinity rules"),
                ))
