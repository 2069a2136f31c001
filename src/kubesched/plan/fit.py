"""`kubesched plan fit`: how many more replicas of a pod fit on the cluster now (the question
cluster-capacity answers). Copies are placed one by one by the engine, each on the node the
profile chooses, until one fits nowhere; the reasons of that failure are what limits.

Unless told not to (`allow_preemption=False`), a copy that fits nowhere preempts as the
scheduler would (the profile's DefaultPreemption, the pod's priority and preemptionPolicy):
lower-priority pods are evicted for it, and the victims are listed."""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass, field, replace

from kubesched.errors import InputError
from kubesched.framework.profile import Profile
from kubesched.model.cluster import ClusterInput
from kubesched.model.manifests import Manifest, load_manifests
from kubesched.model.pods import PodParser
from kubesched.model.records import Pod
from kubesched.model.workloads import WORKLOAD_KINDS, expand_workload
from kubesched.dra.plugin import DraCluster
from kubesched.plan import snapshots
from kubesched.plan.fit_dra import fit_with_claims
from kubesched.plan.preempting import PreemptingOutcome, PreemptingPlacer
from kubesched.engine.queue_order import queue_order
from kubesched.engine.cluster import ClusterSnapshot

REPLICA_FIELDS = {"Job": "parallelism"}  # else "replicas"
FIT_BATCH = 1024


@dataclass
class FitResult:
    pod: Pod
    replicas: int
    per_node: dict[str, int]
    limited_by: dict[str, int]   # the last failure: reason text -> nodes
    message: str                 # upstream's FitError wording of it
    capped: bool                 # stopped at the replica cap, not by a failure
    pending_placed: int          # the cluster's own pending pods placed first (with --with-pending)
    snapshot: ClusterSnapshot
    before: dict
    preemptions: list[PreemptingOutcome] = field(default_factory=list)  # the replicas that preempted
    pending_preemptions: list[PreemptingOutcome] = field(default_factory=list)  # --with-pending's pods that did

    @property
    def victims(self) -> list[Pod]:
        return [victim for placement in self.preemptions for victim in placement.victims]

    def to_json(self) -> dict:
        return {"pod": self.pod.key, "replicas": self.replicas, "perNode": self.per_node,
                "limitedBy": self.limited_by, "message": self.message, "capped": self.capped,
                "pendingPlaced": self.pending_placed,
                "preemptions": [p.preemption_json() for p in self.preemptions],
                "victims": [v.key for v in self.victims],
                "pendingPreemptions": [p.preemption_json() for p in self.pending_preemptions]}


def read_pod(path: str, parser: PodParser) -> Pod:
    """The pod to replicate: a Pod manifest, or the pod template of a workload object."""
    manifests = load_manifests([path])
    if len(manifests) != 1:
        raise InputError(f"expected one object (a Pod or a workload), found {len(manifests)}", file=path)
    manifest = manifests[0]
    if manifest.kind == "Pod":
        pod = parser.parse(manifest.obj, file=manifest.file)
    elif manifest.kind in WORKLOAD_KINDS and manifest.kind != "DaemonSet":
        pod = parser.parse(_one_pod_of(manifest, parser), file=manifest.file)
    else:
        raise InputError(f"expected a Pod or a Deployment, ReplicaSet, StatefulSet, ReplicationController or Job, "
                         f"got a {manifest.kind}", file=path, field="kind")
    if pod.node_name:
        raise InputError("the pod is bound to a node; leave spec.nodeName out to ask where copies fit",
                         file=path, obj=f"Pod {pod.key}", field="spec.nodeName")
    return pod


def _one_pod_of(manifest: Manifest, parser: PodParser) -> dict:
    obj = copy.deepcopy(manifest.obj)
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    spec[REPLICA_FIELDS.get(manifest.kind, "replicas")] = 1
    spec.pop("suspend", None)
    spec.pop("completions", None)
    obj["spec"] = spec
    pods = expand_workload(Manifest(obj, manifest.file, manifest.place), [], parser)
    return pods[0]


def plan_fit(cluster: ClusterInput, pod: Pod, profile: Profile, *, max_replicas: int = 10_000,
             with_pending: bool = False, seed: int | None = None, allow_preemption: bool = True) -> FitResult:
    snapshot = snapshots.snapshot(list(cluster.nodes), profile, cluster, seed, workload=[pod])
    snapshot.add_bound(cluster.bound_pods)
    placer = PreemptingPlacer(snapshot, cluster.bound_pods, cluster.pdbs, allow_preemption)
    pending_placed = 0
    pending_preemptions: list[PreemptingOutcome] = []
    if with_pending:  # placed as the scheduler would, preempting too
        for pending in queue_order(cluster.pending_pods):
            if pending.spec.scheduling_gates or pending.spec.scheduler_name != profile.scheduler_name:
                continue
            placement = placer.place(pending)
            pending_placed += placement.node is not None
            if placement.victims:
                pending_preemptions.append(placement)
    before = snapshots.usage_by_node(snapshot)
    dra = DraCluster(cluster.dra, snapshot.nodes)
    if "DynamicResources" in profile.filters and dra.has_claims(pod):  # each copy with claims of its own (fit_dra.py)
        per_node, replicas, message, from_filters, preemptions = fit_with_claims(
            snapshot, dra, pod, max_replicas, placer if placer.args is not None else None)
        limited_by = {}
        if from_filters:
            limited_by = snapshot.reasons(snapshot.last_failure())
        elif message:
            limited_by = {message: snapshot.node_count}
        ordered = {name: per_node[name] for name in snapshot.node_names if per_node[name]}
        return FitResult(pod, replicas, ordered, limited_by, message, replicas >= max_replicas, pending_placed,
                         snapshot, before, preemptions, pending_preemptions=pending_preemptions)
    per_node: Counter = Counter()
    preemptions: list[PreemptingOutcome] = []
    replicas = 0
    message = ""
    failure: list = []
    class_id = snapshot.class_of(pod)
    while replicas < max_replicas:
        # Copies in batches through the core's queue while they fit without preempting (once
        # one fits nowhere, so does the rest of its batch: a failed attempt changes nothing);
        # each copy a record of its own (a key of its own), as preemption tells pods apart.
        chosen = snapshot.place_copies(class_id, min(FIT_BATCH, max_replicas - replicas))
        for node in chosen:
            if node is not None:
                replicas += 1
                placer.placed(replace(pod, name=f"{pod.name}-{replicas}"), node)
                per_node[node] += 1
        if None not in chosen:
            continue
        placement = placer.place(replace(pod, name=f"{pod.name}-{replicas + 1}"))  # it may preempt
        if placement.node is None:
            message, failure = placement.message, placement.failure
            break
        if placement.victims:
            preemptions.append(placement)
        per_node[placement.node] += 1
        replicas += 1
    capped = replicas >= max_replicas
    limited_by = snapshot.reasons(failure) if not capped else {}
    ordered = {name: per_node[name] for name in snapshot.node_names if per_node[name]}
    return FitResult(pod, replicas, ordered, limited_by, message, capped, pending_placed, snapshot, before,
                     preemptions, pending_preemptions)
