"""Small scenarios worked out by hand: the intended behaviour, asserted exactly.

Every expected objective below is written out from the model's definition with RTTs from geopy
(base + 2 · route_factor · great-circle km / 204), independently of the model builder.
"""

from __future__ import annotations

import pytest
from conftest import region, scenario, site, solve_verified
from geopy.distance import great_circle

import placement as pl

H = 8760.0
NYC = (40.71, -74.01)
SF = (37.77, -122.42)
QUINCY = (47.23, -119.85)


DEFAULT_NETWORK = pl.NetworkSettings()


def rtt(
    a: tuple[float, float],
    b: tuple[float, float],
    route_factor: float = DEFAULT_NETWORK.route_factor,
    base_ms: float = DEFAULT_NETWORK.base_rtt_ms,
) -> float:
    return base_ms + 2.0 * route_factor * great_circle(a, b).km / 204.0


def test_training_goes_to_cheap_liquid_site_far_from_users():
    scn = scenario(
        sites=[
            site(
                "metro",
                *NYC,
                energy_price_usd_per_mwh=120.0,
                pue=1.3,
                max_rack_density_kw=50.0,
                fixed_cost_usd_per_year=1e6,
            ),
            site(
                "campus",
                *QUINCY,
                energy_price_usd_per_mwh=40.0,
                pue=1.2,
                liquid_pue=1.1,
                max_rack_density_kw=150.0,
                liquid_cooling_available=True,
                liquid_cooling_cost_usd_per_year=2e6,
                fixed_cost_usd_per_year=1e6,
            ),
        ],
        regions=[region("nyc", *NYC, population=1e6, demand_mw=10.0)],
        training=[{"id": "gb200", "it_mw": 100.0, "rack_density_kw": 120.0}],
        economics={"latency_penalty_usd_per_user_ms_year": 1.0},
    )
    res = solve_verified(scn)
    assert res.status is pl.Status.OPTIMAL
    assert res.training == {"gb200": "campus"}
    assert res.liquid_sites == ("campus",)
    assert res.shares_of("nyc") == {"metro": 1.0}
    expected = (
        2e6  # both sites open
        + 2e6  # liquid cooling at the campus
        + 100.0 * 1.1 * H * 40.0  # training energy at the liquid PUE
        + 10.0 * 1.3 * H * 120.0  # inference energy in the metro
        + 1.0 * 1e6 * rtt(NYC, NYC)  # latency: users × RTT (base only, 0 km)
    )
    assert res.objective == pytest.approx(expected, rel=1e-9)


def test_air_coolable_training_still_follows_cheap_power_not_users():
    scn = scenario(
        sites=[
            site("metro", *NYC, energy_price_usd_per_mwh=120.0, pue=1.3),
            site("campus", *QUINCY, energy_price_usd_per_mwh=40.0, pue=1.3),
        ],
        regions=[region("nyc", *NYC, population=1e6, demand_mw=10.0)],
        training=[{"id": "h100", "it_mw": 40.0, "rack_density_kw": 41.0}],
        economics={"latency_penalty_usd_per_user_ms_year": 1.0},
    )
    res = solve_verified(scn)
    assert res.training == {"h100": "campus"}
    assert res.shares_of("nyc") == {"metro": 1.0}
    expected = 40 * 1.3 * H * 40 + 10 * 1.3 * H * 120 + 1e6 * rtt(NYC, NYC)
    assert res.objective == pytest.approx(expected, rel=1e-9)


def _two_coasts(latency_penalty: float) -> pl.Scenario:
    return scenario(
        sites=[
            site("west", *SF, energy_price_usd_per_mwh=50.0, fixed_cost_usd_per_year=5e6),
            site("east", *NYC, energy_price_usd_per_mwh=50.0, fixed_cost_usd_per_year=5e6),
        ],
        regions=[
            region("sf", *SF, population=1e6, demand_mw=5.0),
            region("nyc", *NYC, population=1e6, demand_mw=5.0),
        ],
        economics={"latency_penalty_usd_per_user_ms_year": latency_penalty},
    )


def test_high_latency_penalty_puts_inference_near_users():
    res = solve_verified(_two_coasts(1.0))
    assert set(res.open_sites) == {"west", "east"}
    assert res.shares_of("sf") == {"west": 1.0} and res.shares_of("nyc") == {"east": 1.0}
    expected = 2 * 5e6 + 10 * H * 50 + 1e6 * (rtt(SF, SF) + rtt(NYC, NYC))
    assert res.objective == pytest.approx(expected, rel=1e-9)
    assert res.kpis.weighted_mean_rtt_ms == pytest.approx(rtt(NYC, NYC))


def test_low_latency_penalty_consolidates_inference():
    res = solve_verified(_two_coasts(0.001))
    assert len(res.open_sites) == 1
    expected = 5e6 + 10 * H * 50 + 0.001 * 1e6 * (rtt(SF, SF) + rtt(SF, NYC))
    assert res.objective == pytest.approx(expected, rel=1e-9)
    assert res.kpis.weighted_mean_rtt_ms == pytest.approx((rtt(SF, SF) + rtt(SF, NYC)) / 2)


def test_slo_removes_far_sites():
    def build(slo):
        return scenario(
            sites=[
                site("near", *NYC, energy_price_usd_per_mwh=100.0),
                site("far", *SF, energy_price_usd_per_mwh=20.0),
            ],
            regions=[region("nyc", *NYC, population=1e5, demand_mw=10.0)],
            network={"default_slo_ms": slo},
        )

    free = solve_verified(build(None))
    assert free.shares_of("nyc") == {"far": 1.0}
    assert free.objective == pytest.approx(10 * H * 20, rel=1e-9)
    bound = solve_verified(build(20.0))
    assert bound.shares_of("nyc") == {"near": 1.0}
    assert bound.objective == pytest.approx(10 * H * 100, rel=1e-9)
    assert pl.solve(build(20.0)).model_size["variables"] < free.model_size["variables"]


def test_dense_cluster_forces_liquid_cooling_and_an_air_cluster_does_not():
    def build(density):
        return scenario(
            sites=[
                site(
                    "campus",
                    *QUINCY,
                    pue=1.3,
                    liquid_pue=1.1,
                    max_rack_density_kw=140.0,
                    energy_price_usd_per_mwh=10.0,
                    liquid_cooling_available=True,
                    liquid_cooling_cost_usd_per_year=3e6,
                ),
            ],
            training=[{"id": "k", "it_mw": 50.0, "rack_density_kw": density}],
        )

    dense = solve_verified(build(120.0))
    assert dense.liquid_sites == ("campus",)
    assert dense.costs.liquid_cooling == 3e6
    assert dense.objective == pytest.approx(3e6 + 50 * 1.1 * H * 10, rel=1e-9)
    air = solve_verified(build(40.0))
    assert air.liquid_sites == ()
    assert air.objective == pytest.approx(50 * 1.3 * H * 10, rel=1e-9)


def test_existing_site_stays_open_and_forbidden_site_stays_closed():
    base = {
        "sites": [
            site("cheap", *SF, energy_price_usd_per_mwh=10.0, fixed_cost_usd_per_year=1e5),
            site("old", *NYC, energy_price_usd_per_mwh=90.0, fixed_cost_usd_per_year=2e5),
            site("mid", *QUINCY, energy_price_usd_per_mwh=30.0, fixed_cost_usd_per_year=1e5),
        ],
        "regions": [region("sf", *SF, demand_mw=1.0)],
    }
    plain = solve_verified(scenario(**base))
    assert plain.open_sites == ("cheap",)
    ruled = solve_verified(scenario(**base, rules={"existing": ["old"], "forbidden": ["cheap"]}))
    assert set(ruled.open_sites) == {"old", "mid"}
    assert ruled.shares_of("sf") == {"mid": 1.0}
    assert ruled.objective == pytest.approx(2e5 + 1e5 + 1.0 * H * 30, rel=1e-9)


def test_power_capacity_splits_a_region_across_sites():
    scn = scenario(
        sites=[
            site("a", *SF, power_mw=6.0, pue=1.5, energy_price_usd_per_mwh=10.0),
            site("b", *NYC, power_mw=100.0, energy_price_usd_per_mwh=50.0),
        ],
        regions=[region("sf", *SF, demand_mw=10.0)],
    )
    res = solve_verified(scn)
    shares = res.shares_of("sf")
    assert shares["a"] == pytest.approx(6.0 / 1.5 / 10.0)  # 4 MW IT fits in 6 MW facility
    assert res.site_load("a").facility_mw == pytest.approx(6.0)
    assert res.objective == pytest.approx(4 * 1.5 * H * 10 + 6 * H * 50, rel=1e-9)


def test_soft_demand_leaves_unprofitable_demand_unserved():
    scn = scenario(
        sites=[site("a", *SF, power_mw=3.0, energy_price_usd_per_mwh=10.0)],
        regions=[region("sf", *SF, demand_mw=5.0)],
        economics={"unserved_penalty_usd_per_mw_year": 1e6},
    )
    res = solve_verified(scn)
    assert res.unserved == {"sf": pytest.approx(0.4)}
    assert res.kpis.served_share == pytest.approx(0.6)
    assert res.objective == pytest.approx(3 * H * 10 + 2 * 1e6, rel=1e-9)


def test_redundancy_and_site_count_rules():
    sites = [
        site(f"s{i}", 40.0 + i, -100.0, energy_price_usd_per_mwh=10.0 * (i + 1)) for i in range(3)
    ]
    regions = [region("r", 41.0, -100.0, demand_mw=10.0)]
    res = solve_verified(scenario(sites=sites, regions=regions, rules={"max_share_per_site": 0.5}))
    assert res.shares_of("r") == {"s0": pytest.approx(0.5), "s1": pytest.approx(0.5)}
    res = solve_verified(
        scenario(
            sites=sites,
            regions=regions,
            training=[{"id": f"k{k}", "it_mw": 10.0, "rack_density_kw": 30.0} for k in range(2)],
            rules={"max_sites": 1},
        )
    )
    assert res.open_sites == ("s0",)
    assert set(res.training.values()) == {"s0"}


def test_max_training_sites_and_carbon_cap():
    sites = [
        site(
            "dirty",
            40.0,
            -100.0,
            energy_price_usd_per_mwh=20.0,
            carbon_kg_per_mwh=900.0,
            power_mw=60.0,
        ),
        site(
            "clean",
            45.0,
            -120.0,
            energy_price_usd_per_mwh=60.0,
            carbon_kg_per_mwh=10.0,
            power_mw=60.0,
        ),
    ]
    clusters = [{"id": f"k{k}", "it_mw": 40.0, "rack_density_kw": 30.0} for k in range(2)]
    spread = solve_verified(scenario(sites=sites, training=clusters))
    assert sorted(spread.training.values()) == ["clean", "dirty"]  # 60 MW each: one per site
    capped = solve_verified(
        scenario(
            sites=sites,
            training=[{"id": "k", "it_mw": 40.0, "rack_density_kw": 30.0}],
            rules={"carbon_cap_tonnes_per_year": 40 * H * 0.5},
        )
    )
    assert capped.training == {"k": "clean"}
    assert capped.kpis.carbon_tonnes_per_year == pytest.approx(40 * H * 0.01)
    crowded = solve_verified(
        scenario(sites=sites, training=clusters, rules={"max_training_sites": 1})
    )
    assert crowded.status is pl.Status.INFEASIBLE
