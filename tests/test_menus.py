"""Decision menus (cooling technologies, hardware, financing, training options), by hand.

Each scenario is small enough to price every alternative by hand; the optimum must be the
cheapest of them, to 1e-6, and pass ``verify``.
"""

from __future__ import annotations

import pytest
from conftest import solve_verified

import placement as pl

HOURS = 8760.0
RATE, LIFE = 0.08, 15.0


def crf(rate: float = RATE, years: float = LIFE) -> float:
    growth = (1 + rate) ** years
    return rate * growth / (growth - 1)


def scenario(**fields) -> pl.Scenario:
    return pl.Scenario.from_dict({"name": "menu", **fields})


def site(sid: str, lat: float = 40.0, lon: float = -100.0, **fields) -> dict:
    base = {
        "id": sid,
        "lat": lat,
        "lon": lon,
        "power_mw": 1000.0,
        "energy_price_usd_per_mwh": 50.0,
        "carbon_kg_per_mwh": 0.0,
        "fixed_cost_usd_per_year": 0.0,
        "build_cost_usd_per_mw_year": 0.0,
        "max_rack_density_kw": 300.0,
    }
    return {**base, **fields}


# ----------------------------------------------------------------------------- cooling
TECHNOLOGIES = [
    {"id": "air", "max_rack_density_kw": 45, "pue_base": 1.3},
    {
        "id": "dlc",
        "liquid": True,
        "max_rack_density_kw": 140,
        "pue_base": 1.08,
        "pue_per_cdd": 2e-5,
        "fixed_capital_usd": 1e7,
        "capital_usd_per_mw": 2e5,
    },
    {
        "id": "immersion",
        "liquid": True,
        "max_rack_density_kw": 250,
        "pue_base": 1.03,
        "fixed_capital_usd": 3e7,
        "capital_usd_per_mw": 4e5,
    },
]


def _cooling_scenario(density: float) -> pl.Scenario:
    return scenario(
        sites=[site("a", cooling_degree_days=1000.0)],
        cooling_technologies=TECHNOLOGIES,
        training=[{"id": "c", "it_mw": 50.0, "rack_density_kw": density}],
        economics={"utilisation": 0.9},
    )


def _cooling_cost(tech: dict, mw: float, pue: float) -> float:
    capital = (tech.get("fixed_capital_usd", 0) + tech.get("capital_usd_per_mw", 0) * mw) * crf()
    return capital + mw * pue * 0.9 * HOURS * 50.0


@pytest.mark.parametrize(("density", "expected"), [(120.0, "dlc"), (200.0, "immersion")])
def test_immersion_only_above_direct_to_chip_limit(density, expected):
    result = solve_verified(_cooling_scenario(density))
    assert result.training_choices["c"].cooling == expected
    dlc = _cooling_cost(TECHNOLOGIES[1], 50.0, 1.08 + 2e-5 * 1000.0)
    immersion = _cooling_cost(TECHNOLOGIES[2], 50.0, 1.03)
    assert dlc < immersion  # at 120 kW both can cool it: the cheaper wins
    assert result.objective == pytest.approx(dlc if expected == "dlc" else immersion, rel=1e-9)
    (use,) = result.sites[0].cooling
    assert use.technology == expected and use.training_mw == pytest.approx(50.0)
    assert result.sites[0].liquid_mw == pytest.approx(50.0)


def test_a_density_no_technology_supports_is_diagnosed_with_the_culprit():
    result = pl.solve(_cooling_scenario(280.0))
    assert result.status is pl.Status.INFEASIBLE
    assert "training cluster 'c'" in result.diagnosis[0]
    assert "280 kW" in result.diagnosis[0] and "250 kW" in result.diagnosis[0]


def test_retrofit_capital_factor_and_measured_pue():
    data = _cooling_scenario(120.0).to_dict()
    retrofit = {"technology": "dlc", "install": "retrofit", "capital_factor": 1.5, "pue": 1.2}
    data["sites"][0]["cooling"] = ["air", retrofit]
    result = solve_verified(pl.Scenario.from_dict(data))
    tech = dict(TECHNOLOGIES[1], fixed_capital_usd=1.5e7, capital_usd_per_mw=3e5)
    assert result.objective == pytest.approx(_cooling_cost(tech, 50.0, 1.2), rel=1e-9)


# ----------------------------------------------------------------------------- hardware
def _hardware_scenario(lam: float) -> pl.Scenario:
    """Two regions 1,000 km apart from the site (RTT 2 + 2·1·1000/200 = 12 ms)."""
    km = 1000.0 / 111.195  # degrees of latitude for 1,000 km
    return scenario(
        sites=[site("a", pue=1.0)],
        regions=[
            {"id": "tight", "lat": 40.0 + km, "lon": -100.0, "population": 1e6, "slo_ms": 30},
            {"id": "loose", "lat": 40.0 - km, "lon": -100.0, "population": 1e6, "slo_ms": 100},
        ],
        hardware=[
            {
                "id": "gpu",
                "throughput_per_unit": 1000.0,
                "kw_per_unit": 1.0,
                "rack_density_kw": 40.0,
                "capital_usd_per_unit": 30000.0,
                "service_time_ms": 5.0,
            },
            {
                "id": "cpu",
                "throughput_per_unit": 100.0,
                "kw_per_unit": 0.4,
                "rack_density_kw": 15.0,
                "capital_usd_per_unit": 1000.0,
                "service_time_ms": 40.0,
            },
        ],
        inference={"work_per_user": 0.1, "utilisation": 0.5},
        economics={"latency_penalty_usd_per_user_ms_year": lam},
        network={"route_factor": 1.0, "fiber_km_per_ms": 200.0, "base_rtt_ms": 2.0},
    )


def _hardware_cost(hw: str, work: float, users: float, lam: float, rtt: float) -> float:
    """Per region: hardware capital (5-year CRF) + energy at PUE 1.0 + latency penalty."""
    spec = {"gpu": (1000.0, 1.0, 30000.0, 5.0), "cpu": (100.0, 0.4, 1000.0, 40.0)}[hw]
    throughput, kw, price, service = spec
    units = work / throughput
    capital = units * price * crf(RATE, 5.0)
    energy = units * kw / 1000.0 * 0.5 * HOURS * 50.0
    return capital + energy + lam * users * (rtt + service)


@pytest.mark.parametrize(("lam", "loose_on"), [(0.0, "cpu"), (0.02, "gpu")])
def test_a_cpu_fleet_serves_only_where_slo_and_lambda_allow(lam, loose_on):
    scn = _hardware_scenario(lam)
    result = solve_verified(scn)
    on = {a.region: a.hardware for a in result.serving}
    assert on == {"tight": "gpu", "loose": loose_on}  # 12 ms + 40 ms > the tight 30 ms SLO
    rtt = next(a.rtt_ms for a in result.serving if a.region == "loose")
    assert rtt == pytest.approx(12.0, abs=1e-3)
    work = 1e6 * 0.1
    expected = _hardware_cost("gpu", work, 1e6, lam, rtt) + _hardware_cost(
        loose_on, work, 1e6, lam, rtt
    )
    assert result.objective == pytest.approx(expected, rel=1e-6)
    # which hardware wins the loose region by price alone, and what λ makes the GPU pay
    gap = _hardware_cost("gpu", work, 1e6, 0, rtt) - _hardware_cost("cpu", work, 1e6, 0, rtt)
    assert 0 < gap < 0.02 * 1e6 * 35.0  # the CPU saves money; 35 ms × λ=0.02 × 1e6 outweighs


# ----------------------------------------------------------------------------- financing
def _financing_scenario(**rules) -> pl.Scenario:
    """One region; a site offering build (big fixed capital) and lease; a cloud region."""
    return scenario(
        sites=[
            site(
                "metro",
                fixed_capital_usd_per_year=5e6,
                build_cost_usd_per_mw_year=1.2e6,
                financing=["build", "lease"],
                lease={"usd_per_kw_month": 200.0, "max_it_mw": 50.0, "max_rack_density_kw": 50.0},
            ),
            {
                "id": "cloud_east",
                "lat": 40.5,
                "lon": -100.0,
                "financing": ["cloud"],
                "carbon_kg_per_mwh": 0.0,
                "cloud": {"usd_per_unit_hour": {"gpu": 4.0}},
            },
        ],
        regions=[{"id": "r", "lat": 40.2, "lon": -100.0, "demand_work": 800.0}],
        hardware=[
            {
                "id": "gpu",
                "throughput_per_unit": 1.0,
                "kw_per_unit": 1.25,
                "rack_density_kw": 40.0,
                "capital_usd_per_unit": 30000.0,
                "lifetime_years": 5.0,
            }
        ],
        cooling_technologies=[{"id": "air", "max_rack_density_kw": 45, "pue_base": 1.2}],
        inference={"utilisation": 0.6},
        rules=rules,
    )


def _financing_costs() -> dict[str, float]:
    mw, units = 800 * 1.25 / 1000.0, 800.0
    hardware = units * 30000.0 * crf(RATE, 5.0)
    energy = mw * 1.2 * 0.6 * HOURS * 50.0
    return {
        "build": 5e6 + mw * 1.2e6 + hardware + energy,
        "lease": mw * 200.0 * 12_000.0 + hardware + energy,
        "cloud": units * 4.0 * HOURS * 0.6,
    }


def test_small_region_goes_to_lease_or_cloud_rather_than_a_new_build():
    result = solve_verified(_financing_scenario())
    costs = _financing_costs()
    cheapest = min(costs, key=costs.get)
    assert cheapest != "build"
    (assignment,) = result.serving
    assert assignment.financing == cheapest
    assert result.objective == pytest.approx(costs[cheapest], rel=1e-9)
    assert result.costs.capital == pytest.approx(
        0.0 if cheapest == "cloud" else 800 * 30000.0 * crf(RATE, 5.0), rel=1e-9
    )


def test_a_capital_cap_moves_inference_from_build_to_lease():
    base = _financing_scenario()
    no_cloud = base.model_copy(update={"sites": base.sites[:1]})
    cheap_build = no_cloud.model_copy(
        update={
            "sites": (
                no_cloud.sites[0].model_copy(
                    update={"fixed_capital_usd_per_year": 1e5, "build_cost_usd_per_mw_year": 3e5}
                ),
            )
        }
    )
    free = solve_verified(cheap_build)
    assert free.serving[0].financing == "build"
    hardware_capital = 800 * 30000.0 * crf(RATE, 5.0)  # bought in either mode
    assert free.costs.capital == pytest.approx(hardware_capital + 1e5 + 1.0 * 3e5, rel=1e-9)
    budget = hardware_capital + 1e5  # below build's site and per-MW capital
    rules = cheap_build.rules.model_copy(update={"capital_budget_usd_per_year": budget})
    capped = solve_verified(cheap_build.model_copy(update={"rules": rules}))
    assert capped.serving[0].financing == "lease"
    assert capped.costs.capital == pytest.approx(hardware_capital, rel=1e-9)
    assert capped.objective == pytest.approx(_financing_costs()["lease"], rel=1e-9)


# ----------------------------------------------------------------------------- training options
def _training_options_scenario(liquid_available: bool) -> pl.Scenario:
    techs = [{"id": "air", "max_rack_density_kw": 45, "pue_base": 1.35}]
    if liquid_available:
        techs.append({"id": "dlc", "liquid": True, "max_rack_density_kw": 140, "pue_base": 1.1})
    return scenario(
        sites=[site("a")],
        cooling_technologies=techs,
        training=[
            {
                "id": "job",
                "options": [
                    {"id": "gb200", "it_mw": 183.3, "rack_density_kw": 132.0, "gpus": 100_000},
                    {"id": "h100", "it_mw": 300.0, "rack_density_kw": 40.8, "gpus": 160_000},
                ],
            }
        ],
    )


@pytest.mark.parametrize(("liquid", "expected"), [(True, "gb200"), (False, "h100")])
def test_training_alternative_with_cheaper_power_wins_where_it_can_be_cooled(liquid, expected):
    result = solve_verified(_training_options_scenario(liquid))
    choice = result.training_choices["job"]
    assert choice.option == expected
    mw, pue = (183.3, 1.1) if expected == "gb200" else (300.0, 1.35)
    assert result.objective == pytest.approx(mw * pue * HOURS * 50.0, rel=1e-9)


def test_unknown_catalogue_references_are_named():
    with pytest.raises(pl.ScenarioError, match=r"sites\[a\]\.cooling: 'foam' is not in"):
        scenario(sites=[site("a", cooling=["foam"])], cooling_technologies=TECHNOLOGIES)
    with pytest.raises(pl.ScenarioError, match=r"sites\[a\]\.hardware: 'tpu' is not in"):
        scenario(sites=[site("a", hardware=["tpu"])], hardware=[])
    with pytest.raises(pl.ScenarioError, match="energy_price_usd_per_mwh"):
        scenario(sites=[site("a", energy_price_usd_per_mwh=-1.0)])
    with pytest.raises(pl.ScenarioError, match="lease terms"):
        scenario(sites=[site("a", financing=["build", "lease"])])


def test_negative_menu_prices_are_named():
    lease = {"usd_per_kw_month": -5.0, "max_it_mw": 10.0, "max_rack_density_kw": 40.0}
    with pytest.raises(pl.ScenarioError, match=r"sites\[0\]\.lease\.usd_per_kw_month = -5\.0"):
        scenario(sites=[site("a", financing=["lease"], lease=lease)])
    cloud = {"usd_per_unit_hour": {"gpu": -1.0}}
    with pytest.raises(pl.ScenarioError, match=r"sites\[0\]\.cloud\.usd_per_unit_hour\.gpu"):
        scenario(sites=[site("a", financing=["cloud"], cloud=cloud)])
    with pytest.raises(pl.ScenarioError, match=r"hardware\[0\]\.capital_usd_per_unit = -1"):
        scenario(
            sites=[site("a")],
            hardware=[{"id": "gpu", "throughput_per_unit": 1, "kw_per_unit": 1,
                       "rack_density_kw": 10, "capital_usd_per_unit": -1}],
        )  # fmt: skip
