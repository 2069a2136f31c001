"""`kubesched simulate`: place pending pods on a cluster from manifests, in memory."""

from __future__ import annotations

import click
import orjson

from kubesched.cli.options import cluster_options, cluster_paths, config_option, load_profiles, seed_option
from kubesched.model.cluster import read_cluster
from kubesched.sim.simulate import SimulationResult, simulate as run_simulation


@click.command()
@cluster_options
@config_option
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, writable=True),
              help="Write the placements as JSON to this file.")
@seed_option
def simulate(paths: tuple[str, ...], kubeconfig: str | None, context: str | None, config: str | None,
             output: str | None, seed: int | None) -> None:
    """Schedule the pending pods of PATHs (nodes + pods + workloads) in memory.

    Nodes and pods with spec.nodeName are the cluster's state; the other pods are decided
    in queue order (priority, creation time, input order) by the profile their
    schedulerName names."""
    profiles = load_profiles(config)
    with cluster_paths(paths, kubeconfig, context) as paths:
        cluster = read_cluster(paths)
    result = run_simulation(cluster, profiles, seed)
    if output:
        with open(output, "wb") as handle:
            handle.write(orjson.dumps(result.to_json(), option=orjson.OPT_INDENT_2))
    click.echo(render_summary(result))


def render_summary(result: SimulationResult) -> str:
    summary = result.summary()
    lines = [f"{summary['placed']}/{summary['pods']} pods placed on {summary['nodes']} nodes; "
             f"{summary['unschedulable']} unschedulable."]
    if summary["unschedulableByMessage"]:
        lines.append("Unschedulable:")
        for message, count in sorted(summary["unschedulableByMessage"].items(), key=lambda kv: -kv[1]):
            lines.append(f"  {count:>6}  {message}")
    lines.append("Utilisation (requested / allocatable):")
    for resource, usage in summary["utilization"].items():
        lines.append(f"  {resource:<20} {usage['ratio'] * 100:6.1f}%  "
                     f"({_amount(resource, usage['requested'])} / {_amount(resource, usage['allocatable'])})")
    return "\n".join(lines)


def _amount(resource: str, value: int) -> str:
    """CPU in cores (the core counts millicores), memory and storage in Gi, the rest as is."""
    if resource == "cpu":
        return f"{value / 1000:g}"
    if resource in ("memory", "ephemeral-storage") or resource.startswith("hugepages-"):
        return f"{value / 2**30:.1f}Gi"
    return str(value)
