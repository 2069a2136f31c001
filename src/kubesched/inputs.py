"""The one boundary every input file crosses: manifests, the scheduler configuration, node
templates, the pod of `plan fit`, trace CSVs.

- Only a regular file (or `-`, standard input) is read, and only up to `MAX_INPUT_BYTES`:
  a FIFO, a device or a symlink to one (`/dev/zero`) is refused before any read can block
  or run out of memory. The file is opened without blocking and checked on the open handle,
  so it cannot be swapped for a FIFO between the check and the read.
- Text must be UTF-8 (a byte-order mark is allowed).
- YAML and JSON mappings may not repeat a key (the API server's strict decoding refuses
  them; otherwise the last one would silently win).
- YAML aliases are bounded: a document whose aliases would expand it past
  `MAX_EXPANDED_NODES` values, or that refers to itself, is refused, as is nesting deeper
  than `MAX_DEPTH`. Without this a kilobyte of nested anchors expands to gigabytes as
  soon as anything walks the document.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import sys

import orjson
import yaml

from kubesched.errors import InputError

STDIN = "-"
MAX_INPUT_BYTES = 1 << 30  # far beyond a dump of a 5,000-node cluster
MAX_DEPTH = 200  # Kubernetes objects nest a few dozen levels at most
MAX_EXPANDED_NODES = 10_000_000
MAX_ALIAS_RATIO = 10  # a document may expand to this many times its distinct values (and past 100,000)

_CHUNK = 1 << 20
_MERGE_TAG = "tag:yaml.org,2002:merge"


def read_bytes(path: str) -> bytes:
    """The contents of a regular file, or of standard input for `-`."""
    if path == STDIN:
        return _bounded_read(sys.stdin.buffer, path)
    if path == "":
        raise InputError("empty file name", file="''")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        raise InputError(_open_problem(error), file=path) from None
    with os.fdopen(fd, "rb", buffering=0) as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"not a regular file ({_file_type(info.st_mode)}); give a file, a directory or -",
                             file=path)
        if info.st_size > MAX_INPUT_BYTES:
            raise InputError(f"too large: {info.st_size} bytes, the limit is {MAX_INPUT_BYTES}", file=path)
        os.set_blocking(fd, True)
        return _bounded_read(handle, path, first=info.st_size + 1)  # one read, unless it grows


def read_text(path: str) -> str:
    return decode(read_bytes(path), path)


def _bounded_read(handle, path: str, first: int = _CHUNK) -> bytes:
    chunks, size = [], 0
    while True:
        try:
            chunk = handle.read(first if not chunks else _CHUNK)
        except OSError as error:
            raise InputError(f"cannot read: {error.strerror}", file=path) from None
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_INPUT_BYTES:
            raise InputError(f"too large: more than {MAX_INPUT_BYTES} bytes", file=path)
        chunks.append(chunk)


def _open_problem(error: OSError) -> str:
    if error.errno == errno.ENOENT:
        return "no such file or directory"
    if error.errno == errno.ELOOP:
        return "too many levels of symbolic links (a symlink loop?)"
    return f"cannot read: {error.strerror}"


def _file_type(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a directory")):
        if test(mode):
            return name
    return "not a file"


def decode(data: bytes, path: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise InputError(f"line {line}: not valid UTF-8 (byte {error.start})", file=path) from None


# --- JSON ---------------------------------------------------------------------------------

def _unique_pairs(pairs: list) -> dict:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return result


class _DuplicateKey(ValueError):
    def __init__(self, key):
        super().__init__(key)
        self.key = key


def _no_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def parse_json(data: bytes, path: str) -> object:
    fast = parse_json_fast(data)
    if fast is not SLOW:
        return fast
    text = decode(data, path)
    try:
        return json.loads(text, object_pairs_hook=_unique_pairs, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        raise InputError(f"line {error.lineno}: invalid JSON: {error.msg}", file=path) from None
    except _DuplicateKey as error:
        raise InputError(f"invalid JSON: duplicate key {error.key!r} in a mapping", file=path) from None
    except ValueError as error:
        raise InputError(f"invalid JSON: {error}", file=path) from None
    except RecursionError:
        raise InputError("invalid JSON: nested too deeply", file=path) from None


SLOW = object()
_COLON_ESCAPES = (b"\\u003a", b"\\u003A")
_DIGITS_AS_ZERO = bytes(b"0"[0] if chr(i).isdigit() and i < 128 else b" "[0] for i in range(256))
_LONG_NUMBER = b"0" * 19  # orjson reads integers past 64 bits as floats


def parse_json_fast(data: bytes) -> object:
    """The document parsed in C, or SLOW when the careful parser must decide (anything
    orjson refuses or might read differently, such as integers past 64 bits).

    orjson keeps the last of repeated keys silently, so repeats are found by counting: in
    JSON text every colon outside a string separates a key from its value, and every
    colon inside a string is written literally unless escaped as \\u003a. So without
    that escape, the text holds as many colons as the document re-serialised (where each
    member kept has its colon and every string its colons) exactly when no member was
    dropped, that is when no key repeats. A run of 19 digits anywhere (a string too)
    sends the document to the careful parser, which keeps such integers exact."""
    escaped = b"\\u003" in data and any(escape in data for escape in _COLON_ESCAPES)  # one scan when neither is
    if escaped or _LONG_NUMBER in data.translate(_DIGITS_AS_ZERO):
        return SLOW
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        return SLOW
    if data.count(b":") != orjson.dumps(document).count(b":"):
        return SLOW  # a repeated key: the careful parser names it
    return document


# --- YAML ---------------------------------------------------------------------------------

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_BaseLoader):
    """The safe loader, refusing a key repeated in one mapping (merge keys `<<` may be
    overridden, as YAML allows)."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode) and not _plain_unique_keys(node):
            seen = set()
            for key_node, _ in node.value:
                if key_node.tag == _MERGE_TAG or not isinstance(key_node, yaml.ScalarNode):
                    continue
                key = self.construct_object(key_node)
                try:
                    repeated = key in seen
                except TypeError:
                    continue
                if repeated:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r} in a mapping", key_node.start_mark)
                seen.add(key)
        return super().construct_mapping(node, deep=deep)



_STR_TAG = "tag:yaml.org,2002:str"


def _plain_unique_keys(node) -> bool:
    """The quick answer for the usual mapping: string keys, all different."""
    keys = set()
    for key_node, _ in node.value:
        if key_node.tag != _STR_TAG:
            return False
        keys.add(key_node.value)
    return len(keys) == len(node.value)


def parse_yaml(data: bytes, path: str) -> list:
    """Every document of a YAML stream."""
    text = decode(data, path)
    try:
        documents = list(yaml.load_all(text, Loader=_StrictLoader))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = f"line {mark.line + 1}: " if mark is not None else ""
        problem = error.problem or error.context or "unreadable"
        raise InputError(f"{line}invalid YAML: {problem}", file=path) from None
    except yaml.YAMLError as error:
        raise InputError(f"invalid YAML: {error}", file=path) from None
    except RecursionError:
        raise InputError("invalid YAML: nested too deeply", file=path) from None
    check = _check_expansion if "&" in text else _check_depth  # aliases need anchors
    for number, document in enumerate(documents, 1):
        check(document, path, number if len(documents) > 1 else 0)
    return documents


def _check_depth(document: object, path: str, number: int) -> None:
    """Refuse nesting deeper than MAX_DEPTH (a document without aliases is a tree)."""
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            where = f"document {number}: " if number else ""
            raise InputError(f"{where}invalid YAML: nested deeper than {MAX_DEPTH} levels", file=path)
        children = value.values() if type(value) is dict else value if type(value) is list else ()
        for child in children:
            if type(child) is dict or type(child) is list:
                stack.append((child, depth + 1))


def _check_expansion(document: object, path: str, number: int) -> None:
    """Refuse a document that is recursive, nested too deeply or expands too far. Walks
    each distinct list or map once (aliases share them), so the walk itself stays small."""
    where = f"document {number}: " if number else ""
    sizes: dict[int, int] = {}  # id of a container → its size with every alias expanded
    open_ids: set[int] = set()
    distinct = 0  # values written out in the document, aliases counted once
    stack: list[tuple[object, int, bool]] = [(document, 1, False)] if isinstance(document, _CONTAINERS) else []
    while stack:
        value, depth, done = stack.pop()
        key = id(value)
        children = _children(value)
        if done:
            open_ids.discard(key)
            total = 1 + sum(sizes.get(id(child), 1) for child in children)
            if isinstance(value, dict):
                total += len(value)
            sizes[key] = total
            if total > MAX_EXPANDED_NODES or (total > 100_000 and total > MAX_ALIAS_RATIO * distinct):
                raise InputError(f"{where}YAML aliases expand a value to more than {total} values "
                                 f"from {distinct} written; refusing an alias bomb", file=path)
            continue
        if key in sizes:
            continue
        if key in open_ids:
            raise InputError(f"{where}invalid YAML: an alias refers to a value that contains it", file=path)
        if depth > MAX_DEPTH:
            raise InputError(f"{where}invalid YAML: nested deeper than {MAX_DEPTH} levels", file=path)
        distinct += 1 + len(value) + (len(value) if isinstance(value, dict) else 0)
        open_ids.add(key)
        stack.append((value, depth, True))
        stack.extend((child, depth + 1, False) for child in children if isinstance(child, _CONTAINERS))


_CONTAINERS = (dict, list, tuple)


def _children(value) -> list:
    if isinstance(value, dict):
        return list(value.values())
    return list(value) if isinstance(value, (list, tuple)) else []
