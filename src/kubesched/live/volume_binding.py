"""VolumeBinding in `kubesched run`: the storage objects the informers see, read into the
same model as offline (kubesched.model.storage), so the four volume plugins judge live pods
as they judge a manifest's.

Reserve is the core's own: placing a pod binds its delayed claims in the snapshot (the PV
taken, or the claim provisioned on the node), and the choice is also kept here as assumed
objects — the PV with the claim in `spec.claimRef`, the claim with its selected node — so a
snapshot rebuilt meanwhile keeps the PV taken. PreBind runs on the binder's thread, as
upstream's binding cycle: for a static binding the PV gets `spec.claimRef` (and
`pv.kubernetes.io/bound-by-controller`, unless the PV was pre-bound to the claim); for
dynamic provisioning the claim gets `volume.kubernetes.io/selected-node`; then it waits,
polling the API every second up to `bindTimeoutSeconds`, until the PV controller has bound
every claim. Only then is the pod bound. A failure or timeout fails the binding: the
scheduler forgets the pod (Unreserve) and retries it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass

from kubesched.errors import InputError
from kubesched.kube import ApiError, Kube
from kubesched.model.manifests import Manifest
from kubesched.model.storage import BIND_COMPLETED, SELECTED_NODE, STORAGE_KINDS, StorageObjects, read_storage

log = logging.getLogger("kubesched.live")

BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller"
PATHS = {"PersistentVolume": "/api/v1/persistentvolumes",
         "PersistentVolumeClaim": "/api/v1/persistentvolumeclaims",
         "StorageClass": "/apis/storage.k8s.io/v1/storageclasses",
         "CSINode": "/apis/storage.k8s.io/v1/csinodes",
         "CSIDriver": "/apis/storage.k8s.io/v1/csidrivers",
         "CSIStorageCapacity": "/apis/storage.k8s.io/v1/csistoragecapacities",
         "VolumeAttachment": "/apis/storage.k8s.io/v1/volumeattachments"}
POLL_SECONDS = 1.0  # upstream's BindPodVolumes polls every second


def _key(obj: dict) -> str:
    meta = obj.get("metadata") or {}
    namespace = meta.get("namespace")
    return f"{namespace}/{meta.get('name')}" if namespace else str(meta.get("name"))


@dataclass
class VolumeBindings:
    """One pod's PreBind: the PVs to write (with their claim) and the claims to provision."""

    namespace: str
    pod: str
    node: str
    static: list[tuple[dict, dict]]  # (PV to write, its claim as read)
    provision: list[dict]  # claims to write, with the selected node


class LiveVolumes:
    def __init__(self, kube: Kube, cache):
        self.kube = kube
        self.cache = cache
        self.raw: dict[str, dict[str, dict]] = {kind: {} for kind in PATHS}
        self.assumed: dict[str, VolumeBindings] = {}  # pod uid → its bindings in flight
        self._storage: StorageObjects | None = None  # read from `raw` and `assumed` when asked
        self._last_good = StorageObjects()

    # -- the model -----------------------------------------------------------------------

    def event(self, kind: str, event_type: str, obj: dict) -> None:
        store = self.raw[kind]
        if event_type == "DELETED":
            store.pop(_key(obj), None)
        else:
            store[_key(obj)] = {**obj, "apiVersion": STORAGE_KINDS[kind], "kind": kind}
        self._changed()

    def _changed(self) -> None:
        """Objects changed: read again when the next snapshot is compiled (events between two
        decisions cost no parse)."""
        self._storage = None
        self.cache.storage_source = self._for_snapshot
        self.cache.invalidate()  # the volume tables are compiled with the snapshot

    def _for_snapshot(self) -> tuple[StorageObjects, Counter]:
        storage = self.storage()
        return storage, Counter({key: 2 for key in storage.claims})

    def storage(self) -> StorageObjects:
        """The storage objects with the bindings assumed in flight (the last good ones while
        the objects do not read)."""
        if self._storage is not None:
            return self._storage
        objects = {kind: dict(store) for kind, store in self.raw.items()}
        for bindings in self.assumed.values():
            for pv, _ in bindings.static:
                objects["PersistentVolume"][_key(pv)] = pv
            for claim in bindings.provision:
                objects["PersistentVolumeClaim"][_key(claim)] = claim
        try:
            self._storage = read_storage(Manifest(obj, "") for store in objects.values() for obj in store.values())
        except InputError as error:
            log.warning("storage objects not applied: %s", error)
            self._storage = self._last_good
        self._last_good = self._storage
        return self._storage

    # -- Reserve -------------------------------------------------------------------------

    def reserve(self, uid: str, pod, node: str, placed: list[tuple[str, str | None]]) -> VolumeBindings | None:
        """Keep what the core bound for the pod on `node` ((claim key, PV name or None for a
        provisioned claim) each) as assumed objects; the PreBind to run, None if none."""
        if not placed:
            return None
        bindings = VolumeBindings(pod.namespace, pod.name, node, [], [])
        for claim_key, pv_name in placed:
            claim = self.raw["PersistentVolumeClaim"].get(claim_key)
            if claim is None:
                continue
            if pv_name is not None:
                pv = self.raw["PersistentVolume"].get(pv_name)
                if pv is not None:
                    bindings.static.append((bind_volume_to_claim(pv, claim), claim))
            else:
                meta = claim.get("metadata") or {}
                annotations = {**(meta.get("annotations") or {}), SELECTED_NODE: node}
                bindings.provision.append({**claim, "metadata": {**meta, "annotations": annotations}})
        self.assumed[uid] = bindings
        self._storage = None  # the snapshot already counts them: no rebuild, the next one reads them
        return bindings

    def finished(self, uid: str, bound: bool) -> None:
        """The pod's binding ended. Failed: Unreserve, the objects are as the API has them.
        Bound: what was assumed stays until the watch shows the PV controller's work (an
        object the watch has not brought yet keeps its assumed form)."""
        bindings = self.assumed.pop(uid, None)
        if bindings is None:
            return
        if bound:
            for pv, _ in bindings.static:
                known = self.raw["PersistentVolume"].get(_key(pv))
                if known is not None and not (known.get("spec") or {}).get("claimRef"):
                    self.raw["PersistentVolume"][_key(pv)] = pv
            for claim in bindings.provision:
                known = self.raw["PersistentVolumeClaim"].get(_key(claim))
                if known is not None and not (known.get("spec") or {}).get("volumeName") \
                        and SELECTED_NODE not in ((known.get("metadata") or {}).get("annotations") or {}):
                    self.raw["PersistentVolumeClaim"][_key(claim)] = claim
        self._changed()

    # -- PreBind (on a binder thread; reads only the API) -----------------------------------

    def prebind(self, bindings: VolumeBindings, timeout: float, stop: threading.Event | None = None) -> str | None:
        """Write the bindings, then wait until the PV controller bound every claim; the error
        that fails the binding, None once all are bound."""
        try:
            for pv, _ in bindings.static:
                self.kube.request("PUT", f"{PATHS['PersistentVolume']}/{_name(pv)}", pv)
            for claim in bindings.provision:
                self.kube.request("PUT", _claim_path(claim), claim)
        except ApiError as error:  # as upstream's bindAPIUpdate: the API's own words, unprefixed
            return api_message(error)
        stop = stop or threading.Event()
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self._bound(bindings):
                    return None
            except (ApiError, _Retry) as error:
                return f"binding volumes: {error}"
            if time.monotonic() >= deadline:
                return "binding volumes: context deadline exceeded"
            if stop.wait(POLL_SECONDS):
                return "binding volumes: the scheduler stopped"

    def _bound(self, bindings: VolumeBindings) -> bool:
        """upstream's checkBindings, on the API's objects: True when every claim is fully
        bound; _Retry when the binding cannot complete as chosen."""
        try:
            self.kube.request("GET", f"/api/v1/namespaces/{bindings.namespace}/pods/{bindings.pod}")
        except ApiError as error:
            if error.status == 404:
                raise _Retry(f"pod does not exist any more: {error}") from None
            raise
        for pv, claim in bindings.static:
            current = self.kube.request("GET", f"{PATHS['PersistentVolume']}/{_name(pv)}")
            ref = (current.get("spec") or {}).get("claimRef") or {}
            if not ref.get("uid"):
                raise _Retry(f'ClaimRef got reset for pv "{_name(pv)}"')
            if not _fully_bound(self.kube.request("GET", _claim_path(claim))):
                return False
        for claim in bindings.provision:
            current = self.kube.request("GET", _claim_path(claim))
            annotations = (current.get("metadata") or {}).get("annotations") or {}
            if annotations.get(SELECTED_NODE) != bindings.node:
                raise _Retry(f'provisioning failed for PVC "{_name(claim)}"')
            if not _fully_bound(current):
                return False
        return True


class _Retry(Exception):
    """The volumes will not bind as chosen: the pod is scheduled again."""


def bind_volume_to_claim(pv: dict, claim: dict) -> dict:
    """The PV with `spec.claimRef` naming the claim, as upstream's GetBindVolumeToClaim; marked
    bound by the controller unless it was pre-bound to this claim."""
    meta = claim.get("metadata") or {}
    spec = pv.get("spec") or {}
    ref = spec.get("claimRef") or {}
    prebound = ref.get("namespace") == meta.get("namespace") and ref.get("name") == meta.get("name") \
        and (not ref.get("uid") or ref.get("uid") == meta.get("uid"))
    pv_meta = dict(pv.get("metadata") or {})
    if not prebound or ref.get("uid") != meta.get("uid"):
        spec = {**spec, "claimRef": {"kind": "PersistentVolumeClaim", "namespace": meta.get("namespace"),
                                     "name": meta.get("name"), "uid": meta.get("uid"), "apiVersion": "v1",
                                     "resourceVersion": meta.get("resourceVersion")}}
    if not prebound and BOUND_BY_CONTROLLER not in (pv_meta.get("annotations") or {}):
        pv_meta["annotations"] = {**(pv_meta.get("annotations") or {}), BOUND_BY_CONTROLLER: "yes"}
    return {**pv, "metadata": pv_meta, "spec": spec}


def api_message(error: ApiError) -> str:
    """What client-go's error says: the Status message the API server sent."""
    message = error.body.get("message") if isinstance(error.body, dict) else None
    return message or str(error)


def _fully_bound(claim: dict) -> bool:
    annotations = (claim.get("metadata") or {}).get("annotations") or {}
    return bool((claim.get("spec") or {}).get("volumeName")) and BIND_COMPLETED in annotations


def _name(obj: dict) -> str:
    return (obj.get("metadata") or {}).get("name") or ""


def _claim_path(claim: dict) -> str:
    meta = claim.get("metadata") or {}
    return f"/api/v1/namespaces/{meta.get('namespace')}/persistentvolumeclaims/{meta.get('name')}"


def placed_claims(snapshot, pod) -> list[tuple[str, str | None]]:
    """What the core's last placement of `pod` bound: (claim key, PV name or None)."""
    if snapshot.volumes is None or not snapshot.binds_claims(pod):
        return []
    log_ = snapshot.volume_placements()
    if not log_:
        return []
    volumes = snapshot.volumes
    return [(volumes.claim_keys[claim], volumes.volumes[pv].name if pv >= 0 else None)
            for claim, pv in volumes.resolve(pod, log_[-1])]
