"""Reading DRA objects: the API server's rules for the fields the scheduler reads, and the
CEL library (quantity, semver) the selectors use."""

import json

import pytest

from kubesched.dra.cel import CelError, compiled
from kubesched.dra.plugin import template_claim_name
from kubesched.errors import InputError
from kubesched.model.cluster import read_cluster
from kubesched.model.dra_objects import parse_claim, parse_slice
from kubesched.model.dra_records import Attribute, Device
from tests.conformance.dra_builders import claim, device, request, resource_slice


def test_attribute_and_capacity_names_get_the_driver_domain():
    s = parse_slice(resource_slice("s", [device("d", {"memory": "1Gi"}, {"model": {"string": "x"},
                                                                           "other.example.com/y": {"int": 3}})]))
    assert s.devices[0].attributes == {"driver-a/model": Attribute("string", "x"),
                                       "other.example.com/y": Attribute("int", 3)}
    assert s.devices[0].capacity == {"driver-a/memory": 2**30}


@pytest.mark.parametrize("change, field", [
    (lambda s: s["spec"].pop("nodeName"), "spec"),
    (lambda s: s["spec"].update(allNodes=True), "spec"),
    (lambda s: s["spec"]["pool"].update(resourceSliceCount=0), "spec.pool.resourceSliceCount"),
    (lambda s: s["spec"]["devices"].append({"name": "d"}), "spec.devices[1].name"),
    (lambda s: s["spec"]["devices"][0].update(attributes={"v": {"version": "1.02.0"}}), "spec.devices[0].attributes[v].version"),
    (lambda s: s["spec"]["devices"][0].update(attributes={"v": {"int": 1, "string": "x"}}), "spec.devices[0].attributes[v]"),
    (lambda s: s["spec"]["devices"][0].update(name="Not_A_Label"), "spec.devices[0].name"),
])
def test_invalid_slices_name_the_field(change, field):
    obj = resource_slice("s", [device("d")])
    change(obj)
    with pytest.raises(InputError) as error:
        parse_slice(obj)
    assert error.value.field == field


@pytest.mark.parametrize("req, field", [
    ({"name": "r"}, "spec.devices.requests[0]"),
    (request("r", count=0), "spec.devices.requests[0].exactly.count"),
    (request("r", count=2, allocationMode="All"), "spec.devices.requests[0].exactly.count"),
    (request("r", allocationMode="Some"), "spec.devices.requests[0].exactly.allocationMode"),
    (request("r", selectors=("device.driver ==",)), "spec.devices.requests[0].exactly.selectors[0].cel.expression"),
])
def test_invalid_claims_name_the_field(req, field):
    with pytest.raises(InputError) as error:
        parse_claim(claim("c", req))
    assert error.value.field == field


def test_constraint_must_name_a_request_of_the_claim():
    with pytest.raises(InputError, match="must be the name of a request"):
        parse_claim(claim("c", request("r"), constraints=[{"requests": ["other"], "matchAttribute": "a.b/c"}]))


def test_a_bad_object_in_a_file_is_located(tmp_path):
    path = tmp_path / "slices.json"
    bad = resource_slice("s", [device("d")])
    bad["spec"]["pool"]["generation"] = -1
    path.write_text(json.dumps(bad))
    with pytest.raises(InputError) as error:
        read_cluster([str(path)], warn=lambda m: None)
    assert str(error.value) == f"{path}: ResourceSlice s: spec.pool.generation: must be greater than or equal to 0"


def test_only_resource_v1_is_read(tmp_path):
    path = tmp_path / "class.json"
    path.write_text(json.dumps({"apiVersion": "resource.k8s.io/v1beta1", "kind": "DeviceClass",
                                "metadata": {"name": "c"}}))
    with pytest.raises(InputError, match="expected 'resource.k8s.io/v1'"):
        read_cluster([str(path)], warn=lambda m: None)


def _matches(expression: str, attributes=None, capacity=None) -> bool:
    d = Device("d", {f"drv/{k}": v for k, v in (attributes or {}).items()}, {f"drv/{k}": v for k, v in
                                                                           (capacity or {}).items()})
    return compiled(expression).matches(d, "drv")


def test_quantity_functions():
    memory = {"memory": 40 * 2**30}
    assert _matches('device.capacity["drv"].memory.compareTo(quantity("40Gi")) == 0', capacity=memory)
    assert _matches('device.capacity["drv"].memory.isGreaterThan(quantity("39.5Gi"))', capacity=memory)
    assert not _matches('device.capacity["drv"].memory.isLessThan(quantity("40960Mi"))', capacity=memory)
    assert _matches('device.capacity["drv"].memory.asInteger() == 42949672960', capacity=memory)
    assert _matches('quantity("1.5").isInteger() == false && isQuantity("10Gi") && !isQuantity("ten")')


def test_semver_functions():
    version = {"v": Attribute("version", "1.10.0-rc.1")}
    assert _matches('device.attributes["drv"].v.isGreaterThan(semver("1.9.9"))', version)
    assert _matches('device.attributes["drv"].v.isLessThan(semver("1.10.0"))', version)  # a pre-release ranks lower
    assert _matches('device.attributes["drv"].v.minor() == 10', version)
    assert _matches('semver("v1.2", true).compareTo(semver("1.2.0")) == 0 && isSemver("1.0.0")')


def test_a_missing_domain_is_an_empty_map_a_missing_attribute_an_error():
    assert not _matches('"model" in device.attributes["other.example.com"]')
    with pytest.raises(CelError, match="CEL runtime error"):
        _matches('device.attributes["drv"].missing == 1')


def test_template_claim_names_as_the_controller_makes_them():
    assert template_claim_name("pod-0", "gpus", "abcde") == "pod-0-gpus-abcde"
    long_pod, long_claim = "p" * 50, "c" * 20
    name = template_claim_name(long_pod, long_claim, "abcde")
    # both names cut in proportion to their length (72 → 57), no hyphen before the suffix
    assert name == "p" * (50 * 57 // 72) + "-" + "c" * (20 * 57 // 72) + "abcde"


def test_snapshot_dumps_dra_objects_that_read_back(tmp_path):
    from kubesched.plan.cluster_dump import dump_cluster
    from tests.conformance.dra_builders import device_class
    served = {"/apis/resource.k8s.io/v1/resourceslices": [resource_slice("s", [device("d")])],
              "/apis/resource.k8s.io/v1/deviceclasses": [device_class("class-a")],
              "/api/v1/nodes": [{"metadata": {"name": "node-1"}, "status": {"allocatable": {"cpu": "1", "pods": "10"}}}]}

    class Kube:
        def request(self, method, path, body=None, *, query=None, **_):
            items = [{k: v for k, v in o.items() if k not in ("apiVersion", "kind")} for o in served.get(path, [])]
            return json.loads(json.dumps({"kind": "List", "metadata": {}, "items": items}))

    counts = dump_cluster(Kube(), str(tmp_path))
    assert counts["ResourceSlice"] == 1 and counts["DeviceClass"] == 1 and counts["ResourceClaim"] == 0
    cluster = read_cluster([str(tmp_path)], warn=lambda m: None)
    assert [s.name for s in cluster.dra.slices] == ["s"] and list(cluster.dra.classes) == ["class-a"]
