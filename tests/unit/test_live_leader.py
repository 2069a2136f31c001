"""Leader election against an in-memory Lease with optimistic concurrency."""

from __future__ import annotations

import copy
import threading
import time

import pytest

from kubesched.kube import ApiError
from kubesched.live.leader import LeaderElector

pytestmark = pytest.mark.unit


class FakeLeases:
    def __init__(self):
        self.lease = None
        self.version = 0
        self.lock = threading.Lock()

    def request(self, method, path, body=None, **_):
        with self.lock:
            if method == "GET":
                if self.lease is None:
                    raise ApiError(404, {"message": "not found"})
                return copy.deepcopy(self.lease)
            if method == "POST":
                if self.lease is not None:
                    raise ApiError(409, {"message": "exists"})
            elif body["metadata"].get("resourceVersion") != str(self.version):
                raise ApiError(409, {"message": "conflict"})
            self.version += 1
            self.lease = copy.deepcopy(body)
            self.lease["metadata"]["resourceVersion"] = str(self.version)
            return copy.deepcopy(self.lease)


def _elector(kube, identity):
    return LeaderElector(kube, identity, lease_duration=0.6, renew_deadline=0.4,
                         retry_period=0.05)


def test_one_leader_at_a_time_and_release_hands_over():
    kube = FakeLeases()
    a, b = _elector(kube, "a"), _elector(kube, "b")
    stop = threading.Event()
    assert a.acquire(stop) and a.is_leader()
    assert not b._try()  # held, not expired
    a.release()
    assert not a.is_leader()
    assert kube.lease["spec"]["holderIdentity"] == ""
    assert b._try() and b.is_leader()
    assert kube.lease["spec"]["leaseTransitions"] >= 1


def test_a_silent_holder_is_replaced_after_the_lease_duration():
    kube = FakeLeases()
    a, b = _elector(kube, "a"), _elector(kube, "b")
    assert a._try()
    assert not b._try()
    started = time.monotonic()
    assert b.acquire(threading.Event())
    assert time.monotonic() - started >= 0.5
    # the old holder knows it is no longer sure of leading before the other may take over
    assert not a.is_leader()


def test_bad_timings_are_refused():
    with pytest.raises(ValueError):
        LeaderElector(FakeLeases(), "a", lease_duration=5, renew_deadline=5, retry_period=1)
