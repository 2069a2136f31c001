"""The scheduling queue, as upstream's: an active heap, a backoff heap, an unschedulable pool.

Active pods come out in PrioritySort's order (engine.queue_order.sort_key: priority, the
PriorityClass resolved, then creation time), then by arrival.
A pod whose attempt failed with an error waits `1s × 2^(attempts−1)` (at most 10s) in
backoff; a pod that fit nowhere waits in the unschedulable pool until a cluster event that
could help it (`move_all`) or 5 minutes, then goes through backoff; one that no plugin
rejected (no nodes) waits in backoff only. A move that happens
while a pod is being decided sends it to backoff instead, so no event is missed."""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from kubesched.engine.queue_order import sort_key
from kubesched.model.records import Pod

INITIAL_BACKOFF = 1.0
MAX_BACKOFF = 10.0
UNSCHEDULABLE_TIMEOUT = 300.0

ACTIVE, BACKOFF, UNSCHEDULABLE, IN_FLIGHT = "active", "backoff", "unschedulable", "inflight"


@dataclass(eq=False)
class QueuedPod:
    uid: str
    pod: Pod
    added: float  # when the queue first saw it: the start of the end-to-end latency
    attempts: int = 0
    last_failure: float = 0.0
    state: str | None = None  # None: not in the queue
    version: int = 0  # bumped on every move: stale heap entries are skipped
    popped_cycle: int = 0
    attempt_started: float = 0.0
    decided_on: tuple[int, int] | None = None  # (evaluated, feasible) nodes of the decision
    message: str = field(default="", repr=False)  # the last failure's message


class SchedulingQueue:
    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 initial_backoff: float = INITIAL_BACKOFF, max_backoff: float = MAX_BACKOFF,
                 unschedulable_timeout: float = UNSCHEDULABLE_TIMEOUT):
        self.clock = clock
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.unschedulable_timeout = unschedulable_timeout
        self.pods: dict[str, QueuedPod] = {}
        self._active: list[tuple] = []
        self._backoff: list[tuple] = []
        self._unschedulable: dict[str, QueuedPod] = {}
        self._seq = itertools.count()
        self._move_cycle = 0
        self._counts = {ACTIVE: 0, BACKOFF: 0, UNSCHEDULABLE: 0, IN_FLIGHT: 0}

    # -- what the informers tell -------------------------------------------------------

    def add(self, uid: str, pod: Pod) -> None:
        """A pending pod appeared, or changed in a way that matters (spec, labels)."""
        entry = self.pods.get(uid)
        if entry is None:
            entry = self.pods[uid] = QueuedPod(uid, pod, self.clock(), state=None)
            self._to_active(entry)
            return
        entry.pod = pod
        if entry.state == UNSCHEDULABLE:
            self._release(entry)
        elif entry.state == ACTIVE:
            self._to_active(entry)  # its priority may have changed

    def delete(self, uid: str) -> QueuedPod | None:
        entry = self.pods.pop(uid, None)
        if entry is not None:
            self._set_state(entry, None)
            self._unschedulable.pop(uid, None)
            entry.version += 1
        return entry

    def __contains__(self, uid: str) -> bool:
        return uid in self.pods

    def move_all(self) -> None:
        """A cluster event that could make unschedulable pods fit."""
        self._move_cycle += 1
        for entry in list(self._unschedulable.values()):
            self._release(entry)

    # -- what the scheduling loop does ---------------------------------------------------

    def pop(self) -> QueuedPod | None:
        """The next pod to decide, or None if none is ready now."""
        self._flush()
        while self._active:
            *_, version, entry = heapq.heappop(self._active)
            if entry.version == version and entry.state == ACTIVE:
                self._set_state(entry, IN_FLIGHT)
                entry.popped_cycle = self._move_cycle
                return entry
        return None

    def unschedulable(self, entry: QueuedPod, message: str = "") -> None:
        """The pod fit nowhere: wait for a cluster event (or backoff, if one came meanwhile)."""
        if self.pods.get(entry.uid) is not entry:
            return  # deleted meanwhile
        entry.attempts += 1
        entry.last_failure = self.clock()
        entry.message = message
        if entry.popped_cycle < self._move_cycle:
            self._to_backoff(entry)
        else:
            self._set_state(entry, UNSCHEDULABLE)
            entry.version += 1
            self._unschedulable[entry.uid] = entry

    def gated(self, entry: QueuedPod, message: str = "") -> None:
        """PreEnqueue kept the pod out (e.g. a DRA claim not made yet): it waits for a cluster
        event, with no attempt counted, so no backoff when the event comes (as upstream)."""
        if self.pods.get(entry.uid) is not entry:
            return
        entry.message = message
        entry.last_failure = self.clock()
        if entry.popped_cycle < self._move_cycle:
            self._to_active(entry)
        else:
            self._set_state(entry, UNSCHEDULABLE)
            entry.version += 1
            self._unschedulable[entry.uid] = entry

    def failed(self, entry: QueuedPod) -> None:
        """The attempt failed with an error (e.g. the binding): retry after the backoff."""
        if self.pods.get(entry.uid) is not entry:
            return
        entry.attempts += 1
        entry.last_failure = self.clock()
        self._to_backoff(entry)

    def no_plugin_rejected(self, entry: QueuedPod, message: str) -> None:
        """The pod fit nowhere but no plugin rejected it (the cluster has no nodes): no event
        is known to help it, so upstream's queue retries it after its backoff instead of
        keeping it in the unschedulable pool."""
        entry.message = message
        self.failed(entry)

    def done(self, entry: QueuedPod) -> None:
        """The pod is assumed on a node: it leaves the queue (the binder may bring it back)."""
        if self.pods.get(entry.uid) is entry:
            del self.pods[entry.uid]
            self._set_state(entry, None)

    def readd(self, entry: QueuedPod) -> None:
        """A pod that left the queue (`done`) and whose binding failed: back, into backoff."""
        if entry.uid in self.pods:
            return
        self.pods[entry.uid] = entry
        entry.state = IN_FLIGHT
        self._counts[IN_FLIGHT] += 1
        self.failed(entry)

    def park(self, entry: QueuedPod) -> None:
        """A popped pod that may not be decided yet (its preemption is under way): back to
        the unschedulable pool, no attempt counted, until a move or `activate`."""
        if self.pods.get(entry.uid) is not entry:
            return
        self._set_state(entry, UNSCHEDULABLE)
        entry.version += 1
        self._unschedulable[entry.uid] = entry

    def activate(self, uid: str) -> None:
        """Out of the unschedulable pool now, if it is there."""
        entry = self._unschedulable.get(uid)
        if entry is not None:
            self._release(entry)

    def backoff_duration(self, entry: QueuedPod) -> float:
        if entry.attempts <= 0:
            return 0.0
        return min(self.max_backoff, self.initial_backoff * 2 ** (entry.attempts - 1))

    def next_ready_in(self) -> float | None:
        """Seconds until a waiting pod becomes active by itself; 0 if one is active now."""
        if self._counts[ACTIVE]:
            return 0.0
        times = []
        if self._backoff:
            times.append(self._backoff[0][0])
        if self._unschedulable:
            times.append(min(e.last_failure for e in self._unschedulable.values())
                         + self.unschedulable_timeout)
        if not times:
            return None
        return max(0.0, min(times) - self.clock())

    def counts(self) -> dict[str, int]:
        """Pending pods per sub-queue, as `scheduler_pending_pods{queue}` reports them."""
        return {"active": self._counts[ACTIVE], "backoff": self._counts[BACKOFF],
                "unschedulable": self._counts[UNSCHEDULABLE], "gated": 0}

    # -- moves ---------------------------------------------------------------------------

    def _flush(self) -> None:
        now = self.clock()
        while self._backoff and self._backoff[0][0] <= now:
            _, _, version, entry = heapq.heappop(self._backoff)
            if entry.version == version and entry.state == BACKOFF:
                self._to_active(entry)
        if self._unschedulable:
            expired = [e for e in self._unschedulable.values()
                       if now - e.last_failure >= self.unschedulable_timeout]
            for entry in expired:
                self._release(entry)

    def _release(self, entry: QueuedPod) -> None:
        """Out of the unschedulable pool: to backoff if its backoff is not over, else active."""
        self._unschedulable.pop(entry.uid, None)
        if entry.last_failure + self.backoff_duration(entry) > self.clock():
            self._to_backoff(entry)
        else:
            self._to_active(entry)

    def _to_active(self, entry: QueuedPod) -> None:
        self._set_state(entry, ACTIVE)
        entry.version += 1
        heapq.heappush(self._active, (*sort_key(entry.pod), next(self._seq), entry.version, entry))

    def _to_backoff(self, entry: QueuedPod) -> None:
        self._unschedulable.pop(entry.uid, None)
        self._set_state(entry, BACKOFF)
        entry.version += 1
        ready = entry.last_failure + self.backoff_duration(entry)
        heapq.heappush(self._backoff, (ready, next(self._seq), entry.version, entry))

    def _set_state(self, entry: QueuedPod, state: str | None) -> None:
        if entry.state is not None:
            self._counts[entry.state] -= 1
        entry.state = state
        if state is not None:
            self._counts[state] += 1
