"""The informer's list/watch protocol against a fake API server: 410 Gone means re-list."""

from __future__ import annotations

import threading

import orjson
import pytest
import urllib3

from kubesched.kube import ApiError
from kubesched.live.informer import Informer

pytestmark = pytest.mark.unit


def _obj(name, version):
    return {"metadata": {"name": name, "namespace": "ns", "resourceVersion": str(version)}}


class FakeResponse:
    def __init__(self, lines):
        self.lines = [orjson.dumps(line) + b"\n" for line in lines]

    def __iter__(self):
        return iter(self.lines)

    def release_conn(self):
        pass


class FakeKube:
    """Lists answer from `lists`, watches from `watches`, in order; records the queries."""

    def __init__(self, lists, watches, stop):
        self.lists, self.watches, self.stop = list(lists), list(watches), stop
        self.queries = []

    def request(self, method, path, body=None, *, query=None, **_):
        self.queries.append(("list", dict(query or {})))
        return self.lists.pop(0)

    def stream(self, path, query, timeout):
        self.queries.append(("watch", dict(query)))
        if not self.watches:
            self.stop.set()
            return FakeResponse([])
        answer = self.watches.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer if isinstance(answer, FakeResponse) else FakeResponse(answer)


class CutOffResponse(FakeResponse):
    """A stream whose connection breaks after its lines (the server went away)."""

    def __iter__(self):
        yield from self.lines
        raise urllib3.exceptions.ProtocolError("Response ended prematurely")


def _run(lists, watches):
    stop = threading.Event()
    kube = FakeKube(lists, watches, stop)
    events = []
    informer = Informer(kube, "/api/v1/pods", lambda t, o: events.append((t, o["metadata"]["name"])),
                        stop=stop)
    informer.run()
    return informer, kube, events


def test_watch_resumes_from_the_last_version_and_bookmark():
    informer, kube, events = _run(
        [{"items": [_obj("a", 1)], "metadata": {"resourceVersion": "10"}}],
        [[{"type": "ADDED", "object": _obj("b", 11)},
          {"type": "BOOKMARK", "object": {"metadata": {"resourceVersion": "15"}}}],
         [{"type": "DELETED", "object": _obj("a", 16)}]])
    assert events == [("ADDED", "a"), ("ADDED", "b"), ("DELETED", "a")]
    watches = [q for kind, q in kube.queries if kind == "watch"]
    assert watches[0]["resourceVersion"] == "10" and watches[0]["allowWatchBookmarks"] == "true"
    assert watches[1]["resourceVersion"] == "15"
    assert informer.resource_version == "16"


def test_410_gone_in_the_stream_relists_and_reports_what_vanished():
    informer, kube, events = _run(
        [{"items": [_obj("a", 1), _obj("b", 2)], "metadata": {"resourceVersion": "10"}},
         {"items": [_obj("b", 30), _obj("c", 31)], "metadata": {"resourceVersion": "40"}}],
        [[{"type": "ERROR", "object": {"kind": "Status", "code": 410,
                                       "message": "too old resource version"}}],
         []])
    assert events == [("ADDED", "a"), ("ADDED", "b"),
                      ("MODIFIED", "b"), ("ADDED", "c"), ("DELETED", "a")]
    assert informer.relists == 2
    assert [q for kind, q in kube.queries if kind == "watch"][-1]["resourceVersion"] == "40"


def test_410_on_the_watch_request_relists():
    informer, kube, events = _run(
        [{"items": [], "metadata": {"resourceVersion": "5"}},
         {"items": [_obj("x", 9)], "metadata": {"resourceVersion": "9"}}],
        [ApiError(410, {"message": "Expired"})])
    assert events == [("ADDED", "x")]
    assert informer.relists == 2


def test_a_watch_cut_off_resumes_from_the_last_version_without_listing(caplog):
    informer, kube, events = _run(
        [{"items": [], "metadata": {"resourceVersion": "5"}}],
        [CutOffResponse([{"type": "ADDED", "object": _obj("a", 6)}]),
         [{"type": "ADDED", "object": _obj("b", 7)}]])
    assert events == [("ADDED", "a"), ("ADDED", "b")]
    assert informer.relists == 1
    assert [q["resourceVersion"] for kind, q in kube.queries if kind == "watch"][:2] == ["5", "6"]
    assert not [r for r in caplog.records if r.levelname == "ERROR"]  # expected, not a bug


def test_list_pages_are_followed():
    informer, kube, events = _run(
        [{"items": [_obj("a", 1)], "metadata": {"continue": "next"}},
         {"items": [_obj("b", 2)], "metadata": {"resourceVersion": "7"}}],
        [])
    assert events == [("ADDED", "a"), ("ADDED", "b")]
    assert kube.queries[1] == ("list", {"limit": 500, "continue": "next"})
    assert informer.synced.is_set()
