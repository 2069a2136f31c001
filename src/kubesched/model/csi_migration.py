"""In-tree volumes as NodeVolumeLimits counts them: the CSI driver and volume handle that
upstream's csi-translation-lib gives an in-tree PV or inline pod volume.

v1.37's plugin counts only the plugins whose migration it takes as on (isCSIMigrationOn:
AWS EBS, GCE PD, Azure Disk, Cinder, Portworx; vSphere and Azure File are migratable but not
counted), and only on a node that has a CSINode (its `migrated-plugins` annotation is not
read). A source the library cannot translate (an `aws://` volumeID not naming a `vol-`
volume, an Azure disk of a kind other than Managed, a GCE PD labelled with zones of several
regions) gives None: upstream does not count such a PV (an inline one fails its Filter with
an error, which kubesched does not model).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# In-tree provisioner (plugin) name -> the CSI driver it migrated to, for the plugins counted.
MIGRATED_DRIVERS = {"kubernetes.io/aws-ebs": "ebs.csi.aws.com", "kubernetes.io/gce-pd": "pd.csi.storage.gke.io",
                    "kubernetes.io/azure-disk": "disk.csi.azure.com", "kubernetes.io/cinder": "cinder.csi.openstack.org",
                    "kubernetes.io/portworx-volume": "pxd.portworx.com"}
# Migratable in-tree plugins NodeVolumeLimits does not count (a class naming one counts nothing).
UNCOUNTED_MIGRATABLE = ("kubernetes.io/vsphere-volume", "kubernetes.io/azure-file")
UNSPECIFIED = "UNSPECIFIED"
_EBS_ID = re.compile(r"^vol-[^/]*$")


def ebs_volume_id(volume_id: str) -> str | None:
    """KubernetesVolumeIDToEBSVolumeID: a bare id as is, `aws://<zone>/<vol-…>` its path."""
    if not volume_id.startswith("aws://"):
        return volume_id
    path = urlsplit(volume_id).path.strip("/")
    return path if _EBS_ID.match(path) else None


def _gce_region(zones: list[str]) -> str | None:
    regions = set()
    for zone in zones:
        parts = zone.split("-")
        if len(parts) != 3:
            return None
        regions.add("-".join(parts[:2]))
    return regions.pop() if len(regions) == 1 else None


def _gce_pv_handle(pd_name: str, labels: dict[str, str]) -> str | None:
    label = labels.get("failure-domain.beta.kubernetes.io/zone") or labels.get("topology.kubernetes.io/zone") or ""
    zones = label.split("__")
    if len(zones) == 1 and zones[0]:
        return f"projects/{UNSPECIFIED}/zones/{zones[0]}/disks/{pd_name}"
    if len(zones) > 1:
        region = _gce_region(zones)
        return None if region is None else f"projects/{UNSPECIFIED}/regions/{region}/disks/{pd_name}"
    return f"projects/{UNSPECIFIED}/zones/{UNSPECIFIED}/disks/{pd_name}"


def _azure_handle(source: dict) -> str | None:
    kind = source.get("kind")
    if kind is not None and str(kind).lower() != "managed":
        return None
    return str(source.get("diskURI") or "")


def _handle(key: str, source: dict, labels: dict[str, str] | None) -> str | None:
    """The volumeHandle of the source under `key`; labels: a PV's (None: an inline volume)."""
    if key == "awsElasticBlockStore":
        return ebs_volume_id(str(source.get("volumeID") or ""))
    if key == "gcePersistentDisk":
        pd_name = str(source.get("pdName") or "")
        if labels is None:
            return f"projects/{UNSPECIFIED}/zones/{UNSPECIFIED}/disks/{pd_name}"
        return _gce_pv_handle(pd_name, labels)
    if key == "azureDisk":
        return _azure_handle(source)
    return str(source.get("volumeID") or "")  # cinder, portworxVolume


# The counted in-tree sources (a PV's or pod volume's key) -> their CSI driver.
SOURCE_DRIVERS = {"awsElasticBlockStore": "ebs.csi.aws.com", "gcePersistentDisk": "pd.csi.storage.gke.io",
                  "azureDisk": "disk.csi.azure.com", "cinder": "cinder.csi.openstack.org",
                  "portworxVolume": "pxd.portworx.com"}


def translated_source(spec: dict, labels: dict[str, str] | None) -> tuple[str, str] | None:
    """The (driver, volumeHandle) NodeVolumeLimits counts for a PV spec (with its labels) or an
    inline volume (labels None) with a counted in-tree source; None otherwise."""
    for key, driver in SOURCE_DRIVERS.items():
        source = spec.get(key)
        if isinstance(source, dict):
            handle = _handle(key, source, labels)
            return None if handle is None else (driver, handle)
    return None
