"""Ending the process without freeing a big command's objects.

Freeing them one by one when the process ends takes about as long as building the answer
(0.7 s for 200,000 pods). A command run as the whole process hands its big objects to
`keep_until_exit`; the process then ends at once, its output flushed. Run inside another
program (click's test runner), nothing is kept and nothing changes."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

_as_process = False
_kept: list = []


def keep_until_exit(*objects) -> None:
    if _as_process:
        _kept.extend(objects)


def run_as_process(main: Callable[[], object]) -> None:
    global _as_process
    _as_process = True
    try:
        main()
    except SystemExit as done:
        if _kept and (done.code is None or type(done.code) is int):
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            except (OSError, ValueError):
                raise done from None
            os._exit(done.code or 0)
        raise
