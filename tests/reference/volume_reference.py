"""The volume plugins in plain Python, pod by pod and node by node, as upstream runs them: the
obvious version the core (volumes.hpp) is tested against. It walks every PV for every claim
and every pod on a node; no index, no incremental state but the assumptions themselves.
"""

from __future__ import annotations

import math

from kubesched.model.records import Node, Pod
from kubesched.model.selectors import label_selector_matches, node_term_matches
from kubesched.model.storage import NO_PROVISIONER, PersistentVolume, StorageObjects
from kubesched.model.pod_volumes import disks_conflict
from kubesched.model.csi_migration import MIGRATED_DRIVERS, UNCOUNTED_MIGRATABLE
from kubesched.engine.volumes import VOLUME_PLUGINS, bound_to, candidate, prefilter, static_fit, zone_fits

DISK = "node(s) had no available disk"
RWOP = ("node(s) unavailable due to PersistentVolumeClaim with ReadWriteOncePod access mode already in-use by "
        "another pod")
MAX_COUNT = "node(s) exceed max volume count"
NODE_CONFLICT = "node(s) didn't match PersistentVolume's node affinity"
BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind"
NO_SPACE = "node(s) did not have enough free storage"
PV_MISSING = "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)"
ZONE = "node(s) had no available volume zone"


def pv_fits_node(volume: PersistentVolume, node: Node) -> bool:
    return volume.node_terms is None or any(node_term_matches(t, node.name, node.labels) for t in volume.node_terms)


class VolumeReference:
    def __init__(self, storage: StorageObjects):
        self.storage = storage
        self.claim_pv: dict[str, str] = {}  # claim key -> PV name the scheduler assumed
        self.taken: set[str] = set()  # PVs assumed for some claim
        self.selected: dict[str, str] = {}  # claim key -> node a provisioning claim selected
        self.history: dict[tuple[str, str], list] = {}  # (pod, node) -> bindings of each placement
        # The pods on nodes when the cycle's PreFilter ran, while a what-if adds or removes
        # some (None: no what-if; PreFilter sees the nodes as they are).
        self.prefilter_pods: list[Pod] | None = None

    def rejection(self, pod: Pod, filters) -> tuple[str, str] | None:
        enabled = {name for name in VOLUME_PLUGINS if name in filters}
        verdict = prefilter(pod, self.storage, enabled)
        return (verdict.rejected_by, verdict.message) if verdict.rejected_by else None

    # -- VolumeBinding's binder -------------------------------------------------------------

    def _prebound(self, claim) -> str | None:
        if claim.key in self.claim_pv:
            return self.claim_pv[claim.key]
        names = sorted((v.capacity, v.name) for v in self.storage.volumes.values()
                       if bound_to(v, claim) and static_fit(v, claim))
        return names[0][1] if names else None

    def _match(self, claim, node: Node, chosen: list[str]) -> str | None:
        prebound = self._prebound(claim)
        if prebound is not None and prebound not in chosen:
            return prebound if pv_fits_node(self.storage.volumes[prebound], node) else None
        best = None
        for volume in sorted(self.storage.volumes.values(), key=lambda v: (v.capacity, v.name)):
            if volume.name in chosen or volume.name in self.taken or not candidate(volume, claim):
                continue
            if pv_fits_node(volume, node):
                best = volume.name
                break
        return best

    def _capacity(self, claim, storage_class, node: Node):
        """hasEnoughCapacity: (enough, the CSIStorageCapacity that has it)."""
        driver = self.storage.csi_drivers.get(storage_class.provisioner)
        if driver is None or not driver.storage_capacity:
            return True, None
        for capacity in self.storage.capacities:
            limit = capacity.maximum_volume_size if capacity.maximum_volume_size is not None else capacity.capacity
            if (capacity.storage_class == storage_class.name and limit is not None and limit >= (claim.request or 0)
                    and capacity.node_topology is not None
                    and label_selector_matches(capacity.node_topology, node.labels)):
                return True, capacity
        return False, None

    def find(self, pod: Pod, node: Node):
        """FindPodVolumes: (reasons, bindings as (claim key, PV name or None, capacity object))."""
        verdict = prefilter(pod, self.storage, {"VolumeBinding"})
        flags = {"node": False, "bind": False, "space": False, "missing": False}
        bindings: list = []
        for claim in verdict.bound or ():
            volume = self.storage.volumes.get(claim.volume_name)
            if volume is None:
                flags["missing"] = True
                break
            if not pv_fits_node(volume, node):
                flags["node"] = True
                break
        delayed = verdict.delayed or []
        to_match, to_provision = [], []
        early = False
        for claim in delayed:
            selected = self.selected.get(claim.key, claim.selected_node)
            if selected is not None:
                if selected != node.name:
                    flags["bind"] = True
                    early = True
                    break
                to_provision.append(claim)
            else:
                to_match.append(claim)
        if not early and delayed:
            matched = True
            chosen: list[str] = []
            for claim in sorted(to_match, key=lambda c: c.request or 0):
                pv = self._match(claim, node, chosen)
                if pv is None:
                    to_provision.append(claim)
                    matched = False
                else:
                    chosen.append(pv)
                    bindings.append((claim.key, pv, None))
            flags["bind"] = not matched
            if to_provision:
                flags["bind"] = False
                provisions = []
                for claim in to_provision:
                    storage_class = self.storage.classes[claim.storage_class]
                    if storage_class.provisioner == NO_PROVISIONER or not (
                            not storage_class.allowed_topologies or any(
                                all(node.labels.get(k) in values for k, values in term.expressions)
                                for term in storage_class.allowed_topologies)):
                        flags["bind"] = True
                        break
                    enough, capacity = self._capacity(claim, storage_class, node)
                    if not enough:
                        flags["space"] = True
                        break
                    provisions.append((claim.key, None, capacity))
                else:
                    bindings.extend(provisions)
        reasons = [text for flag, text in (("node", NODE_CONFLICT), ("bind", BIND_CONFLICT), ("space", NO_SPACE),
                                           ("missing", PV_MISSING)) if flags[flag]]
        return reasons, bindings

    # -- the filters --------------------------------------------------------------------------

    def reasons(self, name: str, pod: Pod, state, states, filters) -> list[str]:
        enabled = {n for n in VOLUME_PLUGINS if n in filters}
        verdict = prefilter(pod, self.storage, enabled)
        ns = pod.namespace
        if name == "VolumeRestrictions":
            for volume in pod.spec.volumes:
                if volume.disk and any(disks_conflict(volume, other) for resident in state.residents
                                       for other in resident.spec.volumes):
                    return [DISK]
            return [RWOP] if self._read_write_once_pod_conflicts(pod, states) > 0 else []
        if name == "NodeVolumeLimits":
            return self._limits(pod, state)
        if name == "VolumeBinding":
            if verdict.bound is None:
                return []
            return self.find(pod, state.node)[0]
        if name == "VolumeZone":
            if verdict.topologies and not zone_fits(verdict.topologies, state.node.labels):
                return [ZONE]
            return []
        raise KeyError(name)

    def _read_write_once_pod_conflicts(self, pod: Pod, states) -> int:
        """conflictingPVCRefCount: PreFilter counts each of the pod's ReadWriteOncePod claims
        that some pod uses, once; AddPod/RemovePod then add or take away, for each pod a
        what-if moved, its volumes that name one of those claims, by name in any namespace."""
        ns = pod.namespace
        names = {v.claim for v in pod.spec.volumes if v.claim and (claim := self.storage.claims.get(f"{ns}/{v.claim}"))
                 and "ReadWriteOncePod" in claim.access_modes}
        now = [other for s in states for other in s.residents]
        before = now if self.prefilter_pods is None else self.prefilter_pods

        def references(pods) -> int:
            return sum(v.claim in names for other in pods for v in other.spec.volumes)

        used = sum(any(other.namespace == ns and any(v.claim == name for v in other.spec.volumes) for other in before)
                   for name in names)
        return used + references(now) - references(before)

    def _attachable(self, pod: Pod, csi_node: bool) -> dict[str, str]:
        """upstream's filterAttachableVolumes: unique volume -> driver of the pod's volumes."""
        result: dict[str, str] = {}
        for volume in pod.spec.volumes:
            if not volume.claim and volume.ephemeral is None:
                if volume.in_tree is not None and csi_node:  # checkAttachableInlineVolume
                    result[f"{volume.in_tree[0]}/{volume.in_tree[1]}"] = volume.in_tree[0]
                continue
            claim = self.storage.claims.get(f"{pod.namespace}/{volume.claim_name(pod.name)}")
            if claim is None:
                continue
            driver, handle = self._driver_info(claim, csi_node)
            if driver and handle:
                result[f"{driver}/{handle}"] = driver
        return result

    def _driver_info(self, claim, csi_node: bool) -> tuple[str, str]:
        """getCSIDriverInfo, and getCSIDriverInfoFromSC without a PV."""
        pv = self.storage.volumes.get(claim.volume_name) if claim.volume_name else None
        if pv is None:
            storage_class = self.storage.classes.get(claim.storage_class) if claim.storage_class else None
            if storage_class is None:
                return "", ""
            handle = f"-{claim.namespace}/{claim.name}"  # upstream: a random prefix
            provisioner = storage_class.provisioner
            if provisioner in MIGRATED_DRIVERS or provisioner in UNCOUNTED_MIGRATABLE:
                if not csi_node or provisioner not in MIGRATED_DRIVERS:
                    return "", ""
                return MIGRATED_DRIVERS[provisioner], handle
            return provisioner, handle
        if pv.csi is not None:
            return pv.csi
        if pv.in_tree is None or not csi_node:
            return "", ""
        return pv.in_tree

    def _attachments(self, node: str) -> dict[str, str]:
        """getNodeVolumeAttachmentInfo: unique volume -> attacher."""
        result = {}
        for attachment in self.storage.attachments.values():
            pv = self.storage.volumes.get(attachment.volume) if attachment.volume else None
            if attachment.node == node and attachment.attacher and pv is not None and pv.csi is not None:
                result[f"{attachment.attacher}/{pv.csi[1]}"] = attachment.attacher
        return result

    def _limits(self, pod: Pod, state) -> list[str]:
        if not pod.spec.volumes:
            return []
        drivers = self.storage.csi_nodes.get(state.node.name)
        new = self._attachable(pod, drivers is not None)
        if not new:
            return []
        for driver in new.values():
            required = self.storage.csi_drivers.get(driver)
            if required is not None and required.prevent_if_missing and (drivers is None or driver not in drivers):
                return [f"{driver} CSI driver is not installed on the node"]
        limits = {d: c for d, c in (drivers or {}).items() if c is not None}
        if not limits:
            return []
        attached: dict[str, str] = {}
        for resident in state.residents:
            attached.update(self._attachable(resident, True))
        counts: dict[str, int] = {}
        for unique, driver in attached.items():
            new.pop(unique, None)
            counts[driver] = counts.get(driver, 0) + 1
        for unique, driver in self._attachments(state.node.name).items():
            if unique not in attached:
                counts[driver] = counts.get(driver, 0) + 1
        adding: dict[str, int] = {}
        for driver in new.values():
            adding[driver] = adding.get(driver, 0) + 1
        for driver, count in adding.items():
            if driver in limits and counts.get(driver, 0) + count > limits[driver]:
                return [MAX_COUNT]
        return []

    # -- the score and the placements ---------------------------------------------------------

    def score(self, pod: Pod, state, shape) -> int:
        verdict = prefilter(pod, self.storage, {"VolumeBinding"})
        if not verdict.delayed:
            return 0
        _, bindings = self.find(pod, state.node)
        static = [b for b in bindings if b[1] is not None]
        per_class: dict[str, list[int]] = {}
        for key, pv, capacity in bindings:
            claim = self.storage.claims[key]
            if static:
                if pv is None:
                    continue
                volume = self.storage.volumes[pv]
                values = per_class.setdefault(volume.storage_class, [0, 0])
                values[0] += claim.request or 0
                values[1] += volume.capacity
            elif capacity is not None:
                values = per_class.setdefault(claim.storage_class, [0, 0])
                values[1] = capacity.capacity or 0
                values[0] += claim.request or 0
        if not per_class:
            return 0
        total = 0
        for requested, available in per_class.values():
            utilization = 100 if available == 0 or requested > available else requested * 100 // available
            total += _broken_linear([(u, s * 10) for u, s in shape], utilization)
        return math.floor(total / len(per_class) + 0.5)

    def assume(self, pod: Pod, node: Node) -> list:
        """The pod is placed: its delayed claims take what FindPodVolumes found."""
        verdict = prefilter(pod, self.storage, {"VolumeBinding"})
        bindings = self.find(pod, node)[1] if verdict.delayed else []
        for key, pv, _ in bindings:
            if pv is not None:
                self.claim_pv[key] = pv
                self.taken.add(pv)
            else:
                self.selected[key] = node.name
        self.history.setdefault((pod.key, node.name), []).append(bindings)
        return bindings

    def forget(self, pod: Pod, node: Node) -> None:
        placements = self.history.get((pod.key, node.name))
        if not placements:
            return
        for key, pv, _ in placements.pop():
            if pv is not None:
                self.claim_pv.pop(key, None)
                self.taken.discard(pv)
            else:
                self.selected.pop(key, None)


def _broken_linear(shape, utilization: int) -> int:
    if utilization <= shape[0][0]:
        return shape[0][1]
    for (u0, s0), (u1, s1) in zip(shape, shape[1:]):
        if utilization <= u1:
            return s0 + int((s1 - s0) * (utilization - u0) / (u1 - u0))
    return shape[-1][1]
