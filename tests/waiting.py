"""Waiting for a condition another thread brings about: polled, with a generous deadline
(the deadline only bounds a hang; a busy machine must not fail the test)."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met"
        time.sleep(0.01)
