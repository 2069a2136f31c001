"""The binder's pool: every submitted binding gets exactly one outcome, an unexpected error
included; at most `workers` are posted at once; drain waits for them."""

from __future__ import annotations

import threading

import pytest

from kubesched.kube import ApiError
from kubesched.live.binder import BOUND, FAILED, GONE, Binder

pytestmark = pytest.mark.unit


class Api:
    """Answers bindings: `fail` maps a pod name to the exception raised for it."""

    def __init__(self, fail=None, gate=None):
        self.fail = fail or {}
        self.gate = gate
        self.lock = threading.Lock()
        self.concurrent = self.most = 0

    def request(self, method, path, body=None, **_):
        with self.lock:
            self.concurrent += 1
            self.most = max(self.most, self.concurrent)
        try:
            if self.gate is not None:
                self.gate.wait(10)
            error = self.fail.get(body["metadata"]["name"])
            if error is not None:
                raise error
            return {}
        finally:
            with self.lock:
                self.concurrent -= 1


def test_every_binding_has_one_outcome_even_on_an_unexpected_error():
    api = Api(fail={"gone": ApiError(404, {"message": "not found"}), "boom": RuntimeError("socket exploded")})
    outcomes = []
    binder = Binder(api, outcomes.append, workers=4)
    for name in ("ok", "gone", "boom", "ok2"):
        binder.submit(f"uid-{name}", "ns", name, "n1")
    assert binder.drain(10)
    results = {o.name: o.result for o in outcomes}
    assert results == {"ok": BOUND, "gone": GONE, "boom": FAILED, "ok2": BOUND}
    assert "socket exploded" in next(o.error for o in outcomes if o.name == "boom")
    assert binder.in_flight() == 0


def test_at_most_workers_in_flight_and_drain_waits_for_them():
    gate = threading.Event()
    api = Api(gate=gate)
    outcomes = []
    binder = Binder(api, outcomes.append, workers=3)
    for i in range(10):
        binder.submit(f"u{i}", "ns", f"p{i}", "n1")
    assert binder.in_flight() == 10
    assert not binder.drain(0.2)  # the gate holds them: not finished in time
    gate.set()
    assert api.most == 3
