"""The devices other claims hold, as upstream's claim tracker gathers them with consumable
capacity on: devices allocated whole (`dedicated`), and shares of devices that allow
multiple allocations (a result with a shareID), each with the capacity it consumed."""

from __future__ import annotations

from kubesched.dra.capacity import Consumed, add
from kubesched.model.dra_records import Allocation

DeviceID = tuple[str, str, str]


class Shares:
    """device → shareID → consumed capacity (None: the result names none)."""

    def __init__(self, shares: dict[DeviceID, dict[str, Consumed | None]] | None = None):
        self.by_device = shares if shares is not None else {}

    def copy(self) -> Shares:
        return Shares({device: dict(found) for device, found in self.by_device.items()})

    def in_use(self, device: DeviceID) -> bool:
        return bool(self.by_device.get(device))

    def capacity(self, device: DeviceID) -> Consumed | None:
        """The capacity the device's shares consume together (upstream's AggregatedCapacity)."""
        total = None
        for consumed in self.by_device.get(device, {}).values():
            if consumed is not None:
                total = {} if total is None else total
                add(total, consumed)
        return total


def take(dedicated: set[DeviceID], shares: Shares, allocation: Allocation | None) -> None:
    if allocation is None:
        return
    for result in allocation.results:
        if result.admin_access:
            continue  # admin access leaves the device to others
        if result.share_id:
            consumed = dict(result.consumed_capacity) if result.consumed_capacity else None
            shares.by_device.setdefault(result.device_id, {})[result.share_id] = consumed
        else:
            dedicated.add(result.device_id)


def release(dedicated: set[DeviceID], shares: Shares, allocation: Allocation | None) -> None:
    if allocation is None:
        return
    for result in allocation.results:
        if result.admin_access:
            continue
        if result.share_id:
            found = shares.by_device.get(result.device_id, {})
            found.pop(result.share_id, None)
            if not found:
                shares.by_device.pop(result.device_id, None)
        else:
            dedicated.discard(result.device_id)
