"""A multi-period solution read back: each period's placement, what is built when, and the
plan's present value.

Per period t the decisions are read as in one period (:func:`read_decisions`), with two
multi-period rules:

* a build facility open at no fixed cost is reported open from the first period it carries
  load or capacity (a built site stays open, and an empty site costs nothing before);
* blocks bought: the solver's B_ft, D_st ≥ 0, noise dropped, moved to the period the
  facility opens in where bought before it, and topped up so that the capacity
  Σ_{τ≤t} B_fτ holds the period's IT MW; blocks priced at zero in every period are
  bought as late and as little as the load allows (the cost is the same).

A period's annual cost is :func:`summarise` over its data with each facility's and cooling
option's fixed capital at the price of the period it opened or was installed in, no build or
cooling capital per MW on the load, plus Σ_{τ≤t} b_fτ B_fτ (build) and Σ_{τ≤t} k_sτ D_sτ
(cooling) of the blocks bought so far. The plan's costs are Σ_t w_t × the period's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from placement.formulations import Built
from placement.formulations.multiperiod import PeriodBuilt
from placement.model.data import ModelData, PairArrays
from placement.model.offer import BUILD
from placement.model.period_data import PeriodData
from placement.results.decode import Decisions, Summary, read_decisions, rtt_kpis, summarise
from placement.results.result import (
    COST_COMPONENTS,
    CapacityBlock,
    CostBreakdown,
    Kpis,
    PeriodResult,
    PlacementResult,
    Status,
)

BLOCK_EPS = 1e-9  # MW: below this a block is solver noise


@dataclass(frozen=True)
class Blocks:
    """IT MW bought per period: ``building[f, t]`` by facility, ``cooling[s, t]`` by option."""

    building: np.ndarray
    cooling: np.ndarray


def read_periods(
    built: PeriodBuilt, pdata: PeriodData, values: np.ndarray
) -> tuple[list[Decisions], Blocks]:
    """Each period's rounded decisions and the blocks bought (see the module docstring)."""
    decisions = [
        read_decisions(
            Built(model=built.model, columns=cols, formulation=built.formulation),
            period.data,
            values,
        )
        for cols, period in zip(built.periods, pdata.periods, strict=True)
    ]
    loads = [_building_load(p.data, d) for p, d in zip(pdata.periods, decisions, strict=True)]
    cooling_loads = [
        _cooling_load(p.data, d) for p, d in zip(pdata.periods, decisions, strict=True)
    ]
    opened = np.array([values[cols.open] > 0.5 for cols in built.periods]).T  # (f, T)
    facility = pdata.last.data.cooling.facility
    blocks = Blocks(
        building=_blocks(
            values, built.building, np.array(loads).T, _prices(pdata, _building_price), opened
        ),
        cooling=_blocks(
            values,
            built.cooling,
            np.array(cooling_loads).T,
            _prices(pdata, _cooling_price),
            opened[facility],
        ),
    )
    return _open_persistently(pdata, decisions, values, built, blocks), blocks


def _building_price(data: ModelData) -> np.ndarray:
    return data.offer.facilities.build_per_mw


def _cooling_price(data: ModelData) -> np.ndarray:
    return data.offer.cooling.capital_per_mw


def _prices(pdata: PeriodData, price) -> np.ndarray:
    """(owners, T): a block's annualised price per IT MW in each period."""
    return np.array([price(p.data) for p in pdata.periods]).T


def _building_load(data: ModelData, d: Decisions) -> np.ndarray:
    """IT MW at each facility (training placed, inference served)."""
    tr, sv = data.training, data.serving
    load = np.zeros(data.n_sites)  # float even with no training pair
    load += np.bincount(tr.site[d.train], tr.it_mw[d.train], minlength=data.n_sites)
    on = d.serve > 0
    return load + np.bincount(sv.site[on], d.serve[on] * sv.it_mw[on], minlength=data.n_sites)


def _cooling_load(data: ModelData, d: Decisions) -> np.ndarray:
    """IT MW in each cooling option (training, single-option serving, split variables)."""
    tr, sv, sp = data.training, data.serving, data.split
    n = len(data.cooling)
    load = np.zeros(n)  # float even with no training pair
    load += np.bincount(tr.tech[d.train], tr.it_mw[d.train], minlength=n)
    on = (d.serve > 0) & (sv.tech >= 0)
    load += np.bincount(sv.tech[on], d.serve[on] * sv.it_mw[on], minlength=n)
    return load + np.bincount(sp.tech[d.split > 0], d.split[d.split > 0], minlength=n)


def _blocks(
    values: np.ndarray,
    columns: np.ndarray,
    load: np.ndarray,
    price: np.ndarray,
    opened: np.ndarray,
) -> np.ndarray:
    """Blocks bought, (owners, T): the solver's, cleaned, covering the load.

    A block the solver bought before its facility opens (allowed where buying early cannot
    pay, see ``multiperiod.add_blocks_at_open``; an unfinished solve may still do it) moves
    to the period the facility opens in, at that period's price, which is no higher in
    present value; at a facility that never opens it is dropped (it holds no load)."""
    has = columns >= 0
    bought = np.zeros(columns.shape)
    bought[has] = np.maximum(values[columns[has]], 0.0)
    bought[bought < BLOCK_EPS] = 0.0
    early = bought * ~opened
    if early.any():
        bought = np.where(opened, bought, 0.0)
        first = np.where(opened.any(axis=1), opened.argmax(axis=1), -1)
        movable = (first >= 0) & has[np.arange(first.size), np.maximum(first, 0)]
        owners = np.flatnonzero(movable)
        bought[owners, first[owners]] += early[owners].sum(axis=1)
    free = has.all(axis=1) & (price == 0).all(axis=1)
    needed = np.maximum.accumulate(np.where(has, load, 0.0), axis=1)
    bought[free] = np.diff(needed[free], axis=1, prepend=0.0)
    capacity = np.zeros(columns.shape[0])
    for t in range(columns.shape[1]):
        short = np.where(has[:, t], np.maximum(load[:, t] - capacity - bought[:, t], 0.0), 0.0)
        bought[:, t] += short  # solver tolerance: the capacity row holds to ~1e-7
        capacity += bought[:, t]
    return bought


def _open_persistently(
    pdata: PeriodData,
    decisions: list[Decisions],
    values: np.ndarray,
    built: PeriodBuilt,
    blocks: Blocks,
) -> list[Decisions]:
    """Build facilities: open from the first period the solver opens them and they carry
    load or capacity (at no fixed cost an idle one is reported closed until then)."""
    data = pdata.last.data
    build = data.sites.mode == BUILD
    cooling_by_facility = np.zeros((data.n_sites, len(pdata.periods)))
    np.add.at(cooling_by_facility, data.cooling.facility, blocks.cooling)
    active = np.zeros(data.n_sites, dtype=bool)
    out = []
    for t, (d, cols) in enumerate(zip(decisions, built.periods, strict=True)):
        solver_open = values[cols.open] > 0.5
        active |= d.open | (blocks.building[:, t] > 0) | (cooling_by_facility[:, t] > 0)
        is_open = np.where(build, solver_open & active, d.open)
        out.append(replace(d, open=is_open))
    return out


# ---------------------------------------------------------------------------- periods
def period_results(
    pdata: PeriodData,
    decisions: list[Decisions],
    blocks: Blocks,
    *,
    status: Status,
    formulation: str,
    solver: str,
    method: str,
) -> tuple[tuple[PeriodResult, ...], list[Summary]]:
    """Each period's :class:`PeriodResult` (and its summary) from the decisions and blocks."""
    first_open = _first_period(np.array([d.open for d in decisions]))
    first_install = _first_period(np.array([d.install for d in decisions]))
    building_price = _prices(pdata, _building_price)
    cooling_price = _prices(pdata, _cooling_price)
    out, summaries = [], []
    for t, (period, d) in enumerate(zip(pdata.periods, decisions, strict=True)):
        data = _reporting_data(pdata, t, first_open, first_install)
        summary = summarise(data, d)
        building = (blocks.building[:, : t + 1] * building_price[:, : t + 1]).sum(axis=1)
        cooling = (blocks.cooling[:, : t + 1] * cooling_price[:, : t + 1]).sum(axis=1)
        summary = _with_blocks(data, summary, building, cooling)
        summaries.append(summary)
        result = PlacementResult(
            scenario=period.scenario.name,
            status=status,
            formulation=formulation,
            solver=solver,
            method=method,
            objective=summary.costs.total,
            **summary.result_fields(),
        )
        out.append(
            PeriodResult(
                year=period.year,
                years=period.years,
                discount_weight=period.weight,
                result=result,
                opened=_opened(data, decisions, t),
                installed=_installed(data, decisions, t),
                arrived=tuple(
                    c.id
                    for k, c in enumerate(pdata.scenario.training)
                    if pdata.arrival[k] == t and c.id in summary.training
                ),
                blocks=_block_records(data, blocks, t, building_price, cooling_price),
                built_mw=_built_mw(data, blocks.building[:, : t + 1].sum(axis=1)),
            )
        )
    return tuple(out), summaries


def _first_period(flags: np.ndarray) -> np.ndarray:
    """(owners,): the first period each owner is flagged in (T where never)."""
    if flags.size == 0:
        return np.empty(0, dtype=np.int64)
    return np.where(flags.any(axis=0), flags.argmax(axis=0), flags.shape[0])


def _reporting_data(
    pdata: PeriodData, t: int, first_open: np.ndarray, first_install: np.ndarray
) -> ModelData:
    """Period t's data costed as the plan pays it: fixed capital at the price of the period a
    build facility opened / an option was installed in, no capital per MW on the load."""
    data = pdata.periods[t].data
    build = data.sites.mode == BUILD

    def bought(values_by_period: list[np.ndarray], first: np.ndarray, persists: np.ndarray):
        table = np.array(values_by_period)  # (T, owners)
        when = np.minimum(first, t)
        return np.where(persists, table[when, np.arange(table.shape[1])], table[t])

    site_capital = bought([p.data.sites.fixed_capital for p in pdata.periods], first_open, build)
    option_capital = bought(
        [p.data.cooling.fixed_capital for p in pdata.periods],
        first_install,
        build[data.cooling.facility],
    )
    return replace(
        data,
        sites=replace(data.sites, fixed_capital=site_capital),
        cooling=replace(data.cooling, fixed_capital=option_capital),
        training=_without_capacity_capital(data.training),
        serving=_without_capacity_capital(data.serving),
        split=_without_capacity_capital(data.split),
    )


def _without_capacity_capital(pairs: PairArrays) -> PairArrays:
    zeros = np.zeros(len(pairs))
    return replace(pairs, build=zeros, cooling_cost=zeros)


def _with_blocks(
    data: ModelData, summary: Summary, building: np.ndarray, cooling: np.ndarray
) -> Summary:
    """The summary with the annuities of the blocks bought so far: build and cooling costs,
    capital, and each site's spend."""
    costs = summary.costs
    extra = building.sum() + cooling.sum()
    costs = costs.model_copy(
        update={
            "build": costs.build + float(building.sum()),
            "cooling": costs.cooling + float(cooling.sum()),
            "capital": costs.capital + float(extra),
        }
    )
    per_site = np.bincount(
        data.sites.site, building, minlength=len(data.scenario.sites)
    ) + np.bincount(
        data.sites.site[data.cooling.facility], cooling, minlength=len(data.scenario.sites)
    )
    index = data.scenario.site_index()
    sites = tuple(
        load.model_copy(
            update={"annual_cost_usd": load.annual_cost_usd + float(per_site[index[load.site]])}
        )
        for load in summary.sites
    )
    return replace(summary, costs=costs, sites=sites)


def _opened(data: ModelData, decisions: list[Decisions], t: int) -> tuple[str, ...]:
    build = data.sites.mode == BUILD
    now = decisions[t].open & build
    new = now & ~decisions[t - 1].open if t else now
    ids = [s.id for s in data.scenario.sites]
    return tuple(ids[i] for i in data.sites.site[np.flatnonzero(new)].tolist())


def _installed(data: ModelData, decisions: list[Decisions], t: int) -> tuple[str, ...]:
    cool = data.cooling
    own = cool.needs_install & (data.sites.mode[cool.facility] == BUILD)
    now = decisions[t].install & own
    new = now & ~decisions[t - 1].install if t else now
    ids = [s.id for s in data.scenario.sites]
    return tuple(
        f"{ids[int(data.sites.site[cool.facility[s]])]}:{cool.technology[s]}"
        for s in np.flatnonzero(new).tolist()
    )


def _block_records(
    data: ModelData,
    blocks: Blocks,
    t: int,
    building_price: np.ndarray,
    cooling_price: np.ndarray,
) -> tuple[CapacityBlock, ...]:
    ids = [s.id for s in data.scenario.sites]
    out = [
        CapacityBlock(
            site=ids[int(data.sites.site[f])],
            mw=float(blocks.building[f, t]),
            usd_per_mw_year=float(building_price[f, t]),
        )
        for f in np.flatnonzero(blocks.building[:, t] > 0).tolist()
    ]
    cool = data.cooling
    out += [
        CapacityBlock(
            site=ids[int(data.sites.site[cool.facility[s]])],
            technology=str(cool.technology[s]),
            mw=float(blocks.cooling[s, t]),
            usd_per_mw_year=float(cooling_price[s, t]),
        )
        for s in np.flatnonzero(blocks.cooling[:, t] > 0).tolist()
    ]
    return tuple(out)


def _built_mw(data: ModelData, capacity: np.ndarray) -> dict[str, float]:
    ids = [s.id for s in data.scenario.sites]
    return {
        ids[int(data.sites.site[f])]: float(capacity[f])
        for f in np.flatnonzero(capacity > 0).tolist()
    }


# ---------------------------------------------------------------------------- the plan
def plan_fields(
    pdata: PeriodData,
    periods: tuple[PeriodResult, ...],
    summaries: list[Summary],
    decisions: list[Decisions],
) -> dict:
    """The top-level fields of a multi-period result: present-value costs, the last period's
    decisions, KPIs over the horizon (see ``PlacementResult.periods``)."""
    present = {
        name: sum(p.discount_weight * getattr(p.result.costs, name) for p in periods)
        for name in (*COST_COMPONENTS, "capital")
    }
    costs = CostBreakdown(**present)
    last = summaries[-1]
    return {
        "objective": costs.total,
        "open_sites": last.open_sites,
        "liquid_sites": last.liquid_sites,
        "training": last.training,
        "training_choices": last.training_choices,
        "serving": last.serving,
        "unserved": last.unserved,
        "sites": last.sites,
        "costs": costs,
        "kpis": horizon_kpis(pdata, summaries, decisions),
        "periods": periods,
    }


def horizon_kpis(pdata: PeriodData, summaries: list[Summary], decisions: list[Decisions]) -> Kpis:
    """RTT over all periods' user-years; carbon per year and served share as means over the
    years; MW and site counts of the last period."""
    weights, latency = [], []
    years = np.array([p.years for p in pdata.periods], dtype=float)
    served = []
    for period, d, summary in zip(pdata.periods, decisions, summaries, strict=True):
        sv = period.data.serving
        on = np.flatnonzero(d.serve > 0)
        weights.append(period.years * period.data.region_users[sv.other[on]] * d.serve[on])
        latency.append(sv.rtt_ms[on] + sv.service_ms[on])
        work = float(period.data.region_work.sum())
        share = summary.kpis.served_share if summary.kpis.served_share is not None else 1.0
        served.append((share * work, work))
    total_work = sum(years[t] * w for t, (_s, w) in enumerate(served))
    served_share = (
        1.0
        if total_work <= 0
        else sum(years[t] * s for t, (s, _w) in enumerate(served)) / total_work
    )
    carbon = float(np.dot(years, [s.kpis.carbon_tonnes_per_year for s in summaries]) / years.sum())
    return summaries[-1].kpis.model_copy(
        update={
            **rtt_kpis(np.concatenate(weights), np.concatenate(latency)),
            "carbon_tonnes_per_year": carbon,
            "served_share": served_share,
        }
    )
