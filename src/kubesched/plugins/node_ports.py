"""NodePorts: a pod's host ports must be free on the node."""

from kubesched.plugins.plugin import Plugin, Reason, ReasonKind, points, reads

PLUGIN = Plugin("NodePorts", points("preFilter", "filter"), default_weight=0, core_filter=4, reads=reads("host_ports"), reasons=(
    Reason(ReasonKind.PORTS, 0, "node(s) didn't have free ports for the requested pod ports"),
))
