"""Components run in their own sessions and `stop_all` leaves none of their processes."""

from __future__ import annotations

import json
import sys
import time

import pytest

from kubesched.cluster import processes

pytestmark = pytest.mark.unit

# A parent that starts a child in its own process group and then sleeps: what a component
# that forks looks like.
FORKING = ("import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', "
           "'import time; time.sleep(600)']); time.sleep(600)")


def test_stop_all_kills_the_whole_group(tmp_path):
    started = processes.start(tmp_path, "forking", [sys.executable, "-c", FORKING])
    assert processes.recorded_pids(tmp_path) == {"forking": started.pid}
    _wait_for(lambda: len(processes.group_members(started.pid)) == 2)

    assert processes.stop_all(tmp_path) == ["forking"]
    assert processes.group_members(started.pid) == []
    assert processes.recorded_pids(tmp_path) == {}


def test_stop_all_survives_stale_and_broken_pid_files(tmp_path):
    started = processes.start(tmp_path, "sleeper", [sys.executable, "-c",
                                                     "import time; time.sleep(600)"])
    processes.pid_file(tmp_path, "broken").write_text("{")
    processes.stop_all(tmp_path)
    # The same pid file again: its process is gone, so there is nothing to stop.
    processes.pid_file(tmp_path, "sleeper").write_text(json.dumps({"pid": started.pid}))
    assert processes.stop_all(tmp_path) == []
    assert list((tmp_path / processes.PID_DIR).iterdir()) == []


def test_output_goes_to_the_log(tmp_path):
    started = processes.start(tmp_path, "echo", [sys.executable, "-c", "print('hello')"])
    started.process.wait()
    assert started.log.read_text() == "hello\n"


def _wait_for(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.05)
