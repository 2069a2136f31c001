"""Progress of long work on stderr: a tqdm bar on a terminal; elsewhere (logs, CI) a line
now and then with what is done, the rate and the time left."""

from __future__ import annotations

import sys
import threading
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
        self.done: float = 0
        self.started = self.last_said = clock()
        self.bar = None
        if enabled and _is_terminal(self.stream):
            from tqdm import tqdm

            timed = {"bar_format": "{desc}: {bar} {elapsed}" + (f" of {total:.1f} s" if total else "")} \
                if unit == "s" else {}
            self.bar = tqdm(total=total or None, desc=what, unit=unit or "it", file=self.stream, leave=False,
                            dynamic_ncols=True, **timed)

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


class Stages:
    """Long work in stages, one Progress at a time: counted (`step`), or timed (`begin`:
    how long it has been, against an expected duration when one is known)."""

    def __init__(self, enabled: bool = True, stream: TextIO | None = None, every: float = 30.0):
        self.enabled, self.stream, self.every = enabled, stream, every
        self.current: Progress | None = None
        self.stop_ticking: threading.Event | None = None
        self.ticker: threading.Thread | None = None

    def begin(self, what: str, seconds: float = 0) -> None:
        """A stage without a count: it ticks by itself, against `seconds` when given."""
        self._switch(what, seconds, "s")
        progress, stop = self.current, threading.Event()
        self.stop_ticking = stop

        def tick() -> None:
            while not stop.wait(0.25):
                progress.advance_to(progress.clock() - progress.started)
        self.ticker = threading.Thread(target=tick, name="progress", daemon=True)
        self.ticker.start()

    def step(self, what: str, done: int, total: int, unit: str = "") -> None:
        if self.current is None or self.current.what != what:
            self._switch(what, total, unit)
        self.current.advance_to(done)

    def _switch(self, what: str, total: float, unit: str) -> None:
        self.close()
        self.current = Progress(total, what, unit=unit, enabled=self.enabled, stream=self.stream, every=self.every)

    def close(self) -> None:
        if self.stop_ticking is not None:
            self.stop_ticking.set()
            self.ticker.join()
            self.stop_ticking = self.ticker = None
        if self.current is not None:
            self.current.close()
            self.current = None

    def __enter__(self) -> "Stages":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()
