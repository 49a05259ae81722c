"""Soft rules with a price (rules.soft), worked out by hand: what each violation costs, what it
bought against the rule kept hard, and a huge price giving back the hard rule's optimum.

RTTs (default network): NYC–BOS 7.32 ms (1.7 + 2 · 1.87 · 306 km / 204). Hand sites cost
nothing but what each test states; latency carries no penalty (λ = 0).
"""

from __future__ import annotations

import pytest
from conftest import region, scenario, site, solve_verified
from geopy.distance import great_circle
from hypothesis import given, settings
from hypothesis import strategies as st

import placement as pl
from placement.datasets.synthetic import random_ai_scenario

NYC, BOS = (40.71, -74.01), (42.36, -71.06)
H = 8760.0
NET = pl.NetworkSettings()
RTT_NYC_BOS = NET.base_rtt_ms + 2 * NET.route_factor * great_circle(NYC, BOS).km / 204.0
NO_LAMBDA = {"latency_penalty_usd_per_user_ms_year": 0.0}


def _slo(soft: dict | None) -> pl.Scenario:
    """Regions at NYC and BOS with a 5 ms SLO: hard, BOS needs its own site (5e6)."""
    return scenario(
        sites=[
            site("nyc", *NYC, fixed_cost_usd_per_year=1e6),
            site("bos", *BOS, fixed_cost_usd_per_year=5e6),
        ],
        regions=[
            region("nyc", *NYC, population=1e6, demand_mw=1.0, slo_ms=5.0),
            region("bos", *BOS, population=1e6, demand_mw=1.0, slo_ms=5.0),
        ],
        economics=NO_LAMBDA,
        rules={} if soft is None else {"soft": soft},
    )


def test_a_soft_slo_at_a_huge_price_gives_the_hard_optimum():
    hard = solve_verified(_slo(None))
    soft = solve_verified(_slo({"slo_usd_per_user_ms_year": 1e6}))
    assert hard.open_sites == soft.open_sites == ("nyc", "bos")
    assert soft.objective == pytest.approx(hard.objective, rel=1e-9)
    assert soft.objective == pytest.approx(6e6, rel=1e-9)
    assert soft.violations == ()
    assert soft.comparisons == ()  # nothing violated: nothing to compare


def test_a_cheap_soft_slo_is_violated_and_says_what_it_bought():
    """At 1 USD per user·ms, serving BOS from NYC costs 1e6 users · 2.32 ms late < 5e6."""
    res = solve_verified(_slo({"slo_usd_per_user_ms_year": 1.0}))
    late_ms = RTT_NYC_BOS - 5.0
    assert res.open_sites == ("nyc",)
    (violation,) = res.violations
    assert (violation.rule, violation.subject, violation.unit) == ("slo", "bos", "user·ms")
    assert violation.value == pytest.approx(RTT_NYC_BOS, rel=1e-9)
    assert violation.amount == pytest.approx(1e6 * late_ms, rel=1e-9)
    assert violation.penalty_usd == pytest.approx(1e6 * late_ms, rel=1e-9)
    assert res.costs.violations == pytest.approx(1e6 * late_ms, rel=1e-9)
    assert res.objective == pytest.approx(1e6 + 1e6 * late_ms, rel=1e-9)
    (bought,) = res.comparisons
    assert bought.feature == "soft:slo" and bought.objective == pytest.approx(6e6, rel=1e-9)
    assert bought.difference == pytest.approx(1e6 - 6e6, rel=1e-9)  # saved the BOS site


def test_a_soft_slo_limit_keeps_far_pairs_pruned():
    """With the soft SLO's outer limit at 6 ms the 7.32 ms pair stays pruned: hard again."""
    res = solve_verified(_slo({"slo_usd_per_user_ms_year": 1.0, "slo_limit_ms": 6.0}))
    assert res.open_sites == ("nyc", "bos") and res.violations == ()


def _one_site(power: float = 10.0, **rules) -> pl.Scenario:
    """A 15 MW region next to a 10 MW site (build 1e5 per MW, 0.5 t CO2 per MWh), and a spare
    site elsewhere at 5e6 a year."""
    return scenario(
        sites=[
            site(
                "near",
                *NYC,
                power_mw=power,
                build_cost_usd_per_mw_year=1e5,
                carbon_kg_per_mwh=500.0,
            ),
            site("other", *BOS, fixed_cost_usd_per_year=5e6, build_cost_usd_per_mw_year=1e5),
        ],
        regions=[region("nyc", *NYC, population=1e6, demand_mw=15.0)],
        economics=NO_LAMBDA,
        rules=rules,
    )


def test_soft_power_buys_5_mw_over_the_grid_instead_of_a_second_site():
    res = solve_verified(_one_site(soft={"power_usd_per_mw_year": 1e5}))
    assert res.open_sites == ("near",)
    (violation,) = res.violations
    assert (violation.rule, violation.subject, violation.limit) == ("power", "near", 10.0)
    assert violation.amount == pytest.approx(5.0, rel=1e-9)
    assert violation.penalty_usd == pytest.approx(5e5, rel=1e-9)
    assert res.objective == pytest.approx(15 * 1e5 + 5e5, rel=1e-9)
    (bought,) = res.comparisons
    assert bought.objective == pytest.approx(5e6 + 15 * 1e5, rel=1e-9)
    assert bought.difference == pytest.approx(-5e6, rel=1e-9)


def test_soft_carbon_cap_prices_the_tonnes_over():
    """With 20 MW at the near site all 15 MW fit there: 65,700 t a year at 0.5 t/MWh against a
    cap of 60,000. Kept hard, 11.4 MW would stay near and the rest go to the 5e6 site; at
    10 USD/t the 5,700 t over (57,000 USD) are far cheaper."""
    res = solve_verified(
        _one_site(20.0, carbon_cap_tonnes_per_year=60_000.0, soft={"carbon_usd_per_tonne": 10.0})
    )
    assert res.open_sites == ("near",)
    tonnes = 15.0 * H * 0.5
    (violation,) = res.violations
    assert violation.rule == "carbon_cap" and violation.unit == "t CO2/yr"
    assert violation.amount == pytest.approx(tonnes - 60_000.0, rel=1e-9)
    assert violation.penalty_usd == pytest.approx(10.0 * (tonnes - 60_000.0), rel=1e-9)
    assert res.objective == pytest.approx(15 * 1e5 + 10.0 * (tonnes - 60_000.0), rel=1e-9)
    (bought,) = res.comparisons
    assert bought.objective == pytest.approx(5e6 + 15 * 1e5, rel=1e-9)


def test_soft_capital_budget_says_what_it_takes_when_the_hard_budget_cannot_hold():
    """15 MW of build capital (1.5e6) cannot fit a 1e6 budget at all: kept hard there is no
    plan, so the violation (0.5e6 over, at 2 USD per USD) is what it takes."""
    res = solve_verified(
        _one_site(capital_budget_usd_per_year=1e6, soft={"capital_usd_per_usd": 2.0,
                                                         "power_usd_per_mw_year": 0.0})
    )  # fmt: skip
    budget = next(v for v in res.violations if v.rule == "capital_budget")
    assert budget.amount == pytest.approx(0.5e6, rel=1e-9)
    assert budget.penalty_usd == pytest.approx(1e6, rel=1e-9)
    hard = next(c for c in res.comparisons if c.feature == "soft:capital_budget")
    assert hard.status == "infeasible" and hard.difference is None


def test_a_soft_rule_without_its_hard_rule_is_a_named_error():
    with pytest.raises(pl.ScenarioError, match=r"rules\.soft\.carbon_usd_per_tonne"):
        _one_site(soft={"carbon_usd_per_tonne": 10.0})
    with pytest.raises(pl.ScenarioError, match=r"slo_limit_ms"):
        _slo({"slo_usd_per_user_ms_year": 1.0, "slo_limit_ms": 4.0})
    with pytest.raises(pl.ScenarioError, match=r"power_usd_per_mw_year"):
        _one_site(soft={"power_usd_per_mw_year": -1.0})


def test_a_soft_carbon_cap_below_the_cleanest_placement_is_not_diagnosed_infeasible():
    """A cap of 1,000 t with only the dirty site in reach is diagnosed infeasible before
    solving when hard; soft, it is a price: every tonne over it is paid."""
    alone = scenario(
        sites=[site("near", *NYC, carbon_kg_per_mwh=500.0)],
        regions=[region("nyc", *NYC, population=1e6, demand_mw=15.0)],
        rules={"carbon_cap_tonnes_per_year": 1_000.0},
    )
    hard = pl.solve(alone)
    assert hard.status is pl.Status.INFEASIBLE and "carbon_cap" in hard.message
    res = solve_verified(
        _one_site(20.0, carbon_cap_tonnes_per_year=1_000.0, soft={"carbon_usd_per_tonne": 1.0})
    )
    assert res.status is pl.Status.OPTIMAL
    (violation,) = res.violations
    assert violation.amount == pytest.approx(15.0 * H * 0.5 - 1_000.0, rel=1e-9)


def test_soft_power_lifts_the_power_shortfall_diagnosis():
    """25 MW of demand, 10 MW of grid at the only site within reach: hard, diagnosed short;
    soft, 15 MW over at the price."""
    scn = scenario(
        sites=[site("near", *NYC, power_mw=10.0)],
        regions=[region("nyc", *NYC, population=1e6, demand_mw=25.0)],
        economics=NO_LAMBDA,
    )
    assert pl.solve(scn).status is pl.Status.INFEASIBLE
    soft = scn.model_copy(
        update={
            "rules": scn.rules.model_copy(update={"soft": pl.SoftRules(power_usd_per_mw_year=7.0)})
        }
    )
    res = solve_verified(soft)
    assert res.objective == pytest.approx(15.0 * 7.0, rel=1e-9)


@settings(max_examples=8, deadline=None, derandomize=True, database=None)
@given(st.integers(min_value=0, max_value=10_000), st.sampled_from([1e-3, 0.1, 1e6]))
def test_a_soft_slo_never_costs_more_and_without_violations_is_the_hard_optimum(seed, price):
    """A soft rule relaxes the hard one: its optimum is never dearer, and when it breaks
    nothing it is the hard optimum (the hard one's answer is feasible for it at no penalty)."""
    hard_scn = random_ai_scenario(5, 15, 1, seed, slo_ms=30.0)
    soft = pl.SoftRules(slo_usd_per_user_ms_year=price)
    rules = hard_scn.rules.model_copy(update={"soft": soft})
    soft_scn = hard_scn.model_copy(update={"rules": rules})
    hard = solve_verified(hard_scn, gap=1e-7, compare=False)
    res = solve_verified(soft_scn, gap=1e-7, compare=False)
    assert res.status is pl.Status.OPTIMAL
    if hard.status is pl.Status.OPTIMAL:
        assert res.objective <= hard.objective * (1 + 2e-7)
        if price >= 1e6:  # a huge price: the hard optimum, nothing broken
            assert res.violations == ()
        if not res.violations:
            assert res.objective == pytest.approx(hard.objective, rel=2e-7)
    else:  # hard is infeasible: the soft answer says what it would take
        assert res.violations
