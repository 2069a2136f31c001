"""Progress off a terminal: a line now and then with what is done and the time left."""

from __future__ import annotations

import io

import pytest

from kubesched.progress import Progress, Stages

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_lines_at_most_every_period_with_an_eta():
    clock, said = Clock(), []
    progress = Progress(400, "building", unit="packages", say=said.append, every=60, clock=clock,
                        stream=io.StringIO())
    clock.now += 30
    progress.advance_to(50)
    assert said == []  # not a minute yet
    clock.now += 90
    progress.advance_to(100)
    assert said == ["building: 100/400 packages (25%) in 2m00s, about 6m00s left"]
    clock.now += 10
    progress.advance(100)
    assert len(said) == 1
    clock.now += 60
    progress.advance_to(1000)  # more than announced: capped
    assert said[-1] == "building: 400/400 packages (100%) in 3m10s"


def test_unknown_total_says_how_long_it_has_been():
    clock, said = Clock(), []
    progress = Progress(0, "downloading", say=said.append, every=60, clock=clock, stream=io.StringIO())
    clock.now += 61
    progress.advance_to(0)
    assert said == ["downloading for 1m01s"]


def test_disabled_says_nothing():
    clock, said = Clock(), []
    progress = Progress(10, "x", say=said.append, every=0, clock=clock, enabled=False, stream=io.StringIO())
    clock.now += 5
    progress.advance(3)
    assert said == [] and progress.done == 3


def test_stages_say_each_stage_off_a_terminal():
    stream = io.StringIO()
    with Stages(stream=stream, every=0) as stages:
        stages.step("replaying", 0, 4, "pods")
        stages.step("replaying", 2, 4, "pods")
        stages.begin("searching", 5)
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("replaying: 0/4 pods (0%)")
    assert lines[1].startswith("replaying: 2/4 pods (50%)")
    assert all(line.startswith(("replaying", "searching")) for line in lines)
