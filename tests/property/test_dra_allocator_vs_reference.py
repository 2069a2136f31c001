"""The DRA allocator against the brute-force reference (tests.reference.dra_reference) on
random small inventories and claims (some devices choosing their nodes, some slices for
another node or of a newer generation): the same devices, or both find none."""

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from kubesched.dra.allocated_state import Shares
from kubesched.dra.allocator import Allocator, ClaimToAllocate
from kubesched.dra.inventory import Inventory
from kubesched.model.dra_objects import parse_claim, parse_class, parse_slice
from tests.reference.dra_reference import reference_allocate
from tests.conformance.dra_builders import DRIVER_A, NODE_1, claim, device, device_class, first_available, node, \
    request, resource_slice

CLASSES = [device_class("class-a", DRIVER_A), device_class("model-x", DRIVER_A,
                                                           ('device.attributes["driver-a"].model == "x"',))]
POLICIES = (None, {"default": "1Gi", "validRange": {"min": "1Gi", "step": "1Gi", "max": "4Gi"}},
            {"default": "2Gi", "validValues": ["2Gi", "3Gi", "4Gi"]})
SELECTORS = ('device.attributes["driver-a"].numa == 0', 'device.capacity["driver-a"].memory.compareTo(quantity("2Gi")) >= 0',
             'device.attributes["driver-a"].model != "y"')


@st.composite
def devices(draw, prefix: str):
    count = draw(st.integers(0, 4))
    result = []
    for i in range(count):
        extra = {}
        if draw(st.integers(0, 5)) == 0:
            extra["taints"] = [{"key": "example.com/t", "effect": draw(st.sampled_from(("NoSchedule", "NoExecute",
                                                                                         "None")))}]
        if draw(st.booleans()) and prefix == "p":
            extra["consumesCounters"] = [{"counterSet": "set", "counters": {"mem": {"value": draw(
                st.sampled_from(("1Gi", "2Gi", "3Gi")))}}}]
        made = device(f"{prefix}-{i}", {"memory": draw(st.sampled_from(("1Gi", "2Gi", "4Gi")))},
                      {"numa": {"int": draw(st.integers(0, 1))}, "model": {"string": draw(st.sampled_from("xy"))}},
                      **extra)
        if draw(st.integers(0, 2)) == 0:  # shared by several claims (consumable capacity)
            made["allowMultipleAllocations"] = True
            made["capacity"]["memory"] = {"value": "4Gi", "requestPolicy": draw(st.sampled_from(POLICIES))}
        result.append(made)
    return result


@st.composite
def inventories(draw):
    slices = [resource_slice("slice-a", draw(devices("a")), pool="pool-a")]
    if draw(st.booleans()):  # a pool of two slices, listed out of name order
        slices += [resource_slice("slice-c", draw(devices("c")), pool="pool-b", count=2),
                   resource_slice("slice-b", draw(devices("b")), pool="pool-b", count=2)]
    if draw(st.booleans()):  # partitionable devices sharing a counter
        counters = resource_slice("slice-q", [], pool="pool-p", count=2,
                                  sharedCounters=[{"name": "set", "counters": {"mem": {"value": "4Gi"}}}])
        del counters["spec"]["devices"]
        slices += [resource_slice("slice-p", draw(devices("p")), pool="pool-p", count=2), counters]
    if draw(st.booleans()):  # devices that each choose their nodes, not all of them this one
        chosen = draw(devices("d"))
        for made in chosen:
            made.update(draw(st.sampled_from(({"nodeName": NODE_1}, {"nodeName": "node-2"}, {"allNodes": True}))))
        slices.append(resource_slice("slice-d", chosen, node_name=None, pool="pool-d", perDeviceNodeSelection=True))
    if draw(st.booleans()):  # another node's slice, or a newer generation of pool-a
        other = draw(st.sampled_from(({"node_name": "node-2", "pool": "pool-e"}, {"pool": "pool-a", "generation": 1})))
        slices.append(resource_slice("slice-e", draw(devices("e")), **other))
    return slices


@st.composite
def one_request(draw, name: str):
    mode = draw(st.sampled_from(("count", "count", "all")))
    more = {}
    if draw(st.integers(0, 3)) == 0:
        more["tolerations"] = [{"key": "example.com/t", "operator": "Exists"}]
    if draw(st.integers(0, 4)) == 0:
        more["adminAccess"] = True
    selectors = tuple(draw(st.lists(st.sampled_from(SELECTORS), max_size=2, unique=True)))
    if draw(st.integers(0, 2)) == 0:
        more["capacity"] = {"requests": {"memory": draw(st.sampled_from(("512Mi", "1Gi", "2Gi", "3Gi")))}}
    class_name = draw(st.sampled_from(("class-a", "class-a", "model-x")))
    if mode == "all":
        return request(name, class_name, count=None, allocationMode="All", selectors=selectors, **more)
    return request(name, class_name, count=draw(st.integers(1, 2)), selectors=selectors, **more)


@st.composite
def claims(draw):
    result = []
    for c in range(draw(st.integers(1, 2))):
        requests = []
        for r in range(draw(st.integers(1, 2))):
            if draw(st.integers(0, 3)) == 0:
                requests.append(first_available(f"req-{r}", draw(one_request("alt-0")), draw(one_request("alt-1"))))
            else:
                requests.append(draw(one_request(f"req-{r}")))
        all_mode = any("exactly" in q and q["exactly"].get("allocationMode") == "All" or
                       any(a.get("allocationMode") == "All" for a in q.get("firstAvailable", ())) for q in requests)
        constraints = None
        if not all_mode and draw(st.booleans()):
            kind = draw(st.sampled_from(("matchAttribute", "distinctAttribute")))
            constraints = [{kind: f"{DRIVER_A}/{draw(st.sampled_from(('numa', 'model')))}"}]
        result.append(claim(f"claim-{c}", *requests, constraints=constraints))
    return result


@settings(max_examples=300, deadline=None)
@given(inventories(), claims(), st.data())
def test_allocator_takes_the_references_devices(slices, claim_objects, data):
    inventory = Inventory([parse_slice(s) for s in slices])
    classes = {c["metadata"]["name"]: parse_class(c) for c in CLASSES}
    ids = [e.device_id for e in inventory.entries]
    allocated = set(data.draw(st.lists(st.sampled_from(ids), max_size=2))) if ids else set()
    shared = [e.device_id for e in inventory.entries if e.device.allow_multiple_allocations]
    shares = Shares({d: {f"held-{i}": {"memory": Fraction(data.draw(st.sampled_from((1, 2, 3))) * 2**30)}}
                     for i, d in enumerate(data.draw(st.lists(st.sampled_from(shared), max_size=2, unique=True)))}
                    if shared else {})
    allocated -= set(shares.by_device)  # a device is held whole or in shares
    parsed = [parse_claim(c) for c in claim_objects]
    ours = Allocator(inventory, classes, allocated, shares).allocate(node(), [ClaimToAllocate(c.key, c.spec)
                                                                              for c in parsed])
    expected = reference_allocate(inventory, classes, allocated, node(), [c.spec for c in parsed], shares)
    if expected is None:
        assert isinstance(ours, str)
    else:
        assert [[(r.request, r.device_id) for r in a.results] for a in ours] == expected
