"""The volume plugins inside the snapshot: when the storage objects are not read (the live
cache), pods with claims are judged as before; nodes added after the first pod with claims
(a plan's new nodes) hold none of the PVs and match no provisioning mask."""

from kubesched.framework.cluster_objects import ClusterObjects, claim_references
from kubesched.framework.profile import Profile
from kubesched.model.manifests import Manifest
from kubesched.model.nodes import parse_node
from kubesched.model.pods import PodParser
from kubesched.model.storage import read_storage
from kubesched.engine.cluster import ClusterSnapshot

HOSTNAME = "kubernetes.io/hostname"


def node(name):
    return parse_node({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {HOSTNAME: name}},
                       "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "10"}}})


def claimed_pod(name, claim):
    return PodParser().parse({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                              "spec": {"containers": [{"name": "c", "image": "x"}],
                                       "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": claim}}]}})


STORAGE = [
    {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "local"},
     "provisioner": "kubernetes.io/no-provisioner", "volumeBindingMode": "WaitForFirstConsumer"},
    {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "pv-a"},
     "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "storageClassName": "local",
              "local": {"path": "/d"}, "nodeAffinity": {"required": {"nodeSelectorTerms": [
                  {"matchExpressions": [{"key": HOSTNAME, "operator": "In", "values": ["a"]}]}]}}}},
    {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "c", "namespace": "default"},
     "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "local",
              "resources": {"requests": {"storage": "1Gi"}}}},
]


def test_without_storage_objects_claims_are_not_judged():
    snapshot = ClusterSnapshot([node("a"), node("b")], Profile(), objects=ClusterObjects(storage=None))
    evaluation = snapshot.evaluate(snapshot.class_of(claimed_pod("p", "missing")))
    assert evaluation["failed_filter"] == [None, None]


def test_a_missing_claim_is_judged_when_the_storage_objects_are_read():
    snapshot = ClusterSnapshot([node("a")], Profile(), objects=ClusterObjects())
    evaluation = snapshot.evaluate(snapshot.class_of(claimed_pod("p", "missing")))
    assert evaluation["failed_filter"] == ["VolumeRestrictions"]
    assert evaluation["reasons"] == [['persistentvolumeclaim "missing" not found']]


def test_nodes_added_later_hold_none_of_the_pvs():
    pod = claimed_pod("p", "c")
    objects = ClusterObjects(storage=read_storage([Manifest(m, "x.yaml") for m in STORAGE]),
                             claim_references=claim_references([pod]))
    snapshot = ClusterSnapshot([node("a")], Profile(), objects=objects)
    snapshot.class_of(pod)
    snapshot.add_node(node("planned"))
    evaluation = snapshot.evaluate(snapshot.class_of(claimed_pod("q", "c")))
    assert evaluation["failed_filter"] == [None, "VolumeBinding"]


def test_a_claim_stays_bound_while_a_pod_that_bound_it_stays():
    provisioned = [
        {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "csi"},
         "provisioner": "csi.example.com", "volumeBindingMode": "WaitForFirstConsumer"},
        {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "shared", "namespace": "default"},
         "spec": {"accessModes": ["ReadWriteMany"], "storageClassName": "csi",
                  "resources": {"requests": {"storage": "1Gi"}}}}]
    first, second, third = (claimed_pod(name, "shared") for name in ("first", "second", "third"))
    objects = ClusterObjects(storage=read_storage([Manifest(m, "x.yaml") for m in provisioned]),
                             claim_references=claim_references([first, second, third]))
    snapshot = ClusterSnapshot([node("a"), node("b")], Profile(), objects=objects)
    engine, shared = snapshot._engine, snapshot.class_of(first)
    assert engine.evaluate(shared)["failed_filter"] == [None, None]
    where = engine.schedule(shared)  # the first pod selects a node for the claim
    assert engine.schedule(shared) == where  # the second follows it there
    engine.forget(shared, where)  # the second leaves: the first still holds the claim on its node
    assert [verdict is None for verdict in engine.evaluate(shared)["failed_filter"]] == [n == where for n in (0, 1)]
    engine.forget(shared, where)  # the last pod that bound it leaves
    assert engine.evaluate(shared)["failed_filter"] == [None, None]
