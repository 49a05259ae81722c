"""Turn a solver's variable values into decisions, costs and KPIs (vectorised)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from placement.model.data import ModelData
from placement.formulations import Built
from placement.results.result import Assignment, CostBreakdown, Kpis, SiteLoad

SHARE_EPS = 1e-9
# Simplex solutions meet serve_ij ≤ s̄·open_i only to the LP's primal feasibility tolerance
# (1e-7), so a site rounded closed can keep a share of that size; below this it is dropped.
# Anything larger is left for verify to report: it would be a real violation.
NOISE_AT_CLOSED_SITE = 1e-6


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
    serve[(serve < SHARE_EPS) | (unusable & (serve <= NOISE_AT_CLOSED_SITE))] = 0.0
    unserved = (
        np.zeros(data.n_regions)
        if cols.unserved is None
        else np.clip(values[cols.unserved], 0.0, 1.0)
    )
    unserved[unserved < SHARE_EPS] = 0.0
    return Decisions(
        open=is_open,
        liquid=liquid,
        train=values[cols.train] > 0.5,
        serve=serve,
        unserved=unserved,
    )


def summarise(data: ModelData, d: Decisions) -> dict:
    """Result fields (decisions, per-site loads, costs, KPIs) from rounded decisions."""
    scenario = data.scenario
    site_ids = [s.id for s in scenario.sites]
    region_ids = [r.id for r in scenario.regions]
    tr, sv = data.training, data.serving
    t_on = np.flatnonzero(d.train)
    s_on = np.flatnonzero(d.serve > 0.0)
    share = d.serve[s_on]

    training = {
        scenario.training[k].id: site_ids[i]
        for i, k in zip(tr.site[t_on], tr.other[t_on], strict=True)
    }
    serving = tuple(
        Assignment(
            region=region_ids[j], site=site_ids[i], share=float(x), rtt_ms=float(rtt), mw=float(mw)
        )
        for i, j, x, rtt, mw in zip(
            sv.site[s_on].tolist(),
            sv.other[s_on].tolist(),
            share.tolist(),
            sv.rtt_ms[s_on].tolist(),
            (share * data.region_demand_mw[sv.other[s_on]]).tolist(),
            strict=True,
        )
    )

    n = data.n_sites
    train_mw = _sum_by(tr.site[t_on], data.cluster_it_mw[tr.other[t_on]], n)
    inf_mw = _sum_by(sv.site[s_on], share * data.region_demand_mw[sv.other[s_on]], n)
    facility = _sum_by(tr.site[t_on], tr.facility_mw[t_on], n)
    facility += _sum_by(sv.site[s_on], share * sv.facility_mw[s_on], n)
    racks = _sum_by(tr.site[t_on], tr.racks[t_on], n)
    racks += _sum_by(sv.site[s_on], share * sv.racks[s_on], n)
    gpu_kw = scenario.inference.gpu_kw
    clusters_at: dict[int, list[str]] = {}
    for i, k in zip(tr.site[t_on].tolist(), tr.other[t_on].tolist(), strict=True):
        clusters_at.setdefault(i, []).append(scenario.training[k].id)
    open_idx = np.flatnonzero(d.open)
    loads = tuple(
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
        for i in open_idx.tolist()
    )

    def total(values_t: np.ndarray, values_s: np.ndarray) -> float:
        return float(values_t[t_on].sum() + (share * values_s[s_on]).sum())

    zeros_t = np.zeros(len(tr))
    costs = CostBreakdown(
        fixed=float(data.sites.fixed_cost[d.open].sum()),
        liquid_cooling=float(data.sites.liquid_cost[d.liquid].sum()),
        build=total(tr.build, sv.build),
        energy=total(tr.energy, sv.energy),
        carbon=total(tr.carbon_cost, sv.carbon_cost),
        latency_penalty=total(zeros_t, sv.latency),
        pair_costs=total(zeros_t, sv.pair_cost),
        unserved=0.0
        if data.unserved_cost is None
        else float((d.unserved * data.unserved_cost).sum()),
    )
    kpis = Kpis(
        **rtt_kpis(data.region_users[sv.other[s_on]] * share, sv.rtt_ms[s_on]),
        training_mw=float(train_mw.sum()),
        inference_mw=float(inf_mw.sum()),
        facility_mw=float(facility.sum()),
        served_share=_served_share(data, d),
        carbon_tonnes_per_year=total(tr.carbon_t, sv.carbon_t),
        open_sites=int(open_idx.size),
        training_sites=len(clusters_at),
        mw_by_site={site_ids[i]: float(train_mw[i] + inf_mw[i]) for i in open_idx.tolist()},
    )
    return {
        "open_sites": tuple(site_ids[i] for i in open_idx.tolist()),
        "liquid_sites": tuple(site_ids[i] for i in np.flatnonzero(d.liquid).tolist()),
        "training": training,
        "serving": serving,
        "unserved": {
            region_ids[j]: float(d.unserved[j]) for j in np.flatnonzero(d.unserved).tolist()
        },
        "sites": loads,
        "costs": costs,
        "kpis": kpis,
    }


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
