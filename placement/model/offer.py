"""What a scenario offers, resolved into arrays: facilities, their cooling options, hardware.

* A **facility** f is a site offering one financing mode: ``build`` (the site's own capital,
  grid power and racks), ``lease`` (colocation: rent per kW-month, an IT MW and a density
  limit) or ``cloud`` (hardware by the unit-hour, energy included). A site offering two modes
  is two candidate facilities at one place.
* A **cooling option** s is a technology a facility can use: its density range
  (min, max], PUE there, and its costs. A scenario without a catalogue gets the legacy
  two-entry menu from each site's fields: ``air`` (density ≤ air limit, the site's PUE, free)
  and ``liquid`` (air limit < density ≤ site maximum, the liquid PUE, the liquid-cooling cost,
  where the site allows it), which is exactly today's air/liquid rule. A cloud facility has
  one pseudo-option ``cloud`` (the provider's: any density, energy included).
* **Hardware** h: the inference catalogue, or (without one) one GPU type from the inference
  profile whose work unit is one GPU, which reproduces the legacy MW demand exactly.

Annualised capital uses the capital recovery factor CRF(r, n) of the scenario's discount rate
r over the lifetime n (facility lifetime for buildings and cooling, the hardware's own for IT).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from placement.model.menus import InferenceHardware, SiteCooling
from placement.model.schema import Scenario, Site, capital_recovery_factor

LEGACY_HARDWARE = "gpu"
LEGACY_AIR, LEGACY_LIQUID, CLOUD_COOLING = "air", "liquid", "cloud"
BUILD, LEASE, CLOUD = "build", "lease", "cloud"
MONTHS_PER_YEAR = 12.0


@dataclass(frozen=True)
class Facilities:
    """Candidate facilities (site × financing mode), indexed by f."""

    site: np.ndarray  # int: index into scenario.sites
    mode: np.ndarray  # str: build | lease | cloud
    fixed_cost: np.ndarray  # operating USD/yr while open
    fixed_capital: np.ndarray  # annualised capital USD/yr while open
    capacity: np.ndarray  # build: facility MW; lease: IT MW; cloud: inf
    racks: np.ndarray  # inf where no limit
    rent_per_mw: np.ndarray  # lease: USD per IT MW-year; else 0
    build_per_mw: np.ndarray  # build: annualised capital per IT MW-year; else 0
    pays_energy: np.ndarray  # bool: energy (and carbon price) billed at the site's price
    open_lb: np.ndarray  # 1: existing / must open
    open_ub: np.ndarray  # 0: forbidden

    def __len__(self) -> int:
        return int(self.site.size)


@dataclass(frozen=True)
class CoolingOptions:
    """Cooling technologies per facility, indexed by s."""

    facility: np.ndarray  # int
    technology: np.ndarray  # str id
    liquid: np.ndarray  # bool
    min_density: np.ndarray  # exclusive, kW/rack
    max_density: np.ndarray  # inclusive, kW/rack
    pue: np.ndarray
    fixed_cost: np.ndarray  # operating USD/yr while installed
    fixed_capital: np.ndarray  # annualised capital USD/yr while installed
    capital_per_mw: np.ndarray  # annualised capital per IT MW-year of load in it
    install: np.ndarray  # str: new_build | retrofit | legacy | provider

    def __len__(self) -> int:
        return int(self.facility.size)

    @property
    def fixed(self) -> np.ndarray:
        """USD/yr of installing the option, whatever its load."""
        return self.fixed_cost + self.fixed_capital

    def supports(self, density: np.ndarray) -> np.ndarray:
        """(n_options, n_densities) bool: min < density ≤ max."""
        d = np.asarray(density, dtype=float)[None, :]
        return (self.min_density[:, None] < d) & (d <= self.max_density[:, None])


@dataclass(frozen=True)
class Hardware:
    """Inference hardware, indexed by h."""

    id: tuple[str, ...]
    mw_per_work: np.ndarray  # IT MW per work unit at peak
    units_per_work: np.ndarray  # units per work unit
    density: np.ndarray  # kW per rack
    capital_per_unit_year: np.ndarray  # annualised capital per unit
    service_ms: np.ndarray

    def __len__(self) -> int:
        return len(self.id)

    def index(self) -> dict[str, int]:
        return {h: k for k, h in enumerate(self.id)}


@dataclass(frozen=True)
class Offer:
    """Everything on offer, resolved."""

    facilities: Facilities
    cooling: CoolingOptions
    hardware: Hardware
    hardware_at: np.ndarray  # (n_facilities, n_hardware) bool: the facility may host it
    cloud_price: np.ndarray  # (n_facilities, n_hardware) USD per unit-hour (nan: not sold)
    cloud_quota: np.ndarray  # (n_facilities, n_hardware) units (inf: no quota)


def resolve(scenario: Scenario) -> Offer:
    """Facilities, cooling options and hardware of ``scenario`` as arrays."""
    facilities = _facilities(scenario)
    hardware = _hardware(scenario)
    return Offer(
        facilities=facilities,
        cooling=_cooling_options(scenario, facilities),
        hardware=hardware,
        hardware_at=_hardware_at(scenario, facilities, hardware),
        cloud_price=_cloud_table(scenario, facilities, hardware, "usd_per_unit_hour", np.nan),
        cloud_quota=_cloud_table(scenario, facilities, hardware, "quota_units", np.inf),
    )


def hardware_catalogue(scenario: Scenario) -> tuple[InferenceHardware, ...]:
    """The scenario's inference hardware, or the legacy single GPU type (work unit: 1 GPU)."""
    if scenario.hardware:
        return scenario.hardware
    profile = scenario.inference
    return (
        InferenceHardware(
            id=LEGACY_HARDWARE,
            name="inference GPU (the profile's)",
            throughput_per_unit=1.0,
            kw_per_unit=profile.gpu_kw,
            rack_density_kw=profile.rack_density_kw,
        ),
    )


# ---------------------------------------------------------------------------- facilities
def _facilities(scenario: Scenario) -> Facilities:
    crf = scenario.economics.capital_recovery_factor
    forbidden = set(scenario.rules.forbidden)
    forced = set(scenario.rules.must_open) | set(scenario.rules.existing)
    rows: list[tuple] = []
    for i, site in enumerate(scenario.sites):
        for mode in site.financing:
            rows.append((i, mode, *_facility_terms(site, mode, crf)))
    columns = list(zip(*rows, strict=True)) if rows else [()] * 9
    site_index = np.array(columns[0], dtype=np.int64)
    mode = np.array(columns[1], dtype=object)
    sites = scenario.sites
    open_ub = np.array([sites[i].id not in forbidden for i in site_index], dtype=float)
    first_mode = _first_facility_of_site(site_index)
    open_lb = np.array(
        [sites[i].id in forced and first for i, first in zip(site_index, first_mode, strict=True)],
        dtype=float,
    )
    return Facilities(
        site=site_index,
        mode=mode,
        fixed_cost=np.array(columns[2], dtype=float),
        fixed_capital=np.array(columns[3], dtype=float),
        capacity=np.array(columns[4], dtype=float),
        racks=np.array(columns[5], dtype=float),
        rent_per_mw=np.array(columns[6], dtype=float),
        build_per_mw=np.array(columns[7], dtype=float),
        pays_energy=np.array(columns[8], dtype=bool),
        open_lb=open_lb,
        open_ub=open_ub,
    )


def _first_facility_of_site(site_index: np.ndarray) -> np.ndarray:
    """True at each site's first facility (must_open / existing fix that one open)."""
    first = np.ones(site_index.size, dtype=bool)
    first[1:] = site_index[1:] != site_index[:-1]
    return first


def _facility_terms(site: Site, mode: str, crf: float) -> tuple:
    """(fixed opex, fixed capital, capacity, racks, rent/MW, build/MW, pays energy)."""
    if mode == BUILD:
        racks = np.inf if site.racks_available is None else float(site.racks_available)
        return (
            site.fixed_cost_usd_per_year,
            site.fixed_capital_usd_per_year,
            site.power_mw,
            racks,
            0.0,
            site.build_cost_usd_per_mw_year,
            True,
        )
    if mode == LEASE:
        lease = site.lease
        assert lease is not None
        rent = lease.usd_per_kw_month * 1000.0 * MONTHS_PER_YEAR
        return (
            lease.fixed_cost_usd_per_year,
            0.0,
            lease.max_it_mw,
            np.inf,
            rent,
            0.0,
            not lease.energy_included,
        )
    return (0.0, 0.0, np.inf, np.inf, 0.0, 0.0, False)


# ---------------------------------------------------------------------------- cooling
def _cooling_options(scenario: Scenario, facilities: Facilities) -> CoolingOptions:
    crf = scenario.economics.capital_recovery_factor
    rows: list[tuple] = []
    for f, (i, mode) in enumerate(zip(facilities.site, facilities.mode, strict=True)):
        site = scenario.sites[int(i)]
        if mode == CLOUD:
            assert site.cloud is not None  # the provider's PUE: carbon accounting only
            rows.append(
                (f, CLOUD_COOLING, False, 0.0, np.inf, site.cloud.pue, 0.0, 0.0, 0.0, "provider")
            )
        elif not scenario.cooling_technologies:
            rows.extend((f, *row) for row in _legacy_cooling(site, mode))
        else:
            rows.extend((f, *row) for row in _catalogue_cooling(scenario, site, mode, crf))
    columns = list(zip(*rows, strict=True)) if rows else [()] * 10
    return CoolingOptions(
        facility=np.array(columns[0], dtype=np.int64),
        technology=np.array(columns[1], dtype=object),
        liquid=np.array(columns[2], dtype=bool),
        min_density=np.array(columns[3], dtype=float),
        max_density=np.array(columns[4], dtype=float),
        pue=np.array(columns[5], dtype=float),
        fixed_cost=np.array(columns[6], dtype=float),
        fixed_capital=np.array(columns[7], dtype=float),
        capital_per_mw=np.array(columns[8], dtype=float),
        install=np.array(columns[9], dtype=object),
    )


def _legacy_cooling(site: Site, mode: str) -> list[tuple]:
    """Air up to the air limit; liquid above it up to the site maximum, where allowed.

    Rows: (technology, liquid, min density, max density, PUE, fixed opex, fixed capital,
    capital per MW, install). The legacy liquid-cooling cost is annualised capital.
    """
    top = site.max_rack_density_kw
    if mode == LEASE:
        assert site.lease is not None
        top = min(top, site.lease.max_rack_density_kw)
    air_top = min(site.air_cooling_limit_kw, top)
    out = [(LEGACY_AIR, False, 0.0, air_top, site.pue, 0.0, 0.0, 0.0, "legacy")]
    if site.liquid_cooling_available and site.air_cooling_limit_kw < top:
        capital = site.liquid_cooling_cost_usd_per_year if mode == BUILD else 0.0
        liquid_pue = site.effective_liquid_pue
        out.append(
            (LEGACY_LIQUID, True, site.air_cooling_limit_kw, top, liquid_pue, 0.0, capital, 0.0,
             "legacy")
        )  # fmt: skip
    return out


def _catalogue_cooling(scenario: Scenario, site: Site, mode: str, crf: float) -> list[tuple]:
    catalogue = {t.id: t for t in scenario.cooling_technologies}
    entries = _site_cooling(site, catalogue)
    top = site.max_rack_density_kw
    if mode == LEASE:
        assert site.lease is not None
        top = min(top, site.lease.max_rack_density_kw)
        if site.lease.cooling is not None:
            offered = set(site.lease.cooling)
            entries = [e for e in entries if e.technology in offered] or [
                SiteCooling(technology=t) for t in site.lease.cooling
            ]
    out = []
    for entry in entries:
        tech = catalogue[entry.technology]
        if tech.min_rack_density_kw >= top:
            continue
        pue = entry.pue if entry.pue is not None else _climate_pue(site, tech)
        factor = entry.capital_factor
        own_capital = mode == BUILD  # a lease's cooling is the provider's capital
        out.append(
            (
                tech.id,
                tech.liquid,
                tech.min_rack_density_kw,
                min(tech.max_rack_density_kw, top),
                pue,
                tech.fixed_cost_usd_per_year if own_capital else 0.0,
                tech.fixed_capital_usd * factor * crf if own_capital else 0.0,
                tech.capital_usd_per_mw * factor * crf if own_capital else 0.0,
                entry.install if own_capital else "provider",
            )
        )
    return out


def _site_cooling(site: Site, catalogue: dict) -> list[SiteCooling]:
    if site.cooling is None:
        return [SiteCooling(technology=t) for t in catalogue]
    return [SiteCooling(technology=c) if isinstance(c, str) else c for c in site.cooling]


def _climate_pue(site: Site, tech) -> float:
    if tech.pue_per_cdd == 0:
        return tech.pue_base
    if site.cooling_degree_days is None:
        raise ValueError(
            f"sites[{site.id}].cooling_degree_days is needed for the PUE of cooling technology "
            f"{tech.id!r} (pue_per_cdd = {tech.pue_per_cdd:g}); give it, or a measured pue in "
            "the site's cooling entry"
        )
    return tech.pue_base + tech.pue_per_cdd * site.cooling_degree_days


# ---------------------------------------------------------------------------- hardware
def _hardware(scenario: Scenario) -> Hardware:
    catalogue = hardware_catalogue(scenario)
    rate = scenario.economics.discount_rate
    return Hardware(
        id=tuple(h.id for h in catalogue),
        mw_per_work=np.array([h.kw_per_unit / h.throughput_per_unit / 1000.0 for h in catalogue]),
        units_per_work=np.array([1.0 / h.throughput_per_unit for h in catalogue]),
        density=np.array([h.rack_density_kw for h in catalogue]),
        capital_per_unit_year=np.array(
            [
                h.capital_usd_per_unit * capital_recovery_factor(rate, h.lifetime_years)
                for h in catalogue
            ]
        ),
        service_ms=np.array([h.service_time_ms for h in catalogue]),
    )


def _hardware_at(scenario: Scenario, facilities: Facilities, hardware: Hardware) -> np.ndarray:
    index = hardware.index()
    out = np.zeros((len(facilities), len(hardware)), dtype=bool)
    for f, (i, mode) in enumerate(zip(facilities.site, facilities.mode, strict=True)):
        site = scenario.sites[int(i)]
        if mode == CLOUD:
            assert site.cloud is not None
            for hw in site.cloud.usd_per_unit_hour:
                if hw in index:
                    out[f, index[hw]] = True
        elif site.hardware is None:
            out[f, :] = True
        else:
            out[f, [index[hw] for hw in site.hardware]] = True
    return out


def _cloud_table(
    scenario: Scenario, facilities: Facilities, hardware: Hardware, field: str, missing: float
) -> np.ndarray:
    index = hardware.index()
    out = np.full((len(facilities), len(hardware)), missing)
    for f, (i, mode) in enumerate(zip(facilities.site, facilities.mode, strict=True)):
        cloud = scenario.sites[int(i)].cloud
        if mode != CLOUD or cloud is None:
            continue
        for hw, value in getattr(cloud, field).items():
            if hw in index:
                out[f, index[hw]] = value
    return out


def training_cloud_price(scenario: Scenario, site: Site, hardware_id: str) -> float | None:
    """USD per unit-hour of a training option's cloud hardware at a cloud site (None: not sold)."""
    if site.cloud is None:
        return None
    return site.cloud.usd_per_unit_hour.get(hardware_id)
