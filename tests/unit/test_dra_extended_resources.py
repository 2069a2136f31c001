"""Extended resources backed by DRA: a pod asking `example.com/gpu` that no node lists in its
allocatable gets devices of the DeviceClass naming that resource, through a claim the
scheduler makes for the pod."""

from __future__ import annotations

import json

import yaml
from click.testing import CliRunner

from kubesched.cli import main
from kubesched.dra.extended import classes_by_resource, claim_spec
from kubesched.model.dra_objects import parse_class
from kubesched.model.pods import PodParser
from tests.conformance.dra_builders import device, device_class, resource_slice
from tests.resources import resources


def gpu_class(name="gpu.example.com", resource="example.com/gpu", created=None):
    obj = device_class(name, extendedResourceName=resource)
    if created:
        obj["metadata"]["creationTimestamp"] = created
    return obj


def node(name):
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
            "status": {"allocatable": {"cpu": "8", "memory": "32Gi", "pods": "110"}}}


def container(name, gpus, **more):
    return {"name": name, "image": "x", "resources": resources({"cpu": "1", "example.com/gpu": str(gpus)}), **more}


def gpu_pod(name, *containers, init=()):
    spec = {"containers": list(containers)}
    if init:
        spec["initContainers"] = list(init)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default", "uid": f"u-{name}"},
            "spec": spec}


def simulate(tmp_path, objects):
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump_all(objects))
    return CliRunner().invoke(main, ["simulate", "-f", str(path), "-o", "json"])


def slices(*counts):
    return [resource_slice(f"node-{i}-gpus", [device(f"gpu-{d}") for d in range(count)], node_name=f"node-{i}",
                           pool=f"node-{i}") for i, count in enumerate(counts, start=1)]


def test_devices_serve_the_resource_no_node_lists(tmp_path):
    objects = [node("node-1"), node("node-2"), gpu_class(), *slices(1, 3), gpu_pod("p", container("c", 2)),
               gpu_pod("q", container("c", 2))]
    result = simulate(tmp_path, objects)
    assert result.exit_code == 0, result.output
    placements = {p["pod"]: p for p in json.loads(result.output)["placements"]}
    first = placements["default/p"]
    assert first["node"] == "node-2"
    [claim] = first["claims"]
    assert claim["claim"].startswith("default/p-extended-resources-")
    assert [(d["request"], d["device"]) for d in claim["devices"]] == \
        [("container-0-request-1", "gpu-0"), ("container-0-request-1", "gpu-1")]
    assert claim["requestMappings"] == [{"containerName": "c", "resourceName": "example.com/gpu",
                                         "requestName": "container-0-request-1"}]
    assert placements["default/q"]["node"] is None
    assert placements["default/q"]["message"] == ("0/2 nodes are available: 2 cannot allocate all claims. preemption: "
                                                  "0/2 nodes are available: 2 Preemption is not helpful for "
                                                  "scheduling.")


def test_without_dynamic_resources_the_resource_is_insufficient(tmp_path):
    objects = [node("node-1"), device_class("other"), *slices(3), gpu_pod("p", container("c", 2))]
    result = simulate(tmp_path, objects)
    [placement] = json.loads(result.output)["placements"]
    assert "Insufficient example.com/gpu" in placement["message"]


def test_device_plugins_serve_it_where_a_node_lists_it_and_devices_elsewhere(tmp_path):
    # node-1 publishes 3 devices; node-2 lists 4 in its allocatable (a device plugin): there
    # NodeResourcesFit counts the resource and no claim is made (upstream's
    # shouldDelegateResourceToDRA and filterExtendedResources)
    advertising = node("node-2")
    advertising["status"]["allocatable"]["example.com/gpu"] = "4"
    pods = [gpu_pod(name, container("c", 2)) for name in ("p1", "p2", "p3", "p4")]
    result = simulate(tmp_path, [node("node-1"), advertising, gpu_class(), *slices(3), *pods])
    assert result.exit_code == 0, result.output
    placements = {p["pod"]: p for p in json.loads(result.output)["placements"]}
    assert [placements[f"default/p{i}"]["node"] for i in range(1, 5)] == ["node-1", "node-2", "node-2", None]
    [claim] = placements["default/p1"]["claims"]
    assert [d["device"] for d in claim["devices"]] == ["gpu-0", "gpu-1"]
    assert "claims" not in placements["default/p2"] or placements["default/p2"]["claims"] == []
    assert placements["default/p4"]["message"] == (
        "0/2 nodes are available: 1 Insufficient example.com/gpu, 1 cannot allocate all claims. preemption: "
        "0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for "
        "scheduling.")


def test_requests_per_container_init_containers_reuse_later_ones():
    classes = {c.name: c for c in map(parse_class, [gpu_class()])}
    mapping = classes_by_resource(classes)
    pod = PodParser().parse(gpu_pod("p", container("a", 1), container("b", 2),
                                    init=[container("i0", 3), container("i1", 1), container("side", 1,
                                                                                            restartPolicy="Always")]))
    spec = claim_spec(pod, ["example.com/gpu"], mapping)
    # i0 wants 3: after side (1), a (1) and b (2) it needs none; i1 reuses side's.
    assert [(r.name, r.exactly.count, r.exactly.device_class_name) for r in spec.requests] == [
        ("container-2-request-1", 1, "gpu.example.com"), ("container-3-request-1", 1, "gpu.example.com"),
        ("container-4-request-1", 2, "gpu.example.com")]


def test_init_container_asking_more_than_the_later_ones_asks_the_rest():
    mapping = classes_by_resource({c.name: c for c in map(parse_class, [gpu_class()])})
    pod = PodParser().parse(gpu_pod("p", container("a", 1), init=[container("i0", 4), container("i1", 2)]))
    spec = claim_spec(pod, ["example.com/gpu"], mapping)
    assert [(r.name, r.exactly.count) for r in spec.requests] == [("container-0-request-1", 3),
                                                                  ("container-2-request-1", 1)]


def test_two_classes_naming_one_resource_the_newer_serves_it_then_the_lower_name():
    older = parse_class(gpu_class("a-old", created="2025-01-01T00:00:00Z"))
    newer = parse_class(gpu_class("z-new", created="2025-06-01T00:00:00Z"))
    same = parse_class(gpu_class("b-same", created="2025-06-01T00:00:00Z"))
    assert classes_by_resource({"a-old": older, "z-new": newer})["example.com/gpu"].name == "z-new"
    assert classes_by_resource({"z-new": newer, "b-same": same})["example.com/gpu"].name == "b-same"
    assert classes_by_resource({"a-old": older})["deviceclass.resource.kubernetes.io/a-old"].name == "a-old"
