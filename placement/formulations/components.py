"""The building blocks every formulation is assembled from: one ``add_*`` per family.

Notation (see :mod:`placement.model.data`): facilities f (a site in one financing mode),
cooling options s (a technology at a facility), open_f, install_s, tsite_f ∈ {0,1};
train_p ∈ {0,1} for training pairs p = (f, cluster, option, s); serve_q ∈ [0, s̄] for serving
pairs q = (f, region, hardware) (s̄ the redundancy cap ``max_share_per_site``), binary under
single sourcing; split y_v ≥ 0 (IT MW of a hardware in one of several cooling options at f);
unserved_j ∈ [0,1] only when demand is soft. U_p is a variable's use of its facility's
capacity (build: facility MW = PUE · IT MW; lease: IT MW), R_p its racks, s(p) the cooling
option it needs installed (only options with a fixed cost have an install decision).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from placement.milp.linear_model import Labels, LinearModel
from placement.model.data import ModelData, PairArrays, cloud_quotas


@dataclass
class Columns:
    """Column indices of each variable family in the model."""

    open: np.ndarray  # per facility
    install: np.ndarray  # per cooling option, −1 where it has no install decision
    train: np.ndarray
    serve: np.ndarray
    split: np.ndarray
    unserved: np.ndarray | None = None
    training_site: np.ndarray | None = None
    # add-on families (empty unless the scenario asks for them), see their own modules
    spare: np.ndarray = field(default_factory=lambda: _none())  # formulations.resilience
    capacity: np.ndarray = field(default_factory=lambda: _none())  # per capacity node
    reach: dict[bytes, int] = field(default_factory=dict)  # region set → its C_T column
    parts: np.ndarray = field(default_factory=lambda: _none())  # formulations.training_split
    split_used: np.ndarray = field(default_factory=lambda: _none())  # per splittable cluster
    split_site: np.ndarray = field(default_factory=lambda: _none())  # per (cluster, site)
    soft: dict[str, np.ndarray] = field(default_factory=dict)  # formulations.soft_rules


def _none() -> np.ndarray:
    return np.empty(0, dtype=np.int64)


# ---------------------------------------------------------------------------- names
def site_labels(data: ModelData, sites: np.ndarray | None = None) -> Labels:
    """``[facility]`` for each facility index in ``sites`` (default: every facility)."""
    index = np.arange(data.n_sites) if sites is None else np.asarray(sites)
    return Labels((data.facility_ids,), (index,))


def pair_labels(data: ModelData, pairs: PairArrays, keep: np.ndarray | None = None) -> Labels:
    """``[facility,cluster:option]``, ``[facility,region:hardware]`` or
    ``[facility,hardware:technology]`` for a family's variables (``keep``: a subset)."""
    vocabulary, other = _other_names(data, pairs)
    site = pairs.site if keep is None else pairs.site[keep]
    other = other if keep is None else other[keep]
    return Labels((data.facility_ids, vocabulary), (site, other))


def _other_names(data: ModelData, pairs: PairArrays) -> tuple[list[str], np.ndarray]:
    if pairs is data.training:
        names = [
            f"{data.cluster_ids[k]}" if len(data.scenario.training[k].choices) == 1 else
            f"{data.cluster_ids[k]}:{o.id}"
            for o, k in zip(data.training_options, data.option_cluster.tolist(), strict=True)
        ]  # fmt: skip
        return _with_technology_where_ambiguous(data, pairs, names)
    hardware = data.hardware_ids
    if pairs is data.serving:
        regions = data.region_ids
        if len(hardware) == 1:
            return regions, pairs.other
        names = [f"{r}:{h}" for h in hardware for r in regions]
        return names, pairs.option * len(regions) + pairs.other
    technologies = sorted(set(data.cooling.technology))
    order = {tech: n for n, tech in enumerate(technologies)}
    names = [f"{h}:{tech}" for h in hardware for tech in technologies]
    tech_of = np.array([order[data.cooling.technology[s]] for s in pairs.tech], dtype=np.int64)
    return names, pairs.option * len(order) + tech_of


def _with_technology_where_ambiguous(
    data: ModelData, pairs: PairArrays, names: list[str]
) -> tuple[list[str], np.ndarray]:
    """Training pair names ``cluster:option``, with ``:technology`` added where one facility
    could hold the same option in several cooling technologies (names stay unique)."""
    technologies = sorted(set(data.cooling.technology))
    order = {tech: n for n, tech in enumerate(technologies)}
    tech_of = np.array([order[data.cooling.technology[s]] for s in pairs.tech], dtype=np.int64)
    key = pairs.site * len(names) + pairs.option
    _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    ambiguous = counts[inverse] > 1
    vocabulary = names + [f"{n}:{t}" for n in names for t in technologies]
    index = np.where(
        ambiguous, len(names) + pairs.option * len(technologies) + tech_of, pairs.option
    )
    return vocabulary, index


# ---------------------------------------------------------------------------- variables
def add_site_variables(model: LinearModel, data: ModelData) -> Columns:
    """open_f ∈ {0,1} at its fixed cost, bounds from existing/must-open/forbidden; install_s
    ∈ {0,1} at its fixed cost, for cooling options that have one."""
    sites = data.sites
    open_cols = model.add_vars(
        "open",
        data.n_sites,
        lb=sites.open_lb,
        ub=sites.open_ub,
        integer=True,
        cost=sites.fixed,
        labels=site_labels(data),
    )
    cool = data.cooling
    installable = np.flatnonzero(cool.needs_install)
    install = np.full(len(cool), -1, dtype=np.int64)
    install[installable] = model.add_vars(
        "install",
        installable.size,
        ub=sites.open_ub[cool.facility[installable]],
        integer=True,
        cost=cool.fixed[installable],
        labels=Labels((data.cooling_ids,), (installable,)),
    )
    empty = np.empty(0, dtype=np.int64)
    return Columns(open=open_cols, install=install, train=empty, serve=empty, split=empty)


def add_training_variables(model: LinearModel, data: ModelData, cols: Columns) -> None:
    """train_p ∈ {0,1} for every eligible training pair, cost c_p."""
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
    """serve_q ∈ [0, s̄] (binary when single-sourced), cost c_q per unit share; split
    y_v ≥ 0 (IT MW) at its cooling and energy cost per MW."""
    cols.serve = model.add_vars(
        "serve",
        len(data.serving),
        ub=data.max_share,
        integer=binary,
        cost=data.serving.cost,
        labels=pair_labels(data, data.serving),
    )
    cols.split = model.add_vars(
        "split",
        len(data.split),
        ub=np.inf,
        cost=data.split.cost,
        labels=pair_labels(data, data.split),
    )


def add_unserved_variables(
    model: LinearModel, data: ModelData, cols: Columns, *, binary: bool = False
) -> None:
    """unserved_j ∈ [0,1] (binary when single-sourced) at its penalty, if demand is soft."""
    if data.unserved_cost is not None:
        cols.unserved = model.add_vars(
            "unserved",
            data.n_regions,
            ub=1.0,
            integer=binary,
            cost=data.unserved_cost,
            labels=Labels((data.region_ids,), (np.arange(data.n_regions),)),
        )


# ---------------------------------------------------------------------------- assignment
def add_assign_training(model: LinearModel, data: ModelData, cols: Columns) -> None:
    """(1) Σ_p train_p = 1 for every cluster k (over its facilities, options and cooling)."""
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
    """(2) Σ_q serve_q (+ unserved_j) = 1 for every region j (over facilities and hardware)."""
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


def add_split_balance(model: LinearModel, data: ModelData, cols: Columns) -> None:
    """(2b) Σ_s y_fhs − Σ_j MW_fjh · serve_fjh = 0 where several cooling options host h at f."""
    split = data.split
    if len(split) == 0:
        return
    key = split.site * len(data.hardware_ids) + split.option
    groups, group_of_split = np.unique(key, return_inverse=True)
    sv = data.serving
    serve_key = sv.site * len(data.hardware_ids) + sv.option
    pos = np.searchsorted(groups, serve_key)
    pos_clipped = np.minimum(pos, groups.size - 1)
    in_group = groups[pos_clipped] == serve_key
    model.add_rows(
        "split_balance",
        groups.size,
        np.concatenate([group_of_split, pos_clipped[in_group]]),
        np.concatenate([cols.split, cols.serve[in_group]]),
        np.concatenate([np.ones(len(split)), -sv.it_mw[in_group]]),
        lb=0.0,
        ub=0.0,
        labels=_group_labels(data, groups),
    )


def _group_labels(data: ModelData, groups: np.ndarray) -> Labels:
    n_hw = len(data.hardware_ids)
    return Labels((data.facility_ids, data.hardware_ids), (groups // n_hw, groups % n_hw))


def add_share_cap(model: LinearModel, data: ModelData, cols: Columns) -> None:
    """(2c) Σ serve over a site's facilities and hardware ≤ s̄ for each (site, region) served
    by more than one variable, when the redundancy cap s̄ < 1 (one variable: its bound)."""
    if data.max_share >= 1.0 or len(data.serving) == 0:
        return
    sv = data.serving
    key = data.sites.site[sv.site] * max(data.n_regions, 1) + sv.other
    groups, group_of, counts = np.unique(key, return_inverse=True, return_counts=True)
    shared = counts[group_of] > 1
    if not shared.any():
        return
    kept, row_of = np.unique(group_of[shared], return_inverse=True)
    n_regions = max(data.n_regions, 1)
    site_ids = [s.id for s in data.scenario.sites]
    model.add_rows(
        "share_cap",
        kept.size,
        row_of,
        cols.serve[shared],
        1.0,
        ub=data.max_share,
        labels=Labels(
            (site_ids, data.region_ids), (groups[kept] // n_regions, groups[kept] % n_regions)
        ),
    )


# ---------------------------------------------------------------------------- linking
def add_pair_linking(model: LinearModel, data: ModelData, cols: Columns) -> None:
    """(3, strong) train_p ≤ open_f and serve_q ≤ s̄ · open_f for every pair."""
    _link_each(model, "link_train", data, data.training, cols.train, cols.open, 1.0)
    _link_each(model, "link_serve", data, data.serving, cols.serve, cols.open, data.max_share)


def add_aggregate_linking(model: LinearModel, data: ModelData, cols: Columns) -> None:
    """(3, weak) Σ_p x_p ≤ n_f · open_f over pairs that use no capacity (U_p = 0).

    Pairs that use capacity are linked to open_f by the capacity row (4) alone; this row
    covers zero-demand regions and capacity-free (cloud) facilities.
    """
    pair_sites = np.concatenate([data.training.site, data.serving.site])
    pair_cols = np.concatenate([cols.train, cols.serve])
    use = np.concatenate([data.training.capacity_use, data.serving.capacity_use])
    finite = np.isfinite(data.sites.capacity)[pair_sites]
    free = (use == 0.0) | ~finite
    _aggregate(model, "link_powerless", data, pair_sites[free], pair_cols[free], cols.open)


def add_cooling_linking(
    model: LinearModel, data: ModelData, cols: Columns, *, per_pair: bool = True
) -> None:
    """(5) x_p ≤ install_s(p) for variables whose cooling option has an install decision
    (weak: Σ_p x_p ≤ n_s · install_s), y_v ≤ M_v · install_s for split variables
    (M_v = the IT MW its hardware could bring to the facility), and install_s ≤ open_f."""
    families = (data.training, data.serving)
    columns = (cols.train, cols.serve)
    option = np.concatenate([f.cooling for f in families])
    pair_cols = np.concatenate(columns)
    needs = option >= 0
    if per_pair:
        _at_most(
            model, "cooling_pair", pair_cols[needs], cols.install[option[needs]], 1.0,
            labels=_mixed_labels(data, needs),
        )  # fmt: skip
    else:
        _aggregate(
            model, "cooling_aggregate", data, option[needs], pair_cols[needs], cols.install,
            labels=Labels((data.cooling_ids,), (np.unique(option[needs]),)),
        )  # fmt: skip
    _link_split(model, data, cols)
    installable = np.flatnonzero(cols.install >= 0)
    _at_most(
        model, "install_open", cols.install[installable],
        cols.open[data.cooling.facility[installable]], 1.0,
        labels=Labels((data.cooling_ids,), (installable,)),
    )  # fmt: skip


def _link_split(model: LinearModel, data: ModelData, cols: Columns) -> None:
    split = data.split
    option = split.cooling
    needs = option >= 0
    if not needs.any():
        return
    sv = data.serving
    n_hw = len(data.hardware_ids)
    reach = np.bincount(
        sv.site * n_hw + sv.option, weights=sv.it_mw * data.max_share, minlength=data.n_sites * n_hw
    )  # fmt: skip
    big_m = reach[split.site * n_hw + split.option][needs]
    _at_most(
        model, "cooling_split", cols.split[needs], cols.install[option[needs]], big_m,
        labels=pair_labels(data, split, needs),
    )  # fmt: skip


def _mixed_labels(data: ModelData, keep: np.ndarray) -> Labels:
    """Labels of the training variables followed by the serving ones, where ``keep``."""
    t_names, t_other = _other_names(data, data.training)
    s_names, s_other = _other_names(data, data.serving)
    site = np.concatenate([data.training.site, data.serving.site])
    other = np.concatenate([t_other, s_other + len(t_names)])
    return Labels((data.facility_ids, [*t_names, *s_names]), (site[keep], other[keep]))


# ---------------------------------------------------------------------------- capacity
def add_power(model: LinearModel, data: ModelData, cols: Columns) -> None:
    """(4) Σ_p U_p x_p ≤ capacity_f · open_f (build: facility MW; lease: IT MW)."""
    _capacity(model, "power", data, cols, "capacity_use", data.sites.capacity)


def add_space(model: LinearModel, data: ModelData, cols: Columns) -> None:
    """(6) Σ R_p x_p − racks_f · open_f ≤ 0 at facilities with a rack limit."""
    _capacity(model, "space", data, cols, "racks", data.sites.racks)


def add_cloud_quota(model: LinearModel, data: ModelData, cols: Columns) -> None:
    """(6b) Σ units_q serve_q + Σ units_p train_p ≤ quota_fh for each cloud instance type
    with a quota (inference hardware by id, training options by their cloud_hardware)."""
    quotas = cloud_quotas(data)
    if not quotas:
        return
    keys = list(quotas)
    row_of = {key: n for n, key in enumerate(keys)}
    hardware = data.hardware_ids
    serve_row = np.full((data.n_sites, len(hardware)), -1, dtype=np.int64)
    for (f, hw), n in row_of.items():
        if hw in hardware:
            serve_row[f, hardware.index(hw)] = n
    sv, tr = data.serving, data.training
    s_rows = serve_row[sv.site, sv.option]
    option_hw = [o.cloud_hardware for o in data.training_options]
    train_row = np.array(
        [row_of.get((f, option_hw[o]), -1) for f, o in zip(tr.site, tr.option, strict=True)],
        dtype=np.int64,
    )  # one entry per training pair: a handful
    s_keep, t_keep = s_rows >= 0, train_row >= 0
    names = data.facility_ids
    model.add_rows(
        "cloud_quota",
        len(keys),
        np.concatenate([s_rows[s_keep], train_row[t_keep]]),
        np.concatenate([cols.serve[s_keep], cols.train[t_keep]]),
        np.concatenate([sv.units[s_keep], tr.units[t_keep]]),
        ub=np.array([quotas[k] for k in keys]),
        labels=Labels(([f"{names[f]}:{hw}" for f, hw in keys],), (np.arange(len(keys)),)),
    )


# ---------------------------------------------------------------------------- rules
def add_max_sites(model: LinearModel, data: ModelData, cols: Columns) -> None:
    """(7a) Σ_f open_f ≤ p."""
    limit = data.scenario.rules.max_sites
    if limit is not None:
        model.add_rows("max_sites", 1, np.zeros(data.n_sites), cols.open, 1.0, ub=limit)


def add_max_training_sites(
    model: LinearModel, data: ModelData, cols: Columns, *, per_pair: bool = True
) -> None:
    """(7b) train_p ≤ tsite_f (weak: Σ_p train_p ≤ K_f tsite_f), tsite_f ≤ open_f, Σ tsite ≤ t."""
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
    _at_most(model, "training_site_open", tsite, cols.open, 1.0, labels=site_labels(data))
    model.add_rows("max_training_sites", 1, np.zeros(data.n_sites), tsite, 1.0, ub=limit)


def add_carbon_cap(model: LinearModel, data: ModelData, cols: Columns) -> None:
    """(7c) Σ_p tCO2_p x_p ≤ cap (tonnes per year, split variables included)."""
    cap = data.scenario.rules.carbon_cap_tonnes_per_year
    if cap is None:
        return
    columns = np.concatenate([cols.train, cols.serve, cols.split])
    values = np.concatenate([data.training.carbon_t, data.serving.carbon_t, data.split.carbon_t])
    model.add_rows("carbon_cap", 1, np.zeros(columns.size), columns, values, ub=cap)


def add_capital_budget(model: LinearModel, data: ModelData, cols: Columns) -> None:
    """(7d) annualised capital ≤ budget: facilities' and cooling options' fixed capital, and
    the build, cooling and hardware capital of every variable."""
    budget = data.scenario.rules.capital_budget_usd_per_year
    if budget is None:
        return
    installable = cols.install >= 0
    columns = np.concatenate(
        [cols.open, cols.install[installable], cols.train, cols.serve, cols.split]
    )
    values = np.concatenate(
        [
            data.sites.fixed_capital,
            data.cooling.fixed_capital[installable],
            data.training.capital,
            data.serving.capital,
            data.split.capital,
        ]
    )
    model.add_rows("capital_budget", 1, np.zeros(columns.size), columns, values, ub=budget)


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
    _at_most(
        model, name, pair_cols, site_cols[pairs.site], coefficient, labels=pair_labels(data, pairs)
    )


def _at_most(
    model: LinearModel,
    name: str,
    left: np.ndarray,
    right: np.ndarray,
    coefficient: float | np.ndarray,
    *,
    labels: Labels | None,
) -> None:
    """One row per k: x_left[k] − coefficient[k] · x_right[k] ≤ 0 (a variable allowed only
    where, and as far as, another is switched on)."""
    n = int(np.asarray(left).size)
    rows = np.arange(n)
    model.add_rows(
        name,
        n,
        np.concatenate([rows, rows]),
        np.concatenate([left, right]),
        np.concatenate([np.ones(n), -np.broadcast_to(coefficient, n)]),
        ub=0.0,
        labels=labels,
    )


def _aggregate(
    model: LinearModel,
    name: str,
    data: ModelData,
    owner: np.ndarray,
    pair_cols: np.ndarray,
    owner_cols: np.ndarray,
    *,
    labels: Labels | None = None,
) -> None:
    """Σ_{p of o} x_p − n_o · y_o ≤ 0 for each owner o (facility or cooling option)."""
    owners, row_of_pair, counts = np.unique(owner, return_inverse=True, return_counts=True)
    model.add_rows(
        name,
        owners.size,
        np.concatenate([row_of_pair, np.arange(owners.size)]),
        np.concatenate([pair_cols, owner_cols[owners]]),
        np.concatenate([np.ones(pair_cols.size), -counts.astype(float)]),
        ub=0.0,
        labels=labels if labels is not None else site_labels(data, owners),
    )


def _capacity(
    model: LinearModel,
    name: str,
    data: ModelData,
    cols: Columns,
    use_field: str,
    capacity: np.ndarray,
) -> None:
    """Σ use_p x_p − capacity_f · open_f ≤ 0 for each facility with finite capacity."""
    finite = np.isfinite(capacity)
    row_of_site = np.full(data.n_sites, -1, dtype=np.int64)
    row_of_site[finite] = np.arange(int(finite.sum()))
    families = (data.training, data.serving, data.split)
    pair_sites = np.concatenate([f.site for f in families])
    pair_cols = np.concatenate([cols.train, cols.serve, cols.split])
    use = np.concatenate([getattr(f, use_field) for f in families])
    keep = finite[pair_sites] & (use != 0.0)
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
