"""The core's victim search for pods with volumes against the pure-Python reference: bound
claims (some ReadWriteOncePod, some on CSI PVs under CSINode attach limits and a driver
some nodes lack; claims of the same name in two namespaces, a ReadWriteOncePod claim used
by several running pods), in-tree disks mounted by several pods, and PVs some nodes cannot reach;
random priorities, start times, budgets and nominated pods; some incoming pods name a claim
that does not exist (a PreFilter rejection, with and without DynamicResources' PostFilter).
The dry run must free the evicted pods' claims, disks and attachments and give them back on
reprieve, and keep VolumeBinding's rejections unresolvable (as test_preemption_vs_reference.py
otherwise)."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from kubesched.framework.cluster_objects import ClusterObjects, claim_references
from kubesched.framework.profile import Profile
from kubesched.model.manifests import Manifest
from kubesched.model.nodes import parse_node
from kubesched.model.pods import PodParser
from kubesched.model.records import LabelSelector
from kubesched.model.storage import read_storage
from kubesched.preemption import LATEST, PodDisruptionBudget, PreemptionArgs

from .test_preemption_vs_reference import PRIORITIES, check_preemptions

HOSTNAME = "kubernetes.io/hostname"
DRIVER = "ebs.csi.aws.com"
NAMESPACES = ("default", "other")
_parser = PodParser()


def _claim(namespace: str, name: str, mode: str, volume: str) -> dict:
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": name, "namespace": namespace,
                         "annotations": {"pv.kubernetes.io/bind-completed": "yes"}},
            "spec": {"accessModes": [mode], "resources": {"requests": {"storage": "1Gi"}},
                     "storageClassName": "csi-sc", "volumeName": volume}}


def _volume(name: str, namespace: str, claim: str, mode: str, csi: bool, host: str | None) -> dict:
    spec = {"capacity": {"storage": "1Gi"}, "accessModes": [mode], "storageClassName": "csi-sc",
            "claimRef": {"namespace": namespace, "name": claim}}
    spec.update({"csi": {"driver": DRIVER, "volumeHandle": f"handle-{name}"}} if csi else {"hostPath": {"path": "/x"}})
    if host:
        spec["nodeAffinity"] = {"required": {"nodeSelectorTerms": [{"matchExpressions": [
            {"key": HOSTNAME, "operator": "In", "values": [host]}]}]}}
    return {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name}, "spec": spec,
            "status": {"phase": "Bound"}}


@st.composite
def scenarios(draw):
    count = draw(st.integers(1, 4))
    cluster = [parse_node({"apiVersion": "v1", "kind": "Node", "metadata": {"name": f"n{i}", "labels": {
        HOSTNAME: f"n{i}"}}, "status": {"allocatable": {"cpu": "4", "memory": "8Gi",
                                                        "pods": str(draw(st.integers(2, 6)))}}}) for i in range(count)]
    manifests = [{"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "csi-sc"},
                  "provisioner": DRIVER, "volumeBindingMode": "Immediate"}]
    if draw(st.booleans()):
        manifests.append({"apiVersion": "storage.k8s.io/v1", "kind": "CSIDriver", "metadata": {"name": DRIVER},
                          "spec": {"preventPodSchedulingIfMissing": draw(st.booleans())}})
    for i in range(count):
        kind = draw(st.sampled_from(("limit", "limit", "none", "other driver")))
        if kind != "none":
            driver = {"name": DRIVER if kind == "limit" else "other.csi", "nodeID": f"n{i}",
                      "allocatable": {"count": draw(st.sampled_from((0, 1, 1, 2)))}}
            manifests.append({"apiVersion": "storage.k8s.io/v1", "kind": "CSINode", "metadata": {"name": f"n{i}"},
                              "spec": {"drivers": [driver]}})
    claims = [f"c{i}" for i in range(draw(st.integers(1, 4)))]
    for namespace in NAMESPACES:  # claims of one name in both: VolumeRestrictions' what-if matches names only
        for name in claims:
            mode = draw(st.sampled_from(("ReadWriteOncePod", "ReadWriteOncePod", "ReadWriteOnce", "ReadWriteMany")))
            host = f"n{draw(st.integers(0, count - 1))}" if draw(st.integers(0, 5)) == 0 else None
            csi = draw(st.sampled_from((True, True, False)))
            volume = f"pv-{namespace}-{name}"
            manifests += [_claim(namespace, name, mode, volume), _volume(volume, namespace, name, mode, csi, host)]
    disks = st.fixed_dictionaries({"pdName": st.sampled_from(("a", "b")),
                                   "readOnly": st.sampled_from((False, False, True))})

    def pod(name: str, priority: int, node_name: str = "", may_miss: bool = False):
        """`may_miss`: it may name a claim that does not exist (VolumeRestrictions' PreFilter rejects it)."""
        names = [*claims, "gone"] if may_miss else claims
        volumes = [{"name": f"v{k}", "persistentVolumeClaim": {"claimName": c}}
                   for k, c in enumerate(draw(st.lists(st.sampled_from(names), max_size=2, unique=True)))]
        if draw(st.booleans()):
            volumes.append({"name": "disk", "gcePersistentDisk": draw(disks)})
        spec = {"containers": [{"name": "c", "image": "x", "resources": {"requests": {"cpu": draw(
            st.sampled_from(("100m", "100m", "1", "2")))}}}], "volumes": volumes, "priority": priority}
        if node_name:
            spec["nodeName"] = node_name
        labels = {"app": draw(st.sampled_from(("a", "b")))}
        namespace = draw(st.sampled_from(NAMESPACES))
        return _parser.parse({"apiVersion": "v1", "kind": "Pod",
                              "metadata": {"name": name, "namespace": namespace, "labels": labels}, "spec": spec})

    bound = [pod(f"bound-{i}", draw(st.sampled_from(PRIORITIES)), f"n{draw(st.integers(0, count - 1))}")
             for i in range(draw(st.integers(0, 10)))]
    starts = {p.key: draw(st.one_of(st.just(LATEST), st.integers(0, 5))) for p in bound}
    budgets = [PodDisruptionBudget("default", "pdb", LabelSelector((("app", draw(st.sampled_from(("a", "b")))),)),
                                   draw(st.integers(0, 1)), frozenset())] if draw(st.booleans()) else []
    incoming = [pod(f"pod-{i}", draw(st.sampled_from((5, 10, 100, 1000))), may_miss=draw(st.integers(0, 3)) == 0)
                for i in range(draw(st.integers(1, 4)))]
    nominated = []
    if draw(st.integers(0, 3)) == 0:
        nominated = [(pod("nominated", draw(st.sampled_from((10, 1000)))), f"n{draw(st.integers(0, count - 1))}")]
    args = PreemptionArgs(draw(st.integers(1, 100)), draw(st.integers(0, 3)))
    storage = read_storage([Manifest(m, "x.yaml") for m in manifests])
    objects = ClusterObjects(storage=storage,
                             claim_references=claim_references([*bound, *incoming, *(p for p, _ in nominated)]))
    # Without DynamicResources' PostFilter (which ends PostFilter for a PreFilter-rejected pod)
    # DefaultPreemption runs for such a pod, and finds every node unresolvable.
    profile = Profile() if draw(st.booleans()) else replace(Profile(), dra_post_filter=False)
    return cluster, bound, starts, budgets, incoming, nominated, args, profile, objects


@settings(max_examples=600)
@given(scenarios(), st.data())
def test_core_victim_search_with_volumes_matches_the_reference(scenario, data):
    check_preemptions(*scenario, data)
