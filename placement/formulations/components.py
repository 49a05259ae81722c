"""The building blocks every formulation is assembled from: one ``add_*`` per family.

Notation: open_i, liquid_i, tsite_i ∈ {0,1}; train_ik ∈ {0,1}; serve_ij ∈ [0, s̄] (s̄ the
redundancy cap ``max_share_per_site``), binary under single sourcing; unserved_j ∈ [0,1] only
when demand is soft. F_p is the facility MW of pair p (PUE · IT MW), R_p its racks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from placement.milp.linear_model import Labels, LinearModel
from placement.model.data import ModelData, PairArrays


@dataclass
class Columns:
    """Column indices of each variable family in the model."""

    open: np.ndarray
    liquid: np.ndarray  # one per site that allows liquid cooling, -1 elsewhere
    train: np.ndarray
    serve: np.ndarray
    unserved: np.ndarray | None = None
    training_site: np.ndarray | None = None


# ---------------------------------------------------------------------------- names
def site_labels(data: ModelData, sites: np.ndarray | None = None) -> Labels:
    """``[site]`` for each site index in ``sites`` (default: every site)."""
    index = np.arange(data.n_sites) if sites is None else np.asarray(sites)
    return Labels((data.site_ids,), (index,))


def pair_labels(data: ModelData, pairs: PairArrays, keep: np.ndarray | None = None) -> Labels:
    """``[site,cluster]`` or ``[site,region]`` for the pairs of a family (``keep``: a subset)."""
    others = data.cluster_ids if pairs is data.training else data.region_ids
    site, other = pairs.site, pairs.other
    if keep is not None:
        site, other = site[keep], other[keep]
    return Labels((data.site_ids, others), (site, other))


def mixed_pair_labels(data: ModelData, keep: np.ndarray) -> Labels:
    """Labels of the training pairs followed by the serving pairs, where ``keep`` holds."""
    others = [*data.cluster_ids, *data.region_ids]
    site = np.concatenate([data.training.site, data.serving.site])
    other = np.concatenate([data.training.other, data.serving.other + data.n_clusters])
    return Labels((data.site_ids, others), (site[keep], other[keep]))


def add_site_variables(model: LinearModel, data: ModelData) -> Columns:
    """open_i ∈ {0,1} with bounds from existing/must-open/forbidden; liquid_i where allowed."""
    sites = data.sites
    open_cols = model.add_vars(
        "open",
        data.n_sites,
        lb=sites.open_lb,
        ub=sites.open_ub,
        integer=True,
        cost=sites.fixed_cost,
        labels=site_labels(data),
    )
    allowed = np.flatnonzero(sites.liquid_allowed)
    liquid = np.full(data.n_sites, -1, dtype=np.int64)
    liquid[allowed] = model.add_vars(
        "liquid",
        allowed.size,
        ub=sites.open_ub[allowed],
        integer=True,
        cost=sites.liquid_cost[allowed],
        labels=site_labels(data, allowed),
    )
    empty = np.empty(0, dtype=np.int64)
    return Columns(open=open_cols, liquid=liquid, train=empty, serve=empty)


def add_training_variables(model: LinearModel, data: ModelData, cols: Columns) -> None:
    """train_ik ∈ {0,1} for every eligible training pair, cost c_ik."""
    cols.train = model.add_vars(
        "train",
        len(data.training),
        integer=True,
        cost=data.training.cost,
        labels=pair_labels(data, data.training),
    )


def add_serving_variables(
    model: LinearModel, data: ModelData, cols: Columns, *, binary: bool = False
) -> None:
    """serve_ij ∈ [0, s̄] (binary when single-sourced), cost c_ij per unit share."""
    cols.serve = model.add_vars(
        "serve",
        len(data.serving),
        ub=data.max_share,
        integer=binary,
        cost=data.serving.cost,
        labels=pair_labels(data, data.serving),
    )


def add_unserved_variables(
    model: LinearModel, data: ModelData, cols: Columns, *, binary: bool = False
) -> None:
    """unserved_j ∈ [0,1] (binary when single-sourced) at penalty · MW_j, if demand is soft."""
    if data.unserved_cost is not None:
        cols.unserved = model.add_vars(
            "unserved",
            data.n_regions,
            ub=1.0,
            integer=binary,
            cost=data.unserved_cost,
            labels=Labels((data.region_ids,), (np.arange(data.n_regions),)),
        )


def add_assign_training(model: LinearModel, data: ModelData, cols: Columns) -> None:
    """(1) Σ_i train_ik = 1 for every cluster k."""
    model.add_rows(
        "assign_training",
        data.n_clusters,
        data.training.other,
        cols.train,
        1.0,
        lb=1.0,
        ub=1.0,
        labels=Labels((data.cluster_ids,), (np.arange(data.n_clusters),)),
    )


def add_assign_demand(model: LinearModel, data: ModelData, cols: Columns) -> None:
    """(2) Σ_i serve_ij (+ unserved_j) = 1 for every region j."""
    rows, columns = data.serving.other, cols.serve
    if cols.unserved is not None:
        rows = np.concatenate([rows, np.arange(data.n_regions)])
        columns = np.concatenate([columns, cols.unserved])
    model.add_rows(
        "assign_demand",
        data.n_regions,
        rows,
        columns,
        1.0,
        lb=1.0,
        ub=1.0,
        labels=Labels((data.region_ids,), (np.arange(data.n_regions),)),
    )


def add_pair_linking(model: LinearModel, data: ModelData, cols: Columns) -> None:
    """(3, strong) train_ik ≤ open_i and serve_ij ≤ s̄ · open_i for every pair."""
    _link_each(model, "link_train", data, data.training, cols.train, cols.open, 1.0)
    _link_each(model, "link_serve", data, data.serving, cols.serve, cols.open, data.max_share)


def add_aggregate_linking(model: LinearModel, data: ModelData, cols: Columns) -> None:
    """(3, weak) Σ_p x_p ≤ n_i · open_i over pairs that draw no power (F_p = 0).

    Pairs that draw power are linked to open_i by the power row (4) alone; this row only
    covers zero-demand regions, which the power row cannot see.
    """
    pair_sites = np.concatenate([data.training.site, data.serving.site])
    pair_cols = np.concatenate([cols.train, cols.serve])
    powerless = np.concatenate([data.training.facility_mw, data.serving.facility_mw]) == 0.0
    _aggregate(
        model, "link_powerless", data, pair_sites[powerless], pair_cols[powerless], cols.open
    )


def add_power(model: LinearModel, data: ModelData, cols: Columns) -> None:
    """(4) Σ_k F_ik train_ik + Σ_j F_ij serve_ij − power_i · open_i ≤ 0."""
    _capacity(
        model,
        "power",
        data,
        cols,
        data.training.facility_mw,
        data.serving.facility_mw,
        data.sites.power_mw,
    )


def add_space(model: LinearModel, data: ModelData, cols: Columns) -> None:
    """(6) Σ R_p x_p − racks_i · open_i ≤ 0 at sites with a rack limit."""
    _capacity(model, "space", data, cols, data.training.racks, data.serving.racks, data.sites.racks)


def add_liquid_cooling(
    model: LinearModel, data: ModelData, cols: Columns, *, per_pair: bool = True
) -> None:
    """(5) x_p ≤ liquid_i for pairs that need liquid cooling at i, and liquid_i ≤ open_i.

    With ``per_pair`` False (weak) the first family is aggregated per site:
    Σ_p x_p ≤ n_i · liquid_i.
    """
    pair_sites = np.concatenate([data.training.site, data.serving.site])
    pair_cols = np.concatenate([cols.train, cols.serve])
    needs = np.concatenate([data.training.needs_liquid, data.serving.needs_liquid])
    if per_pair:
        count = int(needs.sum())
        rows = np.arange(count)
        model.add_rows(
            "liquid_pair",
            count,
            np.concatenate([rows, rows]),
            np.concatenate([pair_cols[needs], cols.liquid[pair_sites[needs]]]),
            np.concatenate([np.ones(count), -np.ones(count)]),
            ub=0.0,
            labels=mixed_pair_labels(data, needs),
        )
    else:
        _aggregate(
            model, "liquid_aggregate", data, pair_sites[needs], pair_cols[needs], cols.liquid
        )
    allowed = np.flatnonzero(cols.liquid >= 0)
    rows = np.arange(allowed.size)
    model.add_rows(
        "liquid_open",
        allowed.size,
        np.concatenate([rows, rows]),
        np.concatenate([cols.liquid[allowed], cols.open[allowed]]),
        np.concatenate([np.ones(allowed.size), -np.ones(allowed.size)]),
        ub=0.0,
        labels=site_labels(data, allowed),
    )


def add_max_sites(model: LinearModel, data: ModelData, cols: Columns) -> None:
    """(7a) Σ_i open_i ≤ p."""
    limit = data.scenario.rules.max_sites
    if limit is not None:
        model.add_rows("max_sites", 1, np.zeros(data.n_sites), cols.open, 1.0, ub=limit)


def add_max_training_sites(
    model: LinearModel, data: ModelData, cols: Columns, *, per_pair: bool = True
) -> None:
    """(7b) train_ik ≤ tsite_i (weak: Σ_k train_ik ≤ K_i tsite_i), tsite_i ≤ open_i, Σ tsite ≤ t."""
    limit = data.scenario.rules.max_training_sites
    if limit is None:
        return
    tsite = model.add_vars(
        "training_site",
        data.n_sites,
        ub=data.sites.open_ub,
        integer=True,
        labels=site_labels(data),
    )
    cols.training_site = tsite
    if per_pair:
        _link_each(model, "link_training_site", data, data.training, cols.train, tsite, 1.0)
    else:
        _aggregate(model, "link_training_site", data, data.training.site, cols.train, tsite)
    rows = np.arange(data.n_sites)
    model.add_rows(
        "training_site_open",
        data.n_sites,
        np.concatenate([rows, rows]),
        np.concatenate([tsite, cols.open]),
        np.concatenate([np.ones(data.n_sites), -np.ones(data.n_sites)]),
        ub=0.0,
        labels=site_labels(data),
    )
    model.add_rows("max_training_sites", 1, np.zeros(data.n_sites), tsite, 1.0, ub=limit)


def add_carbon_cap(model: LinearModel, data: ModelData, cols: Columns) -> None:
    """(7c) Σ_p tCO2_p x_p ≤ cap (tonnes per year)."""
    cap = data.scenario.rules.carbon_cap_tonnes_per_year
    if cap is None:
        return
    columns = np.concatenate([cols.train, cols.serve])
    values = np.concatenate([data.training.carbon_t, data.serving.carbon_t])
    model.add_rows("carbon_cap", 1, np.zeros(columns.size), columns, values, ub=cap)


# ---------------------------------------------------------------------------- helpers
def _link_each(
    model: LinearModel,
    name: str,
    data: ModelData,
    pairs: PairArrays,
    pair_cols: np.ndarray,
    site_cols: np.ndarray,
    coefficient: float,
) -> None:
    """x_p − coefficient · y_site(p) ≤ 0 for every pair p."""
    n = len(pairs)
    rows = np.arange(n)
    model.add_rows(
        name,
        n,
        np.concatenate([rows, rows]),
        np.concatenate([pair_cols, site_cols[pairs.site]]),
        np.concatenate([np.ones(n), np.full(n, -coefficient)]),
        ub=0.0,
        labels=pair_labels(data, pairs),
    )


def _aggregate(
    model: LinearModel,
    name: str,
    data: ModelData,
    pair_sites: np.ndarray,
    pair_cols: np.ndarray,
    site_cols: np.ndarray,
) -> None:
    """Σ_{p at i} x_p − n_i · y_i ≤ 0 for each site i with at least one such pair."""
    sites, row_of_pair, counts = np.unique(pair_sites, return_inverse=True, return_counts=True)
    model.add_rows(
        name,
        sites.size,
        np.concatenate([row_of_pair, np.arange(sites.size)]),
        np.concatenate([pair_cols, site_cols[sites]]),
        np.concatenate([np.ones(pair_cols.size), -counts.astype(float)]),
        ub=0.0,
        labels=site_labels(data, sites),
    )


def _capacity(
    model: LinearModel,
    name: str,
    data: ModelData,
    cols: Columns,
    train_use: np.ndarray,
    serve_use: np.ndarray,
    capacity: np.ndarray,
) -> None:
    """Σ use_p x_p − capacity_i · open_i ≤ 0 for each site with finite capacity."""
    finite = np.isfinite(capacity)
    row_of_site = np.full(data.n_sites, -1, dtype=np.int64)
    row_of_site[finite] = np.arange(int(finite.sum()))
    pair_sites = np.concatenate([data.training.site, data.serving.site])
    pair_cols = np.concatenate([cols.train, cols.serve])
    use = np.concatenate([train_use, serve_use])
    keep = finite[pair_sites]
    sites = np.flatnonzero(finite)
    model.add_rows(
        name,
        sites.size,
        np.concatenate([row_of_site[pair_sites[keep]], row_of_site[sites]]),
        np.concatenate([pair_cols[keep], cols.open[sites]]),
        np.concatenate([use[keep], -capacity[sites]]),
        ub=0.0,
        labels=site_labels(data, sites),
    )
