"""The pure-Python reference of the packing kernel (src/_core/binpack.cpp): slow and obvious.

The tests compare the kernel with it: the lower bound must be equal, the item-centric
constructions (first fit and best fit decreasing) must give the same packing, every packing
must pass `is_valid`, and on tiny instances no packing may beat `exact_minimum`.
Floating-point keys are computed with the same operations in the same order as the kernel,
so that ties break alike.
"""

from __future__ import annotations

import itertools
import math

from kubesched.plan.packing import Packing, PackingProblem

import numpy as np


class _View:
    """The problem as plain lists of ints."""

    def __init__(self, problem: PackingProblem):
        self.sizes = problem.sizes.tolist()
        self.capacities = problem.capacities.tolist()
        self.costs = problem.costs.tolist()
        self.limits = problem.limits.tolist()
        self.allowed = problem.allowed.tolist()
        self.n = len(self.sizes)
        self.types = len(self.capacities)
        self.dims = problem.sizes.shape[1]

    def fits_empty(self, item: int, t: int) -> bool:
        return self.allowed[item][t] and all(s <= c for s, c in zip(self.sizes[item], self.capacities[t]))

    def placeable(self, item: int) -> bool:
        return any(self.fits_empty(item, t) for t in range(self.types))


# -- lower bound ---------------------------------------------------------------------------

def lower_bound(problem: PackingProblem) -> int:
    p = _View(problem)
    items = [i for i in range(p.n) if p.placeable(i)]
    bound = 0
    for r in range(p.dims):
        demand = sum(p.sizes[i][r] for i in items)
        for t in range(p.types):
            if p.limits[t] >= 0:  # an existing node takes what the items that fit it request, at most
                usable = sum(p.sizes[i][r] for i in items if p.fits_empty(i, t))
                demand -= min(p.limits[t] * p.capacities[t][r], usable)
        if demand <= 0:
            continue
        prices = [-(-demand * p.costs[t] // p.capacities[t][r]) for t in range(p.types)
                  if p.limits[t] < 0 and p.capacities[t][r] > 0]
        if prices:
            bound = max(bound, min(prices))
    if p.types == 1 and p.limits[0] < 0:
        capacity = p.capacities[0]
        bins = max(_clique(p, items, capacity), _pairs_only(p, items, capacity))
        for r in range(p.dims):
            bins = max(bins, _l2([p.sizes[i][r] for i in items if p.sizes[i][r] > 0], capacity[r]))
        bound = max(bound, bins * p.costs[0])
    return bound


def _l2(sizes: list[int], capacity: int) -> int:
    """Martello and Toth's L2, straight from its definition."""
    if not sizes or capacity <= 0:
        return 0
    best = -(-sum(sizes) // capacity)
    for k in {0} | {x for x in sizes if 2 * x <= capacity}:
        big = [x for x in sizes if x > capacity - k]
        over_half = [x for x in sizes if capacity - k >= x and 2 * x > capacity]
        small = [x for x in sizes if 2 * x <= capacity and x >= k]
        room = len(over_half) * capacity - sum(over_half)
        extra = max(0, -(-(sum(small) - room) // capacity))
        best = max(best, len(big) + len(over_half) + extra)
    return best


def _conflict(p: _View, a: int, b: int, capacity: list[int]) -> bool:
    return any(p.sizes[a][r] + p.sizes[b][r] > capacity[r] for r in range(p.dims))


def _clique(p: _View, items: list[int], capacity: list[int]) -> int:
    """Greedy: the candidate with the most conflicts among the candidates, first on ties."""
    candidates = list(range(len(items)))
    size = 0
    while candidates:
        degree = {a: sum(_conflict(p, items[a], items[b], capacity) for b in candidates if b != a)
                  for a in candidates}
        chosen = max(candidates, key=lambda a: (degree[a], -a))
        size += 1
        candidates = [a for a in candidates if a != chosen and _conflict(p, items[a], items[chosen], capacity)]
    return size


def _pairs_only(p: _View, items: list[int], capacity: list[int]) -> int:
    """If no three items fit together: the items minus a maximum matching (by brute force)."""
    if len(items) < 3:
        return 0
    for a, b, c in itertools.combinations(items, 3):
        if all(p.sizes[a][r] + p.sizes[b][r] + p.sizes[c][r] <= capacity[r] for r in range(p.dims)):
            return 0
    edges = {(a, b) for a, b in itertools.combinations(range(len(items)), 2)
             if not _conflict(p, items[a], items[b], capacity)}

    def matching(free: tuple[int, ...]) -> int:
        if len(free) < 2:
            return 0
        first, rest = free[0], free[1:]
        best = matching(rest)
        for other in rest:
            if (first, other) in edges:
                best = max(best, 1 + matching(tuple(v for v in rest if v != other)))
        return best

    return len(items) - matching(tuple(range(len(items))))


# -- item-centric constructions ------------------------------------------------------------

def _scale(p: _View) -> list[float]:
    scale = []
    for r in range(p.dims):
        largest = max(p.capacities[t][r] for t in range(p.types))
        scale.append(float(largest) if largest > 0 else 1.0)
    return scale


def _share(p: _View, scale: list[float]) -> list[float]:
    share = [0.0] * p.dims
    for i in range(p.n):
        if p.placeable(i):
            for r in range(p.dims):
                share[r] += p.sizes[i][r] / scale[r]
    total = 0.0
    for v in share:
        total += v
    return [v / total if total > 0 else 1.0 / max(1, p.dims) for v in share]


def _key(p: _View, item: int, order: str, scale: list[float]) -> float:
    key = 0.0
    for r in range(p.dims):
        x = p.sizes[item][r] / scale[r]
        if order == "sum":
            key += x
        elif order == "max":
            key = max(key, x)
        else:
            key += x * x
    return key


def _classes(p: _View) -> list[int]:
    first: dict[tuple, int] = {}
    return [first.setdefault((tuple(p.sizes[i]), tuple(p.allowed[i])), i) for i in range(p.n)]


def _price(p: _View, scale: list[float], share: list[float]) -> list[float]:
    prices = []
    for t in range(p.types):
        value = 0.0
        for r in range(p.dims):
            value += share[r] * float(p.capacities[t][r]) / scale[r]
        prices.append(p.costs[t] / value if value > 0 else math.inf)
    return prices


def item_centric(problem: PackingProblem, rule: str, order: str = "sum", preferred_type: int = -1) -> Packing:
    """First fit (rule "FirstFit") or best fit ("BestFit") decreasing. Bins of limited types
    are open from the start; a new bin is of the preferred type when the item may use it,
    else of the allowed type with the lowest cost per demand-weighted capacity."""
    p = _View(problem)
    scale = _scale(p)
    share = _share(p, scale)
    price = _price(p, scale, share)
    classes = _classes(p)
    keys = {i: _key(p, i, order, scale) for i in range(p.n)}
    items = sorted((i for i in range(p.n) if p.placeable(i)), key=lambda i: (-keys[i], classes[i]))
    bin_type: list[int] = []
    residual: list[list[int]] = []
    used = [0] * p.types

    def open_bin(t: int) -> int:
        used[t] += 1
        bin_type.append(t)
        residual.append(list(p.capacities[t]))
        return len(bin_type) - 1

    def fits(item: int, b: int) -> bool:
        return p.allowed[item][bin_type[b]] and all(s <= room for s, room in zip(p.sizes[item], residual[b]))

    for t in range(p.types):
        for _ in range(max(0, p.limits[t])):
            open_bin(t)
    item_bin = [-1] * p.n
    for item in items:
        candidates = [b for b in range(len(bin_type)) if fits(item, b)]
        chosen = -1
        if candidates and rule == "FirstFit":
            chosen = candidates[0]
        elif candidates:
            def slack(b: int) -> float:
                total = 0.0
                for r in range(p.dims):
                    c = p.capacities[bin_type[b]][r]
                    if c > 0:
                        total += float(residual[b][r] - p.sizes[item][r]) / float(c)
                return total
            chosen = min(candidates, key=lambda b: (slack(b), b))
        if chosen < 0:
            available = [t for t in range(p.types) if (p.limits[t] < 0 or used[t] < p.limits[t])
                         and p.fits_empty(item, t)]
            if not available:
                continue
            if preferred_type in available:
                chosen = open_bin(preferred_type)
            else:
                chosen = open_bin(min(available, key=lambda t: (price[t], t)))
        residual[chosen] = [room - s for room, s in zip(residual[chosen], p.sizes[item])]
        item_bin[item] = chosen
    return _finish(p, bin_type, item_bin)


def _finish(p: _View, bin_type: list[int], item_bin: list[int]) -> Packing:
    """Empty bins dropped, the rest numbered in opening order."""
    used = sorted({b for b in item_bin if b >= 0})
    number = {b: k for k, b in enumerate(used)}
    types = [bin_type[b] for b in used]
    placed = [number[b] if b >= 0 else -1 for b in item_bin]
    return Packing(np.array(types, dtype=np.int32), np.array(placed, dtype=np.int32),
                   sum(p.costs[t] for t in types), placed.count(-1))


# -- checks and the exact optimum ----------------------------------------------------------

def is_valid(problem: PackingProblem, packing: Packing) -> bool:
    p = _View(problem)
    bins = [int(t) for t in packing.bin_type]
    item_bin = [int(b) for b in packing.item_bin]
    if len(item_bin) != p.n or any(not 0 <= t < p.types for t in bins):
        return False
    for t in range(p.types):
        if p.limits[t] >= 0 and bins.count(t) > p.limits[t]:
            return False
    load = [[0] * p.dims for _ in bins]
    for item, b in enumerate(item_bin):
        if b < 0:
            continue
        if b >= len(bins) or not p.allowed[item][bins[b]]:
            return False
        load[b] = [x + s for x, s in zip(load[b], p.sizes[item])]
    if any(x > c for b, t in enumerate(bins) for x, c in zip(load[b], p.capacities[t])):
        return False
    return packing.cost == sum(p.costs[t] for t in bins) and packing.unplaced == item_bin.count(-1)


def exact_minimum(problem: PackingProblem) -> tuple[int, int]:
    """(fewest unplaced items, then least cost) over every packing, by exhaustive search:
    each item in turn goes into an open bin, a new bin of any type, or nowhere."""
    p = _View(problem)
    best = [p.n + 1, 0]

    def search(item: int, bins: list[tuple[int, list[int]]], used: list[int], unplaced: int, cost: int) -> None:
        if (unplaced, cost) >= tuple(best):
            return
        if item == p.n:
            best[:] = [unplaced, cost]
            return
        size = p.sizes[item]
        for k, (t, room) in enumerate(bins):
            if p.allowed[item][t] and all(s <= x for s, x in zip(size, room)):
                bins[k] = (t, [x - s for x, s in zip(room, size)])
                search(item + 1, bins, used, unplaced, cost)
                bins[k] = (t, room)
        for t in range(p.types):
            if (p.limits[t] < 0 or used[t] < p.limits[t]) and p.fits_empty(item, t):
                bins.append((t, [c - s for c, s in zip(p.capacities[t], size)]))
                used[t] += 1
                search(item + 1, bins, used, unplaced, cost + p.costs[t])
                used[t] -= 1
                bins.pop()
        search(item + 1, bins, used, unplaced + 1, cost)

    search(0, [], [0] * p.types, 0, 0)
    return best[0], best[1]
