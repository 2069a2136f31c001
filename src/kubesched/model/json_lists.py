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

from dataclasses import dataclass

from kubesched._json_items import scan
from kubesched.inputs import SLOW, parse_json_fast


_LOOK_AHEAD = 1000


@dataclass(slots=True)
class ListItems:
    document: dict  # the file's List, every item in it
    like: list[int]  # per item: the index of the first item of its shape (itself when first)


def parse_list(data: bytes) -> ListItems | None:
    """The List in `data` with its items' shapes, or None: not a List of objects worth it, or
    anything the careful parser must decide (the caller then parses the file as usual)."""
    found = scan(data)
    if found is None:
        return None
    opened, closed, spans = found
    first_of: dict[bytes, int] = {}
    like: list[int] = []
    kept: list[bytes] = [data[:opened + 1]]
    for index, (start, end, name_start, name_end) in enumerate(spans):
        if name_start >= 0:
            shape = data[start:name_start] + b"\0" + data[name_end:end]  # no raw NUL in valid JSON
            first = first_of.setdefault(shape, index)
        else:
            first = index
        like.append(first)
        if index == _LOOK_AHEAD and len(kept) // 2 == index:
            return None  # no repeat in the first items (nodes, each with its hostname): not worth it
        if first == index:
            if len(kept) > 1:
                kept.append(b",")
            kept.append(data[start:end])
    firsts = len(kept) // 2  # the prefix, then each first item after a comma but the first
    if firsts == len(spans):
        return None  # nothing repeats: the usual parse is as quick
    kept.append(data[closed:])
    document = parse_json_fast(b"".join(kept))
    if document is SLOW or type(document) is not dict:
        return None
    parsed = document.get("items")
    if type(parsed) is not list or len(parsed) != firsts:
        return None
    items: list = []
    templates: dict[int, bool] = {}  # first item → whether later ones may share its parts (a Pod)
    position = 0
    for index, first in enumerate(like):
        if first == index:
            items.append(parsed[position])
            position += 1
            continue
        start, end, name_start, name_end = spans[index]
        shared = templates.get(first)
        if shared is None:
            shared = templates[first] = _template(items[first], data[spans[first][2]:spans[first][3]])
            if shared is None:
                return None  # the name is not where the scan saw it: leave it to the usual parse
        name = data[name_start:name_end].decode("ascii")
        if shared:
            template = items[first]
            items.append({**template, "metadata": {**template["metadata"], "name": name}})
        else:  # another kind: objects of its own, as the usual parse makes them
            item = parse_json_fast(data[start:end])
            if item is SLOW:
                return None
            items.append(item)
    document["items"] = items
    return ListItems(document, like)


def _template(item: object, name: bytes) -> bool | None:
    """Whether the later items of this first one's shape may share its parts (pods do, as a
    workload's replicas do); None when its metadata.name is not the text the scan found."""
    meta = item.get("metadata") if type(item) is dict else None
    if type(meta) is not dict or type(meta.get("name")) is not str or meta["name"].encode() != name:
        return None
    return item.get("kind") == "Pod"
