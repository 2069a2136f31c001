"""JSON input parsed in C (orjson) when that gives what the careful parser gives, and by the
careful parser (repeated keys refused, big integers kept exact) otherwise."""

import json

import pytest

from kubesched import inputs
from kubesched.errors import InputError


def careful(text: bytes):
    return json.loads(text)


@pytest.mark.parametrize("text", [
    b'{"kind": "Pod", "metadata": {"name": "a", "labels": {"x": "1:2", "y": "::"}}}',
    b'{"a": "http://host:80/path", "b": [1, 2.5, -3, true, null, {"c": ":"}]}',
    b'[]', b'3', b'"just a string with : colons"',
    '{"name": "caf\u00e9 \u2603:"}'.encode(),
    b'{"big": 922337203685477580}',
])
def test_the_fast_path_reads_what_the_careful_parser_reads(text):
    assert inputs.parse_json_fast(text) == careful(text)
    assert inputs.parse_json(text, "f.json") == careful(text)


@pytest.mark.parametrize("text", [
    b'{"a": 1, "a": 2}',
    b'{"items": [{"metadata": {"name": "x", "name": "y"}}]}',
    b'{"a": {"k": "v:w"}, "a": {"k": "v:w"}}',  # the repeat carries colons of its own
    b'{"a": "\\u003a", "b": 1}',  # an escaped colon: counting cannot tell, the careful parser decides
    b'{"size": 1180591620717411303424}',  # past 64 bits: orjson would make it a float
    b'\xef\xbb\xbf{"a": 1}',  # a byte-order mark
    b'{"a": NaN}',
])
def test_the_careful_parser_decides_what_counting_cannot(text):
    assert inputs.parse_json_fast(text) is inputs.SLOW


def test_repeated_keys_are_still_refused_by_name():
    with pytest.raises(InputError, match="f.json: invalid JSON: duplicate key 'name' in a mapping"):
        inputs.parse_json(b'{"items": [{"metadata": {"name": "x", "name": "y"}}]}', "f.json")


def test_big_integers_stay_exact():
    assert inputs.parse_json(b'{"size": 1180591620717411303424}', "f.json") == {"size": 2**70}
