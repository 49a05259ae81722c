"""The add-ons on scenarios with every decision menu (cooling technologies, hardware, training
options, lease and cloud financing): each answer passes verify, N-1's max-flow check included,
and an add-on never makes the optimum cheaper than the plain one unless it relaxes a rule.
Seeded hypothesis (derandomised: the same cases every run)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_menu_properties import _additions, menu_scenario

import placement as pl

SETTINGS = settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
GAP = 1e-7


def _with_menus(seed: int) -> dict:
    data = menu_scenario(seed)
    extra = _additions(np.random.default_rng(seed))
    for which in ("lease", "cloud", "hardware"):
        extra[which](data)
    return data


def _solve(data: dict, **options) -> pl.PlacementResult:
    scn = pl.Scenario.from_dict(data)
    result = pl.solve(scn, gap=GAP, **options)
    pl.verify(scn, result)
    return result


@SETTINGS
@given(st.integers(min_value=0, max_value=10_000), st.sampled_from([None, 120.0]))
def test_n1_with_menus_verifies_and_costs_at_least_the_plain_optimum(seed, degraded):
    data = _with_menus(seed)
    plain = _solve(data, compare=False)
    data["rules"] = {"resilience": {"degraded_slo_ms": degraded}}
    res = _solve(data)
    if res.status is pl.Status.INFEASIBLE:
        assert "cannot be covered twice" in res.message or res.diagnosis
        return
    assert res.status is pl.Status.OPTIMAL and res.site_loss.covered
    assert res.objective >= plain.objective * (1 - 2 * GAP)
    (comparison,) = res.comparisons
    assert comparison.objective == pytest.approx(plain.objective, rel=2 * GAP)
    assert "N-1 protects inference capacity only" in res.message  # training is not protected


@SETTINGS
@given(st.integers(min_value=0, max_value=10_000))
def test_soft_slo_and_split_with_menus_verify_and_never_cost_more(seed):
    """Soft rules and splitting only widen the choice: never dearer than the plain optimum."""
    data = _with_menus(seed)
    plain = _solve(data, compare=False)
    data["rules"] = {"soft": {"slo_usd_per_user_ms_year": 0.05}}
    data["training"][0]["split"] = {
        "max_sites": 2, "max_pair_rtt_ms": 40.0, "interconnect_usd_per_year": 1e6
    }  # fmt: skip
    res = _solve(data)
    assert res.status is pl.Status.OPTIMAL
    assert res.objective <= plain.objective * (1 + 2 * GAP)
    assert "in a cloud region a cluster is placed whole" in res.message


@SETTINGS
@given(st.integers(min_value=0, max_value=10_000))
def test_alternatives_with_menus_verify(seed):
    plans = pl.solve(pl.Scenario.from_dict(_with_menus(seed)), alternatives=3, gap=GAP)
    assert plans.verified
    costs = [p.objective for p in plans]
    assert costs == sorted(costs)
