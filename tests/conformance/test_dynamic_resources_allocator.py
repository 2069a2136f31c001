"""Cases from upstream's allocator table tests (dynamic-resource-allocation/structured,
internal/allocatortesting): the devices the first solution takes, in upstream's order."""

import pytest

from kubesched.dra.allocator import AllocationError
from tests.conformance.dra_builders import (
    DRIVER_A, DRIVER_B, NODE_1, NODE_2, allocate, claim, device, device_class, first_available, node, request,
    resource_slice)

CLASS_A = device_class("class-a", DRIVER_A)
CLASS_B = device_class("class-b", DRIVER_B)
MEMORY = 'device.capacity["driver-a"].memory.compareTo(quantity("{}")) >= 0'


def test_simple():
    slices = [resource_slice("slice-1", [device("device-1")])]
    assert allocate([claim("claim-0", request("req-0"))], [CLASS_A], slices) == [
        [("req-0", DRIVER_A, "pool-1", "device-1")]]


def test_other_node():
    slices = [resource_slice("slice-1", [device("device-1")], node_name=NODE_2)]
    assert allocate([claim("claim-0", request("req-0"))], [CLASS_A], slices) == "cannot allocate all claims"


def test_small_and_large():
    devices = [device("device-1", {"memory": "1Gi"}), device("device-2", {"memory": "2Gi"})]
    claims = [claim("claim-0", request("req-0", selectors=(MEMORY.format("1Gi"),)),
                    request("req-1", selectors=(MEMORY.format("2Gi"),)))]
    assert allocate(claims, [CLASS_A], [resource_slice("slice-1", devices)]) == [
        [("req-0", DRIVER_A, "pool-1", "device-1"), ("req-1", DRIVER_A, "pool-1", "device-2")]]


def test_small_and_large_backtrack_claims():
    # The large device comes first: the small request takes it, then gives it back.
    devices = [device("device-2", {"memory": "2Gi"}), device("device-1", {"memory": "1Gi"})]
    claims = [claim("claim-0", request("req-0", selectors=(MEMORY.format("1Gi"),))),
              claim("claim-1", request("req-1", selectors=(MEMORY.format("2Gi"),)))]
    assert allocate(claims, [CLASS_A], [resource_slice("slice-1", devices)]) == [
        [("req-0", DRIVER_A, "pool-1", "device-1")], [("req-1", DRIVER_A, "pool-1", "device-2")]]


def test_obsolete_slice():
    # A newer generation elsewhere in the pool makes the older one obsolete.
    slices = [resource_slice("slice-a", [device("device-1")], count=2),
              resource_slice("slice-b", [device("device-2")], count=2, generation=1)]
    assert allocate([claim("claim-0", request("req-0"))], [CLASS_A], slices) == "cannot allocate all claims"


def test_incomplete_pool_all_devices_is_an_error():
    slices = [resource_slice("slice-1", [device("device-1")], count=2)]
    with pytest.raises(AllocationError, match="asks for all devices, but resource pool driver-a/pool-1 is currently "
                                              "being updated"):
        allocate([claim("claim-0", request("req-0", count=None, allocationMode="All"))], [CLASS_A], slices)


def test_pools_in_name_order_then_slices_by_name():
    slices = [resource_slice("slice-z", [device("device-z")], pool="pool-b"),
              resource_slice("slice-b", [device("device-b")], pool="pool-a", count=2),
              resource_slice("slice-a", [device("device-a")], pool="pool-a", count=2)]
    assert allocate([claim("claim-0", request("req-0", count=3))], [CLASS_A], slices) == [
        [("req-0", DRIVER_A, "pool-a", "device-a"), ("req-0", DRIVER_A, "pool-a", "device-b"),
         ("req-0", DRIVER_A, "pool-b", "device-z")]]


def test_already_allocated_devices():
    slices = [resource_slice("slice-1", [device("device-1"), device("device-2")])]
    assert allocate([claim("claim-0", request("req-0"))], [CLASS_A], slices,
                    allocated={(DRIVER_A, "pool-1", "device-1")}) == [[("req-0", DRIVER_A, "pool-1", "device-2")]]


def test_all_devices_some_allocated_admin_access():
    slices = [resource_slice("slice-1", [device("device-1"), device("device-2")])]
    admin = claim("claim-0", request("req-0", count=None, allocationMode="All", adminAccess=True))
    assert allocate([admin], [CLASS_A], slices, allocated={(DRIVER_A, "pool-1", "device-1")}) == [
        [("req-0", DRIVER_A, "pool-1", "device-1"), ("req-0", DRIVER_A, "pool-1", "device-2")]]


def test_all_devices_no_solution():
    # "All" takes every device; a second claim then finds none.
    slices = [resource_slice("slice-1", [device("device-1")])]
    claims = [claim("claim-0", request("req-0", count=None, allocationMode="All")),
              claim("claim-1", request("req-1"))]
    assert allocate(claims, [CLASS_A], slices) == "cannot allocate all claims"


def test_several_different_drivers():
    slices = [resource_slice("slice-1", [device("device-1")]),
              resource_slice("slice-2", [device("device-1")], driver=DRIVER_B)]
    claims = [claim("claim-0", request("req-0"), request("req-1", "class-b"))]
    assert allocate(claims, [CLASS_A, CLASS_B], slices) == [
        [("req-0", DRIVER_A, "pool-1", "device-1"), ("req-1", DRIVER_B, "pool-1", "device-1")]]


def test_with_constraint_for_request_retry():
    devices = [device(f"device-{i}", attributes={"driverVersion": {"version": f"{i}.0.0"},
                                                 "stringAttribute": {"string": s}})
               for i, s in ((1, "a"), (2, "b"), (3, "b"))]
    claims = [claim("claim-0", request("req-0"), request("req-1"), constraints=[
        {"requests": ["req-0"], "matchAttribute": f"{DRIVER_A}/driverVersion"},
        {"matchAttribute": f"{DRIVER_A}/stringAttribute"}])]
    assert allocate(claims, [CLASS_A], [resource_slice("slice-1", devices)]) == [
        [("req-0", DRIVER_A, "pool-1", "device-2"), ("req-1", DRIVER_A, "pool-1", "device-3")]]


def test_with_constraint_non_existent_attribute():
    claims = [claim("claim-0", request("req-0"), constraints=[{"matchAttribute": "missing.example.com/x"}])]
    assert allocate(claims, [CLASS_A], [resource_slice("slice-1", [device("device-1")])]) == \
        "cannot allocate all claims"


def test_prioritized_list_first_unavailable():
    slices = [resource_slice("slice-1", [device("device-1")], driver=DRIVER_B)]
    claims = [claim("claim-0", first_available("req-0", request("sub-0", "class-a"), request("sub-1", "class-b")))]
    assert allocate(claims, [CLASS_A, CLASS_B], slices) == [[("req-0/sub-1", DRIVER_B, "pool-1", "device-1")]]


def test_prioritized_list_with_backtracking():
    # req-0 first takes the 8Gi device with its first alternative; req-1 needs it, so req-0
    # falls back to its second alternative.
    slices = [resource_slice("slice-1", [device("device-1", {"memory": "8Gi"})]),
              resource_slice("slice-2", [device("device-2", {"memory": "4Gi"})], pool="pool-2")]
    claims = [claim("claim-0", first_available("req-0", request("sub-0", selectors=(MEMORY.format("8Gi"),)),
                                               request("sub-1", selectors=(MEMORY.format("4Gi"),))),
                    request("req-1", selectors=(MEMORY.format("8Gi"),)))]
    assert allocate(claims, [CLASS_A], slices) == [
        [("req-0/sub-1", DRIVER_A, "pool-2", "device-2"), ("req-1", DRIVER_A, "pool-1", "device-1")]]


def _partitionable(*consumed: str, total: str = "8Gi") -> list[dict]:
    devices = [device(f"device-{i}", consumesCounters=[{"counterSet": "counter-set-1",
                                                        "counters": {"memory": {"value": amount}}}])
               for i, amount in enumerate(consumed, 1)]
    counters = resource_slice("slice-2", [], count=2, sharedCounters=[
        {"name": "counter-set-1", "counters": {"memory": {"value": total}}}])
    del counters["spec"]["devices"]
    return [resource_slice("slice-1", devices, count=2), counters]


def test_partitionable_devices_multiple_devices():
    claims = [claim("claim-0", request("req-0"), request("req-1"))]
    assert allocate(claims, [CLASS_A], _partitionable("4Gi", "6Gi", "4Gi")) == [
        [("req-0", DRIVER_A, "pool-1", "device-1"), ("req-1", DRIVER_A, "pool-1", "device-3")]]


def test_partitionable_devices_no_capacity_available():
    claims = [claim("claim-0", request("req-0"))]
    assert allocate(claims, [CLASS_A], _partitionable("4Gi", "4Gi"),
                    allocated={(DRIVER_A, "pool-1", "device-1")}) == [[("req-0", DRIVER_A, "pool-1", "device-2")]]
    assert allocate(claims, [CLASS_A], _partitionable("6Gi", "4Gi"),
                    allocated={(DRIVER_A, "pool-1", "device-1")}) == "cannot allocate all claims"


def test_tainted_devices_need_a_toleration():
    taints = [device("device-1", taints=[{"key": "example.com/taint", "value": "x", "effect": "NoSchedule"}]),
              device("device-2", taints=[{"key": "example.com/taint", "value": "x", "effect": "NoExecute"}])]
    slices = [resource_slice("slice-1", taints)]
    assert allocate([claim("claim-0", request("req-0"))], [CLASS_A], slices) == "cannot allocate all claims"
    tolerating = request("req-0", tolerations=[{"key": "example.com/taint", "operator": "Exists",
                                                "effect": "NoExecute"}])
    assert allocate([claim("claim-0", tolerating)], [CLASS_A], slices) == [
        [("req-0", DRIVER_A, "pool-1", "device-2")]]


def test_taint_without_effect_does_not_prevent():
    slices = [resource_slice("slice-1", [device("device-1", taints=[{"key": "example.com/t", "effect": "None"}])])]
    assert allocate([claim("claim-0", request("req-0"))], [CLASS_A], slices) == [
        [("req-0", DRIVER_A, "pool-1", "device-1")]]


def test_network_attached_device_everywhere_its_selector_matches():
    selector = {"nodeSelectorTerms": [{"matchExpressions": [{"key": "region", "operator": "In",
                                                             "values": ["region-1"]}]}]}
    slices = [resource_slice("slice-1", [device("device-1")], node_name=None, nodeSelector=selector)]
    assert allocate([claim("claim-0", request("req-0"))], [CLASS_A], slices, on=node(NODE_2)) == [
        [("req-0", DRIVER_A, "pool-1", "device-1")]]
    assert allocate([claim("claim-0", request("req-0"))], [CLASS_A], slices,
                    on=node(NODE_2, {"region": "region-2"})) == "cannot allocate all claims"


def test_too_many_devices_single_request():
    slices = [resource_slice("slice-1", [device(f"device-{i}") for i in range(40)])]
    with pytest.raises(AllocationError, match="exceeds the claim limit of 32"):
        allocate([claim("claim-0", request("req-0", count=33))], [CLASS_A], slices)


def test_duplicate_device_names_make_the_pool_invalid():
    slices = [resource_slice("slice-1", [device("device-1")], count=2),
              resource_slice("slice-2", [device("device-1")], count=2)]
    assert allocate([claim("claim-0", request("req-0"))], [CLASS_A], slices) == \
        "invalid resource pools were encountered"


def test_cel_semver_and_string_functions():
    devices = [device("device-1", attributes={"driverVersion": {"version": "1.2.0"}, "model": {"string": "a100"}}),
               device("device-2", attributes={"driverVersion": {"version": "2.0.0-rc.1"}, "model": {"string": "h100"}})]
    selector = ('device.attributes["driver-a"].driverVersion.isGreaterThan(semver("1.9.0")) && '
                'device.attributes["driver-a"].model.startsWith("h")')
    assert allocate([claim("claim-0", request("req-0", selectors=(selector,)))], [CLASS_A],
                    [resource_slice("slice-1", devices)]) == [[("req-0", DRIVER_A, "pool-1", "device-2")]]


def test_cel_runtime_error_stops_allocation():
    selector = 'device.attributes["driver-a"].missing == "x"'
    with pytest.raises(AllocationError, match="claim default/claim-0: selector #0 on device driver-a/pool-1/device-1: "
                                              "CEL runtime error"):
        allocate([claim("claim-0", request("req-0", selectors=(selector,)))], [CLASS_A],
                 [resource_slice("slice-1", [device("device-1")])])


@pytest.mark.parametrize("name", [NODE_1])
def test_local_node_selector(name):
    from kubesched.dra.allocator import Allocator, ClaimToAllocate
    from kubesched.dra.inventory import Inventory
    from kubesched.model.dra_objects import parse_claim, parse_class, parse_slice
    inventory = Inventory([parse_slice(resource_slice("slice-1", [device("device-1")]))])
    parsed = parse_claim(claim("claim-0", request("req-0")))
    [allocation] = Allocator(inventory, {"class-a": parse_class(CLASS_A)}, set()).allocate(
        node(name), [ClaimToAllocate(parsed.key, parsed.spec)])
    assert allocation.raw_node_selector == {"nodeSelectorTerms": [{"matchFields": [
        {"key": "metadata.name", "operator": "In", "values": [name]}]}]}
