"""LP branch and bound (placement.lp_branch) against brute force and HiGHS's branch and cut."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest

import placement as pl
from placement.milp import lp_branch
from placement.milp.linear_model import LinearModel
from tests.conftest import solve_verified

N_BINARY = 7


def _random_program(seed: int) -> tuple[LinearModel, dict]:
    """min c·x + d·y  s.t.  lo_r ≤ A_r·x + b_r·y ≤ hi_r,  x ∈ {0,1}^n, 0 ≤ y ≤ 4."""
    rng = np.random.default_rng(seed)
    rows = 4
    program = {
        "c": rng.integers(-9, 10, N_BINARY).astype(float),
        "d": float(rng.integers(-3, 4)),
        "A": rng.integers(-4, 8, (rows, N_BINARY)).astype(float),
        "b": rng.integers(-3, 4, rows).astype(float),
        "lo": rng.integers(-2, 6, rows).astype(float),
    }
    program["hi"] = program["lo"] + rng.integers(2, 12, rows)
    model = LinearModel()
    x = model.add_vars("x", N_BINARY, integer=True, cost=program["c"])
    y = model.add_vars("y", 1, ub=4.0, cost=program["d"])
    r = np.repeat(np.arange(rows), N_BINARY + 1)
    col = np.tile(np.concatenate([x, y]), rows)
    val = np.column_stack([program["A"], program["b"]]).ravel()
    model.add_rows("rows", rows, r, col, val, lb=program["lo"], ub=program["hi"])
    return model, program


def _brute_force(p: dict) -> float | None:
    """Enumerate x; for each, y ranges over an interval (one variable), cost is linear in y."""
    best = math.inf
    for bits in itertools.product((0.0, 1.0), repeat=N_BINARY):
        x = np.array(bits)
        rest_lo, rest_hi = p["lo"] - p["A"] @ x, p["hi"] - p["A"] @ x
        y_lo, y_hi = 0.0, 4.0
        feasible = True
        for b, lo, hi in zip(p["b"], rest_lo, rest_hi, strict=True):
            if b == 0:
                feasible &= lo <= 0 <= hi
            elif b > 0:
                y_lo, y_hi = max(y_lo, lo / b), min(y_hi, hi / b)
            else:
                y_lo, y_hi = max(y_lo, hi / b), min(y_hi, lo / b)
        if not feasible or y_lo > y_hi + 1e-12:
            continue
        y = y_lo if p["d"] >= 0 else y_hi
        best = min(best, float(p["c"] @ x + p["d"] * y))
    return None if math.isinf(best) else best


@pytest.mark.parametrize("seed", range(24))
def test_matches_brute_force_on_random_mixed_binary_programs(seed):
    model, program = _random_program(seed)
    truth = _brute_force(program)
    raw = lp_branch.solve(
        model, time_limit=60, gap=0.0, max_nodes=2**N_BINARY * 2, max_root_fractional=N_BINARY
    )
    assert raw is not None
    if truth is None:
        assert raw.termination == "infeasible" and raw.values is None
        return
    assert raw.termination == "optimal"
    assert raw.objective == pytest.approx(truth, rel=1e-6, abs=1e-6)
    assert raw.bound <= raw.objective + 1e-9
    values = raw.values
    assert np.allclose(values[:N_BINARY], np.round(values[:N_BINARY]))
    activity = program["A"] @ values[:N_BINARY] + program["b"] * values[N_BINARY]
    assert np.all(activity >= program["lo"] - 1e-6) and np.all(activity <= program["hi"] + 1e-6)


def test_fractional_roots_are_branched_and_the_node_limit_hands_over():
    branched = 0
    for seed in range(24):
        model, program = _random_program(seed)
        root = lp_branch.solve(
            model, time_limit=60, gap=0.0, max_nodes=1, max_root_fractional=N_BINARY
        )
        full = lp_branch.solve(
            model, time_limit=60, gap=0.0, max_nodes=1000, max_root_fractional=N_BINARY
        )
        if root is None:  # the root LP was fractional: one node cannot settle it
            branched += 1
            truth = _brute_force(program)
            assert full.termination == ("infeasible" if truth is None else "optimal")
            assert "LP nodes" in full.detail  # more than one
            if truth is not None:
                assert full.objective == pytest.approx(truth, rel=1e-6, abs=1e-6)
    assert branched >= 5  # the random programs do exercise branching


def _us_small() -> pl.Scenario:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pl.datasets.DataGapWarning)
        return pl.datasets.us_small()


def _with_lambda(scn: pl.Scenario, factor: float) -> pl.Scenario:
    lam = factor * scn.economics.latency_penalty_usd_per_user_ms_year
    economics = scn.economics.model_copy(update={"latency_penalty_usd_per_user_ms_year": lam})
    return scn.model_copy(update={"economics": economics})


@pytest.mark.parametrize("factor", [0.0, 0.1, 1.0, 10.0, 100.0])
def test_scenario_optimum_equals_highs_branch_and_cut(factor):
    scn = _with_lambda(_us_small(), factor)
    lp_first = solve_verified(scn, gap=1e-9)
    mip = solve_verified(scn, gap=1e-9, lp_nodes=0)
    assert lp_first.status is mip.status is pl.Status.OPTIMAL
    assert lp_first.objective == pytest.approx(mip.objective, rel=1e-6)
    assert lp_first.bound <= lp_first.objective * (1 + 1e-9)
    assert "LP branch and bound" in lp_first.message


def test_infeasible_scenario_is_a_status_through_the_lp_route():
    scn = _us_small()
    sites = tuple(s.model_copy(update={"power_mw": 1.0}) for s in scn.sites)
    res = pl.solve(scn.model_copy(update={"sites": sites}))
    assert res.status is pl.Status.INFEASIBLE and res.objective is None


def test_lp_nodes_must_not_be_negative():
    with pytest.raises(pl.SolverOptionError, match="lp_nodes"):
        pl.solve(_us_small(), lp_nodes=-1)


def test_an_exhausted_time_budget_hands_over():
    model, _ = _random_program(3)
    assert lp_branch.solve(model, time_limit=1e-9, gap=0.0) is None
