"""Progress of long work on stderr: a tqdm bar on a terminal; elsewhere (logs, CI) a line
now and then with what is done, the rate and the time left."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO


class Progress:
    def __init__(self, total: float, what: str, *, unit: str = "", enabled: bool = True,
                 stream: TextIO | None = None, say: Callable[[str], None] | None = None,
                 every: float = 30.0, clock: Callable[[], float] = time.monotonic):
        """`say` prints the lines when not on a terminal (default: to the stream); `every`:
        seconds between them."""
        self.stream = stream or sys.stderr
        self.total, self.what, self.unit = total, what, unit
        self.enabled, self.every, self.clock = enabled, every, clock
        self.say = say or (lambda line: print(line, file=self.stream, flush=True))
        self.done = 0.0
        self.started = self.last_said = clock()
        self.bar = None
        if enabled and _is_terminal(self.stream):
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=what, unit=unit or "it", file=self.stream, leave=False,
                            dynamic_ncols=True)

    def advance_to(self, done: float) -> None:
        done = min(done, self.total)
        if self.bar is not None:
            self.bar.update(done - self.done)
        self.done = done
        now = self.clock()
        if self.enabled and self.bar is None and now - self.last_said >= self.every:
            self.last_said = now
            self.say(self.line())

    def advance(self, amount: float = 1) -> None:
        self.advance_to(self.done + amount)

    def line(self) -> str:
        elapsed = self.clock() - self.started
        unit = f" {self.unit}" if self.unit else ""
        if not self.total:  # nothing to count: how long it has been
            return f"{self.what} for {_clock(elapsed)}"
        text = f"{self.what}: {self.done:g}/{self.total:g}{unit} ({self.done / self.total:.0%}) in {_clock(elapsed)}"
        if 0 < self.done < self.total:
            text += f", about {_clock(elapsed / self.done * (self.total - self.done))} left"
        return text

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"
