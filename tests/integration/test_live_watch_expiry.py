"""A watch that expires: the API server answers the scheduler's watches with 410 Gone, the
scheduler lists again, and nothing is missed.

The API server is stopped, and while it is down some bound pods are deleted straight from
etcd, so no watch can report them. The restarted API server fills its watch cache from
etcd's revision of that moment, which is newer than any resourceVersion the scheduler has
seen: every watch it resumes is answered "too old resource version" (410). Only a correct
re-list tells the scheduler that those pods are gone and which pods arrived meanwhile."""

from __future__ import annotations

import base64
import threading
import time
from collections import Counter

import pytest

from kubesched.kube import connect
from kubesched.live.scheduler import ACTIVE_PODS, Scheduler
from tests.integration.live_fixtures import (  # noqa: F401 (fixtures)
    create_pod, create_pod_retrying, etcd_request, events_for, list_pods, live_kube, live_plane,
    namespace, pod, scheduler_name, start_component, stop_component)

pytestmark = pytest.mark.integration

CPU, MEMORY = "10m", "10Mi"  # small: the plane's nodes are shared by every live test


def _keep_creating(kube, namespace, scheduler_name, created: list, stop: threading.Event):
    while not stop.is_set():
        name = f"during-{len(created):03d}"
        create_pod_retrying(kube, namespace, pod(name, scheduler_name, CPU, MEMORY))
        created.append(name)
        time.sleep(0.1)


def _wait_created(created: list, count: int, creator: threading.Thread, timeout=70) -> None:
    deadline = time.monotonic() + timeout
    while len(created) < count:
        assert creator.is_alive() and time.monotonic() < deadline, "the pods stopped coming"
        time.sleep(0.05)


def _wait_bound(kube, namespace, names, timeout=90) -> dict[str, dict]:
    """Wait until every pod named is bound; name → pod, for all pods of the namespace."""
    deadline = time.monotonic() + timeout
    while True:
        pods = {p["metadata"]["name"]: p for p in list_pods(kube, namespace)}
        waiting = [n for n in names if not (pods.get(n) or {"spec": {}})["spec"].get("nodeName")]
        if not waiting:
            return pods
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(waiting)} pods not bound after {timeout}s: {waiting[:5]}")
        time.sleep(0.2)


def _bound_in_api(kube) -> dict[str, str]:
    pods = kube.request("GET", "/api/v1/pods", query={"fieldSelector": ACTIVE_PODS})["items"]
    return {p["metadata"]["uid"]: p["spec"]["nodeName"] for p in pods if p["spec"].get("nodeName")}


def _placed_in_cache(scheduler) -> dict[str, str]:
    placed = dict(scheduler.cache.placed)  # a copy taken at once: the loop thread owns it
    return {uid: p.node for uid, p in placed.items()}


def _delete_from_etcd(plane, namespace, name) -> None:
    key = base64.b64encode(f"/registry/pods/{namespace}/{name}".encode()).decode()
    answer = etcd_request(plane, "/v3/kv/deleterange", {"key": key})
    assert answer.get("deleted") == "1", answer


def test_expired_watch_relists_and_nothing_is_missed(live_plane, live_kube, namespace,
                                                     scheduler_name):
    from kubesched.framework.config import parse_config

    profiles = parse_config({"apiVersion": "kubescheduler.config.k8s.io/v1",
                             "kind": "KubeSchedulerConfiguration",
                             "profiles": [{"schedulerName": scheduler_name}]})
    scheduler = Scheduler(connect(str(live_plane.kubeconfig)), profiles)
    loop = threading.Thread(target=scheduler.run, name="scheduler", daemon=True)
    loop.start()
    stop_creating = threading.Event()
    try:
        before = [f"before-{i:02d}" for i in range(30)]
        for name in before:
            create_pod(live_kube, namespace, pod(name, scheduler_name, CPU, MEMORY))
        pods = _wait_bound(live_kube, namespace, before)
        pod_informer = next(i for i in scheduler.informers if i.path == "/api/v1/pods")
        assert pod_informer.relists == 1

        during: list[str] = []
        creator = threading.Thread(target=_keep_creating, daemon=True, args=(
            live_kube, namespace, scheduler_name, during, stop_creating))
        creator.start()
        _wait_created(during, 5, creator)

        argv = stop_component(live_plane, "kube-apiserver")
        vanished = before[:10]  # bound pods deleted where no watch can see it
        for name in vanished:
            _delete_from_etcd(live_plane, namespace, name)
        start_component(live_plane, "kube-apiserver", argv)

        _wait_created(during, len(during) + 5, creator)
        stop_creating.set()
        creator.join(timeout=70)
        after = [f"after-{i:02d}" for i in range(10)]
        for name in after:
            create_pod(live_kube, namespace, pod(name, scheduler_name, CPU, MEMORY))

        expected = [*before[10:], *during, *after]
        now = _wait_bound(live_kube, namespace, expected)
        assert sorted(now) == sorted(expected)  # the vanished pods are really gone
        vanished_uids = {pods[name]["metadata"]["uid"] for name in vanished}

        # The scheduler's cache comes to agree with the API server, pod by pod.
        deadline = time.monotonic() + 20
        while _placed_in_cache(scheduler) != _bound_in_api(live_kube) \
                and time.monotonic() < deadline:
            time.sleep(0.2)
        cached, bound = _placed_in_cache(scheduler), _bound_in_api(live_kube)
        stale = vanished_uids & cached.keys()
        assert not stale, f"{len(stale)} pods deleted while unwatched are still counted"
        misplaced = {uid: (node, bound.get(uid)) for uid, node in cached.items()
                     if bound.get(uid) != node}
        assert not misplaced, "cached pods the API server does not have there"
        assert not bound.keys() - cached.keys(), "bound pods the cache does not count"
        assert {p["metadata"]["name"] for p in now.values()
                if p["metadata"]["uid"] in cached} == set(expected)

        # It took the API server's 410, not a lucky watch: the pods were listed again.
        assert pod_informer.relists >= 2
        # Bound once each: never a second Scheduled event (events sent while the server
        # was down may be lost).
        counts = Counter(e["regarding"]["name"] for e in events_for(live_kube, namespace)
                         if e["reason"] == "Scheduled")
        assert not [name for name, count in counts.items() if count > 1]
    finally:
        stop_creating.set()
        scheduler.stop.set()
        loop.join(timeout=15)
    assert not loop.is_alive()
