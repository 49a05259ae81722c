"""Properties of the decision menus on seeded random scenarios (hypothesis, derandomised).

* adding an entry to a menu (a cooling technology, a hardware type, a financing mode at a
  site, a way to build a cluster) never raises the optimum: the old answer is still feasible;
* every answer passes ``verify``;
* a scenario without menus gives the same optimum as the same scenario with its legacy
  air/liquid choice written out as a two-entry catalogue.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import placement as pl

SETTINGS = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


def menu_scenario(seed: int) -> dict:
    """3 sites, 8 regions, 2 clusters with 2 options, 2 technologies, 2 hardware types."""
    rng = np.random.default_rng(seed)
    sites = []
    for i in range(3):
        sites.append(
            {
                "id": f"s{i}",
                "lat": float(rng.uniform(30, 45)),
                "lon": float(rng.uniform(-120, -75)),
                "power_mw": float(rng.uniform(150, 400)),
                "energy_price_usd_per_mwh": float(rng.uniform(40, 120)),
                "carbon_kg_per_mwh": float(rng.uniform(100, 600)),
                "fixed_cost_usd_per_year": float(rng.uniform(1e6, 5e6)),
                "fixed_capital_usd_per_year": float(rng.uniform(1e6, 5e6)),
                "build_cost_usd_per_mw_year": float(rng.uniform(5e5, 1.5e6)),
                "max_rack_density_kw": 200.0,
                "cooling_degree_days": float(rng.uniform(200, 3000)),
            }
        )
    regions = [
        {
            "id": f"r{j}",
            "lat": float(rng.uniform(30, 45)),
            "lon": float(rng.uniform(-120, -75)),
            "population": float(rng.uniform(1e5, 2e6)),
            "slo_ms": float(rng.uniform(40, 80)),
        }
        for j in range(8)
    ]
    training = [
        {
            "id": f"k{k}",
            "options": [
                {"id": "dense", "it_mw": float(rng.uniform(20, 60)), "rack_density_kw": 130.0},
                {"id": "air", "it_mw": float(rng.uniform(40, 90)), "rack_density_kw": 40.0},
            ],
        }
        for k in range(2)
    ]
    return {
        "name": f"menus_{seed}",
        "sites": sites,
        "regions": regions,
        "training": training,
        "cooling_technologies": [
            {"id": "air", "max_rack_density_kw": 45, "pue_base": 1.12, "pue_per_cdd": 8e-5},
            {
                "id": "dlc",
                "liquid": True,
                "max_rack_density_kw": 150,
                "pue_base": 1.08,
                "pue_per_cdd": 2e-5,
                "fixed_capital_usd": float(rng.uniform(5e6, 2e7)),
                "capital_usd_per_mw": float(rng.uniform(1e5, 4e5)),
            },
        ],
        "hardware": [
            {
                "id": "gpu",
                "throughput_per_unit": 2000.0,
                "kw_per_unit": 1.3,
                "rack_density_kw": 40.0,
                "capital_usd_per_unit": 30000.0,
                "service_time_ms": 5.0,
            },
            {
                "id": "asic",
                "throughput_per_unit": 3000.0,
                "kw_per_unit": 0.8,
                "rack_density_kw": 30.0,
                "capital_usd_per_unit": float(rng.uniform(25000, 60000)),
                "service_time_ms": 10.0,
            },
        ],
        "inference": {"work_per_user": 0.05, "utilisation": 0.6},
        "economics": {"latency_penalty_usd_per_user_ms_year": float(rng.uniform(0, 0.2))},
        "network": {"route_factor": 1.6},
    }


def _additions(rng: np.random.Generator) -> dict:
    """One extra entry per menu, each on its own."""
    return {
        "technology": lambda d: d["cooling_technologies"].append(
            {
                "id": "immersion",
                "liquid": True,
                "max_rack_density_kw": 250,
                "pue_base": 1.03,
                "fixed_capital_usd": float(rng.uniform(1e7, 4e7)),
                "capital_usd_per_mw": float(rng.uniform(2e5, 6e5)),
            }
        ),
        "hardware": lambda d: d["hardware"].append(
            {
                "id": "cpu",
                "throughput_per_unit": 200.0,
                "kw_per_unit": 0.35,
                "rack_density_kw": 15.0,
                "capital_usd_per_unit": float(rng.uniform(800, 3000)),
                "service_time_ms": 30.0,
            }
        ),
        "lease": lambda d: d["sites"][0].update(
            financing=["build", "lease"],
            lease={
                "usd_per_kw_month": float(rng.uniform(100, 250)),
                "max_it_mw": 40.0,
                "max_rack_density_kw": 45.0,
            },
        ),
        "cloud": lambda d: d["sites"].append(
            {
                "id": "cloud",
                "lat": 38.0,
                "lon": -95.0,
                "financing": ["cloud"],
                "carbon_kg_per_mwh": 300.0,
                "cloud": {"usd_per_unit_hour": {"gpu": float(rng.uniform(1.0, 6.0))}},
            }
        ),
        "training option": lambda d: d["training"][0]["options"].append(
            {"id": "mixed", "it_mw": float(rng.uniform(30, 70)), "rack_density_kw": 80.0}
        ),
    }


def _solve(data: dict) -> pl.PlacementResult:
    scn = pl.Scenario.from_dict(data)
    result = pl.solve(scn, gap=1e-9)
    pl.verify(scn, result)
    return result


@SETTINGS
@given(
    seed=st.integers(0, 10_000), which=st.sampled_from(list(_additions(np.random.default_rng())))
)
def test_adding_a_menu_entry_never_raises_the_optimum(seed: int, which: str):
    base = menu_scenario(seed)
    before = _solve(base)
    grown = menu_scenario(seed)
    _additions(np.random.default_rng(seed))[which](grown)
    after = _solve(grown)
    if before.status is pl.Status.INFEASIBLE:
        return
    assert before.status is pl.Status.OPTIMAL and after.status is pl.Status.OPTIMAL
    assert after.objective <= before.objective * (1 + 1e-7) + 1e-6


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_the_legacy_fields_are_a_two_entry_menu(seed: int):
    """A legacy scenario and the same choice written as a catalogue: one optimum."""
    from placement.datasets.synthetic import random_ai_scenario

    legacy = random_ai_scenario(6, 30, 2, seed=seed, slo_ms=None)
    data = legacy.to_dict()
    # all sites share the air limit and PUE model of random_ai_scenario? no: write per site
    data["cooling_technologies"] = []
    menu = []
    for s in data["sites"]:
        air = f"air_{s['id']}"
        entries = [{"technology": air, "pue": s["pue"]}]
        menu.append({"id": air, "max_rack_density_kw": s["air_cooling_limit_kw"], "pue_base": 1.0})
        if s["liquid_cooling_available"]:
            liquid = f"liquid_{s['id']}"
            menu.append(
                {
                    "id": liquid,
                    "liquid": True,
                    "min_rack_density_kw": s["air_cooling_limit_kw"],
                    "max_rack_density_kw": s["max_rack_density_kw"],
                    "pue_base": 1.0,
                    # the legacy cost is already annualised: undo the CRF the catalogue applies
                    "fixed_capital_usd": s["liquid_cooling_cost_usd_per_year"]
                    / legacy.economics.capital_recovery_factor,
                }
            )
            entries.append({"technology": liquid, "pue": s["liquid_pue"] or s["pue"]})
        s["cooling"] = entries
    data["cooling_technologies"] = menu
    catalogue = pl.Scenario.from_dict(data)
    a, b = _solve(legacy.to_dict()), _solve(catalogue.to_dict())
    assert a.status is b.status is pl.Status.OPTIMAL
    assert b.objective == pytest.approx(a.objective, rel=1e-9)
    assert b.liquid_sites == a.liquid_sites
