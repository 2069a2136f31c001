"""A YAML stream whose documents repeat but for their names is parsed once per shape
(kubesched.model.yaml_replicas): it must read exactly what the careful loader
(kubesched.inputs.parse_yaml) reads, leave to it whatever it refuses (so the messages are
its own), and `simulate` must answer byte for byte as it does without the shortcut."""

import random

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubesched.cli import main
from kubesched.errors import InputError
from kubesched.inputs import parse_yaml
from kubesched.model import manifests, yaml_replicas
from kubesched.model.manifests import load_manifests


def careful(text: str):
    """The careful loader's reading: its documents, written out with their types, or its message."""
    try:
        return repr(parse_yaml(text.encode(), "f.yaml"))
    except InputError as error:
        return str(error)


def shortcut(text: str):
    """The shortcut's reading, or None when it leaves the file to the careful loader."""
    try:
        found = yaml_replicas.parse_replicas(text.encode(), "f.yaml")
    except InputError as error:
        return str(error)
    return None if found is None else repr(found.documents)


POD = """apiVersion: v1
kind: Pod
metadata:
  name: NAME
  namespace: default
spec:
  containers:
  - name: c
    image: pause
    resources: {requests: {cpu: 100m, memory: 100Mi}}
"""
NODE = """kind: Node
metadata:
  name: NAME
  labels:
    kubernetes.io/hostname: NAME
status:
  allocatable: {cpu: '4', pods: '110'}
"""


def stream(template: str, names: list[str], first_marker: bool = False) -> str:
    documents = [template.replace("NAME", name) for name in names]
    return ("---\n" if first_marker else "") + "---\n".join(documents)


def test_replicas_are_read_as_the_careful_loader_reads_them():
    text = stream(POD, ["p-0", "p-1", "p.x-2"]) + "---\n" + stream(NODE, ["n-0", "n-1"])
    found = yaml_replicas.parse_replicas(text.encode(), "f.yaml")
    assert found is not None and repr(found.documents) == careful(text)
    assert found.like == [0, 0, 0, 3, 4]  # pods share the first one's parts, nodes are copies
    pods, nodes = found.documents[:3], found.documents[3:]
    assert pods[1]["metadata"] is not pods[0]["metadata"] and pods[1]["spec"] is pods[0]["spec"]
    assert nodes[1]["metadata"]["labels"]["kubernetes.io/hostname"] == "n-1"
    assert nodes[1]["status"] is not nodes[0]["status"]


def test_a_header_before_the_first_marker_holds_no_document():
    text = "# generated\n" + stream(POD, ["p-0", "p-1", "p-2"], first_marker=True)
    found = yaml_replicas.parse_replicas(text.encode(), "f.yaml")
    assert found is not None and repr(found.documents) == careful(text) and found.like == [0, 0, 0]


@pytest.mark.parametrize("name", ["yes", "on", "off", "no", "y", "true", "null", "123", "0x1f", "0o17", "1e3",
                                  "1.5", "2001-12-14", "1_000", "0b101", "017"])
def test_a_name_that_yaml_reads_as_no_string_is_read_as_yaml_reads_it(name):
    text = stream(POD, ["p-0", "p-1", name, "p-3"])
    assert shortcut(text) == careful(text)
    assert shortcut(text) is not None  # the others are still parsed once


@pytest.mark.parametrize("template", [
    POD.replace("  name: NAME\n", "  name: NAME\n  name: NAME\n"),  # a repeated key
    POD.replace("  name: NAME\n", "  name: &a NAME\n  uid: *a\n"),  # an anchor on the name
    POD.replace("  namespace: default\n", "  namespace: &ns default\n  x: *ns\n"),
    POD.replace("metadata:\n", "metadata: &m\n") + "copy: *m\n",  # the name's mapping aliased
    POD.replace("  namespace: default\n", "  labels: &l\n    host: NAME\n") + "copy: *l\n",
    POD.replace("spec:\n", "spec: &s\n") + "copy: *s\n",
    POD.replace("  namespace: default\n", "  <<: {uid: NAME}\n"),  # a merge key
    POD.replace("  namespace: default\n", "  <<:\n    uid: NAME\n"),
    POD.replace("  namespace: default\n", "  <<:\n    uid: x\n  z:\n    a: NAME\n"),
    POD.replace("spec:\n", "spec: !!set\n") + "  ? NAME\n",
    POD.replace("spec:\n", "spec: !!omap\n") + "  - a: NAME\n",
    POD.replace("  name: NAME\n", "  name: !!str NAME\n"),
    POD.replace("spec:\n", "spec: !!map\n"),
    POD + "  note: |\n    name: NAME\n",  # the name's text inside a block scalar
    POD + "  note: \"a\n    b: NAME\n    c\"\n",  # inside a quoted scalar
    POD + "  other: NAME\n",  # the name twice: both are replaced
    POD + "  list:\n  - x: NAME\n  - NAME\n",
    POD + "  NAME: 1\n",  # as a key: the name left as it is
    POD + "# x: NAME\n",  # in a comment
    POD.replace("    image: pause\n", "\timage: pause\n"),  # a tab: refused
    POD + "  deep: " + "[" * 300 + "]" * 300 + "\n",
    POD + "  big: 123456789012345678901234567890\n",
    POD + "  when: 2001-12-14t21:59:43.10-05:00\n",
    POD + "  nothing: ~\n  inf: .inf\n  nan: .nan\n  sexagesimal: 1:20\n",
    POD + "...\n",
    "%YAML 1.1\n---\n" + POD,
    POD.replace("\n", "\r\n"),
    POD + "  bad: [unclosed\n",
    POD + "  - x\n",
    "metadata:\n  name: NAME\n---\n",
])
def test_hostile_replicas_are_read_as_the_careful_loader_reads_them_or_left_to_it(template):
    for names in (["p-0", "p-1", "p-2"], ["p-0", "p-1", "yes"]):
        for first_marker in (False, True):
            text = stream(template, names, first_marker)
            fast = shortcut(text)
            assert fast is None or fast == careful(text)


def test_a_refused_stream_gets_the_careful_loaders_message(tmp_path):
    path = tmp_path / "pods.yaml"
    path.write_text(stream(POD, ["p-0", "p-1"]) + "---\n" + POD.replace("  name: NAME\n", "  name: p-3\n  name: p-4\n"))
    with pytest.raises(InputError) as caught:
        load_manifests([str(path)])
    assert str(caught.value) == careful(path.read_text()).replace("f.yaml", str(path))
    assert "line 27: invalid YAML: duplicate key 'name' in a mapping" in str(caught.value)


# --- random documents ---------------------------------------------------------------------

_SCALARS = st.one_of(
    st.sampled_from([  # what YAML 1.1 reads as other than a string, quoting, multi-line scalars, flow
        "x", "NAME", "yes", "no", "on", "off", "~", "null", "0x1F", "1e3", "1.0e+3", "017", "0o17", "12:30", "-.inf",
        ".nan", "2001-12-14", "2001-12-14 21:59:43.10 -5", "123456789012345678901234567890", "'NAME'", '"NAME"',
        '"a\\tb"', "'it''s'", "a b", "|\n  NAME\n", ">-\n  a\n  b\n", "''", "\"\\x2d\"", "x # : NAME",
        "[NAME, 1]", "{a: NAME}", "{}", "[]"]),
    st.sampled_from([  # hostile: merge keys, aliases, anchors, tags, a bad value, a misplaced entry, a tab
        "=", "<<", "*a", "&a x", "!!str 1", "!!int '7'", "!!binary aGk=", "- x", "a: b", "\t1"]))
_KEYS = st.sampled_from(["a", "b", "name", "NAME", "1", "'1'", "true", "<<", "? x", "a b", "a"])


@st.composite
def trees(draw, depth: int = 0) -> str:
    """A random block node (the text after `key:`), now and then flow, hostile, or deep."""
    choice = draw(st.integers(0, 9 if depth < 4 else 3))
    indent = "  " * (depth + 1)
    if choice <= 3:
        return " " + draw(_SCALARS).replace("\n", "\n" + indent)
    if choice <= 6:
        items = draw(st.lists(st.tuples(_KEYS, st.deferred(lambda: trees(depth + 1))), min_size=1, max_size=4))
        return "".join(f"\n{indent}{key}:{value}" for key, value in items)
    if choice <= 8:
        items = draw(st.lists(st.deferred(lambda: trees(depth + 1)), min_size=1, max_size=3))
        return "".join(f"\n{indent}-{value}" for value in items)
    return " " + "[" * draw(st.integers(1, 250)) + "]" * draw(st.integers(1, 250))


_NAMES = st.sampled_from(["p-0", "p-1", "p.2", "a", "0", "yes", "1e3", "0x1f", "2001-12-14", "null", "on", "p-0"])


@st.composite
def streams(draw) -> str:
    """Replicas of one or two random templates, each with its name in metadata.name and
    perhaps elsewhere, with random names; now and then one character changed."""
    templates = []
    for _ in range(draw(st.integers(1, 2))):
        body = draw(st.lists(st.tuples(_KEYS, trees()), max_size=4))
        text = "kind: Pod\nmetadata:\n  name: NAME\n" + "".join(f"{key}:{value}\n" for key, value in body)
        templates.append(text)
    documents = [templates[draw(st.integers(0, len(templates) - 1))].replace("NAME", draw(_NAMES))
                 for _ in range(draw(st.integers(2, 6)))]
    text = ("---\n" if draw(st.booleans()) else "") + "---\n".join(documents)
    if draw(st.booleans()):
        at = draw(st.integers(0, len(text) - 1))
        text = text[:at] + draw(st.sampled_from(["\t", ":", "-", "&", "*", "#", "'", "\n", "---\n", " ", "x"])) \
            + text[at + 1:]
    return text


@settings(max_examples=1000, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(streams())
def test_the_shortcut_reads_what_the_careful_loader_reads_or_steps_aside(text):
    fast = shortcut(text)
    assert fast is None or fast == careful(text)


# --- the whole command --------------------------------------------------------------------

def _cluster(rng: random.Random) -> str:
    nodes = stream(NODE, [f"n-{i}" for i in range(6)])
    shapes = [POD, POD.replace("100m", "1500m"), POD.replace("spec:\n", "spec:\n  priority: 5\n"),
              POD.replace("spec:\n", "spec:\n  nodeName: n-2\n"), POD.replace("  namespace: default\n", ""),
              POD + "status: {phase: Succeeded}\n", POD.replace("spec:\n", "spec:\n  nodeSelector: {x: y}\n")]
    pods = []
    for i in range(rng.randint(2, 40)):
        pods.append(rng.choice(shapes).replace("NAME", rng.choice([f"p-{i}", f"p.{i}"])))
    if rng.random() < 0.3:  # one bad or repeated name
        pods[rng.randrange(len(pods))] = POD.replace("NAME", rng.choice(["p-0", "yes", "p" * 254]))
    return nodes + "---\n" + "---\n".join(pods)


def _simulate(path, monkeypatch, shortcut: bool):
    with monkeypatch.context() as patch:
        if not shortcut:
            patch.setattr(manifests, "parse_replicas", lambda data, file: None)
        result = CliRunner().invoke(main, ["simulate", "-f", str(path), "-o", "json"], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("seed", range(25))
def test_simulate_answers_as_without_the_shortcut(seed, tmp_path, monkeypatch):
    """Random clusters with replicas and near-duplicates, some with a bad or repeated name:
    the same output byte for byte, or the same error."""
    path = tmp_path / "in.yaml"
    path.write_text(_cluster(random.Random(seed)))
    fast, plain = _simulate(path, monkeypatch, True), _simulate(path, monkeypatch, False)
    assert fast == plain
    assert yaml_replicas.parse_replicas(path.read_bytes(), str(path)) is not None  # the shortcut was taken


def test_a_stream_without_repeats_is_left_to_the_careful_loader():
    assert yaml_replicas.parse_replicas(stream(POD, ["p-0"]).encode(), "f.yaml") is None
    distinct = "---\n".join(POD.replace("NAME", "p").replace("100m", f"{i + 1}m") for i in range(5))
    assert yaml_replicas.parse_replicas(distinct.encode(), "f.yaml") is None
