"""The multi-period formulation: one placement model per period, linked by what persists.

Periods t = 1..T with discount weights w_t and W_t = Σ_{τ≥t} w_τ (see
:mod:`placement.model.period_data`). Each period has every variable family and row of the
single-period formulation chosen (``strong``, ``weak`` or ``single_source``; the blocks of
:mod:`placement.formulations.components`) over its own data, the block names suffixed
``@year`` (``serve@2027[dallas_tx,48113]``). Training pairs x_p form one family for all
periods: a cluster stays where, and as, it is placed from its arrival a(p) on.

min  Σ_t [ Σ_f (w_t F°_ft + ΔF_ft) open_ft + Σ_s (w_t G°_st + ΔG_st) install_st
           + w_t (Σ_q c'_qt serve_qt + Σ_v c'_vt y_vt + Σ_j u_jt unserved_jt)
           + W_t (Σ_f b_ft B_ft + Σ_s k_st D_st) ]
     + Σ_p (Σ_{t ≥ a(p)} w_t c'_pt) x_p

c' is a variable's cost in period t without build and cooling capital per MW (bought as
blocks B, D instead); F° / G° the operating part of a facility's / cooling option's fixed
cost; ΔF_ft = F^cap_ft W_t − F^cap_f,t+1 W_t+1 at build facilities, whose fixed capital is
paid from the period they open in, at its price (the sum over t telescopes), and w_t F^cap_ft
elsewhere; ΔG likewise for cooling options at build facilities.

s.t. in every period t, the single-period rows (2)–(7) over open_·t, install_·t, serve_·t,
     y_·t, unserved_·t and the pairs x_p of the clusters arrived by t; and
     (1)  Σ_p∈k x_p = 1                                             ∀ clusters k (once)
     (P1) open_f,t−1 ≤ open_ft                          ∀ build facilities f, t ≥ 2
     (P2) install_s,t−1 ≤ install_st                    ∀ install options s (build), t ≥ 2
     (P3) Σ_p∈f MW_p x_p + Σ_q∈f MW_qt serve_qt ≤ Σ_{τ≤t} B_fτ          ∀ build facilities f
     (P4) Σ_{p in s} MW_p x_p + Σ_{q in s} MW_qt serve_qt + Σ_{v in s} y_vt ≤ Σ_{τ≤t} D_sτ
                                                        ∀ options s with capital per MW
     (P5) B_ft ≤ P_f open_ft;  D_st ≤ P_f(s) open_f(s)t   (capacity only where built; P_f the
          facility's power, which bounds its IT MW)
     (7d) Σ_{τ≤t} [F^cap_fτ (open_fτ − open_f,τ−1) + G^cap_sτ (install_sτ − install_s,τ−1)
          + b_fτ B_fτ + k_sτ D_sτ] + Σ hardware capital in t ≤ budget   (with a budget)
B_ft, D_st ≥ 0 (IT MW bought in t); open, install, x binary; the rest as in one period.
One period of one year (w = W = 1) has B = D = the load at the optimum: the single-period
model and its optimum.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from placement.formulations import Built
from placement.formulations import components as c
from placement.milp.linear_model import Labels, LinearModel
from placement.milp.scope import Scoped
from placement.model.data import ModelData, PairArrays
from placement.model.offer import BUILD
from placement.model.period_data import PeriodData

Model = LinearModel | Scoped


@dataclass
class PeriodBuilt(Built):
    """A built multi-period model. ``columns`` are the last period's; ``periods[t]`` each
    period's; ``building[f, t]`` / ``cooling[s, t]`` the block columns (−1: none)."""

    periods: tuple[c.Columns, ...] = ()
    building: np.ndarray = field(default_factory=lambda: np.empty((0, 0), dtype=np.int64))
    cooling: np.ndarray = field(default_factory=lambda: np.empty((0, 0), dtype=np.int64))


def build(pdata: PeriodData, formulation: str = "strong") -> PeriodBuilt:
    """The multi-period model of ``pdata`` with ``formulation``'s rows in each period."""
    strong = formulation != "weak"
    binary = formulation == "single_source"
    model = LinearModel()
    train = add_persistent_training(model, pdata)
    n_facilities, n_options = pdata.last.data.n_sites, len(pdata.last.data.cooling)
    building = np.full((n_facilities, len(pdata.periods)), -1, dtype=np.int64)
    cooling = np.full((n_options, len(pdata.periods)), -1, dtype=np.int64)
    periods: list[c.Columns] = []
    for t, period in enumerate(pdata.periods):
        scope = Scoped(model, f"@{period.year}")
        data = period.data
        cols = add_period_sites(scope, pdata, t)
        cols.train = train[period.train]
        add_period_serving(scope, pdata, t, cols, binary=binary)
        add_single_period_rows(scope, data, cols, strong=strong)
        building[:, t] = add_building_blocks(scope, pdata, t)
        cooling[:, t] = add_cooling_blocks(scope, pdata, t)
        add_blocks_at_open(scope, pdata, t, cols, building[:, t], cooling[:, t])
        add_building_capacity(scope, data, cols, building[:, : t + 1])
        add_cooling_capacity(scope, data, cols, cooling[:, : t + 1])
        if t:
            add_persistence(scope, data, periods[-1], cols)
        periods.append(cols)
        add_capital_budget(scope, pdata, t, periods, building, cooling)
    return PeriodBuilt(
        model=model,
        columns=periods[-1],
        formulation=formulation,
        periods=tuple(periods),
        building=building,
        cooling=cooling,
    )


def operating(pairs: PairArrays) -> np.ndarray:
    """A variable's cost in its period without build and cooling capital per MW (blocks)."""
    return pairs.cost - pairs.build - pairs.cooling_cost


# ---------------------------------------------------------------------------- variables
def add_persistent_training(model: LinearModel, pdata: PeriodData) -> np.ndarray:
    """x_p ∈ {0,1} for every persistent training pair at cost Σ_{t ≥ a(p)} w_t c'_pt, and
    (1) Σ_p∈k x_p = 1 for every cluster k."""
    cost = np.zeros(len(pdata.training))
    for period in pdata.periods:
        np.add.at(cost, period.train, period.weight * operating(period.data.training))
    last = pdata.last.data
    train = model.add_vars(
        "train",
        len(pdata.training),
        integer=True,
        cost=cost,
        labels=c.pair_labels(last, last.training),
    )
    empty = np.empty(0, dtype=np.int64)
    c.add_assign_training(model, last, c.Columns(empty, empty, train, empty, empty))
    return train


def capital_flow(
    pdata: PeriodData, t: int, capital: Callable[[ModelData], np.ndarray], persists: np.ndarray
) -> np.ndarray:
    """Objective coefficient of a fixed capital in period t's open/install variable: ΔF_t =
    F_t W_t − F_{t+1} W_{t+1} where the decision persists (paid from the first period it is
    1, at that period's price), w_t F_t where it does not."""
    period = pdata.periods[t]
    now = capital(period.data)
    if t + 1 < len(pdata.periods):
        nxt = pdata.periods[t + 1]
        flow = now * period.remaining - capital(nxt.data) * nxt.remaining
    else:
        flow = now * period.remaining
    return np.where(persists, flow, period.weight * now)


def add_period_sites(scope: Model, pdata: PeriodData, t: int) -> c.Columns:
    """open_ft ∈ {0,1} at w_t F°_f + ΔF_ft, install_st ∈ {0,1} at w_t G°_s + ΔG_st (options
    with a fixed cost), bounds from existing/must-open/forbidden as in one period."""
    period = pdata.periods[t]
    data = period.data
    sites, cool = data.sites, data.cooling
    open_cost = period.weight * sites.fixed_cost + capital_flow(
        pdata, t, lambda d: d.sites.fixed_capital, sites.mode == BUILD
    )
    open_cols = scope.add_vars(
        "open",
        data.n_sites,
        lb=sites.open_lb,
        ub=sites.open_ub,
        integer=True,
        cost=open_cost,
        labels=c.site_labels(data),
    )
    installable = np.flatnonzero(cool.needs_install)
    install_cost = period.weight * cool.fixed_cost + capital_flow(
        pdata, t, lambda d: d.cooling.fixed_capital, sites.mode[cool.facility] == BUILD
    )
    install = np.full(len(cool), -1, dtype=np.int64)
    install[installable] = scope.add_vars(
        "install",
        installable.size,
        ub=sites.open_ub[cool.facility[installable]],
        integer=True,
        cost=install_cost[installable],
        labels=Labels((data.cooling_ids,), (installable,)),
    )
    empty = np.empty(0, dtype=np.int64)
    return c.Columns(open=open_cols, install=install, train=empty, serve=empty, split=empty)


def add_period_serving(
    scope: Model, pdata: PeriodData, t: int, cols: c.Columns, *, binary: bool
) -> None:
    """serve_qt ∈ [0, s̄] at w_t c'_qt (binary under single sourcing), split y_vt ≥ 0 at
    w_t c'_vt, unserved_jt ∈ [0, 1] at w_t u_jt when demand is soft."""
    period = pdata.periods[t]
    data, w = period.data, period.weight
    cols.serve = scope.add_vars(
        "serve",
        len(data.serving),
        ub=data.max_share,
        integer=binary,
        cost=w * operating(data.serving),
        labels=c.pair_labels(data, data.serving),
    )
    cols.split = scope.add_vars(
        "split",
        len(data.split),
        ub=np.inf,
        cost=w * operating(data.split),
        labels=c.pair_labels(data, data.split),
    )
    if data.unserved_cost is not None:
        cols.unserved = scope.add_vars(
            "unserved",
            data.n_regions,
            ub=1.0,
            integer=binary,
            cost=w * data.unserved_cost,
            labels=Labels((data.region_ids,), (np.arange(data.n_regions),)),
        )


def add_building_blocks(scope: Model, pdata: PeriodData, t: int) -> np.ndarray:
    """B_ft ≥ 0: IT MW of building bought at build facility f in period t, at its annualised
    price b_ft paid from t to the horizon (W_t). Returns the column per facility (−1: none)."""
    period = pdata.periods[t]
    data = period.data
    facilities = np.flatnonzero((data.sites.mode == BUILD) & (data.sites.open_ub > 0))
    out = np.full(data.n_sites, -1, dtype=np.int64)
    out[facilities] = scope.add_vars(
        "building",
        facilities.size,
        ub=np.inf,
        cost=data.offer.facilities.build_per_mw[facilities] * period.remaining,
        labels=c.site_labels(data, facilities),
    )
    return out


def add_cooling_blocks(scope: Model, pdata: PeriodData, t: int) -> np.ndarray:
    """D_st ≥ 0: IT MW of cooling option s bought in t (options at build facilities with a
    capital per MW), at k_st W_t. Returns the column per cooling option (−1: none)."""
    period = pdata.periods[t]
    data = period.data
    options = cooling_block_options(data)
    out = np.full(len(data.cooling), -1, dtype=np.int64)
    out[options] = scope.add_vars(
        "cooling_block",
        options.size,
        ub=np.inf,
        cost=data.offer.cooling.capital_per_mw[options] * period.remaining,
        labels=Labels((data.cooling_ids,), (options,)),
    )
    return out


def cooling_block_options(data: ModelData) -> np.ndarray:
    """Cooling options whose capacity is bought in blocks: a capital per MW, at a build
    facility that may open (every period the same: price indices are > 0)."""
    cool = data.offer.cooling
    return np.flatnonzero(
        (cool.capital_per_mw > 0)
        & (data.sites.mode[cool.facility] == BUILD)
        & (data.sites.open_ub[cool.facility] > 0)
    )


# ---------------------------------------------------------------------------- rows
def add_blocks_at_open(
    scope: Model,
    pdata: PeriodData,
    t: int,
    cols: c.Columns,
    building: np.ndarray,
    cooling: np.ndarray,
) -> None:
    """(P5) B_ft − P_f open_ft ≤ 0 and D_st − P_f open_ft ≤ 0: capacity is bought only at a
    facility built (open) by then; P_f, the facility's power, bounds its IT MW.

    Only where buying early could pay: when a later period's price is higher (in present
    value, or in annualised capital under a capital budget). Elsewhere the row is redundant
    and left out (exact: a block bought before its facility opens can move to the opening
    period at no higher cost and capital, and every capacity row before it has no load), and
    its big coefficient slows the LP (measured: us_default root LP 5.7 s without, 120 s
    not finished with)."""
    data = pdata.periods[t].data
    budget = pdata.scenario.rules.capital_budget_usd_per_year is not None
    building_price = np.array([p.data.offer.facilities.build_per_mw for p in pdata.periods])
    cooling_price = np.array([p.data.offer.cooling.capital_per_mw for p in pdata.periods])
    early_building = _may_buy_early(pdata, t, building_price, budget) & (building >= 0)
    early_cooling = _may_buy_early(pdata, t, cooling_price, budget) & (cooling >= 0)
    facility = np.concatenate(
        [np.flatnonzero(early_building), data.cooling.facility[early_cooling]]
    )
    blocks = np.concatenate([building[early_building], cooling[early_cooling]])
    n = blocks.size
    if n == 0:
        return
    rows = np.arange(n)
    owner = np.concatenate(
        [np.flatnonzero(early_building), data.n_sites + np.flatnonzero(early_cooling)]
    )
    scope.add_rows(
        "block_open",
        n,
        np.concatenate([rows, rows]),
        np.concatenate([blocks, cols.open[facility]]),
        np.concatenate([np.ones(n), -data.sites.capacity[facility]]),
        ub=0.0,
        labels=Labels(([*data.facility_ids, *data.cooling_ids],), (owner,)),
    )


def _may_buy_early(pdata: PeriodData, t: int, price: np.ndarray, budget: bool) -> np.ndarray:
    """Owners whose block bought in t could cost less than one bought later: price (T,
    owners) × W below a later period's, or (with a capital budget) price below a later one."""
    if t + 1 >= len(pdata.periods):
        return np.zeros(price.shape[1], dtype=bool)
    remaining = np.array([p.remaining for p in pdata.periods])[:, None]
    present = price * remaining
    early = present[t] < present[t + 1 :].max(axis=0)
    if budget:
        early |= price[t] < price[t + 1 :].max(axis=0)
    return early


def add_single_period_rows(scope: Model, data: ModelData, cols: c.Columns, *, strong: bool) -> None:
    """(2)–(7) of one period (components.py), strong or weak linking; (1) holds once and the
    capital budget (7d) is the period's own (:func:`add_capital_budget`)."""
    c.add_assign_demand(scope, data, cols)
    c.add_split_balance(scope, data, cols)
    c.add_share_cap(scope, data, cols)
    if strong:
        c.add_pair_linking(scope, data, cols)
    else:
        c.add_aggregate_linking(scope, data, cols)
    c.add_power(scope, data, cols)
    c.add_cooling_linking(scope, data, cols, per_pair=strong)
    c.add_space(scope, data, cols)
    c.add_cloud_quota(scope, data, cols)
    c.add_max_sites(scope, data, cols)
    c.add_max_training_sites(scope, data, cols, per_pair=strong)
    c.add_carbon_cap(scope, data, cols)


def add_building_capacity(
    scope: Model, data: ModelData, cols: c.Columns, blocks: np.ndarray
) -> None:
    """(P3) Σ_p∈f MW_p x_p + Σ_q∈f MW_qt serve_qt − Σ_{τ≤t} B_fτ ≤ 0 at build facilities."""
    tr, sv = data.training, data.serving
    _capacity_rows(
        scope,
        "building_capacity",
        owners=np.flatnonzero(blocks[:, 0] >= 0),
        owner_of=np.concatenate([tr.site, sv.site]),
        columns=np.concatenate([cols.train, cols.serve]),
        mw=np.concatenate([tr.it_mw, sv.it_mw]),
        blocks=blocks,
        labels=lambda owners: c.site_labels(data, owners),
    )


def add_cooling_capacity(
    scope: Model, data: ModelData, cols: c.Columns, blocks: np.ndarray
) -> None:
    """(P4) IT MW in option s (training pairs, serving pairs held in s alone, split variables)
    − Σ_{τ≤t} D_sτ ≤ 0 for options bought in blocks."""
    tr, sv, sp = data.training, data.serving, data.split
    _capacity_rows(
        scope,
        "cooling_capacity",
        owners=np.flatnonzero(blocks[:, 0] >= 0),
        owner_of=np.concatenate([tr.tech, sv.tech, sp.tech]),
        columns=np.concatenate([cols.train, cols.serve, cols.split]),
        mw=np.concatenate([tr.it_mw, sv.it_mw, sp.it_mw]),
        blocks=blocks,
        labels=lambda owners: Labels((data.cooling_ids,), (owners,)),
    )


def _capacity_rows(
    scope: Model,
    name: str,
    *,
    owners: np.ndarray,
    owner_of: np.ndarray,
    columns: np.ndarray,
    mw: np.ndarray,
    blocks: np.ndarray,
    labels: Callable[[np.ndarray], Labels],
) -> None:
    """Σ MW · x over the variables of each owner − Σ_τ blocks[owner, τ] ≤ 0."""
    if owners.size == 0:
        return
    row_of = np.full(blocks.shape[0], -1, dtype=np.int64)
    row_of[owners] = np.arange(owners.size)
    rows_of_vars = np.where(owner_of >= 0, row_of[np.maximum(owner_of, 0)], -1)
    keep = (rows_of_vars >= 0) & (mw != 0)
    n_blocks = blocks.shape[1]
    scope.add_rows(
        name,
        owners.size,
        np.concatenate([rows_of_vars[keep], np.repeat(np.arange(owners.size), n_blocks)]),
        np.concatenate([columns[keep], blocks[owners].ravel()]),
        np.concatenate([mw[keep], -np.ones(owners.size * n_blocks)]),
        ub=0.0,
        labels=labels(owners),
    )


def add_persistence(scope: Model, data: ModelData, before: c.Columns, now: c.Columns) -> None:
    """(P1) open_f,t−1 − open_ft ≤ 0 at build facilities; (P2) install_s,t−1 − install_st ≤ 0
    for install options at build facilities: what is built stays built."""
    built = np.flatnonzero(data.sites.mode == BUILD)
    _monotone(
        scope, "persist_open", before.open[built], now.open[built], c.site_labels(data, built)
    )
    cool = data.cooling
    options = np.flatnonzero((now.install >= 0) & (data.sites.mode[cool.facility] == BUILD))
    _monotone(
        scope,
        "persist_install",
        before.install[options],
        now.install[options],
        Labels((data.cooling_ids,), (options,)),
    )


def _monotone(scope: Model, name: str, before: np.ndarray, now: np.ndarray, labels: Labels) -> None:
    n = before.size
    rows = np.arange(n)
    scope.add_rows(
        name,
        n,
        np.concatenate([rows, rows]),
        np.concatenate([before, now]),
        np.concatenate([np.ones(n), -np.ones(n)]),
        ub=0.0,
        labels=labels,
    )


def add_capital_budget(
    scope: Model,
    pdata: PeriodData,
    t: int,
    periods: list[c.Columns],
    building: np.ndarray,
    cooling: np.ndarray,
) -> None:
    """(7d) period t's annualised capital ≤ budget: fixed capital of what is open and
    installed at the price of the period it opened/was installed in, the blocks bought so far
    at their prices, and the hardware capital of the load in t."""
    budget = pdata.scenario.rules.capital_budget_usd_per_year
    if budget is None:
        return
    data = pdata.periods[t].data
    persists = data.sites.mode == BUILD
    parts_cols: list[np.ndarray] = []
    parts_vals: list[np.ndarray] = []
    installable = np.flatnonzero(periods[t].install >= 0)
    option_persists = persists[data.cooling.facility[installable]]
    for tau in range(t + 1):
        at = pdata.periods[tau].data
        after = pdata.periods[tau + 1].data if tau < t else None
        site_capital = at.sites.fixed_capital - (
            after.sites.fixed_capital if after is not None else 0.0
        )
        parts_cols.append(periods[tau].open)
        parts_vals.append(np.where(persists, site_capital, at.sites.fixed_capital * (tau == t)))
        option_capital = at.cooling.fixed_capital[installable] - (
            after.cooling.fixed_capital[installable] if after is not None else 0.0
        )
        parts_cols.append(periods[tau].install[installable])
        parts_vals.append(
            np.where(
                option_persists,
                option_capital,
                at.cooling.fixed_capital[installable] * (tau == t),
            )
        )
        for blocks, price in (
            (building[:, tau], at.offer.facilities.build_per_mw),
            (cooling[:, tau], at.offer.cooling.capital_per_mw),
        ):
            has = blocks >= 0
            parts_cols.append(blocks[has])
            parts_vals.append(price[has])
    cols = periods[t]
    parts_cols += [cols.train, cols.serve]
    parts_vals += [data.training.hardware, data.serving.hardware]
    columns = np.concatenate(parts_cols)
    scope.add_rows(
        "capital_budget",
        1,
        np.zeros(columns.size, dtype=np.int64),
        columns,
        np.concatenate(parts_vals),
        ub=budget,
    )
