"""Events recorded as client-go's broadcaster records them: repeats become a series, the
count is written when the series ends; warnings are not held behind normal events."""

from __future__ import annotations

import threading
import time

import pytest

from kubesched.kube import ApiError
from kubesched.live import events
from kubesched.live.events import EventRecorder
from tests.waiting import wait_for

pytestmark = pytest.mark.unit

POD = {"apiVersion": "v1", "kind": "Pod", "namespace": "ns", "name": "p", "uid": "u1"}


class FakeEvents:
    def __init__(self):
        self.stored: dict[str, dict] = {}
        self.calls: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def request(self, method, path, body=None, **_):
        with self.lock:
            self.calls.append((method, body.get("reason") if method == "POST" else path.rsplit("/", 1)[1]))
            if method == "POST":
                name = body["metadata"]["name"]
                if name in self.stored:
                    raise ApiError(409, {"message": "exists"})
                self.stored[name] = dict(body)
                return body
            name = path.rsplit("/", 1)[1]
            if name not in self.stored:
                raise ApiError(404, {"message": "not found"})
            self.stored[name]["series"] = body["series"]
            return self.stored[name]


def test_repeats_become_one_event_with_a_series():
    api = FakeEvents()
    now = [1000.0]
    recorder = EventRecorder(api, controller="kubesched", instance="i", clock=lambda: now[0])
    try:
        def fail():
            recorder.record(POD, kind="Warning", reason="FailedScheduling", action="Scheduling",
                            note="0/3 nodes are available")
            now[0] += 1

        fail()
        fail()
        wait_for(lambda: len(api.calls) == 2)
        (event,) = api.stored.values()
        assert event["series"]["count"] == 2
        assert [c[0] for c in api.calls] == ["POST", "PATCH"]
        fail()
        time.sleep(0.2)
        assert len(api.calls) == 2  # the third is only counted, as client-go does
        recorder.flush_series()
        assert event["series"]["count"] == 2  # the series goes on: nothing to write yet
        now[0] += events.FINISH_AFTER
        recorder.flush_series()
        assert event["series"]["count"] == 3 and event["series"]["lastObservedTime"].startswith("1970-01-01T00:16:42")
        recorder.record(POD, kind="Warning", reason="FailedScheduling", action="Scheduling", note="again")
        wait_for(lambda: len(api.stored) == 2)  # the ended series was forgotten: a new event
        other = {**POD, "name": "q", "uid": "u2"}
        recorder.record(other, kind="Warning", reason="FailedScheduling", action="Scheduling", note="x")
        wait_for(lambda: len(api.stored) == 3)  # another pod: another event
    finally:
        recorder.close()


def test_warnings_are_not_held_behind_normal_events():
    api = FakeEvents()
    busy = threading.Event()
    busy.set()
    recorder = EventRecorder(api, controller="kubesched", instance="i", busy=busy.is_set)
    try:
        for i in range(200):
            recorder.record({**POD, "name": f"s{i}", "uid": f"s{i}"}, kind="Normal", reason="Scheduled",
                            action="Binding", note="Successfully assigned")
        recorder.record(POD, kind="Warning", reason="FailedScheduling", action="Scheduling", note="no fit")
        wait_for(lambda: ("POST", "FailedScheduling") in api.calls)
        assert ("POST", "Scheduled") not in api.calls  # bindings first, while busy
        busy.clear()
        wait_for(lambda: sum(1 for c in api.calls if c == ("POST", "Scheduled")) == 200)
    finally:
        recorder.close()
