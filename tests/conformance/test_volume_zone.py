"""VolumeZone, ported from upstream's volumezone/volume_zone_test.go (TestSingleZone,
TestWithBinding): the zone and region labels of bound PVs against the node's."""

import pytest

from .builders import filters_only, node
from .volume_builders import message, pv, pvc, run, storage_class, with_claims

BETA_ZONE, BETA_REGION = "failure-domain.beta.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/region"
ZONE, REGION = "topology.kubernetes.io/zone", "topology.kubernetes.io/region"
CONFLICT = "node(s) had no available volume zone"
VOLUMES = {"PVC_1": {BETA_ZONE: "us-west1-a"}, "PVC_2": {BETA_REGION: "us-west1", "uselessLabel": "none"},
           "PVC_Stable_1": {ZONE: "us-west1-a"}, "PVC_Stable_2": {REGION: "us-west1", "uselessLabel": "none"},
           "PVC_Stable_3": {ZONE: "us-west1-a", REGION: "us-west1-a"}}
OBJECTS = [storage_class("wait"), storage_class("immediate", mode="Immediate")]
for claim, labels in VOLUMES.items():
    OBJECTS += [pvc(claim.lower().replace("_", "-"), bound=f"vol-{claim.lower().replace('_', '-')}"),
                pv(f"vol-{claim.lower().replace('_', '-')}", labels=labels)]
ZONE_ONLY = filters_only("VolumeZone")

CASES = [
    ("node without labels", "PVC_1", {}, False),
    ("beta zone label matched", "PVC_1", {BETA_ZONE: "us-west1-a", "uselessLabel": "none"}, False),
    ("beta region label matched", "PVC_2", {BETA_REGION: "us-west1", "uselessLabel": "none"}, False),
    ("beta region label doesn't match", "PVC_2", {BETA_REGION: "no_us-west1", "uselessLabel": "none"}, True),
    ("beta zone label doesn't match", "PVC_1", {BETA_ZONE: "no_us-west1-a", "uselessLabel": "none"}, True),
    ("zone label matched", "PVC_Stable_1", {ZONE: "us-west1-a", "uselessLabel": "none"}, False),
    ("region label matched", "PVC_Stable_2", {REGION: "us-west1", "uselessLabel": "none"}, False),
    ("region label doesn't match", "PVC_Stable_2", {REGION: "no_us-west1", "uselessLabel": "none"}, True),
    ("zone label doesn't match", "PVC_Stable_1", {ZONE: "no_us-west1-a", "uselessLabel": "none"}, True),
    ("pv with zone and region, node with only zone", "PVC_Stable_3", {ZONE: "us-west1-a"}, True),
    ("pv with zone,node with beta zone", "PVC_Stable_1", {BETA_ZONE: "us-west1-a"}, True),
    ("pv with beta label,node with ga label, matched", "PVC_1", {ZONE: "us-west1-a"}, False),
    ("pv with beta label,node with ga label, don't match", "PVC_1", {ZONE: "us-west1-b"}, True),
]


@pytest.mark.parametrize("name, claim, labels, conflict", CASES, ids=[c[0] for c in CASES])
def test_single_zone(name, claim, labels, conflict):
    outcome = run([node("host1", labels)], with_claims(claim.lower().replace("_", "-")), OBJECTS, profile=ZONE_ONLY)
    assert outcome.failed("host1") == ("VolumeZone" if conflict else None)
    assert outcome.reasons("host1") == ([CONFLICT] if conflict else [])


def test_multi_zone_label_values():
    objects = [pvc("c", bound="v"), pv("v", labels={ZONE: "us-west1-a__us-west1-b"})]
    outcome = run([node("a", {ZONE: "us-west1-b"}), node("b", {ZONE: "us-west1-c"})], with_claims("c"), objects,
                  profile=ZONE_ONLY)
    assert outcome.verdicts() == {"a": None, "b": "VolumeZone"}


@pytest.mark.parametrize("claim, text", [
    (pvc("pvc-emptysc", klass=""), "PersistentVolumeClaim had no pv name and storageClass name"),
    (pvc("pvc-emptysc", klass="Class_0"), 'storageclass.storage.k8s.io "Class_0" not found'),
    (pvc("pvc-emptysc", klass="immediate"), "PersistentVolume had no name"),
])
def test_unbound_claims_with_binding(claim, text):
    assert message([node("host1", {BETA_ZONE: "us-west1-a"})], with_claims("pvc-emptysc"), [*OBJECTS, claim],
                   profile=ZONE_ONLY) == f"0/1 nodes are available: {text}. not found"


def test_unbound_claim_of_a_wait_class_is_skipped():
    outcome = run([node("host1", {BETA_ZONE: "us-west1-a"})], with_claims("w"), [*OBJECTS, pvc("w", klass="wait")],
                  profile=ZONE_ONLY)
    assert outcome.failed("host1") is None


def test_a_bound_claim_whose_pv_is_missing():
    assert message([node("host1")], with_claims("c"), [pvc("c", bound="gone")], profile=ZONE_ONLY) == \
        '0/1 nodes are available: persistentvolume "gone" not found. not found'
