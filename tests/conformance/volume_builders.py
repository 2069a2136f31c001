"""Builders for the volume plugins' conformance tests: storage objects as manifests (read by
kubesched's own parsers), and a run that evaluates a pod in the core and in the Python
reference and checks they agree."""

from __future__ import annotations

from kubesched.framework.cluster_objects import ClusterObjects, claim_references
from kubesched.model.manifests import Manifest
from kubesched.model.storage import read_storage
from tests.reference.reference import ReferenceScheduler

from .builders import Outcome, pod, snapshot

WAIT = "WaitForFirstConsumer"
NO_PROVISIONER = "kubernetes.io/no-provisioner"
HOSTNAME = "kubernetes.io/hostname"


def storage_class(name: str, mode: str = WAIT, provisioner: str = NO_PROVISIONER, topologies=None) -> dict:
    obj = {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": name},
           "provisioner": provisioner, "volumeBindingMode": mode}
    if topologies:
        obj["allowedTopologies"] = [{"matchLabelExpressions": [{"key": k, "values": list(v)} for k, v in t.items()]}
                                    for t in topologies]
    return obj


def pv(name: str, klass: str = "wait-sc", capacity: str = "1Gi", *, affinity: dict | None = None,
       phase: str = "Available", labels: dict | None = None, modes=("ReadWriteOnce",), claim: str | None = None,
       csi: tuple[str, str] | None = None, source: dict | None = None) -> dict:
    """`source`: another volume source ({"awsElasticBlockStore": {...}}); default hostPath."""
    spec: dict = {"capacity": {"storage": capacity}, "accessModes": list(modes), "storageClassName": klass}
    if csi:
        spec["csi"] = {"driver": csi[0], "volumeHandle": csi[1]}
    elif source:
        spec.update(source)
    else:
        spec["hostPath"] = {"path": "/tmp"}
    if affinity:
        spec["nodeAffinity"] = {"required": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": k, "operator": "In", "values": list(v)} for k, v in affinity.items()]}]}}
    if claim:
        spec["claimRef"] = {"namespace": "default", "name": claim}
    return {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name, "labels": dict(labels or {})},
            "spec": spec, "status": {"phase": phase}}


def pvc(name: str, klass: str | None = "wait-sc", request: str = "1Gi", *, bound: str = "", phase: str = "",
        modes=("ReadWriteOnce",), annotations: dict | None = None, namespace: str = "default") -> dict:
    spec: dict = {"accessModes": list(modes), "resources": {"requests": {"storage": request}}}
    if klass is not None:
        spec["storageClassName"] = klass
    meta: dict = {"name": name, "namespace": namespace, "annotations": dict(annotations or {})}
    if bound:
        spec["volumeName"] = bound
        meta["annotations"]["pv.kubernetes.io/bind-completed"] = "yes"
    obj = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta, "spec": spec}
    if phase:
        obj["status"] = {"phase": phase}
    return obj


def csi_node(name: str, **drivers: int | None) -> dict:
    return {"apiVersion": "storage.k8s.io/v1", "kind": "CSINode", "metadata": {"name": name},
            "spec": {"drivers": [{"name": d.replace("_", "."), "nodeID": name,
                                  **({"allocatable": {"count": c}} if c is not None else {})}
                                 for d, c in drivers.items()]}}


def csi_driver(name: str, *, storage_capacity: bool = False, prevent_if_missing: bool = False) -> dict:
    return {"apiVersion": "storage.k8s.io/v1", "kind": "CSIDriver", "metadata": {"name": name},
            "spec": {"storageCapacity": storage_capacity, "preventPodSchedulingIfMissing": prevent_if_missing}}


def volume_attachment(name: str, node: str, attacher: str, volume: str | None = None, *,
                      attached: bool = False) -> dict:
    """Of the PV `volume`; without one, of an inline volume spec."""
    source = {"persistentVolumeName": volume} if volume else {"inlineVolumeSpec": {"csi": {
        "driver": attacher, "volumeHandle": name}}}
    return {"apiVersion": "storage.k8s.io/v1", "kind": "VolumeAttachment", "metadata": {"name": name},
            "spec": {"attacher": attacher, "nodeName": node, "source": source}, "status": {"attached": attached}}


def capacity(name: str, klass: str, node_labels: dict, amount: str) -> dict:
    return {"apiVersion": "storage.k8s.io/v1", "kind": "CSIStorageCapacity",
            "metadata": {"name": name, "namespace": "default"}, "storageClassName": klass,
            "nodeTopology": {"matchLabels": dict(node_labels)}, "capacity": amount}


def with_claims(*claims: str, name: str | None = None, node: str | None = None, extra: list | None = None,
                namespace: str | None = None):
    volumes = [{"name": f"v{i}", "persistentVolumeClaim": {"claimName": c}} for i, c in enumerate(claims)]
    return pod(name, node=node, namespace=namespace, spec_fields={"volumes": volumes + list(extra or [])})


def objects_of(manifests: list[dict], pods=()) -> ClusterObjects:
    storage = read_storage([Manifest(m, "test.yaml") for m in manifests])
    return ClusterObjects(storage=storage, claim_references=claim_references(pods))


def run(nodes, incoming, manifests: list[dict], existing=(), profile=None) -> Outcome:
    """The core's evaluation, checked against the reference's verdicts (and scores)."""
    objects = objects_of(manifests, [incoming, *existing])
    cluster = snapshot(nodes, list(existing), profile, objects)
    outcome = Outcome(list(cluster.node_names), cluster.evaluate(cluster.class_of(incoming)))
    reference = ReferenceScheduler(nodes, cluster.profile, list(existing), objects)
    for state in reference.states:
        failed, reasons = reference.first_failure(incoming, state)
        name = state.node.name
        assert (outcome.failed(name), outcome.reasons(name)) == (failed, reasons), name
    return outcome


def message(nodes, incoming, manifests: list[dict], existing=(), profile=None) -> str:
    objects = objects_of(manifests, [incoming, *existing])
    cluster = snapshot(nodes, list(existing), profile, objects)
    [decision] = cluster.decide_queue([incoming])
    assert not decision.placed
    text = decision.message
    reference = ReferenceScheduler(nodes, cluster.profile, list(existing), objects)
    assert reference.evaluate(incoming).message == text
    return text


