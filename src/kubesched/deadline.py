"""A command's `--time-limit`: a moment on a clock that the work consults as it goes (reading
the input, the search, the replay), so that the command answers in time with what it has.

The clock is injectable: tests advance a fake one instead of relying on a machine's speed."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Deadline:
    started: float  # on `clock`
    seconds: float  # inf: no limit
    clock: Callable[[], float] = time.monotonic
    reached_while: list[str] = field(default_factory=list)  # what was cut short, in the user's words

    @classmethod
    def after(cls, seconds: float, started: float | None = None,
              clock: Callable[[], float] = time.monotonic) -> "Deadline":
        return cls(clock() if started is None else started, seconds, clock)

    @property
    def at(self) -> float:
        return self.started + self.seconds

    def part(self, fraction: float) -> "Deadline":
        """The moment `fraction` of the time is used up (e.g. reading the input gets a quarter:
        what comes after it costs about twice as much per pod)."""
        return Deadline(self.started, self.seconds * fraction, self.clock, self.reached_while)

    def remaining(self) -> float:
        return max(0.0, self.at - self.clock())

    def passed(self) -> bool:
        return self.clock() >= self.at

    def cut_short(self, what: str) -> None:
        """Record that `what` stopped at the limit (said once per kind of work)."""
        if what not in self.reached_while:
            self.reached_while.append(what)

    @property
    def reached(self) -> bool:
        return bool(self.reached_while)

    def message(self) -> str:
        """The warning the command prints: `--time-limit reached: ...`."""
        return "--time-limit reached: " + "; ".join(self.reached_while)
