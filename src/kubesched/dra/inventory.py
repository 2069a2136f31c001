"""The devices drivers publish, as the allocator searches them: every device of every
ResourceSlice once, numbered, with the result of each CEL selector on each device computed
once and kept as a bitset over those numbers, and the pools a node sees (upstream's
GatherPools: the newest generation of each pool, complete or marked incomplete or invalid).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from kubesched.dra.cel import CelError, compiled
from kubesched.model.dra_records import Device, ResourceSlice
from kubesched.model.records import Node
from kubesched.model.selectors import node_term_matches


@dataclass(frozen=True, slots=True)
class Entry:
    """A device where it is published."""
    index: int
    slice: ResourceSlice
    device: Device

    @property
    def device_id(self) -> tuple[str, str, str]:
        return self.slice.driver, self.slice.pool, self.device.name


@dataclass(slots=True)
class Pool:
    driver: str
    name: str
    incomplete: bool = False
    invalid: bool = False
    slices: list[ResourceSlice] = field(default_factory=list)  # devices for the node, by slice name
    entries: list[list[Entry]] = field(default_factory=list)  # per slice, in device order
    other_entries: list[Entry] = field(default_factory=list)  # the pool's devices other nodes see
    counter_sets: dict[str, dict[str, Fraction]] = field(default_factory=dict)

    @property
    def pool_id(self) -> tuple[str, str]:
        return self.driver, self.name


def has_binding_conditions(pool: Pool) -> bool:
    return any(e.device.binding_conditions for entries in pool.entries for e in entries)


def selects(terms, node: Node) -> bool:
    return any(node_term_matches(term, node.name, node.labels) for term in terms)


def node_matches(node: Node, node_name: str, all_nodes: bool, node_selector) -> bool:
    if node_name:
        return node.name == node_name
    if all_nodes:
        return True
    if node_selector is not None:
        return selects(node_selector, node)
    return False


class Inventory:
    def __init__(self, slices: list[ResourceSlice]):
        self.slices = slices
        self.entries: list[Entry] = []
        self._entries_of: dict[str, list[Entry]] = {}  # slice name →
        for s in slices:
            own = [Entry(len(self.entries) + i, s, d) for i, d in enumerate(s.devices)]
            self.entries.extend(own)
            self._entries_of[s.name] = own
        self._on_node: dict[str, list[ResourceSlice]] = {}
        self._shared: list[ResourceSlice] = []
        for s in slices:
            if s.node_name:
                self._on_node.setdefault(s.node_name, []).append(s)
            else:
                self._shared.append(s)
        self._matches: dict[str, int] = {}  # expression → bitset of the devices it selects
        self._errors: dict[str, dict[int, str]] = {}  # expression → device index → runtime error
        self._pools: dict[str, list[Pool]] = {}

    # -- CEL, once per (expression, device) ---------------------------------------------------

    def evaluate(self, expression: str) -> tuple[int, dict[int, str]]:
        found = self._matches.get(expression)
        if found is None:
            selector = compiled(expression)  # read_dra_objects compiled it already
            bits, errors = 0, {}
            for entry in self.entries:
                try:
                    if selector.matches(entry.device, entry.slice.driver):
                        bits |= 1 << entry.index
                except CelError as error:
                    errors[entry.index] = str(error)
            self._matches[expression], self._errors[expression] = bits, errors
            found = bits
        return found, self._errors[expression]

    def eligible(self, expressions: tuple[str, ...]) -> tuple[int, int]:
        """The devices every expression selects, and those on which one of them fails."""
        bits = (1 << len(self.entries)) - 1
        failing = 0
        for expression in expressions:
            matches, errors = self.evaluate(expression)
            bits &= matches
            for index in errors:
                failing |= 1 << index
        return bits, failing

    def first_error(self, expressions: tuple[str, ...], index: int) -> tuple[int, str] | None:
        """Upstream evaluates selectors in order and stops at the first false one: the error
        it meets on this device, if any, as (selector number, message)."""
        for number, expression in enumerate(expressions):
            matches, errors = self.evaluate(expression)
            if index in errors:
                return number, errors[index]
            if not matches >> index & 1:
                return None
        return None

    # -- pools ---------------------------------------------------------------------------------

    def pools_for(self, node: Node) -> list[Pool]:
        pools = self._pools.get(node.name)
        if pools is None:
            pools = self._pools[node.name] = self._gather(node)
        return pools

    def _relevant(self, s: ResourceSlice, node: Node) -> bool:
        if s.node_name or s.all_nodes or s.node_selector is not None:
            return node_matches(node, s.node_name, s.all_nodes, s.node_selector)
        if s.per_device_node_selection:
            return any(node_matches(node, d.node_name, d.all_nodes, d.node_selector) for d in s.devices)
        return False

    def _gather(self, node: Node) -> list[Pool]:
        newest: dict[tuple[str, str], list[ResourceSlice]] = {}
        for s in [*self._on_node.get(node.name, ()), *self._shared]:
            if not self._relevant(s, node):
                continue
            key = (s.driver, s.pool)
            found = newest.get(key)
            if found is None or s.generation > found[0].generation:
                newest[key] = [s]
            elif s.generation == found[0].generation:
                found.append(s)
        pools = []
        for (driver, name), slices in newest.items():
            generation, count = slices[0].generation, slices[0].slice_count
            everything = None
            if len(slices) != count:
                # Slices left out for this node may complete the pool, or a newer generation
                # elsewhere may make this one obsolete.
                same = [s for s in self.slices if s.driver == driver and s.pool == name]
                if any(s.generation > generation for s in same):
                    continue
                everything = [s for s in same if s.generation == generation]
                if len(everything) != count:
                    pools.append(Pool(driver, name, incomplete=True))
                    continue
            pools.append(self._build(driver, name, slices, everything))
        # Pools with devices that have binding conditions come last: such devices are the last resort.
        pools.sort(key=lambda p: (has_binding_conditions(p), p.driver, p.name))
        return pools

    def _build(self, driver: str, name: str, slices: list[ResourceSlice], everything) -> Pool:
        slices = sorted(slices, key=lambda s: s.name)
        device_slices = [s for s in slices if not s.shared_counters]
        counter_slices = [s for s in slices if s.shared_counters]
        targeting = {s.name for s in slices}
        others = []
        for s in everything or ():
            if s.name not in targeting:
                (counter_slices if s.shared_counters else others).append(s)
        pool = Pool(driver, name)
        names = set()
        for s in device_slices:
            for d in s.devices:
                if d.name in names:
                    pool.invalid = True  # duplicate device name
                    return pool
                names.add(d.name)
        for s in counter_slices:
            for set_name, counters in s.shared_counters:
                if set_name in pool.counter_sets:
                    return Pool(driver, name, invalid=True)  # duplicate counter set name
                pool.counter_sets[set_name] = counters
        for s in [*device_slices, *others]:
            for d in s.devices:
                for set_name, counters in d.consumes_counters:
                    if set_name not in pool.counter_sets or any(c not in pool.counter_sets[set_name]
                                                                for c in counters):
                        return Pool(driver, name, invalid=True)  # unknown counter set or counter
        pool.slices = device_slices
        pool.entries = [self._entries_of[s.name] for s in device_slices]
        pool.other_entries = [e for s in others for e in self._entries_of[s.name]]
        return pool
