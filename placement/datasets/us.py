"""The bundled US dataset: real data-center markets, Census demand, EIA/eGRID/NOAA state data.

Everything here is built from the public files in the bundled ``data/`` folder (see
``data/README.md`` for sources, licence and every assumption):

* **Sites** (``data/us_sites.csv``): real US data-center markets and announced AI campuses. A site
  stores only its county (state FIPS + county FIPS + name); its coordinates are the Census 2020
  county *centre of population* from ``data/us/us_counties_population.csv``, so the coordinate's
  source is the Census file. Each site has a class (``hyperscale_campus``, ``metro_colocation``,
  ``edge``) that sets power, costs, cooling and space by the named assumptions in
  :data:`SITE_CLASSES`.
* **Energy price**: EIA 2023 average industrial revenue per kWh by state, cents/kWh × 10 =
  USD/MWh. Wyoming is missing from the source: see :data:`PRICE_GAP_NEIGHBOURS`.
* **Carbon**: eGRID2023 state CO2 output emission rate, lb/MWh × 0.45359237 = kg/MWh.
* **PUE**: NOAA nClimDiv 1991–2020 statewide cooling degree days through a linear model
  (:func:`pue_air`, :func:`pue_liquid`), with documented fallbacks where CDD is missing.
* **Demand**: Census 2020 county centres of population, 50 states + DC (3,143 regions, id = the
  5-digit county FIPS); inference GPUs = population × :data:`GPUS_PER_1000_PEOPLE` / 1,000.
* **Workloads**: training clusters from public NVIDIA hardware figures (:data:`TRAINING_CLUSTERS`)
  and an H100-class inference profile.

Figures that are not published numbers are **named assumptions**: module constants here,
mirrored in the assumption table of ``data/README.md``.
"""

from __future__ import annotations

import csv
import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Literal

import numpy as np

from placement.datasets import us_menus
from placement.model.schema import (
    Economics,
    InferenceProfile,
    NetworkSettings,
    Region,
    Rules,
    Scenario,
    Site,
    TrainingCluster,
    capital_recovery_factor,
)

__all__ = [
    "AK_HI_CLIMATE_FALLBACK",
    "CARBON_PRICE_USD_PER_TONNE",
    "CLIMATE_PROXY_STATE",
    "DEFAULT_SLO_MS",
    "DISCOUNT_RATE",
    "EXCLUDED_STATE_FIPS",
    "GPUS_PER_1000_PEOPLE",
    "INFERENCE_PROFILE",
    "INFERENCE_UTILISATION",
    "LATENCY_PENALTY_USD_PER_USER_MS_YEAR",
    "LIFETIME_YEARS",
    "PRICE_GAP_NEIGHBOURS",
    "SITE_CLASSES",
    "SMALL_REGION_COUNT",
    "SMALL_SITE_IDS",
    "TRAINING_CLUSTERS",
    "DataGapWarning",
    "SiteClass",
    "SiteRecord",
    "StateRecord",
    "build_us_scenario",
    "cdd_from_temperature",
    "county_records",
    "data_dir",
    "pue_air",
    "pue_liquid",
    "site_records",
    "state_records",
    "us_default",
    "us_small",
]

BUNDLED_PACKAGE = "placement.bundled"
"""Where an installed package finds ``data/`` (pyproject maps the folder to this package)."""

# ============================================================================ unit conversions
CENTS_PER_KWH_TO_USD_PER_MWH = 10.0  # 1 ¢/kWh = 10 USD/MWh (exact)
KG_PER_LB = 0.45359237  # international avoirdupois pound (exact)

# ============================================================================ named assumptions
# Every constant in this block is an ASSUMPTION (not a published figure) unless its comment
# names a source. data/README.md carries the same table with the reasoning.

COST_ANCHOR_BUILD_USD_PER_MW = 11.7e6
"""Published: Cushman & Wakefield *Data Center Development Cost Guide 2025*, average
construction cost per MW of critical (IT) load over 19 US markets ($9.3M San Antonio … $15.0M
Reno), excluding land, owner-furnished equipment and IT hardware. The class build costs below
scale this anchor (ASSUMPTION)."""


@dataclass(frozen=True)
class SiteClass:
    """Per-class named assumptions turning a market into a :class:`~placement.model.schema.Site`."""

    name: str
    power_mw: float  # facility (grid) power available, MW
    fixed_capex_usd: float  # land, grid interconnection/substation, site works (once)
    fixed_opex_usd_per_year: float  # staff, security, insurance, taxes (every year)
    build_capex_usd_per_mw_it: float  # shell + power + cooling per MW of IT load placed
    liquid_cooling_available: bool
    liquid_capex_usd: float  # facility water loop + CDU plant, fixed per site (once)
    max_rack_density_kw: float
    air_cooling_limit_kw: float
    racks_available: int
    description: str

    # Annual amounts are rounded to the cent: files show 1366905.68, not 1366905.675751434.
    def fixed_cost_usd_per_year(self, crf: float) -> float:
        return round(self.fixed_capex_usd * crf + self.fixed_opex_usd_per_year, 2)

    def liquid_cost_usd_per_year(self, crf: float) -> float:
        return round(self.liquid_capex_usd * crf, 2) if self.liquid_cooling_available else 0.0

    def build_cost_usd_per_mw_year(self, crf: float) -> float:
        return round(self.build_capex_usd_per_mw_it * crf, 2)


SITE_CLASSES: dict[str, SiteClass] = {
    "hyperscale_campus": SiteClass(
        name="hyperscale_campus",
        power_mw=1000.0,
        fixed_capex_usd=150e6,
        fixed_opex_usd_per_year=10e6,
        build_capex_usd_per_mw_it=0.9 * COST_ANCHOR_BUILD_USD_PER_MW,
        liquid_cooling_available=True,
        liquid_capex_usd=40e6,
        max_rack_density_kw=200.0,
        air_cooling_limit_kw=50.0,
        racks_available=20_000,
        description="GW-class campus: large grid connection, liquid cooling, scale economies",
    ),
    "metro_colocation": SiteClass(
        name="metro_colocation",
        power_mw=100.0,
        fixed_capex_usd=25e6,
        fixed_opex_usd_per_year=3e6,
        build_capex_usd_per_mw_it=1.0 * COST_ANCHOR_BUILD_USD_PER_MW,
        liquid_cooling_available=True,
        liquid_capex_usd=10e6,
        max_rack_density_kw=80.0,
        air_cooling_limit_kw=45.0,
        racks_available=3_000,
        description="Metro colocation: mostly air, liquid up to 80 kW/rack, near users",
    ),
    "edge": SiteClass(
        name="edge",
        power_mw=10.0,
        fixed_capex_usd=3e6,
        fixed_opex_usd_per_year=0.5e6,
        build_capex_usd_per_mw_it=1.2 * COST_ANCHOR_BUILD_USD_PER_MW,
        liquid_cooling_available=False,
        liquid_capex_usd=0.0,
        max_rack_density_kw=45.0,
        air_cooling_limit_kw=45.0,
        racks_available=300,
        description="Small edge site in a metro: air only, no large training clusters",
    ),
}

# --- PUE model (ASSUMPTION; inputs are NOAA nClimDiv 1991–2020 statewide CDD, base 65 °F)
PUE_AIR_BASE = 1.12
PUE_AIR_PER_CDD = 8.0e-5  # per °F-degree-day/year: FL (3,579) → 1.41, WA (183) → 1.13
PUE_LIQUID_BASE = 1.08
PUE_LIQUID_PER_CDD = 2.0e-5  # FL → 1.15, WA → 1.08
CLIMATE_PROXY_STATE: dict[str, str] = {"DC": "VA"}
"""States with no nClimDiv series take another state's climate (DC is not in nClimDiv)."""
AK_HI_CLIMATE_FALLBACK = "linear fit of CDD on mean temperature over the 48 states with both"
"""AK and HI have a temperature series but no CDD: CDD = max(0, a + b·T), a and b fitted by
least squares at load time (see :func:`cdd_from_temperature`)."""

# --- Energy price data gap (ASSUMPTION; visible, never silent)
PRICE_GAP_NEIGHBOURS: dict[str, tuple[str, ...]] = {"WY": ("CO", "ID", "MT", "NE", "SD", "UT")}
"""A state without an EIA price takes the MAXIMUM price of these neighbouring states (a
conservative proxy), is flagged on the site and in the scenario description, and triggers a
:class:`DataGapWarning`. ``build_us_scenario(price_gap="exclude")`` drops such sites instead."""

# --- Demand and latency
EXCLUDED_STATE_FIPS = ("72",)  # Puerto Rico: the dataset covers the 50 states + DC
GPUS_PER_1000_PEOPLE = 2.0  # → 662,899 GPUs ≈ 845 MW of inference IT load for 331.4 M people
DEFAULT_SLO_MS = 50.0  # RTT; with route factor 1.87, base 1.7 ms: ≈ 2,630 km great circle
LATENCY_PENALTY_USD_PER_USER_MS_YEAR = 0.1  # λ; reasoning and measured effect: data/README.md
# Fitted (not assumed): weighted least squares on relative error against measured RTTs between
# 25 major US metros (placement.datasets.latency.fit_latency; data/README.md "Latency").
ROUTE_FACTOR = 1.87
FIBER_KM_PER_MS = 204.0
BASE_RTT_MS = 1.7

# --- Economics
HOURS_PER_YEAR = 8760.0
DISCOUNT_RATE = 0.08
LIFETIME_YEARS = 15.0  # facility life for the capital recovery factor (IT hardware excluded)
CARBON_PRICE_USD_PER_TONNE = 0.0  # no US federal carbon price; set one to study it
DEFAULT_UTILISATION = 0.8
TRAINING_UTILISATION = 0.9  # training runs near flat-out
INFERENCE_UTILISATION = 0.6  # diurnal request load

# --- Workloads (public hardware figures; see data/README.md "Workloads")
GB200_NVL72_RACK_KW = 132.0  # ~120 kW commonly quoted; 132 kW = power-shelf capacity (upper)
GB200_NVL72_GPUS_PER_RACK = 72
DGX_H100_KW = 10.2  # NVIDIA DGX H100 user guide: "10.2 kW max"
DGX_H100_GPUS = 8
DGX_H100_PER_RACK = 4  # DGX SuperPOD H100 reference layout: 4 systems per rack → 40.8 kW


def _gb200_cluster(cid: str, gpus: int, name: str) -> TrainingCluster:
    racks = math.ceil(gpus / GB200_NVL72_GPUS_PER_RACK)
    return TrainingCluster(
        id=cid,
        name=name,
        gpus=gpus,
        it_mw=round(racks * GB200_NVL72_RACK_KW / 1000.0, 6),
        rack_density_kw=GB200_NVL72_RACK_KW,
        utilisation=TRAINING_UTILISATION,
    )


def _dgx_h100_cluster(cid: str, gpus: int, name: str) -> TrainingCluster:
    servers = math.ceil(gpus / DGX_H100_GPUS)
    return TrainingCluster(
        id=cid,
        name=name,
        gpus=gpus,
        it_mw=round(servers * DGX_H100_KW / 1000.0, 6),
        rack_density_kw=DGX_H100_PER_RACK * DGX_H100_KW,
        utilisation=TRAINING_UTILISATION,
    )


TRAINING_CLUSTERS: tuple[TrainingCluster, ...] = (
    _gb200_cluster("gb200_100k", 100_000, "100k-GPU GB200 NVL72 (1,389 racks, liquid only)"),
    _dgx_h100_cluster("h100_32k", 32_768, "32k-GPU H100 DGX (4,096 servers, air-coolable)"),
    _dgx_h100_cluster("h100_16k", 16_384, "16k-GPU H100 DGX (2,048 servers, air-coolable)"),
)
"""gb200_100k: 183.3 MW at 132 kW/rack; h100_32k: 41.8 MW; h100_16k: 20.9 MW (40.8 kW/rack)."""

INFERENCE_PROFILE = InferenceProfile(
    gpu_kw=DGX_H100_KW / DGX_H100_GPUS,  # 1.275 kW per GPU incl. its share of the server
    rack_density_kw=DGX_H100_PER_RACK * DGX_H100_KW,  # 40.8 kW per rack, air-coolable
    gpus_per_1000_people=GPUS_PER_1000_PEOPLE,
    utilisation=INFERENCE_UTILISATION,
)

# --- us_small(): a real-data subset for tests
SMALL_SITE_IDS: tuple[str, ...] = (
    "abilene_tx",
    "richland_parish_la",
    "quincy_wa",
    "new_albany_oh",
    "memphis_tn",
    "ashburn_va",
    "dallas_tx",
    "chicago_il",
    "santa_clara_ca",
    "los_angeles_ca",
    "atlanta_ga",
    "secaucus_nj",
    "honolulu_hi",
)
SMALL_REGION_COUNT = 150  # the most populous counties (ties broken by FIPS)


class DataGapWarning(UserWarning):
    """A value missing from the public source was replaced by a named assumption."""


# ============================================================================ locating data
def data_dir() -> Path:
    """The bundled data folder (``data/`` in a checkout, ``placement.bundled`` when installed)."""
    try:
        from importlib.resources import files

        root = Path(str(files(BUNDLED_PACKAGE)))
        if (root / "us_sites.csv").is_file():
            return root
    except (ImportError, TypeError, ValueError):
        pass
    return Path(__file__).resolve().parents[2] / "data"


def _read_csv(relative: str) -> list[dict[str, str]]:
    path = data_dir() / relative
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# ============================================================================ records
@dataclass(frozen=True)
class StateRecord:
    """One state (or DC) from ``state_energy.csv`` and ``state_climate.csv``."""

    code: str
    fips: str
    name: str
    price_usd_per_mwh: float | None  # EIA 2023 industrial; None where the source has none
    carbon_kg_per_mwh: float  # eGRID2023 STCO2RTA converted
    mean_temp_f: float | None  # NOAA nClimDiv 1991–2020
    cdd_65f: float | None  # NOAA nClimDiv 1991–2020; None where the source has none


@dataclass(frozen=True)
class CountyRecord:
    """One county (or equivalent) from the Census 2020 centres of population."""

    fips: str  # 5 digits
    state_fips: str
    county_fips: str
    county: str
    state_name: str
    population: int
    lat: float
    lon: float


@dataclass(frozen=True)
class SiteRecord:
    """A candidate site with every input resolved and the provenance of each value."""

    id: str
    name: str
    state: str
    county_fips5: str
    county_name: str
    site_class: str
    market: str
    lat: float
    lon: float
    price_usd_per_mwh: float
    price_source: str
    carbon_kg_per_mwh: float
    cdd_65f: float
    climate_source: str
    pue_air: float
    pue_liquid: float
    flags: tuple[str, ...]  # named assumptions standing in for missing source data

    @property
    def flagged(self) -> bool:
        return bool(self.flags)


def _float_or_none(text: str) -> float | None:
    text = text.strip()
    return float(text) if text else None


def _cents_to_usd_per_mwh(cents: float | None) -> float | None:
    # Rounded to 1e-6 so that 6.23 ¢/kWh reads 62.3, not 62.300000000000004.
    return None if cents is None else round(cents * CENTS_PER_KWH_TO_USD_PER_MWH, 6)


@lru_cache(maxsize=1)
def state_records() -> Mapping[str, StateRecord]:
    """USPS code → :class:`StateRecord` for the 50 states + DC (read-only)."""
    climate = {row["state"]: row for row in _read_csv("us/state_climate.csv")}
    out: dict[str, StateRecord] = {}
    for row in _read_csv("us/state_energy.csv"):
        code = row["state"]
        cents = _float_or_none(row["industrial_price_cents_kwh"])
        clim = climate[code]
        out[code] = StateRecord(
            code=code,
            fips=row["state_fips"],
            name=row["name"],
            price_usd_per_mwh=_cents_to_usd_per_mwh(cents),
            carbon_kg_per_mwh=round(float(row["co2_lb_per_mwh"]) * KG_PER_LB, 6),
            mean_temp_f=_float_or_none(clim["mean_temp_f_1991_2020"]),
            cdd_65f=_float_or_none(clim["cdd_65f_1991_2020"]),
        )
    return MappingProxyType(out)


@lru_cache(maxsize=1)
def county_records() -> tuple[CountyRecord, ...]:
    """Census 2020 county centres of population for the 50 states + DC (Puerto Rico dropped)."""
    out = []
    for row in _read_csv("us/us_counties_population.csv"):
        if row["STATEFP"] in EXCLUDED_STATE_FIPS:
            continue
        out.append(
            CountyRecord(
                fips=row["STATEFP"] + row["COUNTYFP"],
                state_fips=row["STATEFP"],
                county_fips=row["COUNTYFP"],
                county=row["COUNAME"],
                state_name=row["STNAME"],
                population=int(row["POPULATION"]),
                lat=float(row["LATITUDE"]),
                lon=float(row["LONGITUDE"]),
            )
        )
    return tuple(out)


# ============================================================================ PUE model
def pue_air(cdd_65f: float) -> float:
    """PUE of air-cooled load: ``1.12 + 8e-5 × CDD`` (CDD: annual °F cooling degree days),
    rounded to 1e-6 so that files show 1.34472, not 1.3447200000000001."""
    return round(PUE_AIR_BASE + PUE_AIR_PER_CDD * cdd_65f, 6)


def pue_liquid(cdd_65f: float) -> float:
    """PUE of liquid-cooled load: ``1.08 + 2e-5 × CDD`` (less sensitive to outdoor heat),
    rounded to 1e-6."""
    return round(PUE_LIQUID_BASE + PUE_LIQUID_PER_CDD * cdd_65f, 6)


@lru_cache(maxsize=1)
def _cdd_fit() -> tuple[float, float]:
    """(a, b) of CDD ≈ a + b·T by least squares over states with both values."""
    pairs = [
        (s.mean_temp_f, s.cdd_65f)
        for s in state_records().values()
        if s.mean_temp_f is not None and s.cdd_65f is not None
    ]
    temp = np.array([p[0] for p in pairs])
    cdd = np.array([p[1] for p in pairs])
    slope, intercept = np.polyfit(temp, cdd, 1)
    return float(intercept), float(slope)


def cdd_from_temperature(mean_temp_f: float) -> float:
    """Fallback CDD for states with a temperature but no CDD series (AK, HI): max(0, a + b·T)."""
    intercept, slope = _cdd_fit()
    return max(0.0, intercept + slope * mean_temp_f)


def _state_cdd(code: str) -> tuple[float, str]:
    """CDD for a state and where it came from."""
    states = state_records()
    record = states[code]
    if record.cdd_65f is not None:
        return record.cdd_65f, "NOAA nClimDiv CDD 1991-2020"
    if code in CLIMATE_PROXY_STATE:
        proxy = CLIMATE_PROXY_STATE[code]
        cdd, _ = _state_cdd(proxy)
        return cdd, f"ASSUMPTION: no nClimDiv series for {code}; uses {proxy}'s CDD"
    if record.mean_temp_f is not None:
        intercept, slope = _cdd_fit()
        return cdd_from_temperature(record.mean_temp_f), (
            f"ASSUMPTION: no CDD for {code}; CDD = max(0, {intercept:.1f} + {slope:.2f}·T) "
            f"with T = {record.mean_temp_f} °F (fit over states with both)"
        )
    raise ValueError(f"state {code}: no climate data and no proxy; add one to CLIMATE_PROXY_STATE")


def _state_price(code: str) -> tuple[float, str, str | None]:
    """(USD/MWh, source, flag or None) for a state; gaps filled only by the named rule."""
    states = state_records()
    record = states[code]
    if record.price_usd_per_mwh is not None:
        return record.price_usd_per_mwh, "EIA Electric Power Annual 2023, industrial", None
    neighbours = PRICE_GAP_NEIGHBOURS.get(code)
    if not neighbours:
        raise ValueError(
            f"state {code}: no EIA 2023 industrial price in the bundled source and no named "
            "fallback in PRICE_GAP_NEIGHBOURS; refusing to invent one"
        )
    known = {n: states[n].price_usd_per_mwh for n in neighbours}
    known = {n: p for n, p in known.items() if p is not None}
    worst = max(known, key=lambda n: known[n])
    price = known[worst]
    listed = ", ".join(f"{n} {p:.2f}" for n, p in sorted(known.items()))
    flag = (
        f"ASSUMED PRICE: {record.name} ({code}) has no EIA 2023 industrial price in the bundled "
        f"source; {price:.2f} USD/MWh is the maximum over neighbouring states with data "
        f"({listed} USD/MWh), taken from {worst}"
    )
    return price, f"ASSUMPTION: max of neighbours ({worst})", flag


@lru_cache(maxsize=1)
def site_records() -> tuple[SiteRecord, ...]:
    """Every candidate site in ``data/us_sites.csv``, resolved against the state/county files.

    Raises ``ValueError`` if a site's county is not in the Census file or its name disagrees
    (so a typo in a FIPS code cannot silently move a site).
    """
    counties = {c.fips: c for c in county_records()}
    states = state_records()
    by_fips = {s.fips: s for s in states.values()}
    out = []
    for row in _read_csv("us_sites.csv"):
        fips = row["state_fips"].zfill(2) + row["county_fips"].zfill(3)
        county = counties.get(fips)
        if county is None:
            raise ValueError(f"us_sites.csv: site {row['id']}: county FIPS {fips} not in Census")
        if county.county != row["county_name"]:
            raise ValueError(
                f"us_sites.csv: site {row['id']}: FIPS {fips} is {county.county!r} in the Census "
                f"file, not {row['county_name']!r}"
            )
        state = by_fips[county.state_fips]
        if state.code != row["state"]:
            raise ValueError(
                f"us_sites.csv: site {row['id']}: state {row['state']} != {state.code}"
            )
        if row["site_class"] not in SITE_CLASSES:
            raise ValueError(
                f"us_sites.csv: site {row['id']}: unknown class {row['site_class']!r}; "
                f"expected one of {sorted(SITE_CLASSES)}"
            )
        price, price_source, price_flag = _state_price(state.code)
        cdd, climate_source = _state_cdd(state.code)
        flags = (price_flag,) if price_flag else ()
        out.append(
            SiteRecord(
                id=row["id"],
                name=row["name"],
                state=state.code,
                county_fips5=fips,
                county_name=county.county,
                site_class=row["site_class"],
                market=row["market"],
                lat=county.lat,
                lon=county.lon,
                price_usd_per_mwh=price,
                price_source=price_source,
                carbon_kg_per_mwh=state.carbon_kg_per_mwh,
                cdd_65f=cdd,
                climate_source=climate_source,
                pue_air=pue_air(cdd),
                pue_liquid=pue_liquid(cdd),
                flags=flags,
            )
        )
    return tuple(out)


# ============================================================================ scenario
def _site(record: SiteRecord, crf: float, menus: bool) -> Site:
    cls = SITE_CLASSES[record.site_class]
    name = record.name + (" [ASSUMED PRICE, see data/README.md]" if record.flagged else "")
    legacy = _legacy_site(record, cls, name, crf)
    if not menus:
        return legacy
    financing = ("build", "lease") if us_menus.leases(record.id) else ("build",)
    return legacy.model_copy(
        update={
            # the catalogue prices cooling: the legacy air/liquid fields are not read
            "pue": None,
            "liquid_pue": None,
            "liquid_cooling_available": False,
            "liquid_cooling_cost_usd_per_year": 0.0,
            # the fixed cost split into its capital and operating parts
            "fixed_cost_usd_per_year": cls.fixed_opex_usd_per_year,
            "fixed_capital_usd_per_year": round(cls.fixed_capex_usd * crf, 2),
            "cooling_degree_days": round(record.cdd_65f, 1),
            "cooling": us_menus.site_cooling(record.site_class),
            "hardware": us_menus.site_hardware(record.site_class),
            "financing": financing,
            "lease": us_menus.lease(record.id) if "lease" in financing else None,
        }
    )


def _legacy_site(record: SiteRecord, cls: SiteClass, name: str, crf: float) -> Site:
    return Site(
        id=record.id,
        name=name,
        state=record.state,
        lat=record.lat,
        lon=record.lon,
        power_mw=cls.power_mw,
        energy_price_usd_per_mwh=record.price_usd_per_mwh,
        carbon_kg_per_mwh=record.carbon_kg_per_mwh,
        pue=record.pue_air,
        liquid_pue=record.pue_liquid if cls.liquid_cooling_available else None,
        max_rack_density_kw=cls.max_rack_density_kw,
        air_cooling_limit_kw=cls.air_cooling_limit_kw,
        liquid_cooling_available=cls.liquid_cooling_available,
        liquid_cooling_cost_usd_per_year=cls.liquid_cost_usd_per_year(crf),
        fixed_cost_usd_per_year=cls.fixed_cost_usd_per_year(crf),
        build_cost_usd_per_mw_year=cls.build_cost_usd_per_mw_year(crf),
        racks_available=cls.racks_available,
    )


def _cloud_regions() -> list[Site]:
    """The cloud regions of :data:`us_menus.CLOUD_REGIONS`, at their county's centre."""
    counties = {c.fips: c for c in county_records()}
    by_fips = {s.fips: s for s in state_records().values()}
    out = []
    for region in us_menus.CLOUD_REGIONS:
        county = counties[region.state_fips + region.county_fips]
        state = by_fips[region.state_fips]
        cdd, _ = _state_cdd(state.code)
        out.append(
            Site(
                id=region.id,
                name=region.name,
                state=state.code,
                lat=county.lat,
                lon=county.lon,
                # the instance price covers the building, its energy and cooling; the grid's
                # carbon still counts against the planner's emissions
                carbon_kg_per_mwh=state.carbon_kg_per_mwh,
                cooling_degree_days=round(cdd, 1),
                financing=("cloud",),
                cloud=us_menus.cloud(),
            )
        )
    return out


def _regions(region_count: int | None) -> list[CountyRecord]:
    counties = list(county_records())
    if region_count is None:
        return counties
    ranked = sorted(counties, key=lambda c: (-c.population, c.fips))[:region_count]
    return sorted(ranked, key=lambda c: c.fips)


def build_us_scenario(
    *,
    name: str = "us_default",
    site_ids: Sequence[str] | None = None,
    region_count: int | None = None,
    slo_ms: float | None = DEFAULT_SLO_MS,
    gpus_per_1000_people: float = GPUS_PER_1000_PEOPLE,
    latency_penalty_usd_per_user_ms_year: float = LATENCY_PENALTY_USD_PER_USER_MS_YEAR,
    carbon_price_usd_per_tonne: float = CARBON_PRICE_USD_PER_TONNE,
    discount_rate: float = DISCOUNT_RATE,
    lifetime_years: float = LIFETIME_YEARS,
    price_gap: Literal["neighbour_max", "exclude"] = "neighbour_max",
    training: Iterable[TrainingCluster] | None = None,
    menus: bool = True,
    cloud_regions: bool = True,
) -> Scenario:
    """Build a US scenario from the bundled data.

    Args:
        site_ids: candidate sites to keep (default: all of ``data/us_sites.csv``), in file order.
        region_count: keep only the N most populous counties (default: all 3,143).
        slo_ms: default RTT SLO of every region (None: no SLO, every pair eligible).
        price_gap: ``neighbour_max`` keeps a site whose state has no EIA price, at the maximum
            price of its neighbours, flagged and warned (:class:`DataGapWarning`);
            ``exclude`` drops such sites and says so in the description.
        training: the training clusters (default: :data:`TRAINING_CLUSTERS` without menus,
            the jobs of :data:`us_menus.TRAINING_JOBS` with their GB200/H100 options with them).
        menus: the decision menus of :mod:`placement.datasets.us_menus` (cooling
            technologies, inference hardware, colocation leases, GB200/H100 training options);
            False gives the legacy model (air/liquid per site, one GPU type, build only).
        cloud_regions: with menus, add the cloud regions of :data:`us_menus.CLOUD_REGIONS`.

    The remaining arguments override the named defaults of this module.
    """
    if price_gap not in ("neighbour_max", "exclude"):
        raise ValueError(f"price_gap = {price_gap!r}: expected 'neighbour_max' or 'exclude'")
    crf = capital_recovery_factor(discount_rate, lifetime_years)
    records, notes = _candidate_records(site_ids, price_gap)
    regions = [
        Region(
            id=c.fips,
            name=f"{c.county}, {c.state_name}",
            lat=c.lat,
            lon=c.lon,
            population=float(c.population),
        )
        for c in _regions(region_count)
    ]
    profile = INFERENCE_PROFILE.model_copy(update={"gpus_per_1000_people": gpus_per_1000_people})
    if menus:
        profile = profile.model_copy(
            update={
                "work_unit": us_menus.WORK_UNIT,
                "work_per_user": gpus_per_1000_people / 1000.0,
                "gpus_per_1000_people": 0.0,
            }
        )
    if training is None:
        training = _menu_training() if menus else TRAINING_CLUSTERS
    economics = Economics(
        hours_per_year=HOURS_PER_YEAR,
        utilisation=DEFAULT_UTILISATION,
        latency_penalty_usd_per_user_ms_year=latency_penalty_usd_per_user_ms_year,
        carbon_price_usd_per_tonne=carbon_price_usd_per_tonne,
        discount_rate=discount_rate,
        lifetime_years=lifetime_years,
    )
    network = NetworkSettings(
        route_factor=ROUTE_FACTOR,
        fiber_km_per_ms=FIBER_KM_PER_MS,
        base_rtt_ms=BASE_RTT_MS,
        distance="great_circle",
        default_slo_ms=slo_ms,
    )
    description = _description(records, regions, gpus_per_1000_people, slo_ms, economics)
    if notes:
        description += " " + " ".join(notes)
    scenario = Scenario(
        name=name,
        description=description,
        sites=tuple(_site(r, crf, menus) for r in records)
        + tuple(_cloud_regions() if menus and cloud_regions else ()),
        regions=tuple(regions),
        training=tuple(training),
        inference=profile,
        cooling_technologies=us_menus.COOLING_TECHNOLOGIES if menus else (),
        hardware=us_menus.hardware() if menus else (),
        economics=economics,
        network=network,
        rules=Rules(),
    )
    _warn_uncovered(scenario)
    return scenario


def _candidate_records(
    site_ids: Sequence[str] | None, price_gap: str
) -> tuple[list[SiteRecord], list[str]]:
    """The sites kept (in file order) and the data-gap notes for the description."""
    records = list(site_records())
    if site_ids is not None:
        known = {r.id for r in records}
        missing = [s for s in site_ids if s not in known]
        if missing:
            raise ValueError(f"site_ids: {missing} are not sites of data/us_sites.csv")
        wanted = set(site_ids)
        records = [r for r in records if r.id in wanted]
    notes: list[str] = []
    flagged = [r for r in records if r.flagged]
    if flagged and price_gap == "exclude":
        records = [r for r in records if not r.flagged]
        notes.append(
            "DATA GAP: sites without a source energy price were EXCLUDED: "
            + ", ".join(r.id for r in flagged)
            + "."
        )
    elif flagged:
        for record in flagged:
            message = f"site {record.id}: {'; '.join(record.flags)} (see data/README.md)"
            warnings.warn(message, DataGapWarning, stacklevel=4)
            notes.append("DATA GAP: " + message + ".")
    if not records:
        raise ValueError("no candidate sites left after filtering")
    return records, notes


def _description(
    records: list[SiteRecord],
    regions: list[Region],
    gpus_per_1000_people: float,
    slo_ms: float | None,
    economics: Economics,
) -> str:
    population = sum(r.population for r in regions)
    return (
        f"US dataset from public data: {len(records)} candidate sites at real data-center "
        f"markets (coordinates = Census 2020 county centre of population of the market's "
        f"county); {len(regions):,} demand regions = Census 2020 county centres of population "
        f"(50 states + DC, {population:,.0f} people); energy price = EIA 2023 industrial "
        f"price by state; carbon = eGRID2023 state CO2 output rate; PUE from NOAA nClimDiv "
        f"1991-2020 CDD (air {PUE_AIR_BASE} + {PUE_AIR_PER_CDD:g}·CDD, liquid "
        f"{PUE_LIQUID_BASE} + {PUE_LIQUID_PER_CDD:g}·CDD); inference "
        f"{gpus_per_1000_people:g} H100-class GPUs per 1,000 people; SLO "
        f"{'none' if slo_ms is None else f'{slo_ms:g} ms RTT'}; λ = "
        f"{economics.latency_penalty_usd_per_user_ms_year:g} USD/user·ms·yr. Site classes, "
        f"costs and other assumptions are named in data/README.md."
    )


def _menu_training() -> tuple[TrainingCluster, ...]:
    return tuple(
        TrainingCluster(id=cid, name=name, options=us_menus.training_options(gpus))
        for cid, name, gpus in us_menus.TRAINING_JOBS
    )


def _warn_uncovered(scenario: Scenario) -> None:
    """Warn (never fail) if some region has no candidate site inside its SLO."""
    if scenario.network.default_slo_ms is None or not scenario.regions:
        return
    from placement.model.latency import nearest_rtt_ms  # same RTT model as the optimiser

    nearest = nearest_rtt_ms(scenario)
    slo = np.array([scenario.region_slo_ms(r) or math.inf for r in scenario.regions])
    bad = np.flatnonzero(nearest > slo)
    if bad.size:
        names = ", ".join(scenario.regions[j].id for j in bad[:10])
        warnings.warn(
            f"{bad.size} region(s) have no candidate site within their SLO "
            f"(first: {names}); the scenario will be diagnosed infeasible",
            UserWarning,
            stacklevel=3,
        )


def us_default(menus: bool = True) -> Scenario:
    """All candidate sites and all 3,143 counties (50 states + DC) with the named defaults;
    ``menus=False`` gives the pre-menu model (one GPU type, air/liquid, build only)."""
    return build_us_scenario(name="us_default", menus=menus)


def us_small(menus: bool = True) -> Scenario:
    """13 sites and the 150 most populous counties: the same data and defaults, for tests."""
    return build_us_scenario(
        name="us_small", site_ids=SMALL_SITE_IDS, region_count=SMALL_REGION_COUNT, menus=menus
    )
