"""Infeasibility seen before solving is a status with a message naming the culprit."""

from __future__ import annotations

from conftest import region, scenario, site, solve_verified

import placement as pl

NYC = (40.71, -74.01)
SF = (37.77, -122.42)


def _infeasible(scn: pl.Scenario, **options) -> pl.PlacementResult:
    res = solve_verified(scn, **options)
    assert res.status is pl.Status.INFEASIBLE
    assert res.objective is None and not res.open_sites
    return res


def test_region_outside_every_slo():
    res = _infeasible(
        scenario(
            sites=[site("sf", *SF)],
            regions=[region("nyc", *NYC, demand_mw=1.0, slo_ms=20.0)],
        )
    )
    assert "region 'nyc'" in res.message and "SLO is 20 ms" in res.message
    assert "nearest site is" in res.diagnosis[0]


def test_cluster_too_dense_for_every_site():
    res = _infeasible(
        scenario(
            sites=[
                site("a", *SF, max_rack_density_kw=50.0),
                site("b", *NYC, max_rack_density_kw=80.0),
            ],
            training=[{"id": "nvl72", "it_mw": 100.0, "rack_density_kw": 132.0}],
        )
    )
    assert "'nvl72' fits no site" in res.message and "highest 80 kW" in res.message


def test_cluster_needs_liquid_cooling_nowhere_available():
    res = _infeasible(
        scenario(
            sites=[site("a", *SF, max_rack_density_kw=150.0)],
            training=[{"id": "nvl72", "it_mw": 100.0, "rack_density_kw": 132.0}],
        )
    )
    assert "needs liquid cooling" in res.message


def test_cluster_needs_more_power_than_any_site():
    res = _infeasible(
        scenario(
            sites=[site("a", *SF, power_mw=100.0, pue=1.3)],
            training=[{"id": "big", "it_mw": 90.0, "rack_density_kw": 40.0}],
        )
    )
    assert "117.0 MW of facility power" in res.message and "'a' has 100.0 MW" in res.message


def test_total_demand_beyond_total_capacity():
    res = _infeasible(
        scenario(
            sites=[site("a", *SF, power_mw=10.0), site("b", *NYC, power_mw=10.0)],
            regions=[region("r1", *SF, demand_mw=15.0), region("r2", *NYC, demand_mw=15.0)],
        )
    )
    assert "at least 30.0 MW" in res.message and "20.0 MW" in res.message


def test_soft_demand_is_not_infeasible():
    res = solve_verified(
        scenario(
            sites=[site("sf", *SF)],
            regions=[region("nyc", *NYC, demand_mw=1.0, slo_ms=20.0)],
            economics={"unserved_penalty_usd_per_mw_year": 1e5},
        )
    )
    assert res.status is pl.Status.OPTIMAL and res.unserved == {"nyc": 1.0}


def test_rule_conflicts_are_named():
    res = _infeasible(
        scenario(
            sites=[site("a", *SF), site("b", *NYC)],
            regions=[region("r", *SF, demand_mw=1.0)],
            rules={"must_open": ["a", "b"], "max_sites": 1},
        )
    )
    assert "rules.max_sites = 1 but 2 sites must open" in res.message
    res = _infeasible(
        scenario(
            sites=[site("a", *SF), site("b", *NYC)],
            regions=[region("r", *SF, demand_mw=1)],
            rules={"max_share_per_site": 0.5},
        ),
        formulation="single_source",
    )
    assert "single sourcing" in " ".join(res.diagnosis)


def test_infeasible_only_the_solver_can_see_is_still_a_status():
    # each cluster fits alone, but two cannot share the one site allowed for training
    res = _infeasible(
        scenario(
            sites=[site("a", *SF, power_mw=60.0), site("b", *NYC, power_mw=60.0)],
            training=[{"id": f"k{k}", "it_mw": 40.0, "rack_density_kw": 30.0} for k in range(2)],
            rules={"max_sites": 1},
        )
    )
    assert "solver proved the problem infeasible" in res.message


def test_liquid_only_clusters_beyond_liquid_capacity():
    res = _infeasible(
        scenario(
            sites=[
                site(
                    "wet",
                    *SF,
                    power_mw=150.0,
                    max_rack_density_kw=140.0,
                    liquid_cooling_available=True,
                ),
                site("dry", *NYC, power_mw=900.0, max_rack_density_kw=140.0),
            ],
            training=[
                {"id": f"nvl{k}", "it_mw": 100.0, "rack_density_kw": 130.0} for k in range(2)
            ],
        )
    )
    assert "'nvl0', 'nvl1' need liquid cooling" in res.message and "150.0 MW" in res.message


def test_infeasibility_only_the_solver_sees_is_explained_by_named_rows():
    """A carbon cap between the diagnosis's floor and the optimum's emissions: the pre-solve
    checks pass, the solver proves infeasibility, and the IIS names the rows to blame."""
    from placement.datasets.synthetic import random_ai_scenario

    scn = random_ai_scenario(6, 30, 2, seed=1, slo_ms=None)
    emitted = solve_verified(scn).kpis.carbon_tonnes_per_year
    rules = scn.rules.model_copy(update={"carbon_cap_tonnes_per_year": 0.8 * emitted})
    capped = scn.model_copy(update={"rules": rules})
    result = solve_verified(capped)
    assert result.status is pl.Status.INFEASIBLE
    assert "solver proved" in result.message
    (explanation,) = result.diagnosis
    assert "carbon_cap[0]" in explanation and "30 assign_demand rows" in explanation
