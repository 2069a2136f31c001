"""The live scheduler when things go wrong: the API server restarts, replicas compete."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter

import pytest

from tests.waiting import wait_for
from tests.integration.live_fixtures import (  # noqa: F401 (fixtures)
    create_pod, create_pod_retrying, events_for, list_pods, live_kube, live_plane, namespace, pod,
    restart_component, scheduler_name, start_scheduler, wait_all_bound)

pytestmark = pytest.mark.integration


def _leader_flags(*, lease_duration: str, renew_deadline: str) -> tuple[str, ...]:
    """`kubesched run` flags for leader election on a lease of this test only."""
    return ("--leader-elect", "--leader-elect-resource-name", f"lease-{uuid.uuid4().hex[:8]}",
            "--leader-elect-lease-duration", lease_duration,
            "--leader-elect-renew-deadline", renew_deadline,
            "--leader-elect-retry-period", "0.5")


def _scheduled_events(kube, namespace):
    return [e for e in events_for(kube, namespace) if e["reason"] == "Scheduled"]


def _all_scheduled_events(kube, namespace, count: int) -> list[dict]:
    """Once `count` pods have their Scheduled event: normal events give way to bindings for
    up to 120 s (live/events.py), so they may come well after the pods are bound."""
    def all_there():
        found = _scheduled_events(kube, namespace)
        return found if len(found) >= count else None

    return wait_for(all_there, timeout=300, what=f"{count} Scheduled events", interval=0.5)


def test_api_server_restart_mid_run_every_pod_bound_once(live_plane, live_kube, namespace,
                                                         scheduler_name, start_scheduler):
    running = start_scheduler(live_plane.kubeconfig, scheduler_name)
    total = 80
    creator = threading.Thread(target=lambda: [
        create_pod_retrying(live_kube, namespace, pod(f"r-{i:03d}", scheduler_name))
        for i in range(total)])
    creator.start()
    time.sleep(0.5)
    restart_component(live_plane, "kube-apiserver")
    creator.join(timeout=120)
    pods = wait_all_bound(live_kube, namespace, total, timeout=90)
    assert len(pods) == total
    assert running.process.poll() is None
    # Each pod got at most one Scheduled event (events posted while the server was down
    # may be lost); the API itself refuses a second binding.
    counts = Counter(e["regarding"]["name"] for e in _scheduled_events(live_kube, namespace))
    assert not [name for name, count in counts.items() if count > 1]


def test_two_replicas_with_leader_election_never_both_bind(live_plane, live_kube, namespace,
                                                           scheduler_name, start_scheduler):
    # a lease a busy machine renews in time (SIGTERM releases it: the takeover below is at once)
    flags = _leader_flags(lease_duration="15", renew_deadline="10")
    first = start_scheduler(live_plane.kubeconfig, scheduler_name, *flags)
    second = start_scheduler(live_plane.kubeconfig, scheduler_name, *flags)
    for i in range(40):
        create_pod(live_kube, namespace, pod(f"a-{i:02d}", scheduler_name))
    wait_all_bound(live_kube, namespace, 40)
    events = _all_scheduled_events(live_kube, namespace, 40)
    assert len(events) == 40
    assert len({e["reportingInstance"] for e in events}) == 1  # one replica did it all
    leader_instance = events[0]["reportingInstance"]
    leader, standby = (first, second) if leader_instance.endswith(f"-{first.process.pid}") \
        else (second, first)
    assert leader_instance.endswith(f"-{leader.process.pid}")

    # SIGTERM releases the lease: the standby takes over at once
    assert leader.terminate() < 10
    for i in range(20):
        create_pod(live_kube, namespace, pod(f"b-{i:02d}", scheduler_name))
    wait_all_bound(live_kube, namespace, 60, timeout=120)
    later = [e for e in _all_scheduled_events(live_kube, namespace, 60)
             if e["regarding"]["name"].startswith("b-")]
    assert {e["reportingInstance"] for e in later} == {f"{leader_instance.rsplit('-', 1)[0]}-"
                                                        f"{standby.process.pid}"}
    counts = Counter(e["regarding"]["name"] for e in _scheduled_events(live_kube, namespace))
    assert set(counts.values()) == {1}
    assert standby.process.poll() is None


def test_killed_leader_is_replaced_after_the_lease_expires(live_plane, live_kube, namespace,
                                                          scheduler_name, start_scheduler):
    flags = _leader_flags(lease_duration="3", renew_deadline="2")
    first = start_scheduler(live_plane.kubeconfig, scheduler_name, *flags)
    create_pod(live_kube, namespace, pod("one", scheduler_name))
    wait_all_bound(live_kube, namespace, 1)
    second = start_scheduler(live_plane.kubeconfig, scheduler_name, *flags)
    time.sleep(2)  # the standby is up and watching
    first.kill()  # no release: the standby waits for the lease to expire
    create_pod(live_kube, namespace, pod("two", scheduler_name))
    wait_all_bound(live_kube, namespace, 2, timeout=60)  # a poll limit, not a budget: lease 3 s
    assert second.process.poll() is None
