"""Cost vs population-weighted RTT frontiers: exact on a hand case, monotone, verified."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import region, scenario, site
from geopy.distance import great_circle

import placement as pl
from placement.batch import PortfolioError, pareto, solve_with_rtt_cap
from placement.cli.batch import main

H = 8760.0
NYC = (40.71, -74.01)
QUINCY = (47.23, -119.85)


@pytest.fixture(scope="module")
def small() -> pl.Scenario:
    return pl.datasets.us_small()


def two_sites() -> pl.Scenario:
    """One region in New York; a dear site next to it and a cheap one in Quincy, WA."""
    return scenario(
        sites=[
            site("near", *NYC, energy_price_usd_per_mwh=100.0),
            site("far", *QUINCY, energy_price_usd_per_mwh=40.0),
        ],
        regions=[region("nyc", *NYC, population=1e6, demand_mw=10.0)],
        economics={"latency_penalty_usd_per_user_ms_year": 3.0},
    )


def test_epsilon_frontier_matches_the_hand_computed_optimum():
    scn = two_sites()
    network = scn.network
    rtt_near = network.base_rtt_ms
    rtt_far = (
        network.base_rtt_ms + 2.0 * network.route_factor * great_circle(NYC, QUINCY).km / 204.0
    )
    front = pareto(scn, points=5, method="epsilon")
    assert len(front.evaluated) == 5
    for point in front.evaluated:
        pl.verify(point.scenario, point.result)
        assert point.scenario.economics.latency_penalty_usd_per_user_ms_year == 0.0
        # Serving share s from the near site: s·RTT_near + (1 − s)·RTT_far = ε, cost linear in s.
        share = (rtt_far - point.epsilon_ms) / (rtt_far - rtt_near)
        expected = 10.0 * H * (100.0 * share + 40.0 * (1.0 - share))
        assert point.cost == pytest.approx(expected, rel=1e-6)
        assert point.weighted_rtt_ms == pytest.approx(point.epsilon_ms, rel=1e-6)
    assert front.evaluated[0].epsilon_ms == pytest.approx(rtt_near, rel=1e-9)
    assert front.evaluated[-1].epsilon_ms == pytest.approx(rtt_far, rel=1e-9)
    assert len(front.points) == 5  # a straight line: every point is non-dominated


def test_epsilon_frontier_on_us_small_is_monotone_and_verified(small):
    front = pareto(small, points=6, method="epsilon", gap=1e-7)
    points = front.evaluated
    assert len(points) == 6 and not front.message
    eps = [p.epsilon_ms for p in points]
    assert eps == sorted(eps)
    for p in points:
        pl.verify(p.scenario, p.result)
        assert p.result.status is pl.Status.OPTIMAL
        assert p.weighted_rtt_ms <= p.epsilon_ms * (1 + 1e-6)
        assert p.cost == pytest.approx(p.result.objective, rel=1e-12)  # λ = 0: cost only
    costs = np.array([p.cost for p in points])
    # Cost falls as the allowed RTT rises (up to the solver's relative gap).
    assert np.all(np.diff(costs) <= 1e-7 * costs[:-1])
    assert costs[0] > costs[-1]
    front_points = front.points
    assert [p.weighted_rtt_ms for p in front_points] == sorted(
        p.weighted_rtt_ms for p in front_points
    )
    assert np.all(np.diff([p.cost for p in front_points]) < 0)
    # The loosest budget is the cheapest placement; the tightest opens more sites.
    assert len(points[0].result.open_sites) >= len(points[-1].result.open_sites)


def test_lambda_sweep_gives_supported_points(small):
    front = pareto(small, points=4, method="lambda")
    lams = [p.latency_penalty for p in front.evaluated]
    assert lams == sorted(lams) and lams[0] == 0.0
    rtts = np.array([p.weighted_rtt_ms for p in front.evaluated])
    costs = np.array([p.cost for p in front.evaluated])
    assert np.all(np.diff(rtts) <= 1e-9 * rtts[:-1])  # more λ, less latency
    assert np.all(np.diff(costs) >= -1e-6 * costs[:-1])  # ... for more money
    for p in front.evaluated:
        pl.verify(p.scenario, p.result)
        assert p.scenario.economics.latency_penalty_usd_per_user_ms_year == p.latency_penalty


def test_loose_rtt_cap_changes_nothing_but_one_row(small):
    reference = pl.solve(small, customise=lambda built, data: None)
    capped = solve_with_rtt_cap(small, 1e9)
    pl.verify(small, capped)
    assert capped.objective == pytest.approx(reference.objective, rel=1e-9)
    assert capped.open_sites == reference.open_sites
    assert capped.model_size["constraints"] == reference.model_size["constraints"] + 1


def test_soft_demand_is_rejected_with_the_field_named(small):
    soft = small.model_copy(
        update={
            "economics": small.economics.model_copy(
                update={"unserved_penalty_usd_per_mw_year": 1e7}
            )
        }
    )
    with pytest.raises(PortfolioError, match=r"unserved_penalty_usd_per_mw_year = 10000000\.0"):
        pareto(soft, points=3)


def test_infeasible_scenario_gives_an_empty_frontier_with_the_reason(small):
    tight = small.model_copy(
        update={"network": small.network.model_copy(update={"default_slo_ms": 1.0})}
    )
    front = pareto(tight, points=3)
    assert front.evaluated == () and front.points == []
    assert "infeasible" in front.message and "has no site" in front.message


def test_pareto_command_writes_frontier_files(tmp_path, capsys):
    assert (
        main(
            ["pareto", "bundled:us_small", "--points", "3", "--out", str(tmp_path), "--no-progress"]
        )
        == 0
    )
    assert "Pareto frontier of us_small" in capsys.readouterr().out
    for name in ("frontier.csv", "frontier.json", "frontier.png"):
        assert (tmp_path / name).stat().st_size > 0
    small = pl.datasets.us_small()
    for path in sorted((tmp_path / "points").glob("point_*.json")):
        record = json.loads(path.read_text())
        result = pl.PlacementResult.model_validate(record["result"])
        lam = record["latency_penalty_usd_per_user_ms_year"]
        solved_on = small.model_copy(
            update={
                "economics": small.economics.model_copy(
                    update={"latency_penalty_usd_per_user_ms_year": lam}
                )
            }
        )
        pl.verify(solved_on, result)


def test_the_frontier_starts_at_the_least_weighted_rtt_whatever_the_menu_prices():
    """The least-RTT end ignores every price, decision menus' included: the near site is a
    lease whose rent (1.2e8 USD/yr for the 10 MW) outweighs the ~6e7 user·ms the far site
    costs, and the frontier still starts at the near site's RTT."""
    near = site("near", *NYC, energy_price_usd_per_mwh=100.0, financing=["lease"])
    near["lease"] = {"usd_per_kw_month": 1000.0, "max_it_mw": 50.0, "max_rack_density_kw": 50.0}
    scn = scenario(
        sites=[near, site("far", *QUINCY, energy_price_usd_per_mwh=40.0)],
        regions=[region("nyc", *NYC, population=1e6, demand_mw=10.0)],
        economics={"latency_penalty_usd_per_user_ms_year": 3.0},
    )
    front = pareto(scn, points=3, method="epsilon")
    assert len(front.evaluated) == 3
    for point in front.evaluated:
        pl.verify(point.scenario, point.result)
    assert front.evaluated[0].epsilon_ms == pytest.approx(scn.network.base_rtt_ms, rel=1e-9)
    assert front.evaluated[0].weighted_rtt_ms == pytest.approx(scn.network.base_rtt_ms, rel=1e-6)
    assert front.evaluated[0].result.open_sites == ("near",)
    assert front.evaluated[-1].result.open_sites == ("far",)
