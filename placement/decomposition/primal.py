"""Feasible solutions: the placement restricted to a set of open sites, solved exactly.

Given a set Y of sites, the best solution that opens no site outside Y is the strong MILP on
the pairs at Y with every other site forbidden — a small problem (the inference shares are
continuous, only liquid cooling and the few training pairs at Y stay binary). It is built with
:mod:`placement.formulations` on a reduced :class:`ModelData` and solved by HiGHS; sites of Y
that end up carrying nothing are closed afterwards (never worse, still feasible).

A fast path avoids HiGHS when it cannot matter: without training clusters, carbon cap, share
cap or liquid-cooled inference, every region goes to its cheapest pair at Y (or stays unserved
when that is cheaper); if no site's power or racks are exceeded that assignment is optimal for
Y. Its cost is also a lower bound for Y in any case (capacities relaxed), which screens out
sets that cannot beat the incumbent before any LP is solved.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from placement.decomposition import highs
from placement.decomposition.classic import Classic, Decisions, capacity_need
from placement.formulations import build
from placement.milp.highs import stop_requested
from placement.model.data import ModelData, PairArrays
from placement.results.decode import read_decisions, summarise

CAPACITY_TOLERANCE = 1e-9
SWAP_DEPTH = 8  # swaps considered per move: SWAP_DEPTH × width, best estimates first


@dataclass(frozen=True)
class Candidate:
    """A feasible solution: its decisions and its objective (recomputed from them)."""

    decisions: Decisions
    objective: float


def subset_pairs(pairs: PairArrays, keep: np.ndarray) -> PairArrays:
    """The pairs selected by a boolean mask (every field indexed alike)."""
    return PairArrays(**{f.name: getattr(pairs, f.name)[keep] for f in dataclasses.fields(pairs)})


def restricted_data(
    data: Classic,
    open_ub: np.ndarray,
    open_lb: np.ndarray | None = None,
    train_keep: np.ndarray | None = None,
) -> tuple[ModelData, np.ndarray, np.ndarray]:
    """The model's data with only the sites in ``open_ub`` allowed (``open_lb`` forced open).

    Returns the reduced data and the indices (into ``data``) of its serving and training pairs.
    """
    source = data.source
    sites = source.sites
    lb = sites.open_lb if open_lb is None else np.maximum(sites.open_lb, open_lb.astype(float))
    ub = np.minimum(sites.open_ub, open_ub.astype(float))
    s_keep = ub[source.serving.site] > 0
    t_keep = ub[source.training.site] > 0
    if train_keep is not None:
        t_keep &= train_keep
    reduced = dataclasses.replace(
        source,
        sites=dataclasses.replace(sites, open_lb=np.minimum(lb, ub), open_ub=ub),
        serving=subset_pairs(source.serving, s_keep),
        training=subset_pairs(source.training, t_keep),
    )
    return reduced, np.flatnonzero(s_keep), np.flatnonzero(t_keep)


def full_decisions(
    data: Classic, part: Decisions, serve_idx: np.ndarray, train_idx: np.ndarray
) -> Decisions:
    """Decisions of a restricted problem scattered back onto the full pair arrays."""
    serve = np.zeros(len(data.serving))
    serve[serve_idx] = part.serve
    train = np.zeros(len(data.training), dtype=bool)
    train[train_idx] = part.train
    return Decisions(
        open=part.open.copy(),
        liquid=part.liquid.copy(),
        train=train,
        serve=serve,
        unserved=part.unserved.copy(),
    )


def share_groups(data: Classic) -> np.ndarray | None:
    """Per serving pair, its row of the share cap (2c) Σ_{f at site i, h} x_fjh ≤ s̄ (−1 where
    the pair is alone in its (site, region) and its bound x ≤ s̄ is the row); None when
    s̄ ≥ 1 (the demand row implies it)."""
    if data.max_share >= 1.0 or not len(data.serving):
        return None
    sv = data.serving
    key = data.source.sites.site[sv.site] * max(data.n_regions, 1) + sv.other
    _, group, counts = np.unique(key, return_inverse=True, return_counts=True)
    shared = counts[group] > 1
    if not shared.any():
        return None
    _, row = np.unique(group[shared], return_inverse=True)
    out = np.full(len(sv), -1, dtype=np.int64)
    out[shared] = row
    return out


def _take(values: np.ndarray | None, index: np.ndarray) -> np.ndarray | None:
    """values[index], or None for None (an optional per-pair array on the LP's columns)."""
    return None if values is None else values[index]


def objective_of(data: Classic, decisions: Decisions) -> float:
    """The objective recomputed from decisions (the same arithmetic as the result's costs)."""
    return float(summarise(data.source, data.full_decisions(decisions)).costs.total)


class PrimalSolver:
    """Best solution within a given set of open sites, with caching and screening."""

    def __init__(self, data: Classic, *, seed: int = 0, core: int | None = highs.CORE_PAIRS):
        """``core``: pairs per region the inference LP holds at first, the others joining by
        pricing (None: every pair held; see :class:`highs.TransportLP`)."""
        self.data = data
        self.seed = seed
        self.core = core
        self._seen: dict[bytes, tuple[str, float]] = {}
        self.last_status = ""  # fast | optimal | feasible | infeasible | screened | seen | ...
        self.last_bound = -math.inf  # proven lower bound of the last restricted problem
        sv = data.serving
        budget = data.scenario.rules.capital_budget_usd_per_year
        self.fast_path = (
            data.n_clusters == 0
            and budget is None
            and data.scenario.rules.carbon_cap_tonnes_per_year is None
            and data.max_share >= 1.0
            and not bool(sv.needs_liquid.any())
        )
        self.lp_calls = 0
        self.lp_seconds = 0.0
        self.quick_calls = 0
        self.greedy_hits = 0
        self.lp_status = ""
        self._last: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self.greedy_applies = (
            data.scenario.rules.carbon_cap_tonnes_per_year is None
            and data.max_share >= 1.0
            and budget is None
        )
        other = data.serving.other
        if len(other) and np.any(np.diff(other) < 0):
            self.greedy_applies = False  # the segment reductions need pairs by region
        self._region_start = np.searchsorted(other, np.arange(data.n_regions))
        self._region_count = np.bincount(other, minlength=data.n_regions)
        self._lp: highs.TransportLP | None = None
        self._lp_pairs: np.ndarray | None = None  # serving pairs that are LP columns (None: all)
        self._serve_needs: np.ndarray | None = None
        self.fast_hits = 0
        self.screened = 0

    # ------------------------------------------------------------------ assignment bound
    def assignment(self, open_sites: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Cheapest-pair assignment at the open sites, capacities ignored.

        Returns (cost, pair chosen per region or −1, unserved flag per region); the cost
        includes the fixed costs of ``open_sites``. For models of the fast path it is a lower
        bound on the cost of Y, and the optimum when it respects every capacity.
        """
        data = self.data
        sv = data.serving
        ok = open_sites[sv.site]
        cost = np.where(ok, sv.cost, np.inf)
        best = np.full(data.n_regions, np.inf)
        np.minimum.at(best, sv.other, cost)
        choice = np.full(data.n_regions, -1, dtype=np.int64)
        hit = np.flatnonzero(ok & (cost <= best[sv.other]))
        choice[sv.other[hit]] = hit  # any of the tied cheapest pairs
        unserved = np.zeros(data.n_regions, dtype=bool)
        if data.unserved_cost is not None:
            unserved = data.unserved_cost < best
            best = np.minimum(best, data.unserved_cost)
            choice[unserved] = -1
        total = float(data.sites.fixed_cost[open_sites].sum() + best.sum())
        return total, choice, unserved

    def _fast(self, open_sites: np.ndarray) -> Candidate | None:
        data = self.data
        sv = data.serving
        total, choice, unserved = self.assignment(open_sites)
        if not math.isfinite(total):
            return None
        served = choice >= 0
        pairs = choice[served]
        n = data.n_sites
        power = np.bincount(sv.site[pairs], sv.facility_mw[pairs], minlength=n)
        racks = np.bincount(sv.site[pairs], sv.racks[pairs], minlength=n)
        cap_p = data.sites.power_mw * (1 + CAPACITY_TOLERANCE)
        cap_r = data.sites.racks * (1 + CAPACITY_TOLERANCE)
        if np.any(power > cap_p) or np.any(racks > cap_r):
            return None
        if not self._quotas_hold(pairs, 1.0, data.quota_rhs):
            return None
        serve = np.zeros(len(sv))
        serve[pairs] = 1.0
        used = np.zeros(n, dtype=bool)
        used[sv.site[pairs]] = True
        is_open = (used | (data.sites.open_lb > 0)) & open_sites
        decisions = Decisions(
            open=is_open,
            liquid=np.zeros(n, dtype=bool),
            train=np.zeros(len(data.training), dtype=bool),
            serve=serve,
            unserved=unserved.astype(float),
        )
        return Candidate(decisions, objective_of(data, decisions))

    def _quotas_hold(self, pairs: np.ndarray, share: float, left: np.ndarray) -> bool:
        """Whether serving ``pairs`` at ``share`` keeps every cloud quota row within ``left``
        (Σ units_p x_p ≤ Q_r minus what training uses)."""
        data = self.data
        if not data.quota_rhs.size:
            return True
        row = data.serve_quota[pairs]
        inside = row >= 0
        units = np.bincount(
            row[inside], data.serving.units[pairs[inside]] * share, minlength=data.quota_rhs.size
        )
        return bool(np.all(units <= left + CAPACITY_TOLERANCE * np.maximum(left, 1.0)))

    def fixed_capital(self, open_sites: np.ndarray, train: np.ndarray, liquid: np.ndarray) -> float:
        """Annualised capital spent before inference: open facilities, the cooling options
        installed (``liquid``, training's options) and the training pairs."""
        data = self.data
        source = data.source
        has = data.liquid_option >= 0
        options = data.liquid_option[has & liquid]
        options = np.union1d(options, data.training_installs(train)).astype(np.int64)
        return float(
            source.sites.fixed_capital[open_sites].sum()
            + source.cooling.fixed_capital[options].sum()
            + data.training.capital[train].sum()
        )

    def quota_left(self, train: np.ndarray) -> np.ndarray:
        """Q_r minus the units the chosen training pairs take from each cloud quota row."""
        data = self.data
        if not data.quota_rhs.size:
            return data.quota_rhs
        row = data.train_quota[train]
        units = data.training.units[train]
        inside = row >= 0
        used = np.bincount(row[inside], units[inside], minlength=data.quota_rhs.size)
        return data.quota_rhs - used

    # ------------------------------------------------------------------ warm LP path
    def restrict_sites(self, allowed: np.ndarray) -> None:
        """Keep only the pairs of ``allowed`` sites as columns of the inference LP (rebuilt on
        its next use). Exact for every set of open sites within ``allowed`` — the sets of a
        search whose other sites are fixed closed; a set beyond it is costed without the
        pairs of its other sites (a feasible solution all the same)."""
        pairs = np.flatnonzero(allowed[self.data.serving.site])
        if self._lp_pairs is not None and np.array_equal(pairs, self._lp_pairs):
            return
        self._lp_pairs = pairs
        self._lp = None

    def _transport(self) -> highs.TransportLP:
        if self._lp is None:
            data, sv = self.data, self.data.serving
            cols = np.arange(len(sv)) if self._lp_pairs is None else self._lp_pairs
            self._lp = highs.TransportLP(
                sv.site[cols],
                sv.other[cols],
                sv.cost[cols],
                sv.facility_mw[cols],
                sv.racks[cols],
                sv.carbon_t[cols],
                share_cap=data.max_share,
                n_regions=data.n_regions,
                n_sites=data.n_sites,
                unserved_cost=data.unserved_cost,
                carbon_cap=data.scenario.rules.carbon_cap_tonnes_per_year,
                seed=self.seed,
                share_group=_take(share_groups(data), cols),
                quota=(data.serve_quota[cols], sv.units[cols], data.quota_rhs)
                if data.quota_rhs.size
                else None,
                capital=_take(sv.capital, cols),
                capital_cap=data.scenario.rules.capital_budget_usd_per_year,
                core=self.core,
            )
        return self._lp

    def training_for(
        self, open_sites: np.ndarray, preferred: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """One training pair per cluster, largest clusters first: the preferred pair if it
        still fits, else the cheapest pair at an open site that fits the power and racks
        left, else the cheapest pair anywhere that fits (its site is then opened).

        Returns (training pairs chosen, open sites) or None if a cluster fits nowhere.
        """
        data = self.data
        tr = data.training
        open_sites = open_sites.copy()
        if not len(tr):
            return np.zeros(0, dtype=bool), open_sites
        power = data.sites.power_mw.copy()
        racks = data.sites.racks.copy()
        quota = data.quota_rhs.copy()
        quota_row = data.train_quota if data.quota_rhs.size else np.full(len(tr), -1)
        allowed = data.sites.open_ub > 0
        chosen = np.zeros(len(tr), dtype=bool)
        size = np.zeros(data.n_clusters)
        np.maximum.at(size, tr.other, tr.facility_mw)
        for k in np.argsort(-size, kind="stable"):
            pairs = np.flatnonzero((tr.other == k) & allowed[tr.site])
            fits = (tr.facility_mw[pairs] <= power[tr.site[pairs]] * (1 + 1e-12)) & (
                tr.racks[pairs] <= racks[tr.site[pairs]]
            )
            row = quota_row[pairs]
            left = quota[np.maximum(row, 0)] if quota.size else np.zeros(pairs.size)
            fits &= (row < 0) | (tr.units[pairs] <= left * (1 + 1e-12))
            pairs = pairs[fits]
            if not pairs.size:
                return None
            rank = tr.cost[pairs] + np.where(open_sites[tr.site[pairs]], 0.0, np.inf)
            if preferred is not None:
                rank = np.where(preferred[pairs] & open_sites[tr.site[pairs]], -np.inf, rank)
            if not np.isfinite(rank).any():
                rank = tr.cost[pairs] + data.sites.fixed_cost[tr.site[pairs]]
            q = int(pairs[np.argmin(rank)])
            chosen[q] = True
            open_sites[tr.site[q]] = True
            power[tr.site[q]] -= tr.facility_mw[q]
            racks[tr.site[q]] -= tr.racks[q]
            if quota_row[q] >= 0:
                quota[quota_row[q]] -= tr.units[q]
        return chosen, open_sites

    def lp_cost(
        self,
        open_sites: np.ndarray,
        train: np.ndarray,
        deadline: float | None = None,
        *,
        liquid: np.ndarray | None = None,
    ) -> float:
        """Cost of opening exactly ``open_sites`` with training ``train``: fixed, liquid and
        training costs plus the inference LP (inf when infeasible; ``lp_status`` then says
        whether that is proven: ``infeasible``, or ``unknown`` after a time-out).

        ``liquid`` (a leaf's fixed liquid decisions) installs exactly those options (and what
        training needs) and keeps inference that needs liquid away from sites without it: the
        cost of exactly that leaf. Without it, liquid goes wherever inference may need it."""
        self.lp_status = "infeasible"
        data = self.data
        installed = self._liquid(open_sites, train, liquid)
        serving_open = open_sites & (installed | ~self._serve_liquid)
        tr, st = data.training, data.sites
        n = data.n_sites
        power = st.power_mw - np.bincount(tr.site[train], tr.facility_mw[train], minlength=n)
        racks = st.racks - np.bincount(tr.site[train], tr.racks[train], minlength=n)
        if np.any(power[open_sites] < -1e-9 * st.power_mw[open_sites]) or np.any(
            racks[open_sites] < -1e-9
        ):
            return math.inf
        carbon = None
        cap = data.scenario.rules.carbon_cap_tonnes_per_year
        if cap is not None:
            carbon = cap - float(tr.carbon_t[train].sum())
            if carbon < 0:
                return math.inf
        limit = data.scenario.rules.max_training_sites
        if limit is not None and np.unique(tr.site[train]).size > limit:
            return math.inf
        limit = data.scenario.rules.max_sites
        if limit is not None and int(open_sites.sum()) > limit:
            return math.inf
        quota = self.quota_left(train)
        if np.any(quota < -CAPACITY_TOLERANCE * np.maximum(data.quota_rhs, 1.0)):
            return math.inf
        capital = None
        budget = data.scenario.rules.capital_budget_usd_per_year
        if budget is not None:
            capital = budget - self.fixed_capital(open_sites, train, installed)
            if capital < -CAPACITY_TOLERANCE * max(budget, 1.0):
                return math.inf
        value = math.inf
        if self.greedy_applies:
            value = self._greedy(serving_open, power, racks, quota)
        if not math.isfinite(value):
            lp = self._transport()
            value = lp.solve(
                serving_open,
                np.maximum(power, 0),
                np.maximum(racks, 0),
                carbon,
                deadline,
                quota_left=np.maximum(quota, 0),
                capital_left=None if capital is None else max(capital, 0.0),
            )
            self.lp_status = lp.last_status
            self._last = None
        return (
            value
            + float(st.fixed_cost[open_sites].sum() + st.liquid_cost[installed].sum())
            + float(tr.cost[train].sum())
            + data.training_install_cost(train)
        )

    def _greedy(
        self,
        open_sites: np.ndarray,
        power: np.ndarray,
        racks: np.ndarray,
        quota: np.ndarray | None = None,
    ) -> float:
        """Each region whole at its cheapest open pair (or unserved when cheaper); its cost
        if that fits every site's power and racks left — then it is the LP's optimum — else
        inf. Pairs are stored region by region, so the minima are segment reductions."""
        data, sv = self.data, self.data.serving
        masked = np.where(open_sites[sv.site], sv.cost, np.inf)
        best = np.full(data.n_regions, np.inf)
        has = self._region_count > 0
        if masked.size:
            best[has] = np.minimum.reduceat(masked, self._region_start[has])
        unserved = np.zeros(data.n_regions, dtype=bool)
        if data.unserved_cost is not None:
            unserved = data.unserved_cost < best
            best = np.where(unserved, data.unserved_cost, best)
        if not np.all(np.isfinite(best)):
            return math.inf
        hit = np.flatnonzero(masked <= best[sv.other])
        hit = hit[~unserved[sv.other[hit]]]
        region = sv.other[hit]  # ascending: pairs are stored region by region
        pairs = hit[np.r_[True, region[1:] != region[:-1]]] if hit.size else hit
        n = data.n_sites
        load = np.bincount(sv.site[pairs], sv.facility_mw[pairs], minlength=n)
        space = np.bincount(sv.site[pairs], sv.racks[pairs], minlength=n)
        tol = CAPACITY_TOLERANCE * np.maximum(data.sites.power_mw, 1.0)
        if np.any(load > power + tol) or np.any(space > racks + tol):
            return math.inf
        if quota is not None and not self._quotas_hold(pairs, 1.0, quota):
            return math.inf
        serve = np.zeros(len(sv))
        serve[pairs] = 1.0
        self._last = (serve, unserved.astype(float), best)
        self.lp_status = "optimal"
        self.greedy_hits += 1
        return float(best.sum())

    def prices(self) -> np.ndarray:
        """Marginal cost of each region at the last evaluation (LP duals or greedy costs)."""
        if self._last is not None:
            return self._last[2]
        return self._transport().demand_duals()

    @property
    def _serve_liquid(self) -> np.ndarray:
        """Sites whose inference needs the liquid option installed (computed once)."""
        if self._serve_needs is None:
            sv = self.data.serving
            self._serve_needs = np.zeros(self.data.n_sites, dtype=bool)
            self._serve_needs[sv.site[sv.needs_liquid]] = True
        return self._serve_needs

    def _liquid(
        self, open_sites: np.ndarray, train: np.ndarray, given: np.ndarray | None = None
    ) -> np.ndarray:
        """Liquid installed: where training needs it, and ``given`` (else wherever inference
        at an open site needs it)."""
        tr = self.data.training
        liquid = np.zeros(self.data.n_sites, dtype=bool)
        liquid[tr.site[train & tr.needs_liquid]] = True
        if given is not None:
            return liquid | (given & open_sites)
        return liquid | (self._serve_liquid & open_sites)

    def lp_candidate(
        self, open_sites: np.ndarray, train: np.ndarray, *, liquid: np.ndarray | None = None
    ) -> Candidate:
        """Decisions of the last :meth:`lp_cost` evaluation (unused sites closed)."""
        data = self.data
        if self._last is not None:
            serve, unserved = self._last[0].copy(), self._last[1].copy()
        else:
            values = self._transport().values()
            cols = np.arange(len(data.serving)) if self._lp_pairs is None else self._lp_pairs
            n_pairs = cols.size
            serve = np.zeros(len(data.serving))
            serve[cols] = np.clip(values[:n_pairs], 0.0, data.max_share)
            serve[serve < 1e-9] = 0.0
            unserved = np.zeros(data.n_regions)
            if data.unserved_cost is not None:
                unserved = np.clip(values[n_pairs : n_pairs + data.n_regions], 0.0, 1.0)
                unserved[unserved < 1e-9] = 0.0
        decisions = Decisions(
            open=open_sites.copy(),
            liquid=self._liquid(open_sites, train, liquid),
            train=train.copy(),
            serve=serve,
            unserved=unserved,
        )
        decisions = close_unused(data, decisions)
        return Candidate(decisions, objective_of(data, decisions))

    def quick(
        self,
        open_sites: np.ndarray,
        preferred_train: np.ndarray | None = None,
        *,
        deadline: float | None = None,
    ) -> Candidate | None:
        """A solution opening ``open_sites`` with a fixed training choice, by the warm LP."""
        open_sites = open_sites & (self.data.sites.open_ub > 0)
        placed = self.training_for(open_sites, preferred_train)
        if placed is None:
            return None
        train, open_sites = placed
        key = b"q" + open_sites.tobytes() + train.tobytes()
        if key in self._seen:
            return None
        cost = self.lp_cost(open_sites, train, deadline)
        self.quick_calls += 1
        self._seen[key] = ("quick", -math.inf)
        if not math.isfinite(cost):
            return None
        return self.lp_candidate(open_sites, train)

    # ------------------------------------------------------------------ main entry
    def solve(
        self,
        open_sites: np.ndarray,
        *,
        incumbent: float = math.inf,
        deadline: float | None = None,
        time_limit: float | None = None,
        force_open: bool = True,
        forced: np.ndarray | None = None,
        gap: float = 1e-9,
        start: Decisions | None = None,
    ) -> Candidate | None:
        """The best solution opening sites only in ``open_sites`` (None: none found or not
        better than ``incumbent`` for sure).

        ``force_open`` opens every site of the set (the rest is then a linear program unless
        liquid cooling or training is to be decided); otherwise only ``forced`` sites are
        opened and HiGHS chooses among the others (a small MILP: a restricted search).
        """
        open_sites = open_sites & (self.data.sites.open_ub > 0)
        if forced is None:
            forced = open_sites if force_open else np.zeros_like(open_sites)
        forced = forced & open_sites
        key = open_sites.tobytes() + forced.tobytes()
        if key in self._seen:
            self.last_status = "seen_" + self._seen[key][0]
            self.last_bound = self._seen[key][1]
            return None
        limit = self.data.scenario.rules.max_sites
        all_forced = bool(np.array_equal(forced, open_sites))
        if self.fast_path and all_forced and (limit is None or int(open_sites.sum()) <= limit):
            lower, _, _ = self.assignment(open_sites)
            if lower >= incumbent:
                self._remember(key, "screened", lower)
                self.screened += 1
                return None
            fast = self._fast(open_sites)
            if fast is not None:
                self._remember(key, "optimal", lower)
                self.fast_hits += 1
                return fast
        found = self._milp(open_sites, forced, deadline, time_limit, gap, start)
        self._remember(key, self.last_status, self.last_bound)
        return found

    def _remember(self, key: bytes, status: str, bound: float) -> None:
        self._seen[key] = (status, bound)
        self.last_status, self.last_bound = status, bound

    def _milp(
        self,
        open_sites: np.ndarray,
        forced: np.ndarray,
        deadline: float | None,
        time_limit: float | None,
        gap: float,
        start: Decisions | None,
    ) -> Candidate | None:
        data = self.data
        reduced, serve_idx, train_idx = restricted_data(data, open_sites, forced)
        built = build(reduced, "strong")
        start_values = (
            None
            if start is None
            else _start_vector(built, data, reduced, start, serve_idx, train_idx)
        )
        solution = highs.solve(
            built.model,
            time_limit=time_limit,
            deadline=deadline,
            gap=gap,
            seed=self.seed,
            start=start_values,
        )
        self.lp_calls += 1
        self.lp_seconds += solution.seconds
        self.last_status = solution.status
        self.last_bound = (
            solution.bound
            if solution.status == "optimal" and solution.bound is not None
            else -math.inf
        )
        if solution.status == "infeasible":
            self.last_bound = math.inf
        if solution.values is None:
            return None
        part = data.classic_decisions(read_decisions(built, reduced, solution.values))
        decisions = full_decisions(data, part, serve_idx, train_idx)
        decisions = close_unused(data, decisions)
        return Candidate(decisions, objective_of(data, decisions))


def _start_vector(
    built, data: Classic, reduced: ModelData, d: Decisions, serve_idx, train_idx
) -> np.ndarray:
    """A MIP start in the restricted model's columns from full decisions."""
    cols = built.columns
    x = np.zeros(built.model.num_vars)
    x[cols.open] = d.open.astype(float) * (reduced.sites.open_ub > 0)
    has = data.liquid_option >= 0
    column = cols.install[data.liquid_option[has]]
    x[column[column >= 0]] = d.liquid[has][column >= 0].astype(float)
    column = cols.install[data.training_installs(d.train)]
    x[column[column >= 0]] = 1.0
    x[cols.train] = d.train[train_idx].astype(float)
    x[cols.serve] = d.serve[serve_idx]
    if cols.unserved is not None:
        x[cols.unserved] = d.unserved
    if cols.training_site is not None:
        tsite = np.zeros(reduced.n_sites)
        tsite[reduced.training.site[x[cols.train] > 0.5]] = 1.0
        x[cols.training_site] = tsite
    return x


def close_unused(data: Classic, d: Decisions) -> Decisions:
    """Close open sites that carry no load (unless they must stay open)."""
    used = np.zeros(data.n_sites, dtype=bool)
    used[data.serving.site[d.serve > 0]] = True
    used[data.training.site[d.train]] = True
    keep = d.open & (used | (data.sites.open_lb > 0))
    if np.array_equal(keep, d.open):
        return d
    liquid = d.liquid & keep
    # liquid cooling is only needed where something that needs it sits
    needs = np.zeros(data.n_sites, dtype=bool)
    needs[data.serving.site[(d.serve > 0) & data.serving.needs_liquid]] = True
    needs[data.training.site[d.train & data.training.needs_liquid]] = True
    liquid &= needs
    return dataclasses.replace(d, open=keep, liquid=liquid)


class LocalSearch:
    """Add / drop / swap moves on the open set, each evaluated exactly by the warm LP.

    The cost of a set Y (training fixed) is :meth:`PrimalSolver.lp_cost`. Moves are ranked
    by the Lagrangian open values O_i at the LP's demand duals — the estimated gain of
    opening a site (O_i < 0) or closing one (O_i > 0) at current prices — and the best of
    the ``width`` best-ranked drops and adds and 2·``width`` swaps is taken while it
    improves; when none of them does, further swaps (in estimate order) are tried first.
    """

    def __init__(self, primal: PrimalSolver, candidates: np.ndarray):
        self.primal = primal
        self.candidates = candidates
        self.must = primal.data.sites.open_lb > 0
        self.need = capacity_need(primal.data)
        # a cloud facility without a quota has P = ∞: as good as the whole need
        self.power = np.minimum(primal.data.sites.power_mw, 2.0 * max(self.need, 1.0))
        self.moves = 0
        self.evaluations = 0

    def _moves(
        self, y: np.ndarray, keep: np.ndarray, value: np.ndarray, width: int
    ) -> list[tuple[int, int]]:
        """Drops, adds and swaps worth an exact evaluation, best estimate first.

        A drop of i is estimated to change the cost by −O_i, an add of j by O_j, a swap by
        O_j − O_i; moves that would leave less open power than the aggregate need are
        skipped (they cannot be feasible).
        """
        slack = float(self.power[y].sum()) - self.need
        out = np.flatnonzero(y & ~self.must & ~keep)
        out = out[np.argsort(-value[out], kind="stable")][:50]
        into = np.flatnonzero(~y & self.candidates & np.isfinite(value))
        into = into[np.argsort(value[into], kind="stable")][:50]
        drops = out[self.power[out] <= slack][:width]
        adds = into[:width]
        gain = value[into][None, :] - value[out][:, None]
        fits = (self.power[into][None, :] - self.power[out][:, None]) >= -slack
        gain = np.where(fits, gain, np.inf)
        flat = np.argsort(gain, axis=None, kind="stable")[: width * SWAP_DEPTH]
        flat = flat[np.isfinite(gain.ravel()[flat])]
        swaps = [(int(out[k // into.size]), int(into[k % into.size])) for k in flat]
        singles = [(int(i), -1, -value[i]) for i in drops] + [(-1, int(j), value[j]) for j in adds]
        singles.sort(key=lambda m: m[2])
        moves = [(a, b) for a, b, _ in singles]
        return moves[:width] + swaps[: 2 * width] + moves[width:] + swaps[2 * width :]

    def improve(
        self,
        open_sites: np.ndarray,
        train: np.ndarray,
        prices_to_values,
        *,
        deadline: float | None,
        max_evaluations: int = 300,
        width: int = 8,
    ) -> tuple[np.ndarray, float]:
        """Best-improvement descent from ``open_sites``; returns (best set, its cost)."""
        import time

        primal = self.primal
        y = open_sites & self.candidates | self.must
        best = primal.lp_cost(y, train, deadline)
        evaluations = 1
        improved = math.isfinite(best)
        while improved and evaluations < max_evaluations:
            if (deadline is not None and time.perf_counter() > deadline) or stop_requested():
                break
            improved = False
            value = prices_to_values(primal.prices())
            value = np.where(np.isfinite(value), value, np.inf)
            keep = np.zeros_like(y)
            keep[primal.data.training.site[train]] = True
            moves = self._moves(y, keep, value, width)
            chosen, chosen_cost = None, best
            for position, (out, into) in enumerate(moves):
                if chosen is not None and position >= 3 * width:
                    break  # an improving move in the first batch: take the best of it
                trial = y.copy()
                if out >= 0:
                    trial[out] = False
                if into >= 0:
                    trial[into] = True
                cost = primal.lp_cost(trial, train, deadline)
                evaluations += 1
                if cost < chosen_cost - 1e-9 * max(abs(best), 1.0):
                    chosen, chosen_cost = trial, cost
                if evaluations >= max_evaluations or (
                    deadline is not None and time.perf_counter() > deadline
                ):
                    break
            if chosen is not None:
                y, best, improved = chosen, chosen_cost, True
                self.moves += 1
                primal.lp_cost(y, train, deadline)  # back at the accepted set for its duals
        self.evaluations += evaluations
        return y, best
