"""The building blocks of the `--report out.html` pages: one self-contained file (inline CSS,
no scripts, nothing fetched) that a capacity planner reads at a glance.

Usage tables are `node -> resource -> (requested, allocatable)` in the engine's units
(millicores, bytes, counts), as `plan.snapshots.usage_by_node` returns them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape

HOURS_PER_MONTH = 730  # 365 × 24 / 12, as cloud price lists count a month
MAX_ROWS = 2000

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1280px; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; } h2 { font-size: 1.15em; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.5em 0; }
td, th { border: 1px solid #d5d9de; padding: 3px 8px; text-align: left; font-size: 0.9em; vertical-align: top; }
th { background: #f2f4f6; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.headline { display: flex; flex-wrap: wrap; gap: 12px; margin: 1em 0; }
.figure { border: 1px solid #d5d9de; border-radius: 6px; padding: 8px 14px; min-width: 150px; }
.figure .value { font-size: 1.6em; font-weight: 600; } .figure .label { color: #555; font-size: 0.85em; }
.usage { width: 180px; } .usage .text { font-size: 11px; white-space: nowrap; }
.bar { position: relative; height: 11px; background: #f0f2f4; border-radius: 2px; }
.bar .before { position: absolute; left: 0; top: 0; height: 3px; background: #9aa5b1; }
.bar .after { position: absolute; left: 0; top: 3px; height: 8px; background: #2f6fb5; }
.bar .after.over { background: #c0392b; }
.tag { display: inline-block; padding: 0 5px; border-radius: 3px; font-size: 0.8em; margin-left: 4px; }
.tag.drained { background: #fbe3e0; color: #9b2b1f; } .tag.new { background: #e0f0e0; color: #23662a; }
.note { color: #666; font-size: 0.9em; } .legend span { display: inline-block; width: 12px; height: 10px;
margin: 0 4px 0 12px; vertical-align: middle; }
"""


# -- quantities ---------------------------------------------------------------------------------

def human(resource: str, value: float) -> str:
    """cpu in cores, memory and storage in GiB, the rest as counts."""
    if resource == "cpu":
        return f"{value / 1000:.1f} cores" if value % 1000 else f"{value / 1000:.0f} cores"
    if resource in ("memory", "ephemeral-storage") or resource.startswith("hugepages-"):
        return f"{value / 2**30:.1f} GiB"
    return f"{value:g}"


def percent(used: float, total: float) -> str:
    return f"{used / total * 100:.1f}%" if total else "–"


def natural_key(text: str) -> list:
    """node-2 before node-10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def resources_of(*tables: dict) -> list[str]:
    """cpu, memory, pods and the other resources some pod requests."""
    seen: dict[str, None] = {}
    for table in tables:
        for row in table.values():
            for resource, (requested, allocatable) in row.items():
                if allocatable > 0 and (requested > 0 or resource in ("cpu", "memory", "pods")):
                    seen.setdefault(resource, None)
    first = [r for r in ("cpu", "memory", "pods") if r in seen]
    return first + sorted(r for r in seen if r not in first)


def totals(usage: dict, nodes: Iterable[str] | None = None) -> dict[str, tuple[int, int]]:
    """Per resource, requested and allocatable summed over `nodes` (default: all)."""
    summed: dict[str, list[int]] = {}
    for node in usage if nodes is None else nodes:
        for resource, (used, total) in usage.get(node, {}).items():
            entry = summed.setdefault(resource, [0, 0])
            entry[0] += used
            entry[1] += total
    return {resource: (used, total) for resource, (used, total) in summed.items()}


def bottleneck(total: dict[str, tuple[int, int]]) -> str | None:
    """The resource that runs out first: the highest requested / allocatable."""
    ratios = {r: used / cap for r, (used, cap) in total.items() if cap > 0 and used > 0}
    return max(ratios, key=ratios.get) if ratios else None


# -- page ---------------------------------------------------------------------------------------

@dataclass
class Figure:
    label: str
    value: str
    key: str  # data-figure, for people's scripts and the tests


@dataclass
class Page:
    title: str
    figures: list[Figure] = field(default_factory=list)
    sections: list[tuple[str, str]] = field(default_factory=list)
    provenance: list[tuple[str, str]] = field(default_factory=list)

    def figure(self, key: str, label: str, value: object) -> None:
        self.figures.append(Figure(label, str(value), key))

    def section(self, heading: str, content: str) -> None:
        self.sections.append((heading, content))

    def render(self) -> str:
        figures = "".join(f'<div class="figure" data-figure="{escape(f.key)}"><div class="value">{escape(f.value)}'
                          f'</div><div class="label">{escape(f.label)}</div></div>' for f in self.figures)
        body = "".join(f"<h2>{escape(heading)}</h2>\n{content}\n" for heading, content in self.sections)
        made = table(["", ""], [[k, v] for k, v in self.provenance]) if self.provenance else ""
        return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
                f"<title>{escape(self.title)}</title><style>{_STYLE}</style></head>\n<body>\n"
                f"<h1>{escape(self.title)}</h1>\n<div class=\"headline\">{figures}</div>\n{body}"
                f"<h2>Provenance</h2>\n{made}</body></html>\n")


def table(headers: list[str], rows: list[list[object]], *, numeric: Iterable[int] = (), raw: Iterable[int] = (),
          limit: int = MAX_ROWS) -> str:
    """Cells are escaped text, except the columns in `raw` (HTML made here)."""
    if not rows:
        return '<p class="note">None.</p>'
    numeric, raw = set(numeric), set(raw)
    note = f'<p class="note">The first {limit} of {len(rows)}.</p>' if len(rows) > limit else ""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers) if any(headers) else ""

    def cell(i: int, value: object) -> str:
        text = str(value) if i in raw else escape("" if value is None else str(value))
        return f'<td class="num">{text}</td>' if i in numeric else f"<td>{text}</td>"

    body = "".join("<tr>" + "".join(cell(i, v) for i, v in enumerate(row)) + "</tr>" for row in rows[:limit])
    return f"{note}<table>{'<tr>' + head + '</tr>' if head else ''}{body}</table>"


def totals_table(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]],
                 labels: tuple[str, str] = ("before", "after")) -> str:
    """The cluster's totals per resource, before and after: requested / allocatable and %."""
    rows = []
    requested = {r for t in (before, after) for r, (used, _) in t.items() if used > 0}
    for resource in [r for r in ("cpu", "memory", "pods") if r in after or r in before] + sorted(
            r for r in requested if r not in ("cpu", "memory", "pods")):
        row = [resource]
        for usage in (before.get(resource, (0, 0)), after.get(resource, (0, 0))):
            row += [f"{human(resource, usage[0])} / {human(resource, usage[1])}", percent(*usage)]
        rows.append(row)
    return table(["resource", f"{labels[0]}: requested / allocatable", "%", f"{labels[1]}: requested / allocatable",
                  "%"], rows, numeric=(1, 2, 3, 4))


def usage_bar(resource: str, before: tuple[int, int] | None, after: tuple[int, int] | None) -> str:
    """A bar with the text on it: after (thick, red when over allocatable), before (thin, grey)."""
    parts = []
    if before is not None and before[1] > 0:
        parts.append(f'<div class="before" style="width:{min(before[0] / before[1], 1) * 100:.1f}%"></div>')
    shown = after if after is not None else before
    if shown is None or shown[1] <= 0:
        return '<span class="note">–</span>'
    ratio = shown[0] / shown[1]
    over = " over" if ratio > 1 else ""
    if after is not None:
        parts.append(f'<div class="after{over}" style="width:{min(ratio, 1) * 100:.1f}%"></div>')
    text = f"{human(resource, shown[0])} / {human(resource, shown[1])} · {percent(*shown)}"
    return f'<div class="usage"><div class="text">{escape(text)}</div><div class="bar">{"".join(parts)}</div></div>'


@dataclass
class NodeRow:
    name: str
    pool: str
    tags: tuple[str, ...] = ()  # "drained", "new"
    extra: tuple[str, ...] = ()  # further plain columns (e.g. DaemonSet pods)


def node_table(rows: list[NodeRow], before: dict, after: dict, extra_headers: tuple[str, ...] = ()) -> str:
    """One row per node in natural order, bars per resource; a run of nodes alike in pool,
    tags and usage is one row (`first … last (N nodes)`)."""
    resources = resources_of(before, after)
    ordered = sorted(rows, key=lambda r: natural_key(r.name))
    groups: list[list[NodeRow]] = []
    for row in ordered:
        if groups and _alike(groups[-1][0], row, before, after):
            groups[-1].append(row)
        else:
            groups.append([row])
    html_rows = []
    for group in groups:
        first = group[0]
        name = escape(first.name) if len(group) == 1 else (
            f"{escape(first.name)} … {escape(group[-1].name)} <span class=\"note\">({len(group)} nodes)</span>")
        tags = "".join(f'<span class="tag {escape(t)}">{escape(t)}</span>' for t in first.tags)
        cells = [name + tags, escape(first.pool), *(escape(e) for e in first.extra)]
        cells += [usage_bar(r, before.get(first.name, {}).get(r) if first.name in before else None,
                            after.get(first.name, {}).get(r) if first.name in after else None) for r in resources]
        html_rows.append(cells)
    legend = ('<p class="legend"><span style="background:#9aa5b1"></span>before (thin)'
              '<span style="background:#2f6fb5"></span>after'
              '<span style="background:#c0392b"></span>over allocatable</p>')
    headers = ["node", "pool", *extra_headers, *resources]
    return legend + table(headers, html_rows, raw=range(len(headers)))


def _alike(a: NodeRow, b: NodeRow, before: dict, after: dict) -> bool:
    return ((a.pool, a.tags, a.extra) == (b.pool, b.tags, b.extra)
            and before.get(a.name) == before.get(b.name) and after.get(a.name) == after.get(b.name)
            and (a.name in before) == (b.name in before) and (a.name in after) == (b.name in after))


def pool_table(pools: dict[str, list[str]], usage: dict, costs: dict[str, float | None] | None = None,
               currency: str = "") -> str:
    """Per pool (template, instance type): nodes, requested / allocatable per resource, cost."""
    resources = resources_of(usage)
    rows = []
    for pool in sorted(pools, key=natural_key):
        nodes = pools[pool]
        summed = totals(usage, nodes)
        row = [pool, len(nodes)]
        row += [f"{human(r, summed.get(r, (0, 0))[0])} / {human(r, summed.get(r, (0, 0))[1])} "
                f"({percent(*summed.get(r, (0, 0)))})" for r in resources]
        if costs is not None:
            hourly = costs.get(pool)
            row.append("–" if hourly is None else money(hourly * len(nodes), currency, "h"))
        rows.append(row)
    headers = ["pool", "nodes", *resources] + (["cost"] if costs is not None else [])
    return table(headers, rows, numeric=range(1, len(headers)))


def money(amount: float, currency: str, per: str) -> str:
    return f"{amount:,.2f} {currency}/{per}".replace(" /", "/")


def grouped_reasons(groups: list[dict]) -> str:
    """Unschedulable pods per (plugin, reason), as `reports.reasons.group` counts them."""
    return table(["pods", "plugin", "reason"], [[g["pods"], g["plugin"], g["reason"]] for g in groups],
                 numeric=(0,))
