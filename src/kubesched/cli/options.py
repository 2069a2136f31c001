"""Options shared by several subcommands."""

from __future__ import annotations

import ipaddress
import math
import re
import time

import click

from kubesched.framework.config import load_config
from kubesched.framework.profile import Profile, default_profile

MANIFEST_HELP = "A manifest file or directory (YAML or JSON; multi-document and kind: List). Repeatable."
manifest_option = click.option("-f", "--filename", "paths", multiple=True, required=True, type=click.Path(),
                               help=MANIFEST_HELP)
config_option = click.option(
    "--config", type=click.Path(dir_okay=False),
    help="A KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1).")
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


def load_profiles(config: str | None) -> dict[str, Profile]:
    if config is None:
        profile = default_profile()
        return {profile.scheduler_name: profile}
    return load_config(config)


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
