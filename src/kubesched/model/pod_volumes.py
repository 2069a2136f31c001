"""A pod's `spec.volumes` as the volume plugins read them: claims (named, or an ephemeral
volume's `<pod>-<volume>`), the in-tree disks VolumeRestrictions compares, and the in-tree
volumes NodeVolumeLimits counts under their CSI driver."""

from __future__ import annotations

from dataclasses import dataclass, replace

from kubesched.errors import InputError
from kubesched.model.csi_migration import translated_source
from kubesched.model.fields import boolean, mapping, sequence, string, string_list
from kubesched.model.validation import dns_label, dns_subdomain


@dataclass(frozen=True)
class PodVolume:
    name: str
    claim: str = ""  # persistentVolumeClaim.claimName
    ephemeral: dict | None = None  # ephemeral.volumeClaimTemplate (its claim is `<pod>-<name>`)
    # In-tree disks: (kind, identity, readOnly); kind gce, aws, iscsi, rbd (identity: pool/image,
    # with the monitors in `monitors`).
    disk: tuple[str, str, bool] | None = None
    monitors: tuple[str, ...] = ()
    in_tree: tuple[str, str] | None = None  # (CSI driver, volumeHandle) of a counted in-tree source

    def claim_name(self, pod_name: str) -> str:
        return f"{pod_name}-{self.name}" if self.ephemeral is not None else self.claim

    def __hash__(self) -> int:  # the template is a dict: hash by what identifies the volume
        return hash((self.name, self.claim, self.ephemeral is not None, self.disk, self.monitors, self.in_tree))


def parse_pod_volumes(value: object) -> tuple[PodVolume, ...]:
    volumes = []
    names: set[str] = set()
    for i, item in enumerate(sequence(value, "spec.volumes")):
        path = f"spec.volumes[{i}]"
        item = mapping(item, path)
        name = string(item.get("name"), f"{path}.name")
        if not name:
            raise InputError("Required value", field=f"{path}.name")
        dns_label(name, f"{path}.name")
        if name in names:
            raise InputError(f"Duplicate value: {name!r}", field=f"{path}.name")
        names.add(name)
        volume = _volume(name, item, path)
        in_tree = translated_source(item, None)
        volumes.append(replace(volume, in_tree=in_tree) if in_tree is not None else volume)
    return tuple(volumes)


def _volume(name: str, item: dict, path: str) -> PodVolume:
    if item.get("persistentVolumeClaim") is not None:
        source = mapping(item["persistentVolumeClaim"], f"{path}.persistentVolumeClaim")
        claim = string(source.get("claimName"), f"{path}.persistentVolumeClaim.claimName")
        if not claim:
            raise InputError("Required value", field=f"{path}.persistentVolumeClaim.claimName")
        dns_subdomain(claim, f"{path}.persistentVolumeClaim.claimName")
        return PodVolume(name, claim=claim)
    if item.get("ephemeral") is not None:
        source = mapping(item["ephemeral"], f"{path}.ephemeral")
        template = mapping(source.get("volumeClaimTemplate"), f"{path}.ephemeral.volumeClaimTemplate")
        if not template:
            raise InputError("Required value", field=f"{path}.ephemeral.volumeClaimTemplate")
        mapping(template.get("spec"), f"{path}.ephemeral.volumeClaimTemplate.spec")
        return PodVolume(name, ephemeral=template)
    for key, kind, identity in (("gcePersistentDisk", "gce", "pdName"), ("awsElasticBlockStore", "aws", "volumeID"),
                                ("iscsi", "iscsi", "iqn")):
        if item.get(key) is not None:
            source = mapping(item[key], f"{path}.{key}")
            value = string(source.get(identity), f"{path}.{key}.{identity}")
            return PodVolume(name, disk=(kind, value, boolean(source.get("readOnly"), f"{path}.{key}.readOnly")))
    if item.get("rbd") is not None:
        source = mapping(item["rbd"], f"{path}.rbd")
        pool = string(source.get("pool"), f"{path}.rbd.pool") or "rbd"  # the API server's defaults
        image = string(source.get("image"), f"{path}.rbd.image")
        return PodVolume(name, disk=("rbd", f"{pool}/{image}", boolean(source.get("readOnly"), f"{path}.rbd.readOnly")),
                         monitors=string_list(source.get("monitors"), f"{path}.rbd.monitors"))
    return PodVolume(name)


def claim_names(volumes: tuple[PodVolume, ...], pod_name: str) -> list[str]:
    return [v.claim_name(pod_name) for v in volumes if v.claim or v.ephemeral is not None]


def disks_conflict(a: PodVolume, b: PodVolume) -> bool:
    """VolumeRestrictions' in-tree rule: one disk mounted twice (read-write somewhere)."""
    if a.disk is None or b.disk is None or a.disk[0] != b.disk[0] or a.disk[1] != b.disk[1]:
        return False
    kind = a.disk[0]
    if kind == "aws":
        return True
    if kind == "rbd" and not set(a.monitors) & set(b.monitors):
        return False
    return not (a.disk[2] and b.disk[2])
