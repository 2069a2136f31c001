"""Binding conditions in the allocation result (DRADeviceBindingConditions, beta and on in
v1.37), rebuilt from upstream's allocator table tests (device-binding-conditions,
binding-conditions-*, node-restriction, partitionable-devices-with-binding-conditions-*):
a device's bindingConditions and bindingFailureConditions are copied into its result,
for PreBind to wait on; pools with such devices are searched last; bindsToNode pins the
allocation to the node; and Filter takes an allocated claim whose binding failed or timed
out as not available on any node (isClaimReadyForBinding, isClaimTimeout)."""

from datetime import datetime, timedelta, timezone

from kubesched.dra.allocator import Allocator, ClaimToAllocate
from kubesched.dra.binding import binding_failed
from kubesched.dra.inventory import Inventory
from kubesched.model.dra_objects import parse_claim, parse_class, parse_slice
from tests.conformance.dra_builders import DRIVER_A, NODE_1, claim, device, device_class, node, request, \
    resource_slice

CLASS_A = device_class("class-a", DRIVER_A)


def conditioned(name, ready, failed, **more):
    return device(name, bindingConditions=[ready], bindingFailureConditions=[failed], **more)


def allocate(claims, slices):
    inventory = Inventory([parse_slice(s) for s in slices])
    allocator = Allocator(inventory, {"class-a": parse_class(CLASS_A)}, set())
    parsed = [parse_claim(c) for c in claims]
    result = allocator.allocate(node(), [ClaimToAllocate(c.key, c.spec) for c in parsed])
    assert not isinstance(result, str), result
    return result


def _conditions(allocation):
    return [(r.request, r.device, r.binding_conditions, r.binding_failure_conditions) for r in allocation.results]


def test_conditions_are_copied_into_the_result():
    [allocation] = allocate([claim("claim-0", request("req-0"))],
                            [resource_slice("slice-1", [conditioned("device-1", "IsPrepare", "BindingFailed")])])
    assert _conditions(allocation) == [("req-0", "device-1", ("IsPrepare",), ("BindingFailed",))]
    assert allocation.results[0].to_json() == {"request": "req-0", "driver": DRIVER_A, "pool": "pool-1",
                                               "device": "device-1", "bindingConditions": ["IsPrepare"],
                                               "bindingFailureConditions": ["BindingFailed"]}


def test_each_device_its_own_conditions():
    devices = [conditioned(f"device-{i}", f"IsPrepare{i}", f"BindingFailed{i}") for i in (1, 2, 3)]
    [allocation] = allocate([claim("claim-0", request("req-0", count=2), request("req-1"))],
                            [resource_slice("slice-1", devices)])
    assert _conditions(allocation) == [("req-0", "device-1", ("IsPrepare1",), ("BindingFailed1",)),
                                       ("req-0", "device-2", ("IsPrepare2",), ("BindingFailed2",)),
                                       ("req-1", "device-3", ("IsPrepare3",), ("BindingFailed3",))]


def test_with_and_without_conditions():
    devices = [device("device-1"), conditioned("device-2", "IsPrepare", "BindingFailed")]
    [allocation] = allocate([claim("claim-0", request("req-0"), request("req-1"))], [resource_slice("slice-1", devices)])
    assert _conditions(allocation) == [("req-0", "device-1", (), ()),
                                       ("req-1", "device-2", ("IsPrepare",), ("BindingFailed",))]
    assert "bindingConditions" not in allocation.results[0].to_json()


def test_pools_with_conditions_come_last():
    slices = [resource_slice("slice-a", [conditioned("device-a", "IsPrepare", "BindingFailed")], pool="pool-a"),
              resource_slice("slice-b", [device("device-b")], pool="pool-b")]
    [allocation] = allocate([claim("claim-0", request("req-0"))], slices)
    assert [(r.pool, r.device) for r in allocation.results] == [("pool-b", "device-b")]
    [both] = allocate([claim("claim-0", request("req-0", count=2))], slices)
    assert [r.device for r in both.results] == ["device-b", "device-a"]


def test_binds_to_node_pins_the_allocation():
    network = resource_slice("slice-1", [device("device-1", bindsToNode=True)], node_name=None,
                             nodeSelector={"nodeSelectorTerms": [{"matchExpressions": [
                                 {"key": "region", "operator": "In", "values": ["region-1"]}]}]})
    [allocation] = allocate([claim("claim-0", request("req-0"))], [network])
    assert allocation.raw_node_selector == {"nodeSelectorTerms": [{"matchFields": [
        {"key": "metadata.name", "operator": "In", "values": [NODE_1]}]}]}


def _partition(name, memory, **more):
    return device(name, {"memory": memory}, consumesCounters=[
        {"counterSet": "counter-set-1", "counters": {"memory": {"value": memory}}}], **more)


def test_partitions_some_with_conditions():
    devices = [_partition("device-1", "2Gi", bindingConditions=["IsPrepare"], bindingFailureConditions=["BindingFailed"]),
               _partition("device-2", "2Gi"),
               _partition("device-3", "4Gi", bindingConditions=["IsReady"], bindingFailureConditions=["BindingTimeout"])]
    slices = [resource_slice("slice-1", devices, count=2),
              resource_slice("slice-2", [], count=2,
                             sharedCounters=[{"name": "counter-set-1", "counters": {"memory": {"value": "8Gi"}}}])]
    [allocation] = allocate([claim("claim-0", request("req-0", count=3))], slices)
    assert _conditions(allocation) == [("req-0", "device-1", ("IsPrepare",), ("BindingFailed",)),
                                       ("req-0", "device-2", (), ()),
                                       ("req-0", "device-3", ("IsReady",), ("BindingTimeout",))]


# -- Filter: an allocated claim whose binding failed or timed out ------------------------------

def _allocated(status_devices=None, at="2026-01-01T00:00:00Z"):
    result = {"request": "req-0", "driver": DRIVER_A, "pool": "pool-1", "device": "device-1",
              "bindingConditions": ["IsPrepared"], "bindingFailureConditions": ["BindingFailed"]}
    status = {"allocation": {"devices": {"results": [result]}, "allocationTimestamp": at}}
    if status_devices is not None:
        status["devices"] = [{"driver": DRIVER_A, "pool": "pool-1", "device": "device-1",
                              "conditions": [{"type": t, "status": v, "reason": "R", "message": "",
                                              "lastTransitionTime": at} for t, v in status_devices.items()]}]
    obj = claim("claim-0", request("req-0"))
    obj["status"] = status
    return parse_claim(obj)


NOW = datetime(2026, 1, 1, 0, 5, tzinfo=timezone.utc)  # five minutes after the allocation


def test_binding_failure_condition_makes_the_claim_unavailable():
    assert binding_failed(_allocated({"BindingFailed": "True"}), NOW)
    assert not binding_failed(_allocated({"BindingFailed": "False", "IsPrepared": "False"}), NOW)
    assert not binding_failed(_allocated({"IsPrepared": "True"}), NOW)


def test_binding_times_out_after_the_binding_timeout():
    later = NOW + timedelta(minutes=6)  # eleven minutes: past the 600 s default
    assert not binding_failed(_allocated(), NOW)
    assert binding_failed(_allocated(), later)
    assert binding_failed(_allocated({"IsPrepared": "False"}), later)
    assert not binding_failed(_allocated({"IsPrepared": "True"}), later)  # ready: no timeout
    assert not binding_failed(_allocated(at=""), later)  # no allocationTimestamp: no timeout
