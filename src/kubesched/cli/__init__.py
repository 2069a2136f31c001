"""The `kubesched` command: one module per subcommand, gathered here."""

from __future__ import annotations

import errno
import importlib
import sys

import click

from kubesched.cli.options import mark_command_start
from kubesched.errors import InputError, one_line


class _Group(click.Group):
    """Turns a user's mistake into one line on stderr and exit code 2, never a traceback:
    bad input, a bad option (click's usage errors, without the usage text) and a file that
    cannot be written (`-o` into a missing directory, a full disk)."""

    def main(self, *args, standalone_mode: bool = True, **kwargs):
        mark_command_start()
        if not standalone_mode:  # an embedding caller handles click's exceptions itself
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except click.exceptions.Abort:
            _fail("aborted", 1)
        except click.ClickException as error:
            _fail(error.format_message(), error.exit_code)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except InputError as error:
            _fail(str(error), 2)
        except OSError as error:
            if error.filename is not None:
                _fail(str(InputError(f"cannot write: {error.strerror}", file=str(error.filename))), 2)
            if error.errno in _WRITE_ERRORS:
                _fail(f"cannot write the output: {error.strerror}", 2)
            raise


_WRITE_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS)


def _fail(message: str, code: int):
    click.echo(f"error: {one_line(message, 2000)}", err=True)
    sys.exit(code)


@click.group(cls=_Group)
@click.version_option(package_name="kubesched")
def main() -> None:
    """Schedule, simulate and plan Kubernetes pods with upstream's decisions."""


# Subcommands are imported when used: `kubesched run` loads neither the planner nor the
# simulator (a second of imports, on the clock of a scheduler's start).
_COMMANDS = ("simulate", "explain", "cluster", "run", "plan", "snapshot", "trace", "completion")


def _list_commands(ctx: click.Context) -> list[str]:
    return sorted(_COMMANDS)


def _get_command(ctx: click.Context, name: str) -> click.Command | None:
    if name not in _COMMANDS:
        return None
    if name not in main.commands:
        module = importlib.import_module(f"kubesched.cli.{name}")
        main.add_command(getattr(module, name))
    return main.commands[name]


main.list_commands = _list_commands
main.get_command = _get_command
