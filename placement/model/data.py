"""The arrays a formulation sees: eligible pairs and their cost coefficients.

Sites i, regions j, training clusters k. With H hours, u utilisation, p_i the energy price,
e_i the carbon rate (kg/MWh), P the carbon price (USD/t), b_i the annualised build cost per MW:

    energy rate   ρ_i = H · (p_i + P · e_i / 1000)            USD per facility-MW per year at u=1
    training      cost_ik = MW_k · (b_i + PUE_ik · u_k · ρ_i)
    inference     cost_ij = MW_j · (b_i + PUE_i · u_inf · ρ_i) + λ · users_j · RTT_ij + pair_ij

PUE_ik is the site's liquid PUE when cluster k's rack density exceeds the site's air-cooling
limit (so k needs liquid cooling there) and its air PUE otherwise. These rules, and which
workload fits which site, live in :mod:`placement.model.economics`.

A training pair (i, k) exists only where k can go at all: density ≤ the site's maximum, liquid
cooling available if k needs it, PUE_ik · MW_k ≤ power_i, racks_k ≤ racks_i, site not forbidden.
A serving pair (i, j) exists only where RTT_ij ≤ SLO_j and inference fits the site's density
and cooling. Both prunings are exact: a removed pair can take no positive value in any feasible
solution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from placement.model import economics
from placement.model.pairs import eligible_pairs
from placement.model.schema import Scenario


@dataclass(frozen=True)
class SiteArrays:
    """Per-site data, indexed by site position."""

    power_mw: np.ndarray
    fixed_cost: np.ndarray
    liquid_cost: np.ndarray
    liquid_allowed: np.ndarray  # bool
    racks: np.ndarray  # inf where no limit
    open_lb: np.ndarray  # 1 for existing / must-open
    open_ub: np.ndarray  # 0 for forbidden


@dataclass(frozen=True)
class PairArrays:
    """A family of (site, other) pairs with per-pair coefficients (per unit of the variable)."""

    site: np.ndarray  # int64 site index
    other: np.ndarray  # int64 cluster or region index
    facility_mw: np.ndarray  # PUE · IT MW drawn when the variable is 1
    racks: np.ndarray
    needs_liquid: np.ndarray  # bool
    cost: np.ndarray  # total objective coefficient
    build: np.ndarray
    energy: np.ndarray
    carbon_cost: np.ndarray
    carbon_t: np.ndarray  # tonnes CO2 per year
    latency: np.ndarray  # λ · users · RTT (zero for training)
    pair_cost: np.ndarray  # explicit pair cost (zero for training)
    rtt_ms: np.ndarray  # RTT (zero for training)

    def __len__(self) -> int:
        return int(self.site.size)


@dataclass(frozen=True)
class ModelData:
    """Everything a formulation needs, as numpy arrays."""

    scenario: Scenario
    sites: SiteArrays
    training: PairArrays
    serving: PairArrays
    cluster_it_mw: np.ndarray
    region_demand_mw: np.ndarray
    region_users: np.ndarray
    unserved_cost: np.ndarray | None  # USD per unit share unserved; None = hard demand
    max_share: float

    @property
    def n_sites(self) -> int:
        return len(self.scenario.sites)

    @property
    def n_regions(self) -> int:
        return len(self.scenario.regions)

    @property
    def n_clusters(self) -> int:
        return len(self.scenario.training)

    @property
    def site_ids(self) -> list[str]:
        return [s.id for s in self.scenario.sites]

    @property
    def region_ids(self) -> list[str]:
        return [r.id for r in self.scenario.regions]

    @property
    def cluster_ids(self) -> list[str]:
        return [c.id for c in self.scenario.training]


def build_model_data(scenario: Scenario) -> ModelData:
    """Prune pairs exactly and compute every coefficient, vectorised."""
    table = economics.SiteTable.of(scenario)
    sites = _site_arrays(scenario, table)
    demand_mw = np.array([scenario.region_demand_mw(r) for r in scenario.regions], dtype=float)
    users = np.array([r.population for r in scenario.regions], dtype=float)
    penalty = scenario.economics.unserved_penalty_usd_per_mw_year
    return ModelData(
        scenario=scenario,
        sites=sites,
        training=_training_pairs(scenario, table),
        serving=_serving_pairs(scenario, table, demand_mw, users),
        cluster_it_mw=np.array([c.it_mw for c in scenario.training], dtype=float),
        region_demand_mw=demand_mw,
        region_users=users,
        unserved_cost=None if penalty is None else demand_mw * penalty,
        max_share=scenario.rules.max_share_per_site,
    )


def _site_arrays(scenario: Scenario, table: economics.SiteTable) -> SiteArrays:
    index = scenario.site_index()
    open_lb = np.zeros(len(scenario.sites))
    for sid in (*scenario.rules.must_open, *scenario.rules.existing):
        open_lb[index[sid]] = 1.0
    return SiteArrays(
        power_mw=table.power_mw,
        fixed_cost=_field(scenario, "fixed_cost_usd_per_year"),
        liquid_cost=_field(scenario, "liquid_cooling_cost_usd_per_year"),
        liquid_allowed=table.liquid_cooling_available,
        racks=table.racks_available,
        open_lb=open_lb,
        open_ub=table.allowed.astype(float),
    )


def _field(scenario: Scenario, name: str) -> np.ndarray:
    return np.array([getattr(s, name) for s in scenario.sites], dtype=float)


def _training_pairs(scenario: Scenario, table: economics.SiteTable) -> PairArrays:
    if not scenario.training:
        return _empty_pairs()
    clusters = scenario.training
    racks = np.array([c.racks for c in clusters], dtype=float)
    util = np.array([economics.training_utilisation(scenario, c) for c in clusters])
    placed = economics.place(
        scenario,
        table,
        it_mw=[c.it_mw for c in clusters],
        rack_density_kw=[c.rack_density_kw for c in clusters],
        racks=racks,
        utilisation=util,
    )
    i, k = np.nonzero(placed.fits)
    facility = placed.facility_mw[i, k]
    build, energy = placed.cost.build[i, k], placed.cost.energy[i, k]
    carbon_cost = placed.cost.carbon[i, k]
    zeros = np.zeros(i.size)
    return PairArrays(
        site=i.astype(np.int64),
        other=k.astype(np.int64),
        facility_mw=facility,
        racks=racks[k],
        needs_liquid=placed.liquid[i, k],
        cost=build + energy + carbon_cost,
        build=build,
        energy=energy,
        carbon_cost=carbon_cost,
        carbon_t=economics.carbon_tonnes(scenario, facility, util[k], table.carbon_kg_per_mwh[i]),
        latency=zeros,
        pair_cost=zeros,
        rtt_ms=zeros,
    )


def _serving_pairs(
    scenario: Scenario, table: economics.SiteTable, demand_mw: np.ndarray, users: np.ndarray
) -> PairArrays:
    if not scenario.regions:
        return _empty_pairs()
    pairs = eligible_pairs(scenario)
    density = scenario.inference.rack_density_kw
    liquid = economics.needs_liquid(density, table.air_cooling_limit_kw)
    site_ok = (
        economics.density_fits(density, table.max_rack_density_kw)
        & economics.cooling_possible(liquid, table.liquid_cooling_available)
        & table.allowed
    )
    keep = site_ok[pairs.site]
    i = pairs.site[keep].astype(np.int64)
    j = pairs.region[keep].astype(np.int64)
    rtt = pairs.rtt_ms[keep].astype(float)
    pue = economics.pue_of(liquid, table.pue, table.liquid_pue)
    util = scenario.inference_utilisation
    mw = demand_mw[j]
    facility = pue[i] * mw
    cost = economics.running_cost(
        scenario,
        mw,
        facility,
        util,
        table.build_cost_usd_per_mw_year[i],
        table.price[i],
        table.carbon_kg_per_mwh[i],
    )
    latency = scenario.economics.latency_penalty_usd_per_user_ms_year * users[j] * rtt
    pair_cost = _explicit_pair_costs(scenario, i, j)
    return PairArrays(
        site=i,
        other=j,
        facility_mw=facility,
        racks=mw * 1000.0 / density,
        needs_liquid=liquid[i],
        cost=cost.build + cost.energy + cost.carbon + latency + pair_cost,
        build=cost.build,
        energy=cost.energy,
        carbon_cost=cost.carbon,
        carbon_t=economics.carbon_tonnes(scenario, facility, util, table.carbon_kg_per_mwh[i]),
        latency=latency,
        pair_cost=pair_cost,
        rtt_ms=rtt,
    )


def _explicit_pair_costs(scenario: Scenario, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Look up {site: {region: cost}} for the pairs (i, j); missing pairs cost 0."""
    table = scenario.pair_costs_usd_per_year
    if not table:
        return np.zeros(i.size)
    n_regions = len(scenario.regions)
    site_index, region_index = scenario.site_index(), scenario.region_index()
    keys, values = [], []
    for sid, row in table.items():
        si = site_index[sid] * n_regions
        keys.extend(si + region_index[rid] for rid in row)
        values.extend(row.values())
    keys_arr = np.asarray(keys, dtype=np.int64)
    order = np.argsort(keys_arr)
    keys_arr, values_arr = keys_arr[order], np.asarray(values, dtype=float)[order]
    wanted = i * n_regions + j
    pos = np.searchsorted(keys_arr, wanted)
    pos_clipped = np.minimum(pos, max(keys_arr.size - 1, 0))
    found = (pos < keys_arr.size) & (keys_arr[pos_clipped] == wanted)
    return np.where(found, values_arr[pos_clipped], 0.0)


def _empty_pairs() -> PairArrays:
    e_int = np.empty(0, dtype=np.int64)
    e = np.empty(0, dtype=float)
    return PairArrays(e_int, e_int, e, e, np.empty(0, dtype=bool), e, e, e, e, e, e, e, e)
