"""VolumeBinding, ported from upstream's volumebinding/volume_binding_test.go (TestVolumeBinding)
and binder_test.go: PreFilter rejections, Filter reasons, the score of static bindings and of
CSIStorageCapacity, and the matcher's choice of the smallest fitting PV."""

from dataclasses import replace

from kubesched.framework.profile import Profile

from .builders import configured, filters_only, node, plugin_args, pod
from .volume_builders import (HOSTNAME, capacity, csi_driver, message, pv, pvc, run, storage_class, with_claims)

WAIT_SC = storage_class("wait-sc")
IMMEDIATE_SC = storage_class("immediate-sc", mode="Immediate")
CAPACITY_SC = storage_class("wait-sc-with-storage-capacity", provisioner="driver-with-storage-capacity")
CAPACITY_DRIVER = csi_driver("driver-with-storage-capacity", storage_capacity=True)
BINDING_ONLY = filters_only("VolumeBinding")
BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind"


def scored(outcome):
    return {n: outcome.raw("VolumeBinding")[n] for n in outcome.feasible()}


def test_a_pod_without_claims_passes():
    outcome = run([node("node-a")], with_claims(), [WAIT_SC])
    assert outcome.failed("node-a") is None


def test_all_bound():
    outcome = run([node("node-a")], with_claims("pvc-a"), [WAIT_SC, pvc("pvc-a", bound="pv-a"), pv("pv-a")])
    assert outcome.failed("node-a") is None


def test_claim_does_not_exist():
    assert message([node("node-a")], with_claims("pvc-a"), [WAIT_SC], profile=BINDING_ONLY) == \
        '0/1 nodes are available: persistentvolumeclaim "pvc-a" not found. not found'


def test_part_of_the_claims_do_not_exist():
    objects = [WAIT_SC, pvc("pvc-a", bound="pv-a"), pv("pv-a")]
    assert message([node("node-a")], with_claims("pvc-a", "pvc-b"), objects, profile=BINDING_ONLY) == \
        '0/1 nodes are available: persistentvolumeclaim "pvc-b" not found. not found'


def test_immediate_claims_not_bound():
    assert message([node("node-a")], with_claims("pvc-a"), [IMMEDIATE_SC, pvc("pvc-a", "immediate-sc")]) == \
        "0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. not found"


def test_unbound_claims_no_matches():
    outcome = run([node("node-a")], with_claims("pvc-a"), [WAIT_SC, pvc("pvc-a")])
    assert outcome.failed("node-a") == "VolumeBinding"
    assert outcome.reasons("node-a") == [BIND_CONFLICT]


def test_bound_and_unbound_unsatisfied():
    objects = [WAIT_SC, pvc("pvc-a", bound="pv-a"), pvc("pvc-b"), pv("pv-a", affinity={"foo": ["bar"]})]
    outcome = run([node("node-a", {"foo": "barbar"})], with_claims("pvc-a", "pvc-b"), objects)
    assert outcome.reasons("node-a") == ["node(s) didn't match PersistentVolume's node affinity", BIND_CONFLICT]


def test_pv_not_found():
    outcome = run([node("node-a")], with_claims("pvc-a"), [WAIT_SC, pvc("pvc-a", bound="pv-a")],
                  profile=BINDING_ONLY)
    assert outcome.reasons("node-a") == ["node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)"]


def test_pv_not_found_claim_lost():
    objects = [WAIT_SC, pvc("pvc-a", bound="pv-a", phase="Lost")]
    assert message([node("node-a")], with_claims("pvc-a"), objects) == \
        '0/1 nodes are available: persistentvolumeclaim "pvc-a" bound to non-existent persistentvolume "pv-a". not found'


def test_local_volumes_with_close_capacity_are_preferred():
    nodes = [node(n, {HOSTNAME: n}) for n in ("node-a", "node-b", "node-c")]
    objects = [WAIT_SC, pvc("pvc-a", request="50Gi"),
               pv("pv-a-0", capacity="200Gi", affinity={HOSTNAME: ["node-a"]}),
               pv("pv-a-1", capacity="200Gi", affinity={HOSTNAME: ["node-a"]}),
               pv("pv-b-0", capacity="100Gi", affinity={HOSTNAME: ["node-b"]}),
               pv("pv-b-1", capacity="100Gi", affinity={HOSTNAME: ["node-b"]})]
    outcome = run(nodes, with_claims("pvc-a"), objects)
    assert outcome.reasons("node-c") == [BIND_CONFLICT]
    assert scored(outcome) == {"node-a": 75, "node-b": 50}


def test_zonal_volumes_with_close_capacity_are_preferred():
    zone, region = "topology.kubernetes.io/zone", "topology.kubernetes.io/region"
    nodes = [node(f"zone-{z}-node-{n}", {region: f"region-{z}", zone: f"zone-{z}"}) for z in "abc" for n in "ab"]
    objects = [WAIT_SC, pvc("pvc-a", request="50Gi")]
    for z, size in (("a", "200Gi"), ("b", "100Gi")):
        objects += [pv(f"pv-{z}-{i}", capacity=size, affinity={region: [f"region-{z}"], zone: [f"zone-{z}"]})
                    for i in range(2)]
    outcome = run(nodes, with_claims("pvc-a"), objects)
    assert scored(outcome) == {"zone-a-node-a": 75, "zone-a-node-b": 75, "zone-b-node-a": 50, "zone-b-node-b": 50}
    assert outcome.reasons("zone-c-node-a") == [BIND_CONFLICT]


def test_custom_shape_scores_static_bindings():
    nodes = [node(n, {HOSTNAME: n}) for n in ("node-a", "node-b")]
    objects = [WAIT_SC, pvc("pvc-a", request="50Gi"),
               pv("pv-a", capacity="200Gi", affinity={HOSTNAME: ["node-a"]}),
               pv("pv-b", capacity="100Gi", affinity={HOSTNAME: ["node-b"]})]
    profile = configured(plugin_args("VolumeBinding", shape=[{"utilization": 0, "score": 0},
                                                              {"utilization": 100, "score": 10}]))
    outcome = run(nodes, with_claims("pvc-a"), objects, profile=profile)
    assert scored(outcome) == {"node-a": 25, "node-b": 50}


def capacity_cluster(amounts):
    label = "kubernetes.io/hostname"
    nodes = [node(n, {label: n}) for n in amounts]
    objects = [CAPACITY_SC, CAPACITY_DRIVER, pvc("pvc-dynamic", "wait-sc-with-storage-capacity", "10Gi")]
    objects += [capacity(n, "wait-sc-with-storage-capacity", {label: n}, amount) for n, amount in amounts.items()]
    return nodes, objects


def test_storage_capacity_score():
    nodes, objects = capacity_cluster({"node-a": "100Gi", "node-b": "50Gi", "node-c": "10Gi"})
    assert scored(run(nodes, with_claims("pvc-dynamic"), objects)) == {"node-a": 90, "node-b": 80, "node-c": 0}


def test_prefer_node_with_least_allocatable():
    nodes, objects = capacity_cluster({"node-a": "100Gi", "node-b": "20Gi", "node-c": "10Gi"})
    profile = configured(plugin_args("VolumeBinding", bindTimeoutSeconds=300,
                                     shape=[{"utilization": 0, "score": 0}, {"utilization": 100, "score": 10}]))
    assert scored(run(nodes, with_claims("pvc-dynamic"), objects, profile=profile)) == \
        {"node-a": 10, "node-b": 50, "node-c": 100}


def test_not_enough_capacity_anywhere():
    nodes, objects = capacity_cluster({"node-a": "5Gi"})
    outcome = run(nodes, with_claims("pvc-dynamic"), objects)
    assert outcome.reasons("node-a") == ["node(s) did not have enough free storage"]


def test_dynamic_provisioning_with_two_claims_of_one_class():
    label = "kubernetes.io/hostname"
    objects = [CAPACITY_SC, CAPACITY_DRIVER, capacity("node-a", "wait-sc-with-storage-capacity", {label: "node-a"},
                                                      "100Gi"),
               pvc("pvc-dynamic-0", "wait-sc-with-storage-capacity", "50Gi"),
               pvc("pvc-dynamic-1", "wait-sc-with-storage-capacity", "50Gi")]
    outcome = run([node("node-a", {label: "node-a"})], with_claims("pvc-dynamic-0", "pvc-dynamic-1"), objects)
    assert scored(outcome) == {"node-a": 0}


def test_allowed_topologies_limit_provisioning():
    zone = "topology.kubernetes.io/zone"
    objects = [storage_class("zonal", provisioner="example.com/csi", topologies=[{zone: ["z1"]}]),
               pvc("data", "zonal")]
    outcome = run([node("n1", {zone: "z1"}), node("n2", {zone: "z2"})], with_claims("data"), objects)
    assert outcome.verdicts() == {"n1": None, "n2": "VolumeBinding"}
    assert outcome.reasons("n2") == [BIND_CONFLICT]


def test_selected_node_pins_a_provisioning_claim():
    objects = [storage_class("csi", provisioner="example.com/csi"),
               pvc("data", "csi", annotations={"volume.kubernetes.io/selected-node": "n2"})]
    outcome = run([node("n1"), node("n2")], with_claims("data"), objects)
    assert outcome.verdicts() == {"n1": "VolumeBinding", "n2": None}


def test_the_smallest_fitting_pv_is_taken_and_never_twice():
    # binder_test.go's FindPodVolumes cases: the smallest PV that fits, then the next one.
    objects = [WAIT_SC, pvc("c0", request="5Gi"), pvc("c1", request="5Gi"), pvc("c2", request="5Gi"),
               pv("small", capacity="1Gi"), pv("fits", capacity="5Gi"), pv("large", capacity="10Gi")]
    nodes = [node("n1")]
    from kubesched.sim.simulate import simulate
    from kubesched.model.cluster import ClusterInput
    from .volume_builders import objects_of
    pods = [with_claims(c, name=f"p{i}") for i, c in enumerate(("c0", "c1", "c2"))]
    objects_input = objects_of(objects, pods)
    cluster = ClusterInput(nodes=nodes, pending_pods=pods, storage=objects_input.storage)
    result = simulate(cluster, {"default-scheduler": Profile()})
    assert [p.volumes for p in result.placements[:2]] == [[{"claim": "default/c0", "volume": "fits"}],
                                                         [{"claim": "default/c1", "volume": "large"}]]
    assert result.placements[2].node is None
    # VolumeBinding's rejection is UnschedulableAndUnresolvable: preemption cannot help.
    assert result.placements[2].message == (f"0/1 nodes are available: 1 {BIND_CONFLICT}. preemption: 0/1 nodes are "
                                            "available: 1 Preemption is not helpful for scheduling.")


def test_a_prebound_pv_is_taken_even_when_larger():
    objects = [WAIT_SC, pvc("c0"), pv("small", capacity="1Gi"), pv("mine", capacity="10Gi", claim="c0",
                                                                   phase="Available")]
    outcome = run([node("n1")], with_claims("c0"), objects)
    assert outcome.failed("n1") is None
    assert scored(outcome) == {"n1": 90}


def by_name(manifest: dict, *names: str) -> dict:
    """The PV with a node affinity term of matchFields metadata.name In `names` alone."""
    manifest["spec"]["nodeAffinity"] = {"required": {"nodeSelectorTerms": [{"matchFields": [
        {"key": "metadata.name", "operator": "In", "values": list(names)}]}]}}
    return manifest


def test_a_pvs_node_affinity_by_node_name_is_not_looked_at():
    # CheckNodeAffinity (component-helpers storage/volume) matches the terms against a node
    # made of the node's labels alone: without a name, matchFields are not looked at, so the
    # PV fits every node (its own and the bound claim's; checked on the oracle).
    nodes = [node("node-a", {HOSTNAME: "node-a"}), node("node-b", {HOSTNAME: "node-b"})]
    objects = [WAIT_SC, pvc("pvc-a"), by_name(pv("pv-a"), "node-b"), pvc("pvc-b", bound="pv-b"),
               by_name(pv("pv-b", claim="pvc-b", phase="Bound"), "node-b")]
    outcome = run(nodes, with_claims("pvc-a", "pvc-b"), objects)
    assert outcome.failed("node-a") is None and outcome.failed("node-b") is None


def test_a_pv_prebound_to_the_claim_in_another_class_is_not_matched():
    # FindMatchingVolume looks among the PVs of the claim's class (the assume cache's class
    # index), a PV whose claimRef names the claim too: one of another class is not found,
    # and the claim takes a PV of its class (checked on the oracle).
    nodes = [node("node-a", {HOSTNAME: "node-a"}), node("node-b", {HOSTNAME: "node-b"})]
    objects = [WAIT_SC, storage_class("other-sc"), pvc("pvc-a"),
               pv("prebound", "other-sc", claim="pvc-a", affinity={HOSTNAME: ["node-b"]}),
               pv("pv-a", affinity={HOSTNAME: ["node-a"]})]
    outcome = run(nodes, with_claims("pvc-a"), objects)
    assert outcome.failed("node-a") is None
    assert outcome.reasons("node-b") == [BIND_CONFLICT]


def ephemeral_pod(uid: str):
    template = {"spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
                         "storageClassName": "provisioning-sc"}}
    made = pod("p0", spec_fields={"volumes": [{"name": "data", "ephemeral": {"volumeClaimTemplate": template}}]})
    return replace(made, uid=uid)


def controlled_claim(owner_name: str, owner_uid: str) -> dict:
    claim = pvc("p0-data", "provisioning-sc")
    claim["metadata"]["ownerReferences"] = [{"apiVersion": "v1", "kind": "Pod", "name": owner_name, "uid": owner_uid,
                                             "controller": True}]
    return claim


PROVISIONING_SC = storage_class("provisioning-sc", provisioner="example.com/csi")


def test_an_ephemeral_claim_is_the_pods_by_its_controllers_uid():
    # ephemeral.VolumeIsForPod: metav1.IsControlledBy compares the controller reference's UID
    # with the pod's, not its kind or name (checked on the oracle).
    outcome = run([node("node-a")], ephemeral_pod("uid-p0"), [PROVISIONING_SC, controlled_claim("renamed", "uid-p0")])
    assert outcome.failed("node-a") is None


def test_an_ephemeral_claim_another_pod_controls_is_refused():
    assert message([node("node-a")], ephemeral_pod("uid-p0"), [PROVISIONING_SC, controlled_claim("p0", "uid-other")],
                   profile=BINDING_ONLY) == ("0/1 nodes are available: PVC default/p0-data was not created for pod "
                                             "default/p0 (pod is not owner). not found")
