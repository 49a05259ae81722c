"""Solution methods on scenarios: the LP branch and bound agrees with HiGHS's branch and cut."""

from __future__ import annotations

import warnings

import pytest
from conftest import solve_verified

import placement as pl


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
    assert lp_first.method == "lp_branch_and_bound" and mip.method == "milp"


def test_infeasible_scenario_is_a_status_through_the_lp_route():
    scn = _us_small()
    sites = tuple(s.model_copy(update={"power_mw": 1.0}) for s in scn.sites)
    res = pl.solve(scn.model_copy(update={"sites": sites}))
    assert res.status is pl.Status.INFEASIBLE and res.objective is None


def test_lp_nodes_must_not_be_negative():
    with pytest.raises(pl.SolverOptionError, match="lp_nodes"):
        pl.solve(_us_small(), lp_nodes=-1)


@pytest.mark.parametrize("nodes", [1, 2])
def test_a_handover_to_the_mip_keeps_the_optimum_and_a_valid_bound(nodes):
    scn = _us_small()  # its root LP is fractional: one or two nodes hand over
    handed = solve_verified(scn, gap=1e-9, lp_nodes=nodes)
    mip = solve_verified(scn, gap=1e-9, lp_nodes=0)
    assert handed.method == "milp" and handed.status is pl.Status.OPTIMAL
    assert handed.objective == pytest.approx(mip.objective, rel=1e-6)
    assert handed.bound <= handed.objective * (1 + 1e-9)
