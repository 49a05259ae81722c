"""Rows that turn one model into a search for other good plans (``solve(..., alternatives=N)``).

F is the set of free facilities (neither forced open nor forbidden), S_m ⊆ F the facilities
plan m opens, d_m(open) = Σ_{f ∈ S_m} (1 − open_f) + Σ_{f ∈ F \\ S_m} open_f its Hamming
distance to plan m.

    (11a) no-good cut:   d_m(open) ≥ 1                 plan m is not repeated
    (11b) material use:  open_f ≤ Σ_{q at f} serve_q / δ + Σ_{p at f} train_p
                               + Σ_{q at f} part_q / δ + Σ_{v at f} z_v / (δ W̄)
          for free facilities without a fixed cost (cloud regions, leases without a fee): such a
          facility counts as opened when it carries at least δ of a region's demand (or a
          cluster, or spare for δ of the smallest region W̄), else every plan plus a sliver at
          a free facility would be a "different" plan at no cost
    (11c) cost budget:   Σ c x ≤ z₁ + p |z₁|           diverse mode: within p of plan 1
    (11d) diversity:     t ≤ d_m(open) for every earlier plan m, t ≥ 1, and the objective
                         max t − c x / (2 (1 + p) |z₁|): the cost term is below ½ on the budget,
                         so a unit of t outweighs it, and among the most diverse plans the
                         cheapest wins
"""

from __future__ import annotations

import numpy as np

from placement.formulations.components import Columns, site_labels
from placement.milp.linear_model import LinearModel
from placement.model.data import ModelData

MIN_USE_SHARE = 0.01
"""δ: the least share of a region a facility without a fixed cost carries to count as open."""


def free_facilities(data: ModelData) -> np.ndarray:
    """Facilities whose open decision is free: not forced open, not forbidden."""
    return (data.sites.open_lb == 0) & (data.sites.open_ub > 0)


def add_no_good_cut(
    model: LinearModel, data: ModelData, cols: Columns, chosen: np.ndarray, name: str
) -> None:
    """(11a) d(open) ≥ 1 against the open-facility vector ``chosen`` (bool per facility)."""
    coefficient, constant = _distance(data, chosen)
    free = np.flatnonzero(free_facilities(data))
    model.add_rows(
        name,
        1,
        np.zeros(free.size),
        cols.open[free],
        coefficient[free],
        lb=1.0 - constant,
    )


def _distance(data: ModelData, chosen: np.ndarray) -> tuple[np.ndarray, float]:
    """d(open) = Σ a_f open_f + b over the free facilities: a_f = −1 on S, +1 off it."""
    free = free_facilities(data)
    coefficient = np.where(chosen, -1.0, 1.0) * free
    return coefficient, float((chosen & free).sum())


def add_material_use(model: LinearModel, data: ModelData, cols: Columns) -> None:
    """(11b) for free facilities without a fixed cost."""
    facilities = np.flatnonzero(free_facilities(data) & (data.sites.fixed == 0))
    if facilities.size == 0:
        return
    row_of = np.full(data.n_sites, -1, dtype=np.int64)
    row_of[facilities] = np.arange(facilities.size)
    smallest = data.region_work[data.region_work > 0]
    reference = MIN_USE_SHARE * (float(smallest.min()) if smallest.size else 1.0)
    rows, columns, values = (
        [np.arange(facilities.size)],
        [cols.open[facilities]],
        [np.ones(facilities.size)],
    )
    for pairs, family, weight in (
        (data.serving, cols.serve, 1.0 / MIN_USE_SHARE),
        (data.training, cols.train, 1.0),
        (data.parts, cols.parts, 1.0 / MIN_USE_SHARE),
        (data.spare, cols.spare, data.work_scale / reference),  # spare counts in units of S
    ):
        if family.size == 0:
            continue
        row = row_of[pairs.site]
        keep = row >= 0
        rows.append(row[keep])
        columns.append(family[keep])
        values.append(np.full(int(keep.sum()), -weight))
    model.add_rows(
        "alternative_use",
        facilities.size,
        np.concatenate(rows),
        np.concatenate(columns),
        np.concatenate(values),
        ub=0.0,
        labels=site_labels(data, facilities),
    )


def add_cost_budget(model: LinearModel, budget: float, cost: np.ndarray) -> None:
    """(11c) Σ c x ≤ budget over every column with a cost (``cost``: the model's original
    objective, one entry per column it had)."""
    priced = np.flatnonzero(cost != 0)
    model.add_rows("alternative_budget", 1, np.zeros(priced.size), priced, cost[priced], ub=budget)


def add_diversity(
    model: LinearModel,
    data: ModelData,
    cols: Columns,
    earlier: list[np.ndarray],
    cost: np.ndarray,
    scale: float,
    name: str,
) -> None:
    """(11d): a new t with t ≤ d_m(open) for each earlier plan m, and the objective
    max t − c x / scale (``scale`` = 2 (1 + p) |z₁|) over the original costs ``cost`` (one per
    column the model had before the search; columns added since cost nothing)."""
    t = model.add_vars(f"{name}_distance", 1, lb=1.0, ub=float(data.n_sites), integer=True)
    free = np.flatnonzero(free_facilities(data))
    rows, columns, values, upper = [], [], [], []
    for m, chosen in enumerate(earlier):
        coefficient, constant = _distance(data, chosen)
        rows += [np.array([m]), np.full(free.size, m)]
        columns += [t, cols.open[free]]
        values += [np.ones(1), -coefficient[free]]
        upper.append(constant)
    model.add_rows(
        f"{name}_apart",
        len(earlier),
        np.concatenate(rows),
        np.concatenate(columns),
        np.concatenate(values),
        ub=np.array(upper),
    )
    objective = np.zeros(model.num_vars)
    objective[: cost.size] = cost / scale
    objective[t[0]] = -1.0
    model.set_objective(objective)
