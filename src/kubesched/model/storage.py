"""The storage objects the volume plugins read: PersistentVolumes, PersistentVolumeClaims,
StorageClasses, CSINodes, CSIDrivers, CSIStorageCapacities and VolumeAttachments, as small
records.

Each is validated as the API server would for the fields the scheduler reads, and defaulted
as it would be on create (volumeMode Filesystem, volumeBindingMode Immediate, a claim without
a class gets the default StorageClass, as the DefaultStorageClass admission plugin does).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from kubesched.errors import InputError
from kubesched.model.csi_migration import translated_source
from kubesched.model.fields import boolean, check_keys, int32, mapping, one_of, sequence, string, string_map
from kubesched.model.manifests import Manifest
from kubesched.model.pod_spec import parse_node_affinity
from kubesched.model.quantity import parse_quantity, to_units
from kubesched.model.records import LabelSelector, NodeSelectorTerm
from kubesched.model.selectors import parse_label_selector
from kubesched.model.validation import (csi_driver_name, dns_label, dns_subdomain, label_value, labels as check_labels,
                                        qualified_name)

ACCESS_MODES = ("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod")
VOLUME_MODES = ("Filesystem", "Block")
BINDING_MODES = ("Immediate", "WaitForFirstConsumer")
NO_PROVISIONER = "kubernetes.io/no-provisioner"
SELECTED_NODE = "volume.kubernetes.io/selected-node"
BIND_COMPLETED = "pv.kubernetes.io/bind-completed"
BETA_CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class"
DEFAULT_CLASS_ANNOTATIONS = ("storageclass.kubernetes.io/is-default-class",
                             "storageclass.beta.kubernetes.io/is-default-class")
# PV sources the API server knows (one must be given); the in-tree disks VolumeRestrictions checks among them.
PV_SOURCES = ("gcePersistentDisk", "awsElasticBlockStore", "hostPath", "glusterfs", "nfs", "rbd", "iscsi",
              "cinder", "cephfs", "fc", "flocker", "flexVolume", "azureFile", "vsphereVolume", "quobyte",
              "azureDisk", "photonPersistentDisk", "portworxVolume", "scaleIO", "local", "storageos", "csi")
STORAGE_KINDS = {"PersistentVolume": "v1", "PersistentVolumeClaim": "v1", "StorageClass": "storage.k8s.io/v1",
                 "CSINode": "storage.k8s.io/v1", "CSIDriver": "storage.k8s.io/v1",
                 "CSIStorageCapacity": "storage.k8s.io/v1", "VolumeAttachment": "storage.k8s.io/v1"}


@dataclass(frozen=True)
class PersistentVolume:
    name: str
    labels: dict[str, str]
    capacity: int  # bytes of spec.capacity.storage
    access_modes: tuple[str, ...]
    storage_class: str = ""
    volume_mode: str = "Filesystem"
    node_terms: tuple[NodeSelectorTerm, ...] | None = None  # spec.nodeAffinity.required; None: any node
    claim_ref: tuple[str, str, str] | None = None  # (namespace, name, uid)
    phase: str = "Available"
    deleting: bool = False
    csi: tuple[str, str] | None = None  # (driver, volumeHandle)
    attributes_class: str = ""
    in_tree: tuple[str, str] | None = None  # a counted in-tree source as CSI (csi_migration)


@dataclass(frozen=True)
class PersistentVolumeClaim:
    namespace: str
    name: str
    access_modes: tuple[str, ...]
    request: int | None  # bytes of spec.resources.requests.storage
    storage_class: str = ""  # "" : no class (GetPersistentVolumeClaimClass)
    volume_mode: str = "Filesystem"
    selector: LabelSelector | None = None
    volume_name: str = ""
    bind_completed: bool = False
    phase: str = "Pending"
    deleting: bool = False
    selected_node: str | None = None
    uid: str = ""
    owner_uid: str = ""  # the controller's uid (an ephemeral volume's pod)
    owner_kind: str = ""
    owner_name: str = ""
    attributes_class: str = ""

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def bound(self) -> bool:
        """Fully bound, as the binder sees it: volumeName and the bind-completed annotation."""
        return bool(self.volume_name) and self.bind_completed


@dataclass(frozen=True)
class TopologyTerm:
    """A StorageClass's allowedTopologies term: every key's label value among its values."""

    expressions: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class StorageClass:
    name: str
    provisioner: str
    binding_mode: str = "Immediate"
    allowed_topologies: tuple[TopologyTerm, ...] = ()
    is_default: bool = False


@dataclass(frozen=True)
class CSIStorageCapacity:
    namespace: str
    name: str
    storage_class: str
    node_topology: LabelSelector | None
    capacity: int | None
    maximum_volume_size: int | None


@dataclass(frozen=True)
class CSIDriver:
    storage_capacity: bool = False  # spec.storageCapacity: CSIStorageCapacity objects count
    prevent_if_missing: bool = False  # spec.preventPodSchedulingIfMissing


@dataclass(frozen=True)
class VolumeAttachment:
    name: str
    node: str  # spec.nodeName
    attacher: str  # spec.attacher (a CSI driver)
    volume: str = ""  # spec.source.persistentVolumeName ("": an inline volume spec)


@dataclass
class StorageObjects:
    volumes: dict[str, PersistentVolume] = field(default_factory=dict)
    claims: dict[str, PersistentVolumeClaim] = field(default_factory=dict)  # "ns/name"
    classes: dict[str, StorageClass] = field(default_factory=dict)
    csi_nodes: dict[str, dict[str, int | None]] = field(default_factory=dict)  # node → driver → count
    csi_drivers: dict[str, CSIDriver] = field(default_factory=dict)
    capacities: list[CSIStorageCapacity] = field(default_factory=list)
    attachments: dict[str, VolumeAttachment] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.volumes or self.claims or self.classes or self.csi_nodes or self.capacities
                    or self.attachments)


def _meta(obj: dict, kind: str, namespaced: bool) -> tuple[dict, str, str]:
    meta = mapping(obj.get("metadata"), "metadata")
    name = string(meta.get("name"), "metadata.name")
    if not name:
        raise InputError(f"a {kind} needs a name", field="metadata.name")
    dns_subdomain(name, "metadata.name")
    namespace = ""
    if namespaced:
        namespace = string(meta.get("namespace"), "metadata.namespace") or "default"
        dns_label(namespace, "metadata.namespace")
    check_labels(string_map(meta.get("labels"), "metadata.labels"), "metadata.labels")
    string_map(meta.get("annotations"), "metadata.annotations")
    return meta, namespace, name


def _bytes(value: object, path: str) -> int:
    try:
        quantity = parse_quantity(value)
    except ValueError as error:
        raise InputError(str(error), field=path) from None
    if quantity < 0:
        raise InputError("must be greater than or equal to 0", field=path)
    return to_units(quantity)


def _access_modes(value: object, path: str, *, required: bool) -> tuple[str, ...]:
    modes = tuple(one_of(string(m, f"{path}[{i}]"), ACCESS_MODES, f"{path}[{i}]")
                  for i, m in enumerate(sequence(value, path)))
    if required and not modes:
        raise InputError("at least 1 access mode is required", field=path)
    if "ReadWriteOncePod" in modes and len(set(modes)) > 1:
        raise InputError("may not use ReadWriteOncePod with other access modes", field=path)
    return modes


def _volume_mode(value: object, path: str) -> str:
    return one_of(string(value, path) or "Filesystem", VOLUME_MODES, path)


def parse_persistent_volume(obj: dict) -> PersistentVolume:
    meta, _, name = _meta(obj, "PersistentVolume", namespaced=False)
    spec = mapping(obj.get("spec"), "spec")
    capacity = mapping(spec.get("capacity"), "spec.capacity")
    if capacity.get("storage") is None:
        raise InputError("Required value", field="spec.capacity[storage]")
    sources = [key for key in PV_SOURCES if spec.get(key) is not None]
    if not sources:
        raise InputError("must specify a volume type", field="spec")
    if len(sources) > 1:
        raise InputError(f"may not specify more than 1 volume type (got {', '.join(sources)})", field="spec")
    node_terms = None
    if spec.get("nodeAffinity") is not None:
        affinity = mapping(spec["nodeAffinity"], "spec.nodeAffinity")
        check_keys(affinity, ("required",), "spec.nodeAffinity")
        if affinity.get("required") is not None:
            node_terms, _ = parse_node_affinity({"requiredDuringSchedulingIgnoredDuringExecution": affinity["required"]},
                                                "spec.nodeAffinity")
    if sources == ["local"] and node_terms is None:
        raise InputError("Local volume requires node affinity", field="spec.nodeAffinity")
    claim_ref = None
    if spec.get("claimRef") is not None:
        ref = mapping(spec["claimRef"], "spec.claimRef")
        claim_ref = (string(ref.get("namespace"), "spec.claimRef.namespace") or "default",
                     string(ref.get("name"), "spec.claimRef.name"), string(ref.get("uid"), "spec.claimRef.uid"))
    csi = None
    if spec.get("csi") is not None:
        source = mapping(spec["csi"], "spec.csi")
        driver = string(source.get("driver"), "spec.csi.driver")
        handle = string(source.get("volumeHandle"), "spec.csi.volumeHandle")
        if not driver:
            raise InputError("Required value", field="spec.csi.driver")
        if not handle:
            raise InputError("Required value", field="spec.csi.volumeHandle")
        csi = (driver, handle)
    status = mapping(obj.get("status"), "status")
    # Without a status (a manifest), the PV controller's verdict: Bound when claimed, else Available.
    phase = string(status.get("phase"), "status.phase") or ("Bound" if claim_ref else "Available")
    storage_class = string(spec.get("storageClassName"), "spec.storageClassName")
    annotations = meta.get("annotations") or {}
    storage_class = annotations.get(BETA_CLASS_ANNOTATION, storage_class)
    return PersistentVolume(
        name=name, labels=dict(meta.get("labels") or {}), capacity=_bytes(capacity["storage"], "spec.capacity[storage]"),
        access_modes=_access_modes(spec.get("accessModes"), "spec.accessModes", required=True),
        storage_class=storage_class, volume_mode=_volume_mode(spec.get("volumeMode"), "spec.volumeMode"),
        node_terms=node_terms, claim_ref=claim_ref, phase=phase,
        deleting=meta.get("deletionTimestamp") is not None, csi=csi,
        attributes_class=string(spec.get("volumeAttributesClassName"), "spec.volumeAttributesClassName"),
        in_tree=translated_source(spec, dict(meta.get("labels") or {})))


def parse_claim(obj: dict, default_class: str | None = None) -> PersistentVolumeClaim:
    meta, namespace, name = _meta(obj, "PersistentVolumeClaim", namespaced=True)
    spec = mapping(obj.get("spec"), "spec")
    resources = mapping(spec.get("resources"), "spec.resources")
    requests = mapping(resources.get("requests"), "spec.resources.requests")
    if requests.get("storage") is None:
        raise InputError("Required value", field="spec.resources[storage]")
    annotations = string_map(meta.get("annotations"), "metadata.annotations")
    if BETA_CLASS_ANNOTATION in annotations:
        storage_class = annotations[BETA_CLASS_ANNOTATION]
    elif spec.get("storageClassName") is not None:
        storage_class = string(spec["storageClassName"], "spec.storageClassName")
    else:
        storage_class = default_class or ""
    status = mapping(obj.get("status"), "status")
    owner_uid = owner_kind = owner_name = ""
    for i, ref in enumerate(sequence(meta.get("ownerReferences"), "metadata.ownerReferences")):
        ref = mapping(ref, f"metadata.ownerReferences[{i}]")
        if ref.get("controller") is True:
            owner_uid, owner_kind, owner_name = (str(ref.get("uid") or ""), str(ref.get("kind") or ""),
                                                 str(ref.get("name") or ""))
    volume_name = string(spec.get("volumeName"), "spec.volumeName")
    return PersistentVolumeClaim(
        namespace=namespace, name=name,
        access_modes=_access_modes(spec.get("accessModes"), "spec.accessModes", required=True),
        request=_bytes(requests["storage"], "spec.resources.requests[storage]"),
        storage_class=storage_class, volume_mode=_volume_mode(spec.get("volumeMode"), "spec.volumeMode"),
        selector=parse_label_selector(spec.get("selector"), "spec.selector"), volume_name=volume_name,
        # The PV controller sets the annotation when it binds (status.phase Bound in a hand-written manifest).
        bind_completed=BIND_COMPLETED in annotations or (bool(volume_name) and status.get("phase") == "Bound"),
        phase=string(status.get("phase"), "status.phase") or "Pending",
        deleting=meta.get("deletionTimestamp") is not None, selected_node=annotations.get(SELECTED_NODE),
        uid=string(meta.get("uid"), "metadata.uid"), owner_uid=owner_uid, owner_kind=owner_kind,
        owner_name=owner_name,
        attributes_class=string(spec.get("volumeAttributesClassName"), "spec.volumeAttributesClassName"))


def parse_storage_class(obj: dict) -> StorageClass:
    meta, _, name = _meta(obj, "StorageClass", namespaced=False)
    provisioner = string(obj.get("provisioner"), "provisioner")
    if not provisioner:
        raise InputError("Required value", field="provisioner")
    qualified_name(provisioner, "provisioner", "provisioner name")
    mode = one_of(string(obj.get("volumeBindingMode"), "volumeBindingMode") or "Immediate", BINDING_MODES,
                  "volumeBindingMode")
    terms = []
    for i, term in enumerate(sequence(obj.get("allowedTopologies"), "allowedTopologies")):
        path = f"allowedTopologies[{i}]"
        term = mapping(term, path)
        check_keys(term, ("matchLabelExpressions",), path)
        expressions = []
        for j, expression in enumerate(sequence(term.get("matchLabelExpressions"), f"{path}.matchLabelExpressions")):
            where = f"{path}.matchLabelExpressions[{j}]"
            expression = mapping(expression, where)
            key = qualified_name(string(expression.get("key"), f"{where}.key"), f"{where}.key", "label key")
            values = tuple(label_value(string(v, f"{where}.values[{k}]"), f"{where}.values[{k}]")
                           for k, v in enumerate(sequence(expression.get("values"), f"{where}.values")))
            if not values:
                raise InputError("must specify as least one value", field=f"{where}.values")
            expressions.append((key, values))
        if not expressions:
            raise InputError("must contain at least one key-value pair", field=f"{path}.matchLabelExpressions")
        terms.append(TopologyTerm(tuple(expressions)))
    annotations = meta.get("annotations") or {}
    return StorageClass(name, provisioner, mode, tuple(terms),
                        any(annotations.get(key) == "true" for key in DEFAULT_CLASS_ANNOTATIONS))


def parse_csi_node(obj: dict) -> tuple[str, dict[str, int | None]]:
    _, _, name = _meta(obj, "CSINode", namespaced=False)
    spec = mapping(obj.get("spec"), "spec")
    drivers: dict[str, int | None] = {}
    for i, driver in enumerate(sequence(spec.get("drivers"), "spec.drivers")):
        path = f"spec.drivers[{i}]"
        driver = mapping(driver, path)
        driver_name = string(driver.get("name"), f"{path}.name")
        if not driver_name:
            raise InputError("Required value", field=f"{path}.name")
        if driver_name in drivers:
            raise InputError(f"Duplicate value: {driver_name!r}", field=f"{path}.name")
        allocatable = mapping(driver.get("allocatable"), f"{path}.allocatable")
        count = int32(allocatable.get("count"), f"{path}.allocatable.count")
        if count is not None and count < 0:
            raise InputError("must be greater than or equal to 0", field=f"{path}.allocatable.count")
        drivers[driver_name] = count
    return name, drivers


def parse_csi_driver(obj: dict) -> tuple[str, CSIDriver]:
    _, _, name = _meta(obj, "CSIDriver", namespaced=False)
    spec = mapping(obj.get("spec"), "spec")
    return name, CSIDriver(boolean(spec.get("storageCapacity"), "spec.storageCapacity"),
                           boolean(spec.get("preventPodSchedulingIfMissing"), "spec.preventPodSchedulingIfMissing"))


def parse_capacity(obj: dict) -> CSIStorageCapacity:
    _, namespace, name = _meta(obj, "CSIStorageCapacity", namespaced=True)
    storage_class = string(obj.get("storageClassName"), "storageClassName")
    if not storage_class:
        raise InputError("Required value", field="storageClassName")
    dns_subdomain(storage_class, "storageClassName")
    capacity = None if obj.get("capacity") is None else _bytes(obj["capacity"], "capacity")
    maximum = None if obj.get("maximumVolumeSize") is None else _bytes(obj["maximumVolumeSize"], "maximumVolumeSize")
    return CSIStorageCapacity(namespace, name, storage_class,
                              parse_label_selector(obj.get("nodeTopology"), "nodeTopology"), capacity, maximum)


def parse_volume_attachment(obj: dict) -> VolumeAttachment:
    _, _, name = _meta(obj, "VolumeAttachment", namespaced=False)
    spec = mapping(obj.get("spec"), "spec")
    attacher = string(spec.get("attacher"), "spec.attacher")
    if not attacher:
        raise InputError("Required value", field="spec.attacher")
    csi_driver_name(attacher, "spec.attacher")
    node = string(spec.get("nodeName"), "spec.nodeName")
    if not node:
        raise InputError("Required value", field="spec.nodeName")
    dns_subdomain(node, "spec.nodeName")
    source = mapping(spec.get("source"), "spec.source")
    inline = source.get("inlineVolumeSpec") is not None
    if (source.get("persistentVolumeName") is not None) == inline:
        raise InputError("must specify exactly one of inlineVolumeSpec and persistentVolumeName", field="spec.source")
    volume = string(source.get("persistentVolumeName"), "spec.source.persistentVolumeName")
    if not inline:
        if not volume:
            raise InputError("must specify non empty persistentVolumeName", field="spec.source.persistentVolumeName")
        dns_subdomain(volume, "spec.source.persistentVolumeName")
    return VolumeAttachment(name, node, attacher, volume)


def read_storage(manifests: Iterable[Manifest]) -> StorageObjects:
    """The storage objects among the manifests (other kinds are passed over)."""
    storage = StorageObjects()
    claims: list[Manifest] = []
    for manifest in manifests:
        kind = manifest.kind
        if kind not in STORAGE_KINDS:
            continue
        try:
            version = manifest.obj.get("apiVersion")
            if version is not None and version != STORAGE_KINDS[kind]:
                raise InputError(f"expected {STORAGE_KINDS[kind]!r} for a {kind}, got {version!r}", field="apiVersion")
            if kind == "PersistentVolumeClaim":
                claims.append(manifest)
            elif kind == "PersistentVolume":
                volume = parse_persistent_volume(manifest.obj)
                _unique(storage.volumes, volume.name, kind)
                storage.volumes[volume.name] = volume
            elif kind == "StorageClass":
                storage_class = parse_storage_class(manifest.obj)
                _unique(storage.classes, storage_class.name, kind)
                storage.classes[storage_class.name] = storage_class
            elif kind == "CSINode":
                name, drivers = parse_csi_node(manifest.obj)
                _unique(storage.csi_nodes, name, kind)
                storage.csi_nodes[name] = drivers
            elif kind == "CSIDriver":
                name, capacity = parse_csi_driver(manifest.obj)
                _unique(storage.csi_drivers, name, kind)
                storage.csi_drivers[name] = capacity
            elif kind == "VolumeAttachment":
                attachment = parse_volume_attachment(manifest.obj)
                _unique(storage.attachments, attachment.name, kind)
                storage.attachments[attachment.name] = attachment
            else:
                storage.capacities.append(parse_capacity(manifest.obj))
        except InputError as e:
            raise e.located(file=manifest.file or None, obj=_label(manifest)) from None
    default = default_class(storage.classes)
    for manifest in claims:
        try:
            claim = parse_claim(manifest.obj, default)
            _unique(storage.claims, claim.key, "PersistentVolumeClaim")
            storage.claims[claim.key] = claim
        except InputError as e:
            raise e.located(file=manifest.file or None, obj=_label(manifest)) from None
    return storage


def default_class(classes: dict[str, StorageClass]) -> str | None:
    """The class the DefaultStorageClass admission plugin gives a claim without one: of
    several defaults, the newest; here, the last read."""
    defaults = [c.name for c in classes.values() if c.is_default]
    return defaults[-1] if defaults else None


def _unique(seen: dict, key: str, kind: str) -> None:
    if key in seen:
        raise InputError(f"duplicate {kind}: another {kind} in the input has this name", field="metadata.name")


def _label(manifest: Manifest) -> str:
    meta = manifest.obj.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    name = meta.get("name") if isinstance(meta.get("name"), str) else ""
    if manifest.kind in ("PersistentVolumeClaim", "CSIStorageCapacity"):
        namespace = meta.get("namespace") if isinstance(meta.get("namespace"), str) else ""
        name = f"{namespace or 'default'}/{name}" if name else ""
    return f"{manifest.kind} {name or '(' + (manifest.place or 'no name') + ')'}"
