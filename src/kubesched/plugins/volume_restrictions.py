"""VolumeRestrictions: disk conflicts and ReadWriteOncePod claims in use (src/_core/volumes.hpp)."""

from kubesched.plugins.plugin import Plugin, Reason, ReasonKind, points, reads

PLUGIN = Plugin("VolumeRestrictions", points("preFilter", "filter"), default_weight=0, core_filter=9, reads=reads("volumes", "namespace"), reasons=(
    Reason(ReasonKind.VOLUME, 1, "node(s) had no available disk"),
    Reason(ReasonKind.VOLUME, 2, "node(s) unavailable due to PersistentVolumeClaim with ReadWriteOncePod access "
                                 "mode already in-use by another pod"),
))
