"""The report page of each command: simulate, plan fit, plan nodes, plan drain."""

from __future__ import annotations

import datetime
import sys
from collections import Counter
from decimal import Decimal, InvalidOperation
from importlib.metadata import PackageNotFoundError, version

from kubesched.model.records import Node
from kubesched.plan.drain import DrainPlan
from kubesched.plan.fit import FitResult
from kubesched.plan.nodes import NodePlan
from kubesched.plan.snapshots import usage_by_node
from kubesched.plan.templates import COST_ANNOTATION
from kubesched.reports.html import (HOURS_PER_MONTH, NodeRow, Page, bottleneck, grouped_reasons, money,
                                    node_table, percent, pool_table, table, totals, totals_table)
from kubesched.reports.reasons import group, plugin_of

INSTANCE_TYPE_LABELS = ("node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type")


def provenance(inputs: list[str], config: str | None, settings: dict[str, object]) -> list[tuple[str, str]]:
    """What the page was made from, so that it can be made again."""
    try:
        made_by = f"kubesched {version('kubesched')}"
    except PackageNotFoundError:
        made_by = "kubesched"
    rows = [("command", " ".join(["kubesched", *sys.argv[1:]]) if sys.argv else "kubesched"),
            ("inputs", ", ".join(inputs) or "–"), ("configuration", config or "the default profile")]
    rows += [(name, str(value)) for name, value in settings.items() if value is not None]
    rows += [("made by", made_by),
             ("made at", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"))]
    return rows


def pool_of(node: Node) -> str:
    return next((node.labels[label] for label in INSTANCE_TYPE_LABELS if label in node.labels), "existing")


def hourly_cost(node: Node) -> float | None:
    try:
        return float(Decimal(node.annotations[COST_ANNOTATION]))
    except (KeyError, InvalidOperation):
        return None


def _pools(nodes: list[Node], new: dict[str, str]) -> tuple[dict[str, list[str]], dict[str, float | None]]:
    pools: dict[str, list[str]] = {}
    costs: dict[str, float | None] = {}
    for node in nodes:
        pool = new.get(node.name) or pool_of(node)
        pools.setdefault(pool, []).append(node.name)
        costs.setdefault(pool, hourly_cost(node))
    return pools, costs


def _headline_totals(page: Page, before: dict, after: dict) -> None:
    for resource in ("cpu", "memory"):
        if resource in after:
            page.figure(f"{resource}-after", f"{resource} requested after (before: {percent(*before.get(resource, (0, 0)))})",
                        percent(*after[resource]))
    neck = bottleneck(after)
    if neck:
        page.figure("bottleneck", "bottleneck: the resource that runs out first", neck)


def simulate_report(result, before_usage: dict, currency: str, made: list[tuple[str, str]]) -> str:
    after_usage = usage_by_node(result.snapshot)
    summary = result.summary()
    page = Page("kubesched simulate", provenance=made)
    page.figure("placed", "pods placed", f"{summary['placed']} / {summary['pods']}")
    page.figure("unschedulable", "pods unschedulable", summary["unschedulable"])
    used = sum(1 for usage in after_usage.values() if usage["pods"][0])
    page.figure("nodes-used", "nodes with pods", f"{used} / {summary['nodes']}")
    before, after = totals(before_usage), totals(after_usage)
    _headline_totals(page, before, after)
    pools, costs = _pools(result.snapshot.nodes, {})
    page.section("Cluster totals before and after the simulation", totals_table(before, after))
    page.section("Per pool (instance type) after", pool_table(pools, after_usage, costs, currency))
    page.section("Unschedulable pods by plugin and reason",
                 grouped_reasons(group(p.message for p in result.placements if p.node is None)))
    placed = Counter(p.node for p in result.placements if p.node)
    rows = [NodeRow(n.name, pool_of(n), extra=(str(placed.get(n.name, 0)),)) for n in result.snapshot.nodes]
    page.section("Nodes", node_table(rows, before_usage, after_usage, ("pods placed",)))
    page.section("Unschedulable pods", table(["pod", "message"], [[p.pod, p.message] for p in result.placements
                                                                   if p.node is None]))
    return page.render()


def fit_report(result: FitResult, currency: str, made: list[tuple[str, str]]) -> str:
    after_usage = usage_by_node(result.snapshot)
    page = Page(f"kubesched plan fit: {result.pod.key}", provenance=made)
    page.figure("replicas", "more replicas fit", result.replicas)
    page.figure("stopped-by", "stopped by", "the --max-replicas cap" if result.capped else (
        ", ".join(sorted({plugin_of(reason) for reason in result.limited_by})) or "–"))
    before, after = totals(result.before), totals(after_usage)
    _headline_totals(page, before, after)
    pools, costs = _pools(result.snapshot.nodes, {})
    page.section("Cluster totals before and after the replicas", totals_table(before, after))
    page.section("Per pool (instance type) after", pool_table(pools, after_usage, costs, currency))
    page.section("What stops the next replica: nodes per reason",
                 table(["nodes", "plugin", "reason"],
                       [[count, plugin_of(reason), reason] for reason, count in
                        sorted(result.limited_by.items(), key=lambda kv: -kv[1])], numeric=(0,)))
    rows = [NodeRow(n.name, pool_of(n), extra=(str(result.per_node.get(n.name, 0)),)) for n in result.snapshot.nodes]
    page.section("Nodes", node_table(rows, result.before, after_usage, ("replicas",)))
    return page.render()


def nodes_report(plan: NodePlan, currency: str, made: list[tuple[str, str]]) -> str:
    data = plan.to_json()
    after_usage = usage_by_node(plan.snapshot)
    page = Page("kubesched plan nodes", provenance=made)
    page.figure("nodes-to-add", "nodes to add: " + ", ".join(f"{n} {t}" for t, n in data["byTemplate"].items()),
                data["nodeCount"])
    value = float(data["cost"]) if "cost" in data else float(data["nodeCount"])
    if "cost" in data:
        page.figure("cost-hour", "added cost per hour", money(value, currency, "h"))
        page.figure("cost-month", f"added cost per month ({HOURS_PER_MONTH} h)",
                    money(value * HOURS_PER_MONTH, currency, "month"))
    bound = float(data["lowerBound"])
    gap = (value - bound) / bound * 100 if bound > 0 else 0.0
    page.figure("gap", "above the lower bound" + (" (proven optimal)" if data["optimal"] else " (not proven optimal)"),
                f"{gap:.1f}%")
    if "asScheduled" in data:
        page.figure("as-scheduled", "nodes when the scheduler places pods one by one",
                    data["asScheduled"]["nodeCount"])
    page.figure("unschedulable", "pods that fit nowhere", len(data["unschedulable"]))
    before, after = totals(plan.before), totals(after_usage)
    _headline_totals(page, before, after)
    new = {node.name: template.name for node, template in plan.new_nodes}
    pools, costs = _pools(plan.snapshot.nodes, new)
    page.section("Cluster totals before and after the plan", totals_table(before, after))
    page.section("Per pool (template or instance type) after", pool_table(pools, after_usage, costs, currency))
    if data["unschedulable"]:
        page.section("Pods that fit nowhere, by plugin and reason",
                     grouped_reasons(group(p["message"] for p in data["unschedulable"])))
    daemons = Counter(pod["node"] for pod in data["daemonSetPods"])
    placed = Counter(p["node"] for p in data["placements"])
    rows = [NodeRow(n.name, new.get(n.name) or pool_of(n), ("new",) if n.name in new else (),
                    (str(placed.get(n.name, 0)), str(daemons.get(n.name, 0)))) for n in plan.snapshot.nodes]
    page.section("Nodes", node_table(rows, plan.before, after_usage, ("pods placed", "DaemonSet pods")))
    page.section("DaemonSet pods on the new nodes", table(["pod", "node"], [[p["pod"], p["node"]]
                                                                            for p in data["daemonSetPods"]]))
    page.section("Search", table(["", ""], [["method", data["search"]["method"]], ["seconds", data["seconds"]],
                                            ["lower bound", money(bound, currency, "h") if "cost" in data
                                             else f"{bound:g} nodes"],
                                            ["proven optimal", "yes" if data["optimal"] else "no"],
                                            ["repaired by the engine", data["repaired"]],
                                            ["existing nodes", len(plan.before)]]))
    return page.render()


def drain_report(plan: DrainPlan, currency: str, made: list[tuple[str, str]]) -> str:
    data = plan.to_json()
    after_usage = usage_by_node(plan.snapshot)
    drained = set(plan.nodes)
    page = Page("kubesched plan drain", provenance=made)
    page.figure("fits", "every evicted pod fits elsewhere", "yes" if plan.fits else "no")
    page.figure("evicted", "pods evicted", data["evicted"])
    page.figure("unschedulable", "pods that fit nowhere", len(data["unschedulable"]))
    page.figure("deleted", "pods deleted for good (no controller)", len(plan.not_recreated))
    staying = [name for name in after_usage if name not in drained]
    before, after = totals(plan.before), totals(after_usage, staying)
    _headline_totals(page, before, after)
    pools, costs = _pools([n for n in plan.snapshot.nodes if n.name not in drained], {})
    saved = sum(hourly_cost(n) or 0.0 for n in plan.snapshot.nodes if n.name in drained)
    if saved:
        page.figure("saved-month", f"saved per month ({HOURS_PER_MONTH} h)", money(saved * HOURS_PER_MONTH, currency,
                                                                                   "month"))
    page.section("Cluster totals before and after (without the drained nodes)", totals_table(before, after))
    page.section("Per pool (instance type) after", pool_table(pools, after_usage, costs, currency))
    if data["unschedulable"]:
        page.section("Pods that fit nowhere, by plugin and reason",
                     grouped_reasons(group(e["message"] for e in data["unschedulable"])))
    rows = [NodeRow(n.name, pool_of(n), ("drained",) if n.name in drained else ()) for n in plan.snapshot.nodes]
    page.section("Nodes", node_table(rows, plan.before, after_usage))
    page.section("PodDisruptionBudgets", table(["budget", "selected pods", "disruptions allowed", "evicted",
                                                "violated if simultaneous"],
                                               [[b.name, b.selected, b.allowed, b.evicted, "yes" if b.violated else "no"]
                                                for b in plan.budgets]))
    page.section("Where the evicted pods go", table(["pod", "from", "to", "why not"],
                                                    [[e.pod, e.source, e.node or "–", e.message]
                                                     for e in plan.evictions]))
    return page.render()
