"""The data of a multi-period model: each period's scenario and :class:`ModelData`, the
discount weights, and the training pairs that persist from a cluster's arrival on.

Periods t = 1..T with first year y_t and n_t years (y_1 the first period's), discount rate r
(``economics.discount_rate``), costs paid at the start of each year::

    w_t = Σ_{y = y_t}^{y_t + n_t − 1} (1 + r)^−(y − y_1)    PV of 1 USD/yr through period t
    W_t = Σ_{τ ≥ t} w_τ                                     PV of 1 USD/yr from t to the horizon

One period of one year has w = W = 1: the single-period annual model exactly.

The scenario of period t (:func:`period_scenario`) is the scenario with

* every region's demand × G_jt, its cumulative growth (model/periods.py), its users (the
  latency weight) as stated; a
  region whose demand has fallen to zero (a growth of −100 %) is left out of the period and
  every later one: it needs no site. Explicit pair costs are held as stated;
* prices × the period's index: energy, carbon, lease, cloud and inference hardware as paid
  in t; build, cooling and a site's fixed capital as *bought* in t (the price of a block of
  capacity, an opening or an installation made in t); a training cluster's hardware at the
  hardware index of its arrival period (it is bought once, when it arrives);
* only the training clusters that have arrived by t.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from placement.model.data import ModelData, PairArrays, build_model_data
from placement.model.periods import period_spans
from placement.model.schema import Region, Scenario, Site, TrainingCluster


@dataclass(frozen=True)
class PeriodSlice:
    """One period: its years, discount weights, scenario and model data.

    ``data.training`` holds only the persistent training pairs (see :class:`PeriodData`);
    ``train[k]`` is the index of its pair k in :attr:`PeriodData.training`.
    """

    year: int
    years: int
    weight: float  # w_t
    remaining: float  # W_t
    scenario: Scenario
    data: ModelData
    train: np.ndarray


@dataclass(frozen=True)
class PeriodData:
    """Everything a multi-period formulation needs.

    ``training`` are the training pairs a cluster can hold in every period from its arrival
    on (in the last period's order and with its coefficients): one decision each, for all
    periods. ``arrival[k]`` is the period (index) cluster k of the scenario arrives in.
    """

    scenario: Scenario
    periods: tuple[PeriodSlice, ...]
    arrival: np.ndarray
    training: PairArrays

    @property
    def last(self) -> PeriodSlice:
        return self.periods[-1]

    @property
    def years(self) -> list[int]:
        return [p.year for p in self.periods]


def discount_weights(rate: float, spans: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """(w, W) of the module docstring for periods of (first year, length)."""
    first = spans[0][0]
    w = np.array(
        [sum((1.0 + rate) ** -(y - first) for y in range(start, start + n)) for start, n in spans]
    )
    remaining = np.cumsum(w[::-1])[::-1]
    return w, remaining


def growth_factors(scenario: Scenario) -> np.ndarray:
    """(T, n_regions): G_jt = Π_{τ≤t} (1 + g_jτ), each region's demand factor in period t."""
    regions = scenario.region_index()
    rates = np.zeros((len(scenario.periods), len(scenario.regions)))
    for t, period in enumerate(scenario.periods):
        rates[t, :] = period.demand_growth
        for rid, growth in period.region_growth.items():
            rates[t, regions[rid]] = growth
    return np.cumprod(1.0 + rates, axis=0)


def arrival_periods(scenario: Scenario) -> np.ndarray:
    """The period (index) each training cluster arrives in: where a period names it, else 0."""
    arrives = {cid: t for t, p in enumerate(scenario.periods) for cid in p.new_training}
    return np.array([arrives.get(c.id, 0) for c in scenario.training], dtype=np.int64)


def period_scenarios(scenario: Scenario) -> tuple[Scenario, ...]:
    """The scenario of each period (see the module docstring); () without periods."""
    if not scenario.periods:
        return ()
    growth = growth_factors(scenario)
    arrival = arrival_periods(scenario)
    return tuple(
        period_scenario(scenario, t, growth[t], arrival) for t in range(len(scenario.periods))
    )


def period_scenario(
    scenario: Scenario, t: int, growth: np.ndarray, arrival: np.ndarray
) -> Scenario:
    """Period t's scenario: demand grown by ``growth`` (per region), prices indexed, the
    clusters arrived by t; no periods of its own."""
    period = scenario.periods[t]
    index = period.price_index
    hardware_at_arrival = [scenario.periods[a].price_index.hardware for a in arrival.tolist()]
    training = tuple(
        _cluster_priced(c, hardware_at_arrival[k])
        for k, c in enumerate(scenario.training)
        if arrival[k] <= t
    )
    economics = scenario.economics.model_copy(
        update={
            "carbon_price_usd_per_tonne": scenario.economics.carbon_price_usd_per_tonne
            * index.carbon
        }
    )
    return scenario.model_copy(
        update={
            "name": f"{scenario.name} {period.year}",
            "regions": tuple(
                _grown(scenario, r, float(g))
                for r, g in zip(scenario.regions, growth, strict=True)
                if g > 0.0
            ),
            "pair_costs_usd_per_year": _pair_costs_of(scenario, growth),
            "sites": tuple(_site_priced(s, index) for s in scenario.sites),
            "training": training,
            "cooling_technologies": tuple(
                c.model_copy(
                    update={
                        "capital_usd_per_mw": c.capital_usd_per_mw * index.cooling,
                        "fixed_capital_usd": c.fixed_capital_usd * index.cooling,
                    }
                )
                for c in scenario.cooling_technologies
            ),
            "hardware": tuple(
                h.model_copy(
                    update={"capital_usd_per_unit": h.capital_usd_per_unit * index.hardware}
                )
                for h in scenario.hardware
            ),
            "economics": economics,
            "periods": (),
        }
    )


def _pair_costs_of(scenario: Scenario, growth: np.ndarray) -> dict[str, dict[str, float]]:
    """The pair costs of the regions with demand in the period (held at their stated value)."""
    gone = {r.id for r, g in zip(scenario.regions, growth, strict=True) if g <= 0.0}
    if not gone:
        return scenario.pair_costs_usd_per_year
    return {
        sid: {rid: cost for rid, cost in row.items() if rid not in gone}
        for sid, row in scenario.pair_costs_usd_per_year.items()
    }


def _grown(scenario: Scenario, region: Region, factor: float) -> Region:
    """The region with its inference demand × ``factor``, stated explicitly in the unit the
    scenario counts it in (work with a hardware catalogue, else MW or GPUs); its population,
    the latency weight, stays as stated."""
    if factor == 1.0:
        return region
    if scenario.hardware:
        update = {"demand_work": scenario.region_demand_work(region) * factor}
    elif region.demand_mw is not None:
        update = {"demand_mw": region.demand_mw * factor}
    else:
        update = {"demand_gpus": scenario.region_demand_gpus(region) * factor}
    return region.model_copy(update=update)


def _scaled(value: float | None, factor: float) -> float | None:
    return None if value is None else value * factor


def _site_priced(site: Site, index) -> Site:
    update = {
        "energy_price_usd_per_mwh": _scaled(site.energy_price_usd_per_mwh, index.energy),
        "build_cost_usd_per_mw_year": _scaled(site.build_cost_usd_per_mw_year, index.build),
        "fixed_capital_usd_per_year": site.fixed_capital_usd_per_year * index.build,
        "liquid_cooling_cost_usd_per_year": site.liquid_cooling_cost_usd_per_year * index.cooling,
    }
    if site.lease is not None:
        update["lease"] = site.lease.model_copy(
            update={
                "usd_per_kw_month": site.lease.usd_per_kw_month * index.lease,
                "fixed_cost_usd_per_year": site.lease.fixed_cost_usd_per_year * index.lease,
            }
        )
    if site.cloud is not None:
        prices = {hw: p * index.cloud for hw, p in site.cloud.usd_per_unit_hour.items()}
        update["cloud"] = site.cloud.model_copy(update={"usd_per_unit_hour": prices})
    return site.model_copy(update=update)


def _cluster_priced(cluster: TrainingCluster, hardware_index: float) -> TrainingCluster:
    if not cluster.options or hardware_index == 1.0:
        return cluster
    options = tuple(
        o.model_copy(update={"capital_usd": o.capital_usd * hardware_index})
        for o in cluster.options
    )
    return cluster.model_copy(update={"options": options})


# ---------------------------------------------------------------------------- model data
def build_period_data(scenario: Scenario) -> PeriodData:
    """Each period's scenario and model data (exact pruning and coefficients as in one
    period), the discount weights, and the persistent training pairs."""
    spans = period_spans(scenario.periods)
    weight, remaining = discount_weights(scenario.economics.discount_rate, spans)
    arrival = arrival_periods(scenario)
    scenarios = period_scenarios(scenario)
    datas = [build_model_data(s) for s in scenarios]
    _check_same_facilities(datas)
    keys = [_training_keys(scenario, d, arrival, t) for t, d in enumerate(datas)]
    persistent = _persistent(keys, arrival, datas[-1])
    order = np.argsort(keys[-1][persistent], kind="stable")
    sorted_keys = keys[-1][persistent][order]
    slices = []
    for t, (data, key) in enumerate(zip(datas, keys, strict=True)):
        keep = np.isin(key, sorted_keys)
        train = order[np.searchsorted(sorted_keys, key[keep])]
        slices.append(
            PeriodSlice(
                year=spans[t][0],
                years=spans[t][1],
                weight=float(weight[t]),
                remaining=float(remaining[t]),
                scenario=scenarios[t],
                data=replace(data, training=take(data.training, np.flatnonzero(keep))),
                train=train.astype(np.int64),
            )
        )
    return PeriodData(
        scenario=scenario,
        periods=tuple(slices),
        arrival=arrival,
        training=slices[-1].data.training,
    )


def take(pairs: PairArrays, index: np.ndarray) -> PairArrays:
    """The pairs at ``index`` (every array field subset alike)."""
    return PairArrays(**{f.name: getattr(pairs, f.name)[index] for f in fields(pairs)})


def _check_same_facilities(datas: list[ModelData]) -> None:
    """Facilities and cooling options are the same in every period (prices > 0 change no
    structure); the formulation links them by position."""
    first = datas[0]
    for data in datas[1:]:
        same = (
            np.array_equal(data.sites.site, first.sites.site)
            and np.array_equal(data.sites.mode, first.sites.mode)
            and np.array_equal(data.cooling.facility, first.cooling.facility)
            and np.array_equal(data.cooling.technology, first.cooling.technology)
            and np.array_equal(data.cooling.needs_install, first.cooling.needs_install)
        )
        if not same:
            raise AssertionError("periods differ in facilities or cooling options")


def _training_keys(scenario: Scenario, data: ModelData, arrival: np.ndarray, t: int) -> np.ndarray:
    """One integer per training pair: (facility, cluster, option within the cluster, cooling
    option), the same in every period for the same pair."""
    active = np.flatnonzero(arrival <= t)
    tr = data.training
    cluster = active[tr.other]
    first_option = np.searchsorted(data.option_cluster, np.arange(active.size))
    option = tr.option - first_option[tr.other]
    n_clusters = max(len(scenario.training), 1)
    n_options = max((len(c.choices) for c in scenario.training), default=1)
    n_cooling = max(len(data.cooling), 1)
    return ((tr.site * n_clusters + cluster) * n_options + option) * n_cooling + tr.tech


def _persistent(keys: list[np.ndarray], arrival: np.ndarray, last: ModelData) -> np.ndarray:
    """Indices of the last period's training pairs eligible in every period from their
    cluster's arrival on."""
    last_t = len(keys) - 1
    pair_arrival = arrival[last.training.other] if len(last.training) else np.empty(0, int)
    ok = np.ones(keys[-1].size, dtype=bool)
    for t in range(last_t):
        ok &= np.isin(keys[-1], keys[t]) | (pair_arrival > t)
    return np.flatnonzero(ok)
