"""Options shared by several subcommands."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator

import click

from kubesched.errors import InputError

from kubesched.framework.config import load_config
from kubesched.framework.profile import Profile, default_profile

MANIFEST_HELP = "A manifest file or directory (YAML or JSON; multi-document and kind: List). Repeatable."
config_option = click.option(
    "--config", type=click.Path(dir_okay=False),
    help="A KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1).")
seed_option = click.option(
    "--seed", type=int, default=None,
    help="Break score ties at random with this seed (default: the first node in input order).")


def load_profiles(config: str | None) -> dict[str, Profile]:
    if config is None:
        profile = default_profile()
        return {profile.scheduler_name: profile}
    return load_config(config)


KUBECONFIG_HELP = ("The kubeconfig (default: $KUBECONFIG, a colon-separated list merged, else "
                   "~/.kube/config, else the pod's service account).")
CONTEXT_HELP = "The kubeconfig context to use (default: its current-context)."


def kube_options(command):
    """--kubeconfig and --context, resolved by `kubesched.kube.connect` as client-go does."""
    command = click.option("--context", default=None, help=CONTEXT_HELP)(command)
    return click.option("--kubeconfig", type=click.Path(dir_okay=False), default=None,
                        help=KUBECONFIG_HELP)(command)


def cluster_options(command):
    """-f manifests and/or a live cluster (--kubeconfig, --context), read as `kubesched
    snapshot` dumps it."""
    command = click.option("--context", default=None,
                           help="Read the cluster live from this kubeconfig context.")(command)
    command = click.option("--kubeconfig", type=click.Path(dir_okay=False),
                           help="Read the cluster live from this kubeconfig instead of (or besides) -f.")(command)
    return click.option("-f", "--filename", "paths", multiple=True, type=click.Path(), help=MANIFEST_HELP)(command)


@contextlib.contextmanager
def cluster_paths(paths: tuple[str, ...], kubeconfig: str | None, context: str | None) -> Iterator[list[str]]:
    """The manifest paths, with a snapshot of the live cluster first when --kubeconfig or
    --context is given."""
    if not paths and not kubeconfig and not context:
        raise InputError("give the cluster as -f manifests or --kubeconfig/--context", field="-f/--kubeconfig")
    if not kubeconfig and not context:
        yield list(paths)
        return
    from kubesched.kube import connect
    from kubesched.plan.cluster_dump import dump_cluster

    kube = connect(kubeconfig, context, connections=4)
    with tempfile.TemporaryDirectory(prefix="kubesched-snapshot-") as directory:
        try:
            dump_cluster(kube, directory, warn=lambda message: click.echo(f"warning: {message}", err=True))
        finally:
            kube.close()
        yield [directory, *paths]
