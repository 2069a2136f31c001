"""The cluster as the core sees it: nodes packed once, pod classes interned, pods assumed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import numpy as np

from kubesched import _core
from kubesched.errors import InputError
from kubesched.framework.cluster_objects import ClusterObjects
from kubesched.framework.profile import Profile
from kubesched.framework.typical_pods import TypicalPod, shape_of, typical_pods
from kubesched.model.gpu import gpu_indices, gpu_request, mask_of, pod_annotations
from kubesched.model.records import Node, Pod
from kubesched.engine.decision import Decision
from kubesched.engine.pod_class import ClassSigner, PodClassCompiler
from kubesched.engine.fit_error import fit_error_message
from kubesched.engine.replicas import ReplicaKeys, object_label_keys
from kubesched.engine.volumes import VolumeCompiler, has_volumes


class ClusterSnapshot:
    def __init__(self, nodes: Iterable[Node], profile: Profile, seed: int | None = None,
                 objects: ClusterObjects | None = None):
        self._engine = _core.Engine()  # the core; only this package reaches it
        self.nodes = list(nodes)
        self.node_names: list[str] = []
        self.node_index: dict[str, int] = {}
        self._classes: dict[tuple, int] = {}
        self._signers: dict[int, tuple[Profile, ClassSigner]] = {}  # by id(profile)
        self.prefilter_rejections: dict[int, str] = {}  # class id → the PreFilter message rejecting it
        # The pod class_of saw last, its profile, class, annotations and (a replica) its claims' asks.
        self._last: tuple[Pod, Profile, int, dict, tuple | None] | None = None
        self._compiler = PodClassCompiler(self._engine, objects or ClusterObjects())
        self.volumes: VolumeCompiler | None = None  # made at the first pod with volumes
        self._replicas: ReplicaKeys | None = None  # class keys replicas with claims share
        self.gpu_typical: list[TypicalPod] = []  # FGD's typical pods the engine has
        self.dra = None  # kubesched.dra.plugin.DraCluster when the input has DRA objects
        self.node_version = 0  # moved by every node added or changed (nodes is changed in place)
        self.nominations = None  # simulate's Nominations (sim/nominated.py) while it decides
        for node in self.nodes:
            index = self._engine.add_node(
                node.name, node.labels, node.allocatable,
                [(t.key, t.value, t.effect) for t in node.taints], node.unschedulable,
                [(image.names, image.size_bytes) for image in node.images])
            self.node_names.append(node.name)
            self.node_index[node.name] = index
        self.use_profile(profile)
        self._engine.set_seed(seed)

    @property
    def sampling_start(self) -> int:
        """The node the next sampled search starts at (percentageOfNodesToScore below 100)."""
        return self._engine.next_start_node

    @sampling_start.setter
    def sampling_start(self, start: int) -> None:
        self._engine.next_start_node = start

    def update_node(self, node: Node) -> None:
        """A node of the snapshot changed (same name): its row is rewritten where it differs."""
        index = self.node_index[node.name]
        old = self.nodes[index]
        self.nodes[index] = node
        self.node_version += 1
        if (old.labels, old.taints, old.unschedulable) != (node.labels, node.taints, node.unschedulable):
            self._engine.update_node(index, node.labels, [(t.key, t.value, t.effect) for t in node.taints],
                                     node.unschedulable)
        if old.allocatable != node.allocatable:
            self._engine.set_node_allocatable(index, node.allocatable)
        if old.images != node.images:
            self._engine.set_node_images(index, [(image.names, image.size_bytes) for image in node.images])

    def add_node(self, node: Node, csi_drivers: dict[str, int | None] | None = None) -> int:
        """A node joins the snapshot, last (as the constructor adds its nodes), with the
        drivers of its CSINode for the volume plugins."""
        self.prepare_volumes()  # the PV table is made for the nodes before; the new one joins it
        index = self._engine.add_node(
            node.name, node.labels, node.allocatable, [(t.key, t.value, t.effect) for t in node.taints],
            node.unschedulable, [(image.names, image.size_bytes) for image in node.images])
        self.nodes.append(node)
        self.node_names.append(node.name)
        self.node_index[node.name] = index
        self.node_version += 1
        if self.volumes is not None:
            self.volumes.node_joined(node, index, csi_drivers)
        return index

    def set_objects(self, objects: ClusterObjects) -> None:
        """The objects besides nodes and pods changed: pods get their classes compiled anew
        (pods already counted stay under the classes they were counted with: what other
        pods' decisions read of them, their labels and inter-pod terms, did not change)."""
        self._compiler.objects = objects
        self._classes.clear()
        self._last = None
        if self._replicas is not None:  # the keys read before may still be read by counted pods
            self._replicas.read_keys |= object_label_keys(objects)

    def set_namespaces(self, namespaces: dict[str, dict[str, str]]) -> bool:
        """The Namespaces' labels changed. False, and nothing done, when a class compiled so
        far matched a namespaceSelector against them: its inter-pod terms are counted for the
        pods on nodes too, so only a new snapshot sees the change."""
        if self._compiler.read_namespaces:
            return False
        self._compiler.objects = replace(self.objects, namespaces=namespaces)
        return True

    @property
    def unused_classes(self) -> int:
        """Classes the engine holds that no pod is given any more (set_objects dropped them)."""
        return self._engine.class_count - len(self._classes)

    def use_profile(self, profile: Profile) -> None:
        self.profile = profile
        signer = self._signers.get(id(profile))
        if signer is None or signer[0] is not profile:
            signer = self._signers[id(profile)] = (profile, ClassSigner(profile))
        self._signer = signer[1]
        profile.configure(self._engine)

    def _class_key(self, pod: Pod) -> tuple:
        return (id(self._signer), *self._signer.key(pod))  # signers live as long as the snapshot

    @property
    def objects(self) -> ClusterObjects:
        return self._compiler.objects

    @property
    def node_count(self) -> int:
        return len(self.node_names)

    def class_of(self, pod: Pod) -> int:
        last = self._last
        annotations = pod_annotations(pod)
        if last is not None and last[1] is self.profile and _decided_alike(pod, last[0]) and annotations == last[3]:
            return last[2]  # the next replica of the same workload: no key to build
        if last is not None and last[1] is self.profile and annotations == last[3] and last[4] is not None \
                and self._shares(pod) and self._replicas.follows(pod, last[0]) and self.volumes.asks(pod) == last[4]:
            self._last = (pod, self.profile, last[2], annotations, last[4])
            return last[2]  # the next replica of a StatefulSet: its claims ask as the last one's
        replica = self._replica_key(pod, annotations)
        key = replica or self._class_key(pod)
        found = self._classes.get(key)
        if found is None:
            found = self._classes[key] = self._add_class(pod)
        self._last = (pod, self.profile, found, annotations, replica[-1] if replica else None)
        return found

    def prepare_volumes(self) -> None:
        """Compile the PV table (each PV's nodes, the claims) now; else the first pod with
        volumes does."""
        if self.volumes is None and self.objects.storage is not None:
            self.volumes = VolumeCompiler(self._engine, self.nodes, self.objects.storage, self.objects.claim_references)

    def _shares(self, pod: Pod) -> bool:
        """Whether the pod may share its class with replicas: it has claims, no ephemeral ones."""
        claims = False
        for volume in pod.spec.volumes:
            if volume.ephemeral is not None:
                return False
            claims = claims or bool(volume.claim)
        return claims and self.objects.storage is not None

    def _replica_key(self, pod: Pod, annotations: dict) -> tuple | None:
        """The key a pod with claims shares with the replicas of its workload (replicas.py);
        None: the ordinary key (no claims, or ephemeral ones, which are the pod's by name)."""
        if not self._shares(pod):
            return None
        self.prepare_volumes()
        if self._replicas is None:
            self._replicas = ReplicaKeys(self.objects)
        # GPU requests come from the spec and the annotations
        base = (self.profile.scheduler_name, pod.namespace, pod.owner_kind, pod.owner_name,
                tuple(sorted(annotations.items())) if annotations else ())
        return self._replicas.key(pod, base, self.volumes.asks(pod))

    def note_pods(self, pods: Iterable[Pod]) -> None:
        """The label keys these pods' inter-pod rules read, before any of them gets a class:
        replicas keep a per-pod label in their key when some selector reads it."""
        if self.objects.storage is None:
            return
        if self._replicas is None:
            self._replicas = ReplicaKeys(self.objects)
        for pod in pods:
            self._replicas.note(pod.spec)

    def classes_of(self, pods: list[Pod]) -> np.ndarray:
        """`class_of` of every pod, as the core's int32 array."""
        self.note_pods(pods)
        return np.fromiter(map(self.class_of, pods), dtype=np.int32, count=len(pods))

    def class_with_dra(self, pod: Pod, verdict: list[int], score: list[int]) -> int:
        """The pod's class with DynamicResources' verdict and raw score for every node."""
        key = (self._class_key(pod), bytes(verdict), tuple(score))
        found = self._classes.get(key)
        if found is None:
            found = self._classes[key] = self._add_class(pod, dra_verdict=verdict, dra_score=score)
        return found

    def _add_class(self, pod: Pod, **more) -> int:
        """Compile the pod's class, its volumes included, into the engine."""
        arguments = self._compiler.compile(pod, self.profile)
        if has_volumes(pod) and self.objects.storage is not None:
            self.prepare_volumes()
            volume_arguments = self.volumes.compile(pod, self.profile.filters)
            if arguments.get("prefilter_rejection") is not None:  # NodeAffinity's PreFilter came first
                volume_arguments.pop("prefilter_rejection", None)
                volume_arguments.pop("volume_rejection_filter", None)
            arguments.update(volume_arguments)
        found = self._engine.add_class(**arguments, **more)
        if arguments.get("prefilter_rejection") is not None:
            self.prefilter_rejections[found] = arguments["prefilter_rejection"]
        if self.volumes is not None and arguments.get("volume_class", -1) in self.volumes.delayed_classes:
            self.volumes.binding_classes.add(found)
        return found

    def add_bound(self, pods: Iterable[Pod]) -> None:
        """Pods that already run on a node are part of the state (their claims are as the
        input has them: the scheduler does not bind them)."""
        pods = list(pods)
        self.note_pods(pods)
        self._engine.set_volume_binding(False)
        try:
            self._add_bound(pods)
        finally:
            self._engine.set_volume_binding(True)

    def _add_bound(self, pods: Iterable[Pod]) -> None:
        for pod in pods:
            node = self.node_index.get(pod.node_name)
            if node is None:
                raise InputError(f"spec.nodeName names node {pod.node_name!r}, which is not in the input",
                                 file=pod.source, obj=f"Pod {pod.key}")
            indices = gpu_indices(pod)
            if indices is not None and gpu_request(pod).count:
                try:  # a GPU pod on the GPUs it recorded when it was bound
                    self._engine.assume_on_gpus(self.class_of(pod), node, mask_of(indices))
                except ValueError as error:
                    raise InputError(str(error), file=pod.source, obj=f"Pod {pod.key}",
                                     field="metadata.annotations[kubesched.io/gpu-indices]") from None
            else:
                self._engine.assume(self.class_of(pod), node)

    def binds_claims(self, pod: Pod) -> bool:
        """Whether placing the pod binds claims (unbound WaitForFirstConsumer ones)."""
        return self.volumes is not None and self.class_of(pod) in self.volumes.binding_classes

    def describe_volumes(self, pods: list[Pod], placements: list) -> None:
        """Fill in what each placement of `pods` bound (the core's log of placements, read
        once, in order)."""
        if self.volumes is None:
            return
        bindings = iter(self._engine.volume_placements())
        for pod, placement in zip(pods, placements):
            if placement.node is not None and self.binds_claims(pod):
                placement.volumes = self.volumes.describe(pod, next(bindings), placement.node)

    def set_gpu_workload(self, pods: Iterable[Pod]) -> None:
        """FGD's typical pods, from the GPU requests of a workload's pods (kubesched.framework.typical_pods)."""
        shapes = [shape_of(pod) for pod in pods]
        if any(count for _, _, count, _ in shapes):
            self.set_gpu_typical(typical_pods(shapes))

    def set_gpu_typical(self, typical: list[TypicalPod]) -> None:
        """Give the engine these typical pods, unless it has them already."""
        if typical != self.gpu_typical:
            self._engine.set_gpu_typical_pods(typical)
            self.gpu_typical = typical

    def decide(self, pod: Pod, nominated=None, class_id: int | None = None) -> Decision:
        """Decide one pod (of `class_id`, else its own class) and assume it on the node
        chosen. `nominated`: (class id, node) of the nominated pods it yields to, for the
        core's two passes."""
        if class_id is None:
            class_id = self.class_of(pod)
        if nominated is None:
            index = self._engine.schedule(class_id)
        else:
            index = self._engine.schedule_with_nominated(class_id, nominated)
        return self.decision(pod, index)

    def decision(self, pod: Pod, index: int, failure: list[tuple[int, int]] | None = None) -> Decision:
        """The Decision for the core's last answer on the pod: node index `index` (-1: none,
        the reasons `failure`, else the core's last failure)."""
        if index >= 0:
            return Decision(pod, self.node_names[index], index, gpus=self._engine.last_gpu_mask,
                            counts=self._engine.last_counts)
        if failure is None:
            failure = self._engine.last_failure()
        return Decision(pod, None, -1, self.failure_message(failure), failure, counts=self._engine.last_counts)

    def decide_queue(self, pods: list[Pod]) -> list[Decision]:
        """Decide the pods in the given order inside the core, each assumed where it lands."""
        self._engine.clear_failures()
        chosen = self._engine.schedule_queue(self.classes_of(pods)).tolist()
        failures = iter(self._engine.failures())
        gpus = self._engine.gpu_assignments().tolist()
        names = self.node_names
        return [Decision(pod, names[index], index, gpus=mask) if index >= 0 else self._failed(pod, next(failures))
                for pod, index, mask in zip(pods, chosen, gpus)]

    def decide_until_failure(self, pods: list[Pod], classes: np.ndarray | None = None
                             ) -> tuple[list[Decision], Pod | None]:
        """Decide the pods (of `classes`, else their own) in order until one fits nowhere:
        the decisions of the pods placed, and that pod (None: all were placed), its reasons
        not asked for (the core counts them only when asked, before the next change)."""
        chosen, decided = self._engine.schedule_until_failure(self.classes_of(pods) if classes is None else classes)
        names = self.node_names
        gpus = self._engine.gpu_assignments().tolist()
        placed = [Decision(pod, names[index], index, gpus=mask)
                  for pod, index, mask in zip(pods, chosen.tolist(), gpus) if index >= 0]
        return placed, (pods[decided - 1] if decided and chosen[decided - 1] < 0 else None)

    def place_until_failure(self, classes: np.ndarray) -> np.ndarray:
        """decide_until_failure's node indices only, for pods of `classes` in order; the last
        is -1 when that pod fits nowhere."""
        return self._engine.schedule_until_failure(classes)[0]

    def place(self, pods: list[Pod]) -> np.ndarray:
        """decide_queue's node indices only (-1: none), for counting placements in bulk."""
        return self._engine.schedule_queue(self.classes_of(pods))

    def place_copies(self, class_id: int, count: int) -> list[str | None]:
        """Decide `count` pods of one class in a row: the node of each, None where none fits."""
        chosen = self._engine.schedule_queue(np.full(count, class_id, dtype=np.int32)).tolist()
        names = self.node_names
        return [names[index] if index >= 0 else None for index in chosen]

    def _failed(self, pod: Pod, failure: list[tuple[int, int]]) -> Decision:
        return Decision(pod, None, -1, self.failure_message(failure), failure)

    # -- the core's state, by class id and node index --------------------------------------

    def assume(self, class_id: int, node: int, bind_claims: bool = True) -> None:
        """A pod of the class counts on the node (the GPUs it takes: last_gpu_mask);
        `bind_claims`: its unbound claims are bound as its placement would bind them (a pod
        the scheduler placed), else left as the objects have them (a pod bound by others)."""
        self._with_binding(bind_claims, self._engine.assume, class_id, node)

    def forget(self, class_id: int, node: int) -> None:
        self._engine.forget(class_id, node)

    def assume_on_gpus(self, class_id: int, node: int, mask: int, bind_claims: bool = True) -> None:
        """A GPU pod counts on the node, on the GPUs of `mask` (bit g: GPU g)."""
        self._with_binding(bind_claims, self._engine.assume_on_gpus, class_id, node, mask)

    def _with_binding(self, bind_claims: bool, call, *args) -> None:
        if bind_claims:
            call(*args)
            return
        self._engine.set_volume_binding(False)
        try:
            call(*args)
        finally:
            self._engine.set_volume_binding(True)

    def forget_on_gpus(self, class_id: int, node: int, mask: int) -> None:
        """A GPU pod leaves the node and exactly the GPUs of `mask`."""
        self._engine.forget_on_gpus(class_id, node, mask)

    @property
    def last_gpu_mask(self) -> int:
        """The GPUs the pod last assumed took (bit mask; 0: none)."""
        return self._engine.last_gpu_mask

    def last_failure(self) -> list[tuple[int, int]]:
        """The reasons (the core's codes → nodes) of the last pod the core found no node for."""
        return self._engine.last_failure()

    def evaluate(self, class_id: int, nominated=(), draw: bool = True, excluded=()) -> dict:
        """Every node's filter verdicts and scores for a pod of the class (explain's view);
        `nominated`: (class id, node) of the nominated pods it yields to; `draw`: the selected
        node is drawn among the tied best as a decision draws (seeded), else the first of
        them and the seeded stream is left for a selection made after further scores;
        `excluded`: nodes the profile's Python filters reject, which fail `_core.EXCLUDED`
        where the core's filters pass and so are not scored."""
        return self._engine.evaluate(class_id, nominated, draw, excluded)

    def look(self, class_id: int) -> dict:
        """evaluate as a look that changes nothing: no draw from the seeded stream, and the
        sampled search's start where it was (for the reasons of a failed decision)."""
        start = self.sampling_start
        try:
            return self._engine.evaluate(class_id, (), False, ())
        finally:
            self.sampling_start = start

    def feasible_with_nominated(self, class_id: int, node: int, nominated) -> bool:
        """feasible_on under the core's two passes with the nominated pods `nominated`."""
        return self._engine.feasible_with_nominated(class_id, node, nominated)

    def choose_tie(self, ties: int) -> int:
        """Which of `ties` tied nodes the core's seeded draw picks."""
        return self._engine.choose_tie(ties)

    def usage(self):
        """(allocatable, requested, allowed pods, pod count): [resource][node] arrays, then per node."""
        return self._engine.usage()

    def resource_names(self) -> list[str]:
        return self._engine.resource_names()

    def volume_placements(self) -> list:
        """The core's log of what each placement of a pod with unbound claims bound, in order."""
        return self._engine.volume_placements()

    def replay_gpu_queue(self, class_ids: np.ndarray):
        """Decide pods one by one, measuring after each: (chosen node, GPU milli allocated so
        far, fragmentation, free GPU milli) arrays (the openb trace's protocol)."""
        return self._engine.replay_gpu_queue(class_ids)

    def feasible_on(self, class_id: int, node: int) -> bool:
        """Whether a pod of the class passes every filter on the node now."""
        return _core.feasible_on(self._engine, class_id, node)

    def feasible_nodes(self, class_id: int) -> np.ndarray:
        """The nodes where a pod of the class passes every filter now."""
        return _core.feasible_nodes(self._engine, class_id)

    def victim_table(self, budgets: int):
        """A table of the pods preemption may evict, resident in the core (preemption.table)."""
        return _core.VictimTable(self._engine, budgets)

    def post_filter_ends(self, class_id: int) -> bool:
        """Whether PostFilter ends before DefaultPreemption for a pod of this class: none
        runs without nodes, and DynamicResources' may end it (kubesched.engine.fit_error)."""
        return self.node_count == 0 or (self.profile.dra_post_filter and class_id in self.prefilter_rejections)

    def reasons(self, histogram: list[tuple[int, int]]) -> dict[str, int]:
        """Upstream's wording of each reason of a histogram of the core's reason codes → nodes."""
        texts: dict[str, int] = {}
        for reason, count in histogram:
            text = self._engine.reason_text(reason)
            texts[text] = texts.get(text, 0) + count
        return texts

    def python_reason(self, text: str) -> int:
        """A Python filter plugin's reason as a code of the core's histograms (`reasons` words it)."""
        return self._engine.python_reason(text)

    def failure_message(self, histogram: list[tuple[int, int]]) -> str:
        """Upstream's FitError wording for a histogram of the core's reason codes."""
        return fit_error_message(self.node_count, self.reasons(histogram), self.profile)


def _decided_alike(pod: Pod, other: Pod) -> bool:
    """What any class key reads, compared without building it: the interned spec by identity,
    the rest by value (GPU requests come from the spec and the annotations, which the caller
    compares)."""
    return (pod.spec is other.spec and pod.namespace == other.namespace and pod.owner_kind == other.owner_kind
            and pod.owner_name == other.owner_name and pod.labels == other.labels
            and not (pod.spec.volumes  # ephemeral claims: the pod's own
                     and any(v.ephemeral is not None for v in pod.spec.volumes)))
