"""A cluster read from manifests: nodes, the pods already on them, the pods to schedule, and
the objects the scheduler consults (namespaces, services, controllers, PriorityClasses,
PodDisruptionBudgets).

Workloads expand into pods unless their pods (or, for a Deployment, its ReplicaSets) are
in the input already, as in a dump of a live cluster: an object that some other object
names as its controller is not expanded again. Pods that have finished (status.phase
Succeeded or Failed) hold no resources and are left out, as kube-scheduler's informer does.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from kubesched.errors import InputError
from kubesched.model.dra_objects import DRA_KINDS, check_pod_claims, read_dra_objects
from kubesched.model.dra_records import DraObjects
from kubesched.model.fields import boolean, int32, mapping, one_of, string, string_map
from kubesched.model.manifests import Manifest, load_manifests, paused_gc
from kubesched.model.nodes import parse_node
from kubesched.model.objects import API_VERSIONS, check_api_version, check_object, identity
from kubesched.model.objects import label as object_label
from kubesched.model.pod_spec import PREEMPTION_POLICIES
from kubesched.model.quantity import MAX_AMOUNT
from kubesched.model.pod_batches import PodBatch, Refused, batched_pods, check_names, expand, has_finished
from kubesched.model.pods import GLOBAL_DEFAULT, PodParser
from kubesched.model.records import Node, Pod
from kubesched.model.runtime_class import parse_runtime_classes
from kubesched.model.storage import STORAGE_KINDS, StorageObjects, read_storage
from kubesched.model.storage_input import add_controller_claims
from kubesched.model.validation import dns_label, dns_subdomain
from kubesched.model.validation import labels as check_labels
from kubesched.model.workloads import WORKLOAD_KINDS, deployment_replica_set, workload_pods

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
MAX_USER_PRIORITY = 1_000_000_000  # higher values are reserved for system- classes
_RAW_KINDS = ("Service", "ReplicaSet", "StatefulSet", "ReplicationController", "Deployment", "PodDisruptionBudget")
KNOWN_KINDS = frozenset({"Node", "Pod", "Namespace", "PriorityClass", "RuntimeClass", *_RAW_KINDS, *WORKLOAD_KINDS,
                         *DRA_KINDS, *STORAGE_KINDS})


@dataclass
class ClusterInput:
    nodes: list[Node] = field(default_factory=list)
    bound_pods: list[Pod] = field(default_factory=list)
    pending_pods: list[Pod] = field(default_factory=list)  # input order; Pod.index = position here
    namespaces: dict[str, dict[str, str]] = field(default_factory=dict)  # name → labels
    services: list[dict] = field(default_factory=list)
    replica_sets: list[dict] = field(default_factory=list)  # incl. those of expanded Deployments
    stateful_sets: list[dict] = field(default_factory=list)
    replication_controllers: list[dict] = field(default_factory=list)
    deployments: list[dict] = field(default_factory=list)
    priority_classes: dict[str, int] = field(default_factory=dict)  # globalDefault value under ""
    preemption_policies: dict[str, str] = field(default_factory=dict)  # class name → preemptionPolicy
    runtime_classes: dict[str, dict] = field(default_factory=dict)  # name → RuntimeClass
    pdbs: list[dict] = field(default_factory=list)
    dra: DraObjects = field(default_factory=DraObjects)  # resource.k8s.io objects
    storage: StorageObjects = field(default_factory=StorageObjects)  # PVs, PVCs, StorageClasses, CSI objects
    daemon_sets: list[Manifest] = field(default_factory=list)  # for the nodes a plan adds
    stopped_reading: bool = False  # `stop` said so before every pod was read
    node_objects: dict[str, dict] = field(default_factory=dict)  # name → the Node as read, for extenders
    # read batched (kubesched.model.pod_batches): pending pods kept as batches, not in
    # pending_pods, and how many they hold; `expand_batches` puts them there
    pending_batches: list[PodBatch] = field(default_factory=list)
    batched: int = 0

    def expand_batches(self) -> None:
        self.pending_pods = expand(self.pending_batches, self.pending_pods)
        self.pending_batches, self.batched = [], 0


def _stderr_warning(message: str) -> None:
    print(f"kubesched: warning: {message}", file=sys.stderr)


def read_cluster(paths: Iterable[str], *, warn: Callable[[str], None] = _stderr_warning,
                 stop: Callable[[], bool] | None = None, batched: bool = False) -> ClusterInput:
    """`stop`, consulted now and then as pods are read, ends the reading early when it says
    so (a command's time limit): the cluster then holds the pods read so far and says
    `stopped_reading`. `batched`: pending pods of JSON Lists alike but for their names are
    `pending_batches` (kubesched.model.pod_batches) where they read as the usual reading
    reads them; anything wrong in the input is then said by the usual reading."""
    paths = list(paths)
    with paused_gc():
        if batched:
            try:
                return _read(load_manifests(paths, batched=True), warn, stop)
            except (InputError, Refused):
                pass
        return _read(load_manifests(paths), warn, stop)


_STOP_EVERY = 256  # pods between two questions to `stop`


def _read(manifests: list[Manifest], warn: Callable[[str], None], stop: Callable[[], bool] | None = None
          ) -> ClusterInput:
    by_kind: dict[str, list[Manifest]] = {}
    for manifest in manifests:
        kind = manifest.obj["kind"]
        found = by_kind.get(kind)
        if found is None:
            found = by_kind[kind] = []
        found.append(manifest)
    cluster = ClusterInput(
        services=[m.obj for m in by_kind.get("Service", ())],
        replica_sets=[m.obj for m in by_kind.get("ReplicaSet", ())],
        stateful_sets=[m.obj for m in by_kind.get("StatefulSet", ())],
        replication_controllers=[m.obj for m in by_kind.get("ReplicationController", ())],
        deployments=[m.obj for m in by_kind.get("Deployment", ())],
        pdbs=[m.obj for m in by_kind.get("PodDisruptionBudget", ())],
        daemon_sets=list(by_kind.get("DaemonSet", ())),
    )
    _check_objects(manifests)
    classes, policies = _priority_classes(by_kind.get("PriorityClass", ()))
    cluster.priority_classes = classes
    cluster.preemption_policies = policies
    cluster.runtime_classes = parse_runtime_classes(by_kind.get("RuntimeClass", ()))
    parser = PodParser(classes, policies, cluster.runtime_classes)
    node_names = _read_nodes(by_kind.get("Node", ()), cluster)
    _read_namespaces(by_kind.get("Namespace", ()), cluster)
    # Only pods and ReplicaSets name the workloads we might expand as their controllers.
    owned = _controllers_named([*by_kind.get("Pod", ()), *by_kind.get("ReplicaSet", ())])

    finished = 0
    set_claims: list[tuple[Manifest, list[str]]] = []
    seen_pods: set[str] = set()
    orphans: list[Pod] = []
    read_as: dict[int, Pod] = {}  # id of a pod's manifest → its record, for the manifests `like` it
    listing = None  # the List whose batches were read last
    for number, manifest in enumerate(manifests):
        if stop is not None and number % _STOP_EVERY == 0 and stop():
            cluster.stopped_reading = True
            break
        kind = manifest.obj["kind"]
        if kind == "Pod" and manifest.shape is not None:
            if manifest.shape.listing is not listing:  # the List's pod shapes, read at the first
                listing = manifest.shape.listing
                firsts = [parser.parse(m.obj, file=m.file) for m in listing]
                batches = batched_pods([m.shape for m in listing], firsts, len(cluster.pending_pods) + cluster.batched)
                cluster.pending_batches.extend(batches)
                cluster.batched += sum(map(len, batches))
            continue
        if kind == "Pod":
            first = manifest.like
            like = read_as.get(id(first)) if first is not None else None
            if like is not None:  # its status is the first one's, which was not finished
                _add_pod(cluster, parser.renamed(like, manifest.obj, file=manifest.file), node_names, seen_pods,
                         orphans)
                continue
            if has_finished(manifest.obj):
                finished += 1
                continue
            pod = read_as[id(manifest)] = parser.parse(manifest.obj, file=manifest.file)
            _add_pod(cluster, pod, node_names, seen_pods, orphans)
        elif kind in WORKLOAD_KINDS:
            if _workload_key(manifest.obj) in owned:
                continue
            replicas = []  # a StatefulSet's pod names, for its claims
            for replica, pod in enumerate(workload_pods(manifest, cluster.nodes, parser)):
                if stop is not None and replica % _STOP_EVERY == _STOP_EVERY - 1 and stop():
                    cluster.stopped_reading = True
                    break
                if kind == "StatefulSet":
                    replicas.append(pod["metadata"]["name"])
                _add_pod(cluster, parser.parse(pod, file=manifest.file), node_names, seen_pods, orphans)
            if kind == "StatefulSet":
                set_claims.append((manifest, replicas))
            if kind == "Deployment":
                cluster.replica_sets.append(deployment_replica_set(manifest))
            if cluster.stopped_reading:
                break

    if cluster.pending_batches:
        check_names(cluster.pending_batches, seen_pods)
    _check_node_totals(cluster)
    storage = [m for m in manifests if m.obj["kind"] in STORAGE_KINDS] if STORAGE_KINDS.keys() & by_kind.keys() else []
    cluster.storage = read_storage(add_controller_claims(storage, set_claims, cluster))
    cluster.dra = read_dra_objects(by_kind)
    templates = [batch.template for batch in cluster.pending_batches]
    check_pod_claims([*cluster.bound_pods, *cluster.pending_pods, *templates])
    for pod in (*cluster.bound_pods, *cluster.pending_pods, *templates):
        if pod.namespace not in cluster.namespaces:
            cluster.namespaces[pod.namespace] = {NAMESPACE_NAME_LABEL: pod.namespace}
    for kind in sorted(set(by_kind) - KNOWN_KINDS):
        count = len(by_kind[kind])
        warn(f"ignoring {count} object{'s' if count > 1 else ''} of kind {kind} (not used for scheduling)")
    if orphans:
        first = orphans[0]
        warn(f"leaving out {len(orphans)} pod{'s' if len(orphans) > 1 else ''} bound to nodes not in the input "
             f"(as the scheduler's cache does), e.g. {first.key} on {first.node_name}")
    if finished:
        warn(f"leaving out {finished} finished pod{'s' if finished > 1 else ''} (status.phase Succeeded or Failed)")
    return cluster


def _add_pod(cluster: ClusterInput, pod: Pod, node_names: set[str], seen: set[str], orphans: list[Pod]) -> None:
    key = pod.key
    if key in seen:
        raise InputError("duplicate pod: another pod in the input has this namespace and name",
                         file=pod.source or None, obj=f"Pod {key}", field="metadata.name")
    seen.add(key)
    if pod.node_name:
        if pod.node_name not in node_names:
            orphans.append(pod)  # e.g. a snapshot taken while its node was being deleted
            return
        cluster.bound_pods.append(pod)
    else:
        pod.index = len(cluster.pending_pods) + cluster.batched
        cluster.pending_pods.append(pod)


def _check_objects(manifests: list[Manifest]) -> None:
    """The objects kept as they are, checked where the file is known; no two objects of
    one kind, namespace and name (the API server holds one)."""
    seen: set[tuple[str, str, str]] = set()
    for manifest in manifests:
        kind = manifest.obj["kind"]
        if kind == "Pod" and manifest.like is not None:
            continue  # the first one's text but for the name: its apiVersion was checked
        version = manifest.obj.get("apiVersion")
        if version is not None and API_VERSIONS.get(kind, version) != version:
            check_api_version(manifest)  # the kind's own apiVersion, or an error naming it
        if kind not in _RAW_KINDS and kind not in WORKLOAD_KINDS:
            continue
        if kind in _RAW_KINDS:
            check_object(manifest)
        key = identity(manifest)
        if key[2] and key in seen:
            raise InputError(f"duplicate {kind}: another {kind} in the input has this namespace and name",
                             file=manifest.file or None, obj=object_label(manifest), field="metadata.name")
        seen.add(key)


def _check_node_totals(cluster: ClusterInput) -> None:
    """What the pods bound to one node request must add up within the core's int64."""
    totals: dict[str, dict[str, int]] = {}
    for pod in cluster.bound_pods:
        node_totals = totals.setdefault(pod.node_name, {})
        amounts = (*pod.spec.requests.items(), ("cpu (non-zero)", pod.spec.nonzero_cpu),
                   ("memory (non-zero)", pod.spec.nonzero_memory))
        for resource, amount in amounts:
            total = node_totals.get(resource, 0) + amount
            if total > MAX_AMOUNT:
                raise InputError(f"the pods bound to node {pod.node_name} request more {resource} in total than "
                                 f"{MAX_AMOUNT}, the largest amount", file=pod.source or None, obj=f"Pod {pod.key}",
                                 field="spec.nodeName")
            node_totals[resource] = total


def _read_nodes(manifests: Iterable[Manifest], cluster: ClusterInput) -> set[str]:
    names: set[str] = set()
    for manifest in manifests:
        node = parse_node(manifest.obj, file=manifest.file)
        if node.name in names:
            raise InputError("duplicate node: another node in the input has this name",
                             file=manifest.file or None, obj=f"Node {node.name}", field="metadata.name")
        names.add(node.name)
        cluster.nodes.append(node)
        cluster.node_objects[node.name] = manifest.obj
    return names


def _read_namespaces(manifests: Iterable[Manifest], cluster: ClusterInput) -> None:
    for manifest in manifests:
        name = "?"
        try:
            meta = mapping(manifest.obj.get("metadata"), "metadata")
            name = string(meta.get("name"), "metadata.name")
            if not name:
                raise InputError("a namespace needs a name", field="metadata.name")
            dns_label(name, "metadata.name")
            if name in cluster.namespaces:
                raise InputError("duplicate namespace", field="metadata.name")
            labels = dict(check_labels(string_map(meta.get("labels"), "metadata.labels"), "metadata.labels"))
        except InputError as e:
            raise e.located(file=manifest.file or None, obj=f"Namespace {name}") from None
        labels[NAMESPACE_NAME_LABEL] = name  # set by the API server on every namespace
        cluster.namespaces[name] = labels


def _priority_classes(manifests: Iterable[Manifest]) -> tuple[dict[str, int], dict[str, str]]:
    values: dict[str, int] = {}
    policies: dict[str, str] = {}
    default_from = ""
    for manifest in manifests:
        obj = manifest.obj
        name = "?"
        try:
            meta = mapping(obj.get("metadata"), "metadata")
            name = string(meta.get("name"), "metadata.name")
            if not name:
                raise InputError("a PriorityClass needs a name", field="metadata.name")
            dns_subdomain(name, "metadata.name")
            if name in values:
                raise InputError("duplicate PriorityClass", field="metadata.name")
            value = int32(obj.get("value"), "value")
            if value is None:
                raise InputError("a PriorityClass needs a value", field="value")
            if value > MAX_USER_PRIORITY and not name.startswith("system-"):
                raise InputError(f"must be no greater than {MAX_USER_PRIORITY}", field="value")
            policy = string(obj.get("preemptionPolicy"), "preemptionPolicy")
            if policy:
                policies[name] = one_of(policy, PREEMPTION_POLICIES, "preemptionPolicy")
            if boolean(obj.get("globalDefault"), "globalDefault"):
                if default_from:
                    raise InputError(f"PriorityClass {default_from} is already the global default",
                                     field="globalDefault")
                default_from = name
                values[GLOBAL_DEFAULT] = value
                if policy:
                    policies[GLOBAL_DEFAULT] = policy
        except InputError as e:
            raise e.located(file=manifest.file or None, obj=f"PriorityClass {name}") from None
        values[name] = value
    return values, policies


def _owner_key(namespace: str, ref: object) -> tuple[str, str, str] | None:
    if isinstance(ref, dict) and ref.get("controller") is True:
        kind, name = ref.get("kind"), ref.get("name")
        if isinstance(kind, str) and isinstance(name, str):
            return namespace, kind, name
    return None


def _controllers_named(manifests: list[Manifest]) -> set[tuple[str, str, str]]:
    """(namespace, kind, name) of every object some input object names as its controller."""
    owned = set()
    for manifest in manifests:
        if manifest.like is not None:
            continue  # the first one's text but for the name: the same owners
        meta = manifest.obj.get("metadata")
        if not isinstance(meta, dict) or not meta.get("ownerReferences"):
            continue
        namespace = meta.get("namespace")
        namespace = namespace if isinstance(namespace, str) and namespace else "default"
        references = meta["ownerReferences"]
        for ref in references if isinstance(references, list) else ():
            key = _owner_key(namespace, ref)
            if key is not None:
                owned.add(key)
    return owned


def _workload_key(obj: dict) -> tuple[str, str, str]:
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    namespace, name = meta.get("namespace"), meta.get("name")
    return (namespace if isinstance(namespace, str) and namespace else "default", obj["kind"],
            name if isinstance(name, str) else "")
