"""Reading manifest files: YAML (multi-document) or JSON, files or directories, with
`kind: List` (and `PodList`, `NodeList`, …) flattened into their items.

Files are read and parsed through the input boundary (kubesched.inputs): regular files or
standard input only, bounded in size, UTF-8, no repeated mapping keys, YAML aliases
bounded. A file that does not parse is an InputError naming the file and the line.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from kubesched.errors import InputError
from kubesched.inputs import STDIN, parse_json, parse_yaml, read_bytes
from kubesched.model.fields import describe
from kubesched.model.json_lists import ListItems, parse_list
from kubesched.model.pod_batches import ListedShape, batchable
from kubesched.model.yaml_replicas import YamlDocuments, parse_replicas

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(slots=True)
class Manifest:
    obj: dict
    file: str
    place: str = ""  # where in the file, for objects without a name: "document 2", "items[4]"
    # An earlier item of the same JSON List whose text is this one's but for the name
    # (kubesched.model.json_lists): a pod reads as that one does, renamed.
    like: Manifest | None = None
    shape: ListedShape | None = None  # read batched: the items of this first one's shape

    @property
    def kind(self) -> str:
        return self.obj["kind"]


def load_manifests(paths: Iterable[str], batched: bool = False) -> list[Manifest]:
    """`batched`: a JSON List of pods alike but for their names is the manifests of the first
    of each shape, each with its `shape` (kubesched.model.pod_batches)."""
    manifests: list[Manifest] = []
    with paused_gc():
        for path in paths:
            for file in _files(path):
                manifests.extend(_load_file(file, batched))
    return manifests


@contextmanager
def paused_gc() -> Iterator[None]:
    """Building hundreds of thousands of small, acyclic dicts triggers the cyclic garbage
    collector again and again for nothing; pausing it halves the time of a big load. What
    was built lives as long as the command, so it is frozen out of later collections too
    (else the first ones after the pause walk all of it, again and again)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.enable()


def _files(path: str) -> list[str]:
    if path == STDIN:
        return [STDIN]
    if os.path.isdir(path):
        found = []
        for root, dirs, files in os.walk(path):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            found.extend(os.path.join(root, f) for f in files
                         if f.endswith(MANIFEST_SUFFIXES) and not f.startswith("."))
        return sorted(found)
    return [path]  # read_bytes says what is wrong with a path that is not a readable file


def _load_file(file: str, batched: bool = False) -> list[Manifest]:
    data = read_bytes(file)
    if file.endswith(".json"):
        listed = parse_list(data, batchable if batched else None)
        if listed is not None:
            return _shapes(listed, file) if listed.shapes is not None else _listed(listed, file)
        documents = [parse_json(data, file)]
    else:
        replicas = parse_replicas(data, file)
        if replicas is not None:
            return _replicated(replicas, file)
        documents = parse_yaml(data, file)
    return _documents(documents, file)[0]


def _documents(documents: list, file: str) -> tuple[list[Manifest], dict[int, Manifest]]:
    """The manifests of a stream's documents, and by document index the manifest of each
    document that is one object."""
    manifests: list[Manifest] = []
    own: dict[int, Manifest] = {}
    for number, document in enumerate(documents, 1):
        if document is None:
            continue
        before = len(manifests)
        _flatten(document, file, f"document {number}" if len(documents) > 1 else "", manifests)
        if len(manifests) == before + 1 and manifests[-1].obj is document:
            own[number - 1] = manifests[-1]
    return manifests, own


def _listed(listed: ListItems, file: str) -> list[Manifest]:
    """The List's manifests, each item that repeats an earlier one linked to it."""
    manifests: list[Manifest] = []
    _flatten(listed.document, file, "", manifests)
    items = listed.document["items"]
    if len(manifests) == len(items):  # else a nested List: no links, the usual reading
        for index, first in enumerate(listed.like):
            if first != index and manifests[index].obj is items[index] and manifests[first].obj is items[first]:
                manifests[index].like = manifests[first]
    return manifests


def _shapes(listed: ListItems, file: str) -> list[Manifest]:
    """The manifests of the first item of each shape, each Pod's with its shape's items (their
    places among the List's pods, as the pods are numbered)."""
    manifests: list[Manifest] = []
    _flatten(listed.document, file, "", manifests)
    pods = [(m, shape) for m, shape in zip(manifests, listed.shapes) if shape is not None]
    is_pod = np.zeros(len(listed.like), dtype=np.int64)
    for _, shape in pods:
        is_pod[shape] = 1
    rank = np.cumsum(is_pod) - 1
    listing = [m for m, _ in pods]  # the List's pod shapes, read together
    for manifest, shape in pods:
        names = np.ascontiguousarray(listed.spans[shape, 2:4])
        manifest.shape = ListedShape(listing, rank[shape], names, listed.data)
    return manifests


def _replicated(replicas: YamlDocuments, file: str) -> list[Manifest]:
    """The stream's manifests, each Pod document that repeats an earlier one linked to it."""
    manifests, own = _documents(replicas.documents, file)
    for index, first in enumerate(replicas.like):
        if first != index and index in own and first in own:
            own[index].like = own[first]
    return manifests


def _named(document: dict, place: str) -> str | None:
    """'object ns/name (document 2)' for an object whose kind is missing or wrong."""
    meta = document.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    if not isinstance(name, str) or not name:
        return None
    namespace = meta.get("namespace") if isinstance(meta.get("namespace"), str) else ""
    label = f"object {namespace}/{name}" if namespace else f"object {name}"
    return f"{label} ({place})" if place else label


def _flatten(document: object, file: str, place: str, out: list[Manifest], item_kind: str = "") -> None:
    where = place or None
    if not isinstance(document, dict):
        raise InputError(f"expected an object (a map with a kind), got {describe(document)}",
                         file=file, obj=where)
    if not isinstance(document.get("kind"), str) or not document.get("kind"):
        where = _named(document, place) or where
    kind = document.get("kind") or item_kind
    if not kind:
        raise InputError("the object has no kind", file=file, obj=where, field="kind")
    if not isinstance(kind, str):
        raise InputError(f"expected a string, got {describe(kind)}", file=file, obj=where, field="kind")
    if kind == "List" or (kind.endswith("List") and "items" in document):
        items = document.get("items") or []
        if not isinstance(items, list):
            raise InputError(f"expected a list, got {describe(items)}", file=file, obj=where, field="items")
        # A typed list (PodList from the API) leaves the kind out of its items.
        inner_kind = kind[:-len("List")] if kind != "List" else ""
        prefix = f"{place}, items" if place else "items"
        for i, item in enumerate(items):
            item_kind_here = item.get("kind") if type(item) is dict else None
            if type(item_kind_here) is str and item_kind_here and not item_kind_here.endswith("List"):
                out.append(Manifest(item, file, f"{prefix}[{i}]"))  # the common case, kept quick
            else:
                _flatten(item, file, f"{prefix}[{i}]", out, inner_kind)
        return
    if not document.get("kind"):
        document = {**document, "kind": kind}
    out.append(Manifest(document, file, place))
