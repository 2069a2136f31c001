"""The `--report out.html` page of the plan commands: one self-contained HTML file (inline
SVG charts and CSS, no scripts, nothing fetched) with the answer, utilisation per node and
resource before and after, and the reasons pods did not fit."""

from __future__ import annotations

from collections import Counter
from html import escape

from kubesched.plan.drain import DrainPlan
from kubesched.plan.fit import FitResult
from kubesched.plan.nodes import NodePlan
from kubesched.plan.snapshots import usage_by_node

MAX_NODES_DRAWN = 300
MAX_TABLE_ROWS = 500
BEFORE_COLOR, AFTER_COLOR, OVER_COLOR, BAR_COLOR = "#b8c2cc", "#2f6fb5", "#c0392b", "#5b8c3a"

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1200px; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.5em 0; }
td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: left; font-size: 0.9em; }
th { background: #f2f4f6; }
.legend span { display: inline-block; width: 12px; height: 12px; margin: 0 4px 0 12px; vertical-align: middle; }
svg text { font-size: 11px; font-family: system-ui, sans-serif; }
.note { color: #666; font-size: 0.9em; }
"""


# -- building blocks -------------------------------------------------------------------------

def page(title: str, summary: list[tuple[str, object]], sections: list[tuple[str, str]]) -> str:
    rows = "".join(f"<tr><th>{escape(str(k))}</th><td>{escape(str(v))}</td></tr>" for k, v in summary)
    body = "".join(f"<h2>{escape(heading)}</h2>\n{content}\n" for heading, content in sections)
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title><style>{_STYLE}</style></head>\n<body>\n"
            f"<h1>{escape(title)}</h1>\n<table class=\"summary\">{rows}</table>\n{body}</body></html>\n")


def bar_chart(items: list[tuple[str, float]], *, unit: str = "", color: str = BAR_COLOR) -> str:
    """Horizontal bars, one per (label, value)."""
    if not items:
        return "<p class=\"note\">Nothing to show.</p>"
    label_width, bar_width, row = 360, 420, 22
    top = max(value for _, value in items) or 1
    height = row * len(items) + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_width + bar_width + 90}" height="{height}" '
             f'role="img">']
    for i, (label, value) in enumerate(items):
        y = 5 + i * row
        width = bar_width * value / top
        parts.append(f'<text x="{label_width - 6}" y="{y + 14}" text-anchor="end">{escape(_clip(label, 60))}</text>'
                     f'<rect x="{label_width}" y="{y + 3}" width="{width:.1f}" height="{row - 8}" fill="{color}">'
                     f'<title>{escape(label)}: {value:g}{unit}</title></rect>'
                     f'<text x="{label_width + width + 4:.1f}" y="{y + 14}">{value:g}{escape(unit)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def utilisation_chart(before: dict, after: dict) -> str:
    """Per node (rows) and resource (columns): requested / allocatable before (grey) and after
    (blue); red where a node is over its allocatable."""
    nodes = list(after) + [n for n in before if n not in after]
    resources = _resources(before, after)
    if not nodes or not resources:
        return "<p class=\"note\">No nodes.</p>"
    note = ""
    if len(nodes) > MAX_NODES_DRAWN:
        note = f"<p class=\"note\">The first {MAX_NODES_DRAWN} of {len(nodes)} nodes.</p>"
        nodes = nodes[:MAX_NODES_DRAWN]
    label_width, cell, gap, row = 180, 140, 16, 20
    width = label_width + len(resources) * (cell + gap)
    height = 24 + row * len(nodes)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">']
    for c, resource in enumerate(resources):
        x = label_width + c * (cell + gap)
        parts.append(f'<text x="{x}" y="14" font-weight="bold">{escape(resource)}</text>')
    for r, node in enumerate(nodes):
        y = 22 + r * row
        parts.append(f'<text x="{label_width - 6}" y="{y + 13}" text-anchor="end">{escape(_clip(node, 28))}</text>')
        for c, resource in enumerate(resources):
            x = label_width + c * (cell + gap)
            parts.append(f'<rect x="{x}" y="{y + 2}" width="{cell}" height="{row - 4}" fill="#f4f5f7"/>')
            for k, (table, color) in enumerate(((before, BEFORE_COLOR), (after, AFTER_COLOR))):
                usage = table.get(node, {}).get(resource)
                if usage is None or usage[1] <= 0:
                    continue
                ratio = usage[0] / usage[1]
                fill = OVER_COLOR if ratio > 1 else color
                parts.append(f'<rect x="{x}" y="{y + 3 + k * 7}" width="{cell * min(ratio, 1):.1f}" height="6" '
                             f'fill="{fill}"><title>{escape(node)} {escape(resource)} '
                             f'{"before" if k == 0 else "after"}: {usage[0]} / {usage[1]} '
                             f'({ratio:.0%})</title></rect>')
    parts.append("</svg>")
    legend = (f'<p class="legend"><span style="background:{BEFORE_COLOR}"></span>before'
              f'<span style="background:{AFTER_COLOR}"></span>after'
              f'<span style="background:{OVER_COLOR}"></span>over allocatable</p>')
    return legend + note + "".join(parts)


def table(headers: list[str], rows: list[list[object]]) -> str:
    if not rows:
        return "<p class=\"note\">None.</p>"
    note = f"<p class=\"note\">The first {MAX_TABLE_ROWS} of {len(rows)}.</p>" if len(rows) > MAX_TABLE_ROWS else ""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape('' if v is None else str(v))}</td>" for v in row) + "</tr>"
                   for row in rows[:MAX_TABLE_ROWS])
    return f"{note}<table><tr>{head}</tr>{body}</table>"


def _resources(*tables: dict) -> list[str]:
    seen: dict[str, None] = {}
    for t in tables:
        for row in t.values():
            for resource, (_, allocatable) in row.items():
                if allocatable > 0:
                    seen.setdefault(resource, None)
    first = [r for r in ("cpu", "memory", "pods") if r in seen]
    return first + sorted(r for r in seen if r not in first)


def _clip(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _reasons(messages: list[str]) -> list[tuple[str, float]]:
    return [(message, count) for message, count in Counter(messages).most_common(30)]


# -- one page per command --------------------------------------------------------------------

def fit_report(result: FitResult) -> str:
    after = usage_by_node(result.snapshot)
    summary = [("Pod", result.pod.key), ("Replicas that fit", result.replicas),
               ("Stopped by", "the replica cap" if result.capped else result.message)]
    sections = [
        ("Replicas per node", bar_chart(sorted(result.per_node.items(), key=lambda kv: -kv[1]))),
        ("What limits: the next replica's failure, nodes per reason",
         bar_chart(sorted(result.limited_by.items(), key=lambda kv: -kv[1]), color=OVER_COLOR)),
        ("Utilisation per node and resource", utilisation_chart(result.before, after)),
    ]
    return page(f"kubesched plan fit: {result.pod.key}", summary, sections)


def nodes_report(plan: NodePlan) -> str:
    data = plan.to_json()
    summary = [("Objective", data["objective"]), ("Nodes to add", data["nodeCount"]),
               ("Lower bound", data["lowerBound"]), ("Proven optimal", data["optimal"]),
               ("Unschedulable pods", len(data["unschedulable"])), ("Placements repaired by the engine", plan.repaired),
               ("Search", f"{data['search']['method']}, {data['seconds']} s")]
    if "cost" in data:
        summary.insert(2, ("Hourly cost", data["cost"]))
    comparison = [(f"plan: {name}", count) for name, count in data["byTemplate"].items()]
    if plan.as_scheduled is not None:
        scheduled = plan.as_scheduled.to_json()
        summary.append(("Nodes when placing one by one (as scheduled)", scheduled["nodeCount"]))
        comparison += [(f"as scheduled: {name}", count) for name, count in scheduled["byTemplate"].items()]
    after = usage_by_node(plan.snapshot)
    sections = [
        ("Nodes to add per template", bar_chart(comparison)),
        ("Utilisation per node and resource", utilisation_chart(plan.before, after)),
        ("Why pods do not fit", bar_chart(_reasons([p.message for p in plan.unschedulable]), color=OVER_COLOR)),
        ("Placements", table(["pod", "node"], [[p["pod"], p["node"]] for p in data["placements"]])),
    ]
    return page("kubesched plan nodes", summary, sections)


def drain_report(plan: DrainPlan) -> str:
    data = plan.to_json()
    summary = [("Nodes drained", ", ".join(plan.nodes)), ("Everything fits elsewhere", plan.fits),
               ("Pods evicted and re-placed", len(data["placements"])),
               ("Pods that fit nowhere", len(data["unschedulable"])),
               ("Pods deleted for good (no controller)", len(plan.not_recreated)),
               ("Budgets violated if evictions are simultaneous", ", ".join(data["budgetsViolatedIfSimultaneous"]) or "none")]
    after = usage_by_node(plan.snapshot)
    sections = [
        ("Utilisation per node and resource", utilisation_chart(plan.before, after)),
        ("Why pods do not fit", bar_chart(_reasons([e.message for e in plan.unschedulable]), color=OVER_COLOR)),
        ("PodDisruptionBudgets", table(["budget", "selected pods", "disruptions allowed", "evicted", "violated"],
                                       [[b.name, b.selected, b.allowed, b.evicted, b.violated] for b in plan.budgets])),
        ("Where the evicted pods go", table(["pod", "from", "to", "why not"],
                                            [[e.pod, e.source, e.node, e.message] for e in plan.evictions])),
    ]
    return page("kubesched plan drain", summary, sections)
