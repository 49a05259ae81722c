"""The scenario's menus, read again for verification in plain Python (no model code).

What a facility (a site in one financing mode) costs and holds, which cooling technologies it
has with their density range, PUE and costs, and what a piece of inference hardware does.
This deliberately repeats, in the simplest form, the rules :mod:`placement.model.offer` and
:mod:`placement.model.economics` encode for the optimiser: if the two disagree, ``verify``
reports a violation.
"""

from __future__ import annotations

from dataclasses import dataclass

from placement.model.schema import Scenario, Site


def crf(rate: float, years: float) -> float:
    """Capital recovery factor r(1+r)^n / ((1+r)^n − 1), 1/n at r = 0."""
    if rate == 0:
        return 1.0 / years
    if rate < 1e-6:  # (1+r)^n − 1 cancels: the series 1/n · (1 + r(n+1)/2 + …) to O(r²)
        return (1.0 + rate * (years + 1.0) / 2.0) / years
    growth = (1.0 + rate) ** years
    return rate * growth / (growth - 1.0)


@dataclass(frozen=True)
class Facility:
    fixed_opex: float
    fixed_capital: float
    capacity: float | None  # build: facility MW; lease: IT MW; cloud: None
    capacity_is_it: bool
    racks: float | None
    rent_per_mw: float
    build_per_mw: float
    pays_energy: bool


@dataclass(frozen=True)
class Tech:
    id: str
    liquid: bool
    lo: float  # exclusive
    hi: float  # inclusive
    pue: float
    fixed_opex: float
    fixed_capital: float
    capital_per_mw: float

    def holds(self, density: float) -> bool:
        return self.lo < density <= self.hi


@dataclass(frozen=True)
class Hw:
    id: str
    kw_per_unit: float
    throughput: float
    density: float
    capital_per_unit_year: float
    service_ms: float


def facility(scenario: Scenario, site: Site, mode: str) -> Facility:
    if mode == "build":
        return Facility(
            fixed_opex=site.fixed_cost_usd_per_year,
            fixed_capital=site.fixed_capital_usd_per_year,
            capacity=site.power_mw,
            capacity_is_it=False,
            racks=None if site.racks_available is None else float(site.racks_available),
            rent_per_mw=0.0,
            build_per_mw=site.build_cost_usd_per_mw_year,
            pays_energy=True,
        )
    if mode == "lease":
        lease = site.lease
        assert lease is not None
        return Facility(
            fixed_opex=lease.fixed_cost_usd_per_year,
            fixed_capital=0.0,
            capacity=lease.max_it_mw,
            capacity_is_it=True,
            racks=None,
            rent_per_mw=lease.usd_per_kw_month * 12_000.0,
            build_per_mw=0.0,
            pays_energy=not lease.energy_included,
        )
    return Facility(0.0, 0.0, None, False, None, 0.0, 0.0, False)


def technologies(scenario: Scenario, site: Site, mode: str) -> dict[str, Tech]:
    """The cooling technologies of a site in a financing mode, by id."""
    if mode == "cloud":
        assert site.cloud is not None
        return {"cloud": Tech("cloud", False, 0.0, float("inf"), site.cloud.pue, 0.0, 0.0, 0.0)}
    top = site.max_rack_density_kw
    if mode == "lease":
        assert site.lease is not None
        top = min(top, site.lease.max_rack_density_kw)
    if not scenario.cooling_technologies:
        return _legacy(site, mode, top)
    rate = scenario.economics.discount_rate
    factor_crf = crf(rate, scenario.economics.lifetime_years)
    catalogue = {t.id: t for t in scenario.cooling_technologies}
    entries = {}
    for entry in site.cooling if site.cooling is not None else list(catalogue):
        if isinstance(entry, str):
            entries[entry] = (1.0, None)
        else:
            entries[entry.technology] = (entry.capital_factor, entry.pue)
    if mode == "lease" and site.lease is not None and site.lease.cooling is not None:
        entries = {t: entries.get(t, (1.0, None)) for t in site.lease.cooling}
    out = {}
    for tid, (factor, measured) in entries.items():
        tech = catalogue[tid]
        if tech.min_rack_density_kw >= top:
            continue
        if measured is not None:
            pue = measured
        else:
            cdd = site.cooling_degree_days or 0.0
            pue = tech.pue_base + tech.pue_per_cdd * cdd
        own = mode == "build"
        out[tid] = Tech(
            id=tid,
            liquid=tech.liquid,
            lo=tech.min_rack_density_kw,
            hi=min(tech.max_rack_density_kw, top),
            pue=pue,
            fixed_opex=tech.fixed_cost_usd_per_year if own else 0.0,
            fixed_capital=tech.fixed_capital_usd * factor * factor_crf if own else 0.0,
            capital_per_mw=tech.capital_usd_per_mw * factor * factor_crf if own else 0.0,
        )
    return out


def _legacy(site: Site, mode: str, top: float) -> dict[str, Tech]:
    """Air up to the air limit; liquid above it (where allowed) at its annualised cost."""
    out = {"air": Tech("air", False, 0.0, min(site.air_cooling_limit_kw, top), site.pue, 0, 0, 0)}
    if site.liquid_cooling_available and site.air_cooling_limit_kw < top:
        pue = site.pue if site.liquid_pue is None else site.liquid_pue
        capital = site.liquid_cooling_cost_usd_per_year if mode == "build" else 0.0
        out["liquid"] = Tech("liquid", True, site.air_cooling_limit_kw, top, pue, 0.0, capital, 0)
    return out


def hardware(scenario: Scenario) -> dict[str, Hw]:
    """Inference hardware by id; without a catalogue the profile's GPU (1 work unit = 1 GPU)."""
    rate = scenario.economics.discount_rate
    if not scenario.hardware:
        p = scenario.inference
        return {"gpu": Hw("gpu", p.gpu_kw, 1.0, p.rack_density_kw, 0.0, 0.0)}
    return {
        h.id: Hw(
            h.id,
            h.kw_per_unit,
            h.throughput_per_unit,
            h.rack_density_kw,
            h.capital_usd_per_unit * crf(rate, h.lifetime_years),
            h.service_time_ms,
        )
        for h in scenario.hardware
    }


def hosts_hardware(scenario: Scenario, site: Site, mode: str, hw: Hw) -> bool:
    """Whether the facility may run the hardware at all."""
    if mode == "cloud":
        return site.cloud is not None and hw.id in site.cloud.usd_per_unit_hour
    if site.hardware is not None and hw.id not in site.hardware:
        return False
    return any(t.holds(hw.density) for t in technologies(scenario, site, mode).values())


def work(scenario: Scenario, region) -> float:
    """A region's demand in work units (GPUs without a hardware catalogue)."""
    if scenario.hardware:
        if region.demand_work is not None:
            return region.demand_work
        return region.population * scenario.inference.work_per_user
    if region.demand_mw is not None:
        return region.demand_mw * 1000.0 / scenario.inference.gpu_kw
    if region.demand_gpus is not None:
        return region.demand_gpus
    return region.population * scenario.inference.gpus_per_1000_people / 1000.0


def unserved_penalty_per_work(scenario: Scenario) -> float | None:
    econ = scenario.economics
    if scenario.hardware:
        return econ.unserved_penalty_usd_per_work_year
    if econ.unserved_penalty_usd_per_mw_year is None:
        return None
    return econ.unserved_penalty_usd_per_mw_year * scenario.inference.gpu_kw / 1000.0
