"""`kubesched plan fit`: how many more replicas of a pod fit on the cluster now (the question
cluster-capacity answers). Copies are placed one by one by the engine, each on the node the
profile chooses, until one fits nowhere; the reasons of that failure are what limits."""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass

import numpy as np

from kubesched.errors import InputError
from kubesched.framework.profile import Profile
from kubesched.model.cluster import ClusterInput
from kubesched.model.manifests import Manifest, load_manifests
from kubesched.model.pods import PodParser
from kubesched.model.records import Pod
from kubesched.model.workloads import WORKLOAD_KINDS, expand_workload
from kubesched.plan import snapshots
from kubesched.sim.queue import queue_order
from kubesched.snapshot.cluster import ClusterSnapshot

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

    def to_json(self) -> dict:
        return {"pod": self.pod.key, "replicas": self.replicas, "perNode": self.per_node,
                "limitedBy": self.limited_by, "message": self.message, "capped": self.capped,
                "pendingPlaced": self.pending_placed}


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
             with_pending: bool = False, seed: int | None = None) -> FitResult:
    snapshot = snapshots.snapshot(list(cluster.nodes), profile, cluster, seed, workload=[pod])
    snapshot.add_bound(cluster.bound_pods)
    pending_placed = 0
    if with_pending:
        pending = [p for p in queue_order(cluster.pending_pods)
                   if not p.spec.scheduling_gates and p.spec.scheduler_name == profile.scheduler_name]
        pending_placed = int((snapshot.place(pending) >= 0).sum()) if pending else 0
    before = snapshots.usage_by_node(snapshot)
    class_id = snapshot.class_of(pod)
    per_node: Counter = Counter()
    replicas = 0
    failure = None
    while replicas < max_replicas and failure is None:
        # Copies in batches through the core's queue: once one fits nowhere, so do the rest
        # of its batch (a failed attempt changes nothing), and the last failure says why.
        snapshot.engine.clear_failures()
        chosen = snapshot.engine.schedule_queue(np.full(min(FIT_BATCH, max_replicas - replicas), class_id,
                                                        dtype=np.int32))
        placed = chosen[chosen >= 0]
        per_node.update(Counter(placed.tolist()))
        replicas += len(placed)
        if len(placed) < len(chosen):
            failure = snapshot.engine.failures()[-1]
    per_node = Counter({snapshot.node_names[node]: count for node, count in per_node.items()})
    capped = failure is None
    limited_by: dict[str, int] = {}
    message = ""
    if not capped:
        for reason, count in failure:
            text = snapshot.engine.reason_text(reason)
            limited_by[text] = limited_by.get(text, 0) + count
        message = snapshot.failure_message(failure)
    ordered = {name: per_node[name] for name in snapshot.node_names if per_node[name]}
    return FitResult(pod, replicas, ordered, limited_by, message, capped, pending_placed, snapshot, before)
