"""Cases rebuilt from upstream's allocator table tests for the features kube-scheduler
v1.37 has on by default beyond the GA ones (internal/allocatortesting: the
consumable-capacity-*, allow-multiple-allocations-*, distinct-constraint-* and
*binding-conditions* cases): devices shared by several claims until their capacity is
used up, the amounts request policies make requests consume, distinctAttribute, and the
binding conditions copied into the results. Capacity names are C identifiers here
(`capacity0`), as the API requires."""

from fractions import Fraction

import pytest

from kubesched.dra.allocated_state import Shares
from kubesched.dra.allocator import AllocationError, Allocator, ClaimToAllocate
from kubesched.dra.inventory import Inventory
from kubesched.model.dra_objects import parse_claim, parse_class, parse_slice
from tests.conformance.dra_builders import DRIVER_A, claim, device, device_class, node, request, resource_slice

CLASS_A = device_class("class-a", DRIVER_A)
SHARED_CLASS = device_class("class-a", DRIVER_A, ("device.allowMultipleAllocations == true",))
DEDICATED_CLASS = device_class("class-a", DRIVER_A, ("device.allowMultipleAllocations == false",))


def shared(name, capacity=None, attributes=None, **more):
    return device(name, capacity, attributes, allowMultipleAllocations=True, **more)


def with_range(dev, value, default="2", low="2", step="2", high="4"):
    """Upstream's withCapacityRequestPolicyRange: default 2, min 2, step 2, max 4 (at most
    the capacity, as the API requires)."""
    if high and Fraction(high) > Fraction(value):
        high = value
    policy = {"default": default, "validRange": {"min": low, **({"step": step} if step else {}),
                                                 **({"max": high} if high else {})}}
    dev.setdefault("capacity", {})["capacity0"] = {"value": value, "requestPolicy": policy}
    return dev


def with_values(dev, value, default, *more):
    """Upstream's withCapacityRequestPolicyValidValues: the default is the smallest value."""
    dev.setdefault("capacity", {})["capacity0"] = {"value": value, "requestPolicy": {
        "default": default, "validValues": [default, *more]}}
    return dev


def asks(name, amount=None, count=1, **more):
    """A request for one device (or `All` with count None), with capacity.requests of capacity0."""
    if amount is not None:
        more["capacity"] = {"requests": {"capacity0": amount}}
    if count is None:
        return request(name, count=None, allocationMode="All", **more)
    return request(name, count=count, **more)


def allocate(claims, classes, slices, shares=None, dedicated=(), fractional=False):
    """(request, device, consumed capacity or None, shared) per result, per claim; or the reason."""
    inventory = Inventory([parse_slice(s) for s in slices])
    allocator = Allocator(inventory, {c["metadata"]["name"]: parse_class(c) for c in classes}, set(dedicated),
                          Shares(shares or {}), fractional=fractional)
    parsed = [parse_claim(c) for c in claims]
    result = allocator.allocate(node(), [ClaimToAllocate(c.key, c.spec) for c in parsed])
    if isinstance(result, str):
        return result
    return [[(r.request, r.device, {k: str(v) for k, v in r.consumed_capacity} or None, bool(r.share_id))
             for r in a.results] for a in result]


def device_id(name):
    return (DRIVER_A, "pool-1", name)


NO = "cannot allocate all claims"


def test_request_for_a_capacity_the_device_lacks():
    slices = [resource_slice("slice-1", [shared("device-1", {"capacity1": "1"})])]
    assert allocate([claim("claim-0", asks("req-0", "1"))], [CLASS_A], slices) == NO
    assert allocate([claim("claim-0", asks("req-0", "1", count=None))], [SHARED_CLASS], slices) == NO


def test_device_without_capacity_is_shared_by_every_claim():
    slices = [resource_slice("slice-1", [shared("device-1")])]
    claims = [claim("claim-0", asks("req-0")), claim("claim-1", asks("req-0"))]
    assert allocate(claims, [SHARED_CLASS], slices) == [[("req-0", "device-1", None, True)],
                                                        [("req-0", "device-1", None, True)]]


def test_no_request_and_no_policy_consumes_everything():
    slices = [resource_slice("slice-1", [shared("device-1", {"capacity0": "1"}), shared("device-2", {"capacity0": "1"})])]
    claims = [claim("claim-0", asks("req-0")), claim("claim-1", asks("req-0"))]
    assert allocate(claims, [SHARED_CLASS], slices) == [[("req-0", "device-1", {"capacity0": "1"}, True)],
                                                        [("req-0", "device-2", {"capacity0": "1"}, True)]]
    one_device = [resource_slice("slice-1", [shared("device-1", {"capacity0": "2"})])]
    assert allocate(claims, [SHARED_CLASS], one_device) == NO


def test_requests_without_policy_share_the_device():
    slices = [resource_slice("slice-1", [shared("device-1", {"capacity0": "2"})])]
    claims = [claim("claim-0", asks("req-0", "1")), claim("claim-1", asks("req-0", "1"))]
    assert allocate(claims, [SHARED_CLASS], slices) == [[("req-0", "device-1", {"capacity0": "1"}, True)],
                                                        [("req-0", "device-1", {"capacity0": "1"}, True)]]


def test_policy_default_when_nothing_is_requested():
    slices = [resource_slice("slice-1", [with_range(shared("device-1"), "4")])]
    claims = [claim("claim-0", asks("req-0")), claim("claim-1", asks("req-0"))]
    assert allocate(claims, [SHARED_CLASS], slices) == [[("req-0", "device-1", {"capacity0": "2"}, True)],
                                                        [("req-0", "device-1", {"capacity0": "2"}, True)]]


def test_zero_request_policy():
    slices = [resource_slice("slice-1", [with_values(shared("device-1"), "1", "0")])]
    claims = [claim("claim-0", asks("req-0")), claim("claim-1", asks("req-0"))]
    assert allocate(claims, [SHARED_CLASS], slices) == [[("req-0", "device-1", {"capacity0": "0"}, True)],
                                                        [("req-0", "device-1", {"capacity0": "0"}, True)]]
    # Asking for 1 rounds up to no valid value: the policy is violated.
    assert allocate([claim("claim-0", asks("req-0", "1"))], [SHARED_CLASS], slices) == NO


def test_range_rounds_up_to_min_and_step():
    slices = [resource_slice("slice-1", [with_range(shared("device-1"), "4")])]
    claims = [claim("claim-0", asks("req-0", "1")), claim("claim-1", asks("req-0", "1"))]
    assert allocate(claims, [SHARED_CLASS], slices) == [[("req-0", "device-1", {"capacity0": "2"}, True)],
                                                        [("req-0", "device-1", {"capacity0": "2"}, True)]]
    assert allocate([claim("claim-0", asks("req-0", "3"))], [SHARED_CLASS], slices) == [
        [("req-0", "device-1", {"capacity0": "4"}, True)]]


def test_range_above_max_and_above_capacity():
    big = [resource_slice("slice-1", [with_range(shared("device-1"), "10")])]
    assert allocate([claim("claim-0", asks("req-0", "6"))], [SHARED_CLASS], big) == NO  # max 4, though 6 < 10
    small = [resource_slice("slice-1", [with_range(shared("device-1"), "2")])]
    claims = [claim("claim-0", asks("req-0", "1")), claim("claim-1", asks("req-0", "2"))]
    assert allocate(claims, [SHARED_CLASS], small) == NO


def test_requests_beyond_int64_cannot_be_rounded():
    slices = [resource_slice("slice-1", [with_range(shared("device-1"), "4"),
                                         shared("device-2", {"capacity0": "36893488147419103232"})])]
    for amount, count in (("18446744073709551616", 1), ("9223372036854775807", 1), ("18446744073709551616", None)):
        with pytest.raises(AllocationError, match="cannot be represented"):
            allocate([claim("claim-0", asks("req-0", amount, count=count))], [SHARED_CLASS], slices)


def test_valid_values_round_up():
    exact = [resource_slice("slice-1", [with_values(shared("device-1"), "4", "1", "2")])]
    assert allocate([claim("claim-0", asks("req-0", "2"))], [SHARED_CLASS], exact) == [
        [("req-0", "device-1", {"capacity0": "2"}, True)]]
    rounded = [resource_slice("slice-1", [with_values(shared("device-1"), "3", "1", "3")])]
    assert allocate([claim("claim-0", asks("req-0", "2"))], [SHARED_CLASS], rounded) == [
        [("req-0", "device-1", {"capacity0": "3"}, True)]]


def test_capacity_other_claims_hold():
    one_device = [resource_slice("slice-1", [with_range(shared("device-1"), "4")])]
    held = {device_id("device-1"): {"other-share": {"capacity0": Fraction(2)}}}
    assert allocate([claim("claim-0", asks("req-0", "2"))], [SHARED_CLASS], one_device, held) == [
        [("req-0", "device-1", {"capacity0": "2"}, True)]]
    two_devices = [resource_slice("slice-1", [with_range(shared("device-1"), "2"), with_range(shared("device-2"), "2")])]
    assert allocate([claim("claim-0", asks("req-0", "2"))], [SHARED_CLASS], two_devices, held) == [
        [("req-0", "device-2", {"capacity0": "2"}, True)]]
    full = [resource_slice("slice-1", [with_range(shared("device-1"), "2")])]
    assert allocate([claim("claim-0", asks("req-0", "2"))], [SHARED_CLASS], full, held) == NO


def test_backtracking_gives_capacity_back():
    # claim-0's requests must match on an attribute: device-2 cannot hold both, device-1 can.
    devices = [with_range(shared("device-2", attributes={"kind": {"string": "one"}}), "2"),
               with_range(shared("device-1", attributes={"kind": {"string": "two"}}), "4")]
    claims = [claim("claim-0", asks("req-0", "2"), asks("req-1", "2"),
                    constraints=[{"matchAttribute": f"{DRIVER_A}/kind"}]),
              claim("claim-1", asks("req-0", "2"))]
    assert allocate(claims, [CLASS_A], [resource_slice("slice-1", devices)]) == [
        [("req-0", "device-1", {"capacity0": "2"}, True), ("req-1", "device-1", {"capacity0": "2"}, True)],
        [("req-0", "device-2", {"capacity0": "2"}, True)]]


def test_first_available_alternative_that_fits():
    slices = [resource_slice("slice-1", [with_range(shared("device-1"), "2")])]
    spec = {"name": "req-0", "firstAvailable": [
        {"name": "sub-0", "deviceClassName": "class-a", "capacity": {"requests": {"capacity0": "4"}}},
        {"name": "sub-1", "deviceClassName": "class-a", "capacity": {"requests": {"capacity0": "2"}}},
        {"name": "sub-2", "deviceClassName": "class-a"}]}
    assert allocate([claim("claim-0", spec)], [SHARED_CLASS], slices) == [
        [("req-0/sub-1", "device-1", {"capacity0": "2"}, True)]]


def test_all_devices_with_capacity():
    slices = [resource_slice("slice-1", [shared("device-1", {"capacity0": "2"}), shared("device-2")])]
    assert allocate([claim("claim-0", asks("req-0", "2", count=None))], [SHARED_CLASS], slices) == [
        [("req-0", "device-1", {"capacity0": "2"}, True)]]
    small = [resource_slice("slice-1", [shared("device-1", {"capacity0": "2"}), shared("device-2", {"capacity0": "1"})])]
    assert allocate([claim("claim-0", asks("req-0", "2", count=None))], [SHARED_CLASS], small) == [
        [("req-0", "device-1", {"capacity0": "2"}, True)]]


def test_all_devices_after_an_earlier_request():
    enough = [resource_slice("slice-1", [shared("device-1", {"capacity0": "2"}), shared("device-2", {"capacity0": "1"})])]
    claims = [claim("claim-0", asks("req-0", "1"), asks("req-1", "1", count=None))]
    assert allocate(claims, [CLASS_A], enough) == [[("req-0", "device-1", {"capacity0": "1"}, True),
                                                    ("req-1", "device-1", {"capacity0": "1"}, True),
                                                    ("req-1", "device-2", {"capacity0": "1"}, True)]]
    short = [resource_slice("slice-1", [shared("device-1", {"capacity0": "1"}), shared("device-2", {"capacity0": "1"})])]
    assert allocate(claims, [CLASS_A], short) == NO
    held = {device_id("device-1"): {"other-share": {"capacity0": Fraction(1)}}}
    alone = [claim("claim-0", asks("req-0", "1", count=None))]
    assert allocate(alone, [CLASS_A], enough, held) == [[("req-0", "device-1", {"capacity0": "1"}, True),
                                                         ("req-0", "device-2", {"capacity0": "1"}, True)]]
    assert allocate(alone, [CLASS_A], short, held) == NO  # device-1 still matches, but is used up


def test_dedicated_device_with_a_capacity_request():
    slices = [resource_slice("slice-1", [device("device-1", {"capacity0": "1"})])]
    assert allocate([claim("claim-0", asks("req-0", "1"))], [DEDICATED_CLASS], slices) == [
        [("req-0", "device-1", None, False)]]
    claims = [claim("claim-0", asks("req-0", "1")), claim("claim-1", asks("req-0", "1"))]
    two = [resource_slice("slice-1", [device("device-1", {"capacity0": "2"})])]
    assert allocate(claims, [DEDICATED_CLASS], two) == NO  # a dedicated device goes to one claim


def test_huge_amounts_are_exact():
    dev = shared("device-1")
    dev["capacity"] = {"capacity0": {"value": "1000000000000000000002", "requestPolicy": {
        "default": "1000000000000000000000", "validRange": {"min": "2"}}}}
    claims = [claim("claim-0", asks("req-0", "2"), asks("req-1", "1000000000000000000000"))]
    assert allocate(claims, [CLASS_A], [resource_slice("slice-1", [dev])]) == [
        [("req-0", "device-1", {"capacity0": "2"}, True),
         ("req-1", "device-1", {"capacity0": "1000000000000000000000"}, True)]]


def test_class_selects_by_allow_multiple_allocations():
    slices = [resource_slice("slice-1", [shared("device-1", {"capacity0": "1"})])]
    assert allocate([claim("claim-0", asks("req-0", "1"))], [DEDICATED_CLASS], slices) == NO


def test_shared_device_already_allocated_whole():
    slices = [resource_slice("slice-1", [with_range(shared("device-1"), "2")])]
    assert allocate([claim("claim-0", asks("req-0", "1"))], [SHARED_CLASS], slices,
                    dedicated=[device_id("device-1")]) == NO


def test_device_no_longer_shared_but_still_held_by_shares():
    dev = device("device-1")
    dev["capacity"] = {"capacity0": {"value": "2"}}
    held = {device_id("device-1"): {"other-share": {"capacity0": Fraction(1)}}}
    slices = [resource_slice("slice-1", [dev])]
    # Not shared any more (the driver changed it), yet the capacity its shares hold counts.
    assert allocate([claim("claim-0", asks("req-0", "2"))], [CLASS_A], slices, held) == NO
    assert allocate([claim("claim-0", asks("req-0"))], [CLASS_A], slices, held) == NO  # asks for all of it
    assert allocate([claim("claim-0", asks("req-0", "1"))], [CLASS_A], slices, held) == [
        [("req-0", "device-1", None, False)]]


COUNTERS = {"name": "counter-set-1", "counters": {"memory": {"value": "8Gi"}}}


def _partition(name, memory, **more):
    return shared(name, {"memory": memory}, consumesCounters=[
        {"counterSet": "counter-set-1", "counters": {"memory": {"value": memory}}}], **more)


def test_shared_partitions_consume_counters_once():
    devices = [_partition("device-1", "4Gi"), _partition("device-2", "6Gi"), _partition("device-3", "4Gi")]
    slices = [resource_slice("slice-1", devices, count=2),
              resource_slice("slice-2", [], count=2, sharedCounters=[COUNTERS])]
    alternatives = {"name": "req-1", "firstAvailable": [
        {"name": "sub-0", "deviceClassName": "class-a", "selectors": [{"cel": {"expression":
            f'device.capacity["{DRIVER_A}"].memory.compareTo(quantity("6Gi")) >= 0'}}]},
        {"name": "sub-1", "deviceClassName": "class-a", "selectors": [{"cel": {"expression":
            f'device.capacity["{DRIVER_A}"].memory.compareTo(quantity("4Gi")) >= 0'}}]}]}
    assert allocate([claim("claim-0", asks("req-0"), alternatives)], [SHARED_CLASS], slices) == [
        [("req-0", "device-1", {"memory": "4294967296"}, True), ("req-1/sub-1", "device-3", {"memory": "4294967296"}, True)]]


def test_counters_of_a_device_shared_in_an_earlier_cycle():
    counters = {"name": "counter-set-1", "counters": {"capacity0": {"value": "1"}}}

    def part(name, mode):
        return shared(name, attributes={"mode": {"string": mode}}, consumesCounters=[
            {"counterSet": "counter-set-1", "counters": {"capacity0": {"value": "1"}}}])
    slices = [resource_slice("slice-1", [part("device-1", "a"), part("device-2", "b")], count=2),
              resource_slice("slice-2", [], count=2, sharedCounters=[counters])]
    held = {device_id("device-1"): {"other-share": None}}
    wanted = claim("claim-0", asks("req-0", selectors=(f'device.attributes["{DRIVER_A}"].mode == "b"',)))
    assert allocate([wanted], [SHARED_CLASS], slices, held) == NO
    # A shared device in use already paid for its counters: it can be shared again.
    again = claim("claim-0", asks("req-0", selectors=(f'device.attributes["{DRIVER_A}"].mode == "a"',)))
    assert allocate([again], [SHARED_CLASS], slices, held) == [[("req-0", "device-1", None, True)]]


# -- distinctAttribute ---------------------------------------------------------------------------

def _attrs(version, numa, flag):
    return {"driverVersion": {"version": version}, "numa": {"int": numa}, "boolAttribute": {"bool": flag}}


def test_distinct_constraints():
    devices = [shared("device-1", attributes=_attrs("1.0.0", 0, True)),
               shared("device-2", attributes=_attrs("1.0.1", 1, False)),
               shared("device-3", attributes=_attrs("1.0.2", 2, True)),
               shared("device-4", attributes=_attrs("1.0.0", 3, True))]
    constraints = [{"distinctAttribute": f"{DRIVER_A}/boolAttribute", "requests": ["req-0", "req-1"]},
                   {"distinctAttribute": f"{DRIVER_A}/driverVersion", "requests": ["req-0", "req-1", "req-2"]},
                   {"distinctAttribute": f"{DRIVER_A}/numa", "requests": ["req-0", "req-1", "req-2", "req-3"]}]
    claims = [claim("claim-0", *(asks(f"req-{i}") for i in range(4)), constraints=constraints)]
    assert allocate(claims, [CLASS_A], [resource_slice("slice-1", devices)]) == [
        [(f"req-{i}", f"device-{i + 1}", None, True) for i in range(4)]]


def _strings(*values):
    return [device(f"device-{i + 1}", attributes={"stringAttribute": {"string": v}}) for i, v in enumerate(values)]


DISTINCT = [{"distinctAttribute": f"{DRIVER_A}/stringAttribute"}]


def test_distinct_within_one_request():
    claims = [claim("claim-0", asks("req-0", count=3), constraints=DISTINCT)]
    assert allocate(claims, [CLASS_A], [resource_slice("slice-1", _strings("value1", "value2", "value1"))]) == NO
    assert allocate(claims, [CLASS_A], [resource_slice("slice-1", _strings("value1", "value2", "value3"))]) == [
        [("req-0", f"device-{i}", None, False) for i in (1, 2, 3)]]


def test_distinct_across_requests_with_counts():
    claims = [claim("claim-0", asks("req-0", count=2), asks("req-1"),
                    constraints=[{**DISTINCT[0], "requests": ["req-0", "req-1"]}])]
    assert allocate(claims, [CLASS_A], [resource_slice("slice-1", _strings("value1", "value2", "value1"))]) == NO


def test_distinct_attribute_not_set():
    claims = [claim("claim-0", asks("req-0"), constraints=DISTINCT)]
    assert allocate(claims, [CLASS_A], [resource_slice("slice-1", [shared("device-1")])]) == NO


def test_distinct_and_one_shared_device():
    devices = [with_range(shared("device-1", attributes={"stringAttribute": {"string": "x"}}), "2")]
    claims = [claim("claim-0", asks("req-0", "1"), asks("req-1", "1"), constraints=DISTINCT)]
    assert allocate(claims, [SHARED_CLASS], [resource_slice("slice-1", devices)]) == NO
    two = [with_range(shared("device-1", attributes={"stringAttribute": {"string": "x"}}), "4"),
           with_range(shared("device-2", attributes={"stringAttribute": {"string": "y"}}), "4")]
    claims = [claim("claim-0", asks("req-0", "2"), asks("req-1", "2"), constraints=DISTINCT)]
    assert allocate(claims, [SHARED_CLASS], [resource_slice("slice-1", two)]) == [
        [("req-0", "device-1", {"capacity0": "2"}, True), ("req-1", "device-2", {"capacity0": "2"}, True)]]


# -- DRAFractionalCapacityRange (beta, off by default in v1.37) -----------------------------------

FRACTIONAL = [resource_slice("slice-1", [with_range(shared("device-1"), "1", default="200m", low="200m",
                                                    step="100m", high="1")])]


def test_fractional_range_off_rounds_in_whole_units():
    # Whole units: min 200m and step 100m both read as 1, so 200m is consumed as 1.
    assert allocate([claim("claim-0", asks("req-0", "200m"))], [SHARED_CLASS], FRACTIONAL) == [
        [("req-0", "device-1", {"capacity0": "1"}, True)]]


def test_fractional_range_on_rounds_in_thousandths():
    assert allocate([claim("claim-0", asks("req-0", "250m"))], [SHARED_CLASS], FRACTIONAL, fractional=True) == [
        [("req-0", "device-1", {"capacity0": "3/10"}, True)]]
