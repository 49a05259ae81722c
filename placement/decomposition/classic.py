"""The placement model as the decomposition sees it, read from :class:`ModelData`.

The decomposition works on *facilities* i (a site in one financing mode: build, lease or
cloud; a site offering several modes is several facilities) and covers: inference on any
number of hardware types, all of them in one cooling option at each facility; training
clusters with any number of ways to be built (the assignment row is Σ over options and
facilities = 1); cooling options with a fixed cost (one per facility: the ``liquid``
decision, which training pairs or inference may need; several: training pairs need them,
each paid once when in use, inference none of them); cloud quotas. :func:`unsupported` names
what a model has beyond that (inference split over several cooling options, inference in an
option with a fixed cost at a facility with several; the add-ons: N-1
resilience, soft rules, split training); the caller then solves the MILP and says why.

:class:`Classic` renames the model's arrays to the quantities of the relaxation: per facility
i the fixed cost f_i (operating + annualised capital), the capacity P_i of its capacity row,
racks R_i, the liquid cooling option's fixed cost g_i; per pair its cost, capacity use
(``facility_mw``: build PUE · IT MW, lease IT MW, cloud 0), racks, tonnes CO2 and whether it
needs the liquid option installed. A cloud facility has no power or racks row; where it has
a quota Q on an instance type (the first, if several), Σ units_p x_p ≤ Q *is* its capacity
row, scaled by α > 0 (IT MW per unit): P_i = α Q and the capacity use of a pair is α times
its units of that type (0 for other types), so the relaxation's knapsack holds it exactly;
every quota row (:attr:`Classic.quota_rhs`) is held by the heuristics' checks and the
transport LP, the others are relaxed. The share cap (2c) of a site's facilities together,
Σ_{i at site, h} x_ijh ≤ s̄, is held by every solution the heuristics return
(:mod:`placement.decomposition.primal`) and relaxed (each pair x_p ≤ s̄) in the Lagrangian
relaxation. :class:`Decisions` are the classic decisions (open, liquid, train, serve,
unserved); :meth:`Classic.full_decisions` turns them into the model's own
:class:`placement.results.decode.Decisions` (the options training needs installed at
facilities with several included) so costs and KPIs are recomputed by the same arithmetic as
every other result.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from placement.model.data import ModelData, PairArrays, cloud_quotas
from placement.model.schema import Scenario
from placement.results import decode


@dataclass(frozen=True)
class Sites:
    """Per-facility arrays in the relaxation's terms."""

    fixed_cost: np.ndarray  # f_i: operating + annualised capital while open
    power_mw: np.ndarray  # P_i: facility MW
    racks: np.ndarray  # inf: no limit
    liquid_cost: np.ndarray  # g_i: the liquid option's fixed cost (0 where none)
    liquid_allowed: np.ndarray  # bool: a liquid option with an install decision exists
    open_lb: np.ndarray
    open_ub: np.ndarray


@dataclass(frozen=True)
class Decisions:
    """Classic decisions: per site open and liquid, per pair train and share, per region
    unserved share."""

    open: np.ndarray
    liquid: np.ndarray
    train: np.ndarray
    serve: np.ndarray
    unserved: np.ndarray


@dataclass(frozen=True)
class Classic:
    """:class:`ModelData` of a classic model, under the names the decomposition uses."""

    source: ModelData
    sites: Sites
    serving: PairArrays  # facility_mw = capacity use; needs_liquid = needs the install
    training: PairArrays
    liquid_option: np.ndarray  # per facility: its installable cooling option, −1 where none
    # per training pair: the cooling option it needs installed at a facility with several
    # (its fixed cost G_s is paid once per option in use), −1 where none or ``liquid`` decides
    train_install: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    # every cloud quota row Σ units_p x_p ≤ Q_r: its row per serving / training pair (−1: in
    # none) and Q_r; the heuristics hold them all, the relaxation the capacity row's one only
    quota_rhs: np.ndarray = field(default_factory=lambda: np.empty(0))
    serve_quota: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    train_quota: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))

    @property
    def scenario(self) -> Scenario:
        return self.source.scenario

    @property
    def n_sites(self) -> int:
        return self.source.n_sites

    @property
    def n_regions(self) -> int:
        return self.source.n_regions

    @property
    def n_clusters(self) -> int:
        return self.source.n_clusters

    @property
    def unserved_cost(self) -> np.ndarray | None:
        return self.source.unserved_cost

    @property
    def max_share(self) -> float:
        return self.source.max_share

    def full_decisions(self, d: Decisions) -> decode.Decisions:
        """The model's decisions for classic ones: the liquid option installed where ``liquid``
        says, a free option counted installed where load sits in it (as in
        :func:`placement.results.decode.read_decisions`)."""
        data = self.source
        install = np.zeros(len(data.cooling), dtype=bool)
        has = self.liquid_option >= 0
        install[self.liquid_option[has & d.liquid]] = True
        install[self.training_installs(d.train)] = True
        free = ~data.cooling.needs_install
        in_use = np.zeros(len(data.cooling), dtype=bool)
        in_use[data.training.tech[d.train]] = True
        served = (d.serve > 0) & (data.serving.tech >= 0)
        in_use[data.serving.tech[served]] = True
        install |= in_use & free
        return decode.Decisions(
            open=d.open.copy(),
            install=install,
            train=d.train.copy(),
            serve=d.serve.copy(),
            split=np.zeros(len(data.split)),
            unserved=d.unserved.copy(),
        )

    def training_installs(self, train: np.ndarray) -> np.ndarray:
        """The cooling options (at facilities with several) the chosen training pairs need."""
        if not self.train_install.size:
            return np.empty(0, dtype=np.int64)
        need = self.train_install[train]
        return np.unique(need[need >= 0])

    def training_install_cost(self, train: np.ndarray) -> float:
        """Σ G_s over the options of :meth:`training_installs` (each once)."""
        return float(self.source.cooling.fixed[self.training_installs(train)].sum())

    def classic_decisions(self, d: decode.Decisions) -> Decisions:
        """Classic decisions from the model's (liquid: the site's liquid option installed)."""
        has = self.liquid_option >= 0
        liquid = np.zeros(self.n_sites, dtype=bool)
        liquid[has] = d.install[self.liquid_option[has]]
        return Decisions(
            open=d.open.copy(),
            liquid=liquid,
            train=d.train.copy(),
            serve=d.serve.copy(),
            unserved=d.unserved.copy(),
        )


def unsupported(data: ModelData, formulation: str = "strong") -> list[str]:
    """What ``data`` has that the decomposition does not cover (empty: it covers the model).

    The relaxation covers the strong formulation's rows: training clusters (any number of
    options) and their cooling options, power, racks, unserved demand, the share cap, maximum
    sites and training sites, the carbon cap, existing/forbidden sites, build, lease and
    cloud facilities (several at one site), several inference hardware types, cloud
    quotas and a capital budget. ``weak`` has the same feasible set and optimum; single
    sourcing does not (binary shares).
    """
    missing = []
    if formulation == "single_source":
        missing.append("single sourcing (binary inference shares)")
    elif formulation not in ("strong", "weak"):
        missing.append(f"formulation {formulation!r}")
    sites, cool = data.sites, data.cooling
    if len(data.split):
        missing.append("inference split over several cooling options (decision menus)")
    rules = data.scenario.rules
    if rules.resilience is not None:
        missing.append("N-1 resilience (spare capacity for the loss of a site)")
    if rules.soft is not None:
        missing.append("soft rules")
    if len(getattr(data, "parts", ())):
        missing.append("training clusters split over nearby sites")
    sv, tr = data.serving, data.training
    installable = cool.needs_install
    several = np.bincount(cool.facility[installable], minlength=len(sites)) > 1
    if np.any(several[sv.site[sv.cooling >= 0]]):
        missing.append("inference in a cooling option with a fixed cost at a facility with several")
    if np.any(np.bincount(sv.site, minlength=len(sites)) > 0):
        techs = np.unique(np.c_[sv.site, sv.tech], axis=0)
        if np.unique(techs[:, 0]).size != techs.shape[0]:
            missing.append("inference in more than one cooling option at a site")
    if not (np.all(np.isfinite(sv.cost)) and np.all(np.isfinite(tr.cost))):
        missing.append("non-finite pair costs")
    return missing


def classic_view(data: ModelData) -> Classic:
    """The :class:`Classic` view of a model :func:`unsupported` accepts."""
    sites, cool = data.sites, data.cooling
    n = len(sites)
    liquid_option = np.full(n, -1, dtype=np.int64)
    installable = np.flatnonzero(cool.needs_install)
    several = np.bincount(cool.facility[installable], minlength=n) > 1
    alone = installable[~several[cool.facility[installable]]]
    liquid_option[cool.facility[alone]] = alone
    has = liquid_option >= 0
    liquid_cost = np.zeros(n)
    liquid_cost[has] = cool.fixed[liquid_option[has]]
    power = sites.capacity.astype(float).copy()
    serving, training = _as_classic(data.serving), _as_classic(data.training)
    tr = data.training
    train_install = np.where(several[tr.site] & (tr.cooling >= 0), tr.cooling, -1)
    training = dataclasses.replace(training, needs_liquid=training.needs_liquid & ~several[tr.site])
    quotas = [(f, hw, q) for (f, hw), q in cloud_quotas(data).items()]
    sv = data.serving
    serve_quota = np.full(len(sv), -1, dtype=np.int64)
    train_quota = np.full(len(tr), -1, dtype=np.int64)
    if quotas:
        hardware = np.array(data.hardware_ids, dtype=object)
        option_hw = np.array([o.cloud_hardware for o in data.training_options], dtype=object)
        for r, (f, hw, _) in enumerate(quotas):
            serve_quota[(sv.site == f) & (hardware[sv.option] == hw)] = r
            if len(tr):
                train_quota[(tr.site == f) & (option_hw[tr.option] == hw)] = r
        # a cloud facility's first quota is its capacity row, scaled to IT MW by α (IT MW
        # per unit of the type, 1 for a type only training rents) so that it counts like the
        # other facilities in the aggregate capacity row: P_i = α Q, use = α · units of it
        hw = data.offer.hardware
        mw_per_unit = dict(zip(hw.id, hw.mw_per_work / hw.units_per_work, strict=True))
        quota_of = np.full(n, None, dtype=object)
        scale = np.ones(n)
        for f, kind, q in reversed(quotas):
            scale[f] = float(mw_per_unit.get(kind, 1.0))
            power[f] = scale[f] * q
            quota_of[f] = kind
        s_on = quota_of[sv.site] != None  # noqa: E711 (elementwise)
        s_hit = s_on & (hardware[sv.option] == quota_of[sv.site])
        t_on = quota_of[tr.site] != None  # noqa: E711
        t_hit = t_on & (option_hw[tr.option] == quota_of[tr.site]) if len(tr) else t_on
        s_use = np.where(s_hit, scale[sv.site] * sv.units, 0.0)
        t_use = np.where(t_hit, scale[tr.site] * tr.units, 0.0)
        serving = dataclasses.replace(
            serving, facility_mw=np.where(s_on, s_use, serving.facility_mw)
        )
        training = dataclasses.replace(
            training, facility_mw=np.where(t_on, t_use, training.facility_mw)
        )
    return Classic(
        source=data,
        sites=Sites(
            fixed_cost=sites.fixed.astype(float),
            power_mw=power,
            racks=sites.racks.astype(float),
            liquid_cost=liquid_cost,
            liquid_allowed=has,
            open_lb=sites.open_lb.astype(float),
            open_ub=sites.open_ub.astype(float),
        ),
        serving=serving,
        training=training,
        liquid_option=liquid_option,
        train_install=train_install.astype(np.int64),
        quota_rhs=np.array([q for _, _, q in quotas], dtype=float),
        serve_quota=serve_quota,
        train_quota=train_quota,
    )


def _as_classic(pairs: PairArrays) -> PairArrays:
    """Capacity use as ``facility_mw`` (the power row's coefficient) and ``needs_liquid``
    as "needs a cooling option installed"."""
    return dataclasses.replace(
        pairs,
        facility_mw=pairs.capacity_use.astype(float),
        needs_liquid=pairs.cooling >= 0,
    )


def capacity_need(data: Classic) -> float:
    """Facility MW every solution needs: Σ_k min_q F_q + (hard demand) Σ_j min_p F_p."""
    need = 0.0
    tr, sv = data.training, data.serving
    if data.n_clusters and len(tr):
        cheapest = np.full(data.n_clusters, np.inf)
        np.minimum.at(cheapest, tr.other, tr.facility_mw)
        need += float(cheapest[np.isfinite(cheapest)].sum())
    if data.unserved_cost is None and len(sv):
        cheapest = np.full(data.n_regions, np.inf)
        np.minimum.at(cheapest, sv.other, sv.facility_mw)
        need += float(cheapest[np.isfinite(cheapest)].sum())
    return need
