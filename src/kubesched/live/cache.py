"""What the scheduler knows of the cluster: nodes, pods on nodes, assumed pods, objects.

The snapshot is fed incrementally: a pod bound, assumed, deleted or forgotten changes its
node's row at once (`ClusterSnapshot.assume` / `forget_on_gpus`, with the class id it was counted
under). So does a node added (appended, last, as a rebuild would order it) or changed in what
scheduling reads (labels, taints, allocatable, unschedulable, images: its row is rewritten and
every per-class state of the engine is recomputed when next used), and a Service or workload
object changed (pods get their classes compiled anew with the new default spreading
selectors). Node updates that change none of those (heartbeats) are ignored.

A change marks the snapshot stale (the next decision rebuilds it from the cache) only where
the snapshot cannot follow it:
- a node deleted: the core's rows are numbered by node, and every holder of an index (pods'
  counted places, the preemption table, the nominator) would have to be renumbered;
- a node's GPU count (kubesched.io/gpu) changed: the pods on it hold GPUs by index;
- a node's labels changed once the volume tables are compiled (PV node affinity, allowed
  topologies and capacities are compiled per node);
- Namespace labels changed once some class read them (a namespaceSelector): pods already
  counted carry the namespaces their terms resolved to;
- storage objects changed (kubesched.live.volume_binding: the volume tables are compiled
  with the snapshot);
- more than UNUSED_CLASSES pod classes are left unused by object changes (a rebuild
  compacts the engine's classes).

A GPU pod holds GPUs (a bit mask, kubesched.model.gpu): the ones the engine chose when we assumed
it, the ones its `kubesched.io/gpu-indices` annotation records when it is seen bound, or,
bound by someone else without the annotation, the ones the model picks by default. The
mask is kept, so a rebuild puts the pod back on the same GPUs and its removal frees those."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from kubesched.errors import InputError
from kubesched.framework.cluster_objects import ClusterObjects
from kubesched.framework.profile import Profile
from kubesched.model.gpu import GPU_RESOURCE, gpu_indices, mask_of
from kubesched.model.nodes import parse_node
from kubesched.model.storage import StorageObjects
from kubesched.model.records import Node, Pod
from kubesched.engine.cluster import ClusterSnapshot

log = logging.getLogger("kubesched.live")

UNUSED_CLASSES = 1024

OBJECT_KINDS = ("services", "replicationcontrollers", "replicasets", "statefulsets",
                "deployments")


@dataclass(eq=False)
class Placed:
    """A pod counted on a node: bound (seen with spec.nodeName) or assumed by us."""

    pod: Pod
    node: str
    assumed: bool
    counted: tuple[int, int] | None = None  # (class id, node index) in the current snapshot
    gpus: int = 0  # the GPUs it holds on the node (bit g: GPU g); 0 for other pods
    # Placed by us: until the claims' objects show what its placement bound, the snapshot
    # binds them for it (upstream's assume cache); a pod bound by others binds nothing.
    ours: bool = False


def node_fingerprint(node: Node) -> tuple:
    return (tuple(sorted(node.labels.items())), tuple(sorted(node.allocatable.items())),
            node.taints, node.unschedulable, node.images)


class Cache:
    def __init__(self, profile: Profile, seed: int | None = None):
        self.profile = profile
        self.seed = seed
        self.nodes: dict[str, Node] = {}
        self.node_objects: dict[str, dict] = {}  # as the API served them, for extenders
        self._fingerprints: dict[str, tuple] = {}
        self.placed: dict[str, Placed] = {}  # uid → pod counted on a node
        self.namespaces: dict[str, dict[str, str]] = {}
        self.objects: dict[str, dict[str, dict]] = {kind: {} for kind in OBJECT_KINDS}
        self.snapshot: ClusterSnapshot | None = None
        # Upstream's scheduler keeps where its sampled search starts across cluster changes; a
        # snapshot built anew takes it over from the one it replaces.
        self._sampling_start = 0
        self.rebuilds = 0
        # Set by kubesched.live.volume_binding once storage objects are watched: the storage
        # objects and claim references a snapshot is compiled with (none: no volume plugin judges).
        self.storage_source: Callable[[], tuple[StorageObjects, Counter]] | None = None

    # -- nodes and objects ----------------------------------------------------------------

    def set_node(self, obj: dict) -> bool:
        """True if scheduling could see a difference (a new node or a relevant change)."""
        try:
            node = parse_node(obj)
        except InputError as error:
            log.warning("ignoring a node: %s", error)
            return self.delete_node(((obj.get("metadata") or {}).get("name")) or "")
        self.node_objects[node.name] = obj
        fingerprint = node_fingerprint(node)
        if self._fingerprints.get(node.name) == fingerprint:
            return False
        old = self.nodes.get(node.name)
        self.nodes[node.name] = node
        self._fingerprints[node.name] = fingerprint
        snapshot = self.snapshot
        if snapshot is None:
            return True
        if old is None:
            self._add_node(node)
        elif old.allocatable.get(GPU_RESOURCE) != node.allocatable.get(GPU_RESOURCE) or (
                old.labels != node.labels and snapshot.volumes is not None):
            self.invalidate()
        else:
            snapshot.update_node(node)
        return True

    def _add_node(self, node: Node) -> None:
        storage = self.snapshot.objects.storage
        self.snapshot.add_node(node, storage.csi_nodes.get(node.name) if storage is not None else None)
        waiting = [p for p in self.placed.values() if p.node == node.name and p.counted is None]
        for placed in sorted(waiting, key=lambda p: not p.gpus):  # known GPUs first, as _rebuild
            self._count(placed)

    def delete_node(self, name: str) -> bool:
        self.node_objects.pop(name, None)
        if self.nodes.pop(name, None) is None:
            return False
        del self._fingerprints[name]
        self.invalidate()
        return True

    def set_namespace(self, obj: dict, deleted: bool = False) -> bool:
        """True if the namespace's labels, as the plugins see them, changed."""
        meta = obj.get("metadata") or {}
        name = meta.get("name")
        labels = meta.get("labels") or {}
        if deleted:
            if self.namespaces.pop(name, None) is None:
                return False
        elif self.namespaces.get(name) != labels:
            self.namespaces[name] = labels
        else:
            return False
        if self.snapshot is not None and not self.snapshot.set_namespaces(dict(self.namespaces)):
            self.invalidate()
        return True

    def set_object(self, kind: str, key: str, obj: dict | None) -> bool:
        """A Service or workload object; True only if what the plugins read of it changed."""
        store = self.objects[kind]
        relevant = _relevant(obj) if obj is not None else None
        old = store.get(key)
        if obj is None:
            store.pop(key, None)
        else:
            store[key] = obj
        if (_relevant(old) if old is not None else None) == relevant:
            return False
        snapshot = self.snapshot
        if snapshot is not None:
            snapshot.set_objects(self._objects(snapshot.objects.storage, snapshot.objects.claim_references))
            if snapshot.unused_classes > UNUSED_CLASSES:
                self.invalidate()
        return True

    def _objects(self, storage: StorageObjects | None, claim_references: Counter) -> ClusterObjects:
        return ClusterObjects(
            namespaces=dict(self.namespaces),
            services=list(self.objects["services"].values()),
            replication_controllers=list(self.objects["replicationcontrollers"].values()),
            replica_sets=list(self.objects["replicasets"].values()),
            stateful_sets=list(self.objects["statefulsets"].values()),
            deployments=list(self.objects["deployments"].values()),
            storage=storage, claim_references=claim_references)

    # -- pods: incremental ---------------------------------------------------------------

    def place(self, uid: str, pod: Pod, node: str, *, assumed: bool, gpus: int = 0) -> None:
        """Count `pod` on `node` (replacing whatever was counted for uid), on the GPUs of
        `gpus` if given, else on those the model picks."""
        self.remove(uid)
        placed = self.placed[uid] = Placed(pod, node, assumed, gpus=gpus, ours=assumed)
        if self.snapshot is not None:
            self._count(placed)

    def assumed(self, uid: str, pod: Pod, node: str, counted: tuple[int, int], gpus: int = 0) -> None:
        """A pod the engine itself assumed on `node` (ClusterSnapshot.decide, which took `gpus`):
        record, count once."""
        self.remove(uid)
        self.placed[uid] = Placed(pod, node, True, counted, gpus, ours=True)

    def remove(self, uid: str) -> Placed | None:
        placed = self.placed.pop(uid, None)
        if placed is not None and placed.counted is not None and self.snapshot is not None:
            self.snapshot.forget_on_gpus(*placed.counted, placed.gpus)
        return placed

    def confirm(self, uid: str, pod: Pod, node: str) -> bool:
        """A pod seen bound on `node`. True if it is new to the cache, moved, or now records
        other GPUs than it was counted on."""
        placed = self.placed.get(uid)
        recorded = _recorded_gpus(pod)
        if placed is not None and placed.node == node:
            if _same_class(placed.pod, pod) and recorded in (0, placed.gpus):
                placed.assumed = False
                placed.pod = pod
                return False
            recorded = recorded or placed.gpus  # same node: it keeps the GPUs it held
        self.place(uid, pod, node, assumed=False, gpus=recorded)
        return True

    def assumed_node(self, uid: str) -> str | None:
        placed = self.placed.get(uid)
        return placed.node if placed is not None and placed.assumed else None

    # -- the snapshot --------------------------------------------------------------------

    def invalidate(self) -> None:
        """Drop the snapshot: the next decision builds it anew."""
        if self.snapshot is not None:
            self._sampling_start = self.snapshot.sampling_start
        self.snapshot = None

    def snapshot_for(self, profile: Profile) -> ClusterSnapshot:
        """The current snapshot with `profile` loaded, rebuilt first if stale."""
        if self.snapshot is None:
            self._rebuild(profile)
        elif self.snapshot.profile is not profile:
            self.snapshot.use_profile(profile)
        return self.snapshot

    def _rebuild(self, profile: Profile) -> None:
        storage, claim_references = self.storage_source() if self.storage_source else (None, Counter())
        objects = self._objects(storage, claim_references)
        self.snapshot = ClusterSnapshot(self.nodes.values(), profile, self.seed, objects=objects)
        self.snapshot.sampling_start = self._sampling_start
        self.rebuilds += 1
        for placed in self.placed.values():
            placed.counted = None
        for placed in sorted(self.placed.values(), key=lambda p: not p.gpus):  # known GPUs first
            self._count(placed)

    def _count(self, placed: Placed) -> None:
        snapshot = self.snapshot
        index = snapshot.node_index.get(placed.node)
        if index is None:
            placed.counted = None  # its node is unknown yet: counted when the node comes
            return
        class_id = snapshot.class_of(placed.pod)
        placed.counted = (class_id, index)
        if placed.gpus:
            try:
                snapshot.assume_on_gpus(class_id, index, placed.gpus, bind_claims=placed.ours)
                return
            except ValueError as error:
                log.warning("pod %s on node %s: %s; counted on the GPUs the model picks",
                            placed.pod.key, placed.node, error)
        snapshot.assume(class_id, index, bind_claims=placed.ours)
        placed.gpus = snapshot.last_gpu_mask


def _recorded_gpus(pod: Pod) -> int:
    """The mask of the pod's kubesched.io/gpu-indices annotation; 0 if it has none."""
    try:
        indices = gpu_indices(pod)
    except InputError as error:
        log.warning("%s; its GPUs are the ones the model picks", error)
        return 0
    return mask_of(indices) if indices else 0


def _same_class(a: Pod, b: Pod) -> bool:
    return a.spec is b.spec and a.labels == b.labels and a.namespace == b.namespace \
        and a.owner_kind == b.owner_kind and a.owner_name == b.owner_name


def _relevant(obj: dict) -> tuple:
    """What plugins read of a Service / workload: namespace, name, selector, template labels."""
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    template = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
    return (meta.get("namespace"), meta.get("name"), repr(spec.get("selector")), repr(template),
            repr(meta.get("uid")))
