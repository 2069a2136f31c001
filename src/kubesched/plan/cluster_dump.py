"""`kubesched snapshot`: a live cluster's nodes, pods and the objects the plugins read, written
as YAML manifests (one `kind: List` file per kind) for offline simulation and planning.

Lists are raw JSON through `kubesched.kube` in pages of `limit` items. `managedFields` are
dropped; everything else is kept, so that `kubesched simulate -f DIR` reads the cluster as
the API served it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import yaml

from kubesched.errors import InputError
from kubesched.kube import ApiError, Kube

_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@dataclass(frozen=True)
class Listed:
    file: str          # file stem in the output directory
    kind: str
    api_version: str
    path: str          # the list path (cluster-scoped or across all namespaces)


KINDS = (
    Listed("nodes", "Node", "v1", "/api/v1/nodes"),
    Listed("namespaces", "Namespace", "v1", "/api/v1/namespaces"),
    Listed("pods", "Pod", "v1", "/api/v1/pods"),
    Listed("services", "Service", "v1", "/api/v1/services"),
    Listed("replicationcontrollers", "ReplicationController", "v1", "/api/v1/replicationcontrollers"),
    Listed("replicasets", "ReplicaSet", "apps/v1", "/apis/apps/v1/replicasets"),
    Listed("statefulsets", "StatefulSet", "apps/v1", "/apis/apps/v1/statefulsets"),
    Listed("daemonsets", "DaemonSet", "apps/v1", "/apis/apps/v1/daemonsets"),
    Listed("priorityclasses", "PriorityClass", "scheduling.k8s.io/v1",
           "/apis/scheduling.k8s.io/v1/priorityclasses"),
    Listed("runtimeclasses", "RuntimeClass", "node.k8s.io/v1", "/apis/node.k8s.io/v1/runtimeclasses"),
    Listed("poddisruptionbudgets", "PodDisruptionBudget", "policy/v1",
           "/apis/policy/v1/poddisruptionbudgets"),
    # Dynamic Resource Allocation (resource.k8s.io/v1): the devices and who claims them.
    Listed("deviceclasses", "DeviceClass", "resource.k8s.io/v1", "/apis/resource.k8s.io/v1/deviceclasses"),
    Listed("resourceslices", "ResourceSlice", "resource.k8s.io/v1", "/apis/resource.k8s.io/v1/resourceslices"),
    Listed("resourceclaims", "ResourceClaim", "resource.k8s.io/v1", "/apis/resource.k8s.io/v1/resourceclaims"),
    Listed("resourceclaimtemplates", "ResourceClaimTemplate", "resource.k8s.io/v1",
           "/apis/resource.k8s.io/v1/resourceclaimtemplates"),
    Listed("devicetaintrules", "DeviceTaintRule", "resource.k8s.io/v1", "/apis/resource.k8s.io/v1/devicetaintrules"),
    # The volume plugins' objects.
    Listed("persistentvolumes", "PersistentVolume", "v1", "/api/v1/persistentvolumes"),
    Listed("persistentvolumeclaims", "PersistentVolumeClaim", "v1", "/api/v1/persistentvolumeclaims"),
    Listed("storageclasses", "StorageClass", "storage.k8s.io/v1", "/apis/storage.k8s.io/v1/storageclasses"),
    Listed("csinodes", "CSINode", "storage.k8s.io/v1", "/apis/storage.k8s.io/v1/csinodes"),
    Listed("csidrivers", "CSIDriver", "storage.k8s.io/v1", "/apis/storage.k8s.io/v1/csidrivers"),
    Listed("csistoragecapacities", "CSIStorageCapacity", "storage.k8s.io/v1",
           "/apis/storage.k8s.io/v1/csistoragecapacities"),
    Listed("volumeattachments", "VolumeAttachment", "storage.k8s.io/v1", "/apis/storage.k8s.io/v1/volumeattachments"),
)


def dump_cluster(kube: Kube, directory: str, *, page_size: int = 500,
                 warn: Callable[[str], None] = lambda message: None) -> dict[str, int]:
    """Writes DIR/<kind>.yaml for every listed kind; returns the count per kind. A kind that
    the credentials may not list is skipped with a warning."""
    os.makedirs(directory, exist_ok=True)
    counts = {}
    for listed in KINDS:
        try:
            items = _list_all(kube, listed.path, page_size)
        except ApiError as e:
            if e.status == 0:
                raise InputError(f"cannot reach the API server: {e}") from None
            if e.status in (401, 403, 404):
                warn(f"cannot list {listed.kind} objects ({e}); {listed.file}.yaml not written")
                continue
            raise InputError(f"listing {listed.kind} objects failed: {e}") from None
        for item in items:
            item["apiVersion"] = listed.api_version
            item["kind"] = listed.kind
            (item.get("metadata") or {}).pop("managedFields", None)
        document = {"apiVersion": "v1", "kind": "List", "items": items}
        with open(os.path.join(directory, f"{listed.file}.yaml"), "w", encoding="utf-8") as handle:
            yaml.dump(document, handle, Dumper=_Dumper, sort_keys=False, default_flow_style=False)
        counts[listed.kind] = len(items)
    return counts


def _list_all(kube: Kube, path: str, page_size: int) -> list[dict]:
    items: list[dict] = []
    query: dict = {"limit": page_size}
    while True:
        data = kube.request("GET", path, query=query)
        items.extend(data.get("items") or [])
        token = (data.get("metadata") or {}).get("continue")
        if not token:
            return items
        query["continue"] = token
