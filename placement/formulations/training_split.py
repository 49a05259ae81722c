"""Training clusters split over nearby sites (a cluster's ``split``).

Part pairs q = (f, k, o, s) of :attr:`ModelData.parts`: a share x_q ∈ [0, 1] of cluster k at
facility f in cooling option s, built as option o, with the coefficients of the whole cluster
there (cost c_q, capacity use U_q, racks R_q, tCO2, capital) scaled by the share. For each
splittable cluster k with interconnect price I_k, site bound d_k and at most m_k sites:

    (10a) Σ_p train_p + Σ_{q ∈ k} x_q = 1        (x joins the cluster's row (1))
    (10b) σ_k − Σ_{q ∈ k} x_q = 0,  σ_k ∈ {0,1}  (the cluster runs split)
    (10c) x_q ≤ y_{k,i(q)},  y ∈ {0,1}            (site i holds a part)
    (10d) 2 σ_k ≤ Σ_i y_{k,i} ≤ m_k σ_k           (split means two sites or more)
    (10e) y_{k,i} + y_{k,i'} ≤ 1                  for sites with RTT_{ii'} > d_k
    (10f) x_q ≤ ω_{k,o(q)},  Σ_o ω_{k,o} = σ_k    (one way to build it, with several options)
    (10g) x_q ≤ open_f;  x_q ≤ install_s;  x_q ≤ tsite_f (with rules.max_training_sites)
    (10h) parts join (4) power, (6) racks, (7c) carbon and (7d) capital
    cost  Σ c_q x_q + I_k (Σ_i y_{k,i} − σ_k)     (interconnect per site beyond the first)

Whole placement (train_p) is unchanged, so a cluster splits only where that is cheaper.
"""

from __future__ import annotations

import numpy as np

from placement.formulations.components import Columns, _at_most
from placement.formulations.joins import join_capacity_rows, link_to_open
from placement.milp.linear_model import Labels, LinearModel
from placement.model.data import ModelData
from placement.model.training_split import conflicting_sites, site_rtt_ms


def add_training_split(model: LinearModel, data: ModelData, cols: Columns) -> None:
    pt = data.parts
    if len(pt) == 0:
        return
    scenario = data.scenario
    cols.parts = model.add_vars("part", len(pt), cost=pt.cost, labels=_part_labels(data))
    assign = model.row_blocks["assign_training"].start
    model.add_to_rows(assign + pt.other, cols.parts, 1.0)  # (10a)
    link_to_open(model, "part", cols.parts, pt, cols.open, cols.install, 1.0)
    if cols.training_site is not None:
        _link(model, "part_training_site", cols.parts, cols.training_site[pt.site])
    join_capacity_rows(model, data, cols.parts, pt)
    clusters = np.unique(pt.other)
    price = np.array([scenario.training[k].split.interconnect_usd_per_year for k in clusters])
    used = model.add_vars(
        "split_used",
        clusters.size,
        integer=True,
        cost=-price,
        labels=Labels((data.cluster_ids,), (clusters,)),
    )
    cols.split_used = used
    cluster_row = np.searchsorted(clusters, pt.other)
    _equal(model, "split_used_share", used, cluster_row, cols.parts)  # (10b)
    site = data.sites.site[pt.site]
    n_sites = len(scenario.sites)
    key = pt.other * n_sites + site
    holders, holder_of = np.unique(key, return_inverse=True)
    holder_cluster = np.searchsorted(clusters, holders // n_sites)
    hold = model.add_vars(
        "split_site",
        holders.size,
        integer=True,
        cost=price[holder_cluster],
        labels=Labels(
            (data.cluster_ids, [s.id for s in scenario.sites]),
            (holders // n_sites, holders % n_sites),
        ),
    )
    cols.split_site = hold
    _link(model, "part_site", cols.parts, hold[holder_of.reshape(-1)])  # (10c)
    _site_count(model, data, clusters, used, hold, holder_cluster)  # (10d)
    _far_apart(model, data, clusters, hold, holders, n_sites)  # (10e)
    _one_option(model, data, clusters, used, cluster_row, cols.parts)  # (10f)


def _part_labels(data: ModelData) -> Labels:
    pt = data.parts
    names = [f"{data.cluster_ids[k]}:{o.id}" for o, k in zip(
        data.training_options, data.option_cluster.tolist(), strict=True)]  # fmt: skip
    technologies = sorted(set(data.cooling.technology))
    order = {t: n for n, t in enumerate(technologies)}
    tech = np.array([order[data.cooling.technology[s]] for s in pt.tech], dtype=np.int64)
    vocabulary = [f"{n}:{t}" for n in names for t in technologies]
    return Labels((data.facility_ids, vocabulary), (pt.site, pt.option * len(order) + tech))


def _link(model: LinearModel, name: str, columns: np.ndarray, upper: np.ndarray) -> None:
    """x − y ≤ 0 for each pair of columns."""
    _at_most(model, name, columns, upper, 1.0, labels=None)


def _equal(
    model: LinearModel, name: str, total: np.ndarray, row_of: np.ndarray, members: np.ndarray
) -> None:
    """total_r − Σ_{m in r} member_m = 0."""
    n = total.size
    model.add_rows(
        name,
        n,
        np.concatenate([np.arange(n), row_of]),
        np.concatenate([total, members]),
        np.concatenate([np.ones(n), -np.ones(members.size)]),
        lb=0.0,
        ub=0.0,
    )


def _site_count(
    model: LinearModel,
    data: ModelData,
    clusters: np.ndarray,
    used: np.ndarray,
    hold: np.ndarray,
    holder_cluster: np.ndarray,
) -> None:
    """2 σ_k ≤ Σ_i y_{k,i} ≤ m_k σ_k."""
    n = clusters.size
    most = np.array([data.scenario.training[k].split.max_sites for k in clusters], dtype=float)
    rows = np.concatenate([np.arange(n), holder_cluster])
    columns = np.concatenate([used, hold])
    for name, coefficient in (("split_sites_at_most", -most), ("split_sites_at_least", -2.0)):
        values = np.concatenate([np.broadcast_to(coefficient, (n,)), np.ones(hold.size)])
        bounds = {"ub": 0.0} if name.endswith("most") else {"lb": 0.0}
        model.add_rows(name, n, rows, columns, values, **bounds)


def _far_apart(
    model: LinearModel,
    data: ModelData,
    clusters: np.ndarray,
    hold: np.ndarray,
    holders: np.ndarray,
    n_sites: int,
) -> None:
    """y_{k,i} + y_{k,i'} ≤ 1 for the candidate sites of k further apart than its bound."""
    rtt = site_rtt_ms(data.scenario)
    column_of = dict(zip(holders.tolist(), hold.tolist(), strict=True))
    pairs = []
    for k in clusters.tolist():
        candidates = holders[holders // n_sites == k] % n_sites
        for i, j in conflicting_sites(data.scenario, k, candidates, rtt).tolist():
            pairs.append((column_of[k * n_sites + i], column_of[k * n_sites + j]))
    if not pairs:
        return
    both = np.array(pairs, dtype=np.int64)
    n = both.shape[0]
    rows = np.arange(n)
    model.add_rows(
        "split_too_far",
        n,
        np.concatenate([rows, rows]),
        np.concatenate([both[:, 0], both[:, 1]]),
        1.0,
        ub=1.0,
    )


def _one_option(
    model: LinearModel,
    data: ModelData,
    clusters: np.ndarray,
    used: np.ndarray,
    cluster_row: np.ndarray,
    parts: np.ndarray,
) -> None:
    """x_q ≤ ω_{k,o(q)} and Σ_o ω_{k,o} = σ_k, for clusters with several ways to build."""
    pt = data.parts
    several = np.array([len(data.scenario.training[k].choices) > 1 for k in clusters])
    if not several.any():
        return
    keep = several[cluster_row]
    options, option_of = np.unique(pt.option[keep], return_inverse=True)
    choose = model.add_vars(
        "split_option",
        options.size,
        integer=True,
        labels=Labels(([o.id for o in data.training_options],), (options,)),
    )
    _link(model, "part_option", parts[keep], choose[option_of.reshape(-1)])
    chosen = np.flatnonzero(several)
    owner = np.searchsorted(clusters[chosen], data.option_cluster[options])
    model.add_rows(
        "split_option_one",
        chosen.size,
        np.concatenate([np.arange(chosen.size), owner]),
        np.concatenate([used[chosen], choose]),
        np.concatenate([np.ones(chosen.size), -np.ones(options.size)]),
        lb=0.0,
        ub=0.0,
    )
