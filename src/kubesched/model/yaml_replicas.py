"""A multi-document YAML stream whose documents repeat one another except for their names,
parsed once per shape.

Hand-written and generated inputs hold thousands of pods (replicas) and nodes alike but
for their name (a node's also in its hostname label). The stream's text is cut at its
document markers (a line starting `---`); a document's shape is its text with every plain
value that is its metadata.name (`: NAME` ending a line) left out. Only the first document
of each shape is parsed, by the careful loader (kubesched.inputs.parse_yaml), all of them
in one stream; a later document of a shape is the first one's object with its own name
where the first one had its name.

Why that is the careful loader's reading of the whole file, not a guess:
- A line starting `---` and a blank is a document start wherever it is (libyaml ends a
  plain or block scalar there and refuses one inside a quoted scalar or a flow
  collection), and the content after a `---` line reads as it does without it, so with no directive (`%`) and no document end (`...`) line, the stream is
  its pieces one after the other: each piece parses alone as it does in the stream (and
  one that does not sends the whole file to the careful loader, which names the line).
- A later document's text is the first one's with other names in the same places. Each
  such place is checked, on the first one's parse events, to be a plain scalar, a mapping
  value with no tag or anchor, in a document with no tag, anchor, alias or merge key at
  all; the names are DNS-like (letters, digits, `-`, `.`), so each scans as one plain
  scalar ending where the first one's did, and each resolves to a string (not `yes`, `1e3`,
  `0x1f` or a date, which YAML 1.1 reads otherwise). So the parse is the same but for
  those strings, and the checks (repeated keys, depth, aliases) give the same verdict.
- Anything else (another line break than \\n, a NUL, a byte-order mark, a document the checks refuse) leaves
  the file to the careful loader: its documents and its messages are the only ones.

A later document of a Pod's shape whose only name is metadata.name shares the first one's
parts but its metadata (as a JSON List's do, kubesched.model.json_lists), and its index in
`like` is the first one's; any other later document is a copy of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from kubesched.errors import InputError
from kubesched.inputs import _StrictLoader, decode, parse_yaml

_DOCUMENT_START = re.compile(r"^---(?=[ \t\n]|\Z)", re.MULTILINE)
_NAME = re.compile(r"^metadata:[ \t]*\n(?:[ \t].*\n)*?[ \t]+name: ([a-z0-9](?:[-a-z0-9.]*[a-z0-9])?)\n",
                   re.MULTILINE)
_DNS_LIKE = re.compile(r"[a-z0-9](?:[-a-z0-9.]*[a-z0-9])?")
_UNUSUAL = ("\r", "\x85", "\u2028", "\u2029", "\0", "\ufeff")  # other line breaks, NUL, a byte-order mark
_STR_TAG = "tag:yaml.org,2002:str"
_MASK = "\0"  # never in a stream this module reads (see _UNUSUAL)
_RESOLVER = yaml.resolver.Resolver()


@dataclass(slots=True)
class YamlDocuments:
    documents: list  # every document of the stream, as parse_yaml reads them
    like: list[int]  # per document: the index of the first Pod it shares its parts with (itself when none)


def parse_replicas(data: bytes, path: str) -> YamlDocuments | None:
    """The stream's documents, or None when nothing repeats or the careful loader must
    read the file itself (the caller then calls parse_yaml)."""
    text = decode(data, path)
    pieces = _pieces(text)
    if pieces is None or len(pieces) < 2:
        return None
    shapes: dict[str, int] = {}  # shape → index of its first piece
    names: list[str | None] = []
    first_of: list[int] = []
    for index, piece in enumerate(pieces):
        found = _NAME.search(piece)
        if found is None:
            names.append(None)
            first_of.append(index)
            continue
        name = found.group(1)
        names.append(name)
        body = piece[4:] if piece.startswith("---\n") else piece  # the first document may have no `---`
        first_of.append(shapes.setdefault(body.replace(f": {name}\n", f":{_MASK}\n"), index))
    if len(shapes) == len(pieces):
        return None  # nothing repeats: the usual parse is as quick
    templates: dict[int, _Template | None] = {}
    for index, first in enumerate(first_of):
        if first != index and first not in templates:
            templates[first] = _Template.of(pieces[first], names[first])
    for index, first in enumerate(first_of):
        if first != index and (templates[first] is None or not _reads_as_string(names[index])):
            first_of[index] = index  # parsed as it is
    parsed = _parse([pieces[i] for i, first in enumerate(first_of) if first == i], path)
    if parsed is None:
        return None
    documents: list = []
    like: list[int] = []
    position = 0
    leading_blank = len(parsed) == sum(1 for i, first in enumerate(first_of) if first == i) - 1
    for index, first in enumerate(first_of):
        if index == 0 and leading_blank:
            continue  # the text before the first `---` holds no document
        if first == index:
            documents.append(parsed[position])
            like.append(len(like))
            position += 1
            continue
        template = templates[first]
        first_document = len(like) - index + first  # documents[k] is piece k (+ the shift, if any)
        document, shared = template.renamed(documents[first_document], names[index])
        documents.append(document)
        like.append(first_document if shared else len(like))
    return YamlDocuments(documents, like)


def _pieces(text: str) -> list[str] | None:
    """The text cut before each document start, the text before the first one first (when
    any); None when a piece could not be read alone as it is read in the stream."""
    if any(mark in text for mark in _UNUSUAL) or text.startswith(("%", "...")) or "\n%" in text \
            or "\n..." in text:
        return None
    starts = [match.start() for match in _DOCUMENT_START.finditer(text)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    starts.append(len(text))
    return [text[a:b] for a, b in zip(starts, starts[1:])]


def _parse(pieces: list[str], path: str) -> list | None:
    """The pieces' documents, one each but perhaps the first (text before any `---`); None
    when the careful loader must read the file (an error, or a count that does not fit)."""
    try:
        documents = parse_yaml("".join(pieces).encode(), path)
    except InputError:
        return None  # the file's own line numbers and document numbers come from its own parse
    if len(documents) == len(pieces) or (len(documents) == len(pieces) - 1 and not pieces[0].startswith("---")):
        return documents
    return None


def _reads_as_string(name: str | None) -> bool:
    return name is not None and _DNS_LIKE.fullmatch(name) is not None \
        and _RESOLVER.resolve(yaml.ScalarNode, name, (True, False)) == _STR_TAG


@dataclass(slots=True)
class _Template:
    paths: list[tuple]  # where the name is in the first document: keys and indexes
    pod_name_only: bool  # a Pod whose only name is its metadata.name

    @classmethod
    def of(cls, piece: str, name: str | None) -> _Template | None:
        """Where `name` is in the document of `piece`, or None unless every `: name` ending
        a line is a plain, untagged, unanchored mapping value in a document of no tag,
        anchor, alias or merge key."""
        if not _reads_as_string(name):
            return None
        spans = []
        at = piece.find(f": {name}\n")
        while at >= 0:
            spans.append(at + 2)
            at = piece.find(f": {name}\n", at + 3 + len(name))
        paths = _paths(piece, name, spans)
        if paths is None:
            return None
        return cls(paths, paths == [("metadata", "name")])

    def renamed(self, document: dict, name: str) -> tuple[object, bool]:
        """The first document with `name` for its own; whether it shares the first one's parts."""
        if self.pod_name_only and type(document) is dict and document.get("kind") == "Pod":
            return {**document, "metadata": {**document["metadata"], "name": name}}, True
        copy = _copied(document)
        for path in self.paths:
            parent = copy
            for step in path[:-1]:
                parent = parent[step]
            parent[path[-1]] = name
        return copy, False


def _paths(piece: str, name: str, spans: list[int]) -> list[tuple] | None:
    """The key/index path of each span's scalar, from the piece's parse events; None when a
    span is not such a scalar or the document is not a plain tree."""
    try:
        events = list(yaml.parse(piece, Loader=_StrictLoader))
    except yaml.YAMLError:
        return None
    wanted = set(spans)
    paths: list[tuple] = []
    stack: list[list] = []  # per open collection: [is a mapping, items so far, key of the value next]
    for event in events:
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None \
                or getattr(event, "tag", None) is not None:
            return None
        is_value = bool(stack) and (not stack[-1][0] or stack[-1][1] % 2 == 1)
        if isinstance(event, yaml.ScalarEvent):
            plain = event.style in (None, "")
            if plain and event.value == "<<":
                return None  # a merge key
            start = event.start_mark.index
            if start in wanted:
                if not (plain and is_value and stack[-1][0] and event.value == name
                        and event.end_mark.index == start + len(name)):
                    return None
                paths.append((*(entry[2] for entry in stack[:-1]), stack[-1][2]))
                wanted.discard(start)
            _advance(stack, event.value if plain else ("quoted", event.value))
        elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            _advance(stack, None)
            stack.append([isinstance(event, yaml.MappingStartEvent), 0, None])
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            stack.pop()
    if wanted:
        return None
    return _with_real_keys(piece, paths)


def _advance(stack: list[list], scalar) -> None:
    """Count an item of the innermost collection; a mapping's key is kept for its value's path."""
    if not stack:
        return
    entry = stack[-1]
    if entry[0]:
        if entry[1] % 2 == 0:
            entry[2] = ("key", entry[1] // 2)
    else:
        entry[2] = ("index", entry[1])
    entry[1] += 1


def _with_real_keys(piece: str, paths: list[tuple]) -> list[tuple] | None:
    """The event paths ("key", n) / ("index", n) as the document's own keys and indexes."""
    try:
        documents = list(yaml.load_all(piece, Loader=_StrictLoader))
    except yaml.YAMLError:
        return None
    if len(documents) != 1:
        return None
    real = []
    for path in paths:
        value, steps = documents[0], []
        for kind, number in path:
            if kind == "key":
                if type(value) is not dict or number >= len(value):
                    return None
                step = list(value)[number]
            else:
                if type(value) is not list or number >= len(value):
                    return None
                step = number
            steps.append(step)
            value = value[step]
        real.append(tuple(steps))
    return real


def _copied(value):
    """A copy of a tree of dicts and lists (their scalars are immutable)."""
    if type(value) is dict:
        return {key: _copied(item) if type(item) is dict or type(item) is list else item
                for key, item in value.items()}
    if type(value) is list:
        return [_copied(item) if type(item) is dict or type(item) is list else item for item in value]
    return value
