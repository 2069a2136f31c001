"""The `kubesched` command: one module per subcommand, gathered here."""

from __future__ import annotations

import sys

import click

from kubesched.errors import InputError


class _Group(click.Group):
    """Turns a user's mistake into one line on stderr and exit code 2, never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except InputError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(2)


@click.group(cls=_Group)
@click.version_option(package_name="kubesched")
def main() -> None:
    """Schedule, simulate and plan Kubernetes pods with upstream's decisions."""


def _register() -> None:
    from kubesched.cli import cluster, completion, explain, plan, run, simulate, snapshot, trace

    main.add_command(simulate.simulate)
    main.add_command(explain.explain)
    main.add_command(cluster.cluster)
    main.add_command(run.run)
    main.add_command(plan.plan)
    main.add_command(snapshot.snapshot)
    main.add_command(trace.trace)
    main.add_command(completion.completion)


_register()
