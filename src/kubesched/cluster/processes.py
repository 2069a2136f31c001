"""Start components as session leaders with a pid file each, and stop them for sure.

Every component runs in its own session, so its pid is also its process group id. `stop`
signals whole groups, and finds the members by scanning /proc rather than trusting the
pid file alone: a group id cannot be reused while any member lives, so a group with
members is still ours, and a group with none needs nothing.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

PID_DIR = "pids"
LOG_DIR = "logs"
TERMINATE_GRACE_SECONDS = 10.0

# Popen objects of the components this process started, so that it can reap them.
_children: dict[int, subprocess.Popen] = {}


@dataclass(frozen=True)
class Started:
    name: str
    pid: int
    log: Path
    process: subprocess.Popen

    def exited(self) -> bool:
        return self.process.poll() is not None


def log_path(directory: Path, name: str) -> Path:
    return directory / LOG_DIR / f"{name}.log"


def start(directory: Path, name: str, argv: list[str],
          environment: dict[str, str] | None = None) -> Started:
    log = log_path(directory, name)
    log.parent.mkdir(parents=True, exist_ok=True)
    (directory / PID_DIR).mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as output:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=output,
                                   stderr=subprocess.STDOUT, cwd=directory,
                                   env={**os.environ, **(environment or {})},
                                   start_new_session=True)
    _children[process.pid] = process
    record = {"pid": process.pid, "started": time.time_ns(), "argv": argv}
    pid_file(directory, name).write_text(json.dumps(record) + "\n")
    return Started(name, process.pid, log, process)


def pid_file(directory: Path, name: str) -> Path:
    return directory / PID_DIR / f"{name}.pid"


def recorded_pids(directory: Path) -> dict[str, int]:
    """Component name → the pid (and process group id) its pid file records, in start order."""
    records = []
    for path in (directory / PID_DIR).glob("*.pid"):
        try:
            record = json.loads(path.read_text())
            records.append((record.get("started", 0), path.stem, int(record["pid"])))
        except (ValueError, KeyError, TypeError):
            path.unlink()  # half-written by an interrupted start: its process group is unknown
    return {name: pid for _, name, pid in sorted(records)}


def stop_all(directory: Path) -> list[str]:
    """Stop every component recorded in `directory`, the last started first (clients
    before the apiserver before etcd, so none waits on a peer already gone); the names
    of those that were running."""
    recorded = recorded_pids(directory)
    running = {name: group for name, group in recorded.items() if group_members(group)}
    for group in reversed(running.values()):
        _stop_group(group)
    for name in recorded:
        pid_file(directory, name).unlink(missing_ok=True)
    return list(running)


def _stop_group(group: int) -> None:
    _signal_group(group, signal.SIGTERM)
    deadline = time.monotonic() + TERMINATE_GRACE_SECONDS
    while group_members(group):
        if time.monotonic() > deadline:
            _signal_group(group, signal.SIGKILL)
        time.sleep(0.05)
    process = _children.pop(group, None)
    if process is not None:
        process.wait()  # already dead: just reap it, leaving no zombie


def group_members(group: int) -> list[int]:
    """Live (not zombie) processes of a process group; reaps our own children that died."""
    _reap(group)
    if not Path("/proc/self/stat").exists():  # no /proc (macOS): ask the kernel about the group
        try:
            os.killpg(group, 0)
            return [group]
        except (ProcessLookupError, PermissionError):
            return []
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name in parentheses may hold spaces: split after its closing one.
        state, _parent, process_group = stat[stat.rindex(")") + 2:].split()[:3]
        if int(process_group) == group and state != "Z":
            members.append(int(entry.name))
    return members


def _signal_group(group: int, signum: int) -> None:
    try:
        os.killpg(group, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _reap(pid: int) -> None:
    process = _children.get(pid)
    if process is not None and process.poll() is not None:
        del _children[pid]
