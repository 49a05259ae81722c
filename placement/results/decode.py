"""Turn a solver's variable values into decisions, costs and KPIs (vectorised).

:func:`read_decisions` rounds the values of a built model into :class:`Decisions` (binaries at
0.5; shares below :data:`SHARE_EPS` dropped, and shares up to :data:`NOISE_AT_CLOSED_SITE`, or
drawing up to :data:`NOISE_MW_AT_CLOSED_SITE` MW, at a site rounded closed or without the
cooling they need: solver tolerance, handed back to the region's other sites);
:func:`summarise` turns decisions into a typed :class:`Summary`: the result's fields, with
costs and KPIs recomputed from the decisions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from placement.formulations import Built
from placement.model.data import ModelData
from placement.results.result import Assignment, CostBreakdown, Kpis, SiteLoad

SHARE_EPS = 1e-9
# Simplex solutions meet serve_ij ≤ s̄·open_i only to the LP's primal feasibility tolerance
# (1e-7), so a site rounded closed can keep a share of that size; below this it is dropped.
# Anything larger is left for verify to report: it would be a real violation.
NOISE_AT_CLOSED_SITE = 1e-6
# The weak formulation links serve to open only through the capacity row
# Σ PUE·MW_j·serve_ij ≤ power_i·open_i, which solvers meet to an absolute tolerance (1e-6):
# a closed site can then keep share tolerance / (PUE·MW_j), large for a region of tiny demand
# (SCIP: 6.6e-5 of a 0.01 MW region, found by benchmarks/volume.py). A share at an unusable site
# drawing at most this much facility power is such noise too.
NOISE_MW_AT_CLOSED_SITE = 1e-6


@dataclass(frozen=True)
class Decisions:
    """Rounded decisions of a solution."""

    open: np.ndarray  # bool per site
    liquid: np.ndarray  # bool per site
    train: np.ndarray  # bool per training pair
    serve: np.ndarray  # share per serving pair, clipped to [0, s̄]
    unserved: np.ndarray  # share per region


def read_decisions(built: Built, data: ModelData, values: np.ndarray) -> Decisions:
    cols = built.columns
    liquid = np.zeros(data.n_sites, dtype=bool)
    has_liquid = cols.liquid >= 0
    liquid[has_liquid] = values[cols.liquid[has_liquid]] > 0.5
    is_open = values[cols.open] > 0.5
    serve = np.clip(values[cols.serve], 0.0, data.max_share)
    unusable = ~is_open[data.serving.site] | (
        data.serving.needs_liquid & ~liquid[data.serving.site]
    )
    noise = unusable & (
        (serve <= NOISE_AT_CLOSED_SITE)
        | (serve * data.serving.facility_mw <= NOISE_MW_AT_CLOSED_SITE)
    )
    unserved = (
        np.zeros(data.n_regions)
        if cols.unserved is None
        else np.clip(values[cols.unserved], 0.0, 1.0)
    )
    dropped = serve * noise
    serve[noise] = 0.0
    if (dropped > NOISE_AT_CLOSED_SITE).any():
        _give_back(data, serve, unusable, unserved, dropped)
    serve[serve < SHARE_EPS] = 0.0
    unserved[unserved < SHARE_EPS] = 0.0
    return Decisions(
        open=is_open,
        liquid=liquid,
        train=values[cols.train] > 0.5,
        serve=serve,
        unserved=unserved,
    )


def _give_back(
    data: ModelData,
    serve: np.ndarray,
    unusable: np.ndarray,
    unserved: np.ndarray,
    dropped: np.ndarray,
) -> None:
    """Hand shares dropped as noise (more than :data:`NOISE_AT_CLOSED_SITE` of a region) to
    the region's usable pairs that serve it, up to the share cap, in proportion to what they
    serve; what does not fit goes to unserved demand when demand is soft. In place."""
    region = data.serving.other
    for j in np.unique(region[dropped > NOISE_AT_CLOSED_SITE]).tolist():
        pairs = np.flatnonzero((region == j) & ~unusable & (serve > 0.0))
        left = float(dropped[region == j].sum())
        for _ in range(pairs.size):  # water-filling: a pair at the cap passes its part on
            room = np.maximum(data.max_share - serve[pairs], 0.0)
            weights = serve[pairs] * (room > SHARE_EPS)
            if left <= SHARE_EPS or weights.sum() <= 0.0:
                break
            extra = np.minimum(left * weights / weights.sum(), room)
            serve[pairs] += extra
            left -= float(extra.sum())
        if left > SHARE_EPS and data.unserved_cost is not None:
            unserved[j] = min(1.0, unserved[j] + left)


@dataclass(frozen=True)
class Summary:
    """What a solution means: the result's decision, load, cost and KPI fields."""

    open_sites: tuple[str, ...]
    liquid_sites: tuple[str, ...]
    training: dict[str, str]  # cluster id → site id
    serving: tuple[Assignment, ...]
    unserved: dict[str, float]  # region id → unserved share
    sites: tuple[SiteLoad, ...]
    costs: CostBreakdown
    kpis: Kpis


@dataclass(frozen=True)
class _Active:
    """The training pairs placed and the serving pairs used, with their shares."""

    train: np.ndarray  # indices of training pairs placed
    serve: np.ndarray  # indices of serving pairs with a positive share
    share: np.ndarray  # their shares

    def total(self, training: np.ndarray, serving: np.ndarray) -> float:
        """Σ over placed training pairs + Σ share × value over used serving pairs."""
        return float(training[self.train].sum() + (self.share * serving[self.serve]).sum())


def summarise(data: ModelData, d: Decisions) -> Summary:
    """Decisions, per-site loads, costs and KPIs from rounded decisions (vectorised)."""
    scenario = data.scenario
    site_ids = [s.id for s in scenario.sites]
    region_ids = [r.id for r in scenario.regions]
    active = _Active(
        train=np.flatnonzero(d.train),
        serve=np.flatnonzero(d.serve > 0.0),
        share=d.serve[d.serve > 0.0],
    )
    tr = data.training
    return Summary(
        open_sites=tuple(site_ids[i] for i in np.flatnonzero(d.open).tolist()),
        liquid_sites=tuple(site_ids[i] for i in np.flatnonzero(d.liquid).tolist()),
        training={
            scenario.training[k].id: site_ids[i]
            for i, k in zip(tr.site[active.train], tr.other[active.train], strict=True)
        },
        serving=_assignments(data, active, site_ids, region_ids),
        unserved={region_ids[j]: float(d.unserved[j]) for j in np.flatnonzero(d.unserved).tolist()},
        sites=_site_loads(data, d, active, site_ids),
        costs=_costs(data, d, active),
        kpis=_kpis(data, d, active, site_ids),
    )


def _assignments(
    data: ModelData, active: _Active, site_ids: list[str], region_ids: list[str]
) -> tuple[Assignment, ...]:
    sv = data.serving
    on = active.serve
    return tuple(
        Assignment(
            region=region_ids[j], site=site_ids[i], share=float(x), rtt_ms=float(rtt), mw=float(mw)
        )
        for i, j, x, rtt, mw in zip(
            sv.site[on].tolist(),
            sv.other[on].tolist(),
            active.share.tolist(),
            sv.rtt_ms[on].tolist(),
            (active.share * data.region_demand_mw[sv.other[on]]).tolist(),
            strict=True,
        )
    )


def _it_mw_by_site(data: ModelData, active: _Active) -> tuple[np.ndarray, np.ndarray]:
    """(training IT MW, inference IT MW) per site."""
    tr, sv = data.training, data.serving
    n = data.n_sites
    train_mw = _sum_by(tr.site[active.train], data.cluster_it_mw[tr.other[active.train]], n)
    inference = active.share * data.region_demand_mw[sv.other[active.serve]]
    return train_mw, _sum_by(sv.site[active.serve], inference, n)


def _per_site(data: ModelData, active: _Active, training: np.ndarray, serving: np.ndarray):
    """Σ per site of a training-pair value (whole) and a serving-pair value × share."""
    n = data.n_sites
    out = _sum_by(data.training.site[active.train], training[active.train], n)
    return out + _sum_by(data.serving.site[active.serve], active.share * serving[active.serve], n)


def _site_loads(
    data: ModelData, d: Decisions, active: _Active, site_ids: list[str]
) -> tuple[SiteLoad, ...]:
    scenario = data.scenario
    tr, sv = data.training, data.serving
    train_mw, inf_mw = _it_mw_by_site(data, active)
    facility = _per_site(data, active, tr.facility_mw, sv.facility_mw)
    racks = _per_site(data, active, tr.racks, sv.racks)
    clusters_at: dict[int, list[str]] = {}
    for i, k in zip(tr.site[active.train].tolist(), tr.other[active.train].tolist(), strict=True):
        clusters_at.setdefault(i, []).append(scenario.training[k].id)
    gpu_kw = scenario.inference.gpu_kw
    return tuple(
        SiteLoad(
            site=site_ids[i],
            liquid_cooling=bool(d.liquid[i]),
            training_clusters=tuple(clusters_at.get(i, ())),
            training_mw=float(train_mw[i]),
            inference_mw=float(inf_mw[i]),
            inference_gpus=float(inf_mw[i] * 1000.0 / gpu_kw),
            facility_mw=float(facility[i]),
            racks=float(racks[i]),
        )
        for i in np.flatnonzero(d.open).tolist()
    )


def _costs(data: ModelData, d: Decisions, active: _Active) -> CostBreakdown:
    tr, sv = data.training, data.serving
    no_training_cost = np.zeros(len(tr))
    return CostBreakdown(
        fixed=float(data.sites.fixed_cost[d.open].sum()),
        liquid_cooling=float(data.sites.liquid_cost[d.liquid].sum()),
        build=active.total(tr.build, sv.build),
        energy=active.total(tr.energy, sv.energy),
        carbon=active.total(tr.carbon_cost, sv.carbon_cost),
        latency_penalty=active.total(no_training_cost, sv.latency),
        pair_costs=active.total(no_training_cost, sv.pair_cost),
        unserved=0.0
        if data.unserved_cost is None
        else float((d.unserved * data.unserved_cost).sum()),
    )


def _kpis(data: ModelData, d: Decisions, active: _Active, site_ids: list[str]) -> Kpis:
    tr, sv = data.training, data.serving
    train_mw, inf_mw = _it_mw_by_site(data, active)
    open_idx = np.flatnonzero(d.open)
    users = data.region_users[sv.other[active.serve]] * active.share
    return Kpis(
        **rtt_kpis(users, sv.rtt_ms[active.serve]),
        training_mw=float(train_mw.sum()),
        inference_mw=float(inf_mw.sum()),
        facility_mw=float(_per_site(data, active, tr.facility_mw, sv.facility_mw).sum()),
        served_share=_served_share(data, d),
        carbon_tonnes_per_year=active.total(tr.carbon_t, sv.carbon_t),
        open_sites=int(open_idx.size),
        training_sites=len(np.unique(tr.site[active.train])),
        mw_by_site={site_ids[i]: float(train_mw[i] + inf_mw[i]) for i in open_idx.tolist()},
    )


def _sum_by(index: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    """Σ of weights grouped by index, as floats of length n (also when empty)."""
    return np.bincount(index, weights=np.asarray(weights, dtype=float), minlength=n).astype(float)


def rtt_kpis(weights: np.ndarray, rtt_ms: np.ndarray) -> dict[str, float | None]:
    """Weighted mean and weighted 95th percentile (lower value at the 95 % mark) of RTT."""
    total = float(weights.sum())
    if total <= 0:
        return {"weighted_mean_rtt_ms": None, "p95_rtt_ms": None}
    order = np.argsort(rtt_ms, kind="stable")
    cumulative = np.cumsum(weights[order]) / total
    p95_index = int(np.searchsorted(cumulative, 0.95 - 1e-12))
    return {
        "weighted_mean_rtt_ms": float(np.dot(weights, rtt_ms) / total),
        "p95_rtt_ms": float(rtt_ms[order][min(p95_index, order.size - 1)]),
    }


def _served_share(data: ModelData, d: Decisions) -> float:
    demand = float(data.region_demand_mw.sum())
    if demand <= 0:
        return 1.0
    return float(1.0 - np.dot(d.unserved, data.region_demand_mw) / demand)
