"""The classic placement model as the decomposition sees it, read from :class:`ModelData`.

The decomposition covers the *classic* structure: every site one build facility, inference on
one hardware type with one way to cool it at each site, each training cluster one way to be
built, and at most one cooling option per facility with a fixed cost (liquid cooling, which
training pairs or inference may need). :func:`unsupported` names what a model has beyond
that (decision menus: leases, cloud, several hardware types or cluster options, split cooling,
a capital budget; the add-ons: N-1 resilience, soft rules, split training); the caller then
solves the MILP and says why.

:class:`Classic` renames the model's arrays to the quantities of the relaxation: per facility
i the fixed cost f_i (operating + annualised capital), the power P_i (facility MW: build
capacity is facility MW), racks R_i, the liquid cooling option's fixed cost g_i; per pair its
cost, capacity use (``facility_mw`` = PUE · IT MW), racks, tonnes CO2 and whether it needs the
liquid option installed. :class:`Decisions` are the classic decisions (open, liquid, train,
serve, unserved); :meth:`Classic.full_decisions` turns them into the model's own
:class:`placement.results.decode.Decisions` so costs and KPIs are recomputed by the same
arithmetic as every other result.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from placement.model.data import ModelData, PairArrays
from placement.model.offer import BUILD
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

    The relaxation covers the strong formulation's rows on the classic structure: training
    clusters and their liquid cooling, power, racks, unserved demand, the share cap, maximum
    sites and training sites, the carbon cap and existing/forbidden sites. ``weak`` has the
    same feasible set and optimum; single sourcing does not (binary shares).
    """
    missing = []
    if formulation == "single_source":
        missing.append("single sourcing (binary inference shares)")
    elif formulation not in ("strong", "weak"):
        missing.append(f"formulation {formulation!r}")
    sites, cool = data.sites, data.cooling
    if np.any(sites.mode != BUILD):
        missing.append("lease or cloud financing (decision menus)")
    if np.unique(sites.site).size != len(sites):
        missing.append("several facilities at one site (decision menus)")
    if len(data.split):
        missing.append("inference split over several cooling options (decision menus)")
    if len(data.offer.hardware) > 1:
        missing.append("several inference hardware types (decision menus)")
    if np.any(np.bincount(data.option_cluster, minlength=data.n_clusters) > 1):
        missing.append("several ways to build a training cluster (decision menus)")
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
    pairs = np.unique(np.c_[tr.site, tr.other], axis=0) if len(tr) else np.zeros((0, 2))
    if pairs.shape[0] != len(tr):
        missing.append("a training cluster in more than one cooling option at a site")
    if not (np.all(np.isfinite(sv.cost)) and np.all(np.isfinite(tr.cost))):
        missing.append("non-finite pair costs")
    return missing


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
    return Classic(
        source=data,
        sites=Sites(
            fixed_cost=sites.fixed.astype(float),
            power_mw=sites.capacity.astype(float),
            racks=sites.racks.astype(float),
            liquid_cost=liquid_cost,
            liquid_allowed=has,
            open_lb=sites.open_lb.astype(float),
            open_ub=sites.open_ub.astype(float),
        ),
        serving=_as_classic(data.serving),
        training=_as_classic(data.training),
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
