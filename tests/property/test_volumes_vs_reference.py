"""The core's volume filters and VolumeBinding's score decide as the pure-Python reference
(tests.reference.volume_reference) on random storage: local, zonal and unrestricted PVs of
several sizes (some placed by matchFields), prebound ones (some of another class than their
claim), claims of WaitForFirstConsumer and Immediate classes (some missing, some shared by
pods, some ReadWriteOncePod, a StatefulSet's claim each), provisioners with allowedTopologies
and CSIStorageCapacity, CSINode limits, CSI and in-tree (AWS EBS) PVs and inline volumes,
VolumeAttachments; pods decided in turn, some leaving again, so that
the PVs they took come back. Every decision compares the node, the message and the PVs
bound; every pod's explain is compared node by node."""

from __future__ import annotations

from hypothesis import event, given, settings
from hypothesis import strategies as st

from kubesched.framework.cluster_objects import ClusterObjects, claim_references
from kubesched.framework.profile import Profile
from kubesched.model.manifests import Manifest
from kubesched.model.pods import PodParser
from kubesched.model.nodes import parse_node
from kubesched.model.storage import read_storage
from tests.side_by_side import Cluster, Decided, assert_same_evaluation, assert_same_queue, sides

HOSTNAME, ZONE = "kubernetes.io/hostname", "topology.kubernetes.io/zone"
ZONES = ("z1", "z2")
SIZES = ("1Gi", "2Gi", "5Gi", "10Gi")
CLASSES = {"local": ("kubernetes.io/no-provisioner", "WaitForFirstConsumer"),
           "csi": ("csi.example.com", "WaitForFirstConsumer"),
           "fast": ("kubernetes.io/no-provisioner", "Immediate"),
           "ebs": ("kubernetes.io/aws-ebs", "WaitForFirstConsumer")}
EBS = "ebs.csi.aws.com"


def pv_source(draw) -> dict:
    """hostPath, a CSI volume of either driver, or an in-tree EBS volume (some the same disk)."""
    k = draw(st.integers(0, 3))
    return draw(st.sampled_from((
        {"hostPath": {"path": "/x"}}, {"hostPath": {"path": "/x"}},
        {"csi": {"driver": "csi.example.com", "volumeHandle": f"h{k}"}}, {"csi": {"driver": EBS, "volumeHandle": f"vol-{k}"}},
        {"awsElasticBlockStore": {"volumeID": f"vol-{k}"}}, {"awsElasticBlockStore": {"volumeID": f"aws://z1/vol-{k}"}})))
_parser = PodParser()


@st.composite
def scenarios(draw):
    count = draw(st.integers(1, 5))
    nodes = [parse_node({"apiVersion": "v1", "kind": "Node", "metadata": {"name": f"n{i}", "labels": {
        HOSTNAME: f"n{i}", ZONE: draw(st.sampled_from(ZONES))}}, "status": {"allocatable": {
            "cpu": "4", "memory": "8Gi", "pods": str(draw(st.integers(1, 4)))}}}) for i in range(count)]
    manifests = []
    topologies = draw(st.booleans())
    for name, (provisioner, mode) in CLASSES.items():
        obj = {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": name},
               "provisioner": provisioner, "volumeBindingMode": mode}
        if name == "csi" and topologies:
            obj["allowedTopologies"] = [{"matchLabelExpressions": [{"key": ZONE, "values": ["z1"]}]}]
        manifests.append(obj)
    if draw(st.booleans()):
        manifests.append({"apiVersion": "storage.k8s.io/v1", "kind": "CSIDriver", "metadata": {"name": EBS},
                          "spec": {"preventPodSchedulingIfMissing": draw(st.booleans())}})
    if draw(st.booleans()):
        manifests.append({"apiVersion": "storage.k8s.io/v1", "kind": "CSIDriver", "metadata": {"name": "csi.example.com"},
                          "spec": {"storageCapacity": True,
                                   "preventPodSchedulingIfMissing": draw(st.booleans())}})
        for i in range(draw(st.integers(0, count))):
            manifests.append({"apiVersion": "storage.k8s.io/v1", "kind": "CSIStorageCapacity",
                              "metadata": {"name": f"cap{i}", "namespace": "default"}, "storageClassName": "csi",
                              "nodeTopology": {"matchLabels": {HOSTNAME: f"n{i}"}},
                              "capacity": draw(st.sampled_from(SIZES))})
    for i in range(count):
        if draw(st.booleans()):
            drivers = [{"name": driver, "nodeID": f"n{i}", **({"allocatable": {"count": count}} if count is not None else {})}
                       for driver in draw(st.lists(st.sampled_from(("csi.example.com", EBS)), unique=True))
                       for count in [draw(st.one_of(st.none(), st.integers(0, 2)))]]
            manifests.append({"apiVersion": "storage.k8s.io/v1", "kind": "CSINode", "metadata": {"name": f"n{i}"},
                              "spec": {"drivers": drivers}})
    claim_names = [f"c{i}" for i in range(draw(st.integers(1, 6)))]
    for i in range(draw(st.integers(0, 9))):
        where = draw(st.sampled_from(("host", "zone", "any", "name")))
        spec = {"capacity": {"storage": draw(st.sampled_from(SIZES))},
                "accessModes": [draw(st.sampled_from(("ReadWriteOnce", "ReadWriteMany")))],
                "storageClassName": draw(st.sampled_from(("local", "local", "csi"))), **pv_source(draw)}
        if where == "name":  # matchFields: upstream matches a PV's terms on the node's labels alone
            spec["nodeAffinity"] = {"required": {"nodeSelectorTerms": [{"matchFields": [
                {"key": "metadata.name", "operator": draw(st.sampled_from(("In", "NotIn"))),
                 "values": [f"n{draw(st.integers(0, count))}"]}]}]}}
        elif where != "any":
            key, value = (HOSTNAME, f"n{draw(st.integers(0, count))}") if where == "host" else \
                (ZONE, draw(st.sampled_from(ZONES)))
            spec["nodeAffinity"] = {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                {"key": key, "operator": "In", "values": [value]}]}]}}
        labels = {ZONE: draw(st.sampled_from(ZONES))} if draw(st.booleans()) else {}
        if draw(st.integers(0, 5)) == 0:
            spec["claimRef"] = {"namespace": "default", "name": draw(st.sampled_from(claim_names))}
        manifests.append({"apiVersion": "v1", "kind": "PersistentVolume",
                          "metadata": {"name": f"pv{i}", "labels": labels}, "spec": spec})
    volume_names = [f"pv{i}" for i in range(len([m for m in manifests if m["kind"] == "PersistentVolume"]))]
    for i in range(draw(st.integers(0, 3))):
        manifests.append({"apiVersion": "storage.k8s.io/v1", "kind": "VolumeAttachment", "metadata": {"name": f"va{i}"},
                          "spec": {"attacher": draw(st.sampled_from(("csi.example.com", EBS))),
                                   "nodeName": f"n{draw(st.integers(0, count))}",
                                   "source": {"persistentVolumeName": draw(st.sampled_from(volume_names + ["missing"]))}}})
    for name in claim_names:
        if draw(st.integers(0, 6)) == 0:
            continue  # a claim pods name that does not exist
        spec = {"accessModes": [draw(st.sampled_from(("ReadWriteOnce", "ReadWriteMany", "ReadWriteOncePod")))],
                "resources": {"requests": {"storage": draw(st.sampled_from(SIZES))}},
                "storageClassName": draw(st.sampled_from(("local", "local", "csi", "fast", "ebs")))}
        meta = {"name": name, "namespace": "default", "annotations": {}}
        if volume_names and draw(st.integers(0, 4)) == 0:
            spec["volumeName"] = draw(st.sampled_from(volume_names + ["missing"]))
            meta["annotations"]["pv.kubernetes.io/bind-completed"] = "yes"
        manifests.append({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta, "spec": spec})

    def make_pod(name, node_name=None):
        claims = draw(st.lists(st.sampled_from(claim_names), min_size=1 if draw(st.integers(0, 4)) else 0, max_size=2,
                               unique=True))
        volumes = [{"name": f"v{k}", "persistentVolumeClaim": {"claimName": c}} for k, c in enumerate(claims)]
        if draw(st.integers(0, 3)) == 0:
            volumes.append({"name": "inline", "awsElasticBlockStore": {"volumeID": f"vol-{draw(st.integers(0, 3))}"}})
        spec = {"containers": [{"name": "c", "image": "x"}], "volumes": volumes}
        if node_name:
            spec["nodeName"] = node_name
        return _parser.parse({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
                              "spec": spec})

    bound = [make_pod(f"b{i}", f"n{draw(st.integers(0, count - 1))}") for i in range(draw(st.integers(0, 2)))]
    pending = [make_pod(f"p{i}") for i in range(draw(st.integers(1, 7)))]
    # A StatefulSet: replicas with a claim each from one template (one pod class for all, the
    # PVs they take leaving the others mid-queue), mixed into the queue.
    template = {"accessModes": [draw(st.sampled_from(("ReadWriteOnce", "ReadWriteMany")))],
                "resources": {"requests": {"storage": draw(st.sampled_from(SIZES))}},
                "storageClassName": draw(st.sampled_from(("local", "local", "csi")))}
    for k in range(draw(st.integers(0, 4))):
        manifests.append({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                          "metadata": {"name": f"data-web-{k}", "namespace": "default"}, "spec": template})
        pending.append(_parser.parse({"apiVersion": "v1", "kind": "Pod", "metadata": {
            "name": f"web-{k}", "namespace": "default",
            "labels": {"app": "web", "statefulset.kubernetes.io/pod-name": f"web-{k}"}},
            "spec": {"containers": [{"name": "c", "image": "x"}],
                     "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": f"data-web-{k}"}}]}}))
    pending = draw(st.permutations(pending))
    leaves = draw(st.lists(st.integers(0, len(pending)), max_size=2))
    storage = read_storage([Manifest(m, "x.yaml") for m in manifests])
    objects = ClusterObjects(storage=storage, claim_references=claim_references([*bound, *pending]))
    return nodes, objects, bound, pending, set(leaves)


@settings(max_examples=400)
@given(scenarios())
def test_volume_decisions_match_reference(scenario):
    nodes, objects, bound, pending, leaves = scenario
    profile = Profile()
    engine, reference = sides(Cluster(nodes, bound, objects), profile)
    snapshot = engine.snapshot
    placed = []
    for step, pod in enumerate(pending):
        if step in leaves and placed:
            event("a pod with volumes leaves")
            gone, where = placed[0]
            # Pods of one class are decided alike: forgetting one on a node gives back what
            # the last of them placed there took (the core cannot tell them apart).
            same = [i for i, (other, node) in enumerate(placed)
                    if node == where and snapshot.class_of(other) == snapshot.class_of(gone)]
            gone, where = placed.pop(same[-1])
            reference.reference.forget(gone, where)
            snapshot.forget(snapshot.class_of(gone), snapshot.node_index[where])
        evaluation = engine.evaluate(pod)
        decision = snapshot.decide(pod)
        want, want_evaluation = reference.decide(pod)
        assert evaluation.nodes.keys() == want_evaluation.nodes.keys(), pod.name  # every node examined
        assert_same_evaluation(evaluation, want_evaluation, False, pod.name)
        assert_same_queue([Decided(pod.key, decision.node, decision.message)], [want], False, want_evaluation.totals)
        got = decision.node
        if got is None:
            event("unschedulable: " + ("PreFilter" if "nodes are available: " in want.message and
                                       not any(ch.isdigit() for ch in want.message.split(": ", 1)[1][:1])
                                       else "filters"))
            continue
        event("placed with claims" if pod.spec.volumes else "placed")
        if any(snapshot.class_of(other) == snapshot.class_of(pod) for other, _ in placed
               if other.name.startswith("web-")) and pod.name.startswith("web-"):
            event("a replica placed in the class of one placed before")
        bindings = snapshot.volume_placements()
        if snapshot.binds_claims(pod):
            assert len(bindings) == 1
            got_bindings = snapshot.volumes.describe(pod, bindings[0], got)
            want_bindings = [{"claim": c, "volume": v} if v else {"claim": c, "provisionedOn": got}
                             for c, v, _ in want.volumes]
            assert got_bindings == want_bindings
            if any("volume" in b for b in got_bindings):
                event("a static PV bound")
        placed.append((pod, got))
