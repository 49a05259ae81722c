"""Properties of multi-period planning on seeded random scenarios (hypothesis, derandomised).

* every multi-period answer passes ``verify`` (growth per region, price indices, arrivals,
  periods of several years, every menu: cooling, hardware, lease, cloud, training options);
* one period equals today's single-period optimum: one year gives the same optimum, n years
  give it times the period's discount weight;
* T periods where nothing changes give T discounted copies of today's optimum.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_menu_properties import _additions, menu_scenario

import placement as pl

SETTINGS = settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
MENUS = ("lease", "cloud", "hardware", "technology", "training option")


def _solve(data: dict) -> tuple[pl.Scenario, pl.PlacementResult]:
    scn = pl.Scenario.from_dict(data)
    result = pl.solve(scn, gap=1e-9)
    pl.verify(scn, result)
    return scn, result


def with_menus(seed: int) -> dict:
    """``menu_scenario(seed)`` with every menu addition (lease, cloud, a third hardware, a
    third cooling technology, a third way to build a cluster)."""
    data = menu_scenario(seed)
    additions = _additions(np.random.default_rng(seed))
    for name in MENUS:
        additions[name](data)
    return data


def random_periods(rng: np.random.Generator, data: dict, count: int) -> list[dict]:
    """``count`` periods of 1–3 years from 2026: random growth (a region or two its own),
    price indices, the second cluster arriving in a random period."""
    year, periods = 2026, []
    arrival = int(rng.integers(0, count))
    for t in range(count):
        years = int(rng.integers(1, 4))
        regions = rng.choice(len(data["regions"]), size=2, replace=False)
        periods.append(
            {
                "year": year,
                "years": years,
                "demand_growth": 0.0 if t == 0 else float(rng.uniform(-0.3, 0.6)),
                "region_growth": {
                    data["regions"][int(j)]["id"]: float(rng.uniform(-0.5, 0.8)) for j in regions
                },
                "price_index": {
                    name: float(rng.uniform(0.7, 1.5))
                    for name in ("energy", "carbon", "build", "cooling", "hardware", "lease")
                },
                "new_training": [data["training"][1]["id"]] if t == arrival and t else [],
            }
        )
        year += years
    return periods


@SETTINGS
@given(seed=st.integers(0, 10_000), count=st.integers(2, 3))
def test_every_multi_period_answer_passes_verify(seed: int, count: int):
    rng = np.random.default_rng(seed)
    data = with_menus(seed)
    data["periods"] = random_periods(rng, data, count)
    data["economics"]["discount_rate"] = float(rng.uniform(0.0, 0.15))
    data["economics"]["unserved_penalty_usd_per_work_year"] = 5e4  # growth may outrun sites
    _, result = _solve(data)
    assert result.status is pl.Status.OPTIMAL, (result.message, result.diagnosis)
    assert len(result.periods) == count
    built = set()
    for period in result.periods:  # persistence, as the verifier checks it too
        now = {s.site for s in period.result.sites if "build" in s.financing}
        assert built <= now
        built = now


@SETTINGS
@given(seed=st.integers(0, 10_000), years=st.integers(1, 4), rate=st.floats(0.0, 0.2))
def test_one_period_is_todays_optimum_times_its_discount_weight(seed, years, rate):
    data = with_menus(seed)
    data["economics"]["discount_rate"] = rate
    _, today = _solve(data)
    data["periods"] = [{"year": 2030, "years": years}]
    _, planned = _solve(data)
    assert planned.status is today.status
    if not today.ok:
        return
    weight = sum((1 + rate) ** -y for y in range(years))
    assert planned.periods[0].discount_weight == pytest.approx(weight, rel=1e-12)
    assert planned.objective == pytest.approx(weight * today.objective, rel=1e-6)
    if years == 1:
        assert planned.periods[0].result.objective == pytest.approx(today.objective, rel=1e-6)


@pytest.mark.parametrize("seed", [0, 7])
def test_periods_where_nothing_changes_repeat_todays_optimum(seed: int):
    data = with_menus(seed)
    _, today = _solve(data)
    data["periods"] = [{"year": 2026 + t} for t in range(3)]
    _, planned = _solve(data)
    rate = data["economics"].get("discount_rate", 0.08)
    weights = [(1 + rate) ** -t for t in range(3)]
    assert planned.objective == pytest.approx(sum(weights) * today.objective, rel=1e-6)
    for period in planned.periods:  # each ≥ today's optimum, and they add up to it: equal
        assert period.result.objective == pytest.approx(today.objective, rel=1e-6)


@pytest.mark.parametrize("seed", [1, 4])
def test_every_formulation_gives_the_same_plan_optimum(seed: int):
    """weak aggregates the linking rows, single_source makes serving binary: each plan is
    verified; strong and weak agree, single_source costs no less."""
    rng = np.random.default_rng(seed)
    data = with_menus(seed)
    data["periods"] = random_periods(rng, data, 2)
    data["economics"]["unserved_penalty_usd_per_work_year"] = 5e4
    scn = pl.Scenario.from_dict(data)
    results = {}
    for formulation in ("strong", "weak", "single_source"):
        results[formulation] = pl.solve(scn, formulation=formulation, gap=1e-9)
        pl.verify(scn, results[formulation])
    assert results["weak"].objective == pytest.approx(results["strong"].objective, rel=1e-6)
    if results["single_source"].ok:
        assert results["single_source"].objective >= results["strong"].objective * (1 - 1e-6)


@pytest.mark.parametrize("seed", [2, 5])
def test_the_period_by_period_plan_is_feasible_and_its_bound_holds(seed, monkeypatch):
    """Solved period by period first (as large plans are): the plan verifies, its bound is
    at most the whole plan's optimum, and the answer is no worse than the whole plan's."""
    from placement.solving import periods as solving_periods

    rng = np.random.default_rng(seed)
    data = with_menus(seed)
    data["periods"] = random_periods(rng, data, 3)
    for period in data["periods"]:  # capital prices that do not rise: a bound is claimed
        period["price_index"].update(build=1.0, cooling=1.0)
    data["economics"]["unserved_penalty_usd_per_work_year"] = 5e4
    scn = pl.Scenario.from_dict(data)
    whole = pl.solve(scn, gap=1e-9)
    pl.verify(scn, whole)
    monkeypatch.setattr(solving_periods, "SPLIT_FIRST_NONZEROS", 0)
    split_first = pl.solve(scn, gap=0.5)  # a loose gap: the period-by-period answer stands
    pl.verify(scn, split_first)
    assert split_first.method == "period_split"
    assert split_first.bound <= whole.objective * (1 + 1e-9)
    assert split_first.objective >= whole.objective * (1 - 1e-9)
    exact = pl.solve(scn, gap=1e-9)  # a tight one: the whole plan is solved too
    pl.verify(scn, exact)
    assert exact.objective == pytest.approx(whole.objective, rel=1e-6)
