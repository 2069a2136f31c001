"""DeviceTaintRules as upstream's ResourceSlice tracker applies them (rebuilt from the
cases of dynamic-resource-allocation/resourceslice/tracker): a rule's taint is added to
the devices its selector picks by driver, pool and device name (an empty selector picks
every device, no selector none), and the allocator then treats it as a device taint."""

import pytest

from kubesched.dra.allocator import Allocator, ClaimToAllocate
from kubesched.dra.inventory import Inventory
from kubesched.errors import InputError
from kubesched.model.dra_objects import parse_claim, parse_class, read_dra_objects
from kubesched.model.manifests import Manifest
from tests.conformance.dra_builders import DRIVER_A, DRIVER_B, allocate, claim, device, device_class, node, request, \
    resource_slice

TAINT = {"key": "example.com/taint", "value": "tainted", "effect": "NoSchedule"}


def rule(name, selector=None, taint=None):
    spec = {"taint": taint or TAINT}
    if selector is not None:
        spec["deviceSelector"] = selector
    return {"apiVersion": "resource.k8s.io/v1", "kind": "DeviceTaintRule", "metadata": {"name": name}, "spec": spec}


SLICES = [resource_slice("slice-a", [device("device-1"), device("device-2")]),
          resource_slice("slice-b", [device("device-1")], driver=DRIVER_B, pool="pool-2")]


def tainted(rules, slices=SLICES):
    """(slice, device) → the taint keys it has once the rules are applied."""
    objects = read_dra_objects({"ResourceSlice": [Manifest(s, "") for s in slices],
                                "DeviceTaintRule": [Manifest(r, "") for r in rules]})
    return {(s.name, d.name): [(t.key, t.effect) for t in d.taints] for s in objects.slices for d in s.devices}


def test_no_selector_picks_no_device():
    assert all(not keys for keys in tainted([rule("r")]).values())


def test_empty_selector_picks_every_device():
    assert all(keys == [("example.com/taint", "NoSchedule")] for keys in tainted([rule("r", {})]).values())


@pytest.mark.parametrize("selector, picked", [
    ({"driver": DRIVER_A}, {("slice-a", "device-1"), ("slice-a", "device-2")}),
    ({"pool": "pool-2"}, {("slice-b", "device-1")}),
    ({"device": "device-1"}, {("slice-a", "device-1"), ("slice-b", "device-1")}),
    ({"driver": DRIVER_A, "device": "device-2"}, {("slice-a", "device-2")}),
    ({"driver": DRIVER_B, "pool": "pool-1"}, set()),
])
def test_selector_fields_all_match(selector, picked):
    assert {key for key, keys in tainted([rule("r", selector)]).items() if keys} == picked


def test_rules_add_to_the_drivers_taints():
    own = [resource_slice("slice-a", [device("device-1", taints=[{"key": "example.com/own", "effect": "None"}])])]
    assert tainted([rule("r", {}), rule("s", {"device": "device-1"}, {**TAINT, "effect": "NoExecute"})], own) == {
        ("slice-a", "device-1"): [("example.com/own", "None"), ("example.com/taint", "NoSchedule"),
                                  ("example.com/taint", "NoExecute")]}


def test_bad_rule_names_the_field():
    with pytest.raises(InputError, match=r"spec\.taint\.effect"):
        tainted([rule("r", {}, {"key": "example.com/x", "effect": "Sometimes"})])
    with pytest.raises(InputError, match=r"spec\.taint"):
        tainted([{"apiVersion": "resource.k8s.io/v1", "kind": "DeviceTaintRule", "metadata": {"name": "r"}, "spec": {}}])


def _allocate_with(rules, *requests):
    objects = read_dra_objects({"ResourceSlice": [Manifest(s, "") for s in SLICES[:1]],
                                "DeviceTaintRule": [Manifest(r, "") for r in rules]})
    allocator = Allocator(Inventory(objects.slices), {"class-a": parse_class(device_class("class-a", DRIVER_A))}, set())
    parsed = parse_claim(claim("claim-0", *requests))
    result = allocator.allocate(node(), [ClaimToAllocate(parsed.key, parsed.spec)])
    return result if isinstance(result, str) else [[r.device for r in a.results] for a in result]


def test_tainted_by_rule_is_skipped_unless_tolerated():
    rules = [rule("r", {"device": "device-1"})]
    assert _allocate_with(rules, request("req-0")) == [["device-2"]]
    assert _allocate_with(rules, request("req-0", count=2)) == "cannot allocate all claims"
    tolerating = request("req-0", count=2, tolerations=[{"key": "example.com/taint", "operator": "Exists"}])
    assert _allocate_with(rules, tolerating) == [["device-1", "device-2"]]
    informational = [rule("r", {"device": "device-1"}, {**TAINT, "effect": "None"})]
    assert _allocate_with(informational, request("req-0")) == [["device-1"]]


def test_without_rules_the_slices_are_as_published():
    assert allocate([claim("claim-0", request("req-0"))], [device_class("class-a", DRIVER_A)], SLICES[:1]) == [
        [("req-0", DRIVER_A, "pool-1", "device-1")]]
