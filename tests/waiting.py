"""Waiting for a condition another thread or process brings about: polled, with a generous
deadline (the deadline only bounds a hang; a busy machine must not fail the test)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(condition: Callable[[], T], timeout: float = 30.0, what: str = "condition",
             interval: float = 0.01) -> T:
    """The condition's first truthy value; an AssertionError naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, f"{what}: not seen in {timeout:.0f}s"
        time.sleep(interval)
    return found
