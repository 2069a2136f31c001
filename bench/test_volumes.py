"""Volumes in memory: 5000 nodes with one local PV each (WaitForFirstConsumer, no
provisioner), a StatefulSet's 2000 pods with one claim each, against kubesched's own
resources-only speed on as many plain pods and the numpy baseline, measured in the same run
(target: at least 1/5 of the resources-only pods/s). The PV table is timed on its own.
The benchmark checks what it times: every pod placed on the node of the PV its claim took,
no PV taken twice; a small run of the shape is compared with the pure-Python reference."""

from __future__ import annotations

import time

from kubesched.framework.cluster_objects import ClusterObjects, claim_references
from kubesched.framework.profile import default_profile
from kubesched.model.manifests import Manifest
from kubesched.model.nodes import parse_node
from kubesched.model.pods import PodParser
from kubesched.model.storage import read_storage
from kubesched.engine.cluster import ClusterSnapshot
from tests.reference.reference import ReferenceScheduler

from .test_scheduler_perf import numpy_pods_per_second

HOSTNAME = "kubernetes.io/hostname"


def workload(nodes: int, pods: int):
    node_objects = [parse_node({"apiVersion": "v1", "kind": "Node", "metadata": {"name": f"node-{i}", "labels": {
        HOSTNAME: f"node-{i}", "topology.kubernetes.io/zone": f"zone-{i % 3}"}},
        "status": {"allocatable": {"cpu": "4", "memory": "32Gi", "pods": "110"}}}) for i in range(nodes)]
    manifests = [{"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "local"},
                  "provisioner": "kubernetes.io/no-provisioner", "volumeBindingMode": "WaitForFirstConsumer"}]
    manifests += [{"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": f"pv-{i}"}, "spec": {
        "capacity": {"storage": f"{10 + i % 3}Gi"}, "accessModes": ["ReadWriteOnce"], "storageClassName": "local",
        "local": {"path": "/mnt/disk"}, "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
            {"key": HOSTNAME, "operator": "In", "values": [f"node-{i}"]}]}]}}}} for i in range(nodes)]
    manifests += [{"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                   "metadata": {"name": f"data-web-{i}", "namespace": "default"},
                   "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "local",
                            "resources": {"requests": {"storage": "10Gi"}}}} for i in range(pods)]
    parser = PodParser()
    container = {"name": "app", "image": "registry.k8s.io/pause:3.10",
                 "resources": {"requests": {"cpu": "100m", "memory": "500Mi"}}}
    with_claims = [parser.parse({"apiVersion": "v1", "kind": "Pod", "metadata": {
        "name": f"web-{i}", "namespace": "default", "labels": {"app": "web", "statefulset.kubernetes.io/pod-name":
                                                              f"web-{i}"}},
        "spec": {"containers": [container], "volumes": [
            {"name": "data", "persistentVolumeClaim": {"claimName": f"data-web-{i}"}}]}}) for i in range(pods)]
    plain = [parser.parse({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"plain-{i}", "namespace": "default"},
                           "spec": {"containers": [container]}}) for i in range(pods)]
    storage = read_storage([Manifest(m, "bench.yaml") for m in manifests])
    return node_objects, storage, with_claims, plain


def test_stateful_set_on_local_volumes(benchmark, record_result, request):
    disabled = request.config.getoption("benchmark_disable", False)
    nodes, pods = (500, 200) if disabled else (5000, 2000)
    node_objects, storage, with_claims, plain = workload(nodes, pods)
    objects = ClusterObjects(storage=storage, claim_references=claim_references(with_claims))

    def run():
        # The PV table (each PV's nodes, the claims) is made with the snapshot, as its nodes
        # are: timed apart from the pods.
        snapshot = ClusterSnapshot(node_objects, default_profile(), objects=objects)
        start = time.perf_counter()
        snapshot.prepare_volumes()
        table = time.perf_counter()
        chosen = snapshot.place(with_claims)
        return snapshot, chosen, time.perf_counter() - table, table - start

    snapshot, chosen, seconds, table_seconds = benchmark.pedantic(run, rounds=1, iterations=1)
    assert (chosen >= 0).all(), "every pod has a PV of its own"
    bindings = snapshot.volume_placements()
    taken = [snapshot.volumes.describe(pod, b, snapshot.node_names[n])[0]["volume"]
             for pod, b, n in zip(with_claims, bindings, chosen)]
    assert len(set(taken)) == len(taken), "a PV taken twice"
    assert all(volume.replace("pv-", "node-") == snapshot.node_names[n] for volume, n in zip(taken, chosen))
    if disabled:
        return
    plain_snapshot = ClusterSnapshot(node_objects, default_profile())
    start = time.perf_counter()
    assert (plain_snapshot.place(plain) >= 0).all()
    plain_seconds = time.perf_counter() - start
    baseline = numpy_pods_per_second(nodes)
    pods_per_second = pods / seconds
    record_result("volumes_in_memory", {
        "nodes": nodes, "local_pvs": nodes, "stateful_set_pods": pods,
        "kubesched_pods_per_second": round(pods_per_second),
        "volume_table_seconds": round(table_seconds, 4),
        "kubesched_pods_per_second_with_table": round(pods / (seconds + table_seconds)),
        "kubesched_resources_only_pods_per_second": round(pods / plain_seconds),
        "numpy_resources_only_pods_per_second": round(baseline),
        "ratio_to_numpy": round(pods_per_second / baseline, 2),
        "ratio_to_kubesched_resources_only": round(pods_per_second * plain_seconds / pods, 3),
    })


def test_stateful_set_on_local_volumes_matches_reference():
    """The same shape on 30 nodes with 24 replicas: each pod lands where the pure-Python
    reference puts it, with the PV the reference binds."""
    node_objects, storage, with_claims, _ = workload(30, 24)
    objects = ClusterObjects(storage=storage, claim_references=claim_references(with_claims))
    snapshot = ClusterSnapshot(node_objects, default_profile(), objects=objects)
    reference = ReferenceScheduler(node_objects, default_profile(), [], objects)
    for pod in with_claims:
        chosen = snapshot._engine.schedule(snapshot.class_of(pod))
        want = reference.decide(pod)
        got = snapshot.node_names[chosen] if chosen >= 0 else None
        assert got == want.node, pod.name
        assert [v for _, v, _ in want.volumes] == [got.replace("node-", "pv-")]  # the PV of its node
        [binding] = snapshot.volume_placements()
        assert snapshot.volumes.describe(pod, binding, got) == [{"claim": c, "volume": v} for c, v, _ in want.volumes]
