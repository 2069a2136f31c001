"""The exact model of a packing problem for OR-Tools CP-SAT, for small instances: one
boolean per (item, bin slot), slots per type bounded by the incumbent's cost, symmetric
slots used in order. Optional: without `ortools` installed the planner skips it."""

from __future__ import annotations

import importlib.util
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from kubesched.plan.packing import Packing, PackingProblem


@dataclass
class ExactResult:
    packing: Packing | None  # the best packing the model found, if any
    bound: int               # a lower bound on the cost proven by the solver
    proven: bool             # the packing is optimal
    status: str


def available() -> bool:
    """Whether OR-Tools is installed; importing it takes a second or more, so only look."""
    return importlib.util.find_spec("ortools") is not None


def preload() -> None:
    """Import OR-Tools (meant for a background thread while the packing kernel runs)."""
    from ortools.sat.python import cp_model  # noqa: F401


def solve(problem: PackingProblem, *, hint: Packing, lower_bound: int, time_limit: float,
          workers: int = 1) -> ExactResult:
    """Everything, the first import of OR-Tools included, within `time_limit` seconds (inf:
    no limit). A hint that places every placeable item at the lower bound's cost is proven
    optimal as it is, without the solver (nor its import, which can take seconds)."""
    fits = problem.fits_empty()
    placeable = np.flatnonzero(fits.any(axis=1))
    if hint.unplaced == problem.item_count - len(placeable) and hint.cost <= lower_bound:
        return ExactResult(hint, hint.cost, True, "OPTIMAL (the hint meets the lower bound)")
    deadline = time.monotonic() + time_limit
    from ortools.sat.python import cp_model

    from kubesched.plan.packing import Packing

    sizes, capacities = _reduced(problem)
    # Largest items first: with one kind of bin, the k-th item may only open bins up to k.
    placeable = placeable[np.argsort(-(sizes[placeable] / np.maximum(capacities.max(axis=0), 1)).sum(axis=1),
                                     kind="stable")]
    slot_type = _slots(problem, fits, hint)
    symmetric = problem.type_count == 1 and problem.limits[0] < 0

    model = cp_model.CpModel()
    used = [model.NewBoolVar(f"used{s}") for s in range(len(slot_type))]
    x: dict[tuple[int, int], object] = {}
    for position, item in enumerate(placeable):
        for s, t in enumerate(slot_type):
            if fits[item, t] and (not symmetric or s <= position):
                x[item, s] = var = model.NewBoolVar(f"x{item}_{s}")
                model.AddImplication(var, used[s])
        model.AddExactlyOne(x[item, s] for s in range(len(slot_type)) if (item, s) in x)
    for s, t in enumerate(slot_type):
        members = [item for item in placeable if (item, s) in x]
        for r in range(sizes.shape[1]):
            if sizes[members, r].sum() > capacities[t, r]:
                model.Add(sum(int(sizes[i, r]) * x[i, s] for i in members) <= int(capacities[t, r]) * used[s])
    for s in range(1, len(slot_type)):  # copies of an unlimited type are used in order
        t = slot_type[s]
        if t == slot_type[s - 1] and problem.limits[t] < 0:
            model.AddImplication(used[s], used[s - 1])
    cost = sum(int(problem.costs[t]) * used[s] for s, t in enumerate(slot_type))
    model.Add(cost >= lower_bound)
    model.Minimize(cost)
    _add_hint(model, hint, placeable, slot_type, x, used)

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, deadline - time.monotonic())
    solver.parameters.num_workers = workers
    status = solver.Solve(model)
    name = solver.StatusName(status)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return ExactResult(None, lower_bound, False, name)
    item_bin = np.full(problem.item_count, -1, dtype=np.int32)
    bin_type: list[int] = []
    slot_bin: dict[int, int] = {}
    for (item, s), var in x.items():
        if solver.Value(var):
            if s not in slot_bin:
                slot_bin[s] = len(bin_type)
                bin_type.append(slot_type[s])
            item_bin[item] = slot_bin[s]
    packing = Packing(np.array(bin_type, dtype=np.int32), item_bin,
                      int(sum(problem.costs[t] for t in bin_type)), int((item_bin < 0).sum()))
    bound = max(lower_bound, math.ceil(solver.BestObjectiveBound() - 1e-6))
    return ExactResult(packing, bound, status == cp_model.OPTIMAL, name)


def _reduced(problem: PackingProblem) -> tuple[np.ndarray, np.ndarray]:
    """Sizes and capacities divided, per resource, by their greatest common divisor."""
    divisor = np.gcd.reduce(np.vstack([problem.sizes, problem.capacities]), axis=0)
    divisor[divisor == 0] = 1
    return problem.sizes // divisor, problem.capacities // divisor


def _slots(problem: PackingProblem, fits: np.ndarray, hint: Packing) -> list[int]:
    """The type of each bin slot: every copy of a limited type; of an unlimited type, as many
    as a packing no dearer than the hint could use (and at least the hint's)."""
    in_hint = np.bincount(hint.bin_type, minlength=problem.type_count) if len(hint.bin_type) else \
        np.zeros(problem.type_count, dtype=np.int64)
    slots: list[int] = []
    for t in range(problem.type_count):
        items = int(fits[:, t].sum())
        if items == 0:
            continue
        if problem.limits[t] >= 0:
            count = min(int(problem.limits[t]), items)
        elif problem.costs[t] == 0:
            count = items
        else:
            count = min(items, max(int(in_hint[t]), hint.cost // int(problem.costs[t])))
        slots.extend([t] * count)
    return slots


def _add_hint(model, hint: Packing, placeable: np.ndarray, slot_type: list[int], x: dict, used: list) -> None:
    """The incumbent as a hint: its bins in the order of their first item (in the model's
    item order), each on the next free slot of its type."""
    position = {int(item): k for k, item in enumerate(placeable)}
    first: dict[int, int] = {}
    for item in placeable:
        b = int(hint.item_bin[item])
        if b >= 0:
            first[b] = min(first.get(b, position[int(item)]), position[int(item)])
    next_slot: dict[int, list[int]] = {}
    for s, t in enumerate(slot_type):
        next_slot.setdefault(t, []).append(s)
    bin_slot: dict[int, int] = {}
    for b in sorted(first, key=first.get):
        free = next_slot.get(int(hint.bin_type[b]))
        if not free:
            return  # the hint does not fit the slots; solve without it
        bin_slot[b] = free.pop(0)
    chosen = {bin_slot[int(hint.item_bin[i])] for i in placeable if int(hint.item_bin[i]) in bin_slot}
    for s in range(len(slot_type)):
        model.AddHint(used[s], s in chosen)
    for (item, s), var in x.items():
        model.AddHint(var, bin_slot.get(int(hint.item_bin[item])) == s)
