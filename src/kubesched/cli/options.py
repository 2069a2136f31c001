"""Options shared by several subcommands."""

from __future__ import annotations

import contextlib
import ipaddress
import math
import re
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import replace

import click

from kubesched.errors import InputError

from kubesched.framework.config import load_config, load_config_with_extenders
from kubesched.framework.profile import Profile, default_profile
from kubesched.model.records import Pod

DEFAULT_SCHEDULER = "default-scheduler"
MANIFEST_HELP = "A manifest file or directory (YAML or JSON; multi-document and kind: List). Repeatable."
config_option = click.option(
    "--config", type=click.Path(dir_okay=False),
    help="A KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1); each profile serves its schedulerName.")
MAX_SEED = 2**63 - 1  # the core's seeds are int64


class FiniteFloat(click.FloatRange):
    """A float in a range that is a number: `inf` and `nan` are refused (nan passes every
    comparison a range makes)."""

    name = "finite float"

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number


scheduler_name_option = click.option(
    "--scheduler-name", "scheduler_names", multiple=True,
    help=f"Without --config: a schedulerName the default profile serves [default: {DEFAULT_SCHEDULER}]; "
         "repeatable. A pod to decide that names another scheduler is an error.")
report_option = click.option("--report", "report_path", type=click.Path(dir_okay=False, writable=True),
                             help="Write a self-contained HTML report to this file.")
currency_option = click.option(
    "--currency", default="USD", show_default=True, envvar="KUBESCHED_CURRENCY",
    help="The currency of the kubesched.io/hourly-cost annotations, as the report shows costs "
         "(also $KUBESCHED_CURRENCY).")
seed_option = click.option(
    "--seed", type=click.IntRange(0, MAX_SEED), default=None,
    help="Break score ties at random with this seed (default: the first node in input order).")


_command_started: float | None = None


def mark_command_start() -> None:
    """Called as the command line is parsed: a --time-limit covers the whole command."""
    global _command_started
    _command_started = time.monotonic()


def command_started() -> float:
    return time.monotonic() if _command_started is None else _command_started


def load_profiles(config: str | None, scheduler_names: tuple[str, ...] = ()) -> dict[str, Profile]:
    """The profiles by schedulerName: the config's, or the default profile under each
    --scheduler-name."""
    if config is not None:
        if scheduler_names:
            raise InputError("give --scheduler-name or --config, not both: a configuration names its "
                             "profiles' schedulerName", field="--scheduler-name")
        return load_config(config)
    names = scheduler_names or (DEFAULT_SCHEDULER,)
    return {name: replace(default_profile(), scheduler_name=name) for name in dict.fromkeys(names)}


def load_profiles_and_extenders(config: str | None, scheduler_names: tuple[str, ...] = ()) -> tuple[dict[str, Profile], tuple]:
    """As `load_profiles`, with the configuration's extenders (extenders.client.HttpExtender,
    in calling order; none without --config), for simulate and explain."""
    if config is None or scheduler_names:
        return load_profiles(config, scheduler_names), ()  # without --config, or the flags' conflict
    import ssl

    from kubesched.extenders.client import HttpExtender

    profiles, configs = load_config_with_extenders(config)
    extenders = []
    for extender in configs:
        try:
            extenders.append(HttpExtender(extender))
        except (OSError, ssl.SSLError, ValueError) as error:
            raise InputError(f"extender {extender.url_prefix}: TLS configuration not usable: {error}",
                             file=config, obj="KubeSchedulerConfiguration", field="extenders.tlsConfig") from None
    return profiles, tuple(extenders)


def same_decisions(profiles: list[Profile]) -> bool:
    """Whether the profiles differ in their schedulerName only."""
    unnamed = [replace(p, scheduler_name="") for p in profiles]
    return all(p == unnamed[0] for p in unnamed)


def require_served(pods: Iterable[Pod], profiles: dict[str, Profile]) -> None:
    """The one rule for schedulerName: every pod a command decides names a scheduler a profile
    serves; the first that does not is an error naming the flag that would serve it."""
    unserved = [pod for pod in pods if pod.spec.scheduler_name not in profiles]
    if not unserved:
        return
    pod = unserved[0]
    name = pod.spec.scheduler_name
    more = f" ({len(unserved) - 1} more pods name unserved schedulers)" if len(unserved) > 1 else ""
    raise InputError(f"no profile serves schedulerName {name!r} (served: {', '.join(map(repr, profiles))}); "
                     f"pass --scheduler-name {name}, or a --config with a profile of that schedulerName{more}",
                     file=pod.source or None, obj=f"Pod {pod.key}", field="spec.schedulerName")


_HOSTNAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9.]{0,251}[A-Za-z0-9])?")


def bind_address(ctx, param, value: str | None) -> str | None:
    """A `host:port` to listen on ('' for none): an IP address ([::1] for IPv6) or a host name,
    and a port 0-65535 (0 picks a free one)."""
    if not value:
        return value
    host, colon, port = value.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not colon or not port.isdigit() or int(port) > 65535:
        raise click.BadParameter(f"{value!r} is not host:port with a port from 0 to 65535", ctx, param)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not _HOSTNAME.fullmatch(host):
            raise click.BadParameter(f"{value!r}: {host!r} is neither an IP address nor a host name", ctx,
                                     param) from None
    return value


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


def cluster_inputs(paths: tuple[str, ...], kubeconfig: str | None, context: str | None) -> list[str]:
    """The cluster's inputs as a report names them: the manifests, and the live cluster read."""
    live = [*([f"--kubeconfig {kubeconfig}"] if kubeconfig else []), *([f"--context {context}"] if context else [])]
    return [*paths, *live]


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
