"""A JSON List whose items repeat but for their names is parsed once per shape
(kubesched.model.json_lists): it must read exactly what the usual parse reads, refuse what
it refuses, and `simulate` must answer byte for byte as it does without the shortcut."""

import json
import random

import orjson
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubesched.cli import main
from kubesched.errors import InputError
from kubesched.inputs import parse_json
from kubesched.model import json_lists, manifests
from kubesched.model.cluster import read_cluster


def usual(text: bytes):
    try:
        return parse_json(text, "f.json")
    except InputError as error:
        return error


def pod(name: str, cpu: str = "100m", labels: dict | None = None, **spec) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default",
                                                            "labels": labels or {}},
            "spec": {"containers": [{"name": "c", "image": "pause",
                                     "resources": {"requests": {"cpu": cpu, "memory": "100Mi"}}}], **spec}}


def listed(items: list) -> bytes:
    return orjson.dumps({"apiVersion": "v1", "kind": "List", "items": items})


def test_repeats_are_read_as_the_usual_parse_reads_them():
    text = listed([pod(f"p-{i}") for i in range(5)] + [pod("q-0", cpu="200m"), pod("p-x.y")])
    found = json_lists.parse_list(text)
    assert found is not None and found.like == [0, 0, 0, 0, 0, 5, 0]
    assert found.document == usual(text)
    # a renamed repeat has its own metadata, the rest shared with the first
    items = found.document["items"]
    assert items[1]["metadata"] is not items[0]["metadata"] and items[1]["spec"] is items[0]["spec"]


def test_other_kinds_that_repeat_get_objects_of_their_own():
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n"},
            "status": {"allocatable": {"cpu": "1", "pods": "10"}}}
    text = listed([{**node, "metadata": {"name": f"n-{i}"}} for i in range(3)])
    found = json_lists.parse_list(text)
    assert found.document == usual(text)
    assert found.document["items"][1]["status"] is not found.document["items"][0]["status"]


@pytest.mark.parametrize("text", [
    b'{"kind": "List", "items": [{"metadata": {"name": "a"}}, {"metadata": {"name": "b"}}, ]}',  # trailing comma
    b'{"kind": "List", "items": [{"metadata": {"name": "a"}} {"metadata": {"name": "b"}}]}',  # no comma
    b'{"kind": "List", "items": [{"metadata": {"name": "a"}}, {"metadata": {"name": "b"}}]',  # unclosed
    b'{"kind": "List", "items": [{"metadata": {"name": "a", "name": "b"}}, {"metadata": {"name": "c", "name": "b"}}]}',
    b'{"kind": "List", "items": [{"metadata": {"name": "a"}, "x": 1, "x": 2}, {"metadata": {"name": "b"}, "x": 1, "x": 2}]}',
    b'{"kind": "List", "items": [{"metadata": {"name": "a"}}, {"metadata": {"name": "b"}}], "items": []}',
    b'{"kind": "List", "items": [{"metadata": {"name": "a"}, "v": 01}, {"metadata": {"name": "b"}, "v": 01}]}',
])
def test_what_the_usual_parse_refuses_is_never_read(text):
    assert isinstance(usual(text), InputError)
    assert json_lists.parse_list(text) is None


_names = st.text("abcz019.-", min_size=1, max_size=8)
_separators = st.sampled_from([",", ", ", " ,\n  ", ",\t"])


@st.composite
def list_texts(draw) -> bytes:
    """A List of pods written with varied spacing, repeats and near-duplicates (one field
    different), now and then one byte changed anywhere (valid or not)."""
    kinds = [pod("base"), pod("base", cpu="101m"), pod("base", labels={"a": "b"}), pod("base", nodeName="n-1"),
             {"metadata": {"name": "base"}}, {"kind": "Pod", "metadata": {"nam": "base"}}, [1, 2], "x"]
    common = st.sampled_from([0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7])  # mostly one shape: repeats
    chosen = draw(st.lists(st.tuples(common, _names), min_size=2, max_size=12))
    parts = []
    for number, name in chosen:
        item = json.loads(json.dumps(kinds[number]))
        if isinstance(item, dict) and "name" in item.get("metadata", {}):
            item["metadata"]["name"] = name
        parts.append(json.dumps(item, separators=draw(st.sampled_from([(",", ":"), (", ", ": ")]))))
    text = '{"kind": "List", "items": [' + "".join(
        part + (draw(_separators) if i < len(parts) - 1 else "") for i, part in enumerate(parts)) + "]}"
    data = bytearray(text.encode())
    if draw(st.booleans()):
        at = draw(st.integers(0, len(data) - 1))
        data[at] = draw(st.sampled_from(b'{}[],:"\\ a0\x00\xff'))
    return bytes(data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(list_texts())
def test_the_shortcut_reads_what_the_usual_parse_reads_or_steps_aside(text):
    found = json_lists.parse_list(text)
    if found is not None:
        assert found.document == usual(text)


def _cluster(rng: random.Random) -> list:
    nodes = [{"apiVersion": "v1", "kind": "Node", "metadata": {"name": f"n-{i}", "labels": {"zone": f"z{i % 2}"}},
              "status": {"allocatable": {"cpu": "2", "memory": "4Gi", "pods": "10"}}} for i in range(6)]
    shapes = [pod("x"), pod("x", cpu="1500m"), pod("x", labels={"app": "a"}), pod("x", priority=5),
              pod("x", nodeSelector={"zone": "z1"}), pod("x", nodeName="n-2"), pod("x", cpu="3"),
              pod("x", tolerations=[{"key": "k", "operator": "Exists"}]),
              # what the reading of a repeat skips: a finished pod, a nomination, a controller
              {**pod("x"), "status": {"phase": "Succeeded"}}, {**pod("x", priority=9), "status": {"nominatedNodeName": "n-1"}},
              {**pod("x", labels={"app": "r"}), "metadata": {"name": "x", "namespace": "default", "labels": {"app": "r"},
                                                            "ownerReferences": [_CONTROLLER]}}]
    replica_set = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "rs", "namespace": "default"},
                   "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "r"}},
                            "template": {"metadata": {"labels": {"app": "r"}}, "spec": pod("t")["spec"]}}}
    pods = []
    for i in range(rng.randint(2, 40)):
        item = json.loads(json.dumps(rng.choice(shapes)))
        item["metadata"]["name"] = rng.choice([f"p-{i}", f"p.{i}"])
        pods.append(item)
    if rng.random() < 0.3:  # one bad or repeated name
        rng.choice(pods)["metadata"]["name"] = rng.choice(["p-0", "P-9", "-p", "p" * 254])
    return nodes + [replica_set] + pods


_CONTROLLER = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "u", "controller": True}


def _simulate(path, monkeypatch, shortcut: bool):
    with monkeypatch.context() as patch:
        if not shortcut:
            patch.setattr(manifests, "parse_list", lambda data, batched=None: None)
        result = CliRunner().invoke(main, ["simulate", "-f", str(path), "-o", "json"], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("seed", range(25))
def test_simulate_answers_as_without_the_shortcut(seed, tmp_path, monkeypatch):
    """Random clusters with repeated pods and near-duplicates, some with a bad or repeated
    name: the same output byte for byte, or the same error."""
    path = tmp_path / "in.json"
    path.write_bytes(listed(_cluster(random.Random(seed))))
    fast, plain = _simulate(path, monkeypatch, True), _simulate(path, monkeypatch, False)
    assert fast == plain
    assert json_lists.parse_list(path.read_bytes()) is not None  # the shortcut was taken


def test_a_repeat_with_a_bad_name_is_named_in_the_error(tmp_path):
    path = tmp_path / "in.json"
    path.write_bytes(listed([pod("p-0"), pod("p-1"), pod("p-" + "x" * 300)]))
    with pytest.raises(InputError, match=r"Pod default/p-x+.*metadata\.name"):
        read_cluster([str(path)])
    path.write_bytes(listed([pod("p-0"), pod("p-1"), pod("p-0")]))
    with pytest.raises(InputError, match=r"Pod default/p-0: metadata\.name: duplicate pod"):
        read_cluster([str(path)])


def test_a_list_without_early_repeats_is_left_to_the_usual_parse():
    distinct = [pod(f"p-{i}", cpu=f"{i + 1}m") for i in range(json_lists._LOOK_AHEAD + 1)]
    assert json_lists.parse_list(listed(distinct + [pod("q-0"), pod("q-1")])) is None
    assert json_lists.parse_list(listed(distinct[:-2] + [pod("q-0"), pod("q-1")])) is not None
