"""NodeVolumeLimits: CSI attach limits and missing CSI drivers (src/_core/volumes.hpp)."""

from kubesched.plugins.plugin import Plugin, Reason, ReasonKind, points, reads

PLUGIN = Plugin("NodeVolumeLimits", points("preFilter", "filter"), default_weight=0, core_filter=10, reads=reads("volumes", "namespace"), reasons=(
    Reason(ReasonKind.VOLUME, 3, "node(s) exceed max volume count"),
    Reason(ReasonKind.CSI_DRIVER_MISSING, None, "{driver} CSI driver is not installed on the node"),
))
