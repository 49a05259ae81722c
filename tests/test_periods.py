"""Multi-period planning by hand: persistence, discounting, arrivals, flexing leases.

Each scenario is small enough to price every plan by hand; the optimum's present value is
asserted to 1e-9 relative and every solve is verified (``solve_verified``).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import region, scenario, site, solve_verified

import placement as pl

HOURS = 8760.0


def pv(costs: list[float], rate: float) -> float:
    """Present value of one-year periods' annual costs, paid at the start of each year."""
    return sum(cost / (1.0 + rate) ** t for t, cost in enumerate(costs))


# ----------------------------------------------------------------------------- persistence
def _grow_then_shrink(rate: float = 0.1) -> pl.Scenario:
    """Demand 60 → 120 → 60 MW; site a (100 MW, 10 USD/MWh) is free to open, b (100 MW,
    20 USD/MWh) costs 1 M USD/yr of fixed capital once built."""
    return scenario(
        sites=[
            site("a", 40, -100, power_mw=100.0, energy_price_usd_per_mwh=10.0),
            site(
                "b",
                40,
                -100,
                power_mw=100.0,
                energy_price_usd_per_mwh=20.0,
                fixed_capital_usd_per_year=1e6,
            ),
        ],
        regions=[region("r", 40, -100, demand_mw=60.0)],
        economics={"discount_rate": rate},
        periods=[
            {"year": 2026},
            {"year": 2027, "demand_growth": 1.0},
            {"year": 2028, "demand_growth": -0.5},
        ],
    )


def test_a_site_built_in_period_two_is_still_open_in_period_three():
    result = solve_verified(_grow_then_shrink())
    assert result.status is pl.Status.OPTIMAL
    first, second, third = result.periods
    assert first.result.open_sites == ("a",)
    assert second.opened == ("b",)
    assert "b" in third.result.open_sites  # idle, but built: it stays, and so does its capital
    assert third.opened == ()
    assert third.result.costs.fixed == pytest.approx(1e6, rel=1e-9)
    # a holds 100 MW at 10 USD/MWh; b takes the other 20 MW in 2027 only
    costs = [
        60 * HOURS * 10.0,
        100 * HOURS * 10.0 + 20 * HOURS * 20.0 + 1e6,
        60 * HOURS * 10.0 + 1e6,
    ]
    assert [p.result.objective for p in result.periods] == pytest.approx(costs, rel=1e-9)
    assert result.objective == pytest.approx(pv(costs, 0.1), rel=1e-9)
    assert [p.discount_weight for p in result.periods] == pytest.approx([1, 1 / 1.1, 1 / 1.21])
    assert result.open_sites == ("a", "b")  # the top level is the last period


# ----------------------------------------------------------------------------- discounting
def _rising_build_price(rate: float) -> pl.Scenario:
    """Demand 50 → 100 MW at one site; building capacity costs 1e5 USD per MW-year in 2026
    and 2.2e5 in 2027 (price index 2.2)."""
    return scenario(
        sites=[site("a", 40, -100, build_cost_usd_per_mw_year=1e5)],
        regions=[region("r", 40, -100, demand_mw=50.0)],
        economics={"discount_rate": rate},
        periods=[
            {"year": 2026},
            {"year": 2027, "demand_growth": 1.0, "price_index": {"build": 2.2}},
        ],
    )


def _build_plans(rate: float) -> dict[str, float]:
    """Present value of buying all 100 MW in 2026 (paid both years) or 50 + 50 MW."""
    early = pv([100 * 1e5, 100 * 1e5], rate)
    late = pv([50 * 1e5, 50 * 1e5 + 50 * 2.2e5], rate)
    return {"early": early, "late": late}


@pytest.mark.parametrize(("rate", "expected"), [(0.0, "early"), (0.5, "late")])
def test_discounting_decides_whether_a_later_build_is_cheaper(rate, expected):
    plans = _build_plans(rate)
    # early wins iff 2.2 > 2 + r: the later block costs 2.2× but is paid one year less
    assert min(plans, key=plans.get) == expected
    result = solve_verified(_rising_build_price(rate))
    assert result.objective == pytest.approx(plans[expected], rel=1e-9)
    bought = [sum(b.mw for b in p.blocks) for p in result.periods]
    assert bought == pytest.approx([100.0, 0.0] if expected == "early" else [50.0, 50.0])
    assert [p.built_mw["a"] for p in result.periods] == pytest.approx(
        [100.0, 100.0] if expected == "early" else [50.0, 100.0]
    )


def test_a_flat_price_never_buys_capacity_early():
    """Without a price rise a block bought later costs fewer years of its annuity."""
    scn = _rising_build_price(0.08)
    flat = scn.model_copy(update={"periods": (scn.periods[0], scn.periods[1].model_copy(
        update={"price_index": pl.model.periods.PriceIndex()}))})  # fmt: skip
    result = solve_verified(flat)
    assert [p.built_mw["a"] for p in result.periods] == pytest.approx([50.0, 100.0])
    assert result.objective == pytest.approx(pv([50 * 1e5, 100 * 1e5], 0.08), rel=1e-9)


# ----------------------------------------------------------------------------- arrivals, leases
def test_a_cluster_arriving_later_is_placed_then_and_stays():
    scn = scenario(
        sites=[
            site("cheap", 45, -120, energy_price_usd_per_mwh=30.0, power_mw=100.0),
            site("dear", 40, -80, energy_price_usd_per_mwh=60.0),
        ],
        training=[
            {"id": "now", "it_mw": 60.0, "rack_density_kw": 30.0},
            {"id": "later", "it_mw": 60.0, "rack_density_kw": 30.0},
        ],
        periods=[{"year": 2026}, {"year": 2027, "new_training": ["later"]}, {"year": 2028}],
        economics={"discount_rate": 0.0},
    )
    result = solve_verified(scn)
    first, second, third = result.periods
    assert first.result.training == {"now": "cheap"}
    assert second.arrived == ("later",)
    assert second.result.training == third.result.training == {"now": "cheap", "later": "dear"}
    energy = [60 * HOURS * 30.0, 60 * HOURS * 30.0 + 60 * HOURS * 60.0]
    assert result.objective == pytest.approx(energy[0] + 2 * energy[1], rel=1e-9)


def test_a_lease_shrinks_with_demand_while_a_building_would_stay():
    """Demand 10 → 0 MW: the lease (rent and contract) is paid in 2026 only."""
    scn = scenario(
        sites=[
            site(
                "colo",
                40,
                -100,
                financing=["lease"],
                lease={
                    "usd_per_kw_month": 100.0,
                    "max_it_mw": 50.0,
                    "max_rack_density_kw": 50.0,
                    "fixed_cost_usd_per_year": 2e5,
                },
            )
        ],
        regions=[region("r", 40, -100, demand_mw=10.0)],
        economics={"discount_rate": 0.0},
        periods=[{"year": 2026}, {"year": 2027, "demand_growth": -1.0}],
    )
    result = solve_verified(scn)
    first, second = result.periods
    assert first.result.open_sites == ("colo",)
    assert second.result.open_sites == ()
    assert result.objective == pytest.approx(10_000 * 100.0 * 12 + 2e5, rel=1e-9)


# ----------------------------------------------------------------------------- one period
def test_one_period_of_one_year_is_the_single_period_answer():
    base = _grow_then_shrink()
    one = base.model_copy(update={"periods": base.periods[:1]})
    today = solve_verified(base.model_copy(update={"periods": ()}))
    planned = solve_verified(one)
    assert planned.objective == pytest.approx(today.objective, rel=1e-9)
    assert planned.open_sites == today.open_sites
    assert planned.costs == today.costs


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("change", "field", "rule"),
    [
        (lambda p: p[2].update(year=2026), "periods[2].year = 2026", "increasing order"),
        (lambda p: p[1].update(demand_growth=-1.5), "periods[1].demand_growth = -1.5", "−100 %"),
        (
            lambda p: p[1].update(region_growth={"r": -2.0}),
            "periods[1].region_growth",
            "−100 %",
        ),
        (lambda p: p[0].update(years=3), "periods[0].years = 3", "without gaps"),
        (lambda p: p[1].update(region_growth={"nowhere": 0.1}), "'nowhere'", "not a region"),
        (lambda p: p[1].update(new_training=["ghost"]), "'ghost'", "not a training cluster"),
        (
            lambda p: p[1].update(price_index={"energy": 0.0}),
            "periods[1].price_index.energy = 0.0",
            "greater than 0",
        ),
    ],
)
def test_bad_periods_name_the_field_value_and_rule(change, field, rule):
    data = _grow_then_shrink().to_dict()
    change(data["periods"])
    with pytest.raises(pl.ScenarioError) as error:
        pl.Scenario.from_dict(data)
    assert field in str(error.value)
    assert rule in str(error.value)


def test_a_period_that_cannot_be_served_is_a_status_naming_the_year():
    scn = _grow_then_shrink()
    data = scn.to_dict()
    data["periods"][1]["demand_growth"] = 3.0  # 240 MW against 200 MW of sites
    result = pl.solve(pl.Scenario.from_dict(data))
    assert result.status is pl.Status.INFEASIBLE
    assert any(line.startswith("2027: ") for line in result.diagnosis), result.diagnosis


def test_a_block_bought_before_its_site_opens_moves_to_the_opening_period():
    """An unfinished solve may buy capacity early where the formulation leaves out the
    'only where open' row (buying early cannot pay there); the plan reports it bought when
    the site opens, and drops it at a site that never opens."""
    from placement.results.periods import _blocks

    values = np.array([30.0, 20.0, 0.0, 5.0, 0.0, 0.0])
    columns = np.array([[0, 1, 2], [3, 4, 5]])  # two facilities, three periods
    load = np.array([[0.0, 40.0, 50.0], [0.0, 0.0, 0.0]])
    opened = np.array([[False, True, True], [False, False, False]])
    bought = _blocks(values, columns, load, np.ones((2, 3)), opened)
    assert bought.tolist() == [[0.0, 50.0, 0.0], [0.0, 0.0, 0.0]]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda p: p[1].update(demand_growth=1e30), "periods[1].demand_growth = 1e+30"),
        (lambda p: p[1].update(price_index={"build": 1e30}), "periods[1].price_index.build"),
        (lambda p: p[1].update(region_growth={"r": 1e9}), "periods[1].region_growth"),
        (  # ×100 four times: 1e8 times the stated demand by 2030
            lambda p: [
                *(q.update(demand_growth=99.0) for q in p[1:]),
                p.extend({"year": y, "demand_growth": 99.0} for y in (2029, 2030)),
            ],
            "periods[4].demand_growth: region 'r'",
        ),
    ],
)
def test_absurd_period_magnitudes_are_named(change, field):
    data = _grow_then_shrink().to_dict()
    change(data["periods"])
    with pytest.raises(pl.ScenarioError) as error:
        pl.Scenario.from_dict(data)
    assert field in str(error.value)


def test_rising_capital_prices_claim_no_period_by_period_bound(monkeypatch):
    """Each period alone is no relaxation when capital gets dearer (a block bought early is
    cheaper than the period's price): the whole plan decides, and its optimum stands."""
    from placement.model.period_data import build_period_data
    from placement.solving import period_split
    from placement.solving import periods as solving_periods

    scn = _rising_build_price(0.0)
    pdata = build_period_data(scn)
    assert not period_split._prices_fall(pdata)
    monkeypatch.setattr(solving_periods, "SPLIT_FIRST_NONZEROS", 0)
    result = solve_verified(scn, gap=1e-9)
    assert result.objective == pytest.approx(_build_plans(0.0)["early"], rel=1e-9)
    assert result.bound <= result.objective


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["rules"].update(resilience={}), "rules.resilience is set (N-1) with periods"),
        (
            lambda d: d["rules"].update(
                soft={"carbon_usd_per_tonne": 10.0}, carbon_cap_tonnes_per_year=1.0
            ),
            "rules.soft is set with periods",
        ),
    ],
)
def test_one_period_features_are_refused_with_periods_by_name(change, field):
    data = _grow_then_shrink().to_dict()
    change(data)
    with pytest.raises(pl.ScenarioError) as error:
        pl.Scenario.from_dict(data)
    assert field in str(error.value) and "do not carry it yet" in str(error.value)


def test_alternatives_are_refused_for_a_plan():
    with pytest.raises(pl.SolverOptionError, match="not available for a scenario with periods"):
        pl.solve(_grow_then_shrink(), alternatives=2)
