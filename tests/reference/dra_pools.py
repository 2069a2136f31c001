"""The pools of devices a node sees, as upstream's GatherPools finds them in the
ResourceSlices, written apart from kubesched.dra.inventory: the slices that select the node
(by name, all nodes, a node selector, or one of their devices' own selection), the newest
generation of each pool, complete (with the pool's slices for other nodes when those make it
so), incomplete, or invalid (a device name twice, a counter set twice, a device consuming an
unknown counter set or counter)."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from kubesched.model.dra_records import Device, ResourceSlice
from kubesched.model.records import Node
from tests.reference.selectors import term_matches


@dataclass(eq=False)
class DeviceEntry:
    slice: ResourceSlice
    device: Device

    @property
    def device_id(self) -> tuple[str, str, str]:
        return self.slice.driver, self.slice.pool, self.device.name


@dataclass(eq=False)
class DevicePool:
    driver: str
    name: str
    incomplete: bool = False
    invalid: bool = False
    entries: list[list[DeviceEntry]] = field(default_factory=list)  # per slice for the node, by slice name
    other_entries: list[DeviceEntry] = field(default_factory=list)  # the pool's devices other nodes see
    counter_sets: dict[str, dict[str, Fraction]] = field(default_factory=dict)


def node_matches(node: Node, node_name: str, all_nodes: bool, node_selector) -> bool:
    """NodeMatches: a name, all nodes, or a node selector's terms."""
    if node_name:
        return node.name == node_name
    if all_nodes:
        return True
    return node_selector is not None and any(term_matches(t, node.name, node.labels) for t in node_selector)


def device_on_node(entry: DeviceEntry, node: Node) -> bool:
    """A device of a slice with perDeviceNodeSelection is a candidate only where it selects the node."""
    d = entry.device
    return not entry.slice.per_device_node_selection or node_matches(node, d.node_name, d.all_nodes, d.node_selector)


def _selects(s: ResourceSlice, node: Node) -> bool:
    if s.node_name or s.all_nodes or s.node_selector is not None:
        return node_matches(node, s.node_name, s.all_nodes, s.node_selector)
    return s.per_device_node_selection and any(node_matches(node, d.node_name, d.all_nodes, d.node_selector)
                                               for d in s.devices)


def gather_pools(slices: list[ResourceSlice], node: Node) -> list[DevicePool]:
    """The node's pools by driver and name, those with a device with binding conditions last."""
    newest: dict[tuple[str, str], list[ResourceSlice]] = {}
    for s in slices:
        if not _selects(s, node):
            continue
        found = newest.get((s.driver, s.pool))
        if found is None or s.generation > found[0].generation:
            newest[(s.driver, s.pool)] = [s]
        elif s.generation == found[0].generation:
            found.append(s)
    pools = []
    for (driver, name), mine in newest.items():
        generation, count = mine[0].generation, mine[0].slice_count
        everything = None
        if len(mine) != count:
            same = [s for s in slices if s.driver == driver and s.pool == name]
            if any(s.generation > generation for s in same):
                continue  # obsolete: a newer generation is being published
            everything = [s for s in same if s.generation == generation]
            if len(everything) != count:
                pools.append(DevicePool(driver, name, incomplete=True))
                continue
        pools.append(_build(driver, name, mine, everything or []))

    def binding_conditions(pool: DevicePool) -> bool:
        return any(e.device.binding_conditions for entries in pool.entries for e in entries)
    return sorted(pools, key=lambda p: (binding_conditions(p), p.driver, p.name))


def _build(driver: str, name: str, mine: list[ResourceSlice], everything: list[ResourceSlice]) -> DevicePool:
    mine = sorted(mine, key=lambda s: s.name)
    names = {s.name for s in mine}
    device_slices = [s for s in mine if not s.shared_counters]
    counter_slices = [s for s in mine if s.shared_counters] + [s for s in everything
                                                               if s.name not in names and s.shared_counters]
    others = [s for s in everything if s.name not in names and not s.shared_counters]
    invalid = DevicePool(driver, name, invalid=True)
    seen: set[str] = set()
    for s in device_slices:
        for d in s.devices:
            if d.name in seen:
                return invalid
            seen.add(d.name)
    counter_sets: dict[str, dict[str, Fraction]] = {}
    for s in counter_slices:
        for set_name, counters in s.shared_counters:
            if set_name in counter_sets:
                return invalid
            counter_sets[set_name] = counters
    for s in [*device_slices, *others]:
        for d in s.devices:
            for set_name, counters in d.consumes_counters:
                if set_name not in counter_sets or any(c not in counter_sets[set_name] for c in counters):
                    return invalid
    return DevicePool(driver, name, entries=[[DeviceEntry(s, d) for d in s.devices] for s in device_slices],
                      other_entries=[DeviceEntry(s, d) for s in others for d in s.devices],
                      counter_sets=counter_sets)
