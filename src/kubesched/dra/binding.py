"""Filter's view of an allocated claim whose devices have binding conditions
(DRADeviceBindingConditions, beta and on in v1.37): the claim is not available on any node
once a device's binding failure condition is True, or while its binding conditions are not
all True past the binding timeout after allocationTimestamp (upstream compares with the
current time). PreBind's waiting for the conditions is `kubesched run`'s."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from kubesched.model.dra_records import ResourceClaim

BINDING_TIMEOUT = timedelta(seconds=600)  # DynamicResourcesArgs.bindingTimeout's default


def _ready(claim: ResourceClaim) -> tuple[bool, bool]:
    """(ready, failed), as upstream's isClaimReadyForBinding."""
    for result in claim.allocation.results:
        if not result.binding_conditions:
            continue
        conditions = claim.device_conditions.get(result.device_id)
        if conditions is None:
            return False, False
        if any(conditions.get(c) == "True" for c in result.binding_failure_conditions):
            return False, True
        if any(conditions.get(c) != "True" for c in result.binding_conditions):
            return False, False
    return True, False


def _timed_out(claim: ResourceClaim, now: datetime, timeout: timedelta) -> bool:
    allocation = claim.allocation
    if not allocation.allocated_at or not any(r.binding_conditions for r in allocation.results):
        return False
    allocated = datetime.strptime(allocation.allocated_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    return allocated + timeout < now


def binding_failed(claim: ResourceClaim, now: datetime | None = None, timeout: timedelta = BINDING_TIMEOUT) -> bool:
    """Whether Filter takes the allocated claim as unavailable on every node."""
    if claim.allocation is None:
        return False
    ready, failed = _ready(claim)
    if failed:
        return True
    return not ready and _timed_out(claim, now or datetime.now(timezone.utc), timeout)
