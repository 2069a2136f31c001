"""A vector bin packing problem on raw integer vectors, and its solution: the native
kernel's constructions and local search, then an exact model for small instances.

Items are pods, bin types are node templates (unlimited copies, with a cost) and existing
nodes (one copy, cost 0, capacity = what is still free). `allowed[item, type]` comes from
the scheduling engine; here nothing knows about Kubernetes.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np

from kubesched.engine import binpack
from kubesched.plan import exact

UNLIMITED = -1
# The exact model is tried when the kernel stops above its lower bound and the model is
# no bigger than this many item-to-bin variables.
EXACT_VARIABLE_LIMIT = 20_000
EXACT_MIN_SECONDS = 0.05  # less than this left: no exact model (nor OR-Tools loading beside the rest)


@dataclass
class PackingProblem:
    sizes: np.ndarray       # [items, resources] int64
    capacities: np.ndarray  # [types, resources] int64
    costs: np.ndarray       # [types] int64
    limits: np.ndarray      # [types] int32, UNLIMITED or how many bins of the type may be used
    allowed: np.ndarray     # [items, types] bool

    def __post_init__(self) -> None:
        self.capacities = np.asarray(self.capacities, dtype=np.int64)
        if self.capacities.ndim != 2:
            raise ValueError("capacities must be [types, resources]")
        self.sizes = np.asarray(self.sizes, dtype=np.int64).reshape(-1, self.capacities.shape[1])
        self.costs = np.asarray(self.costs, dtype=np.int64)
        self.limits = np.asarray(self.limits, dtype=np.int32)
        self.allowed = np.asarray(self.allowed, dtype=bool).reshape(len(self.sizes), len(self.capacities))

    @property
    def item_count(self) -> int:
        return self.sizes.shape[0]

    @property
    def type_count(self) -> int:
        return self.capacities.shape[0]

    def arrays(self) -> tuple:
        return self.sizes, self.capacities, self.costs, self.limits, self.allowed

    def fits_empty(self) -> np.ndarray:
        """[items, types]: allowed and no larger than the type's capacity."""
        fits = (self.sizes[:, None, :] <= self.capacities[None, :, :]).all(axis=2)
        return fits & self.allowed


@dataclass
class Packing:
    bin_type: np.ndarray  # per bin
    item_bin: np.ndarray  # per item, -1 when not placed
    cost: int
    unplaced: int


@dataclass
class PackingResult:
    packing: Packing
    lower_bound: int
    optimal: bool          # the cost is proven minimal (equal to a lower bound, or by the exact model)
    construction: str      # the best construction heuristic
    construction_cost: int
    method: str            # what found the final packing: "construction", "local search", "CP-SAT"
    seconds: float
    stats: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"cost": int(self.packing.cost), "lowerBound": int(self.lower_bound), "optimal": self.optimal,
                "construction": self.construction, "constructionCost": int(self.construction_cost),
                "method": self.method, "seconds": round(self.seconds, 3), **self.stats}


def lower_bound(problem: PackingProblem) -> int:
    return int(binpack.pack_lower_bound(*problem.arrays()))


def construct(problem: PackingProblem, rule: str, order: str = "sum", weighting: str = "uniform",
              preferred_type: int = -1) -> Packing:
    """One construction heuristic of the kernel (rules: FirstFit, BestFit, DotProduct,
    NormDistance, MinBinSlack)."""
    out = binpack.pack_construct(*problem.arrays(), rule, order, weighting, preferred_type)
    return Packing(out["bin_type"], out["item_bin"], int(out["cost"]), int(out["unplaced"]))


def is_valid(problem: PackingProblem, packing: Packing) -> bool:
    return bool(binpack.pack_is_valid(*problem.arrays(), packing.bin_type.tolist(), packing.item_bin.tolist(),
                                    packing.cost, packing.unplaced))


def solve(problem: PackingProblem, *, time_limit: float = 10.0, seed: int = 0, stop_at: int | None = None,
          use_exact: bool = True, exact_workers: int = 1) -> PackingResult:
    """The cheapest packing found within the time limit. `stop_at`: a cost known to be
    optimal or good enough (default: the kernel's lower bound)."""
    start = time.monotonic()
    exact_ready = use_exact and time_limit > EXACT_MIN_SECONDS and exact.available() \
        and _exact_size(problem) <= EXACT_VARIABLE_LIMIT
    # On instances small enough for the exact model, the model (which can also prove) gets most
    # of the time; OR-Tools loads meanwhile, as the kernel runs without the GIL.
    kernel_share = 0.3 if exact_ready else 1.0
    loading = threading.Thread(target=exact.preload, daemon=True) if exact_ready else None
    if loading is not None:
        loading.start()
    out = binpack.pack_solve(*problem.arrays(), time_limit=time_limit * kernel_share, seed=seed,
                           stop_at=-1 if stop_at is None else stop_at)
    packing = Packing(out["bin_type"], out["item_bin"], int(out["cost"]), int(out["unplaced"]))
    bound = int(out["lower_bound"])
    target = bound if stop_at is None else max(bound, stop_at)
    method = "local search" if packing.cost < out["construction_cost"] else "construction"
    optimal = packing.cost <= bound
    stats = {"iterations": int(out["iterations"]), "eliminations": int(out["eliminations"])}
    if exact_ready and packing.cost > target and packing.unplaced == 0:
        loading.join(max(0.0, time_limit - (time.monotonic() - start)))
        remaining = time_limit - (time.monotonic() - start)
        if loading.is_alive():
            stats["exact"] = "skipped: OR-Tools was still loading at the time limit"
        elif remaining > EXACT_MIN_SECONDS:
            found = exact.solve(problem, hint=packing, lower_bound=bound, time_limit=remaining,
                                workers=exact_workers)
            stats["exact"] = found.status
            if found.packing is not None and found.packing.cost < packing.cost:
                packing, method = found.packing, "CP-SAT"
            bound = max(bound, found.bound)
            optimal = found.proven or packing.cost <= bound
    return PackingResult(packing, bound, optimal, out["construction"], int(out["construction_cost"]), method,
                         time.monotonic() - start, stats)


def _exact_size(problem: PackingProblem) -> int:
    """Item-to-bin variables of the exact model, bins bounded by the items allowed per type."""
    fits = problem.fits_empty()
    per_type = fits.sum(axis=0)
    return int((per_type * np.where(problem.limits < 0, per_type, np.minimum(problem.limits, per_type))).sum())
