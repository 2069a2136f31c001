"""PostFilter for a pod that a PreFilter plugin before DynamicResources rejected, as
kube-scheduler v1.37 runs it: DynamicResources' PostFilter reads a cycle state its PreFilter
never wrote, fails with `not found`, and that error ends PostFilter before DefaultPreemption
(framework/runtime RunPostFilterPlugins; FitError appends the PostFilter message). Checked
against kube-scheduler v1.37.2 on the control plane: `0/1 nodes are available:
persistentvolumeclaim "missing" not found. not found`. Without DynamicResources at postFilter,
DefaultPreemption finds every node unresolvable. DynamicResources' own PreFilter rejections
keep DefaultPreemption's part: its state was written first."""

from __future__ import annotations

import pytest
import yaml

from kubesched.cli.options import load_profiles
from kubesched.model.cluster import read_cluster
from kubesched.sim.explain import explain
from kubesched.sim.simulate import simulate

API = "resource.k8s.io/v1"
NOT_HELPFUL = "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."


def node(name):
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
            "status": {"allocatable": {"cpu": "2", "memory": "4Gi", "pods": "10"}}}


GPU_CLASS = {"apiVersion": API, "kind": "DeviceClass", "metadata": {"name": "gpu"},
             "spec": {"selectors": [{"cel": {"expression": 'device.driver == "gpu.example.com"'}}]}}
SLICE = {"apiVersion": API, "kind": "ResourceSlice", "metadata": {"name": "n1-gpus"},
         "spec": {"driver": "gpu.example.com", "nodeName": "n1",
                  "pool": {"name": "n1", "generation": 1, "resourceSliceCount": 1}, "devices": [{"name": "gpu-0"}]}}


def claim(name, device_class="gpu"):
    return {"apiVersion": API, "kind": "ResourceClaim", "metadata": {"name": name, "namespace": "default"},
            "spec": {"devices": {"requests": [{"name": "gpu", "exactly": {"deviceClassName": device_class}}]}}}


def pod(name, *, pvc=None, resource_claim=None, affinity=None, never=False):
    spec = {"containers": [{"name": "c", "image": "x", "resources": {"requests": {"cpu": "100m"}}}]}
    if pvc:
        spec["volumes"] = [{"name": "data", "persistentVolumeClaim": {"claimName": pvc}}]
    if resource_claim:
        spec["resourceClaims"] = [{"name": "gpu", "resourceClaimName": resource_claim}]
    if affinity:
        spec["affinity"] = affinity
    if never:
        spec["preemptionPolicy"] = "Never"
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default", "uid": f"{name}-uid"},
            "spec": spec}


CONFLICT = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
    {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]},
                     {"key": "metadata.name", "operator": "In", "values": ["n2"]}]}]}}}


def decided(tmp_path, incoming, *objects, config=None):
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump_all([GPU_CLASS, SLICE, node("n1"), node("n2"), *objects, incoming]))
    case = read_cluster([str(path)], warn=lambda message: None)
    profiles = load_profiles(config)
    (placement,) = simulate(case, profiles).placements
    report = explain(case, profiles, f"default/{incoming['metadata']['name']}")
    assert report["message"] == placement.message  # explain words the same attempt
    assert placement.node is None and report["selectedNode"] is None
    return placement.message


def config(tmp_path, post_filter_disabled=(), disabled_everywhere=()):
    plugins = {"postFilter": {"disabled": [{"name": n} for n in post_filter_disabled]},
               "multiPoint": {"disabled": [{"name": n} for n in disabled_everywhere]}}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration",
                                    "profiles": [{"schedulerName": "default-scheduler", "plugins": plugins}]}))
    return str(path)


@pytest.mark.parametrize("incoming, rejection", [
    (pod("p", pvc="missing"), 'persistentvolumeclaim "missing" not found'),
    (pod("p", affinity=CONFLICT), "pod affinity terms conflict"),
    (pod("p", pvc="missing", never=True), 'persistentvolumeclaim "missing" not found'),  # DefaultPreemption never runs
])
def test_an_earlier_prefilter_rejection_ends_post_filter_at_dynamic_resources(tmp_path, incoming, rejection):
    assert decided(tmp_path, incoming) == f"0/2 nodes are available: {rejection}. not found"


def test_the_volume_prefilter_comes_before_dynamic_resources_own(tmp_path):
    # both reject: VolumeBinding's PreFilter runs first and ends PreFilter
    incoming = pod("p", pvc="missing", resource_claim="tpu-claim")
    assert decided(tmp_path, incoming, claim("tpu-claim", device_class="tpu")) == (
        '0/2 nodes are available: persistentvolumeclaim "missing" not found. not found')


def test_a_pod_with_claims_rejected_by_a_volume_prefilter_deallocates_nothing(tmp_path):
    incoming = pod("p", pvc="missing", resource_claim="gpu-claim")
    assert decided(tmp_path, incoming, claim("gpu-claim")) == (
        '0/2 nodes are available: persistentvolumeclaim "missing" not found. not found')


def test_dynamic_resources_own_prefilter_rejection_keeps_default_preemption(tmp_path):
    incoming = pod("p", resource_claim="tpu-claim")
    assert decided(tmp_path, incoming, claim("tpu-claim", device_class="tpu")) == (
        f"0/2 nodes are available: request gpu: device class tpu does not exist. {NOT_HELPFUL}")


def test_without_dynamic_resources_at_post_filter_default_preemption_answers(tmp_path):
    path = config(tmp_path, post_filter_disabled=["DynamicResources"])
    assert decided(tmp_path, pod("p", pvc="missing"), config=path) == (
        f'0/2 nodes are available: persistentvolumeclaim "missing" not found. {NOT_HELPFUL}')


def test_without_either_post_filter_the_fit_error_stands_alone(tmp_path):
    path = config(tmp_path, post_filter_disabled=["DynamicResources", "DefaultPreemption"])
    assert decided(tmp_path, pod("p", pvc="missing"), config=path) == (
        '0/2 nodes are available: persistentvolumeclaim "missing" not found.')


def test_a_filter_rejection_keeps_default_preemption(tmp_path):
    # NodeAffinity's PreFilter narrows the nodes to one that is not there: a Filter-stage
    # failure, DynamicResources' PreFilter ran
    affinity = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["gone"]}]}]}}}
    assert decided(tmp_path, pod("p", affinity=affinity)) == (
        "0/2 nodes are available: 2 node(s) didn't satisfy plugin(s) [NodeAffinity]. " + NOT_HELPFUL)
