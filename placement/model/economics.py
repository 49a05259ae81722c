"""The domain rules, each in one place: cooling, where a workload fits, and what it costs.

Every rule is written once with numpy broadcasting, so the same function serves a single site
and a single cluster (floats in, a numpy scalar out) and the whole site × cluster table (arrays
in, an array out). :mod:`placement.model.data` builds the model's coefficients from the
vectorised form; diagnosis and the reports call the scalar form through the small wrappers at
the end of this module. :func:`placement.verify` deliberately does *not* use this module: it
re-derives every rule with its own plain arithmetic.

Rules (site i, workload w at rack density δ_w kW per rack, IT load MW_w, utilisation u_w)::

    liquid needed     L_iw = δ_w > air_limit_i
    PUE               PUE_iw = liquid_pue_i if L_iw else pue_i
    facility power    F_iw = PUE_iw · MW_w
    fits              δ_w ≤ max_density_i  and  (not L_iw or liquid_available_i)
                      and F_iw ≤ power_i · (1 + 1e-12)  and  racks_w ≤ racks_i  and i not forbidden
    energy rate       ρ_i = H · price_i,  carbon rate  κ_i = H · P · carbon_kg_i / 1000
                      (USD per facility-MW per year at full load; H hours, P USD per tonne)
    running cost      build  = MW_w · build_cost_i
                      energy = F_iw · u_w · ρ_i,   carbon = F_iw · u_w · κ_i
    carbon emitted    F_iw · u_w · H · carbon_kg_i / 1000 tonnes per year
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from placement.model.schema import Scenario, Site, TrainingCluster

POWER_RTOL = 1e-12
"""Relative slack on a site's power when testing whether a workload fits it at all."""

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


# ====================================================================== rules (broadcasting)
def needs_liquid(rack_density_kw: ArrayLike, air_cooling_limit_kw: ArrayLike) -> Any:
    """Liquid cooling is needed where the rack density exceeds the site's air-cooling limit."""
    return np.greater(rack_density_kw, air_cooling_limit_kw)


def pue_of(liquid: ArrayLike, air_pue: ArrayLike, liquid_pue: ArrayLike) -> Any:
    """The PUE a workload runs at: the liquid PUE where it is liquid-cooled, else the air PUE."""
    return np.where(liquid, liquid_pue, air_pue)


def density_fits(rack_density_kw: ArrayLike, max_rack_density_kw: ArrayLike) -> Any:
    """The site can host racks this dense."""
    return np.less_equal(rack_density_kw, max_rack_density_kw)


def cooling_possible(liquid: ArrayLike, liquid_cooling_available: ArrayLike) -> Any:
    """Air-cooled load fits any site; liquid-cooled load needs a site that may build it."""
    return np.logical_or(np.logical_not(liquid), liquid_cooling_available)


def power_fits(facility_mw: ArrayLike, power_mw: ArrayLike) -> Any:
    """The workload alone fits in the site's grid power (with :data:`POWER_RTOL` slack)."""
    return np.less_equal(facility_mw, np.multiply(power_mw, 1.0 + POWER_RTOL))


def space_fits(racks: ArrayLike, racks_available: ArrayLike) -> Any:
    """The workload alone fits in the site's rack positions (``inf``: no limit)."""
    return np.less_equal(racks, racks_available)


def energy_rates(scenario: Scenario, price: ArrayLike, carbon_kg_per_mwh: ArrayLike) -> Any:
    """(ρ, κ): energy and carbon USD per facility-MW per year at full utilisation."""
    econ = scenario.economics
    hours = econ.hours_per_year
    energy = np.multiply(hours, price)
    carbon = hours * econ.carbon_price_usd_per_tonne * np.divide(carbon_kg_per_mwh, 1000.0)
    return energy, carbon


def carbon_tonnes(
    scenario: Scenario, facility_mw: ArrayLike, utilisation: ArrayLike, carbon_kg: ArrayLike
) -> Any:
    """Tonnes of CO2 per year of a facility load at a utilisation."""
    mwh = np.multiply(np.multiply(facility_mw, utilisation), scenario.economics.hours_per_year)
    return mwh * np.divide(carbon_kg, 1000.0)


@dataclass(frozen=True)
class RunningCost:
    """Annual running cost of IT load at a site, USD per year, by component."""

    build: Any
    energy: Any
    carbon: Any

    @property
    def total(self) -> Any:
        return self.build + self.energy + self.carbon


def running_cost(
    scenario: Scenario,
    it_mw: ArrayLike,
    facility_mw: ArrayLike,
    utilisation: ArrayLike,
    build_cost_usd_per_mw_year: ArrayLike,
    price: ArrayLike,
    carbon_kg_per_mwh: ArrayLike,
) -> RunningCost:
    """Build (per IT MW) + energy and carbon (per facility MWh) of IT load at a site."""
    rho, kappa = energy_rates(scenario, price, carbon_kg_per_mwh)
    mwh_factor = np.multiply(facility_mw, utilisation)
    return RunningCost(
        build=np.multiply(it_mw, build_cost_usd_per_mw_year),
        energy=mwh_factor * rho,
        carbon=mwh_factor * kappa,
    )


# ====================================================================== site table
@dataclass(frozen=True)
class SiteTable:
    """The per-site fields the rules read, as arrays indexed by site position."""

    power_mw: FloatArray
    price: FloatArray
    carbon_kg_per_mwh: FloatArray
    pue: FloatArray
    liquid_pue: FloatArray
    max_rack_density_kw: FloatArray
    air_cooling_limit_kw: FloatArray
    liquid_cooling_available: BoolArray
    build_cost_usd_per_mw_year: FloatArray
    racks_available: FloatArray  # inf where no limit
    allowed: BoolArray  # False for forbidden sites

    @classmethod
    def of(cls, scenario: Scenario, sites: tuple[Site, ...] | None = None) -> SiteTable:
        """The table of ``sites`` (default: every site of the scenario)."""
        sites = scenario.sites if sites is None else sites
        forbidden = set(scenario.rules.forbidden)

        def col(name: str) -> FloatArray:
            return np.array([getattr(s, name) for s in sites], dtype=float)

        return cls(
            power_mw=col("power_mw"),
            price=col("energy_price_usd_per_mwh"),
            carbon_kg_per_mwh=col("carbon_kg_per_mwh"),
            pue=col("pue"),
            liquid_pue=col("effective_liquid_pue"),
            max_rack_density_kw=col("max_rack_density_kw"),
            air_cooling_limit_kw=col("air_cooling_limit_kw"),
            liquid_cooling_available=np.array(
                [s.liquid_cooling_available for s in sites], dtype=bool
            ),
            build_cost_usd_per_mw_year=col("build_cost_usd_per_mw_year"),
            racks_available=np.array(
                [np.inf if s.racks_available is None else s.racks_available for s in sites],
                dtype=float,
            ),
            allowed=np.array([s.id not in forbidden for s in sites], dtype=bool),
        )

    def column(self, name: str) -> FloatArray:
        """A field as a column vector (n_sites, 1), to broadcast against workloads."""
        return getattr(self, name)[:, None]


@dataclass(frozen=True)
class Placement:
    """Workloads (columns) against sites (rows): cooling, power, fit and running cost."""

    liquid: BoolArray
    pue: FloatArray
    facility_mw: FloatArray
    fits: BoolArray
    cost: RunningCost


def place(
    scenario: Scenario,
    table: SiteTable,
    it_mw: ArrayLike,
    rack_density_kw: ArrayLike,
    racks: ArrayLike,
    utilisation: ArrayLike,
) -> Placement:
    """Every rule of the module for workloads (1-D arrays, one entry each) at every site.

    Arrays of the result have shape (n_sites, n_workloads).
    """
    it = np.atleast_1d(np.asarray(it_mw, dtype=float))[None, :]
    density = np.atleast_1d(np.asarray(rack_density_kw, dtype=float))[None, :]
    rack_count = np.atleast_1d(np.asarray(racks, dtype=float))[None, :]
    util = np.atleast_1d(np.asarray(utilisation, dtype=float))[None, :]
    liquid = needs_liquid(density, table.column("air_cooling_limit_kw"))
    pue = pue_of(liquid, table.column("pue"), table.column("liquid_pue"))
    facility = pue * it
    fits = (
        density_fits(density, table.column("max_rack_density_kw"))
        & cooling_possible(liquid, table.column("liquid_cooling_available"))
        & power_fits(facility, table.column("power_mw"))
        & space_fits(rack_count, table.column("racks_available"))
        & table.column("allowed")
    )
    cost = running_cost(
        scenario,
        it,
        facility,
        util,
        table.column("build_cost_usd_per_mw_year"),
        table.column("price"),
        table.column("carbon_kg_per_mwh"),
    )
    return Placement(liquid=liquid, pue=pue, facility_mw=facility, fits=fits, cost=cost)


# ====================================================================== scalar forms
def training_utilisation(scenario: Scenario, cluster: TrainingCluster) -> float:
    """A cluster's own utilisation, else the scenario's default."""
    return cluster.utilisation or scenario.economics.utilisation


def place_cluster_at(scenario: Scenario, table: SiteTable, cluster: TrainingCluster) -> Placement:
    """:func:`place` for one cluster at every site of ``table`` (arrays of shape (n, 1))."""
    return place(
        scenario,
        table,
        cluster.it_mw,
        cluster.rack_density_kw,
        cluster.racks,
        training_utilisation(scenario, cluster),
    )


def place_cluster(scenario: Scenario, cluster: TrainingCluster, site: Site) -> Placement:
    """:func:`place` for one cluster at one site (arrays of shape (1, 1))."""
    return place_cluster_at(scenario, SiteTable.of(scenario, (site,)), cluster)


def cluster_needs_liquid(cluster: TrainingCluster, site: Site) -> bool:
    """Whether the cluster needs liquid cooling at the site."""
    return bool(needs_liquid(cluster.rack_density_kw, site.air_cooling_limit_kw))


def cluster_pue(cluster: TrainingCluster, site: Site) -> float:
    """The PUE the cluster runs at, at the site."""
    liquid = needs_liquid(cluster.rack_density_kw, site.air_cooling_limit_kw)
    return float(pue_of(liquid, site.pue, site.effective_liquid_pue))


def cluster_fits(cluster: TrainingCluster, site: Site, scenario: Scenario) -> bool:
    """Whether the cluster could sit at the site alone (density, cooling, power, space, rules)."""
    return bool(place_cluster(scenario, cluster, site).fits[0, 0])


def training_cost_usd_per_year(scenario: Scenario, cluster: TrainingCluster, site: Site) -> float:
    """Build + energy + carbon of running the cluster at the site (no fixed or liquid cost)."""
    return float(place_cluster(scenario, cluster, site).cost.total[0, 0])
