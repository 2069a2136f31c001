"""VolumeZone: a bound PV's zone labels must match the node's (src/_core/volumes.hpp)."""

from kubesched.plugins.plugin import Plugin, Reason, ReasonKind, points, reads

PLUGIN = Plugin("VolumeZone", points("preFilter", "filter"), default_weight=0, core_filter=12, reads=reads("volumes", "namespace"), reasons=(
    Reason(ReasonKind.VOLUME, 8, "node(s) had no available volume zone", unresolvable=True),
))
