"""Soft rules as priced slack (``rules.soft``); the soft SLO needs none (see
:mod:`placement.model.soft_rules`: it is a cost on the pairs beyond the SLO).

    (9a) power:   Σ U x − σ_f ≤ power_f · open_f,  0 ≤ σ_f ≤ M_f · open_f,  cost π_P σ_f
                  for built facilities (row (4)); M_f = the most that could be placed at f
                  (per cluster and per region its largest use there, plus spare) less power_f
    (9b) capital: Σ capital x − κ ≤ budget,  κ ≥ 0,  cost π_K κ                 (row (7d))
    (9c) carbon:  Σ tCO2 x − τ ≤ cap,  τ ≥ 0,  cost π_C τ                          (row (7c))

At the optimum each slack is exactly the violation (it is priced and bounded below only by
it), so the objective carries price × violation.
"""

from __future__ import annotations

import numpy as np

from placement.formulations.components import Columns, site_labels
from placement.formulations.joins import facility_rows, single_row
from placement.milp.linear_model import LinearModel
from placement.model.data import ModelData, PairArrays


def add_soft_rules(model: LinearModel, data: ModelData, cols: Columns) -> None:
    soft = data.scenario.rules.soft
    if soft is None:
        return
    if soft.power_usd_per_mw_year is not None:
        _soft_power(model, data, cols, soft.power_usd_per_mw_year)
    for block, price in (
        ("capital_budget", soft.capital_usd_per_usd),
        ("carbon_cap", soft.carbon_usd_per_tonne),
    ):
        row = single_row(model, block)
        if price is None or row is None:
            continue
        slack = model.add_vars(f"{block}_over", 1, ub=np.inf, cost=price)
        model.add_to_rows(np.array([row]), slack, -1.0)
        cols.soft[block] = slack


def _soft_power(model: LinearModel, data: ModelData, cols: Columns, price: float) -> None:
    rows = facility_rows(model, "power", data.sites.capacity)
    built = np.flatnonzero((rows >= 0) & (data.sites.mode == "build"))
    if built.size == 0:
        return
    reach = np.maximum(_most_use(data)[built] - data.sites.capacity[built], 0.0)
    slack = model.add_vars(
        "power_over", built.size, ub=np.inf, cost=price, labels=site_labels(data, built)
    )
    model.add_to_rows(rows[built], slack, -1.0)
    n = built.size
    index = np.arange(n)
    model.add_rows(
        "power_over_open",
        n,
        np.concatenate([index, index]),
        np.concatenate([slack, cols.open[built]]),
        np.concatenate([np.ones(n), -reach]),
        ub=0.0,
        labels=site_labels(data, built),
    )
    cols.soft["power"] = slack


def _most_use(data: ModelData) -> np.ndarray:
    """Per facility, an upper bound of its capacity use: for every cluster and every region
    the largest use of one of its variables there, plus the spare it could hold."""
    out = np.zeros(data.n_sites)
    for pairs, groups in (
        (data.training, data.n_clusters),
        (data.parts, data.n_clusters),
        (data.serving, data.n_regions),
    ):
        out += _largest_per_group(data, pairs, groups)
    np.add.at(out, data.spare.site, data.spare.capacity_use * data.spare_upper)
    return out


def _largest_per_group(data: ModelData, pairs: PairArrays, groups: int) -> np.ndarray:
    if len(pairs) == 0:
        return np.zeros(data.n_sites)
    key = pairs.site * max(groups, 1) + pairs.other
    largest = np.zeros(data.n_sites * max(groups, 1))
    np.maximum.at(largest, key, pairs.capacity_use)
    return largest.reshape(data.n_sites, max(groups, 1)).sum(axis=1)
