"""N-1 blocks: spare capacity, installed capacity per node, and the failure cuts.

Notation of :mod:`placement.model.resilience`: capacity nodes n = (f, h), spare variables
v = (f, h, s) in work units, W_j a region's work. With ``rules.resilience``:

    Capacity and spare variables count work in units of S (``ModelData.work_scale``, the largest
    region's work), so W below reads W / S in the rows; the figures are work units.

    (8a) z_v ∈ [0, Z_v], cost c_v (capital of installed capacity: build or lease, cooling per
         MW, hardware or cloud units; no energy while idle)
    (8b) cap_n − Σ_{q ∈ n} W_q serve_q − Σ_{v ∈ n} z_v = 0                  ∀ nodes n
    (8c) z_v ≤ Z_v · open_f;  z_v ≤ Z_v · install_s (options with an install decision)
    (8d) spare joins (4) power (U_v = PUE · IT MW per work unit when built, IT MW when
         leased), (6) racks, (6b) cloud quotas and (7d) the capital budget
    (8e) Σ_{n ∈ N(T), site(n) ≠ e} cap_n + Σ_{j ∈ T} W_j unserved_j ≥ Σ_{j ∈ T} W_j
         for a failed site e and a set of regions T: Hall's condition, which for every e and
         every T is exactly "the max flow covers the served demand". The formulation seeds
         T = every region for each e (total capacity less any one site); the sets that bind
         are added by :mod:`placement.solving.resilience` as the max-flow finds them.
"""

from __future__ import annotations

import numpy as np

from placement.formulations.components import Columns
from placement.formulations.joins import join_capacity_rows, link_to_open
from placement.milp.linear_model import Labels, LinearModel
from placement.model.data import ModelData


def add_spare_capacity(model: LinearModel, data: ModelData, cols: Columns) -> None:
    """(8a)–(8d) and the seed cuts (8e) with T = every region, one per site that can fail."""
    graph = data.failures
    if graph is None:
        return
    scale = data.work_scale  # capacity and spare count in units of S (coefficients near 1)
    spare = data.spare.per(scale)
    upper = data.spare_upper / scale
    names = data.hardware_ids
    node_labels = Labels((data.facility_ids, names), (graph.facility, graph.hardware))
    cols.spare = model.add_vars(
        "spare",
        len(spare),
        ub=upper,
        cost=spare.cost,
        labels=Labels((data.facility_ids, data.cooling_ids), (spare.site, spare.tech)),
    )
    cols.capacity = model.add_vars("capacity", len(graph), ub=np.inf, labels=node_labels)
    sv = data.serving
    n_hw = len(names)
    serve_node = graph.node_of(sv.site, sv.option, n_hw)
    spare_node = graph.node_of(spare.site, spare.option, n_hw)
    assert (serve_node >= 0).all() and (spare_node >= 0).all()
    nodes = np.arange(len(graph))
    model.add_rows(
        "capacity_of",
        len(graph),
        np.concatenate([nodes, serve_node, spare_node]),
        np.concatenate([cols.capacity, cols.serve, cols.spare]),
        np.concatenate(
            [np.ones(len(graph)), -data.region_work[sv.other] / scale, -np.ones(len(spare))]
        ),
        lb=0.0,
        ub=0.0,
        labels=node_labels,
    )
    link_to_open(model, "spare", cols.spare, spare, cols.open, cols.install, upper)
    join_capacity_rows(
        model, data, cols.spare, spare, quota_hardware=[names[h] for h in spare.option]
    )
    everyone = np.flatnonzero(data.region_work > 0)
    sites = np.unique(graph.site)
    add_failure_cuts(model, data, cols, [(int(e), everyone) for e in sites], "site_loss_seed")


def add_failure_cuts(
    model: LinearModel,
    data: ModelData,
    cols: Columns,
    cuts: list[tuple[int, np.ndarray]],
    name: str,
) -> None:
    """(8e) for each (failed site e, regions T), written sparsely through the capacity that
    can reach T, C_T = Σ_{n ∈ N(T)} cap_n (a variable with its defining row, made once per
    T; N(T) the nodes the failure graph joins to some region of T):

        C_T − Σ_{n ∈ N(T), site(n) = e} cap_n + Σ_{j ∈ T} W_j unserved_j ≥ W(T)

    (the same row as Σ_{n ∈ N(T) \\ e} cap_n + … ≥ W(T), but a few nonzeros instead of
    |N(T)|: the cuts for every site of one T share C_T, which keeps the LP sparse)."""
    graph = data.failures
    if graph is None or not cuts:
        return
    by_region = graph.adjacency.tocsc()
    reach = _reach_variables(model, data, cols, [t for _, t in cuts], by_region, name)
    rows, columns, values, rhs = [], [], [], []
    for r, (e, regions) in enumerate(cuts):
        seen = np.unique(by_region[:, regions].indices)
        at_e = seen[graph.site[seen] == e]
        rows.append(np.full(at_e.size + 1, r))
        columns.append(np.concatenate([[reach[_key(regions)]], cols.capacity[at_e]]))
        values.append(np.concatenate([[1.0], -np.ones(at_e.size)]))
        if cols.unserved is not None:
            rows.append(np.full(regions.size, r))
            columns.append(cols.unserved[regions])
            values.append(data.region_work[regions] / data.work_scale)
        rhs.append(float(data.region_work[regions].sum()) / data.work_scale)
    site_ids = [s.id for s in data.scenario.sites]
    model.add_rows(
        name,
        len(cuts),
        np.concatenate(rows),
        np.concatenate(columns),
        np.concatenate(values),
        lb=np.array(rhs),
        labels=Labels(
            (site_ids, _describe(data, [t for _, t in cuts])),
            (np.array([e for e, _ in cuts]), np.arange(len(cuts))),
        ),
    )


def _key(regions: np.ndarray) -> bytes:
    return np.sort(regions).astype(np.int64).tobytes()


def _reach_variables(
    model: LinearModel,
    data: ModelData,
    cols: Columns,
    sets: list[np.ndarray],
    by_region,
    name: str,
) -> dict[bytes, int]:
    """C_T ≥ 0 with C_T − Σ_{n ∈ N(T)} cap_n = 0, for each region set T not seen before."""
    new: dict[bytes, np.ndarray] = {}
    for regions in sets:
        key = _key(regions)
        if key not in cols.reach and key not in new:
            new[key] = regions
    if new:
        count = len(new)
        columns = model.add_vars(
            f"{name}_reach",
            count,
            ub=np.inf,
            labels=Labels((_describe(data, list(new.values())),), (np.arange(count),)),
        )
        rows, members = [], []
        for r, regions in enumerate(new.values()):
            seen = np.unique(by_region[:, regions].indices)
            rows.append(np.full(seen.size, r))
            members.append(cols.capacity[seen])
        model.add_rows(
            f"{name}_reach",
            count,
            np.concatenate([np.arange(count), *rows]),
            np.concatenate([columns, *members]),
            np.concatenate([np.ones(count), -np.ones(sum(m.size for m in members))]),
            lb=0.0,
            ub=0.0,
        )
        cols.reach.update(zip(new, columns.tolist(), strict=True))
    return cols.reach


def _describe(data: ModelData, sets: list[np.ndarray]) -> list[str]:
    ids = data.region_ids
    return [ids[int(t[0])] if t.size == 1 else f"{t.size}_regions" for t in sets]
