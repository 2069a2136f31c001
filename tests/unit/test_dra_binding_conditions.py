"""Devices with binding conditions (DRADeviceBindingConditions): read and validated as the API
server does, and searched after the pools without them (so `simulate` takes the device
kube-scheduler takes)."""

from __future__ import annotations

import pytest

from kubesched.dra.allocator import Allocator, ClaimToAllocate
from kubesched.dra.inventory import Inventory
from kubesched.errors import InputError
from kubesched.model.dra_objects import parse_claim, parse_class, parse_slice
from kubesched.model.nodes import parse_node
from tests.conformance.dra_builders import claim, device, device_class, request, resource_slice

ATTACHABLE = {"bindingConditions": ["example.com/attached"], "bindingFailureConditions": ["failed"]}


def test_binding_conditions_are_read():
    [d] = parse_slice(resource_slice("s", [device("d", **ATTACHABLE, bindsToNode=True)])).devices
    assert d.binding_conditions == ("example.com/attached",) and d.binding_failure_conditions == ("failed",)
    assert d.binds_to_node


@pytest.mark.parametrize("fields, field, words", [
    ({"bindingConditions": ["a"]}, "bindingFailureConditions", "bindingFailureConditions are required"),
    ({"bindingFailureConditions": ["a"]}, "bindingConditions", "bindingConditions are required"),
    ({"bindingConditions": ["a", "a"], "bindingFailureConditions": ["b"]}, "bindingConditions[1]", "Duplicate"),
    ({"bindingConditions": ["a"], "bindingFailureConditions": ["a"]}, "bindingFailureConditions[0]", "overlap"),
    ({"bindingConditions": list("abcde"), "bindingFailureConditions": ["f"]}, "bindingConditions", "at most 4"),
    ({"bindingConditions": ["not valid!"], "bindingFailureConditions": ["f"]}, "bindingConditions[0]", "qualified"),
])
def test_invalid_binding_conditions_name_the_field(fields, field, words):
    with pytest.raises(InputError) as caught:
        parse_slice(resource_slice("s", [device("d", **fields)]))
    assert caught.value.field == f"spec.devices[0].{field}"
    assert words in caught.value.problem


def test_pools_with_binding_conditions_are_searched_last():
    slices = [parse_slice(resource_slice("a", [device("att-0", **ATTACHABLE)], pool="a-pool")),
              parse_slice(resource_slice("z", [device("plain-0")], pool="z-pool"))]
    node = parse_node({"metadata": {"name": "node-1"}, "status": {"allocatable": {"cpu": "1", "pods": "10"}}})
    classes = {c.name: c for c in [parse_class(device_class("class-a"))]}
    allocator = Allocator(Inventory(slices), classes, set())
    [first] = allocator.allocate(node, [ClaimToAllocate("default/c", parse_claim(claim("c", request("r"))).spec)])
    assert [r.device for r in first.results] == ["plain-0"]
    [both] = allocator.allocate(node, [ClaimToAllocate("default/c", parse_claim(claim("c", request("r", count=2))).spec)])
    assert [r.device for r in both.results] == ["plain-0", "att-0"]
