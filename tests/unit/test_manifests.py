"""Reading manifest files: YAML streams, JSON, directories, lists, and clear errors."""


import orjson
import pytest

from kubesched.errors import InputError
from kubesched.model.manifests import Manifest, load_manifests


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def kinds(manifests):
    return [(m.kind, m.obj.get("metadata", {}).get("name")) for m in manifests]


def test_multi_document_yaml_skips_empty_documents(tmp_path):
    file = write(tmp_path / "a.yaml", """
---
kind: Node
metadata: {name: n1}
---
---
# only a comment
---
kind: Pod
metadata: {name: p1}
""")
    manifests = load_manifests([file])
    assert kinds(manifests) == [("Node", "n1"), ("Pod", "p1")]
    assert all(m.file == file for m in manifests)


def test_json_file(tmp_path):
    file = write(tmp_path / "a.json", '{"kind": "Pod", "metadata": {"name": "p1"}}')
    assert kinds(load_manifests([file])) == [("Pod", "p1")]


def test_lists_are_flattened(tmp_path):
    file = write(tmp_path / "list.yaml", """
kind: List
items:
- {kind: Node, metadata: {name: n1}}
- kind: List
  items:
  - {kind: Pod, metadata: {name: p1}}
""")
    assert kinds(load_manifests([file])) == [("Node", "n1"), ("Pod", "p1")]


def test_typed_lists_give_their_kind_to_items(tmp_path):
    # what `kubectl get --raw /api/v1/pods` returns: items carry no kind
    file = write(tmp_path / "pods.json", orjson.dumps({
        "kind": "PodList", "apiVersion": "v1",
        "items": [{"metadata": {"name": "p1"}}, {"metadata": {"name": "p2"}}]}).decode())
    manifests = load_manifests([file])
    assert kinds(manifests) == [("Pod", "p1"), ("Pod", "p2")]
    assert manifests[1].place == "items[1]"


def test_an_empty_list_gives_nothing(tmp_path):
    file = write(tmp_path / "a.yaml", "kind: List\nitems: []\n")
    assert load_manifests([file]) == []


def test_directories_are_read_recursively_in_sorted_order(tmp_path):
    write(tmp_path / "b.yaml", "kind: Pod\nmetadata: {name: b}\n")
    write(tmp_path / "a" / "z.yml", "kind: Pod\nmetadata: {name: az}\n")
    write(tmp_path / "a" / "c.json", '{"kind": "Pod", "metadata": {"name": "ac"}}')
    write(tmp_path / "notes.txt", "not a manifest")
    write(tmp_path / ".hidden" / "x.yaml", "kind: Pod\nmetadata: {name: hidden}\n")
    assert [name for _, name in kinds(load_manifests([str(tmp_path)]))] == ["ac", "az", "b"]


def test_files_keep_the_order_given(tmp_path):
    b = write(tmp_path / "b.yaml", "kind: Pod\nmetadata: {name: b}\n")
    a = write(tmp_path / "a.yaml", "kind: Pod\nmetadata: {name: a}\n")
    assert [name for _, name in kinds(load_manifests([b, a]))] == ["b", "a"]


def test_malformed_yaml_names_file_and_line(tmp_path):
    file = write(tmp_path / "bad.yaml", "kind: Pod\nmetadata:\n  name: [unclosed\n")
    with pytest.raises(InputError) as caught:
        load_manifests([file])
    message = str(caught.value)
    assert message.startswith(f"{file}: line ")
    assert "invalid YAML" in message


def test_malformed_json_names_file_and_line(tmp_path):
    file = write(tmp_path / "bad.json", '{\n  "kind": "Pod",\n  "metadata": {"name": }\n}')
    with pytest.raises(InputError, match=r"bad\.json: line 3: invalid JSON"):
        load_manifests([file])


@pytest.mark.parametrize("text, words", [
    ("- a\n- b\n", "expected an object (a map with a kind), got a list"),
    ("just a string\n", "got a string"),
    ("metadata: {name: x}\n", "kind: the object has no kind"),
    ("kind: 3\n", "kind: expected a string, got a number"),
    ("kind: List\nitems: {a: 1}\n", "items: expected a list, got a map"),
    ("kind: List\nitems:\n- 1\n", "items[0]: expected an object"),
])
def test_documents_that_are_not_objects(tmp_path, text, words):
    file = write(tmp_path / "x.yaml", text)
    with pytest.raises(InputError) as caught:
        load_manifests([file])
    assert str(caught.value).startswith(file)
    assert words in str(caught.value)


def test_position_of_a_bad_document_in_a_stream(tmp_path):
    file = write(tmp_path / "x.yaml", "kind: Pod\n---\n[1, 2]\n")
    with pytest.raises(InputError, match="document 2: expected an object"):
        load_manifests([file])


def test_missing_file(tmp_path):
    missing = str(tmp_path / "nope.yaml")
    with pytest.raises(InputError, match="no such file or directory") as caught:
        load_manifests([missing])
    assert caught.value.file == missing


def test_manifest_is_a_small_record():
    manifest = Manifest({"kind": "Pod"}, "f.yaml")
    assert (manifest.obj, manifest.file, manifest.kind) == ({"kind": "Pod"}, "f.yaml", "Pod")


def test_a_big_json_list_takes_the_json_path(tmp_path, monkeypatch):
    pod = {"apiVersion": "v1", "kind": "Pod",
           "spec": {"containers": [{"name": "c", "image": "pause",
                                    "resources": {"requests": {"cpu": "100m", "memory": "500Mi"}}}]}}
    items = [{**pod, "metadata": {"name": f"pod-{i}", "namespace": "default", "labels": {"app": "x"}}}
             for i in range(10_000)]
    file = tmp_path / "pods.json"
    file.write_bytes(orjson.dumps({"kind": "List", "items": items}))
    # The fast path is the JSON parser: a .json file never goes through YAML (checked by
    # making the YAML parser fail, not by a time budget a busy machine could miss).
    from kubesched.model import manifests as module

    monkeypatch.setattr(module, "parse_yaml", lambda *args: pytest.fail("a .json file was parsed as YAML"))
    manifests = load_manifests([str(file)])
    assert len(manifests) == 10_000
    assert manifests[-1].obj["metadata"]["name"] == "pod-9999"


def test_an_object_without_a_kind_is_named(tmp_path):
    file = write(tmp_path / "x.yaml", "kind: Node\nmetadata: {name: n}\n---\nmetadata: {name: web, namespace: shop}\n")
    with pytest.raises(InputError) as caught:
        load_manifests([file])
    assert str(caught.value) == f"{file}: object shop/web (document 2): kind: the object has no kind"
