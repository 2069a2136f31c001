"""The volume plugins' inputs compiled for the core (volumes.hpp): the PV table with each PV's
nodes, the candidate PVs of each kind of delayed claim, node masks, CSI limits; and per pod
class its claims, disks and attachable volumes, or the PreFilter message that rejects it.

The PreFilter steps follow upstream's plugins in profile order (VolumeRestrictions,
NodeVolumeLimits, VolumeBinding, VolumeZone) with their messages; what placements change
(which PV a claim took, a claim's selected node, who uses a claim, what is attached where)
is kept in the core.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

import numpy as np

from kubesched.model.csi_migration import MIGRATED_DRIVERS, UNCOUNTED_MIGRATABLE
from kubesched.model.pod_volumes import PodVolume
from kubesched.model.records import Node, Pod
from kubesched.model.selectors import label_selector_matches, requirement_matches
from kubesched.model.storage import (NO_PROVISIONER, PersistentVolume, PersistentVolumeClaim, StorageObjects)

WAIT = "WaitForFirstConsumer"
DISK_KINDS = {"gce": 1, "aws": 2, "iscsi": 3, "rbd": 4}
ZONE_LABELS = ("failure-domain.beta.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/region",
               "topology.kubernetes.io/zone", "topology.kubernetes.io/region")
GA_LABELS = {"failure-domain.beta.kubernetes.io/zone": "topology.kubernetes.io/zone",
             "failure-domain.beta.kubernetes.io/region": "topology.kubernetes.io/region"}
VOLUME_PLUGINS = ("VolumeRestrictions", "NodeVolumeLimits", "VolumeBinding", "VolumeZone")


def has_volumes(pod: Pod) -> bool:
    return any(v.claim or v.ephemeral is not None or v.disk or v.in_tree for v in pod.spec.volumes)


def claim_class(claim: PersistentVolumeClaim) -> str:
    return claim.storage_class


def static_fit(volume: PersistentVolume, claim: PersistentVolumeClaim) -> bool:
    """What upstream's FindMatchingVolume asks of any PV before its binding and nodes."""
    return (volume.capacity >= (claim.request or 0) and volume.volume_mode == claim.volume_mode
            and volume.attributes_class == claim.attributes_class and not volume.deleting)


def bound_to(volume: PersistentVolume, claim: PersistentVolumeClaim) -> bool:
    ref = volume.claim_ref
    return (ref is not None and ref[0] == claim.namespace and ref[1] == claim.name
            and (not ref[2] or ref[2] == claim.uid))


def candidate(volume: PersistentVolume, claim: PersistentVolumeClaim) -> bool:
    """An unclaimed PV this claim may take (node affinity aside)."""
    return (volume.claim_ref is None and static_fit(volume, claim) and volume.phase == "Available"
            and (claim.selector is None or label_selector_matches(claim.selector, volume.labels))
            and volume.storage_class == claim_class(claim)
            and all(mode in volume.access_modes for mode in claim.access_modes))


def pv_term_matches(term, labels: dict[str, str]) -> bool:
    """A term of a PV's node affinity on a node: upstream's CheckNodeAffinity matches the
    terms against a node made of the labels alone, so matchFields (metadata.name) are not
    looked at; an empty term still matches nothing."""
    if not term.match_expressions and not term.match_fields:
        return False
    return all(requirement_matches(r, labels) for r in term.match_expressions)


def pv_kind(volume: PersistentVolume) -> tuple:
    """What candidate() reads of a PV, its capacity aside."""
    return (volume.claim_ref is None, volume.volume_mode, volume.attributes_class, volume.deleting, volume.phase,
            tuple(sorted(volume.labels.items())), volume.storage_class, volume.access_modes)


def zone_values(value: str) -> set[str] | None:
    zones = {zone.strip() for zone in value.split("__")}
    return None if "" in zones else zones


def pod_claims(pod: Pod) -> list[tuple[PodVolume, str]]:
    return [(v, v.claim_name(pod.name)) for v in pod.spec.volumes if v.claim or v.ephemeral is not None]


def owned_by(claim: PersistentVolumeClaim, pod: Pod) -> bool:
    """VolumeIsForPod: the claim's controller is the pod, by UID (metav1.IsControlledBy); a
    pod read without a UID is named by kind and name (and the reference then has no UID)."""
    if claim.namespace != pod.namespace:
        return False
    if pod.uid:
        return claim.owner_uid == pod.uid
    return claim.owner_kind == "Pod" and claim.owner_name == pod.name and not claim.owner_uid


@dataclass
class VolumePreFilter:
    """One pod's volume PreFilter verdicts: the plugin and message that reject it, or the
    claims each plugin goes on to filter with."""

    rejected_by: str = ""
    message: str = ""
    bound: list | None = None  # VolumeBinding: fully bound claims
    delayed: list | None = None  # unbound WaitForFirstConsumer claims
    topologies: list | None = None  # VolumeZone: (key, zones) of the bound PVs


def prefilter(pod: Pod, storage: StorageObjects, enabled: set[str]) -> VolumePreFilter:
    """The volume plugins' PreFilter, in profile order, as upstream's."""
    result = VolumePreFilter()
    claims = storage.claims
    ns = pod.namespace
    if "VolumeRestrictions" in enabled:
        for volume in pod.spec.volumes:
            if volume.claim and f"{ns}/{volume.claim}" not in claims:
                return VolumePreFilter("VolumeRestrictions", f'persistentvolumeclaim "{volume.claim}" not found')
    if "VolumeBinding" in enabled and pod_claims(pod):
        for volume, name in pod_claims(pod):
            claim = claims.get(f"{ns}/{name}")
            if claim is None:
                message = (f'waiting for ephemeral volume controller to create the persistentvolumeclaim "{name}"'
                           if volume.ephemeral is not None else f'persistentvolumeclaim "{name}" not found')
                return VolumePreFilter("VolumeBinding", message)
            if claim.phase == "Lost":
                return VolumePreFilter("VolumeBinding", f'persistentvolumeclaim "{name}" bound to non-existent '
                                                        f'persistentvolume "{claim.volume_name}"')
            if claim.deleting:
                return VolumePreFilter("VolumeBinding", f'persistentvolumeclaim "{name}" is being deleted')
            if volume.ephemeral is not None and not owned_by(claim, pod):
                return VolumePreFilter("VolumeBinding", f"PVC {ns}/{name} was not created for pod {ns}/{pod.name} "
                                                        "(pod is not owner)")
        result.bound, result.delayed = [], []
        for volume, name in pod_claims(pod):
            claim = claims[f"{ns}/{name}"]
            if claim.bound:
                result.bound.append(claim)
                continue
            storage_class = storage.classes.get(claim.storage_class) if claim.storage_class else None
            if storage_class is not None and storage_class.binding_mode == WAIT and not claim.volume_name:
                result.delayed.append(claim)
            else:
                return VolumePreFilter("VolumeBinding", "pod has unbound immediate PersistentVolumeClaims")
    if "VolumeZone" in enabled:
        topologies = []
        for volume in pod.spec.volumes:
            if not volume.claim:
                continue
            claim = claims.get(f"{ns}/{volume.claim}")
            if claim is None:
                return VolumePreFilter("VolumeZone", f'persistentvolumeclaim "{volume.claim}" not found')
            if not claim.volume_name:
                if not claim.storage_class:
                    return VolumePreFilter("VolumeZone", "PersistentVolumeClaim had no pv name and storageClass name")
                storage_class = storage.classes.get(claim.storage_class)
                if storage_class is None:
                    return VolumePreFilter("VolumeZone",
                                           f'storageclass.storage.k8s.io "{claim.storage_class}" not found')
                if storage_class.binding_mode == WAIT:
                    continue
                return VolumePreFilter("VolumeZone", "PersistentVolume had no name")
            pv = storage.volumes.get(claim.volume_name)
            if pv is None:
                return VolumePreFilter("VolumeZone", f'persistentvolume "{claim.volume_name}" not found')
            for key in ZONE_LABELS:
                if key in pv.labels and (zones := zone_values(pv.labels[key])) is not None:
                    topologies.append((key, zones))
        result.topologies = topologies
    return result


def zone_fits(topologies: list, labels: dict[str, str]) -> bool:
    """VolumeZone's Filter on one node."""
    if not any(key in labels for key in ZONE_LABELS):
        return True
    for key, zones in topologies:
        value = labels.get(key, labels.get(GA_LABELS.get(key, key)))
        if value is None or value not in zones:
            return False
    return True


def attachable_volumes(pod: Pod, storage: StorageObjects) -> list[tuple[str, str, bool]]:
    """NodeVolumeLimits' (driver, unique volume, in-tree) of a pod's volumes, as
    filterAttachableVolumes: CSI PVs, unbound claims under their class's provisioner, and
    in-tree PVs, classes and inline volumes under their CSI driver (in-tree: counted only on
    nodes with a CSINode)."""
    found: dict[str, tuple[str, bool]] = {}
    for volume in pod.spec.volumes:
        if volume.in_tree is not None:
            found[f"{volume.in_tree[0]}/{volume.in_tree[1]}"] = (volume.in_tree[0], True)
        if not volume.claim and volume.ephemeral is None:
            continue
        claim = storage.claims.get(f"{pod.namespace}/{volume.claim_name(pod.name)}")
        if claim is None:
            continue
        driver, handle, in_tree = "", "", False
        pv = storage.volumes.get(claim.volume_name) if claim.volume_name else None
        if pv is not None:
            if pv.csi is not None:
                driver, handle = pv.csi
            elif pv.in_tree is not None:
                (driver, handle), in_tree = pv.in_tree, True
        else:
            storage_class = storage.classes.get(claim.storage_class) if claim.storage_class else None
            if storage_class is not None and storage_class.provisioner not in UNCOUNTED_MIGRATABLE:
                in_tree = storage_class.provisioner in MIGRATED_DRIVERS
                driver = MIGRATED_DRIVERS.get(storage_class.provisioner, storage_class.provisioner)
                handle = f"-{claim.namespace}/{claim.name}"
        if driver and handle:
            found[f"{driver}/{handle}"] = (driver, in_tree)
    return [(driver, unique, in_tree) for unique, (driver, in_tree) in found.items()]


def attached_volumes(storage: StorageObjects) -> dict[str, dict[str, str]]:
    """Per node the VolumeAttachments NodeVolumeLimits counts (unique volume -> attacher): those
    naming a CSI PV, as `<attacher>/<volumeHandle>`."""
    found: dict[str, dict[str, str]] = {}
    for attachment in storage.attachments.values():
        pv = storage.volumes.get(attachment.volume) if attachment.volume else None
        if pv is not None and pv.csi is not None:
            found.setdefault(attachment.node, {})[f"{attachment.attacher}/{pv.csi[1]}"] = attachment.attacher
    return found


def pv_order(storage: StorageObjects) -> list[PersistentVolume]:
    """Upstream's matcher takes the smallest fitting PV: ids follow capacity, then name."""
    return sorted(storage.volumes.values(), key=lambda v: (v.capacity, v.name))


class NodeIndex:
    """Which nodes the node affinity terms of a PV match (pv_term_matches), through a
    (label, value) index for `In`."""

    def __init__(self, nodes: list[Node]):
        self.nodes = nodes
        self.by_label: dict[tuple[str, str], list[int]] = {}
        self._matched: dict[tuple, list[int]] = {}
        for i, node in enumerate(nodes):
            for item in node.labels.items():
                self.by_label.setdefault(item, []).append(i)

    def add(self, node: Node, index: int) -> None:
        """A node appended to the node list (the snapshot's) is indexed."""
        for item in node.labels.items():
            self.by_label.setdefault(item, []).append(index)
        self._matched.clear()

    def matching(self, terms) -> list[int]:
        found = self._matched.get(terms)  # PVs often share their terms (a zone, a rack)
        if found is None:
            found = self._matched[terms] = self._matching(terms)
        return found

    def _matching(self, terms) -> list[int]:
        found: set[int] = set()
        for term in terms:
            narrowed = None
            for requirement in term.match_expressions:
                if requirement.operator == "In":
                    narrowed = {i for value in requirement.values
                                for i in self.by_label.get((requirement.key, value), ())}
                    break
            if narrowed is not None and len(term.match_expressions) == 1:
                found |= narrowed  # the one requirement is what the index answered (a local PV's hostname)
                continue
            candidates = range(len(self.nodes)) if narrowed is None else narrowed
            found.update(i for i in candidates if pv_term_matches(term, self.nodes[i].labels))
        return sorted(found)


class VolumeCompiler:
    """Owns the engine's VolumeState: sets the table up once, then compiles pod classes."""

    def __init__(self, engine, nodes: list[Node], storage: StorageObjects, claim_references: Counter):
        self.engine = engine
        self.nodes = nodes
        self.storage = storage
        self.node_of = {node.name: i for i, node in enumerate(nodes)}
        self.index = NodeIndex(nodes)
        self.volumes = pv_order(storage)
        self.pv_id = {v.name: i for i, v in enumerate(self.volumes)}
        self.pv_nodes = [None if v.node_terms is None else self.index.matching(v.node_terms) for v in self.volumes]
        self.claim_keys = list(storage.claims)
        self.claim_id = {key: i for i, key in enumerate(self.claim_keys)}
        self.strings: dict[str, int] = {}
        self.drivers: dict[str, int] = {}
        self._candidate_sets: dict[tuple, int] = {}
        self._masks: dict[tuple, int] = {}
        self._capacities: dict[tuple, int] = {}
        self._unique: dict[str, int] = {}
        for drivers in storage.csi_nodes.values():
            for name in drivers:
                self._driver(name)
        for name in storage.csi_drivers:
            self._driver(name)
        claimed: dict[tuple[str, str], list[PersistentVolume]] = {}  # claimRef -> PVs naming it
        for volume in self.volumes:
            if volume.claim_ref is not None:
                claimed.setdefault(volume.claim_ref[:2], []).append(volume)
        kinds: dict[tuple, int] = {}  # PVs alike in all that candidate() reads but the size
        self._pv_kind = np.fromiter((kinds.setdefault(pv_kind(v), len(kinds)) for v in self.volumes), dtype=np.int32,
                                    count=len(self.volumes))
        self._kind_examples = [None] * len(kinds)
        for volume, kind in zip(self.volumes, self._pv_kind):
            if self._kind_examples[kind] is None:
                self._kind_examples[kind] = volume
        self._pv_capacity = np.array([v.capacity for v in self.volumes], dtype=np.int64)
        self._references = claim_references
        self._named = set(claimed)  # (namespace, name) of the claims some PV's claimRef names
        self._interned_asks: dict[tuple, tuple] = {}
        claims = []
        for key in self.claim_keys:
            claim = storage.claims[key]
            # FindMatchingVolume looks among the PVs of the claim's class only, a prebound one too
            prebound = [self.pv_id[v.name] for v in claimed.get((claim.namespace, claim.name), ())
                        if bound_to(v, claim) and static_fit(v, claim) and v.storage_class == claim_class(claim)]
            selected = -1 if claim.selected_node is None else self.node_of.get(claim.selected_node, -2)
            claims.append((prebound[0] if prebound else -1, selected, claim_references[key] > 1,
                           "ReadWriteOncePod" in claim.access_modes, self._string(claim.name)))
        self._own_asks = {key: ask for key in self.claim_keys if (ask := self._own_ask(key)) is not None}
        limits = [{} for _ in nodes]
        installed: list = [None] * len(nodes)  # None: the node has no CSINode
        for name, drivers in storage.csi_nodes.items():
            n = self.node_of.get(name)
            if n is None:
                continue
            installed[n] = [self.drivers[d] for d in drivers]
            limits[n] = {self.drivers[d]: count for d, count in drivers.items() if count is not None}
        attachments = [[] for _ in nodes]
        for name, volumes in attached_volumes(storage).items():
            n = self.node_of.get(name)
            if n is not None:
                attachments[n] = [(self._driver(d), self._unique_id(unique)) for unique, d in volumes.items()]
        self._table = dict(pv_nodes=self.pv_nodes, pv_capacity=[v.capacity for v in self.volumes],
                           pv_class=[self._string(v.storage_class) for v in self.volumes], claims=claims,
                           limits=limits, installed=installed, attachments=attachments)
        self._configured = False
        self._mask_rules: list = []  # per node mask id: node -> bool (for nodes added later)
        self._capacity_rules: list = []  # per capacity column: node -> bytes or -1
        self.delayed_classes: set[int] = set()  # volume classes with delayed claims
        self.binding_classes: set[int] = set()  # the pod classes that have one (set by the snapshot)

    def _string(self, text: str) -> int:
        return self.strings.setdefault(text, len(self.strings))

    def _driver(self, name: str) -> int:
        return self.drivers.setdefault(name, len(self.drivers))

    def _unique_id(self, unique: str) -> int:
        return self._unique.setdefault(unique, len(self._unique))

    def _configure(self) -> None:
        """The table goes to the core at the first class with volumes (candidate sets and
        masks are added on demand)."""
        if self._configured:
            return
        required = [False] * len(self.drivers)
        for name, driver in self.storage.csi_drivers.items():
            required[self.drivers[name]] = driver.prevent_if_missing
        self.engine.set_volume_table(**self._table, candidate_sets=[], driver_required=required,
                                     driver_names=list(self.drivers))
        self._configured = True

    def _mask(self, key: tuple, compute) -> int:
        found = self._masks.get(key)
        if found is None:
            found = self._masks[key] = self.engine.add_volume_mask(np.fromiter(
                (compute(node) for node in self.nodes), dtype=np.uint8, count=len(self.nodes)))
            self._mask_rules.append(compute)
        return found

    def _candidates(self, claim: PersistentVolumeClaim) -> int:
        key = (claim.storage_class, claim.request, frozenset(claim.access_modes), claim.volume_mode, claim.selector,
               claim.attributes_class)
        found = self._candidate_sets.get(key)
        if found is None:
            # What candidate() asks besides the size, once per kind of PV; the size per PV.
            unsized = replace(claim, request=0)
            fits = np.fromiter((candidate(volume, unsized) for volume in self._kind_examples), dtype=bool,
                               count=len(self._kind_examples))
            marked = fits[self._pv_kind] & (self._pv_capacity >= (claim.request or 0)) if self.volumes else fits[:0]
            found = self._candidate_sets[key] = self.engine.add_volume_candidates_marked(marked)
        return found

    def _delayed(self, claim: PersistentVolumeClaim, own: bool) -> tuple:
        storage_class = self.storage.classes[claim.storage_class]
        topology = -1
        if storage_class.allowed_topologies:
            terms = storage_class.allowed_topologies
            topology = self._mask(("topology", storage_class.name), lambda node: any(
                all(node.labels.get(key) in values for key, values in term.expressions) for term in terms))
        capacity = node_capacity = -1
        driver = self.storage.csi_drivers.get(storage_class.provisioner)
        if driver is not None and driver.storage_capacity:
            size = claim.request or 0
            fitting = [c for c in self.storage.capacities if c.storage_class == storage_class.name
                       and (c.maximum_volume_size if c.maximum_volume_size is not None else c.capacity) is not None
                       and (c.maximum_volume_size if c.maximum_volume_size is not None else c.capacity) >= size]

            def first(node):
                return next((c for c in fitting if c.node_topology is not None
                             and label_selector_matches(c.node_topology, node.labels)), None)
            capacity = self._mask(("capacity", storage_class.name, size), lambda node: first(node) is not None)
            key = ("node capacity", storage_class.name, size)
            node_capacity = self._capacities.get(key)
            if node_capacity is None:
                def node_value(node):
                    found = first(node)
                    return -1 if found is None else (found.capacity or 0)
                node_capacity = self._capacities[key] = self.engine.add_volume_capacities(
                    [node_value(node) for node in self.nodes])
                self._capacity_rules.append(node_value)
        return (-1 if own else self.claim_id[claim.key], self._candidates(claim), claim.request or 0,
                self._string(claim.storage_class), storage_class.provisioner != NO_PROVISIONER, topology, capacity,
                node_capacity)

    def node_joined(self, node: Node, index: int, csi_drivers: dict[str, int | None] | None) -> None:
        """A node added to the snapshot after the table was made (a node `plan nodes` adds):
        the PVs whose node affinity it matches, every mask and capacity, and its CSINode's
        drivers (a node template's, None: none)."""
        self._configure()
        self.node_of[node.name] = index
        self.index.add(node, index)
        pvs = []
        for pv, terms in enumerate(v.node_terms for v in self.volumes):
            if terms is not None and any(pv_term_matches(t, node.labels) for t in terms):
                pvs.append(pv)
                self.pv_nodes[pv].append(index)
        drivers = csi_drivers or {}
        self.engine.volume_node_joined(
            index, pvs, [rule(node) for rule in self._mask_rules], [rule(node) for rule in self._capacity_rules],
            {self._driver(d): count for d, count in drivers.items() if count is not None},
            None if csi_drivers is None else [self._driver(d) for d in drivers])

    def own(self, key: str, pod_name: str) -> bool:
        """Whether the claim is the pod's own, undecided: named for the pod as a StatefulSet
        names its claims (`<template>-<pod>`), no other pod refers to it, it is unbound on a
        WaitForFirstConsumer class, no node is selected and no PV names it. Nothing but that
        pod's placement reads or changes it, so pods whose own claims ask the same are decided
        alike (replicas share a class). The name matters because the pods counted in
        `claim_references` need not be every pod the snapshot will see (explain counts the
        pods ahead of the one explained)."""
        ask = self._own_asks.get(key)
        return ask is not None and key.endswith("-" + pod_name)

    def _own_ask(self, key: str) -> tuple | None:
        """What the claim asks if it may be a pod's own (all but the name checked), else None."""
        claim = self.storage.claims[key]
        if claim.bound or claim.volume_name or claim.selected_node is not None or claim.deleting \
                or claim.phase == "Lost" or "ReadWriteOncePod" in claim.access_modes:
            return None
        storage_class = self.storage.classes.get(claim.storage_class) if claim.storage_class else None
        if storage_class is None or storage_class.binding_mode != WAIT or self._references[key] > 1 \
                or (claim.namespace, claim.name) in self._named:
            return None
        ask = ("own", claim.storage_class, claim.request, frozenset(claim.access_modes), claim.volume_mode,
               claim.selector, claim.attributes_class)
        return self._interned_asks.setdefault(ask, ask)  # equal asks, one object: compared by identity first

    def asks(self, pod: Pod) -> tuple:
        """For the class key: each claim of the pod by what it asks if it is its own, else by
        name."""
        found = []
        prefix = pod.namespace + "/"
        for volume in pod.spec.volumes:
            if not volume.claim and volume.ephemeral is None:
                continue
            key = prefix + volume.claim_name(pod.name)
            ask = self._own_asks.get(key)
            found.append(ask if ask is not None and key.endswith("-" + pod.name) else key)
        return tuple(found)

    def resolve(self, pod: Pod, bindings: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """A placement's bindings with the pod's own claims (-(index in delayed) - 1) named."""
        if all(claim >= 0 for claim, _ in bindings):
            return bindings
        delayed = prefilter(pod, self.storage, {"VolumeBinding"}).delayed or []
        return [(claim if claim >= 0 else self.claim_id[delayed[-claim - 1].key], pv) for claim, pv in bindings]

    def compile(self, pod: Pod, filters: tuple[str, ...]) -> dict:
        """The add_class arguments for the pod's volumes ({} without volumes)."""
        if not has_volumes(pod):
            return {}
        enabled = {name for name in VOLUME_PLUGINS if name in filters}
        verdict = prefilter(pod, self.storage, enabled)
        self._configure()
        ns = pod.namespace
        own = {key for _, name in pod_claims(pod) if self.own(key := f"{ns}/{name}", pod.name)}
        used = [self.claim_id[f"{ns}/{v.claim}"] for v in pod.spec.volumes
                if v.claim and f"{ns}/{v.claim}" in self.claim_id and f"{ns}/{v.claim}" not in own]
        rwop = list(dict.fromkeys(c for c in used  # distinct: VolumeRestrictions keeps a set
                                  if "ReadWriteOncePod" in self.storage.claims[self.claim_keys[c]].access_modes))
        disks = [(DISK_KINDS[v.disk[0]], self._string(v.disk[1]), v.disk[2], [self._string(m) for m in v.monitors])
                 for v in pod.spec.volumes if v.disk]
        own_volumes = {f"-{key}" for key in own}  # the handle attachable_volumes gives an unbound claim
        attachable, own_attachable = [], []
        for driver, unique, in_tree in attachable_volumes(pod, self.storage):
            if unique[len(driver) + 1:] in own_volumes:
                own_attachable.append((self._driver(driver), in_tree))
            else:
                attachable.append((self._driver(driver), self._unique_id(unique), in_tree))
        if verdict.rejected_by:  # its Filter never runs; what it uses on a node still counts for the others
            volume_class = self.engine.add_volume_class(
                restrictions=False, limits=False, binding=False, zone=False, bound_pvs=[], delayed=[], claims=used,
                rwop_claims=rwop, disks=disks, attachable=attachable, own_attachable=own_attachable)
            return {"prefilter_rejection": verdict.message, "volume_rejection_filter": verdict.rejected_by,
                    "volume_class": volume_class}
        zone = bool(verdict.topologies)
        zone_mask = -1
        if zone:
            topologies = verdict.topologies
            zone_mask = self._mask(("zone", tuple((k, tuple(sorted(z))) for k, z in topologies)),
                                   lambda node: zone_fits(topologies, node.labels))
        binding = verdict.bound is not None
        volume_class = self.engine.add_volume_class(
            restrictions="VolumeRestrictions" in enabled and bool(disks or rwop),
            limits="NodeVolumeLimits" in enabled and bool(attachable or own_attachable),
            binding=binding, zone=zone,
            bound_pvs=[self.pv_id.get(c.volume_name, -1) for c in verdict.bound or ()],
            delayed=[self._delayed(c, own=c.key in own) for c in verdict.delayed or ()],
            claims=used, rwop_claims=rwop, disks=disks, attachable=attachable, zone_mask=zone_mask,
            own_attachable=own_attachable)
        if verdict.delayed:
            self.delayed_classes.add(volume_class)
        return {"volume_class": volume_class}

    def describe(self, pod: Pod, bindings: list[tuple[int, int]], node: str) -> list[dict]:
        """A placement's claims: the PV each binds, or where it is provisioned."""
        bindings = self.resolve(pod, bindings)
        return [{"claim": self.claim_keys[claim], "volume": self.volumes[pv].name} if pv >= 0
                else {"claim": self.claim_keys[claim], "provisionedOn": node} for claim, pv in bindings]
