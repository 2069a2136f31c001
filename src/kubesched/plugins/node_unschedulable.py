"""NodeUnschedulable: a cordoned node fits only pods tolerating its unschedulable taint."""

from kubesched.plugins.plugin import Plugin, Reason, ReasonKind, points, reads

PLUGIN = Plugin("NodeUnschedulable", points("filter"), default_weight=0, core_filter=1, reads=reads("tolerations"), reasons=(
    Reason(ReasonKind.UNSCHEDULABLE, 0, "node(s) were unschedulable", unresolvable=True),
))
