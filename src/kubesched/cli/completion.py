"""`kubesched completion bash|zsh|fish`: the shell's completion script, as `kubectl completion` prints it."""

from __future__ import annotations

import click
from click.shell_completion import get_completion_class

SHELLS = ("bash", "zsh", "fish")


@click.command()
@click.argument("shell", type=click.Choice(SHELLS))
@click.pass_context
def completion(ctx: click.Context, shell: str) -> None:
    """Print the completion script for SHELL.

    \b
    bash:  source <(kubesched completion bash)
    zsh:   source <(kubesched completion zsh)
    fish:  kubesched completion fish | source"""
    root = ctx.find_root()
    script = get_completion_class(shell)(root.command, {}, "kubesched", "_KUBESCHED_COMPLETE")
    click.echo(script.source())
