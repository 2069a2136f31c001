"""Reading manifest files: YAML (multi-document) or JSON, files or directories, with
`kind: List` (and `PodList`, `NodeList`, …) flattened into their items.

JSON goes through orjson, the fast path for big inputs (a dumped cluster); YAML through
libyaml's loader when PyYAML has it. A file that does not parse is an InputError naming
the file and the line.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import orjson
import yaml

from kubesched.errors import InputError
from kubesched.model.fields import describe

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
STDIN = "-"


@dataclass(slots=True)
class Manifest:
    obj: dict
    file: str
    place: str = ""  # where in the file, for objects without a name: "document 2", "items[4]"

    @property
    def kind(self) -> str:
        return self.obj["kind"]


def load_manifests(paths: Iterable[str]) -> list[Manifest]:
    manifests: list[Manifest] = []
    with paused_gc():
        for path in paths:
            for file in _files(path):
                manifests.extend(_load_file(file))
    return manifests


@contextmanager
def paused_gc() -> Iterator[None]:
    """Building hundreds of thousands of small, acyclic dicts triggers the cyclic garbage
    collector again and again for nothing; pausing it halves the time of a big load."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
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
    if not os.path.exists(path):
        raise InputError("no such file or directory", file=path)
    return [path]


def _read(file: str) -> bytes:
    if file == STDIN:
        return sys.stdin.buffer.read()
    try:
        with open(file, "rb") as f:
            return f.read()
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror}", file=file) from None


def _load_file(file: str) -> list[Manifest]:
    data = _read(file)
    if file.endswith(".json"):
        documents = [_parse_json(data, file)]
    else:
        documents = _parse_yaml(data, file)
    manifests: list[Manifest] = []
    for number, document in enumerate(documents, 1):
        if document is None:
            continue
        place = f"document {number}" if len(documents) > 1 else ""
        _flatten(document, file, place, manifests)
    return manifests


def _parse_json(data: bytes, file: str) -> object:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as e:
        raise InputError(f"line {e.lineno}: invalid JSON: {e.msg}", file=file) from None


def _parse_yaml(data: bytes, file: str) -> list:
    try:
        return list(yaml.load_all(data, Loader=_Loader))
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = f"line {mark.line + 1}: " if mark is not None else ""
        problem = e.problem or e.context or "unreadable"
        raise InputError(f"{line}invalid YAML: {problem}", file=file) from None
    except yaml.YAMLError as e:
        raise InputError(f"invalid YAML: {e}", file=file) from None


def _flatten(document: object, file: str, place: str, out: list[Manifest], item_kind: str = "") -> None:
    where = place or None
    if not isinstance(document, dict):
        raise InputError(f"expected an object (a map with a kind), got {describe(document)}",
                         file=file, obj=where)
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
