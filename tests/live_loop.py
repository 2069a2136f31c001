"""Driving kubesched run's loop by hand in unit tests (a fake API, no threads of the loop's own)."""

from __future__ import annotations

import time

from kubesched.framework.config import parse_config
from kubesched.live.scheduler import Options, Scheduler


def scheduler(kube, name: str, extenders=(), **profile) -> Scheduler:
    """A Scheduler for one profile named `name` (more of its fields in `profile`, e.g.
    plugins, pluginConfig), with short backoffs; `extenders`: HttpExtenders it calls."""
    profiles = parse_config({"apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration",
                             "profiles": [{"schedulerName": name, **profile}]})
    return Scheduler(kube, profiles, options=Options(pod_initial_backoff=0.05, pod_max_backoff=0.1,
                                                     extenders=tuple(extenders)))


def step(sched: Scheduler, until=lambda: True, timeout: float = 60.0) -> None:
    """Apply the events, decide every pod ready, wait for bindings; repeat until `until()`.
    `timeout` only bounds a hang: nothing here depends on how fast it goes."""
    deadline = time.monotonic() + timeout
    while True:
        sched._apply_waiting(timeout=0)
        while (entry := sched.queue.pop()) is not None:
            sched._schedule(entry)
        while sched.binder.in_flight():
            time.sleep(0.01)
        sched._apply_waiting(timeout=0.05)
        if until():
            return
        assert time.monotonic() < deadline, "not reached in time"
