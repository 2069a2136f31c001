"""Events (events.k8s.io/v1) recorded as client-go's event broadcaster records them.

Isomorphic events — same type, action, reason, reporting controller and instance, regarding
object — are aggregated: the first is created; the second turns it into a series (count 2,
lastObservedTime) with a PATCH; later repeats only count up here, and the count is written
when the series ends (no repeat for `FINISH_AFTER`) and every `REFRESH_EVERY` while it
lasts. A series whose event has vanished is created again.

Sending: warnings (FailedScheduling) go first and at once; normal events (Scheduled) give
way to bindings while `busy()` for up to `NORMAL_DELAY`, so a burst of bindings is not
slowed, and a warning never waits behind thousands of Scheduled events. An event costs the
API server about what a binding costs (one write to etcd), so on a busy plane a burst of
thousands of pods lasts longer than half a minute: the delay covers such a burst."""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from kubesched.kube import ApiError, Kube

log = logging.getLogger("kubesched.live")

FINISH_AFTER = 6 * 60.0
REFRESH_EVERY = 30 * 60.0
NORMAL_DELAY = 120.0
MAX_QUEUED = 20000
SENDERS = 2
WARNING, NORMAL = 0, 1  # send priority


def micro_time(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Recorded:
    body: dict                     # the Event as created
    observed: float                # wall-clock time of the last occurrence
    count: int = 1                 # occurrences; > 1: a series
    written_count: int = 1         # the count the server has
    written_at: float = field(default_factory=time.monotonic)


class EventRecorder:
    def __init__(self, kube: Kube, *, controller: str, instance: str,
                 busy: Callable[[], bool] = lambda: False, clock: Callable[[], float] = time.time):
        self.kube = kube
        self.controller = controller
        self.instance = instance
        self.busy = busy
        self.clock = clock
        self.dropped = 0
        self._cache: dict[tuple, Recorded] = {}
        self._lock = threading.Lock()
        self._queue: queue.PriorityQueue = queue.PriorityQueue(maxsize=MAX_QUEUED)
        self._order = itertools.count()
        self._closed = threading.Event()
        self._threads = [threading.Thread(target=self._send_loop, name=f"events-{i}", daemon=True)
                         for i in range(SENDERS)]
        self._threads.append(threading.Thread(target=self._series_loop, name="event-series", daemon=True))
        for thread in self._threads:
            thread.start()

    def record(self, regarding: dict, *, kind: str, reason: str, action: str, note: str) -> None:
        """`regarding`: an ObjectReference (apiVersion, kind, namespace, name, uid)."""
        now = self.clock()
        key = (kind, action, reason, self.controller, self.instance,
               tuple(sorted(regarding.items())))
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                found.count += 1
                found.observed = now
                if found.count > 2:
                    return  # counted; written when the series is refreshed or ends
                recorded, patch = found, True
            else:
                namespace = regarding.get("namespace") or "default"
                body = {"apiVersion": "events.k8s.io/v1", "kind": "Event",
                        "metadata": {"namespace": namespace,
                                     "name": f"{regarding['name']}.{time.time_ns():x}"},
                        "eventTime": micro_time(now), "reportingController": self.controller,
                        "reportingInstance": self.instance, "action": action, "reason": reason,
                        "note": note[:1024], "type": kind, "regarding": regarding}
                recorded = self._cache[key] = Recorded(body, now)
                patch = False
        self._enqueue(WARNING if kind == "Warning" else NORMAL, recorded, patch)

    def _enqueue(self, priority: int, recorded: Recorded, patch: bool) -> None:
        self._put((priority, next(self._order), time.monotonic(), recorded, patch))

    def _put(self, item: tuple) -> None:
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self.dropped += 1

    def _send_loop(self) -> None:
        while not self._closed.is_set():
            try:
                item = self._queue.get(timeout=0.5)
            except queue.Empty:
                continue
            priority, _, queued, recorded, patch = item
            if priority == NORMAL and self.busy() and time.monotonic() - queued < NORMAL_DELAY:
                self._put(item)  # behind any warning that comes meanwhile
                self._closed.wait(0.05)
                continue
            self._write(recorded, patch)

    def _write(self, recorded: Recorded, patch: bool) -> None:
        with self._lock:
            count, observed = recorded.count, recorded.observed
        body = recorded.body
        namespace, name = body["metadata"]["namespace"], body["metadata"]["name"]
        series = {"count": count, "lastObservedTime": micro_time(observed)}
        try:
            if patch:
                try:
                    self.kube.request("PATCH", f"/apis/events.k8s.io/v1/namespaces/{namespace}/events/{name}",
                                      {"series": series}, content_type="application/strategic-merge-patch+json")
                except ApiError as error:
                    if error.status != 404:
                        raise
                    self.kube.request("POST", f"/apis/events.k8s.io/v1/namespaces/{namespace}/events",
                                      {**body, "series": series})
            else:
                try:
                    self.kube.request("POST", f"/apis/events.k8s.io/v1/namespaces/{namespace}/events", body)
                except ApiError as error:
                    if error.status != 409:  # 409: its series was written first, creating it
                        raise
        except ApiError as error:
            log.warning("event %s for %s %s/%s not recorded: %s", body["reason"],
                        body["regarding"].get("kind"), namespace, body["regarding"].get("name"), error)
            return
        with self._lock:
            recorded.written_count = count if patch else recorded.written_count
            recorded.written_at = time.monotonic()

    def _series_loop(self) -> None:
        while not self._closed.wait(min(FINISH_AFTER, REFRESH_EVERY) / 12):
            self.flush_series()

    def flush_series(self) -> None:
        """Write the counts of series that ended or are due a refresh; forget ended ones."""
        now, monotonic = self.clock(), time.monotonic()
        due = []
        with self._lock:
            for key, recorded in list(self._cache.items()):
                ended = now - recorded.observed >= FINISH_AFTER
                if recorded.count > 1 and recorded.count != recorded.written_count and (
                        ended or monotonic - recorded.written_at >= REFRESH_EVERY):
                    due.append(recorded)
                if ended:
                    del self._cache[key]
        for recorded in due:
            self._write(recorded, patch=True)

    def pending(self) -> int:
        return self._queue.qsize()

    def close(self, timeout: float = 0.0) -> None:
        """Stop, sending what waits (normal events without giving way) for up to `timeout` s."""
        self.busy = lambda: False
        deadline = time.monotonic() + timeout
        while not self._queue.empty() and time.monotonic() < deadline:
            time.sleep(0.05)
        self._closed.set()
