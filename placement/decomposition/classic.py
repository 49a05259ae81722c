"""The placement model as the decomposition sees it, read from :class:`ModelData`.

The decomposition works on *facilities* i (a site in one financing mode: build, lease or
cloud; a site offering several modes is several facilities) and covers: inference on any
number of hardware types, all of them in one cooling option at each facility; training
clusters with any number of ways to be built (the assignment row is Σ over options and
facilities = 1); at most one cooling option per facility with a fixed cost (liquid cooling,
which training pairs or inference may need); at most one cloud quota per cloud facility.
:func:`unsupported` names what a model has beyond that (split cooling, several cooling
options with a fixed cost or several cloud quotas at one facility, a capital budget; the
add-ons: N-1 resilience, soft rules, split training); the caller then solves the MILP and
says why.

:class:`Classic` renames the model's arrays to the quantities of the relaxation: per facility
i the fixed cost f_i (operating + annualised capital), the capacity P_i of its capacity row,
racks R_i, the liquid cooling option's fixed cost g_i; per pair its cost, capacity use
(``facility_mw``: build PUE · IT MW, lease IT MW, cloud 0), racks, tonnes CO2 and whether it
needs the liquid option installed. A cloud facility has no power or racks row; where it has
a quota Q on one instance type, Σ units_p x_p ≤ Q *is* its capacity row: P_i = Q and the
capacity use of a pair is its units of that type (0 for other types), so the relaxation's
knapsack, the heuristics' capacity checks and the transport LP hold the quota exactly. The
share cap (2c) of a site's facilities together, Σ_{i at site, h} x_ijh ≤ s̄, is held by
every solution the heuristics return (:mod:`placement.decomposition.primal`) and relaxed
(each pair x_p ≤ s̄) in the Lagrangian relaxation. :class:`Decisions` are the classic
decisions (open, liquid, train, serve, unserved); :meth:`Classic.full_decisions` turns them
into the model's own
:class:`placement.results.decode.Decisions` so costs and KPIs are recomputed by the same
arithmetic as every other result.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from placement.model.data import ModelData, PairArrays
from placement.model.offer import CLOUD
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
    options) and their liquid cooling, power, racks, unserved demand, the share cap, maximum
    sites and training sites, the carbon cap, existing/forbidden sites, build, lease and
    cloud facilities (several at one site), several inference hardware types and one cloud
    quota per cloud facility. ``weak`` has the same feasible set and optimum; single
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
    if rules.capital_budget_usd_per_year is not None:
        missing.append("a capital budget")
    if rules.resilience is not None:
        missing.append("N-1 resilience (spare capacity for the loss of a site)")
    if rules.soft is not None:
        missing.append("soft rules")
    if len(getattr(data, "parts", ())):
        missing.append("training clusters split over nearby sites")
    installable = cool.needs_install
    if np.any(np.bincount(cool.facility[installable], minlength=len(sites)) > 1):
        missing.append("more than one cooling option with a fixed cost at a site")
    sv, tr = data.serving, data.training
    if np.any(np.bincount(sv.site, minlength=len(sites)) > 0):
        techs = np.unique(np.c_[sv.site, sv.tech], axis=0)
        if np.unique(techs[:, 0]).size != techs.shape[0]:
            missing.append("inference in more than one cooling option at a site")
    pairs = np.unique(np.c_[tr.site, tr.option], axis=0) if len(tr) else np.zeros((0, 2))
    if pairs.shape[0] != len(tr):
        missing.append("a training cluster in more than one cooling option at a site")
    quotas = [f for f, _, _ in _quotas(data)]
    if len(quotas) != len(set(quotas)):
        missing.append("more than one cloud quota at a cloud facility (decision menus)")
    if not (np.all(np.isfinite(sv.cost)) and np.all(np.isfinite(tr.cost))):
        missing.append("non-finite pair costs")
    return missing


def _quotas(data: ModelData) -> list[tuple[int, str, float]]:
    """(facility, instance type, quota) of every cloud quota (row (6b) of the formulation)."""
    out = []
    for f, (i, mode) in enumerate(zip(data.sites.site.tolist(), data.sites.mode, strict=True)):
        cloud = data.scenario.sites[i].cloud
        if mode == CLOUD and cloud is not None:
            out.extend((f, hw, float(q)) for hw, q in cloud.quota_units.items())
    return out


def classic_view(data: ModelData) -> Classic:
    """The :class:`Classic` view of a model :func:`unsupported` accepts."""
    sites, cool = data.sites, data.cooling
    n = len(sites)
    liquid_option = np.full(n, -1, dtype=np.int64)
    installable = np.flatnonzero(cool.needs_install)
    liquid_option[cool.facility[installable]] = installable
    has = liquid_option >= 0
    liquid_cost = np.zeros(n)
    liquid_cost[has] = cool.fixed[liquid_option[has]]
    power = sites.capacity.astype(float).copy()
    serving, training = _as_classic(data.serving), _as_classic(data.training)
    quotas = _quotas(data)
    if quotas:
        # the one quota of a cloud facility is its capacity row: P_i = Q, use = units of it
        quota_of = np.full(n, None, dtype=object)
        for f, hw, q in quotas:
            power[f] = q
            quota_of[f] = hw
        hardware = np.array(data.hardware_ids, dtype=object)
        option_hw = np.array([o.cloud_hardware for o in data.training_options], dtype=object)
        sv, tr = data.serving, data.training
        s_on = quota_of[sv.site] != None  # noqa: E711 (elementwise)
        s_hit = s_on & (hardware[sv.option] == quota_of[sv.site])
        t_on = quota_of[tr.site] != None  # noqa: E711
        t_hit = t_on & (option_hw[tr.option] == quota_of[tr.site]) if len(tr) else t_on
        serving = dataclasses.replace(
            serving,
            facility_mw=np.where(s_on, np.where(s_hit, sv.units, 0.0), serving.facility_mw),
        )
        training = dataclasses.replace(
            training,
            facility_mw=np.where(t_on, np.where(t_hit, tr.units, 0.0), training.facility_mw),
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
