"""The bundled US dataset: row counts, provenance, data gaps, SLO coverage, subsets, fit."""

from __future__ import annotations

import csv
import math
import warnings

import numpy as np
import pytest

import placement as pl
from placement.datasets import us
from placement.datasets.us import DataGapWarning, build_us_scenario, data_dir, site_records

POPULATION_2020_50_STATES_DC = 331_449_281
N_COUNTIES_50_STATES_DC = 3_143


# The public-data pipeline (prices, climate, coordinates, classes) is checked on the pre-menu
# build, whose sites carry every derived figure; tests/test_us_menus.py checks the menus.
@pytest.fixture(scope="module")
def default() -> pl.Scenario:
    with pytest.warns(DataGapWarning, match="cheyenne_wy"):
        return pl.datasets.us_default(menus=False)


@pytest.fixture(scope="module")
def small() -> pl.Scenario:
    return pl.datasets.us_small(menus=False)


def _census() -> dict[str, dict[str, str]]:
    path = data_dir() / "us" / "us_counties_population.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["STATEFP"] + row["COUNTYFP"]: row for row in csv.DictReader(handle)}


def _state_energy() -> dict[str, dict[str, str]]:
    with (data_dir() / "us" / "state_energy.csv").open(encoding="utf-8", newline="") as handle:
        return {row["state"]: row for row in csv.DictReader(handle)}


# ------------------------------------------------------------------------------ files
def test_data_dir_holds_the_bundled_files():
    root = data_dir()
    for name in (
        "README.md",
        "us_sites.csv",
        "us/README.md",
        "us/us_counties_population.csv",
        "us/state_energy.csv",
        "us/state_climate.csv",
        "us/sources/eia_epa2023_secrev_map_excerpt.txt",
        "us/sources/egrid2023_state_co2_transcribed.csv",
    ):
        assert (root / name).is_file(), name


def test_readme_names_every_class_and_the_wyoming_gap():
    text = (data_dir() / "README.md").read_text(encoding="utf-8")
    for name in us.SITE_CLASSES:
        assert name in text
    assert "Wyoming" in text and "DataGapWarning" in text
    # The PUE formula in the README is the one in the code.
    assert (us.PUE_AIR_BASE, us.PUE_AIR_PER_CDD) == (1.12, 8e-5)
    assert (us.PUE_LIQUID_BASE, us.PUE_LIQUID_PER_CDD) == (1.08, 2e-5)
    assert "PUE_air    = 1.12 + 8e-5 × CDD" in text
    assert "PUE_liquid = 1.08 + 2e-5 × CDD" in text


# ------------------------------------------------------------------------------ regions
def test_regions_are_all_counties_of_the_50_states_and_dc(default):
    assert len(default.regions) == N_COUNTIES_50_STATES_DC
    ids = [r.id for r in default.regions]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 5 and i.isdigit() and not i.startswith("72") for i in ids)
    assert sum(r.population for r in default.regions) == POPULATION_2020_50_STATES_DC


def test_region_coordinates_and_population_are_the_census_values(default):
    census = _census()
    for region in default.regions:
        row = census[region.id]
        assert region.population == int(row["POPULATION"])
        assert region.lat == float(row["LATITUDE"])
        assert region.lon == float(row["LONGITUDE"])


def test_total_inference_is_a_few_hundred_mw_to_two_gw(default):
    total_mw = sum(default.region_demand_mw(r) for r in default.regions)
    assert 300.0 <= total_mw <= 2000.0
    gpus = sum(default.region_demand_gpus(r) for r in default.regions)
    assert gpus == pytest.approx(POPULATION_2020_50_STATES_DC * us.GPUS_PER_1000_PEOPLE / 1000)


# ------------------------------------------------------------------------------ sites
def test_sites_are_real_markets_with_census_coordinates(default):
    census = _census()
    assert 45 <= len(default.sites) <= 55
    assert {r.site_class for r in site_records()} == set(us.SITE_CLASSES)
    by_id = {s.id: s for s in default.sites}
    for record in site_records():
        row = census[record.county_fips5]
        site = by_id[record.id]
        assert (site.lat, site.lon) == (float(row["LATITUDE"]), float(row["LONGITUDE"]))
        assert row["COUNAME"] == record.county_name


def test_every_site_has_a_source_price_or_is_visibly_flagged(default):
    energy = _state_energy()
    by_id = {s.id: s for s in default.sites}
    flagged = []
    for record in site_records():
        cents = energy[record.state]["industrial_price_cents_kwh"]
        site = by_id[record.id]
        if cents:
            assert not record.flagged
            assert site.energy_price_usd_per_mwh == pytest.approx(float(cents) * 10.0)
        else:
            flagged.append(record.id)
            assert record.flagged and "ASSUMED PRICE" in record.flags[0]
            assert "ASSUMED PRICE" in site.name
            assert record.id in default.description and "DATA GAP" in default.description
    assert flagged == ["cheyenne_wy"]  # Wyoming is the only state without an EIA price


def test_wyoming_price_is_the_maximum_of_its_neighbours(default):
    energy = _state_energy()
    neighbours = us.PRICE_GAP_NEIGHBOURS["WY"]
    expected = max(float(energy[n]["industrial_price_cents_kwh"]) * 10.0 for n in neighbours)
    wy = next(s for s in default.sites if s.id == "cheyenne_wy")
    assert wy.energy_price_usd_per_mwh == pytest.approx(expected)


def test_price_gap_exclude_drops_wyoming_and_says_so():
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataGapWarning)
        scenario = build_us_scenario(price_gap="exclude")
    assert "cheyenne_wy" not in {s.id for s in scenario.sites}
    assert "EXCLUDED" in scenario.description and "cheyenne_wy" in scenario.description


@pytest.mark.parametrize(
    ("site_id", "state"), [("abilene_tx", "TX"), ("ashburn_va", "VA"), ("quincy_wa", "WA")]
)
def test_price_and_carbon_match_the_state_csv(default, site_id, state):
    row = _state_energy()[state]
    site = next(s for s in default.sites if s.id == site_id)
    assert site.state == state
    assert site.energy_price_usd_per_mwh == pytest.approx(
        float(row["industrial_price_cents_kwh"]) * 10.0, rel=1e-12
    )
    assert site.carbon_kg_per_mwh == pytest.approx(  # rounded to 1e-6: no float noise in files
        float(row["co2_lb_per_mwh"]) * 0.45359237, abs=5e-7
    )


def test_texas_spot_values(default):
    site = next(s for s in default.sites if s.id == "dallas_tx")
    assert site.energy_price_usd_per_mwh == pytest.approx(66.0)  # 6.60 ¢/kWh
    assert site.carbon_kg_per_mwh == pytest.approx(768.317 * 0.45359237)
    assert site.pue == pytest.approx(1.12 + 8e-5 * 2809)  # TX CDD 1991-2020 = 2,809


def test_pue_is_plausible_and_liquid_beats_air(default):
    for site in default.sites:
        assert 1.0 <= site.pue <= 2.0
        assert 1.0 <= site.effective_liquid_pue <= site.pue
    pue = {s.state: s.pue for s in default.sites}
    assert 1.35 <= pue["FL"] <= 1.45  # hot
    assert 1.10 <= pue["WA"] <= 1.16  # cool


def test_climate_fallbacks_are_documented_in_the_records():
    by_id = {r.id: r for r in site_records()}
    assert by_id["honolulu_hi"].climate_source.startswith("ASSUMPTION")
    assert by_id["anchorage_ak"].climate_source.startswith("ASSUMPTION")
    assert by_id["anchorage_ak"].cdd_65f == 0.0  # 28 °F mean: no cooling degree days
    assert 1000.0 < by_id["honolulu_hi"].cdd_65f < 4000.0
    assert by_id["abilene_tx"].climate_source.startswith("NOAA")


def test_class_assumptions_reach_the_sites(default):
    crf = pl.capital_recovery_factor(us.DISCOUNT_RATE, us.LIFETIME_YEARS)
    classes = {r.id: us.SITE_CLASSES[r.site_class] for r in site_records()}
    for site in default.sites:
        cls = classes[site.id]
        assert site.power_mw == cls.power_mw
        assert site.fixed_cost_usd_per_year == pytest.approx(
            cls.fixed_capex_usd * crf + cls.fixed_opex_usd_per_year
        )
        assert site.build_cost_usd_per_mw_year == pytest.approx(cls.build_capex_usd_per_mw_it * crf)
        assert site.liquid_cooling_available == cls.liquid_cooling_available
        assert site.racks_available == cls.racks_available


# ------------------------------------------------------------------------------ coverage
@pytest.mark.parametrize("which", ["default", "small"])
def test_every_region_has_a_site_within_its_slo(which, request):
    from placement.model.pairs import eligible_pairs, regions_without_site

    scenario = request.getfixturevalue(which)
    assert scenario.network.default_slo_ms == us.DEFAULT_SLO_MS
    assert scenario.network.route_factor == us.ROUTE_FACTOR
    assert scenario.network.base_rtt_ms == us.BASE_RTT_MS
    assert scenario.network.fiber_km_per_ms == 204.0
    pairs = eligible_pairs(scenario)
    assert regions_without_site(scenario, pairs) == []


def test_alaska_and_hawaii_are_covered_by_their_own_edge_sites(default):
    # Independent great-circle check (numpy) of the SLO for the farthest counties.
    sites = {s.id: s for s in default.sites}
    network = default.network
    for county, site_id in (("02016", "anchorage_ak"), ("15001", "honolulu_hi")):
        region = next(r for r in default.regions if r.id == county)
        site = sites[site_id]
        p1, p2 = np.radians([region.lat, site.lat])
        dl = np.radians(site.lon - region.lon)
        angle = math.acos(min(1.0, np.sin(p1) * np.sin(p2) + np.cos(p1) * np.cos(p2) * np.cos(dl)))
        rtt = network.base_rtt_ms + 2 * network.route_factor * 6371.009 * angle / 204.0
        assert rtt <= default.region_slo_ms(region)


# ------------------------------------------------------------------------------ subset
def test_small_is_a_consistent_subset_of_default(default, small):
    assert len(small.sites) == len(us.SMALL_SITE_IDS)
    assert len(small.regions) == us.SMALL_REGION_COUNT
    sites = {s.id: s for s in default.sites}
    for site in small.sites:
        assert site == sites[site.id]
    regions = {r.id: r for r in default.regions}
    for region in small.regions:
        assert region == regions[region.id]
    top = sorted(default.regions, key=lambda r: (-r.population, r.id))[: us.SMALL_REGION_COUNT]
    assert {r.id for r in small.regions} == {r.id for r in top}
    assert small.training == default.training
    assert small.inference == default.inference
    assert small.economics == default.economics
    assert small.network == default.network


def test_unknown_site_id_is_refused():
    with pytest.raises(ValueError, match="nowhere_xx"):
        build_us_scenario(site_ids=["abilene_tx", "nowhere_xx"])


# ------------------------------------------------------------------------------ workloads
def _fits(site: pl.Site, cluster: pl.TrainingCluster) -> bool:
    if cluster.rack_density_kw > site.max_rack_density_kw:
        return False
    liquid = cluster.rack_density_kw > site.air_cooling_limit_kw
    if liquid and not site.liquid_cooling_available:
        return False
    pue = site.effective_liquid_pue if liquid else site.pue
    if cluster.it_mw * pue > site.power_mw:
        return False
    return site.racks_available is None or cluster.racks <= site.racks_available


@pytest.mark.parametrize("which", ["default", "small"])
def test_each_training_cluster_fits_at_least_two_sites(which, request):
    scenario = request.getfixturevalue(which)
    assert len(scenario.training) >= 3
    for cluster in scenario.training:
        fits = [s.id for s in scenario.sites if _fits(s, cluster)]
        assert len(fits) >= 2, (cluster.id, fits)


def test_workloads_follow_the_public_hardware_figures(default):
    clusters = {c.id: c for c in default.training}
    gb200 = clusters["gb200_100k"]
    assert gb200.rack_density_kw == 132.0
    assert gb200.it_mw == pytest.approx(math.ceil(100_000 / 72) * 0.132)
    h100 = clusters["h100_32k"]
    assert h100.it_mw == pytest.approx(32_768 / 8 * 10.2 / 1000)
    assert h100.rack_density_kw == pytest.approx(40.8)
    assert default.inference.gpu_kw == pytest.approx(10.2 / 8)
    # GB200 needs liquid everywhere; the H100 clusters are air-coolable at every class.
    for site in default.sites:
        assert gb200.rack_density_kw > site.air_cooling_limit_kw
        assert h100.rack_density_kw <= site.air_cooling_limit_kw


# ------------------------------------------------------------------------------ solve
def test_us_small_solves_and_separates_training_from_inference(small):
    result = pl.solve(small)
    pl.verify(small, result)
    assert result.status is pl.Status.OPTIMAL
    sites = {s.id: s for s in small.sites}
    for site_id in result.training.values():
        assert sites[site_id].liquid_cooling_available
        assert sites[site_id].power_mw >= 1000.0  # a hyperscale campus
    serving_sites = {a.site for a in result.serving if a.share > 1e-6}
    assert len(serving_sites) >= 3  # inference spreads out
