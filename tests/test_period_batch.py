"""Batch portfolios and the Pareto frontier on multi-period scenarios."""

from __future__ import annotations

import pytest
from conftest import region, scenario, site
from geopy.distance import great_circle
from test_pareto import NYC, QUINCY

import placement as pl
from placement.batch import Override, Portfolio, PortfolioError, Scale, pareto, solve_portfolio

H = 8760.0
RATE = 0.1


def two_sites_growing() -> pl.Scenario:
    """New York's demand 10 → 20 MW over 2026–2027; a dear site next to it (100 USD/MWh), a
    cheap one in Quincy, WA (40 USD/MWh)."""
    return scenario(
        sites=[
            site("near", *NYC, energy_price_usd_per_mwh=100.0),
            site("far", *QUINCY, energy_price_usd_per_mwh=40.0),
        ],
        regions=[region("nyc", *NYC, population=1e6, demand_mw=10.0)],
        economics={"latency_penalty_usd_per_user_ms_year": 3.0, "discount_rate": RATE},
        periods=[{"year": 2026}, {"year": 2027, "demand_growth": 1.0}],
    )


def test_the_frontier_of_a_plan_buys_latency_where_it_is_cheapest():
    """Weighted RTT over the plan's user-years = the mean of the two years' (users are the
    same). Moving a share s_t of year t to the near site costs 60 USD/MWh × MW_t × H × w_t:
    600·H in 2026, 1200·H/1.1 in 2027, so the cheapest plan at a latency budget moves 2026
    first: S = s_1 + s_2 = 2(RTT_far − ε)/(RTT_far − RTT_near), s_1 = min(S, 1)."""
    scn = two_sites_growing()
    rtt_near = scn.network.base_rtt_ms
    rtt_far = rtt_near + 2.0 * scn.network.route_factor * great_circle(NYC, QUINCY).km / 204.0
    front = pareto(scn, points=5, method="epsilon")  # verifies every point
    assert len(front.evaluated) == 5
    w2 = 1.0 / (1.0 + RATE)
    for point in front.evaluated:
        assert len(point.result.periods) == 2
        total = 2.0 * (rtt_far - point.epsilon_ms) / (rtt_far - rtt_near)
        s1 = min(total, 1.0)
        s2 = total - s1
        expected = 10 * H * (40 + 60 * s1) + w2 * 20 * H * (40 + 60 * s2)
        assert point.cost == pytest.approx(expected, rel=1e-6)
        assert point.weighted_rtt_ms == pytest.approx(point.epsilon_ms, rel=1e-6)
        shares = [
            next((a.share for a in p.result.serving if a.site == "near"), 0.0)
            for p in point.result.periods
        ]
        assert shares == pytest.approx([s1, s2], abs=1e-6)


def test_a_plan_with_soft_demand_has_no_frontier():
    data = two_sites_growing().to_dict()
    data["economics"]["unserved_penalty_usd_per_mw_year"] = 1e6
    with pytest.raises(PortfolioError, match="unserved_penalty_usd_per_mw_year"):
        pareto(pl.Scenario.from_dict(data), points=2)


def test_a_portfolio_of_plans_solves_and_verifies_each(tmp_path):
    portfolio = Portfolio(
        base=two_sites_growing(),
        parameters=[
            Override("rate", path="economics.discount_rate", values=[0.0, 0.1]),
            Scale("growth", path="periods.*.demand_growth", values=[1.0, 0.5]),
        ],
        solve=pl.SolveOptions(time_limit=60, gap=1e-9),
    )
    run = solve_portfolio(portfolio, tmp_path / "run", progress=False, plots=False)
    assert run.solved == 4 and not run.failed
    rtt_near = two_sites_growing().network.base_rtt_ms
    for case in run.cases:
        record = run.records[case.hash]
        assert record.verified is True, record.verify_message
        pl.verify(case.scenario, record.result)
        # λ · users · ΔRTT (3 × 1e6 × ~38 ms) outweighs 60 USD/MWh × 20 MW: near serves both
        assert [p.result.open_sites for p in record.result.periods] == [("near",), ("near",)]
        mw = [10.0, 10.0 * (1.0 + case.inputs["growth"])]
        yearly = [m * H * 100.0 + 3.0 * 1e6 * rtt_near for m in mw]
        expected = yearly[0] + yearly[1] / (1.0 + case.inputs["rate"])
        assert record.result.objective == pytest.approx(expected, rel=1e-9)
    table = run.table.set_index("id")
    assert table.loc["rate=0,growth=1", "objective"] > table.loc["rate=0.1,growth=1", "objective"]
    assert table.loc["rate=0,growth=1", "objective"] > table.loc["rate=0,growth=0.5", "objective"]
