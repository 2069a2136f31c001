"""`kubesched explain`: every node's filter verdicts and scores for one pod."""

from __future__ import annotations

import click
import orjson

from kubesched.cli.options import cluster_options, cluster_paths, config_option, load_profiles, seed_option
from kubesched.model.cluster import read_cluster
from kubesched.sim.explain import explain as run_explain


@click.command()
@cluster_options
@click.option("--pod", "pod_key", required=True, help="The pending pod to explain, as namespace/name.")
@config_option
@click.option("--format", "output_format", type=click.Choice(["json", "table"]), default="json",
              show_default=True)
@seed_option
def explain(paths, kubeconfig, context, pod_key: str, config, output_format: str, seed) -> None:
    """Why POD goes where it goes: per node, each filter's verdict and each score plugin's
    raw, normalized and weighted score, with the total and the selected node."""
    if "/" not in pod_key:
        pod_key = f"default/{pod_key}"
    with cluster_paths(paths, kubeconfig, context) as paths:
        cluster = read_cluster(paths)
    report = run_explain(cluster, load_profiles(config), pod_key, seed)
    if output_format == "json":
        click.echo(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
    else:
        click.echo(render_table(report))


def render_table(report: dict) -> str:
    plugins = sorted({p for node in report["nodes"] for p in node.get("scores", {})})
    header = ["NODE", "VERDICT", *plugins, "TOTAL"]
    rows = []
    for node in sorted(report["nodes"], key=lambda n: -n.get("total", -1)):
        if node["feasible"]:
            cells = [f"{s['raw']}→{s['normalized']}×{s['weight']}={s['weighted']}"
                     for s in (node["scores"].get(p) for p in plugins) if s] if node.get("scores") else []
            verdict = "feasible"
            total = str(node["total"])
        else:
            failed = [(name, v) for name, v in node["filters"].items() if v["status"] == "Unschedulable"]
            verdict = f"{failed[0][0]}: {'; '.join(failed[0][1]['reasons'])}" if failed else "not examined"
            cells = ["-"] * len(plugins)
            total = "-"
        marker = "*" if node["node"] == report["selectedNode"] else " "
        rows.append([marker + node["node"], verdict, *cells, total])
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)) for row in [header, *rows]]
    tail = (f"selected: {report['selectedNode']}" if report["selectedNode"]
            else report.get("message", "unschedulable"))
    return "\n".join([f"pod {report['pod']} (profile {report['profile']})", *lines, tail])
