"""`kubesched cluster`: a real control plane on loopback for tests, benchmarks and users."""

from __future__ import annotations

from pathlib import Path

import click

from kubesched.cluster import build as binaries
from kubesched.cluster import nodes as fake_nodes
from kubesched.errors import InputError

directory_option = click.option(
    "--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="The plane's directory (kubeconfig, pki/, logs/, pids/). "
         "Default: $XDG_STATE_HOME/kubesched/cluster.")


@click.group()
def cluster() -> None:
    """Build, start and stop a control plane: etcd, kube-apiserver, kwok's fake nodes and,
    on request, kube-scheduler and kube-controller-manager."""


@cluster.command()
def build() -> None:
    """Build the control plane's binaries from Go modules, or find them cached."""
    click.echo(_bin_dir(build_if_missing=True))


@cluster.command("bin-dir")
def bin_dir() -> None:
    """Print the directory that holds the binaries (exit 1 if they are not built yet)."""
    click.echo(_bin_dir(build_if_missing=False))


@cluster.command()
@click.option("--nodes", default=3, show_default=True, type=click.IntRange(min=0),
              help="How many fake nodes to create.")
@click.option("--node-cpu", default="4", show_default=True, help="Allocatable cpu per node.")
@click.option("--node-memory", default="32Gi", show_default=True,
              help="Allocatable memory per node.")
@click.option("--node-pods", default=110, show_default=True, type=click.IntRange(min=1),
              help="Allocatable pods per node.")
@click.option("--zones", default=3, show_default=True, type=click.IntRange(min=1),
              help="Nodes go round robin into topology.kubernetes.io/zone=zone-0..zone-{N-1}.")
@click.option("--with-kube-scheduler", is_flag=True,
              help="Also run the reference kube-scheduler (client qps/burst 5000).")
@click.option("--with-controller-manager", is_flag=True,
              help="Also run kube-controller-manager (workloads, namespaces, GC, ...).")
@directory_option
def up(nodes: int, node_cpu: str, node_memory: str, node_pods: int, zones: int,
       with_kube_scheduler: bool, with_controller_manager: bool, directory: Path | None) -> None:
    """Start a control plane and print its admin kubeconfig's path as the last line."""
    from kubesched.cluster import plane  # here: it needs `cryptography`, other commands do not

    for option, value in (("--node-cpu", node_cpu), ("--node-memory", node_memory)):
        if not fake_nodes.is_quantity(value):
            raise InputError(f"{value!r} is not a Kubernetes quantity (e.g. 4, 500m, 32Gi)",
                             field=option)
    directory = directory or plane.default_directory()
    click.echo(f"cluster directory: {directory}", err=True)
    options = plane.PlaneOptions(
        nodes=nodes,
        node_shape=fake_nodes.NodeShape(cpu=node_cpu, memory=node_memory, pods=node_pods,
                                        zones=zones),
        with_kube_scheduler=with_kube_scheduler,
        with_controller_manager=with_controller_manager)
    try:
        started = plane.up(directory, options)
    except (plane.ComponentError, binaries.BuildError, fake_nodes.NodeError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(started.kubeconfig)


@cluster.command()
@directory_option
def down(directory: Path | None) -> None:
    """Stop every component of the plane; no process is left behind."""
    from kubesched.cluster import plane

    directory = directory or plane.default_directory()
    stopped = plane.down(directory)
    click.echo(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running", err=True)


def _bin_dir(*, build_if_missing: bool) -> Path:
    try:
        if build_if_missing:
            return binaries.ensure_built()
        found = binaries.cached_bin_dir()
    except binaries.BuildError as error:
        raise click.ClickException(str(error)) from None
    if found is None:
        raise click.ClickException("the control plane is not built: run `kubesched cluster build`")
    return found
