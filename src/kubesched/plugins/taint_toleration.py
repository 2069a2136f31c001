"""TaintToleration: untolerated NoSchedule/NoExecute taints filter, PreferNoSchedule ones score."""

from kubesched.plugins.plugin import Plugin, Reason, ReasonKind, points, reads

PLUGIN = Plugin("TaintToleration", points("filter", "preScore", "score"), default_weight=3, core_filter=2,
                core_score=0, reads=reads("tolerations"), reasons=(
                    Reason(ReasonKind.TAINT, 0, "node(s) had untolerated taint(s)", unresolvable=True),
                ))
