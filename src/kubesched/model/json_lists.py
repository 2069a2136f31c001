"""A JSON `List` whose items repeat one another except for their names, parsed once per shape.

Generated inputs and dumps of big clusters hold thousands of pods alike but for
`metadata.name`. Their text is split into items (kubesched._json_items, in C); items whose
text is the same once the plain text of their name is left out share a shape, and only
the first item of each shape is parsed: the document handed to the parser is the file's
own text with the later items of a shape left out. That text is valid JSON, without a
repeated key, exactly when the whole file is (the items left out are the first one's bytes
with another name of plain DNS characters, and what separates items is checked to be a
comma and blanks), so the parser's verdict stands for the file. A later item is the
first's object with its own name; pods share the first one's parsed record (`like`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from kubesched._json_items import same_shapes, scan, text_hashes
from kubesched.inputs import SLOW, parse_json_fast


_LOOK_AHEAD = 1000


@dataclass(slots=True)
class ListItems:
    document: dict  # the file's List: every item in it, or (batched) the first item of each shape
    like: list[int]  # per item: the index of the first item of its shape (itself when first)
    # batched: the file's text, scan's (start, end, name_start, name_end) per item, and per
    # first item the items of its shape in order, None if not a Pod (kubesched.model.pod_batches)
    data: bytes = b""
    spans: np.ndarray | None = None
    shapes: list[np.ndarray | None] | None = None


def parse_list(data: bytes, batched: Callable[[dict], bool] | None = None) -> ListItems | None:
    """The List in `data` with its items' shapes, or None: not a List of objects worth it, or
    anything the careful parser must decide (the caller then parses the file as usual).
    `batched`: the document holds the first item of each shape only, and `shapes` the items
    of each Pod's shape (None for another kind), when `batched` accepts every first item,
    each Pod's name is where the scan saw it, and other kinds do not repeat."""
    found = scan(data)
    if found is None:
        return None
    opened, closed, spans = found
    like = _first_of_shape(_shape_hashes(data, spans))
    count = len(like)
    if count > _LOOK_AHEAD and (like[:_LOOK_AHEAD] == np.arange(_LOOK_AHEAD)).all():
        return None  # no repeat in the first items (nodes, each with its hostname): not worth it
    if not same_shapes(data, spans, like):
        return None  # two shapes' hashes collide: leave it to the usual parse
    firsts = np.flatnonzero(like == np.arange(count))
    if len(firsts) == count:
        return None  # nothing repeats: the usual parse is as quick
    kept = b",".join([data[spans[f, 0]:spans[f, 1]] for f in firsts.tolist()])
    document = parse_json_fast(data[:opened + 1] + kept + data[closed:])
    if document is SLOW or type(document) is not dict:
        return None
    parsed = document.get("items")
    if type(parsed) is not list or len(parsed) != len(firsts):
        return None
    sizes = np.bincount(like, minlength=count)[firsts]
    templates = [_template(item, data[spans[f, 2]:spans[f, 3]]) if batched is not None or size > 1 else False
                 for item, f, size in zip(parsed, firsts.tolist(), sizes.tolist())]
    if None in templates:
        return None  # a name is not where the scan saw it: leave it to the usual parse
    if batched is not None and all(_batchable(item, pod, size, batched)
                                   for item, pod, size in zip(parsed, templates, sizes.tolist())):
        shapes = np.split(np.argsort(like, kind="stable"), np.cumsum(sizes)[:-1])
        return ListItems(document, like.tolist(), data, spans,
                         [shape if pod else None for shape, pod in zip(shapes, templates)])
    document = _with_repeats(document, parsed, data, spans.tolist(), like.tolist(), firsts.tolist(), templates)
    return None if document is None else ListItems(document, like.tolist())


def _batchable(item: dict, pod: bool, size: int, batched: Callable[[dict], bool]) -> bool:
    """A first item a batched reading keeps: one `batched` accepts, alone of its shape unless a Pod."""
    return (pod or size == 1) and batched(item)


def _shape_hashes(data: bytes, spans: np.ndarray) -> np.ndarray:
    """Per item with a plain name, a hash of its text before and after the name; 0 for the
    others (each its own shape)."""
    named = spans[:, 2] >= 0
    start, end = spans[:, 0], spans[:, 1]
    before = text_hashes(data, np.stack([start, np.where(named, spans[:, 2], start)], axis=1))
    after = text_hashes(data, np.stack([np.where(named, spans[:, 3], end), end], axis=1))
    with np.errstate(over="ignore"):
        hashes = (before * np.uint64(0x9E3779B97F4A7C15)) ^ after | np.uint64(1)
    hashes[~named] = 0
    return hashes


def _first_of_shape(hashes: np.ndarray) -> np.ndarray:
    """Per item, the index of the first item of the same hash; itself where the hash is 0."""
    like = np.arange(len(hashes))
    named = np.flatnonzero(hashes)
    if len(named):
        order = named[np.argsort(hashes[named], kind="stable")]  # by hash, then by place
        ordered = hashes[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        like[order] = np.repeat(order[starts], np.diff(np.r_[starts, len(order)]))
    return like


def _with_repeats(document: dict, parsed: list, data: bytes, spans: list, like: list, firsts: list,
                  templates: list) -> dict | None:
    """The document with every item: a repeat of a Pod shares the first one's parts but its
    metadata; a repeat of another kind is an object of its own, as the usual parse makes it."""
    first_at = dict(zip(firsts, range(len(firsts))))
    items: list = []
    for index, first in enumerate(like):
        position = first_at[first]
        if first == index:
            items.append(parsed[position])
            continue
        start, end, name_start, name_end = spans[index]
        if templates[position]:
            template = parsed[position]
            items.append({**template, "metadata": {**template["metadata"],
                                                   "name": data[name_start:name_end].decode("ascii")}})
        else:
            item = parse_json_fast(data[start:end])
            if item is SLOW:
                return None
            items.append(item)
    document["items"] = items
    return document


def _template(item: object, name: bytes) -> bool | None:
    """Whether the later items of this first one's shape may share its parts (pods do, as a
    workload's replicas do); None when its metadata.name is not the text the scan found."""
    meta = item.get("metadata") if type(item) is dict else None
    if type(meta) is not dict or type(meta.get("name")) is not str or meta["name"].encode() != name:
        return None
    return item.get("kind") == "Pod"
