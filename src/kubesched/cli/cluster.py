"""`kubesched cluster`: a real control plane on loopback for tests, benchmarks and users."""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

import click
import yaml

from kubesched.cli.output import Output, output_options, table
from kubesched.cluster import build as binaries
from kubesched.cluster import nodes as fake_nodes
from kubesched.errors import InputError



def directory_option(command):
    """--name NAME (a cluster under $XDG_STATE_HOME/kubesched/clusters/) or --dir DIR; the
    command receives the directory."""

    @functools.wraps(command)
    def with_directory(*args, name: str, directory: Path | None, **kwargs):
        from kubesched.cluster import plane

        return command(*args, directory=directory or plane.default_directory(name), **kwargs)

    with_directory = click.option(
        "--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=None,
        help="The plane's directory (kubeconfig, pki/, logs/, pids/) instead of the named cluster's.",
    )(with_directory)
    return click.option("--name", default="kubesched", show_default=True,
                        help="The cluster's name: its directory is $XDG_STATE_HOME/kubesched/clusters/NAME.",
                        callback=_check_name)(with_directory)


def _check_name(_ctx, _param, value: str) -> str:
    if not re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", value):
        raise click.BadParameter(f"{value!r}: lower-case letters, digits and '-' (as kind's cluster names)")
    return value


@click.group()
def cluster() -> None:
    """Build, start and stop named control planes: etcd, kube-apiserver, kwok's fake nodes,
    kube-controller-manager and, on request, kube-scheduler."""


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
@click.option("--node-taints", default="", metavar="TAINTS",
              help="Taints of every node, comma-separated: key[=value]:Effect, or `kwok` for kwok's "
                   "kwok.x-k8s.io/node=fake:NoSchedule. Default: none, so pods schedule without tolerations.")
@click.option("--with-kube-scheduler", is_flag=True,
              help="Also run the reference kube-scheduler (client qps/burst 5000).")
@click.option("--kube-scheduler-config", type=click.Path(dir_okay=False, exists=True), default=None,
              help="With --with-kube-scheduler: its KubeSchedulerConfiguration (profiles, plugins); the "
                   "plane sets clientConnection.kubeconfig.")
@click.option("--with-controller-manager/--without-controller-manager", default=True, show_default=True,
              help="Run kube-controller-manager (Deployments and Jobs create pods, namespaces, GC, ...).")
@click.option("--recreate", is_flag=True, help="Replace the cluster if it is running (its state is lost).")
@directory_option
def up(nodes: int, node_cpu: str, node_memory: str, node_pods: int, zones: int, node_taints: str,
       with_kube_scheduler: bool, kube_scheduler_config: str | None, with_controller_manager: bool,
       recreate: bool, directory: Path) -> None:
    """Start a control plane and print its admin kubeconfig's path as the last line.

    A cluster already running under the name (or in --dir) is kept, and `up` fails,
    unless --recreate."""
    from kubesched.cluster import plane  # here: it needs `cryptography`, other commands do not

    for option, value in (("--node-cpu", node_cpu), ("--node-memory", node_memory)):
        if not fake_nodes.is_quantity(value):
            raise InputError(f"{value!r} is not a Kubernetes quantity (e.g. 4, 500m, 32Gi)",
                             field=option)
    try:
        taints = fake_nodes.parse_taints(node_taints)
    except ValueError as error:
        raise InputError(str(error), field="--node-taints") from None
    if kube_scheduler_config and not with_kube_scheduler:
        raise InputError("needs --with-kube-scheduler", field="--kube-scheduler-config")
    click.echo(f"cluster directory: {directory}", err=True)
    if not with_controller_manager:
        click.echo("note: without kube-controller-manager, Deployments, ReplicaSets, Jobs and DaemonSets "
                   "create no pods", err=True)
    options = plane.PlaneOptions(
        nodes=nodes,
        node_shape=fake_nodes.NodeShape(cpu=node_cpu, memory=node_memory, pods=node_pods,
                                        zones=zones, taints=taints),
        with_kube_scheduler=with_kube_scheduler,
        with_controller_manager=with_controller_manager,
        kube_scheduler_config=_scheduler_config(kube_scheduler_config))
    try:
        started = plane.up(directory, options, recreate=recreate)
    except (plane.ComponentError, binaries.BuildError, fake_nodes.NodeError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(started.kubeconfig)


@cluster.command()
@directory_option
def down(directory: Path) -> None:
    """Stop every component of the plane; no process is left behind."""
    from kubesched.cluster import plane

    stopped = plane.down(directory)
    click.echo(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running", err=True)


@cluster.command("list")
@output_options
def list_clusters(out: Output) -> None:
    """The named clusters: whether each runs, its API server and node count."""
    from kubesched.cluster import plane

    found = plane.list_clusters()
    document = [{"name": c.name, "running": c.running, "server": c.server, "nodes": c.nodes,
                 "directory": str(c.directory)} for c in found]
    if not found and not out.format:
        click.echo("no clusters", err=True)
        return
    out.emit(document, names=lambda: [f"cluster/{c.name}" for c in found],
             table=lambda: table(["NAME", "STATUS", "SERVER", "NODES"],
                                 [[c.name, "running" if c.running else "stopped", c.server or "-",
                                   "-" if c.nodes is None else c.nodes] for c in found], right={3}),
             wide=lambda: table(["NAME", "STATUS", "SERVER", "NODES", "DIRECTORY"],
                                [[c.name, "running" if c.running else "stopped", c.server or "-",
                                  "-" if c.nodes is None else c.nodes, c.directory] for c in found], right={3}))


@cluster.group()
def get() -> None:
    """Print something about a cluster."""


@get.command()
@directory_option
@click.option("--path", "path_only", is_flag=True, help="Print the file's path instead of its content.")
def kubeconfig(directory: Path, path_only: bool) -> None:
    """Print the cluster's admin kubeconfig, as `kind get kubeconfig` does."""
    path = _kubeconfig_of(directory)
    click.echo(str(path) if path_only else path.read_text(), nl=path_only)


@cluster.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@directory_option
@click.argument("arguments", nargs=-1, type=click.UNPROCESSED)
def kubectl(directory: Path, arguments: tuple[str, ...]) -> None:
    """Run the cluster's own kubectl (its Kubernetes version) with its kubeconfig:
    `kubesched cluster kubectl [--name N] -- get pods -A`."""
    binary = _bin_dir(build_if_missing=False) / "kubectl"
    if not binary.is_file():
        raise click.ClickException(f"no kubectl in {binary.parent}: run `kubesched cluster build`")
    path = _kubeconfig_of(directory)
    os.execve(binary, [str(binary), *arguments], {**os.environ, "KUBECONFIG": str(path)})


def _kubeconfig_of(directory: Path) -> Path:
    from kubesched.cluster import plane

    path = plane.Plane(directory, "").kubeconfig
    if not (directory / plane.MARKER).is_file() or not path.is_file():
        raise InputError("no kubesched cluster here: `kubesched cluster up` first", file=str(directory))
    return path


def _scheduler_config(path: str | None) -> dict | None:
    if path is None:
        return None
    try:
        document = yaml.safe_load(open(path, encoding="utf-8"))
    except yaml.YAMLError as error:
        raise InputError(f"invalid YAML: {error}", file=path) from None
    if not isinstance(document, dict) or document.get("kind") != "KubeSchedulerConfiguration":
        raise InputError("expected a KubeSchedulerConfiguration", file=path, field="kind")
    return document


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
