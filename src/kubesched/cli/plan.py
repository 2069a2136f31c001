"""`kubesched plan fit|nodes|drain`: capacity planning on manifests, with the engine's decisions.

Each prints its answer as a table (or -o json|yaml|wide|name, --output-file) and, with
`--report`, writes a self-contained HTML page. Exit 1 when the answer is "does not fit".
"""

from __future__ import annotations

import sys

import click

from kubesched.cli.options import (FiniteFloat, cluster_inputs, cluster_options, cluster_paths, command_started,
                                   config_option, currency_option, load_profiles, report_option, require_served,
                                   same_decisions, scheduler_name_option, seed_option)
from kubesched.cli.output import output_options, table
from kubesched.deadline import Deadline
from kubesched.errors import InputError
from kubesched.framework.profile import Profile
from kubesched.model.cluster import read_cluster
from kubesched.model.pods import PodParser
from kubesched.progress import Stages
from kubesched.reports import pages
from kubesched.plan.daemons import DaemonSets
from kubesched.plan.drain import plan_drain
from kubesched.plan.fit import plan_fit, read_pod
from kubesched.plan.nodes import plan_nodes
from kubesched.plan.templates import read_templates


# Of --time-limit at most for reading the input: the plan of what was read (packing input,
# replay, output) costs about twice as much per pod as reading it (200,000 replicas, 2 s).
READING_SHARE = 0.25


@click.group()
def plan() -> None:
    """Capacity planning: how many replicas fit, how many nodes a workload needs, whether nodes can go."""


@plan.command()
@cluster_options
@click.option("--pod", "pod_path", required=True, type=click.Path(dir_okay=False),
              help="The pod to replicate: a Pod manifest, or a workload object whose template is used.")
@click.option("--max-replicas", type=click.IntRange(1, 1_000_000), default=10_000, show_default=True,
              help="Stop counting at this many replicas.")
@click.option("--with-pending", is_flag=True, help="Place the cluster's pending pods first.")
@click.option("--no-preemption", is_flag=True,
              help="Count only the room free now: copies do not preempt lower-priority pods.")
@config_option
@scheduler_name_option
@seed_option
@output_options
@report_option
@currency_option
def fit(paths, kubeconfig, context, pod_path, max_replicas, with_pending, no_preemption, config, scheduler_names,
        seed, out, report_path, currency):
    """How many more replicas of a pod fit now.

    Copies of the pod are placed one by one by the engine until one fits nowhere; the
    reasons of that failure are what limits. A copy that fits nowhere preempts as the
    scheduler would (its priority above the victims', preemptionPolicy, the profile's
    DefaultPreemption); the victims are listed. -o name: the nodes with room. Exit 1 when
    not even one fits."""
    inputs = cluster_inputs(paths, kubeconfig, context)
    with cluster_paths(paths, kubeconfig, context) as paths:
        cluster = read_cluster(paths)
    pod = read_pod(pod_path, PodParser(cluster.priority_classes, cluster.preemption_policies,
                                       runtime_classes=cluster.runtime_classes))
    profile = _profile(config, scheduler_names, [pod, *(cluster.pending_pods if with_pending else ())])
    result = plan_fit(cluster, pod, profile, max_replicas=max_replicas, with_pending=with_pending, seed=seed,
                      allow_preemption=not no_preemption)
    if report_path:
        made = pages.provenance([*inputs, f"--pod {pod_path}"], config, {
            "scheduler names": ", ".join(scheduler_names) or None, "seed": seed, "max replicas": max_replicas,
            "with pending": with_pending or None})
        _write_text(report_path, pages.fit_report(result, currency, made))

    def summary() -> str:
        lines = [f"{result.replicas} replicas of {pod.key} fit."]
        if result.per_node:
            lines.append(table(["REPLICAS", "NODE"], [[count, node] for node, count in result.per_node.items()],
                               right={0}))
        if result.preemptions:
            lines.append(f"{len(result.preemptions)} of them preempt {len(result.victims)} lower-priority pods:")
            lines.append(table(["NODE", "VICTIMS", "PDB VIOLATIONS"], [
                [p.node, ", ".join(v.key for v in p.victims), p.pdb_violations] for p in result.preemptions],
                right={2}))
        lines.append("Stopped at --max-replicas." if result.capped else f"The next one does not: {result.message}")
        return "\n".join(lines)

    out.emit(result.to_json(), table=summary, names=lambda: [f"node/{node}" for node in result.per_node])
    if result.replicas == 0:
        sys.exit(1)


@plan.command()
@cluster_options
@click.option("--node-template", "template_paths", multiple=True, required=True, type=click.Path(),
              help="A Node manifest whose copies may be added (annotation kubesched.io/hourly-cost: its price). "
                   "Repeatable; a file may hold several.")
@click.option("--time-limit", type=FiniteFloat(min=0), default=10.0, show_default=True,
              help="Seconds for the whole command, reading the input included; the search stops earlier when "
                   "it proves the answer optimal. At the limit the answer is the best so far, and says what was "
                   "cut short.")
@click.option("--as-scheduled", is_flag=True,
              help="Also count the nodes the scheduler ends up with placing pods one by one.")
@config_option
@scheduler_name_option
@seed_option
@output_options
@report_option
@currency_option
def nodes(paths, kubeconfig, context, template_paths, time_limit, as_scheduled, config, scheduler_names, seed, out,
          report_path, currency):
    """Fewest nodes (or lowest cost) to add so all fits.

    The nodes come from the node templates; every pending pod of PATHs must fit, by the
    engine's filters. With costs on the templates the hourly cost is minimised. -o name:
    the nodes to add; -o wide: also where each pod goes."""
    deadline = Deadline.after(time_limit, command_started())  # --time-limit covers the whole command
    inputs = cluster_inputs(paths, kubeconfig, context)
    with cluster_paths(paths, kubeconfig, context) as paths:
        cluster = read_cluster(paths, stop=deadline.part(READING_SHARE).passed)
        parser = PodParser(cluster.priority_classes, runtime_classes=cluster.runtime_classes)
        daemons = DaemonSets(cluster.daemon_sets, parser)
    profile = _profile(config, scheduler_names, cluster.pending_pods)
    templates = read_templates(template_paths)
    with Stages() as stages:
        result = plan_nodes(cluster, templates, profile, daemons, seed=seed, as_scheduled=as_scheduled,
                            stages=stages, deadline=deadline)
    data = result.to_json()
    if result.time_limit_reached:
        click.echo(f"kubesched: warning: {deadline.message()}", err=True)
    if report_path:
        made = pages.provenance([*inputs, *(f"--node-template {t}" for t in template_paths)], config, {
            "scheduler names": ", ".join(scheduler_names) or None, "seed": seed, "time limit": f"{time_limit:g} s",
            "currency": currency})
        _write_text(report_path, pages.nodes_report(result, currency, made))

    def summary() -> str:
        what = f"{data['nodeCount']} nodes" + (f" (hourly cost {data['cost']})" if "cost" in data else "")
        proof = "optimal" if data["optimal"] else f"lower bound {data['lowerBound']}"
        lines = [f"Add {what}: " + ", ".join(f"{count} {name}" for name, count in data["byTemplate"].items())
                 + f"; {proof}; {data['seconds']} s."]
        if "asScheduled" in data:
            scheduled = data["asScheduled"]
            cost = f" (hourly cost {scheduled['cost']})" if "cost" in scheduled else ""
            lines.append(f"Placing pods one by one as the scheduler does needs {scheduled['nodeCount']} nodes{cost}.")
        if data["repaired"]:
            lines.append(f"{data['repaired']} pods were placed elsewhere than planned when replayed through "
                         "the engine.")
        if data["unschedulable"]:
            lines.append(f"{len(data['unschedulable'])} pods fit nowhere:")
            lines += [f"  {entry['pod']}: {entry['message']}" for entry in data["unschedulable"][:20]]
        return "\n".join(lines)

    def wide() -> str:
        return summary() + "\n\n" + table(["POD", "NODE"], [[p["pod"], p["node"]] for p in data["placements"]])

    out.emit(data, table=summary, wide=wide, names=lambda: [f"node/{n['name']}" for n in data["newNodes"]])
    if data["unschedulable"]:
        sys.exit(1)


@plan.command()
@cluster_options
@click.option("--nodes", "node_list", required=True, help="The nodes to drain, comma-separated.")
@click.option("--no-preemption", is_flag=True, help="Evicted pods do not preempt lower-priority pods to land.")
@config_option
@scheduler_name_option
@seed_option
@output_options
@report_option
@currency_option
def drain(paths, kubeconfig, context, node_list, no_preemption, config, scheduler_names, seed, out, report_path,
          currency):
    """Can these nodes go? Where their pods would land.

    The nodes are cordoned, their pods (not DaemonSet pods) evicted and placed by the
    engine; PodDisruptionBudgets are checked. An evicted pod that fits nowhere preempts as
    the scheduler would; its victims are listed, and those with a controller are placed in
    turn. -o name: the evicted pods; -o wide: also where each goes. Exit 1 when a pod would
    fit nowhere."""
    inputs = cluster_inputs(paths, kubeconfig, context)
    with cluster_paths(paths, kubeconfig, context) as paths:
        cluster = read_cluster(paths)
    names = [n.strip() for n in node_list.split(",") if n.strip()]
    replaced = [p for p in cluster.bound_pods
                if p.node_name in names and p.owner_kind and p.owner_kind not in ("DaemonSet", "Node")]
    profile = _profile(config, scheduler_names, replaced)
    result = plan_drain(cluster, names, profile, seed, allow_preemption=not no_preemption)
    data = result.to_json()
    if report_path:
        made = pages.provenance(inputs, config, {"scheduler names": ", ".join(scheduler_names) or None, "seed": seed,
                                                 "drained": ", ".join(names)})
        _write_text(report_path, pages.drain_report(result, currency, made))

    def summary() -> str:
        lines = [f"Draining {', '.join(names)}: {data['evicted']} pods evicted, "
                 f"{len(data['placements'])} re-placed, {len(data['unschedulable'])} fit nowhere."]
        lines += [f"  {entry['pod']}: {entry['message']}" for entry in data["unschedulable"][:20]]
        if result.not_recreated:
            lines.append(f"{len(result.not_recreated)} pods have no controller and would be deleted for good: "
                         + ", ".join(result.not_recreated[:10]))
        for budget in result.budgets:
            if budget.violated:
                lines.append(f"PodDisruptionBudget {budget.name}: evicting {budget.evicted} pods at once exceeds "
                             f"the {budget.allowed} disruptions it allows; drain one node at a time.")
        for placement in result.preemptions:
            lines.append(f"{placement.pod.key} preempts {', '.join(v.key for v in placement.victims)} on "
                         f"{placement.node}" + (f" ({placement.pdb_violations} PDB violations)"
                                                 if placement.pdb_violations else "") + ".")
        if result.preempted_for_good:
            lines.append(f"{len(result.preempted_for_good)} preempted pods have no controller and would be deleted "
                         "for good: " + ", ".join(result.preempted_for_good[:10]))
        return "\n".join(lines)

    def wide() -> str:
        rows = [[e.pod, e.source, e.node or "-", e.message] for e in result.evictions]
        return summary() + "\n\n" + table(["POD", "FROM", "TO", "MESSAGE"], rows)

    out.emit(data, table=summary, wide=wide, names=lambda: [f"pod/{e.pod}" for e in result.evictions])
    if not result.fits:
        sys.exit(1)


def _profile(config: str | None, scheduler_names: tuple[str, ...], pods) -> Profile:
    """The one profile a plan decides with: the one serving the pods it places (several
    schedulerNames are fine when their profiles decide alike)."""
    profiles = load_profiles(config, scheduler_names)
    pods = list(pods)
    require_served(pods, profiles)
    named = list(dict.fromkeys(p.spec.scheduler_name for p in pods))
    if not same_decisions([profiles[name] for name in named]):
        raise InputError(f"a plan decides with one profile, but the pods name {', '.join(map(repr, named))}, "
                         "whose profiles differ; plan them separately", field="spec.schedulerName")
    if named:
        return profiles[named[0]]
    return profiles.get("default-scheduler") or next(iter(profiles.values()))


def _write_text(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
