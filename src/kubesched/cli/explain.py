"""`kubesched explain`: every node's filter verdicts and scores for one pod."""

from __future__ import annotations

import click

from kubesched.cli.options import (cluster_options, cluster_paths, config_option, load_profiles_and_extenders, require_served,
                                   scheduler_name_option, seed_option)
from kubesched.cli.output import Output, output_options, table
from kubesched.model.cluster import read_cluster
from kubesched.sim.explain import explain as run_explain


@click.command()
@cluster_options
@click.option("--pod", "pod_name", required=True, help="The pending pod to explain: NAME (in -n) or NAMESPACE/NAME.")
@click.option("-n", "--namespace", default="default", show_default=True, help="The pod's namespace.")
@config_option
@scheduler_name_option
@output_options
@seed_option
def explain(paths, kubeconfig, context, pod_name: str, namespace: str, config, scheduler_names, out: Output, seed) -> None:
    """Why POD goes where it goes: per node, each filter's verdict and each score plugin's
    raw, normalized and weighted score, with the total and the selected node.

    -o json gives it all; -o name the selected node."""
    pod_key = pod_name if "/" in pod_name else f"{namespace}/{pod_name}"
    profiles, extenders = load_profiles_and_extenders(config, scheduler_names)
    with cluster_paths(paths, kubeconfig, context) as paths:
        cluster = read_cluster(paths)
    require_served([p for p in cluster.pending_pods if p.key == pod_key], profiles)
    report = run_explain(cluster, profiles, pod_key, seed, extenders)
    out.emit(report, table=lambda: render_table(report), wide=lambda: render_table(report, wide=True),
             names=lambda: [f"node/{report['selectedNode']}"] if report["selectedNode"] else [])


def render_table(report: dict, wide: bool = False) -> str:
    """One row per node, the best first: verdict and total; `wide` adds each score plugin's
    raw→normalised×weight=weighted."""
    plugins = sorted({p for node in report["nodes"] for p in node.get("scores", {})}) if wide else []
    extenders = list(dict.fromkeys(e for node in report["nodes"] for e in node.get("extenderScores", {}))) \
        if wide else []
    header = ["NODE", "VERDICT", *(p.upper() for p in plugins), *extenders, "TOTAL"]
    rows = []
    for node in sorted(report["nodes"], key=lambda n: -n.get("total", -1)):
        if node["feasible"]:
            scores = node.get("scores", {})
            cells = [f"{s['raw']}→{s['normalized']}×{s['weight']}={s['weighted']}" if s else "-"
                     for s in (scores.get(p) for p in plugins)]
            by_extender = node.get("extenderScores", {})
            cells += [f"{s['score']}×{s['weight']}×10={s['weighted']}" if s else "-"
                      for s in (by_extender.get(e) for e in extenders)]
            verdict, total = "feasible", str(node["total"])
        else:
            failed = [(name, v) for name, v in (*node["filters"].items(), *node.get("extenders", {}).items())
                      if v["status"] in ("Unschedulable", "UnschedulableAndUnresolvable", "Error") and not v.get("ignored")]
            verdict = "not examined"
            if failed:
                name, v = failed[0]
                verdict = f"{name}: {'; '.join(v.get('reasons') or [v.get('error') or 'filtered out'])}"
            cells, total = ["-"] * (len(plugins) + len(extenders)), "-"
        marker = "*" if node["node"] == report["selectedNode"] else " "
        rows.append([marker + node["node"], verdict, *cells, total])
    tail = (f"selected: {report['selectedNode']}" if report["selectedNode"]
            else report.get("error") or report.get("message", "unschedulable"))
    if report.get("binder"):
        tail += f" (extender {report['binder']} would bind it; binding is live only)"
    lines = [f"pod {report['pod']} (profile {report['profile']})", table(header, rows, right={len(header) - 1}), tail]
    preemption = report.get("preemption")
    if preemption and preemption["candidates"]:
        lines += ["", table(["PREEMPTION CANDIDATE", "VICTIMS", "PDB VIOLATIONS", "HIGHEST PRIORITY", "PRIORITY SUM"],
                            [[("*" if c["chosen"] else " ") + c["node"], ", ".join(c["victims"]), str(c["pdbViolations"]),
                              str(c["highestPriority"]), str(c["prioritySum"])] for c in preemption["candidates"]],
                            right={2, 3, 4}),
                  f"nominated: {preemption['nominatedNode']} ({preemption['decidedBy']})"]
    return "\n".join(lines)
