"""The native packing kernel against the pure-Python reference on random small problems."""

from __future__ import annotations

import math
import sys

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubesched.plan import exact, packing
from kubesched.plan.packing import PackingProblem
from tests.reference import packing_reference as reference

RULES = ("FirstFit", "BestFit", "DotProduct", "NormDistance", "MinBinSlack")
ORDERS = ("sum", "max", "squares")
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def problems(draw, max_items=9, max_types=3, one_type=False, all_allowed=False):
    dims = draw(st.integers(1, 3))
    types = 1 if one_type else draw(st.integers(1, max_types))
    capacities = [[draw(st.integers(0, 20)) for _ in range(dims)] for _ in range(types)]
    # Sizes from a small pool, so that identical items (one class, several copies) are common.
    pool = [[draw(st.integers(0, 12)) for _ in range(dims)] for _ in range(draw(st.integers(1, 5)))]
    n = draw(st.integers(0, max_items))
    sizes = [list(draw(st.sampled_from(pool))) for _ in range(n)]
    costs = [draw(st.integers(1, 5)) for _ in range(types)]
    limits = [-1 if one_type else draw(st.sampled_from((-1, -1, 0, 1, 2))) for _ in range(types)]
    if all_allowed:
        allowed = [[True] * types for _ in range(n)]
    else:
        allowed = [[draw(st.integers(0, 4)) > 0 for _ in range(types)] for _ in range(n)]
    return PackingProblem(np.array(sizes, dtype=np.int64).reshape(n, dims), np.array(capacities), costs, limits,
                          np.array(allowed, dtype=bool).reshape(n, types))


def placeable_count(problem: PackingProblem) -> int:
    return int(problem.fits_empty().any(axis=1).sum())


@SETTINGS
@given(problems(max_items=10))
def test_lower_bound_matches_reference(problem):
    assert packing.lower_bound(problem) == reference.lower_bound(problem)


@SETTINGS
@given(problems(one_type=True, all_allowed=True, max_items=10))
def test_lower_bound_of_one_template_matches_reference(problem):
    # One unlimited template: the clique, matching and L2 bounds are in play.
    assert packing.lower_bound(problem) == reference.lower_bound(problem)


@st.composite
def one_resource_problems(draw):
    """One resource, sizes spread around half the capacity: where Martello and Toth's L2
    is stronger than the volume bound."""
    capacity = draw(st.integers(10, 30))
    sizes = draw(st.lists(st.integers(1, capacity), min_size=1, max_size=14))
    n = len(sizes)
    return PackingProblem(np.array(sizes).reshape(n, 1), np.array([[capacity]]), [1], [-1], np.ones((n, 1), bool))


@SETTINGS
@given(one_resource_problems())
def test_lower_bound_of_one_resource_matches_reference(problem):
    assert packing.lower_bound(problem) == reference.lower_bound(problem)


@st.composite
def conflicting_problems(draw):
    """Items large in one resource and small in the others: whether two items can share a
    bin depends on which resources they are large in, so the clique and matching bounds
    beat the per-resource ones."""
    dims = draw(st.integers(2, 3))
    n = draw(st.integers(3, 11))
    sizes = []
    for _ in range(n):
        item = [draw(st.integers(0, 3)) for _ in range(dims)]
        item[draw(st.integers(0, dims - 1))] = draw(st.integers(4, 10))
        sizes.append(item)
    return PackingProblem(np.array(sizes), np.array([[10] * dims]), [1], [-1], np.ones((n, 1), bool))


@SETTINGS
@given(conflicting_problems())
def test_lower_bound_with_conflicts_matches_reference(problem):
    assert packing.lower_bound(problem) == reference.lower_bound(problem)
    assert packing.lower_bound(problem) <= reference.exact_minimum(problem)[1]


@SETTINGS
@given(problems(), st.sampled_from(("FirstFit", "BestFit")), st.sampled_from(ORDERS), st.integers(-1, 2))
def test_item_centric_constructions_match_reference(problem, rule, order, preferred):
    preferred = preferred if preferred < problem.type_count else -1
    native = packing.construct(problem, rule, order, preferred_type=preferred)
    expected = reference.item_centric(problem, rule, order, preferred)
    assert native.item_bin.tolist() == expected.item_bin.tolist()
    assert native.bin_type.tolist() == expected.bin_type.tolist()
    assert (native.cost, native.unplaced) == (expected.cost, expected.unplaced)


@SETTINGS
@given(problems(), st.sampled_from(RULES), st.sampled_from(ORDERS), st.sampled_from(("uniform", "demand")),
       st.integers(-1, 2))
def test_every_construction_is_a_valid_packing(problem, rule, order, weighting, preferred):
    preferred = preferred if preferred < problem.type_count else -1
    result = packing.construct(problem, rule, order, weighting, preferred)
    assert reference.is_valid(problem, result)
    assert packing.is_valid(problem, result)  # the kernel's own check agrees
    # Every item that fits an unlimited type alone gets placed.
    unlimited = problem.fits_empty()[:, problem.limits < 0].any(axis=1)
    assert (result.item_bin[unlimited] >= 0).all()


@SETTINGS
@given(problems(max_items=6))
def test_solve_never_beats_the_exact_optimum(problem):
    best_unplaced, best_cost = reference.exact_minimum(problem)
    result = packing.solve(problem, time_limit=0.2, use_exact=False)
    assert reference.is_valid(problem, result.packing)
    assert (result.packing.unplaced, result.packing.cost) >= (best_unplaced, best_cost)
    if best_unplaced == problem.item_count - placeable_count(problem):  # every placeable item can go in
        assert result.lower_bound <= best_cost


@SETTINGS
@given(problems(max_items=7, one_type=True, all_allowed=True))
def test_solve_of_one_template_is_between_bound_and_first_fit(problem):
    best_unplaced, best_cost = reference.exact_minimum(problem)
    result = packing.solve(problem, time_limit=0.2, use_exact=False)
    first_fit = reference.item_centric(problem, "FirstFit", "sum")
    assert result.packing.unplaced == best_unplaced == problem.item_count - placeable_count(problem)
    assert result.lower_bound <= best_cost <= result.packing.cost <= first_fit.cost
    assert not result.optimal or result.packing.cost == best_cost


def test_known_instance_reaches_the_matching_optimum():
    # Items of 6 in a bin of 10 pair with items of 4 only: 3 pairs + 2 singles; the kernel's
    # bound must see it (no triple fits, so the bound is items minus a maximum matching).
    sizes = np.array([[6, 1]] * 5 + [[4, 9]] * 3)
    problem = PackingProblem(sizes, np.array([[10, 10]]), [1], [-1], np.ones((8, 1), bool))
    result = packing.solve(problem, time_limit=1.0, use_exact=False)
    assert result.lower_bound == reference.lower_bound(problem) == 5
    assert result.packing.cost == 5 and result.optimal


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_items=6))
def test_exact_model_finds_the_optimum_of_tiny_problems(problem):
    best_unplaced, best_cost = reference.exact_minimum(problem)
    if best_unplaced != problem.item_count - placeable_count(problem):
        return  # the model places every placeable item; limits make that impossible here
    hint = packing.construct(problem, "FirstFit")
    if hint.unplaced != best_unplaced:
        return
    # No time limit: the answer must not depend on how busy the machine is.
    found = exact.solve(problem, hint=hint, lower_bound=packing.lower_bound(problem), time_limit=math.inf)
    assert found.proven
    assert found.packing.cost == best_cost
    assert reference.is_valid(problem, found.packing)


def test_a_problem_the_hint_solves_is_proven_without_the_solver(monkeypatch):
    # The hint (one bin) meets the lower bound, so no solver (and no OR-Tools import, which on
    # a busy machine ate the whole time limit) is needed, even with no time at all.
    problem = PackingProblem(np.array([[5], [5]]), np.array([[10]]), [1], [-1], np.ones((2, 1), bool))
    hint = packing.construct(problem, "FirstFit")
    assert hint.cost == packing.lower_bound(problem) == 1
    monkeypatch.setitem(sys.modules, "ortools", None)  # importing it would now fail
    found = exact.solve(problem, hint=hint, lower_bound=packing.lower_bound(problem), time_limit=0.0)
    assert found.proven and found.packing.cost == 1
