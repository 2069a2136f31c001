"""Device binding conditions (DRADeviceBindingConditions, beta and on in v1.37) in PreBind: a
device published with `bindingConditions` is allocated with them (and its
`bindingFailureConditions`) in the claim's `status.allocation.devices.results`; the binding
then waits until, for every such device, each binding condition is True in the claim's
`status.devices[].conditions` (a driver or controller sets them), as kube-scheduler does:
checked at once, then every 5 seconds, up to DynamicResourcesArgs.bindingTimeout (600 s by
default). A failure condition that is True, or the timeout, fails the binding (the claims are
then released and the pod is tried again).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

POLL_SECONDS = 5.0
DEFAULT_TIMEOUT_SECONDS = 600.0


def _results(claim: dict) -> list[dict]:
    allocation = (claim.get("status") or {}).get("allocation") or {}
    return (allocation.get("devices") or {}).get("results") or []


def has_binding_conditions(claims: list[dict]) -> bool:
    return any(r.get("bindingConditions") for c in claims for r in _results(c))


def _true(conditions: list[dict], kind: str) -> dict | None:
    return next((c for c in conditions if c.get("type") == kind and c.get("status") == "True"), None)


def claim_ready(claim: dict) -> tuple[bool, str | None]:
    """(ready, failure): ready when every binding condition of every device is True; the
    failure when one of a device's failure conditions is True."""
    devices = (claim.get("status") or {}).get("devices") or []
    name = (claim.get("metadata") or {}).get("name")
    if not (claim.get("status") or {}).get("allocation"):
        return False, None
    for result in _results(claim):
        if not result.get("bindingConditions"):
            continue
        status = next((d for d in devices if (d.get("driver"), d.get("pool"), d.get("device"))
                       == (result.get("driver"), result.get("pool"), result.get("device"))), None)
        if status is None:
            return False, None
        conditions = status.get("conditions") or []
        for kind in result.get("bindingFailureConditions") or []:
            failed = _true(conditions, kind)
            if failed is not None:
                return False, (f"device binding failed: claim={name}, reason={failed.get('reason', '')}, "
                               f"message={_quoted(failed.get('message', ''))}")
        if any(_true(conditions, kind) is None for kind in result["bindingConditions"]):
            return False, None
    return True, None


def _quoted(text: str) -> str:
    """Go's %q for the usual printable text."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _timed_out(claim: dict, timeout: float, now: datetime) -> bool:
    allocation = (claim.get("status") or {}).get("allocation") or {}
    stamp = allocation.get("allocationTimestamp")
    if not stamp or not any(r.get("bindingConditions") for r in _results(claim)):
        return False
    allocated = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return (now - allocated).total_seconds() > timeout


def wait_until_bound(read_claims, timeout: float, stop: threading.Event) -> str | None:
    """Wait for the pod's claims (`read_claims()`: as the informers hold them now); the error
    that fails the binding, or None once every device's binding conditions are True."""
    deadline = time.monotonic() + timeout
    while True:
        ready = True
        for claim in read_claims():
            done, failure = claim_ready(claim)
            if failure is not None:
                return failure
            if not done:
                if _timed_out(claim, timeout, datetime.now(timezone.utc)):
                    return f"device binding timeout: claim={(claim.get('metadata') or {}).get('name')}"
                ready = False
                break
        if ready:
            return None
        left = deadline - time.monotonic()
        if stop.wait(max(0.0, min(POLL_SECONDS, left))):
            return "device binding: the scheduler stopped"
        if left <= POLL_SECONDS:  # the deadline comes before the next check, as upstream's poll's context
            return "device binding timeout: context deadline exceeded"
