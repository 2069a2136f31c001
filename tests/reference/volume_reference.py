"""The volume plugins in plain Python, pod by pod and node by node, as upstream runs them: the
obvious version the core (volumes.hpp) is tested against. It walks every PV for every claim
and every pod on a node; no index, no incremental state but the assumptions themselves.
Nothing in it comes from the production compiler (kubesched.snapshot.volumes): the
PreFilters, the PV matcher and the disk rule are written here from upstream's plugins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from kubesched.model.records import Node, Pod
from kubesched.model.storage import NO_PROVISIONER, PersistentVolume, PersistentVolumeClaim, StorageObjects
from kubesched.model.csi_migration import MIGRATED_DRIVERS, UNCOUNTED_MIGRATABLE
from tests.reference.selectors import selector_matches, term_matches

VOLUME_PLUGINS = ("VolumeRestrictions", "NodeVolumeLimits", "VolumeBinding", "VolumeZone")
WAIT_FOR_FIRST_CONSUMER = "WaitForFirstConsumer"
TOPOLOGY_LABELS = ("failure-domain.beta.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/region",
                   "topology.kubernetes.io/zone", "topology.kubernetes.io/region")
GA_LABEL = {"failure-domain.beta.kubernetes.io/zone": "topology.kubernetes.io/zone",
            "failure-domain.beta.kubernetes.io/region": "topology.kubernetes.io/region"}

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
    """CheckNodeAffinity: upstream matches the terms against a node made of the labels alone
    (no name, so matchFields are not looked at)."""
    return volume.node_terms is None or any(term_matches(t, "", node.labels) for t in volume.node_terms)


def refers_to(claim_ref: tuple[str, str, str] | None, claim: PersistentVolumeClaim) -> bool:
    """IsVolumeBoundToClaim, on a PV's claimRef (namespace, name, uid)."""
    if claim_ref is None:
        return False
    namespace, name, uid = claim_ref
    return namespace == claim.namespace and name == claim.name and (not uid or uid == claim.uid)


def disks_conflict(a, b) -> bool:
    """isVolumeConflict for two in-tree disks: one GCE PD or iSCSI target (by iqn) mounted
    read-write somewhere, any AWS EBS volume twice, an RBD image (pool/image) twice on
    overlapping monitors read-write somewhere."""
    if a.disk is None or b.disk is None:
        return False
    (kind, identity, read_only), (other_kind, other_identity, other_read_only) = a.disk, b.disk
    if kind != other_kind or identity != other_identity:
        return False
    if kind == "aws":
        return True
    if kind == "rbd" and not set(a.monitors) & set(b.monitors):
        return False
    return not (read_only and other_read_only)


def zone_set(value: str) -> set[str] | None:
    """LabelZonesToSet: `__`-separated zones, trimmed; None (the label is ignored) when one is empty."""
    zones = [zone.strip() for zone in value.split("__")]
    return None if any(zone == "" for zone in zones) else set(zones)


def claim_name(pod: Pod, volume) -> str | None:
    """The claim a pod volume uses: a named one, or an ephemeral volume's `<pod>-<volume>`."""
    if volume.claim:
        return volume.claim
    return f"{pod.name}-{volume.name}" if volume.ephemeral is not None else None


def pod_claim_volumes(pod: Pod) -> list:
    """(volume, claim name) of the volumes that use a claim."""
    return [(volume, name) for volume in pod.spec.volumes if (name := claim_name(pod, volume)) is not None]


@dataclass
class PreFilter:
    """What the volume plugins' PreFilters left: the plugin and message that reject the pod,
    or VolumeBinding's claims (None: the pod uses none) and VolumeZone's PV topologies."""

    rejected_by: str = ""
    message: str = ""
    bound: list | None = None
    delayed: list | None = None
    topologies: list | None = None


class VolumeReference:
    def __init__(self, storage: StorageObjects):
        self.storage = storage
        self.assumed_for: dict[str, str] = {}  # PV name -> key of the claim the scheduler assumed it for
        self.selected: dict[str, str] = {}  # claim key -> node a provisioning claim selected
        self.history: dict[tuple[str, str], list] = {}  # (pod, node) -> bindings of each placement
        # The pods on nodes when the cycle's PreFilter ran, while a what-if adds or removes
        # some (None: no what-if; PreFilter sees the nodes as they are).
        self.prefilter_pods: list[Pod] | None = None

    def rejection(self, pod: Pod, filters) -> tuple[str, str] | None:
        verdict = self.prefilter(pod, {name for name in VOLUME_PLUGINS if name in filters})
        return (verdict.rejected_by, verdict.message) if verdict.rejected_by else None

    # -- the PreFilters, in profile order -----------------------------------------------------

    def prefilter(self, pod: Pod, enabled: set[str]) -> PreFilter:
        for name, run in (("VolumeRestrictions", self._restrictions_prefilter),
                          ("VolumeBinding", self._binding_prefilter), ("VolumeZone", self._zone_prefilter)):
            if name in enabled and (message := run(pod)):
                return PreFilter(name, message)
        verdict = PreFilter()
        if "VolumeBinding" in enabled:
            verdict.bound, verdict.delayed = self._binding_claims(pod)
        if "VolumeZone" in enabled:
            verdict.topologies = self._zone_topologies(pod)
        return verdict

    def _claim(self, pod: Pod, name: str) -> PersistentVolumeClaim | None:
        return self.storage.claims.get(f"{pod.namespace}/{name}")

    def _restrictions_prefilter(self, pod: Pod) -> str:
        """readWriteOncePodPVCsForPod looks up every named claim."""
        for volume in pod.spec.volumes:
            if volume.claim and self._claim(pod, volume.claim) is None:
                return f'persistentvolumeclaim "{volume.claim}" not found'
        return ""

    def _binding_prefilter(self, pod: Pod) -> str:
        """podHasPVCs, then GetPodVolumeClaims' immediate claims."""
        for volume, name in pod_claim_volumes(pod):
            claim = self._claim(pod, name)
            ephemeral = volume.ephemeral is not None
            if claim is None:
                return (f'waiting for ephemeral volume controller to create the persistentvolumeclaim "{name}"'
                        if ephemeral else f'persistentvolumeclaim "{name}" not found')
            if claim.phase == "Lost":
                return f'persistentvolumeclaim "{name}" bound to non-existent persistentvolume "{claim.volume_name}"'
            if claim.deleting:
                return f'persistentvolumeclaim "{name}" is being deleted'
            if ephemeral and not (claim.namespace == pod.namespace and self._controlled_by(claim, pod)):
                return (f"PVC {claim.namespace}/{name} was not created for pod {pod.namespace}/{pod.name} "
                        "(pod is not owner)")
        bound, delayed = self._binding_claims(pod)
        if bound is not None and len(bound) + len(delayed) < len(pod_claim_volumes(pod)):
            return "pod has unbound immediate PersistentVolumeClaims"
        return ""

    @staticmethod
    def _controlled_by(claim: PersistentVolumeClaim, pod: Pod) -> bool:
        """metav1.IsControlledBy: the UID of the claim's controller reference is the pod's. A pod
        read without a UID (a manifest; the API server would give it one) is taken to be the
        controller a reference without a UID names as kind Pod and the pod's name."""
        if pod.uid:
            return claim.owner_uid == pod.uid
        return (claim.owner_kind, claim.owner_name, claim.owner_uid) == ("Pod", pod.name, "")

    def _delay_binding(self, claim: PersistentVolumeClaim) -> bool:
        """IsDelayBindingMode: the claim's class exists and waits for the first consumer."""
        storage_class = self.storage.classes.get(claim.storage_class) if claim.storage_class else None
        return storage_class is not None and storage_class.binding_mode == WAIT_FOR_FIRST_CONSUMER

    def _binding_claims(self, pod: Pod) -> tuple[list | None, list | None]:
        """(fully bound claims, unbound delayed-binding claims); (None, None) without claims.
        A claim in neither is an unbound immediate one (a prebound claim counts as immediate)."""
        volumes = pod_claim_volumes(pod)
        if not volumes:
            return None, None
        bound, delayed = [], []
        for _, name in volumes:
            claim = self._claim(pod, name)
            if claim.volume_name and claim.bind_completed:
                bound.append(claim)
            elif self._delay_binding(claim) and not claim.volume_name:
                delayed.append(claim)
        return bound, delayed

    def _zone_prefilter(self, pod: Pod) -> str:
        """getPVbyPod's rejections: named claims only (an ephemeral volume is not looked at)."""
        for volume in pod.spec.volumes:
            if not volume.claim:
                continue
            claim = self._claim(pod, volume.claim)
            if claim is None:
                return f'persistentvolumeclaim "{volume.claim}" not found'
            if not claim.volume_name:
                if not claim.storage_class:
                    return "PersistentVolumeClaim had no pv name and storageClass name"
                storage_class = self.storage.classes.get(claim.storage_class)
                if storage_class is None:
                    return f'storageclass.storage.k8s.io "{claim.storage_class}" not found'
                if storage_class.binding_mode != WAIT_FOR_FIRST_CONSUMER:
                    return "PersistentVolume had no name"
            elif claim.volume_name not in self.storage.volumes:
                return f'persistentvolume "{claim.volume_name}" not found'
        return ""

    def _zone_topologies(self, pod: Pod) -> list:
        """(label key, zones) of the topology labels of the PVs the pod's named claims are bound to."""
        topologies = []
        for volume in pod.spec.volumes:
            claim = self._claim(pod, volume.claim) if volume.claim else None
            if claim is None or not claim.volume_name:
                continue
            labels = self.storage.volumes[claim.volume_name].labels
            for key in TOPOLOGY_LABELS:
                if key in labels and (zones := zone_set(labels[key])) is not None:
                    topologies.append((key, zones))
        return topologies

    @staticmethod
    def zone_fits(topologies: list, labels: dict[str, str]) -> bool:
        """VolumeZone's Filter: a node without any topology label fits; else every PV label's
        key (or its GA name) must have one of the PV's zones."""
        if not any(key in labels for key in TOPOLOGY_LABELS):
            return True
        for key, zones in topologies:
            value = labels[key] if key in labels else labels.get(GA_LABEL.get(key, key))
            if value is None or value not in zones:
                return False
        return True

    # -- VolumeBinding's binder -------------------------------------------------------------

    def _claim_ref(self, volume: PersistentVolume):
        """The PV's claimRef as the assume cache has it: the claim the scheduler assumed it for."""
        assumed = self.assumed_for.get(volume.name)
        if assumed is None:
            return volume.claim_ref
        claim = self.storage.claims[assumed]
        return claim.namespace, claim.name, claim.uid

    def _match(self, claim: PersistentVolumeClaim, node: Node, chosen: list[str]) -> str | None:
        """FindMatchingVolume on the scheduler's path among the PVs of the claim's class
        (in capacity, then name order: upstream's list order is the cache's): a PV bound to
        the claim if there is one (None if it misses the node), else the smallest fitting
        available one."""
        smallest = None
        for volume in sorted(self.storage.volumes.values(), key=lambda v: (v.capacity, v.name)):
            if volume.storage_class != claim.storage_class or volume.name in chosen:
                continue
            claim_ref = self._claim_ref(volume)
            if claim_ref is not None and not refers_to(claim_ref, claim):
                continue
            if (volume.capacity < (claim.request or 0) or volume.volume_mode != claim.volume_mode
                    or volume.attributes_class != claim.attributes_class or volume.deleting):
                continue
            fits = pv_fits_node(volume, node)
            if claim_ref is not None:
                return volume.name if fits else None
            if volume.phase != "Available":
                continue
            if claim.selector is not None and not selector_matches(claim.selector, volume.labels):
                continue
            if not fits or not all(mode in volume.access_modes for mode in claim.access_modes):
                continue
            if smallest is None or volume.capacity < smallest.capacity:
                smallest = volume
        return smallest.name if smallest is not None else None

    def _capacity(self, claim, storage_class, node: Node):
        """hasEnoughCapacity: (enough, the CSIStorageCapacity that has it)."""
        driver = self.storage.csi_drivers.get(storage_class.provisioner)
        if driver is None or not driver.storage_capacity:
            return True, None
        for capacity in self.storage.capacities:
            limit = capacity.maximum_volume_size if capacity.maximum_volume_size is not None else capacity.capacity
            if (capacity.storage_class == storage_class.name and limit is not None and limit >= (claim.request or 0)
                    and capacity.node_topology is not None
                    and selector_matches(capacity.node_topology, node.labels)):
                return True, capacity
        return False, None

    def find(self, pod: Pod, node: Node):
        """FindPodVolumes: (reasons, bindings as (claim key, PV name or None, capacity object))."""
        verdict = self.prefilter(pod, {"VolumeBinding"})
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
                    if storage_class.provisioner in ("", NO_PROVISIONER) or not (
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
        verdict = self.prefilter(pod, enabled)
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
            if verdict.topologies and not self.zone_fits(verdict.topologies, state.node.labels):
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
            name = claim_name(pod, volume)
            if name is None:
                if volume.in_tree is not None and csi_node:  # checkAttachableInlineVolume
                    result[f"{volume.in_tree[0]}/{volume.in_tree[1]}"] = volume.in_tree[0]
                continue
            claim = self._claim(pod, name)
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
        for driver in new.values():  # upstream ranges over a map (any missing driver); here: volume order
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
        verdict = self.prefilter(pod, {"VolumeBinding"})
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
        verdict = self.prefilter(pod, {"VolumeBinding"})
        bindings = self.find(pod, node)[1] if verdict.delayed else []
        for key, pv, _ in bindings:
            if pv is not None:
                self.assumed_for[pv] = key
            else:
                self.selected[key] = node.name
        self.history.setdefault((pod.key, node.name), []).append(bindings)
        return bindings

    def forget(self, pod: Pod, node: Node) -> None:
        """The pod leaves: what its placement bound is given back, unless a placement still
        in place bound the same claim (its PVC stays bound for that pod)."""
        placements = self.history.get((pod.key, node.name))
        if not placements:
            return
        gone = placements.pop()
        still_held = {key for kept in self.history.values() for bindings in kept for key, _, _ in bindings}
        for key, pv, _ in gone:
            if key in still_held:
                continue
            if pv is not None:
                self.assumed_for.pop(pv, None)
            else:
                self.selected.pop(key, None)


def _broken_linear(shape, utilization: int) -> int:
    if utilization <= shape[0][0]:
        return shape[0][1]
    for (u0, s0), (u1, s1) in zip(shape, shape[1:]):
        if utilization <= u1:
            return s0 + int((s1 - s0) * (utilization - u0) / (u1 - u0))
    return shape[-1][1]
