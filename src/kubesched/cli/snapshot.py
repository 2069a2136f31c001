"""`kubesched snapshot`: dump a live cluster as manifests for offline use."""

from __future__ import annotations

import click

from kubesched.cli.options import kube_options
from kubesched.kube import connect
from kubesched.plan.cluster_dump import dump_cluster


@click.command()
@kube_options
@click.option("--output-directory", "directory", required=True, type=click.Path(file_okay=False),
              help="The directory to write <kind>.yaml files into (created if missing), as "
                   "`kubectl cluster-info dump --output-directory`.")
@click.option("--page-size", type=click.IntRange(min=1), default=500, show_default=True,
              help="Objects per list request.")
def snapshot(kubeconfig, context, directory, page_size):
    """Write the cluster's nodes, pods, namespaces, services, controllers, PriorityClasses and
    PodDisruptionBudgets to DIR, for `kubesched simulate -f DIR` and `kubesched plan ... -f DIR`."""
    kube = connect(kubeconfig, context, connections=4)
    try:
        counts = dump_cluster(kube, directory, page_size=page_size,
                              warn=lambda message: click.echo(f"warning: {message}", err=True))
    finally:
        kube.close()
    click.echo(", ".join(f"{count} {kind}" for kind, count in counts.items()) + f" written to {directory}")
