"""Turn a solver's variable values into decisions, costs and KPIs (vectorised).

:func:`read_decisions` rounds the values of a built model into :class:`Decisions` (binaries at
0.5; shares below :data:`SHARE_EPS` dropped, and shares up to :data:`NOISE_AT_CLOSED_SITE`, or
drawing up to :data:`NOISE_MW_AT_CLOSED_SITE` MW, at a facility rounded closed or in a cooling
option not installed: solver tolerance, handed back to the region's other facilities);
:func:`summarise` turns decisions into a typed :class:`Summary`: the result's fields, with
costs and KPIs recomputed from the decisions.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from placement.formulations import Built
from placement.model.data import ModelData, PairArrays
from placement.results import addons
from placement.results.result import (
    Assignment,
    CoolingUse,
    CostBreakdown,
    Kpis,
    SiteLoad,
    SiteLossCoverage,
    TrainingChoice,
    Violation,
)

SHARE_EPS = 1e-9
# Simplex solutions meet serve_q ≤ s̄·open_f only to the LP's primal feasibility tolerance
# (1e-7), so a facility rounded closed can keep a share of that size; below this it is dropped.
# Anything larger is left for verify to report: it would be a real violation.
NOISE_AT_CLOSED_SITE = 1e-6
MW_EPS = 1e-9
# The weak formulation links serve to open only through the capacity row
# Σ use_j·serve_ij ≤ power_i·open_i, which solvers meet to an absolute tolerance (1e-6): a
# closed facility can then keep share tolerance / use_j, large for a region of tiny demand
# (SCIP: 6.6e-5 of a 0.01 MW region, found by benchmarks/volume.py). A share at an unusable
# facility drawing at most this much of its capacity is such noise too.
NOISE_MW_AT_CLOSED_SITE = 1e-6


@dataclass(frozen=True)
class Decisions:
    """Rounded decisions of a solution."""

    open: np.ndarray  # bool per facility
    install: np.ndarray  # bool per cooling option (installed, or free and in use)
    train: np.ndarray  # bool per training pair
    serve: np.ndarray  # share per serving pair, clipped to [0, s̄]
    split: np.ndarray  # IT MW per split variable
    unserved: np.ndarray  # share per region
    spare: np.ndarray = field(default_factory=lambda: np.empty(0))  # work per spare variable
    parts: np.ndarray = field(default_factory=lambda: np.empty(0))  # share per part pair


def read_decisions(built: Built, data: ModelData, values: np.ndarray) -> Decisions:
    cols = built.columns
    is_open = values[cols.open] > 0.5
    install = np.zeros(len(data.cooling), dtype=bool)
    has_install = cols.install >= 0
    install[has_install] = values[cols.install[has_install]] > 0.5
    serve = np.clip(values[cols.serve], 0.0, data.max_share)
    if built.model.var_integer[cols.serve].all() and cols.serve.size:
        serve = np.round(serve)  # single sourcing: binaries within the solver's tolerance
    sv = data.serving
    unusable = ~is_open[sv.site] | ((sv.cooling >= 0) & ~install[np.maximum(sv.cooling, 0)])
    use = np.maximum(sv.capacity_use, sv.facility_mw)  # capacity drawn per unit share
    noise = unusable & (
        (serve <= NOISE_AT_CLOSED_SITE)
        | ((use > 0.0) & (serve * use <= NOISE_MW_AT_CLOSED_SITE) & (sv.tech >= 0))
    )
    split = np.maximum(values[cols.split], 0.0)
    split[split < MW_EPS] = 0.0
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
    train = values[cols.train] > 0.5
    spare = addons.read_spare(data, cols.spare, values, is_open)
    parts = addons.read_parts(data, cols.parts, values, is_open)
    # a free cooling option counts as installed where load sits in it
    in_use = np.zeros(len(data.cooling), dtype=bool)
    in_use[data.training.tech[train]] = True
    in_use[sv.tech[(serve > 0) & (sv.tech >= 0)]] = True
    in_use[data.split.tech[split > 0]] = True
    in_use[data.spare.tech[spare > 0]] = True
    in_use[data.parts.tech[parts > 0]] = True
    install |= in_use & ~has_install
    decisions = Decisions(
        open=is_open,
        install=install,
        train=train,
        serve=serve,
        split=split,
        unserved=unserved,
        spare=spare,
        parts=parts,
    )
    return _close_idle(data, decisions)


def _give_back(
    data: ModelData,
    serve: np.ndarray,
    unusable: np.ndarray,
    unserved: np.ndarray,
    dropped: np.ndarray,
) -> None:
    """Hand shares dropped as noise (more than :data:`NOISE_AT_CLOSED_SITE` of a region) to
    the facilities that serve the region (usable, load in one cooling option), up to the share
    cap per facility, in proportion to what they serve (water-filling: a facility at the cap
    passes its part on); what does not fit goes to unserved demand when demand is soft. Each
    facility's extra goes to its largest pair for the region. In place."""
    sv = data.serving
    region = sv.other
    for j in np.unique(region[dropped > NOISE_AT_CLOSED_SITE]).tolist():
        pairs = np.flatnonzero((region == j) & ~unusable & (serve > 0.0) & (sv.tech >= 0))
        left = float(dropped[region == j].sum())
        sites = np.unique(sv.site[pairs])
        for _ in range(sites.size):
            served = np.array([serve[pairs[sv.site[pairs] == f]].sum() for f in sites])
            room = np.maximum(data.max_share - served, 0.0)
            weights = served * (room > SHARE_EPS)
            if left <= SHARE_EPS or weights.sum() <= 0.0:
                break
            extra = np.minimum(left * weights / weights.sum(), room)
            for f, amount in zip(sites.tolist(), extra.tolist(), strict=True):
                at_f = pairs[sv.site[pairs] == f]
                serve[at_f[np.argmax(serve[at_f])]] += amount
            left -= float(extra.sum())
        if left > SHARE_EPS and data.unserved_cost is not None:
            unserved[j] = min(1.0, unserved[j] + left)


def _close_idle(data: ModelData, d: Decisions) -> Decisions:
    """A facility open at no cost and with no load (a cloud region or lease the solver left
    at 1) is reported closed: the same cost, and no empty "open" site in the report. Facilities
    that must open stay open."""
    loaded = np.zeros(data.n_sites, dtype=bool)
    loaded[data.training.site[d.train]] = True
    loaded[data.serving.site[d.serve > 0]] = True
    loaded[data.split.site[d.split > 0]] = True
    loaded[data.spare.site[d.spare > 0]] = True
    loaded[data.parts.site[d.parts > 0]] = True
    idle = d.open & ~loaded & (data.sites.fixed == 0) & (data.sites.open_lb == 0)
    return replace(d, open=d.open & ~idle)


@dataclass(frozen=True)
class Summary:
    """What a solution means: the result's decision, load, cost and KPI fields."""

    open_sites: tuple[str, ...]
    liquid_sites: tuple[str, ...]
    training: dict[str, str]  # cluster id → site id
    training_choices: dict[str, TrainingChoice]
    serving: tuple[Assignment, ...]
    unserved: dict[str, float]  # region id → unserved share
    sites: tuple[SiteLoad, ...]
    costs: CostBreakdown
    kpis: Kpis
    site_loss: SiteLossCoverage | None = None
    violations: tuple[Violation, ...] = ()

    def result_fields(self) -> dict[str, Any]:
        """These fields by name, for ``PlacementResult(**summary.result_fields(), ...)``."""
        return {item.name: getattr(self, item.name) for item in dataclasses.fields(self)}


@dataclass(frozen=True)
class _Active:
    """Which variables carry load: training pairs placed, serving pairs used, splits used,
    parts of split training clusters and spare capacity (with their shares or amounts)."""

    train: np.ndarray
    serve: np.ndarray
    share: np.ndarray
    split: np.ndarray
    split_mw: np.ndarray
    part: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    part_share: np.ndarray = field(default_factory=lambda: np.empty(0))
    spare: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    spare_work: np.ndarray = field(default_factory=lambda: np.empty(0))

    def total(
        self,
        training: np.ndarray,
        serving: np.ndarray,
        split: np.ndarray,
        parts: np.ndarray | None = None,
        spare: np.ndarray | None = None,
    ) -> float:
        """Σ placed training + Σ share × serving value + Σ MW × split value + Σ share × part
        value + Σ work × spare value."""
        out = float(
            training[self.train].sum()
            + (self.share * serving[self.serve]).sum()
            + (self.split_mw * split[self.split]).sum()
        )
        if parts is not None and self.part.size:
            out += float((self.part_share * parts[self.part]).sum())
        if spare is not None and self.spare.size:
            out += float((self.spare_work * spare[self.spare]).sum())
        return out

    def field(self, data: ModelData, name: str) -> float:
        return self.total(
            getattr(data.training, name),
            getattr(data.serving, name),
            getattr(data.split, name),
            getattr(data.parts, name),
            getattr(data.spare, name),
        )


def summarise(data: ModelData, d: Decisions, *, rounds: int = 0, cuts: int = 0) -> Summary:
    """Decisions, per-site loads, costs and KPIs from rounded decisions (vectorised);
    ``rounds`` and ``cuts``: what the site-loss loop needed (rules.resilience)."""
    active = _Active(
        train=np.flatnonzero(d.train),
        serve=np.flatnonzero(d.serve > 0.0),
        share=d.serve[d.serve > 0.0],
        split=np.flatnonzero(d.split > 0.0),
        split_mw=d.split[d.split > 0.0],
        part=np.flatnonzero(d.parts > 0.0),
        part_share=d.parts[d.parts > 0.0],
        spare=np.flatnonzero(d.spare > 0.0),
        spare_work=d.spare[d.spare > 0.0],
    )
    scenario = data.scenario
    site_ids = [s.id for s in scenario.sites]
    region_ids = data.region_ids
    choices = _training_choices(data, active, site_ids)
    choices.update(addons.split_choices(data, active.part, active.part_share))
    choices = {c.id: choices[c.id] for c in scenario.training if c.id in choices}
    open_site_idx = sorted(set(data.sites.site[d.open].tolist()))
    liquid_site_idx = sorted(
        set(data.sites.site[data.cooling.facility[d.install & data.cooling.liquid]].tolist())
    )
    violations = addons.violations(
        data,
        d,
        facility_use=_facility_use(data, active),
        capital=_capital(data, d, active),
        carbon_t=active.field(data, "carbon_t"),
        serve_index=active.serve,
        serve_share=active.share,
    )
    costs = _costs(data, d, active, choices, violations)
    return Summary(
        open_sites=tuple(site_ids[i] for i in open_site_idx),
        liquid_sites=tuple(site_ids[i] for i in liquid_site_idx),
        training={cid: c.site for cid, c in choices.items()},
        training_choices=choices,
        serving=_assignments(data, active, site_ids, region_ids),
        unserved={region_ids[j]: float(d.unserved[j]) for j in np.flatnonzero(d.unserved).tolist()},
        sites=_site_loads(data, d, active, open_site_idx),
        costs=costs,
        kpis=_kpis(data, d, active, open_site_idx),
        site_loss=addons.site_loss(data, d, open_site_idx, rounds=rounds, cuts=cuts),
        violations=violations,
    )


def _training_choices(
    data: ModelData, active: _Active, site_ids: list[str]
) -> dict[str, TrainingChoice]:
    tr = data.training
    out = {}
    for p in active.train.tolist():
        k, o, f, s = int(tr.other[p]), int(tr.option[p]), int(tr.site[p]), int(tr.tech[p])
        option = data.training_options[o]
        out[data.cluster_ids[k]] = TrainingChoice(
            site=site_ids[int(data.sites.site[f])],
            financing=str(data.sites.mode[f]),
            option=option.id,
            cooling=str(data.cooling.technology[s]),
            liquid=bool(data.cooling.liquid[s]),
            it_mw=float(option.it_mw),
            gpus=option.gpus,
            rack_density_kw=float(option.rack_density_kw),
            facility_mw=float(tr.facility_mw[p]),
            annual_cost_usd=float(tr.cost[p] - tr.latency[p] - tr.pair_cost[p]),
        )
    return out


def _assignments(
    data: ModelData, active: _Active, site_ids: list[str], region_ids: list[str]
) -> tuple[Assignment, ...]:
    sv = data.serving
    on = active.serve
    hardware = data.hardware_ids
    return tuple(
        Assignment(
            region=region_ids[j],
            site=site_ids[i],
            share=float(x),
            rtt_ms=float(rtt),
            mw=float(mw),
            hardware=hardware[h],
            service_ms=float(service),
            financing=str(mode),
            units=float(units),
        )
        for i, j, x, rtt, mw, h, service, mode, units in zip(
            data.sites.site[sv.site[on]].tolist(),
            sv.other[on].tolist(),
            active.share.tolist(),
            sv.rtt_ms[on].tolist(),
            (active.share * sv.it_mw[on]).tolist(),
            sv.option[on].tolist(),
            sv.service_ms[on].tolist(),
            data.sites.mode[sv.site[on]].tolist(),
            (active.share * sv.units[on]).tolist(),
            strict=True,
        )
    )


def _by_site(data: ModelData, facility: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Σ of weights grouped by the facility's site, length n_scenario_sites."""
    return np.bincount(
        data.sites.site[facility],
        weights=np.asarray(weights, dtype=float),
        minlength=len(data.scenario.sites),
    ).astype(float)


def _per_site(data: ModelData, active: _Active, name: str) -> np.ndarray:
    tr, sv, sp, pt, z = data.training, data.serving, data.split, data.parts, data.spare
    out = _by_site(data, tr.site[active.train], getattr(tr, name)[active.train])
    out += _by_site(data, sv.site[active.serve], active.share * getattr(sv, name)[active.serve])
    out += _by_site(data, pt.site[active.part], active.part_share * getattr(pt, name)[active.part])
    out += _by_site(data, z.site[active.spare], active.spare_work * getattr(z, name)[active.spare])
    return out + _by_site(
        data, sp.site[active.split], active.split_mw * getattr(sp, name)[active.split]
    )


def _facility_use(data: ModelData, active: _Active) -> np.ndarray:
    """Per facility, the use of its capacity row: Σ U x over every family."""
    out = np.zeros(data.n_sites)
    for pairs, index, amount in (
        (data.training, active.train, np.ones(active.train.size)),
        (data.serving, active.serve, active.share),
        (data.split, active.split, active.split_mw),
        (data.parts, active.part, active.part_share),
        (data.spare, active.spare, active.spare_work),
    ):
        np.add.at(out, pairs.site[index], amount * pairs.capacity_use[index])
    return out


def _capital(data: ModelData, d: Decisions, active: _Active) -> float:
    """Annualised capital: fixed capital of open facilities and installed cooling, and the
    capital of every variable."""
    return (
        float(data.sites.fixed_capital[d.open].sum())
        + float(data.cooling.fixed_capital[d.install].sum())
        + active.field(data, "capital")
    )


def _site_loads(
    data: ModelData, d: Decisions, active: _Active, open_site_idx: list[int]
) -> tuple[SiteLoad, ...]:
    scenario = data.scenario
    tr, sv = data.training, data.serving
    train_mw = _training_mw_by_site(data, active)
    inf_mw = _by_site(data, sv.site[active.serve], active.share * sv.it_mw[active.serve])
    units = _by_site(data, sv.site[active.serve], active.share * sv.units[active.serve])
    facility = _per_site(data, active, "facility_mw")
    racks = _per_site(data, active, "racks")
    clusters_at: dict[int, list[str]] = defaultdict(list)
    placed = [(int(tr.other[p]), int(data.sites.site[tr.site[p]])) for p in active.train]
    pt = data.parts
    placed += [(int(pt.other[q]), int(data.sites.site[pt.site[q]])) for q in active.part]
    for k, i in sorted(set(placed)):
        clusters_at[i].append(data.cluster_ids[k])
    spare = addons.spare_by_site(data, active.spare, active.spare_work)
    uses = _cooling_uses(data, d, active)
    hardware_units = _hardware_units(data, active)
    spend = _site_spend(data, d, active)
    modes = defaultdict(list)
    for f in np.flatnonzero(d.open).tolist():
        modes[int(data.sites.site[f])].append(str(data.sites.mode[f]))
    return tuple(
        SiteLoad(
            site=scenario.sites[i].id,
            liquid_cooling=any(u.liquid and u.installed for u in uses.get(i, ())),
            training_clusters=tuple(clusters_at.get(i, ())),
            training_mw=float(train_mw[i]),
            inference_mw=float(inf_mw[i]),
            inference_gpus=float(units[i]),
            facility_mw=float(facility[i]),
            racks=float(racks[i]),
            financing=tuple(modes[i]),
            cooling=tuple(uses.get(i, ())),
            hardware_units=hardware_units.get(i, {}),
            annual_cost_usd=float(spend[i]),
            spare=spare.get(i, ()),
        )
        for i in open_site_idx
    )


def _training_mw_by_site(data: ModelData, active: _Active) -> np.ndarray:
    """IT MW of training per site: whole clusters and parts of split ones."""
    tr, pt = data.training, data.parts
    out = _by_site(data, tr.site[active.train], tr.it_mw[active.train])
    return out + _by_site(data, pt.site[active.part], active.part_share * pt.it_mw[active.part])


SPEND_FIELDS = ("build", "cooling_cost", "hardware", "lease", "cloud", "energy", "carbon_cost")
"""The per-unit cost parts of a variable that are money paid (not λ's penalty or pair costs)."""


def _site_spend(data: ModelData, d: Decisions, active: _Active) -> np.ndarray:
    """Per site: fixed costs of its open facilities and installed cooling, plus the spend of
    the load placed there."""
    cool, sites = data.cooling, data.sites
    out = _by_site(data, np.flatnonzero(d.open), sites.fixed[d.open])
    installed = np.flatnonzero(d.install)
    out += _by_site(data, cool.facility[installed], cool.fixed[installed])
    for name in SPEND_FIELDS:
        out += _per_site(data, active, name)
    return out


def _cooling_uses(data: ModelData, d: Decisions, active: _Active) -> dict[int, list[CoolingUse]]:
    """Per site, the IT MW in each installed (or used) cooling option."""
    cool, tr, sv, sp, pt = data.cooling, data.training, data.serving, data.split, data.parts
    training = np.bincount(
        tr.tech[active.train], tr.it_mw[active.train], minlength=len(cool)
    ).astype(float)
    training += np.bincount(
        pt.tech[active.part], active.part_share * pt.it_mw[active.part], minlength=len(cool)
    )
    inference: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    hardware = data.hardware_ids
    single = active.serve[sv.tech[active.serve] >= 0]
    share = d.serve[single]
    for s, h, mw in zip(sv.tech[single], sv.option[single], share * sv.it_mw[single], strict=True):
        inference[int(s)][hardware[int(h)]] += float(mw)
    for v, mw in zip(active.split.tolist(), active.split_mw.tolist(), strict=True):
        inference[int(sp.tech[v])][hardware[int(sp.option[v])]] += float(mw)
    out: dict[int, list[CoolingUse]] = defaultdict(list)
    for s in np.flatnonzero(d.install).tolist():
        f = int(cool.facility[s])
        if data.sites.mode[f] == "cloud":
            continue  # the provider's cooling: nothing to decide or report
        out[int(data.sites.site[f])].append(
            CoolingUse(
                technology=str(cool.technology[s]),
                financing=str(data.sites.mode[f]),
                liquid=bool(cool.liquid[s]),
                installed=True,
                training_mw=float(training[s]),
                inference_mw=dict(inference.get(s, {})),
            )
        )
    return out


def _hardware_units(data: ModelData, active: _Active) -> dict[int, dict[str, float]]:
    sv = data.serving
    out: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    hardware = data.hardware_ids
    sites = data.sites.site[sv.site[active.serve]]
    units = active.share * sv.units[active.serve]
    for i, h, u in zip(
        sites.tolist(), sv.option[active.serve].tolist(), units.tolist(), strict=True
    ):
        out[i][hardware[h]] += u
    return {i: dict(v) for i, v in out.items()}


def _costs(
    data: ModelData,
    d: Decisions,
    active: _Active,
    choices: dict[str, TrainingChoice],
    violations: tuple[Violation, ...],
) -> CostBreakdown:
    sites, cool = data.sites, data.cooling
    cooling_fixed = float(cool.fixed[d.install].sum())
    return CostBreakdown(
        fixed=float(sites.fixed[d.open].sum()),
        cooling=cooling_fixed + active.field(data, "cooling_cost"),
        build=active.field(data, "build"),
        hardware=active.field(data, "hardware"),
        lease=active.field(data, "lease"),
        cloud=active.field(data, "cloud"),
        energy=active.field(data, "energy"),
        carbon=active.field(data, "carbon_cost"),
        latency_penalty=active.field(data, "latency"),
        pair_costs=active.field(data, "pair_cost"),
        unserved=0.0
        if data.unserved_cost is None
        else float((d.unserved * data.unserved_cost).sum()),
        interconnect=sum(c.interconnect_usd for c in choices.values()),
        violations=sum(v.penalty_usd for v in violations),
        capital=_capital(data, d, active),
    )


def _kpis(data: ModelData, d: Decisions, active: _Active, open_site_idx: list[int]) -> Kpis:
    tr, sv = data.training, data.serving
    train_mw = _training_mw_by_site(data, active)
    inf_mw = _by_site(data, sv.site[active.serve], active.share * sv.it_mw[active.serve])
    users = data.region_users[sv.other[active.serve]] * active.share
    latency = sv.rtt_ms[active.serve] + sv.service_ms[active.serve]
    site_ids = [s.id for s in data.scenario.sites]
    return Kpis(
        **rtt_kpis(users, latency),
        training_mw=float(train_mw.sum()),
        inference_mw=float(inf_mw.sum()),
        facility_mw=float(_per_site(data, active, "facility_mw").sum()),
        served_share=_served_share(data, d),
        carbon_tonnes_per_year=active.field(data, "carbon_t"),
        open_sites=len(open_site_idx),
        training_sites=len(
            np.unique(
                np.concatenate(
                    [
                        data.sites.site[tr.site[active.train]],
                        data.sites.site[data.parts.site[active.part]],
                    ]
                )
            )
        ),
        mw_by_site={site_ids[i]: float(train_mw[i] + inf_mw[i]) for i in open_site_idx},
    )


def rtt_kpis(weights: np.ndarray, rtt_ms: np.ndarray) -> dict[str, float | None]:
    """Weighted mean and weighted 95th percentile (lower value at the 95 % mark) of latency."""
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
    demand = float(data.region_work.sum())
    if demand <= 0:
        return 1.0
    return float(1.0 - np.dot(d.unserved, data.region_work) / demand)


__all__ = ["Decisions", "PairArrays", "Summary", "read_decisions", "rtt_kpis", "summarise"]
