"""The arrays a formulation sees: facilities, cooling options, eligible pairs, coefficients.

Facilities f (a site × a financing mode), cooling options s (a technology at a facility),
regions j, training clusters k with options o, inference hardware h (see
:mod:`placement.model.offer`). With H hours, u utilisation, p_i the energy price and e_i the
carbon rate (kg/MWh) of the facility's site i, P the carbon price (USD/t)::

    energy rate   ρ_i = H · p_i,   carbon rate  κ_i = H · P · e_i / 1000   (per facility-MW·yr)
    training pair (f, k, o, s):  MW_o · (b_f + r_f + c_s) + K_o
                                 + [pays_f] · PUE_s · MW_o · u_o · (ρ_i + κ_i) + cloud_o
    serving pair  (f, j, h):     W_j · (m_h · (b_f + r_f) + a_h) + cloud_fh · W_j · …
                                 + λ · users_j · (RTT_ij + t_h) + pair_ij
                                 (+ the cooling terms below when one option can host h at f)
    split (f, h, s):             per IT MW of h in s: c_s + [pays_f] · PUE_s · u · (ρ_i + κ_i)

where b_f is the annualised build capital per IT MW (build facilities), r_f the lease rent
per IT MW-year, c_s the cooling capital per MW, K_o / a_h the annualised hardware capital
(per cluster option; per work unit), W_j the region's work, m_h the IT MW per work unit, t_h
the hardware's service time, cloud prices per unit-hour × H × u. Where more than one cooling
option at f can host hardware h, the serving pairs carry no cooling terms and *split*
variables y_fhs (IT MW of h in s) carry them, tied by Σ_s y_fhs = Σ_j MW_fjh · serve_fjh.

Eligibility, all exact: a training pair exists where option o fits the cooling option's
density range, the facility's power (build: PUE · MW ≤ power) or lease capacity, its racks,
and the site is not forbidden (cloud: the option's instance type is sold there, within quota);
a serving pair exists where RTT_ij + t_h ≤ SLO_j, the facility may host h and some cooling
option there supports h's density. The domain rules live in :mod:`placement.model.economics`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from placement.model import economics
from placement.model.menus import TrainingOption
from placement.model.offer import BUILD, CLOUD, LEASE, Offer, resolve
from placement.model.pairs import eligible_pairs
from placement.model.resilience import FailureGraph, failure_graph, spare_terms
from placement.model.schema import Scenario, capital_recovery_factor
from placement.model.soft_rules import pair_limit_ms, soft_power_price, soft_slo_penalty

COST_PARTS = ("build", "cooling", "hardware", "lease", "cloud", "energy", "carbon_cost")
"""Cost components a pair or split variable carries (USD/yr per unit of the variable)."""
CAPITAL_PARTS = ("build", "cooling", "hardware")


@dataclass(frozen=True)
class FacilityArrays:
    """Per-facility data, indexed by facility position (see :class:`placement.model.offer`)."""

    site: np.ndarray  # int: the facility's site
    mode: np.ndarray  # str: build | lease | cloud
    fixed_cost: np.ndarray  # operating USD/yr while open
    fixed_capital: np.ndarray  # annualised capital USD/yr while open
    capacity: np.ndarray  # build: facility MW; lease: IT MW; inf: none
    racks: np.ndarray  # inf where no limit
    open_lb: np.ndarray
    open_ub: np.ndarray

    def __len__(self) -> int:
        return int(self.site.size)

    @property
    def fixed(self) -> np.ndarray:
        return self.fixed_cost + self.fixed_capital


@dataclass(frozen=True)
class CoolingArrays:
    """Cooling options (a technology at a facility), indexed by s."""

    facility: np.ndarray
    technology: np.ndarray  # str
    liquid: np.ndarray  # bool
    fixed_cost: np.ndarray  # operating USD/yr while installed
    fixed_capital: np.ndarray  # annualised capital USD/yr while installed
    pue: np.ndarray

    def __len__(self) -> int:
        return int(self.facility.size)

    @property
    def fixed(self) -> np.ndarray:
        return self.fixed_cost + self.fixed_capital

    @property
    def needs_install(self) -> np.ndarray:
        """Options with a fixed cost get an install decision; free ones need only open."""
        return self.fixed > 0


@dataclass(frozen=True)
class PairArrays:
    """A family of variables with per-unit coefficients (pairs or split variables).

    ``site`` is the facility index, ``other`` the cluster / region / hardware index, ``option``
    the training option or hardware index, ``tech`` the cooling option the load sits in (−1 for
    serving pairs whose load is split over several options), ``cooling`` the option whose
    install decision the variable needs (−1: a free option needs only the facility open).
    """

    site: np.ndarray  # int64: facility
    other: np.ndarray  # int64: cluster, region or hardware
    option: np.ndarray  # int64: training option (global index) or hardware
    cooling: np.ndarray  # int64: cooling option to install first, −1: none needed (or split)
    tech: np.ndarray  # int64: cooling option the load sits in, −1 where split over several
    facility_mw: np.ndarray  # facility MW drawn (PUE · IT MW) per unit; carbon accounting
    capacity_use: np.ndarray  # use of the facility's capacity row per unit
    it_mw: np.ndarray  # IT MW per unit
    units: np.ndarray  # hardware units per unit (serving, cloud training)
    racks: np.ndarray
    needs_liquid: np.ndarray  # bool: the cooling option it needs is a liquid technology
    build: np.ndarray
    cooling_cost: np.ndarray
    hardware: np.ndarray
    lease: np.ndarray
    cloud: np.ndarray
    energy: np.ndarray
    carbon_cost: np.ndarray
    carbon_t: np.ndarray  # tonnes CO2 per year
    latency: np.ndarray  # λ · users · (RTT + service time)
    pair_cost: np.ndarray
    rtt_ms: np.ndarray
    service_ms: np.ndarray
    slo_penalty: np.ndarray  # soft SLO: price · users · (latency − SLO)⁺ per unit share

    def __len__(self) -> int:
        return int(self.site.size)

    def per(self, scale: float) -> PairArrays:
        """The same variables counted in units of ``scale`` (every per-unit figure × scale)."""
        fixed = ("site", "other", "option", "cooling", "tech", "needs_liquid", "rtt_ms",
                 "service_ms")  # fmt: skip
        return dataclasses.replace(
            self,
            **{
                f.name: getattr(self, f.name) * scale
                for f in dataclasses.fields(self)
                if f.name not in fixed
            },
        )

    @property
    def cost(self) -> np.ndarray:
        """The objective coefficient: every cost part, the latency and soft-SLO penalties and
        pair costs."""
        return (
            self.build
            + self.cooling_cost
            + self.hardware
            + self.lease
            + self.cloud
            + self.energy
            + self.carbon_cost
            + self.latency
            + self.pair_cost
            + self.slo_penalty
        )

    @property
    def capital(self) -> np.ndarray:
        """The annualised-capital part of the coefficient."""
        return self.build + self.cooling_cost + self.hardware


@dataclass(frozen=True)
class ModelData:
    """Everything a formulation needs, as numpy arrays."""

    scenario: Scenario
    offer: Offer
    sites: FacilityArrays  # facilities (a site offering one financing mode)
    cooling: CoolingArrays
    training: PairArrays  # (facility, cluster, option, cooling)
    serving: PairArrays  # (facility, region, hardware)
    split: PairArrays  # (facility, hardware, cooling): IT MW of h in s at f
    training_options: tuple[TrainingOption, ...]  # every cluster's options, flattened
    option_cluster: np.ndarray  # cluster of each flattened option
    region_work: np.ndarray
    region_users: np.ndarray
    unserved_cost: np.ndarray | None  # USD per unit share unserved; None = hard demand
    max_share: float
    # Add-ons, empty unless the scenario asks for them (rules.resilience, a cluster's split):
    failures: FailureGraph | None = None  # N-1: capacity nodes and the failure graph
    spare: PairArrays = field(default_factory=lambda: empty_pairs())  # (f, h, s) spare work
    spare_upper: np.ndarray = field(default_factory=lambda: np.empty(0))
    parts: PairArrays = field(default_factory=lambda: empty_pairs())  # split clusters' parts

    @property
    def work_scale(self) -> float:
        """S, the largest region's work (1 without demand): N-1's capacity and spare variables
        count in units of S, so their coefficients stay near 1 beside the shares."""
        largest = float(self.region_work.max(initial=0.0))
        return largest if largest > 0 else 1.0

    @property
    def n_sites(self) -> int:
        """Facilities (sites × financing modes offered)."""
        return len(self.sites)

    @property
    def n_regions(self) -> int:
        return len(self.scenario.regions)

    @property
    def n_clusters(self) -> int:
        return len(self.scenario.training)

    @property
    def facility_ids(self) -> list[str]:
        """``site`` for a site's only (build) facility, ``site/mode`` where a site has more."""
        ids = [s.id for s in self.scenario.sites]
        single = {i: len(s.financing) == 1 for i, s in enumerate(self.scenario.sites)}
        return [
            ids[i] if single[i] and m == BUILD else f"{ids[i]}/{m}"
            for i, m in zip(self.sites.site.tolist(), self.sites.mode, strict=True)
        ]

    @property
    def site_ids(self) -> list[str]:
        """Names of the facility rows (see :attr:`facility_ids`)."""
        return self.facility_ids

    @property
    def region_ids(self) -> list[str]:
        return [r.id for r in self.scenario.regions]

    @property
    def cluster_ids(self) -> list[str]:
        return [c.id for c in self.scenario.training]

    @property
    def hardware_ids(self) -> list[str]:
        return list(self.offer.hardware.id)

    @property
    def cooling_ids(self) -> list[str]:
        names = self.facility_ids
        return [
            f"{names[f]}:{t}"
            for f, t in zip(self.cooling.facility.tolist(), self.cooling.technology, strict=True)
        ]

    @property
    def uses_menus(self) -> bool:
        """Whether anything beyond the legacy single-mode, air/liquid, one-GPU model is on."""
        s = self.scenario
        return bool(
            s.cooling_technologies
            or s.hardware
            or any(len(c.choices) > 1 for c in s.training)
            or any(site.financing != ("build",) for site in s.sites)
            or s.rules.capital_budget_usd_per_year is not None
        )


def cloud_quotas(data: ModelData) -> dict[tuple[int, str], float]:
    """(facility, instance type) → quota in units, for every cloud quota of the scenario
    (row (6b) of the formulation), facilities in order."""
    out: dict[tuple[int, str], float] = {}
    for f, (i, mode) in enumerate(zip(data.sites.site.tolist(), data.sites.mode, strict=True)):
        cloud = data.scenario.sites[i].cloud
        if mode == CLOUD and cloud is not None:
            for hw, quota in cloud.quota_units.items():
                out[(f, hw)] = float(quota)
    return out


def build_model_data(scenario: Scenario) -> ModelData:
    """Resolve the menus, prune pairs exactly and compute every coefficient, vectorised."""
    offer = resolve(scenario)
    options, option_cluster = _flatten_options(scenario)
    users = np.array([r.population for r in scenario.regions], dtype=float)
    work = np.array([scenario.region_demand_work(r) for r in scenario.regions], dtype=float)
    penalty = scenario.unserved_penalty_per_work
    serving, split = _serving(scenario, offer, work, users)
    failures = None if scenario.rules.resilience is None else failure_graph(scenario, offer)
    spare, spare_upper = _spare(scenario, offer, failures, work)
    return ModelData(
        scenario=scenario,
        offer=offer,
        sites=_facility_arrays(offer),
        cooling=_cooling_arrays(offer),
        training=_training_pairs(scenario, offer, options, option_cluster),
        serving=serving,
        split=split,
        training_options=options,
        option_cluster=option_cluster,
        region_work=work,
        region_users=users,
        unserved_cost=None if penalty is None else work * penalty,
        max_share=scenario.rules.max_share_per_site,
        failures=failures,
        spare=spare,
        spare_upper=spare_upper,
        parts=_training_pairs(scenario, offer, options, option_cluster, parts=True),
    )


def _flatten_options(scenario: Scenario) -> tuple[tuple[TrainingOption, ...], np.ndarray]:
    options: list[TrainingOption] = []
    owner: list[int] = []
    for k, cluster in enumerate(scenario.training):
        for option in cluster.choices:
            options.append(option)
            owner.append(k)
    return tuple(options), np.array(owner, dtype=np.int64)


def _facility_arrays(offer: Offer) -> FacilityArrays:
    f = offer.facilities
    return FacilityArrays(
        site=f.site,
        mode=f.mode,
        fixed_cost=f.fixed_cost,
        fixed_capital=f.fixed_capital,
        capacity=f.capacity,
        racks=f.racks,
        open_lb=f.open_lb,
        open_ub=f.open_ub,
    )


def _cooling_arrays(offer: Offer) -> CoolingArrays:
    c = offer.cooling
    return CoolingArrays(
        facility=c.facility,
        technology=c.technology,
        liquid=c.liquid,
        fixed_cost=c.fixed_cost,
        fixed_capital=c.fixed_capital,
        pue=c.pue,
    )


def _site_column(scenario: Scenario, name: str) -> np.ndarray:
    """A site field by site; 0 where the site may omit it (a cloud-only site's energy price:
    the schema requires it wherever a facility pays for energy)."""
    values = (getattr(s, name) for s in scenario.sites)
    return np.array([0.0 if v is None else v for v in values], dtype=float)


# ---------------------------------------------------------------------------- training
def _training_pairs(
    scenario: Scenario,
    offer: Offer,
    options: tuple[TrainingOption, ...],
    owner: np.ndarray,
    *,
    parts: bool = False,
) -> PairArrays:
    """Training pairs (f, k, o, s) placing the whole cluster; with ``parts``, the pairs a
    splittable cluster's parts may use: built or leased facilities whose cooling option holds
    the option's density, whatever their power and racks (a part is a share of the cluster;
    the capacity rows bound the shares)."""
    splittable = np.array([scenario.training[k].split is not None for k in owner], dtype=bool)
    if not options or (parts and not splittable.any()):
        return empty_pairs()
    fac, cool = offer.facilities, offer.cooling
    rate = scenario.economics.discount_rate
    mw = np.array([o.it_mw for o in options])
    density = np.array([o.rack_density_kw for o in options])
    racks = np.array([o.racks for o in options], dtype=float)
    util = np.array([o.utilisation or scenario.economics.utilisation for o in options])
    capital = np.array(
        [o.capital_usd * capital_recovery_factor(rate, o.lifetime_years) for o in options]
    )
    f_of_s = cool.facility
    mode = fac.mode[f_of_s]
    pue = cool.pue[:, None]
    facility_mw = pue * mw[None, :]
    use = np.where((mode == BUILD)[:, None], facility_mw, mw[None, :])
    in_cloud = (mode == CLOUD)[:, None]
    # a soft power cap prices power beyond a build site's grid: no pair is too big for it
    soft_power = (mode == BUILD)[:, None] & (soft_power_price(scenario) is not None)
    fits = (
        cool.supports(density)
        & (economics.power_fits(use, fac.capacity[f_of_s][:, None]) | soft_power)
        & economics.space_fits(racks[None, :], fac.racks[f_of_s][:, None])
        & (fac.open_ub[f_of_s][:, None] > 0)
    )
    cloud_cost, cloud_units, cloud_ok = _cloud_training(scenario, offer, options, util)
    fits = np.where(in_cloud, cloud_ok, fits & ~in_cloud)
    if parts:
        fits = cool.supports(density) & (fac.open_ub[f_of_s][:, None] > 0) & ~in_cloud
        fits &= splittable[None, :]
    s, o = np.nonzero(fits)
    f = f_of_s[s]
    site = fac.site[f]
    price = _site_column(scenario, "energy_price_usd_per_mwh")[site]
    carbon_kg = _site_column(scenario, "carbon_kg_per_mwh")[site]
    pays = fac.pays_energy[f]
    running = economics.running_cost(
        scenario, mw[o], facility_mw[s, o], util[o], 0.0, price, carbon_kg
    )
    own_hardware = np.isin(fac.mode[f], (BUILD, LEASE))
    zeros = np.zeros(s.size)
    return PairArrays(
        site=f.astype(np.int64),
        other=owner[o],
        option=o.astype(np.int64),
        cooling=np.where(cool.fixed[s] > 0, s, -1).astype(np.int64),
        tech=s.astype(np.int64),
        facility_mw=facility_mw[s, o],
        capacity_use=np.where(in_cloud[s, 0], 0.0, use[s, o]),
        it_mw=mw[o],
        units=np.where(in_cloud[s, 0], cloud_units[s, o], 0.0),
        racks=np.where(fac.mode[f] == BUILD, racks[o], 0.0),
        needs_liquid=cool.liquid[s],
        build=mw[o] * fac.build_per_mw[f],
        cooling_cost=mw[o] * cool.capital_per_mw[s],
        hardware=np.where(own_hardware, capital[o], 0.0),
        lease=mw[o] * fac.rent_per_mw[f],
        cloud=np.where(in_cloud[s, 0], cloud_cost[s, o], 0.0),
        energy=np.where(pays, running.energy, 0.0),
        carbon_cost=np.where(pays, running.carbon, 0.0),
        carbon_t=economics.carbon_tonnes(scenario, facility_mw[s, o], util[o], carbon_kg),
        latency=zeros,
        pair_cost=zeros,
        rtt_ms=zeros,
        service_ms=zeros,
        slo_penalty=zeros,
    )


def _cloud_training(
    scenario: Scenario, offer: Offer, options: tuple[TrainingOption, ...], util: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(cost, units, fits) of each training option at each cooling option's cloud facility."""
    cool, fac = offer.cooling, offer.facilities
    shape = (len(cool), len(options))
    cost, units, ok = np.zeros(shape), np.zeros(shape), np.zeros(shape, dtype=bool)
    hours = scenario.economics.hours_per_year
    for s in np.flatnonzero(fac.mode[cool.facility] == CLOUD):
        f = cool.facility[s]
        cloud = scenario.sites[int(fac.site[f])].cloud
        if cloud is None or fac.open_ub[f] <= 0:
            continue
        for o, option in enumerate(options):
            hw = option.cloud_hardware
            if hw is None or hw not in cloud.usd_per_unit_hour:
                continue
            assert option.cloud_units is not None
            if option.cloud_units > cloud.quota_units.get(hw, np.inf):
                continue
            ok[s, o] = True
            units[s, o] = option.cloud_units
            cost[s, o] = option.cloud_units * cloud.usd_per_unit_hour[hw] * hours * util[o]
    return cost, units, ok


# ---------------------------------------------------------------------------- serving
def _serving(
    scenario: Scenario, offer: Offer, work: np.ndarray, users: np.ndarray
) -> tuple[PairArrays, PairArrays]:
    if not scenario.regions:
        return empty_pairs(), empty_pairs()
    base = eligible_pairs(scenario, limit_ms=pair_limit_ms(scenario))
    fac, hw = offer.facilities, offer.hardware
    hosts = _hosting(offer)  # (n_facilities, n_hardware): number of cooling options hosting h
    pair, f = _pairs_by_facility(base.site, fac.site, len(scenario.sites))
    slo = pair_limit_ms(scenario)  # the SLO, or a soft SLO's outer limit
    dominated = dominated_hardware(scenario, offer, hosts)
    parts = []
    for h in range(len(hw)):
        region = base.region[pair]
        keep = (
            offer.hardware_at[f, h]
            & (hosts[f, h] > 0)
            & ~dominated[f, h]
            & (base.rtt_ms[pair] + hw.service_ms[h] <= slo[region])
            & (fac.open_ub[f] > 0)
        )
        parts.append((f[keep], region[keep], np.full(int(keep.sum()), h), base.rtt_ms[pair[keep]]))
    fac_idx = np.concatenate([p[0] for p in parts]).astype(np.int64)
    region = np.concatenate([p[1] for p in parts]).astype(np.int64)
    h_idx = np.concatenate([p[2] for p in parts]).astype(np.int64)
    rtt = np.concatenate([p[3] for p in parts]).astype(float)
    order = np.lexsort((h_idx, fac_idx, region))  # region-major, like the eligible pairs
    fac_idx, region, h_idx, rtt = fac_idx[order], region[order], h_idx[order], rtt[order]
    serving = _serving_pairs(scenario, offer, hosts, fac_idx, region, h_idx, rtt, work, users)
    return serving, _split(scenario, offer, hosts, serving)


def _pairs_by_facility(
    pair_site: np.ndarray, facility_site: np.ndarray, n_sites: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each site–region pair once per facility at its site: (pair index, facility index).

    Facilities are numbered site by site, so a site's facilities are a contiguous run."""
    per_site = np.bincount(facility_site, minlength=n_sites)
    first = np.concatenate([[0], np.cumsum(per_site)[:-1]])
    counts = per_site[pair_site]
    pair = np.repeat(np.arange(pair_site.size), counts)
    run_start = np.repeat(np.cumsum(counts) - counts, counts)
    facility = np.repeat(first[pair_site], counts) + (np.arange(pair.size) - run_start)
    return pair, facility.astype(np.int64)


def dominated_hardware(scenario: Scenario, offer: Offer, hosts: np.ndarray) -> np.ndarray:
    """(n_facilities, n_hardware) bool: hardware another hardware dominates at the facility.

    Per unit of work at facility f in cooling option s, hardware h costs
    C_hs = a_h + m_h · (b_f + r_f + c_s + [pays_f] · PUE_s · u · (ρ + κ)) (hardware capital or
    cloud price a, IT MW m, build b, rent r, cooling capital c, energy and carbon) and holds
    K_hs = a_h + m_h · (b_f + c_s) of annualised capital. h1 dominates h2 at f when h1 can sit
    in every cooling option h2 can and, in each of them, C and K are no higher; when it draws
    no more IT MW (capacity, carbon), needs no more racks, answers no later (service time) and
    has no cloud quota at f. Then any solution serving from h2 at f can serve from h1 instead
    at no higher cost and within every limit (capacity, racks, SLO, carbon, capital, the share
    cap), so removing h2's pairs at f keeps the optimum: the pruning is exact. Of two equal
    hardware types the first is kept.
    """
    hw, fac, cool = offer.hardware, offer.facilities, offer.cooling
    n_f, n_h = len(fac), len(hw)
    out = np.zeros((n_f, n_h), dtype=bool)
    if n_h < 2:
        return out
    util = scenario.inference_utilisation
    hours = scenario.economics.hours_per_year
    unit = (
        np.where(
            (fac.mode == CLOUD)[:, None],
            np.nan_to_num(offer.cloud_price, nan=np.inf) * hours * util,
            hw.capital_per_unit_year[None, :],
        )
        * hw.units_per_work[None, :]
    )
    capital_unit = np.where((fac.mode == CLOUD)[:, None], 0.0, unit)
    rho, kappa = economics.energy_rates(
        scenario,
        _site_column(scenario, "energy_price_usd_per_mwh"),
        _site_column(scenario, "carbon_kg_per_mwh"),
    )
    per_mw = (  # per IT MW in each cooling option: build, rent, cooling capital, energy
        fac.build_per_mw[cool.facility]
        + fac.rent_per_mw[cool.facility]
        + cool.capital_per_mw
        + np.where(fac.pays_energy[cool.facility], cool.pue * util, 0.0)
        * (rho + kappa)[fac.site[cool.facility]]
    )
    capital_per_mw = fac.build_per_mw[cool.facility] + cool.capital_per_mw
    budget = scenario.rules.capital_budget_usd_per_year is not None  # else capital is just cost
    racks = hw.mw_per_work / hw.density
    supports = cool.supports(hw.density)
    usable = offer.hardware_at & (hosts > 0)
    for f in np.flatnonzero(usable.sum(axis=1) > 1):
        at_f = np.flatnonzero(cool.facility == f)
        cost = unit[f][None, :] + np.outer(per_mw[at_f], hw.mw_per_work)  # (options, hw)
        capital = capital_unit[f][None, :] + np.outer(capital_per_mw[at_f], hw.mw_per_work)
        hosted = supports[at_f]
        for h2 in np.flatnonzero(usable[f]):
            for h1 in np.flatnonzero(usable[f]):
                if h1 == h2 or np.isfinite(offer.cloud_quota[f, h1]):
                    continue
                rows = hosted[:, h2]
                if not np.all(hosted[rows, h1]):
                    continue
                no_worse = (
                    np.all(cost[rows, h1] <= cost[rows, h2])
                    and (not budget or np.all(capital[rows, h1] <= capital[rows, h2]))
                    and hw.mw_per_work[h1] <= hw.mw_per_work[h2]
                    and racks[h1] <= racks[h2]
                    and hw.service_ms[h1] <= hw.service_ms[h2]
                )
                same = (
                    np.array_equal(cost[rows, h1], cost[rows, h2])
                    and np.array_equal(capital[rows, h1], capital[rows, h2])
                    and hw.mw_per_work[h1] == hw.mw_per_work[h2]
                    and racks[h1] == racks[h2]
                    and hw.service_ms[h1] == hw.service_ms[h2]
                )
                if no_worse and (not same or h1 < h2):
                    out[f, h2] = True
                    break
    return out


def _hosting(offer: Offer) -> np.ndarray:
    """Per facility and hardware, how many cooling options can host the hardware's racks."""
    cool = offer.cooling
    supports = cool.supports(offer.hardware.density)  # (n_options, n_hardware)
    out = np.zeros((len(offer.facilities), len(offer.hardware)), dtype=np.int64)
    np.add.at(out, cool.facility, supports.astype(np.int64))
    return out


def _single_option(offer: Offer, facility: np.ndarray, hardware: np.ndarray) -> np.ndarray:
    """The one cooling option hosting (facility, hardware), −1 where several can."""
    cool = offer.cooling
    supports = cool.supports(offer.hardware.density)
    table = np.full((len(offer.facilities), len(offer.hardware)), -1, dtype=np.int64)
    count = np.zeros_like(table)
    s, h = np.nonzero(supports)
    np.add.at(count, (cool.facility[s], h), 1)
    table[cool.facility[s], h] = s
    table[count != 1] = -1
    return table[facility, hardware]


def _serving_pairs(
    scenario: Scenario,
    offer: Offer,
    hosts: np.ndarray,
    f: np.ndarray,
    j: np.ndarray,
    h: np.ndarray,
    rtt: np.ndarray,
    work: np.ndarray,
    users: np.ndarray,
) -> PairArrays:
    fac, hw, cool = offer.facilities, offer.hardware, offer.cooling
    util = scenario.inference_utilisation
    hours = scenario.economics.hours_per_year
    w = work[j]
    it_mw = w * hw.mw_per_work[h]
    units = w * hw.units_per_work[h]
    s = _single_option(offer, f, h)
    single = s >= 0
    s_safe = np.where(single, s, 0)
    pue = np.where(single, cool.pue[s_safe], 0.0)
    facility_mw = pue * it_mw
    site = fac.site[f]
    price = _site_column(scenario, "energy_price_usd_per_mwh")[site]
    carbon_kg = _site_column(scenario, "carbon_kg_per_mwh")[site]
    running = economics.running_cost(scenario, it_mw, facility_mw, util, 0.0, price, carbon_kg)
    pays = fac.pays_energy[f] & single
    mode = fac.mode[f]
    own_hardware = np.isin(mode, (BUILD, LEASE))
    is_build = mode == BUILD
    cloud_price = np.nan_to_num(offer.cloud_price[f, h])
    service = hw.service_ms[h]
    lam = scenario.economics.latency_penalty_usd_per_user_ms_year
    return PairArrays(
        site=f,
        other=j,
        option=h,
        cooling=np.where(single & (cool.fixed[s_safe] > 0), s, -1).astype(np.int64),
        tech=s.astype(np.int64),
        facility_mw=facility_mw,
        capacity_use=np.where(is_build, facility_mw, np.where(mode == LEASE, it_mw, 0.0)),
        it_mw=it_mw,
        units=units,
        racks=np.where(is_build, it_mw * 1000.0 / hw.density[h], 0.0),
        needs_liquid=single & cool.liquid[s_safe],
        build=it_mw * fac.build_per_mw[f],
        cooling_cost=np.where(single, it_mw * cool.capital_per_mw[s_safe], 0.0),
        hardware=np.where(own_hardware, units * hw.capital_per_unit_year[h], 0.0),
        lease=it_mw * fac.rent_per_mw[f],
        cloud=np.where(mode == CLOUD, units * cloud_price * hours * util, 0.0),
        energy=np.where(pays, running.energy, 0.0),
        carbon_cost=np.where(pays, running.carbon, 0.0),
        carbon_t=np.where(
            single, economics.carbon_tonnes(scenario, facility_mw, util, carbon_kg), 0.0
        ),
        latency=lam * users[j] * (rtt + service),
        pair_cost=_explicit_pair_costs(scenario, site, j),
        rtt_ms=rtt,
        service_ms=service,
        slo_penalty=soft_slo_penalty(scenario, j, rtt + service, users),
    )


def _split(scenario: Scenario, offer: Offer, hosts: np.ndarray, serving: PairArrays) -> PairArrays:
    """Split variables y_fhs for (facility, hardware) pairs in use that several options host."""
    cool, fac = offer.cooling, offer.facilities
    needed = np.zeros(hosts.shape, dtype=bool)
    multi = hosts[serving.site, serving.option] > 1
    needed[serving.site[multi], serving.option[multi]] = True
    supports = cool.supports(offer.hardware.density)
    s, h = np.nonzero(supports & needed[cool.facility])
    if s.size == 0:
        return empty_pairs()
    f = cool.facility[s]
    util = scenario.inference_utilisation
    site = fac.site[f]
    price = _site_column(scenario, "energy_price_usd_per_mwh")[site]
    carbon_kg = _site_column(scenario, "carbon_kg_per_mwh")[site]
    pue = cool.pue[s]
    running = economics.running_cost(scenario, 1.0, pue, util, 0.0, price, carbon_kg)
    pays = fac.pays_energy[f]
    zeros = np.zeros(s.size)
    return PairArrays(
        site=f.astype(np.int64),
        other=h.astype(np.int64),
        option=h.astype(np.int64),
        cooling=np.where(cool.fixed[s] > 0, s, -1).astype(np.int64),
        tech=s.astype(np.int64),
        facility_mw=pue,
        capacity_use=np.where(fac.mode[f] == BUILD, pue, 0.0),
        it_mw=np.ones(s.size),
        units=zeros,
        racks=zeros,
        needs_liquid=cool.liquid[s],
        build=zeros,
        cooling_cost=cool.capital_per_mw[s],
        hardware=zeros,
        lease=zeros,
        cloud=zeros,
        energy=np.where(pays, running.energy, 0.0),
        carbon_cost=np.where(pays, running.carbon, 0.0),
        carbon_t=economics.carbon_tonnes(scenario, pue, util, carbon_kg),
        latency=zeros,
        pair_cost=zeros,
        rtt_ms=zeros,
        service_ms=zeros,
        slo_penalty=zeros,
    )


def _spare(
    scenario: Scenario, offer: Offer, failures: FailureGraph | None, work: np.ndarray
) -> tuple[PairArrays, np.ndarray]:
    """Spare capacity variables z_fhs (work units) for N-1, priced as installed capacity that
    draws no energy while idle (see :mod:`placement.model.resilience`)."""
    if failures is None or len(failures) == 0:
        return empty_pairs(), np.empty(0)
    t = spare_terms(scenario, offer, failures, work)
    cool = offer.cooling
    zeros = np.zeros(t.option.size)
    pairs = PairArrays(
        site=t.facility,
        other=t.hardware,
        option=t.hardware,
        cooling=np.where(cool.fixed[t.option] > 0, t.option, -1).astype(np.int64),
        tech=t.option,
        facility_mw=zeros,  # idle: no draw in normal operation
        capacity_use=t.capacity_use,
        it_mw=t.it_mw,
        units=t.units,
        racks=t.racks,
        needs_liquid=cool.liquid[t.option],
        build=t.build,
        cooling_cost=t.cooling_cost,
        hardware=t.hardware_cost,
        lease=t.lease,
        cloud=t.cloud,
        energy=zeros,
        carbon_cost=zeros,
        carbon_t=zeros,
        latency=zeros,
        pair_cost=zeros,
        rtt_ms=zeros,
        service_ms=offer.hardware.service_ms[t.hardware],
        slo_penalty=zeros,
    )
    return pairs, t.upper


def _explicit_pair_costs(scenario: Scenario, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Look up {site: {region: cost}} for the (site, region) pairs; missing pairs cost 0."""
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


def empty_pairs() -> PairArrays:
    e_int = np.empty(0, dtype=np.int64)
    e = np.empty(0, dtype=float)
    return PairArrays(
        e_int, e_int, e_int, e_int, e_int, e, e, e, e, e, np.empty(0, dtype=bool),
        e, e, e, e, e, e, e, e, e, e, e, e, e,
    )  # fmt: skip
