"""NodeName: a pod with spec.nodeName fits that node only."""

from kubesched.plugins.plugin import Plugin, Reason, ReasonKind, points

PLUGIN = Plugin("NodeName", points("filter"), default_weight=0, core_filter=0, reasons=(
    Reason(ReasonKind.NODE_NAME, 0, "node(s) didn't match the requested node name", unresolvable=True),
))
