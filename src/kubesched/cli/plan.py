"""`kubesched plan fit|nodes|drain`: capacity planning on manifests, with the engine's decisions.

Each writes its answer as JSON (`-o`), a readable summary on stdout and, with `--report`, a
self-contained HTML page. Exit 1 when the answer is "does not fit".
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from collections.abc import Iterator

import click
import orjson

from kubesched.cli.options import (MANIFEST_HELP, FiniteFloat, command_started, config_option, load_profiles,
                                   seed_option)
from kubesched.errors import InputError
from kubesched.framework.profile import Profile
from kubesched.model.cluster import read_cluster
from kubesched.model.pods import PodParser
from kubesched.plan import report
from kubesched.plan.cluster_dump import api_client_from, dump_cluster
from kubesched.plan.daemons import DaemonSets
from kubesched.plan.drain import plan_drain
from kubesched.plan.fit import plan_fit, read_pod
from kubesched.plan.nodes import plan_nodes
from kubesched.plan.templates import read_templates


def cluster_options(command):
    """-f manifests and/or --kubeconfig: a live cluster, read as `kubesched snapshot` dumps it."""
    command = click.option("--context", default=None,
                           help="With --kubeconfig: its context (default: the current one).")(command)
    command = click.option("--kubeconfig", type=click.Path(dir_okay=False),
                           help="Read the cluster from this live API server instead of (or besides) -f.")(command)
    return click.option("-f", "--filename", "paths", multiple=True, type=click.Path(), help=MANIFEST_HELP)(command)


@contextlib.contextmanager
def cluster_paths(paths: tuple[str, ...], kubeconfig: str | None, context: str | None) -> Iterator[list[str]]:
    """The manifest paths, with a snapshot of the live cluster first when --kubeconfig is given."""
    if not paths and not kubeconfig:
        raise InputError("give the cluster as -f manifests or --kubeconfig", field="-f/--kubeconfig")
    if not kubeconfig:
        yield list(paths)
        return
    api_client = api_client_from(kubeconfig, context)
    with tempfile.TemporaryDirectory(prefix="kubesched-snapshot-") as directory:
        try:
            dump_cluster(api_client, directory, warn=lambda message: click.echo(f"warning: {message}", err=True))
        finally:
            api_client.close()
        yield [directory, *paths]


output_option = click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
                             help="Write the answer as JSON to this file.")
report_option = click.option("--report", "report_path", type=click.Path(dir_okay=False, writable=True),
                             help="Write a self-contained HTML report with charts to this file.")


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
@config_option
@seed_option
@output_option
@report_option
def fit(paths, kubeconfig, context, pod_path, max_replicas, with_pending, config, seed, output, report_path):
    """How many more replicas of a pod fit now.

    Copies of the pod are placed one by one by the engine until one fits nowhere; the
    reasons of that failure are what limits. Exit 1 when not even one fits."""
    profile = _profile(config)
    with cluster_paths(paths, kubeconfig, context) as paths:
        cluster = read_cluster(paths)
    pod = read_pod(pod_path, PodParser(cluster.priority_classes))
    result = plan_fit(cluster, pod, profile, max_replicas=max_replicas, with_pending=with_pending, seed=seed)
    _write(output, result.to_json())
    if report_path:
        _write_text(report_path, report.fit_report(result))
    click.echo(f"{result.replicas} replicas of {pod.key} fit.")
    for node, count in result.per_node.items():
        click.echo(f"  {count:>6}  {node}")
    click.echo("Stopped at --max-replicas." if result.capped else f"The next one does not: {result.message}")
    if result.replicas == 0:
        sys.exit(1)


@plan.command()
@cluster_options
@click.option("--node-template", "template_paths", multiple=True, required=True, type=click.Path(),
              help="A Node manifest whose copies may be added (annotation kubesched.io/hourly-cost: its price). "
                   "Repeatable; a file may hold several.")
@click.option("--time-limit", type=FiniteFloat(min=0), default=10.0, show_default=True,
              help="Seconds for the whole command, reading the input included; the search stops earlier when "
                   "it proves the answer optimal.")
@click.option("--as-scheduled", is_flag=True,
              help="Also count the nodes the scheduler ends up with placing pods one by one.")
@config_option
@seed_option
@output_option
@report_option
def nodes(paths, kubeconfig, context, template_paths, time_limit, as_scheduled, config, seed, output,
          report_path):
    """Fewest nodes (or lowest cost) to add so all fits.

    The nodes come from the node templates; every pending pod of PATHs must fit, by the
    engine's filters. With costs on the templates the hourly cost is minimised."""
    started = command_started()  # --time-limit covers the whole command
    profile = _profile(config)
    with cluster_paths(paths, kubeconfig, context) as paths:
        cluster = read_cluster(paths)
        daemons = DaemonSets.from_paths(paths, PodParser(cluster.priority_classes))
    templates = read_templates(template_paths)
    result = plan_nodes(cluster, templates, profile, daemons, time_limit=time_limit, seed=seed,
                        as_scheduled=as_scheduled, started=started)
    data = result.to_json()
    _write(output, data)
    if report_path:
        _write_text(report_path, report.nodes_report(result))
    what = f"{data['nodeCount']} nodes" + (f" (hourly cost {data['cost']})" if "cost" in data else "")
    proof = "optimal" if data["optimal"] else f"lower bound {data['lowerBound']}"
    click.echo(f"Add {what}: " + ", ".join(f"{count} {name}" for name, count in data["byTemplate"].items())
               + f"; {proof}; {data['seconds']} s.")
    if "asScheduled" in data:
        scheduled = data["asScheduled"]
        cost = f" (hourly cost {scheduled['cost']})" if "cost" in scheduled else ""
        click.echo(f"Placing pods one by one as the scheduler does needs {scheduled['nodeCount']} nodes{cost}.")
    if data["repaired"]:
        click.echo(f"{data['repaired']} pods were placed elsewhere than planned when replayed through the engine.")
    if data["unschedulable"]:
        click.echo(f"{len(data['unschedulable'])} pods fit nowhere:")
        for entry in data["unschedulable"][:20]:
            click.echo(f"  {entry['pod']}: {entry['message']}")
        sys.exit(1)


@plan.command()
@cluster_options
@click.option("--nodes", "node_list", required=True, help="The nodes to drain, comma-separated.")
@config_option
@seed_option
@output_option
@report_option
def drain(paths, kubeconfig, context, node_list, config, seed, output, report_path):
    """Can these nodes go? Where their pods would land.

    The nodes are cordoned, their pods (not DaemonSet pods) evicted and placed by the
    engine; PodDisruptionBudgets are checked. Exit 1 when a pod would fit nowhere."""
    profile = _profile(config)
    with cluster_paths(paths, kubeconfig, context) as paths:
        cluster = read_cluster(paths)
    names = [n.strip() for n in node_list.split(",") if n.strip()]
    result = plan_drain(cluster, names, profile, seed)
    data = result.to_json()
    _write(output, data)
    if report_path:
        _write_text(report_path, report.drain_report(result))
    click.echo(f"Draining {', '.join(names)}: {data['evicted']} pods evicted, "
               f"{len(data['placements'])} re-placed, {len(data['unschedulable'])} fit nowhere.")
    for entry in data["unschedulable"][:20]:
        click.echo(f"  {entry['pod']}: {entry['message']}")
    if result.not_recreated:
        click.echo(f"{len(result.not_recreated)} pods have no controller and would be deleted for good: "
                   + ", ".join(result.not_recreated[:10]))
    for budget in result.budgets:
        if budget.violated:
            click.echo(f"PodDisruptionBudget {budget.name}: evicting {budget.evicted} pods at once exceeds the "
                       f"{budget.allowed} disruptions it allows; drain one node at a time.")
    if not result.fits:
        sys.exit(1)


def _profile(config: str | None) -> Profile:
    profiles = load_profiles(config)
    return profiles.get("default-scheduler") or next(iter(profiles.values()))


def _write(path: str | None, data: dict) -> None:
    if path:
        with open(path, "wb") as handle:
            handle.write(orjson.dumps(data, option=orjson.OPT_INDENT_2))


def _write_text(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)

