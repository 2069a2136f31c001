"""VolumeBinding: claims' PVs and storage capacity per node (src/_core/volumes.hpp), and
VolumeBindingArgs."""

from dataclasses import replace

from kubesched.model.fields import INT64_MAX
from kubesched.plugins.args import shape
from kubesched.plugins.plugin import Plugin, Reason, ReasonKind, points, reads


def read_args(r, profile, args: dict, path: str):
    timeout = r.integer(args.get("bindTimeoutSeconds", 600), f"{path}.bindTimeoutSeconds", 0, INT64_MAX)
    volume_shape = profile.volume_shape
    if "shape" in args:  # StorageCapacityScoring is on in v1.37: the shape is checked and used
        volume_shape = shape(r, args.get("shape"), f"{path}.shape")
    return replace(profile, bind_timeout_seconds=timeout, volume_shape=volume_shape)


PLUGIN = Plugin("VolumeBinding", points("preFilter", "filter", "reserve", "preBind", "score"), default_weight=0,
                core_filter=11, core_score=15, reads=reads("volumes", "namespace"), args_fields=frozenset({"bindTimeoutSeconds", "shape"}),
                read_args=read_args, reasons=(
                    Reason(ReasonKind.VOLUME, 4, "node(s) didn't match PersistentVolume's node affinity",
                           unresolvable=True),
                    Reason(ReasonKind.VOLUME, 5, "node(s) didn't find available persistent volumes to bind",
                           unresolvable=True),
                    Reason(ReasonKind.VOLUME, 6, "node(s) did not have enough free storage", unresolvable=True),
                    Reason(ReasonKind.VOLUME, 7,
                           "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)",
                           unresolvable=True),
                ))
