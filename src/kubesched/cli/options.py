"""Options shared by several subcommands."""

from __future__ import annotations

import click

from kubesched.framework.config import load_config
from kubesched.framework.profile import Profile, default_profile

MANIFEST_HELP = "A manifest file or directory (YAML or JSON; multi-document and kind: List). Repeatable."
manifest_option = click.option("-f", "--filename", "paths", multiple=True, required=True, type=click.Path(),
                               help=MANIFEST_HELP)
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
