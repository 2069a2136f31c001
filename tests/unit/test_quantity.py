"""resource.Quantity parsing: exact values, rounding up, and refusing garbage."""

from fractions import Fraction

import pytest

from kubesched.model.quantity import (is_extended_resource, parse_quantity, resource_amount, to_milli,
                                      to_units)

MI = 2**20


@pytest.mark.parametrize("text, value", [
    ("1", Fraction(1)),
    ("0", Fraction(0)),
    ("100m", Fraction(1, 10)),
    ("0.1", Fraction(1, 10)),
    (".5", Fraction(1, 2)),
    ("5.", Fraction(5)),
    ("+1.5", Fraction(3, 2)),
    ("-2", Fraction(-2)),
    ("1n", Fraction(1, 10**9)),
    ("1u", Fraction(1, 10**6)),
    ("2k", Fraction(2000)),
    ("3M", Fraction(3 * 10**6)),
    ("1G", Fraction(10**9)),
    ("1T", Fraction(10**12)),
    ("1P", Fraction(10**15)),
    ("1E", Fraction(10**18)),  # exa, not an exponent
    ("1Ki", Fraction(1024)),
    ("500Mi", Fraction(500 * MI)),
    ("1.5Gi", Fraction(3 * 2**29)),
    ("1Ti", Fraction(2**40)),
    ("1Pi", Fraction(2**50)),
    ("1Ei", Fraction(2**60)),
    ("1e3", Fraction(1000)),
    ("1E3", Fraction(1000)),
    ("1E-3", Fraction(1, 1000)),
    ("12e6", Fraction(12 * 10**6)),
    ("129e6", Fraction(129 * 10**6)),
    ("1.5e+2", Fraction(150)),
])
def test_parse_quantity_strings(text, value):
    assert parse_quantity(text) == value


@pytest.mark.parametrize("number, value", [
    (1, Fraction(1)),
    (0.5, Fraction(1, 2)),
    (0.1, Fraction(1, 10)),  # what was written, not the nearest binary float
    (1e-05, Fraction(1, 100000)),
    (250, Fraction(250)),
])
def test_parse_quantity_yaml_numbers(number, value):
    assert parse_quantity(number) == value


@pytest.mark.parametrize("value, words", [
    ("1.2.3", "more than one decimal point"),
    ("10MB", "unknown suffix 'MB'"),
    ("1 Gi", "no spaces"),
    ("", "empty"),
    ("Mi", "does not start with a number"),
    ("1ki", "unknown suffix 'ki'"),
    ("1K", "unknown suffix 'K'"),
    ("1e", "unknown suffix 'e'"),
    ("1e1.5", "unknown suffix"),
    ("abc", "does not start with a number"),
    (" 1", "does not start with a number"),
    ("1e999999999", "exponent out of range"),
    (True, "boolean"),
    (None, "not NoneType"),
    ([1], "not list"),
    (float("nan"), "not a finite number"),
])
def test_parse_quantity_refuses_garbage(value, words):
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
        parse_quantity(value)


@pytest.mark.parametrize("value, milli, units", [
    (Fraction(1, 10), 100, 1),
    (Fraction(3, 2), 1500, 2),
    (Fraction(1, 10000), 1, 1),  # both round up
    (Fraction(0), 0, 0),
    (Fraction(1024), 1024000, 1024),
])
def test_rounding_up(value, milli, units):
    assert to_milli(value) == milli
    assert to_units(value) == units


@pytest.mark.parametrize("resource, value, amount", [
    ("cpu", "100m", 100),
    ("cpu", "0.1", 100),
    ("cpu", "1.5", 1500),
    ("cpu", "1m", 1),
    ("cpu", "0.0001", 1),  # rounded up to a millicore
    ("cpu", "1000000n", 1),
    ("cpu", 2, 2000),
    ("cpu", 0.25, 250),
    ("cpu", "1e3", 1_000_000),
    ("memory", "1Ki", 1024),
    ("memory", "1e3", 1000),
    ("memory", "1E3", 1000),
    ("memory", "500Mi", 500 * MI),
    ("memory", "1.5Gi", 1536 * MI),
    ("memory", "129e6", 129_000_000),
    ("memory", "123Mi", 123 * MI),
    ("memory", "128974848", 128974848),
    ("memory", "0.5", 1),  # bytes round up
    ("ephemeral-storage", "10Gi", 10 * 2**30),
    ("hugepages-2Mi", "4Mi", 4 * MI),
    ("pods", "110", 110),
    ("pods", 110, 110),
    ("nvidia.com/gpu", "2", 2),
    ("nvidia.com/gpu", 1, 1),
    ("example.com/foo", "1k", 1000),
])
def test_resource_amount(resource, value, amount):
    assert resource_amount(resource, value) == amount


@pytest.mark.parametrize("resource, value, words", [
    ("cpu", "-1", "negative"),
    ("memory", "-1Gi", "negative"),
    ("nvidia.com/gpu", "0.5", "whole number"),
    ("nvidia.com/gpu", "500m", "whole number"),
    ("cpu", True, "boolean"),
    ("cpu", {"a": 1}, "not dict"),
    ("memory", "1e30", "too large"),
])
def test_resource_amount_refuses(resource, value, words):
    with pytest.raises(ValueError, match=words):
        resource_amount(resource, value)


def test_booleans_are_not_mistaken_for_cached_numbers():
    assert resource_amount("pods", 1) == 1
    with pytest.raises(ValueError):
        resource_amount("pods", True)


@pytest.mark.parametrize("name, extended", [
    ("nvidia.com/gpu", True),
    ("example.com/foo", True),
    ("cpu", False),
    ("hugepages-1Gi", False),
    ("kubernetes.io/something", False),
    ("foo.kubernetes.io/bar", False),
    ("requests.example.com/foo", False),
])
def test_extended_resource_names(name, extended):
    assert is_extended_resource(name) is extended
