"""The decision menus of the bundled US scenario: cooling, hardware, financing, training options.

Published figures name their source; everything else is a **named assumption**, mirrored in
the menu section of ``data/README.md``. Money in USD (2024–2026 figures), capital annualised by
the scenario's discount rate over the facility lifetime (buildings, cooling) or the IT lifetime
(:data:`IT_LIFETIME_YEARS`, hardware).

Inference work is counted in **H100-equivalents**: the serving throughput one H100 SXM GPU
delivers on the reference model. Demand stays the dataset's 2 H100-equivalents per 1,000
people at peak (``work_per_user`` = 0.002), so the menu changes *how* demand is met, not how
much of it there is; each hardware type's throughput is stated in the same unit.
"""

from __future__ import annotations

from dataclasses import dataclass

from placement.model.menus import (
    Cloud,
    CoolingTechnology,
    InferenceHardware,
    Lease,
    SiteCooling,
    TrainingOption,
)

IT_LIFETIME_YEARS = 5.0  # ASSUMPTION: servers depreciated over five years
WORK_UNIT = "H100-equivalent"
WORK_PER_USER = 0.002  # ASSUMPTION (the dataset's 2 GPUs per 1,000 people, as H100-eq)

# ============================================================================ cooling
# PUE models: air and direct-to-chip are the dataset's existing air and liquid models (NOAA
# CDD through PUE = base + slope × CDD); rear-door and immersion are ASSUMPTIONS placed between
# and below them. Density ranges: direct-to-chip 50–200 kW/rack and PUE 1.1–1.2 as reported in
# vendor-neutral comparisons (fluxtherm.com.au, "Direct-to-Chip vs Immersion Cooling", 2025);
# immersion reaches a partial PUE near 1.01 (build.inc, "Direct-to-Chip Liquid Cooling for
# Data Centers", 2026). Capital figures are ASSUMPTIONS (no public per-MW figure was found):
# the air plant is inside the build cost anchor (Cushman & Wakefield 2025 includes cooling).
AIR_LIMIT_KW = 45.0
"""ASSUMPTION (the legacy rule): racks up to 45 kW stay in air; only denser racks choose among
rear-door, direct-to-chip and immersion cooling."""

COOLING_TECHNOLOGIES: tuple[CoolingTechnology, ...] = (
    CoolingTechnology(
        id="air",
        name="air (CRAH, hot-aisle containment)",
        max_rack_density_kw=AIR_LIMIT_KW,
        pue_base=1.12,
        pue_per_cdd=8.0e-5,
    ),
    CoolingTechnology(
        id="rear_door",
        min_rack_density_kw=AIR_LIMIT_KW,
        name="rear-door heat exchangers (hybrid air/water)",
        max_rack_density_kw=60.0,
        pue_base=1.10,
        pue_per_cdd=5.0e-5,
        capital_usd_per_mw=0.25e6,
        fixed_capital_usd=2e6,
    ),
    CoolingTechnology(
        id="direct_to_chip",
        min_rack_density_kw=AIR_LIMIT_KW,
        name="direct-to-chip liquid (cold plates, CDUs)",
        liquid=True,
        max_rack_density_kw=200.0,
        pue_base=1.08,
        pue_per_cdd=2.0e-5,
        capital_usd_per_mw=0.4e6,
        fixed_capital_usd=10e6,
    ),
    CoolingTechnology(
        id="immersion",
        min_rack_density_kw=AIR_LIMIT_KW,
        name="single-phase immersion",
        liquid=True,
        max_rack_density_kw=250.0,
        pue_base=1.03,
        pue_per_cdd=1.0e-5,
        capital_usd_per_mw=0.8e6,
        fixed_capital_usd=15e6,
    ),
)
"""The cooling menu (ASSUMPTIONS except where a source is named above)."""

RETROFIT_CAPITAL_FACTOR = 1.3  # ASSUMPTION: liquid loops added to an existing metro building


def site_cooling(site_class: str) -> tuple[SiteCooling | str, ...]:
    """What each class of site can install."""
    if site_class == "hyperscale_campus":
        return ("air", "rear_door", "direct_to_chip", "immersion")
    if site_class == "metro_colocation":
        retrofit = SiteCooling(
            technology="direct_to_chip", install="retrofit", capital_factor=RETROFIT_CAPITAL_FACTOR
        )
        return ("air", "rear_door", retrofit)
    return ("air",)


# ============================================================================ hardware
@dataclass(frozen=True)
class _Server:
    id: str
    name: str
    h100_equivalents: float
    kw: float
    per_rack: int
    capital_usd: float
    service_ms: float


# DGX H100: 10.2 kW max (NVIDIA DGX H100 user guide), 8 GPUs, 4 per rack (the dataset's
# existing figures). L40S: 350 W per GPU (NVIDIA L40S datasheet); the server draw, its
# H100-equivalents (≈ the FP8 tensor throughput ratio, 733 vs 1,979 dense TFLOPS in the two
# datasheets, rounded to 0.35 per GPU) and the CPU server's figures are ASSUMPTIONS, as are all
# prices and service times (a slower device answers each request later).
SERVERS: tuple[_Server, ...] = (
    _Server("h100_server", "8× H100 SXM server (DGX H100 class)", 8.0, 10.2, 4, 300_000.0, 0.0),
    _Server("l40s_server", "8× L40S inference server", 2.8, 4.8, 4, 100_000.0, 6.0),
    _Server("cpu_server", "2-socket CPU inference server", 0.08, 1.0, 12, 25_000.0, 25.0),
)


def hardware() -> tuple[InferenceHardware, ...]:
    """The inference hardware menu, throughput in H100-equivalents per server."""
    return tuple(
        InferenceHardware(
            id=s.id,
            name=s.name,
            throughput_per_unit=s.h100_equivalents,
            kw_per_unit=s.kw,
            rack_density_kw=s.kw * s.per_rack,
            capital_usd_per_unit=s.capital_usd,
            lifetime_years=IT_LIFETIME_YEARS,
            service_time_ms=s.service_ms,
        )
        for s in SERVERS
    )


# ============================================================================ training options
GB200_NVL72_RACK_USD = 3.0e6  # ASSUMPTION: one NVL72 rack, installed
GB200_TO_H100_TRAINING = 2.5  # ASSUMPTION: one GB200 does the training work of 2.5 H100s


def training_options(h100_equivalent_gpus: int) -> tuple[TrainingOption, ...]:
    """A training job as GB200 NVL72 racks (liquid only) or as DGX H100 servers (air-coolable).

    The job needs ``h100_equivalent_gpus`` H100s, or that divided by
    :data:`GB200_TO_H100_TRAINING` GB200s. Rack and server figures as in
    :mod:`placement.datasets.us`; hardware capital per :data:`SERVERS` and
    :data:`GB200_NVL72_RACK_USD`."""
    from placement.datasets.us import (
        DGX_H100_GPUS,
        DGX_H100_KW,
        DGX_H100_PER_RACK,
        GB200_NVL72_GPUS_PER_RACK,
        GB200_NVL72_RACK_KW,
        TRAINING_UTILISATION,
    )

    servers = -(-h100_equivalent_gpus // DGX_H100_GPUS)
    gb200_gpus = round(h100_equivalent_gpus / GB200_TO_H100_TRAINING)
    racks = -(-gb200_gpus // GB200_NVL72_GPUS_PER_RACK)
    return (
        TrainingOption(
            id="gb200",
            name=f"{gb200_gpus:,} GB200 in {racks:,} NVL72 racks (liquid only)",
            gpus=gb200_gpus,
            it_mw=round(racks * GB200_NVL72_RACK_KW / 1000.0, 6),
            rack_density_kw=GB200_NVL72_RACK_KW,
            utilisation=TRAINING_UTILISATION,
            capital_usd=racks * GB200_NVL72_RACK_USD,
            lifetime_years=IT_LIFETIME_YEARS,
        ),
        TrainingOption(
            id="h100",
            name=f"{h100_equivalent_gpus:,} H100 in {servers:,} DGX servers (air-coolable)",
            gpus=h100_equivalent_gpus,
            it_mw=round(servers * DGX_H100_KW / 1000.0, 6),
            rack_density_kw=DGX_H100_PER_RACK * DGX_H100_KW,
            utilisation=TRAINING_UTILISATION,
            capital_usd=servers * SERVERS[0].capital_usd,
            lifetime_years=IT_LIFETIME_YEARS,
        ),
    )


# The dataset's three training jobs, in H100-equivalent GPUs: the 100k-GB200 frontier run
# (250k H100-equivalents by GB200_TO_H100_TRAINING) and the two H100 clusters.
TRAINING_JOBS: tuple[tuple[str, str, int], ...] = (
    ("gb200_100k", "frontier training run (100k GB200 or 250k H100)", 250_000),
    ("h100_32k", "training cluster of 32k H100 (or GB200 equivalent)", 32_768),
    ("h100_16k", "training cluster of 16k H100 (or GB200 equivalent)", 16_384),
)


# ============================================================================ financing
# Colocation rents, USD per kW-month. Published: CBRE, "Data Center Asking Rents Surged as Much
# as 54% Over Eight Months" (March 2024), Q1 2024 asking rents for 3–10+ MW requirements:
# Silicon Valley $170–200, Northern Virginia $135–160, Chicago $125–140, Dallas-Ft. Worth
# $125–135, Phoenix $130–170 (midpoints used); every other market: CBRE, "North America Data
# Center Trends H2 2024" (Feb 2025), average asking rate for 250–500 kW across primary markets,
# $184.06.
LEASE_USD_PER_KW_MONTH: dict[str, float] = {
    "santa_clara_ca": 185.0,
    "ashburn_va": 147.5,
    "chicago_il": 132.5,
    "dallas_tx": 130.0,
    "phoenix_az": 150.0,
}
LEASE_DEFAULT_USD_PER_KW_MONTH = 184.06
LEASE_MAX_IT_MW = 30.0  # ASSUMPTION: what one colocation provider can lease in a market
LEASE_MAX_DENSITY_KW = 60.0  # ASSUMPTION: air and rear-door halls


def leases(site_id: str) -> bool:
    """Whether the bundled scenario offers a colocation lease here: in the five markets with
    a published per-market asking rent (above)."""
    return site_id in LEASE_USD_PER_KW_MONTH


def lease(site_id: str) -> Lease:
    return Lease(
        usd_per_kw_month=LEASE_USD_PER_KW_MONTH.get(site_id, LEASE_DEFAULT_USD_PER_KW_MONTH),
        max_it_mw=LEASE_MAX_IT_MW,
        max_rack_density_kw=LEASE_MAX_DENSITY_KW,
        cooling=("air", "rear_door"),
    )


# Cloud: H100 on-demand ≈ $3.90 per GPU-hour on AWS P5 after the June 2025 price cut
# (costnimbus.com, "GPU Cost Management for ML Teams", March 2026; AWS announced up to 45 % off
# P5 in June 2025) → $31.20 per 8-GPU server-hour. L40S and CPU prices are ASSUMPTIONS. Quotas
# are ASSUMPTIONS (what a planner could reserve in one region).
CLOUD_USD_PER_UNIT_HOUR: dict[str, float] = {
    "h100_server": 8 * 3.90,
    "l40s_server": 8 * 1.80,
    "cpu_server": 3.00,
}
CLOUD_QUOTA_UNITS: dict[str, float] = {"h100_server": 2000.0, "l40s_server": 4000.0}


@dataclass(frozen=True)
class CloudRegion:
    id: str
    name: str
    state_fips: str
    county_fips: str
    county: str


# Locations of public cloud regions (the providers' published region pages): AWS us-east-1
# (Northern Virginia), Google us-central1 (Council Bluffs, Iowa), Google us-west1 (The Dalles,
# Oregon), Azure South Central US (San Antonio, Texas). Placed at the county's centre of
# population, as every other site.
CLOUD_REGIONS: tuple[CloudRegion, ...] = (
    CloudRegion("cloud_us_east", "Cloud region, Northern Virginia", "51", "107", "Loudoun"),
    CloudRegion(
        "cloud_us_central", "Cloud region, Council Bluffs, IA", "19", "155", "Pottawattamie"
    ),
    CloudRegion("cloud_us_west", "Cloud region, The Dalles, OR", "41", "065", "Wasco"),
    CloudRegion("cloud_us_south", "Cloud region, San Antonio, TX", "48", "029", "Bexar"),
)


def cloud() -> Cloud:
    return Cloud(usd_per_unit_hour=CLOUD_USD_PER_UNIT_HOUR, quota_units=CLOUD_QUOTA_UNITS)


SITE_HARDWARE: dict[str, tuple[str, ...]] = {
    "hyperscale_campus": ("h100_server",),
    "metro_colocation": ("h100_server", "l40s_server"),
    "edge": ("l40s_server", "cpu_server"),
}
"""ASSUMPTION: what each class of site hosts. Campuses run inference on the dense servers of
their training fleet; edge sites take small, air-cooled servers; cloud regions rent all three."""


def site_hardware(site_class: str) -> tuple[str, ...] | None:
    """Hardware a class of site hosts (None: all)."""
    return SITE_HARDWARE.get(site_class)
