"""kubectl's output conventions, shared by every command.

`-o json|yaml|wide|name` picks the format printed to stdout (default: a table);
`--output-file FILE` sends it to FILE instead (JSON unless -o says otherwise) and leaves the
table on stdout for the person at the terminal.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import click
import orjson
import yaml

FORMATS = ("json", "yaml", "wide", "name")


class _Format(click.Choice):
    """A format, not a file: `-o out.json` says where a file goes instead."""

    def convert(self, value, param, ctx):
        if value not in self.choices:
            self.fail(f"{value!r} is not one of {', '.join(self.choices)} (a file goes through --output-file)",
                      param, ctx)
        return value


@dataclass(frozen=True)
class Output:
    format: str | None  # None: the table
    file: str | None

    def emit(self, document, *, table: Callable[[], str], wide: Callable[[], str] | None = None,
             names: Callable[[], list[str]] | None = None, json: Callable[[], bytes] | None = None) -> None:
        """Print (or write) the answer: `document` is what json and yaml show (or a function
        making it, called only for yaml when `json` is given: the JSON bytes made another
        way); the others render it."""
        chosen = self.format or ("json" if self.file else None)
        as_json = json or (lambda: json_bytes(document))
        if self.file:
            if chosen == "json":  # bytes as orjson makes them, without a round trip through str
                with open(self.file, "wb") as handle:
                    handle.write(as_json())
                    handle.write(b"\n")
            else:
                with open(self.file, "w", encoding="utf-8") as handle:
                    handle.write(render(chosen, document, table, wide, names, as_json))
            click.echo(table())
        else:
            click.echo(render(chosen, document, table, wide, names, as_json), nl=False)


def render(chosen: str | None, document, table, wide, names, as_json: Callable[[], bytes] | None = None) -> str:
    if chosen == "json":
        return (as_json() if as_json else json_bytes(document)).decode() + "\n"
    if callable(document):
        document = document()
    if chosen == "yaml":
        plain = orjson.loads(orjson.dumps(document, option=orjson.OPT_SERIALIZE_NUMPY))
        return yaml.dump(plain, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1 << 16)
    if chosen == "name":
        listed = names() if names else []
        return "".join(f"{name}\n" for name in listed)
    text = (wide or table)() if chosen == "wide" else table()
    return text + "\n"


def json_bytes(document) -> bytes:
    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY)


_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def output_options(command):
    """Adds -o/--output and --output-file; the command receives them as `out: Output`."""

    @functools.wraps(command)
    def with_output(*args, output: str | None, output_file: str | None, **kwargs):
        return command(*args, out=Output(output, output_file), **kwargs)

    with_output = click.option(
        "--output-file", type=click.Path(dir_okay=False, writable=True),
        help="Write the output to this file instead of stdout (JSON unless -o says otherwise); "
             "the table still goes to stdout.")(with_output)
    return click.option(
        "-o", "--output", type=_Format(FORMATS), default=None,
        help="Output format: json, yaml, wide (a wider table) or name (kind/name per line). Default: a table.",
    )(with_output)


def table(header: list[str], rows: list[list], *, right: set[int] = frozenset()) -> str:
    """kubectl-style columns: upper-case headers, two spaces apart; numbers in `right` right-aligned."""
    cells = [[str(c) for c in row] for row in [header, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = []
    for row in cells:
        parts = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)
