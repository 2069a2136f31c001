"""Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it.

A candidate takes the lease when it is free, or when its holder has not renewed it for
`lease_duration` as observed locally. The leader renews every `retry_period`; if it could
not renew for `renew_deadline` (< lease_duration) it stops leading at once, before anyone
else may take over, so two replicas never bind at the same time. On shutdown the lease is
released (holder emptied) so a standby takes over without waiting."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone

from kubesched.kube import ApiError, Kube

log = logging.getLogger("kubesched.live")


def _micro_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LeaderElector:
    def __init__(self, kube: Kube, identity: str, *, namespace: str = "kube-system",
                 name: str = "kubesched", lease_duration: float = 15.0,
                 renew_deadline: float = 10.0, retry_period: float = 2.0):
        if not retry_period < renew_deadline < lease_duration:
            raise ValueError("leader election needs retry period < renew deadline < lease "
                             "duration")
        self.kube = kube
        self.identity = identity
        self.namespace = namespace
        self.name = name
        self.lease_duration = lease_duration
        self.renew_deadline = renew_deadline
        self.retry_period = retry_period
        self._observed: tuple | None = None  # (holder, renewTime) last seen
        self._observed_at = 0.0
        self._renewed_at = 0.0  # monotonic time of our last successful acquire/renew
        self._leading = False
        self.lost = threading.Event()

    @property
    def path(self) -> str:
        return f"/apis/coordination.k8s.io/v1/namespaces/{self.namespace}/leases/{self.name}"

    def is_leader(self) -> bool:
        """True while leading and the last renewal is recent enough to be sure of it."""
        return self._leading and time.monotonic() - self._renewed_at < self.renew_deadline

    def acquire(self, stop: threading.Event) -> bool:
        """Block until this replica leads (True) or `stop` is set (False)."""
        while not stop.is_set():
            if self._try():
                log.info("became the leader (lease %s/%s)", self.namespace, self.name)
                return True
            stop.wait(self.retry_period)
        return False

    def keep_renewing(self, stop: threading.Event, on_lost: Callable[[], None]) -> threading.Thread:
        def loop():
            while not stop.wait(self.retry_period):
                if self._try():
                    continue
                if time.monotonic() - self._renewed_at >= self.renew_deadline:
                    self._leading = False
                    self.lost.set()
                    log.error("leadership lost: the lease was not renewed for %.0fs",
                              self.renew_deadline)
                    on_lost()
                    return
        thread = threading.Thread(target=loop, name="leader-renew", daemon=True)
        thread.start()
        return thread

    def release(self) -> None:
        """Give the lease up, if we hold it."""
        if not self._leading:
            return
        self._leading = False
        try:
            lease = self.kube.request("GET", self.path, timeout=5)
            spec = lease.get("spec") or {}
            if spec.get("holderIdentity") != self.identity:
                return
            now = _micro_now()
            lease["spec"] = {"holderIdentity": "", "leaseDurationSeconds": 1,
                             "acquireTime": now, "renewTime": now,
                             "leaseTransitions": spec.get("leaseTransitions", 0)}
            self.kube.request("PUT", self.path, lease, timeout=5)
            log.info("released the lease %s/%s", self.namespace, self.name)
        except ApiError as error:
            log.warning("could not release the lease: %s", error)

    def _try(self) -> bool:
        started = time.monotonic()  # a renewal counts from before it was asked for
        now = _micro_now()
        mine = {"holderIdentity": self.identity,
                "leaseDurationSeconds": max(1, int(self.lease_duration)),
                "acquireTime": now, "renewTime": now, "leaseTransitions": 0}
        try:
            lease = self.kube.request("GET", self.path, timeout=self.renew_deadline)
        except ApiError as error:
            if error.status != 404:
                log.warning("leader election: %s", error)
                return False
            try:
                self.kube.request(
                    "POST", f"/apis/coordination.k8s.io/v1/namespaces/{self.namespace}/leases",
                    {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                     "metadata": {"name": self.name, "namespace": self.namespace},
                     "spec": mine}, timeout=self.renew_deadline)
            except ApiError:
                return False
            return self._won(started)
        spec = lease.get("spec") or {}
        holder = spec.get("holderIdentity") or ""
        observed = (holder, spec.get("renewTime"))
        if observed != self._observed:
            self._observed = observed
            self._observed_at = time.monotonic()
        if holder and holder != self.identity:
            duration = spec.get("leaseDurationSeconds") or self.lease_duration
            if time.monotonic() - self._observed_at < duration:
                return False  # held by another, and not expired
            mine["leaseTransitions"] = spec.get("leaseTransitions", 0) + 1
        elif holder == self.identity:
            mine["acquireTime"] = spec.get("acquireTime") or now
            mine["leaseTransitions"] = spec.get("leaseTransitions", 0)
        else:
            mine["leaseTransitions"] = spec.get("leaseTransitions", 0) + 1
        lease["spec"] = mine
        try:
            self.kube.request("PUT", self.path, lease, timeout=self.renew_deadline)
        except ApiError as error:
            if error.status != 409:
                log.warning("leader election: %s", error)
            return False
        return self._won(started)

    def _won(self, started: float) -> bool:
        self._renewed_at = started
        self._leading = True
        return True
