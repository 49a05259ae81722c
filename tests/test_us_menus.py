"""The bundled default's decision menus: sourced figures, structure, and today's old files.

The pre-menu optima were computed by the code before menus landed (``placement`` at commit
2766103 on main): an old scenario file and ``us_default(menus=False)`` must still give them.
"""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import numpy as np
import pytest
from conftest import solve_verified

import placement as pl
from placement.datasets import us, us_menus
from placement.datasets.us import data_dir
from placement.model.data import build_model_data

PRE_MENU_US_SMALL_FILE = 1504328177.7324305  # tests/data/us_small_pre_menus.yaml
PRE_MENU_US_DEFAULT = 2329169770.180039


@pytest.fixture(scope="module")
def default() -> pl.Scenario:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pl.datasets.DataGapWarning)
        return pl.datasets.us_default()


def _menu_section() -> str:
    text = (data_dir() / "README.md").read_text(encoding="utf-8")
    section = text.split("## Decision menus", 1)[1].split("\n## ", 1)[0]
    return " ".join(section.split())  # one line: a name may wrap


# ------------------------------------------------------------------ sources
def test_every_menu_entry_and_published_figure_is_in_the_readme():
    section = _menu_section()
    for tech in us_menus.COOLING_TECHNOLOGIES:
        assert f"`{tech.id}`" in section
    for server in us_menus.SERVERS:
        assert f"`{server.id}`" in section
        assert f"${server.capital_usd:,.0f}" in section
    for site_id, rent in us_menus.LEASE_USD_PER_KW_MONTH.items():
        assert f"${rent:g}" in section, site_id
    assert f"${us_menus.LEASE_DEFAULT_USD_PER_KW_MONTH}" in section
    for region in us_menus.CLOUD_REGIONS:
        assert f"{region.county} County" in section
    for cited in ("CBRE", "March 2024", "Feb 2025", "costnimbus.com", "March 2026", "$3.90"):
        assert cited in section
    assert section.count("ASSUMPTION") >= 10


def test_cloud_regions_sit_at_their_county_centre(default):
    path = data_dir() / "us" / "us_counties_population.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        census = {r["STATEFP"] + r["COUNTYFP"]: r for r in csv.DictReader(handle)}
    sites = {s.id: s for s in default.sites}
    for region in us_menus.CLOUD_REGIONS:
        row = census[region.state_fips + region.county_fips]
        site = sites[region.id]
        assert (site.lat, site.lon) == (float(row["LATITUDE"]), float(row["LONGITUDE"]))
        assert row["COUNAME"] == region.county
        assert site.financing == ("cloud",) and site.energy_price_usd_per_mwh is None


# ------------------------------------------------------------------ structure
def test_menu_sites_are_the_pre_menu_sites_plus_cloud_regions(default):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pl.datasets.DataGapWarning)
        legacy = pl.datasets.us_default(menus=False)
    built = [s for s in default.sites if "build" in s.financing]
    assert [s.id for s in built] == [s.id for s in legacy.sites]
    for menu, old in zip(built, legacy.sites, strict=True):
        assert (menu.lat, menu.lon, menu.power_mw) == (old.lat, old.lon, old.power_mw)
        assert menu.energy_price_usd_per_mwh == old.energy_price_usd_per_mwh
        assert menu.pue is None  # the catalogue prices cooling
        assert menu.fixed_cost_usd_per_year + menu.fixed_capital_usd_per_year == pytest.approx(
            old.fixed_cost_usd_per_year, abs=0.02
        )
        assert menu.build_cost_usd_per_mw_year == old.build_cost_usd_per_mw_year
    leased = {s.id: s.lease.usd_per_kw_month for s in default.sites if s.lease is not None}
    assert leased == us_menus.LEASE_USD_PER_KW_MONTH
    assert len(default.sites) == len(legacy.sites) + len(us_menus.CLOUD_REGIONS)


def test_demand_is_users_times_work_per_user(default):
    work = sum(default.region_demand_work(r) for r in default.regions)
    people = sum(r.population for r in default.regions)
    assert work == pytest.approx(people * us_menus.WORK_PER_USER)
    assert default.inference.work_unit == "H100-equivalent"


def test_each_job_has_a_liquid_only_gb200_and_an_air_coolable_h100_option(default):
    liquid_min = min(t.min_rack_density_kw for t in default.cooling_technologies if t.liquid)
    air = next(t for t in default.cooling_technologies if t.id == "air")
    for job in default.training:
        options = {o.id: o for o in job.choices}
        gb200, h100 = options["gb200"], options["h100"]
        assert gb200.rack_density_kw == us.GB200_NVL72_RACK_KW > air.max_rack_density_kw
        assert gb200.rack_density_kw > liquid_min
        assert h100.rack_density_kw == pytest.approx(40.8)
        assert h100.rack_density_kw <= air.max_rack_density_kw
        # the same training work both ways: 2.5 H100 per GB200
        assert h100.gpus == pytest.approx(gb200.gpus * us_menus.GB200_TO_H100_TRAINING, rel=1e-4)


def test_each_job_can_be_placed_at_two_sites_or_more(default):
    data = build_model_data(default)
    sites = data.sites.site[data.training.site]
    for k, job in enumerate(default.training):
        assert np.unique(sites[data.training.other == k]).size >= 2, job.id


# ------------------------------------------------------------------ the old model still holds
def test_an_old_scenario_file_gives_the_pre_menu_optimum():
    scn = pl.Scenario.from_file(Path(__file__).parent / "data" / "us_small_pre_menus.yaml")
    assert not scn.cooling_technologies and scn.sites[0].liquid_cooling_available
    result = solve_verified(scn, gap=1e-9)
    assert result.objective == pytest.approx(PRE_MENU_US_SMALL_FILE, rel=1e-6)


def test_menus_false_gives_the_pre_menu_optimum():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pl.datasets.DataGapWarning)
        scn = pl.datasets.us_default(menus=False)
    result = solve_verified(scn, gap=1e-9)
    assert result.objective == pytest.approx(PRE_MENU_US_DEFAULT, rel=1e-6)
