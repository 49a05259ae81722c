"""The Lagrangian relaxation of the strong placement MILP, evaluated exactly with numpy.

Notation as in :mod:`placement.formulations.strong`: "sites" i are *facilities* (a site in
one financing mode: build, lease or cloud), regions j, clusters k; serving pairs
p = (i, j, h) (h the inference hardware) with share x_p ∈ [0, s̄], use F_p of the facility's
capacity row per unit share (build: facility MW, lease: IT MW, cloud: the units of the
instance type under the facility's quota, see :mod:`placement.decomposition.classic`) and
cost c_p; training pairs q = (i, k, o) (o one of the cluster's ways to be built) with
t_q ∈ {0,1}, use F_q, racks R_q, cost c_q.

Dualised rows (multipliers in one flat vector ``lam``):

* demand       Σ_{i,h} x_ijh + z_j = 1                  u_j free
* training     Σ_{i,o} t_iko = 1                        v_k free
* carbon cap   Σ_p e_p x_p / C + Σ_q e_q t_q / C ≤ 1     μ ≥ 0  (row scaled by the cap C)
* training sites  Σ_i τ_i ≤ T                          η ≥ 0
* capital budget  (Σ_i K_i y_i + Σ_s K_s w_s + Σ_p k_p x_p + Σ_q k_q t_q) / B ≤ 1   β ≥ 0
  (annualised capital of open facilities, installed cooling options and pairs; its price
  β/B adds to f_i, g_i, G_s and the pairs' reduced costs)

Dropped rows (each dropped row only enlarges the feasible set, so L stays a lower bound; every
solution the heuristics return holds them): the share cap of a site's facilities together,
Σ_{i at site, h} x_ijh ≤ s̄ (each pair keeps x_p ≤ s̄), and a cloud facility's quotas beyond
the one that is its capacity row.

Everything else is kept, so the relaxation separates into one problem per facility plus a
small selection problem over the facilities. With reduced costs c̄_p = c_p + μ e_p / C − u_j
and c̄_q = c_q + μ e_q / C − v_k, the value of *opening* facility i is

    O_i = f_i + min( A_i , B_i + η )
    A_i = min over liquid l ∈ {0,1}:  g_i·l + K_i(cap0_i)             (no training at i)
    B_i = min over non-empty training sets S and l: g_i·l + Σ_{q∈S} c̄_q + G_i(S)
          + K_i(cap_i(S))

where K_i(cap) = min { Σ_p c̄_p x_p : Σ_p F_p x_p ≤ cap, 0 ≤ x_p ≤ s̄ } is a continuous
knapsack (greedy by ratio c̄_p / F_p, exact), cap_i(S) = min(P_i − F_S, (R_i − R_S)/ρ_i) the
capacity left for inference with ρ_i = min_p R_p / F_p over the facility's inference pairs
(Σ R_p x_p ≤ R' implies ρ_i Σ F_p x_p ≤ R', so power and racks collapse into one capacity
validly, and exactly when one hardware type in one cooling option serves there), liquid
(the facility's one cooling option with a fixed cost g_i) is needed by the pairs that need it,
G_i(S) = Σ G_s over the cooling options with a fixed cost that the pairs of S need at a
facility offering several (each paid once), and only sets S of pairs with c̄_q < 0 can be
optimal. They are enumerated (at most ``MAX_ENUMERATED`` per facility); beyond that a
facility's B_i is replaced by a lower bound (of each cluster its best candidate taken, their
capacity use and their options' G_s ignored) and the bound stays valid. A set S holds at
most one pair of each cluster (Σ_{q of k at i} t_q ≤ 1, implied by the assignment row and
kept in the subproblem: a cluster's ways to be built and cooling options at one facility are
alternatives).

The site selection minimises Σ_i O_i y_i over y ∈ {0,1} with the node's fixings, at most
``max_sites`` open (by sorting), and — when demand is hard and there is no site limit —
Beasley's aggregate capacity row Σ_i min(P_i, D) y_i ≥ D, where D = Σ_j min_p F_p +
Σ_k min_q F_q is the capacity any solution needs (Σ_i P_i y_i ≥ Σ_p F_p x_p ≥ D, whatever
each facility's unit; min(P_i, D) keeps the 0-1 row as it is and a cloud facility's P_i = ∞
out of the arithmetic). That row makes the selection a covering 0-1 knapsack; it is solved by
dynamic programming on weights rounded *up* to a grid, a relaxation of it, so the value stays
a lower bound. The Lagrangian value is

    L(lam) = Σ_j u_j + Σ_k v_k − μ − η T − β + Σ_j min(0, U_j − u_j) + Σ_i O_i y_i

(U_j the unserved penalty when demand is soft), a valid lower bound on the optimum of every
solution that respects the node's fixings, for any multipliers. It is reported minus a
floating-point margin (:attr:`SubSolution.margin`).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from placement.decomposition.classic import Classic, capacity_need

MAX_ENUMERATED = 8  # training candidates per site enumerated exactly (2^8 subsets)
CORE_MIN_PAIRS = 300_000  # inference pairs from which the evaluator works on a core
CORE_SLACK = 0.3  # core: pairs with c_p ≤ u_j + 30 % |u_j|
KNAPSACK_UNITS = 2000  # grid of the aggregate-capacity knapsack
RELATIVE_MARGIN = 1e-9  # floating-point safety margin on every bound, relative to its terms
FEASIBILITY_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Relaxation:
    """The static arrays of the relaxation, taken from :class:`Classic` once."""

    n_sites: int
    n_regions: int
    n_clusters: int
    fixed: np.ndarray
    liquid_cost: np.ndarray
    power: np.ndarray
    racks: np.ndarray  # inf = no limit
    serve_racks_per_mw: np.ndarray  # ρ_i (0 where inference uses no racks or no pairs)
    liquid_allowed: np.ndarray
    serve_needs_liquid: np.ndarray  # per site
    open_lb: np.ndarray  # bool
    open_ub: np.ndarray  # bool
    s_pair: np.ndarray  # index into Classic.serving (pairs are kept sorted by site)
    s_site: np.ndarray
    s_site16: np.ndarray  # the same, as a small integer type for fast stable sorting
    s_region: np.ndarray
    s_weight: np.ndarray  # F_p · s̄ (facility MW of the whole allowed share)
    s_inv_weight: np.ndarray  # 1 / s_weight (inf for weightless pairs)
    s_cost: np.ndarray  # c_p per unit share
    s_carbon: np.ndarray  # tonnes per unit share
    share_cap: float  # s̄
    t_site: np.ndarray
    t_cluster: np.ndarray
    t_power: np.ndarray
    t_racks: np.ndarray
    t_cost: np.ndarray
    t_carbon: np.ndarray
    t_needs_liquid: np.ndarray
    unserved_cost: np.ndarray | None
    max_sites: int | None
    max_training_sites: int | None
    carbon_cap: float | None
    demand_floor: float  # D of the aggregate capacity row (0: not used)
    max_objective: float  # no feasible solution costs more (a bound above means infeasible)
    # facilities with several cooling options with a fixed cost: per training pair the bit
    # of the option it needs (−1: none), per facility and bit that option's fixed cost G_s
    t_install_bit: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    install_cost: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    # the capital budget Σ capital ≤ B (None: none), dualised like the carbon cap: annualised
    # capital per unit share / per training pair / per open facility / per installed option
    budget: float | None = None
    s_capital: np.ndarray = field(default_factory=lambda: np.empty(0))
    t_capital: np.ndarray = field(default_factory=lambda: np.empty(0))
    fixed_capital: np.ndarray = field(default_factory=lambda: np.empty(0))
    liquid_capital: np.ndarray = field(default_factory=lambda: np.empty(0))
    install_capital: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))

    # ------------------------------------------------------------------ layout of lam
    @property
    def n_multipliers(self) -> int:
        return (
            self.n_regions
            + self.n_clusters
            + self.has_carbon
            + self.has_training_limit
            + self.has_budget
        )

    @property
    def has_budget(self) -> int:
        return int(self.budget is not None)

    def budget_multiplier(self, lam: np.ndarray) -> float:
        """β, the capital budget's multiplier (the last entry of ``lam``; 0 without one)."""
        return float(lam[-1]) if self.has_budget else 0.0

    @property
    def has_carbon(self) -> int:
        return int(self.carbon_cap is not None)

    @property
    def has_training_limit(self) -> int:
        return int(self.max_training_sites is not None)

    @property
    def nonnegative(self) -> np.ndarray:
        """Which multipliers are projected on ≥ 0 (the inequality rows)."""
        mask = np.zeros(self.n_multipliers, dtype=bool)
        mask[self.n_regions + self.n_clusters :] = True
        return mask

    def split(self, lam: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float]:
        """(u, v, μ, η) views of a flat multiplier vector."""
        r, k = self.n_regions, self.n_clusters
        u = lam[:r]
        v = lam[r : r + k]
        pos = r + k
        mu = float(lam[pos]) if self.has_carbon else 0.0
        pos += self.has_carbon
        eta = float(lam[pos]) if self.has_training_limit else 0.0
        return u, v, mu, eta


def build_relaxation(data: Classic, *, knapsack: bool = True) -> Relaxation:
    """Collect the arrays of the relaxation (``knapsack``: use the aggregate capacity row)."""
    sv, tr, st = data.serving, data.training, data.sites
    n = data.n_sites
    share_cap = float(data.max_share)
    # ρ_i = min_p R_p / F_p over the site's inference pairs: Σ R_p x_p ≤ R' implies
    # ρ_i Σ F_p x_p ≤ R', so the racks row bounds the knapsack's capacity validly (exactly
    # when every pair has the same ratio: one hardware type in one cooling option)
    ratio = np.full(n, np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_pair = np.where(sv.facility_mw > 0, sv.racks / sv.facility_mw, 0.0)
    np.minimum.at(ratio, sv.site, per_pair)
    ratio[~np.isfinite(ratio)] = 0.0
    needs = np.zeros(n, dtype=bool)
    needs[sv.site[sv.needs_liquid]] = True
    rules = data.scenario.rules
    floor = 0.0
    if knapsack and rules.max_sites is None:
        floor = capacity_need(data) * (1.0 - 1e-9)  # keep the row a relaxation under rounding
    order = np.argsort(sv.site, kind="stable")
    small = np.int16 if n < 2**15 else np.int32
    # every feasible solution costs at most: all fixed and liquid costs, each region at its
    # dearest pair or unserved, each cluster at its dearest pair
    dearest = np.zeros(data.n_regions)
    np.maximum.at(dearest, sv.other, np.maximum(sv.cost, 0.0))
    if data.unserved_cost is not None:
        dearest = np.maximum(dearest, data.unserved_cost)
    ceiling = float(np.maximum(st.fixed_cost, 0).sum() + np.maximum(st.liquid_cost, 0).sum())
    ceiling += float(dearest.sum())
    if data.n_clusters:
        train_max = np.zeros(data.n_clusters)
        np.maximum.at(train_max, tr.other, np.maximum(tr.cost, 0.0))
        ceiling += float(train_max.sum())
    bit, install_cost = _install_bits(data)
    ceiling += float(np.maximum(install_cost, 0.0).sum())
    _, install_capital = _install_bits(data, data.source.cooling.fixed_capital)
    cool = data.source.cooling
    liquid_capital = np.where(
        data.liquid_option >= 0, cool.fixed_capital[np.maximum(data.liquid_option, 0)], 0.0
    )
    return Relaxation(
        n_sites=n,
        n_regions=data.n_regions,
        n_clusters=data.n_clusters,
        fixed=st.fixed_cost.astype(float),
        liquid_cost=st.liquid_cost.astype(float),
        power=st.power_mw.astype(float),
        racks=st.racks.astype(float),
        serve_racks_per_mw=ratio,
        liquid_allowed=st.liquid_allowed.astype(bool),
        serve_needs_liquid=needs,
        open_lb=st.open_lb > 0.5,
        open_ub=st.open_ub > 0.5,
        s_pair=order,
        s_site=sv.site[order].astype(np.int64),
        s_site16=sv.site[order].astype(small),
        s_region=sv.other[order].astype(np.int64),
        s_weight=sv.facility_mw[order] * share_cap,
        s_inv_weight=_inverse(sv.facility_mw[order] * share_cap),
        s_cost=sv.cost[order].astype(float),
        s_carbon=sv.carbon_t[order].astype(float),
        share_cap=share_cap,
        t_site=tr.site.astype(np.int64),
        t_cluster=tr.other.astype(np.int64),
        t_power=tr.facility_mw.astype(float),
        t_racks=tr.racks.astype(float),
        t_cost=tr.cost.astype(float),
        t_carbon=tr.carbon_t.astype(float),
        t_needs_liquid=tr.needs_liquid.astype(bool),
        unserved_cost=None if data.unserved_cost is None else data.unserved_cost.astype(float),
        max_sites=rules.max_sites,
        max_training_sites=rules.max_training_sites,
        carbon_cap=rules.carbon_cap_tonnes_per_year,
        demand_floor=floor,
        max_objective=ceiling * (1 + 1e-9) + 1.0,
        t_install_bit=bit,
        install_cost=install_cost,
        budget=rules.capital_budget_usd_per_year,
        s_capital=sv.capital[order].astype(float),
        t_capital=tr.capital.astype(float),
        fixed_capital=data.source.sites.fixed_capital.astype(float),
        liquid_capital=liquid_capital.astype(float),
        install_capital=install_capital,
    )


def _install_bits(data: Classic, values: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per training pair the local bit b of the cooling option it needs installed at a
    facility with several (−1: none), and the (facility, bit) table of their fixed costs (or
    of ``values`` per cooling option)."""
    need = data.train_install
    n = data.n_sites
    if not need.size or not np.any(need >= 0):
        return np.full(len(data.training), -1, dtype=np.int64), np.zeros((n, 0))
    options = np.unique(need[need >= 0])
    facility = data.source.cooling.facility[options]
    # options are numbered facility by facility: the bit is the rank within the facility
    first = np.searchsorted(facility, facility, side="left")
    rank = np.arange(options.size) - first
    table = np.zeros((n, int(rank.max()) + 1))
    per_option = data.source.cooling.fixed if values is None else values
    table[facility, rank] = per_option[options]
    bit = np.full(need.size, -1, dtype=np.int64)
    has = need >= 0
    bit[has] = rank[np.searchsorted(options, need[has])]
    return bit, table


def restrict_serving(rel: Relaxation, keep: np.ndarray) -> Relaxation:
    """The relaxation with only the inference pairs selected by ``keep`` (order kept)."""
    fields = ("s_pair", "s_site", "s_site16", "s_region", "s_weight", "s_inv_weight")
    fields += ("s_cost", "s_carbon", "s_capital")
    return dataclasses.replace(rel, **{name: getattr(rel, name)[keep] for name in fields})


@dataclass
class Fixings:
    """Bounds of a branch-and-bound node on the binary decisions (True = allowed/forced)."""

    open_lo: np.ndarray
    open_hi: np.ndarray
    liquid_lo: np.ndarray
    liquid_hi: np.ndarray
    train_lo: np.ndarray
    train_hi: np.ndarray

    @classmethod
    def root(cls, rel: Relaxation) -> Fixings:
        n, m = rel.n_sites, rel.t_site.size
        return cls(
            open_lo=rel.open_lb.copy(),
            open_hi=rel.open_ub.copy(),
            liquid_lo=np.zeros(n, dtype=bool),
            liquid_hi=rel.liquid_allowed & rel.open_ub,
            train_lo=np.zeros(m, dtype=bool),
            train_hi=rel.open_ub[rel.t_site].copy(),
        )

    def copy(self) -> Fixings:
        return Fixings(*(a.copy() for a in self.arrays()))

    def arrays(self) -> tuple[np.ndarray, ...]:
        return (
            self.open_lo,
            self.open_hi,
            self.liquid_lo,
            self.liquid_hi,
            self.train_lo,
            self.train_hi,
        )

    def propagate(self, rel: Relaxation) -> bool:
        """Make the bounds consistent; False when they admit no solution.

        A forced training pair forces its site open (and its liquid when it needs it) and
        forbids the cluster elsewhere; forced liquid forces the site open; a closed site
        closes its liquid and training pairs.
        """
        forced = np.flatnonzero(self.train_lo)
        if forced.size:
            clusters = rel.t_cluster[forced]
            if np.unique(clusters).size < clusters.size:
                return False
            self.open_lo[rel.t_site[forced]] = True
            liquid = forced[rel.t_needs_liquid[forced]]
            self.liquid_lo[rel.t_site[liquid]] = True
            placed = np.zeros(rel.n_clusters, dtype=bool)
            placed[clusters] = True
            self.train_hi &= ~placed[rel.t_cluster] | self.train_lo
        self.open_lo |= self.liquid_lo
        self.liquid_hi &= self.open_hi
        self.train_hi &= self.open_hi[rel.t_site]
        self.train_hi &= self.liquid_hi[rel.t_site] | ~rel.t_needs_liquid
        if np.any(self.open_lo & ~self.open_hi) or np.any(self.liquid_lo & ~self.liquid_hi):
            return False
        if np.any(self.train_lo & ~self.train_hi):
            return False
        if rel.n_clusters:
            allowed = np.zeros(rel.n_clusters, dtype=bool)
            allowed[rel.t_cluster[self.train_hi]] = True
            if not allowed.all():
                return False
        return not (rel.max_sites is not None and int(self.open_lo.sum()) > rel.max_sites)

    def free_sites(self) -> np.ndarray:
        return self.open_hi & ~self.open_lo


@dataclass
class SubSolution:
    """An optimal solution of the relaxation at given multipliers and fixings."""

    value: float  # L(lam); +inf when the node admits no solution of the relaxation
    margin: float  # floating-point safety margin: value − margin is a proven bound
    constant: float  # the part of L that does not depend on the site selection
    open_value: np.ndarray  # O_i (inf where the site cannot open)
    selection_value: float  # Σ_i O_i y_i as solved (the knapsack's relaxed value)
    knapsack_bound: bool  # whether the aggregate-capacity row changed the selection
    unconstrained_value: float  # Σ over forced O_i + Σ over free min(O_i, 0)
    open: np.ndarray  # bool per site
    liquid: np.ndarray  # bool per site
    train: np.ndarray  # bool per training pair
    serve_index: np.ndarray  # serving pairs with x_p > 0
    serve_share: np.ndarray  # their shares
    unserved: np.ndarray  # z_j ∈ {0,1}
    subgradient: np.ndarray  # of L at lam (ascent direction of the dual)
    relaxed_sites: int = 0  # sites whose training options were bounded, not enumerated
    stats: dict[str, float] = field(default_factory=dict)

    @property
    def bound(self) -> float:
        """The proven lower bound (value minus the floating-point margin)."""
        return self.value - self.margin


class Evaluator:
    """Evaluates L(lam) and its subproblem solution for one :class:`Relaxation`.

    On large models it works on a *core* of the inference pairs: per region j the pairs
    with c_p ≤ u_j + 30 % (at the multipliers first seen), and m_j, the cheapest cost of a
    pair of j left out. Every left-out pair has c̄_p ≥ c_p − u_j ≥ m_j − u_j (μ e_p ≥ 0), so
    while u_j ≤ m_j for every region none of them can enter any knapsack and the value on
    the core is exactly L(lam); regions where u_j > m_j get their pairs added first.
    """

    def __init__(self, rel: Relaxation, *, core: bool | None = None):
        self.full = rel
        self.use_core = rel.s_site.size >= CORE_MIN_PAIRS if core is None else core
        self._site_index = np.arange(rel.n_sites)
        self._theta: np.ndarray | None = None
        # the carbon row scaled by its cap, Σ e/C · x ≤ 1 (a zero cap stays Σ e · x ≤ 0)
        self._carbon_scale = rel.carbon_cap if rel.carbon_cap else 1.0
        self._carbon_rhs = 1.0 if rel.carbon_cap else 0.0
        self._t_carbon = rel.t_carbon / self._carbon_scale
        # the capital budget scaled the same way, Σ capital/B ≤ 1 (a zero budget: Σ ≤ 0)
        self._budget_scale = rel.budget if rel.budget else 1.0
        self._budget_rhs = 1.0 if rel.budget else 0.0
        self._t_capital = rel.t_capital / self._budget_scale
        self._core_keep: np.ndarray | None = None
        self._core_floor: np.ndarray | None = None
        self.core_builds = 0
        self.knapsack_units = KNAPSACK_UNITS
        self.allowed: np.ndarray | None = None  # sites that keep their pairs (None: all)
        self._use(rel)

    def restrict_sites(self, allowed: np.ndarray) -> None:
        """Drop the inference pairs of every site outside ``allowed`` for good.

        For a search whose remaining nodes all keep those sites closed (fixed at the root),
        this is exact: a closed site's pairs never enter a knapsack. Afterwards
        :meth:`evaluate` treats a site outside ``allowed`` as closed and refuses fixings that
        force one open (the value would no longer bound such a node).
        """
        allowed = np.asarray(allowed, dtype=bool) & (True if self.allowed is None else self.allowed)
        keep = allowed[self.full.s_site]
        self.allowed = allowed.copy()
        if keep.all():
            return
        self.full = restrict_serving(self.full, keep)
        if self._core_keep is not None:
            core = self._core_keep[keep]
            floor = np.full(self.full.n_regions, np.inf)
            np.minimum.at(floor, self.full.s_region[~core], self.full.s_cost[~core])
            self._core_keep, self._core_floor = core, floor
            self._use(restrict_serving(self.full, core))
        else:
            self._use(self.full)

    def _use(self, rel: Relaxation) -> None:
        self.rel = rel
        self._s_carbon = rel.s_carbon / self._carbon_scale
        self._s_capital = rel.s_capital / self._budget_scale

    def _ensure_core(self, u: np.ndarray) -> None:
        """Make the core exact at demand multipliers u (grow it where needed)."""
        full = self.full
        if self._core_floor is not None and not np.any(u > self._core_floor):
            return
        u_pair = u[full.s_region]
        wanted = full.s_cost <= u_pair + CORE_SLACK * np.abs(u_pair)
        if self._core_keep is None:
            keep = wanted
        else:
            grow = (u > self._core_floor)[full.s_region]
            keep = self._core_keep | (grow & wanted)
        floor = np.full(full.n_regions, np.inf)
        np.minimum.at(floor, full.s_region[~keep], full.s_cost[~keep])
        self._core_keep, self._core_floor = keep, floor
        self._use(restrict_serving(full, keep))
        self.core_builds += 1

    # ------------------------------------------------------------------ main entry
    def evaluate(self, lam: np.ndarray, fix: Fixings) -> SubSolution:
        if self.allowed is not None and np.any(fix.open_hi & ~self.allowed):
            if np.any(fix.open_lo & ~self.allowed):
                raise ValueError("a site forced open had its pairs dropped (restrict_sites)")
            fix = dataclasses.replace(fix, open_hi=fix.open_hi & self.allowed)
        if self.use_core:
            self._ensure_core(lam[: self.full.n_regions])
        rel = self.rel
        u, v, mu, eta = rel.split(lam)
        beta = rel.budget_multiplier(lam)
        # ---- reduced costs
        s_red = rel.s_cost - u[rel.s_region]
        if mu:
            s_red = s_red + mu * self._s_carbon
        t_red = rel.t_cost - v[rel.t_cluster] if rel.t_site.size else np.empty(0)
        if mu and rel.t_site.size:
            t_red = t_red + mu * self._t_carbon
        if beta:  # the budget's price on capital: pairs, facilities and cooling options
            s_red = s_red + beta * self._s_capital
            if rel.t_site.size:
                t_red = t_red + beta * self._t_capital
            scale = beta / self._budget_scale
            rel = dataclasses.replace(
                rel,
                fixed=rel.fixed + scale * rel.fixed_capital,
                liquid_cost=rel.liquid_cost + scale * rel.liquid_capital,
                install_cost=rel.install_cost + scale * rel.install_capital,
            )

        # ---- continuous knapsacks of inference, sorted candidates
        serve_ok = fix.open_hi & (~rel.serve_needs_liquid | fix.liquid_hi)
        cap0 = _capacity(rel, self._site_index, np.zeros(rel.n_sites), np.zeros(rel.n_sites))
        with_training = np.zeros(rel.n_sites, dtype=bool)
        if rel.t_site.size:
            with_training[rel.t_site[fix.train_lo | (fix.train_hi & (t_red < 0))]] = True
        knap = _Knapsacks(rel, s_red, serve_ok, cap0, with_training, self._theta)
        self._theta = knap.theta

        # ---- configurations without training (A_i)
        k0 = knap.value(self._site_index, cap0)
        a_value, a_liquid = _liquid_choice(
            rel,
            fix,
            self._site_index,
            np.zeros(rel.n_sites),
            np.zeros(rel.n_sites, dtype=bool),
            k0,
        )
        has_forced_training = np.zeros(rel.n_sites, dtype=bool)
        has_forced_training[rel.t_site[fix.train_lo]] = True
        a_value = np.where(has_forced_training, np.inf, a_value)

        # ---- configurations with training (B_i)
        configs = _training_configs(rel, fix, t_red, knap)
        b_value = configs.best_value
        with np.errstate(invalid="ignore"):
            use_b = (b_value + eta) < a_value
        open_value = rel.fixed + np.where(use_b, b_value + eta, a_value)
        open_value = np.where(fix.open_hi, open_value, np.inf)

        # ---- site selection
        constant = (
            float(u.sum() + v.sum())
            - mu * self._carbon_rhs
            - eta * (rel.max_training_sites or 0)
            - beta * self._budget_rhs
        )
        unserved = np.zeros(rel.n_regions)
        if rel.unserved_cost is not None:
            gain = rel.unserved_cost - u
            unserved = (gain < 0).astype(float)
            constant += float(np.minimum(gain, 0.0).sum())
        selected, selection_value, unconstrained, ok = _select_sites(
            rel, fix, open_value, self.knapsack_units
        )
        if not ok:
            return _infeasible(rel, constant)

        # ---- the subproblem's solution at the selected sites
        liquid = selected & np.where(use_b, configs.best_liquid, a_liquid)
        serve_cap = np.where(use_b, configs.best_cap, cap0)
        serves = selected & (~rel.serve_needs_liquid | liquid)
        serve_cap = np.where(serves, serve_cap, -1.0)
        serve_index, serve_share = knap.fill(serve_cap)
        train = np.zeros(rel.t_site.size, dtype=bool)
        chosen = configs.chosen_pairs(selected & use_b)
        train[chosen] = True
        tsite = selected & use_b

        value = constant + selection_value
        margin = RELATIVE_MARGIN * (
            float(np.abs(u).sum() + np.abs(v).sum())
            + abs(mu)
            + abs(beta)
            + abs(eta) * (rel.max_training_sites or 0)
            + float(np.abs(open_value[selected]).sum())
            + float(rel.fixed[selected].sum() + rel.liquid_cost[selected].sum())
            + (0.0 if rel.unserved_cost is None else float(np.abs(rel.unserved_cost).sum()))
            + float(np.abs(knap.total_negative))
            + 1.0
        )

        # ---- subgradient
        coverage = _sum_by(rel.s_region[serve_index], serve_share, rel.n_regions)
        g_u = 1.0 - coverage - unserved
        parts = [g_u]
        if rel.n_clusters:
            placed = np.bincount(rel.t_cluster[train], minlength=rel.n_clusters)
            parts.append(1.0 - placed)
        if rel.has_carbon:
            emitted = float(self._s_carbon[serve_index] @ serve_share)
            emitted += float(self._t_carbon[train].sum())
            parts.append(np.array([emitted - self._carbon_rhs]))
        if rel.has_training_limit:
            parts.append(np.array([float(tsite.sum()) - rel.max_training_sites]))
        if rel.has_budget:
            spent = float(self._s_capital[serve_index] @ serve_share)
            spent += float(self._t_capital[train].sum())
            fixed = rel.fixed_capital[selected].sum() + rel.liquid_capital[liquid].sum()
            if rel.install_capital.shape[1]:
                own = np.flatnonzero(train & (rel.t_install_bit >= 0))
                used = np.unique(
                    rel.t_site[own] * rel.install_capital.shape[1] + rel.t_install_bit[own]
                )
                fixed += rel.install_capital.ravel()[used].sum()
            parts.append(np.array([spent + float(fixed) / self._budget_scale - self._budget_rhs]))
        subgradient = np.concatenate(parts)
        return SubSolution(
            value=value,
            margin=margin,
            constant=constant,
            open_value=open_value,
            selection_value=selection_value,
            knapsack_bound=selection_value > unconstrained,
            unconstrained_value=unconstrained,
            open=selected,
            liquid=liquid,
            train=train,
            serve_index=serve_index,
            serve_share=serve_share,
            unserved=unserved,
            subgradient=subgradient,
            relaxed_sites=configs.relaxed_sites,
        )

    # ------------------------------------------------------------------ fixing
    def fixing_bounds(
        self, sub: SubSolution, fix: Fixings | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Proven lower bounds of the node with each site forced open / forced closed.

        Forcing site i open gives at least constant + max(Y*, Y0 + max(O_i, 0)) and forcing
        it closed at least constant + max(Y*, Y0 − min(O_i, 0)), where Y* is the selection's
        (relaxed) optimum and Y0 the selection without the knapsack and site-count rows: the
        restricted selection is no cheaper than either. With the node's ``fix`` and the
        aggregate capacity row in use, the selection is re-solved with each site forced
        either way (:func:`forced_selection_values`), which is the child's exact Lagrangian
        value at these multipliers — much stronger when capacity is tight.
        """
        o = sub.open_value
        finite = np.isfinite(o)
        base = sub.unconstrained_value
        with np.errstate(invalid="ignore"):
            if_open = np.where(finite, base + np.maximum(o, 0.0), np.inf)
            if_closed = np.where(finite, base - np.minimum(o, 0.0), base)
        if_open = np.maximum(if_open, sub.selection_value)
        if_closed = np.maximum(if_closed, sub.selection_value)
        margin = sub.margin
        if fix is not None and math.isfinite(sub.selection_value):
            exact = forced_selection_values(self.rel, fix, o, self.knapsack_units)
            if exact is not None:
                with np.errstate(invalid="ignore"):
                    if_open = np.fmax(if_open, exact[0])
                    if_closed = np.fmax(if_closed, exact[1])
                # these selections differ from the solved one: their own rounding margin
                margin += RELATIVE_MARGIN * float(np.abs(o[finite]).sum())
        return sub.constant + if_open - margin, sub.constant + if_closed - margin


# ---------------------------------------------------------------------------- knapsacks
class _Knapsacks:
    """The continuous knapsacks K_i(cap) of every site at once.

    Candidates (pairs with c̄_p < 0 at sites that may serve) are sorted by site and then by
    ratio c̄_p / F_p; K_i(cap) takes whole items in that order while they fit and a fraction
    of the next one (greedy is exact for a continuous knapsack). Queries locate cap in the
    per-site cumulative weights with one ``searchsorted`` on the global cumulative sums.
    """

    def __init__(
        self,
        rel: Relaxation,
        s_red: np.ndarray,
        serve_ok: np.ndarray,
        capacity: np.ndarray,
        reorder_all: np.ndarray,
        theta: np.ndarray | None = None,
    ):
        # Pairs are stored sorted by site, so the candidates come grouped by site already;
        # only sites whose candidates do not all fit need them in ratio order. ``theta`` (the
        # boundary ratio of the previous evaluation, relaxed) preselects items per site: where
        # the preselected ones alone exceed the capacity, the greedy never reaches the others
        # (they all have larger ratios), so leaving them out is exact; elsewhere every
        # candidate is taken back.
        negative = s_red < 0.0
        if not serve_ok.all():
            negative &= serve_ok[rel.s_site]
        self.theta = np.full(rel.n_sites, np.nan)
        ratio_all = None
        if theta is not None and np.isfinite(theta).any():
            limit = np.where(reorder_all, np.nan, theta)
            with np.errstate(invalid="ignore"):  # 0 · ∞: a weightless pair at c̄ = 0 (no item)
                ratio_all = s_red * rel.s_inv_weight  # −inf for weightless pairs
            beyond = ratio_all > limit[rel.s_site]  # NaN limit: nothing is beyond
            cand = np.flatnonzero(negative & ~beyond)
            kept = _sum_by(rel.s_site[cand], rel.s_weight[cand], rel.n_sites)
            refill = np.isfinite(limit) & (kept <= capacity)
            if refill.any():  # the preselection was too narrow there: take every candidate
                more = np.flatnonzero(negative & beyond & refill[rel.s_site])
                cand = np.sort(np.concatenate([cand, more]))
        else:
            cand = np.flatnonzero(negative)
        site = rel.s_site[cand]
        weight = rel.s_weight[cand]
        total = _sum_by(site, weight, rel.n_sites)
        binding = (total > capacity) | reorder_all
        if binding.any():
            slots = np.flatnonzero(binding[site])
            sub = cand[slots]
            if ratio_all is not None:
                sub_ratio = ratio_all[sub]
            else:
                sub_ratio = s_red[sub] * rel.s_inv_weight[sub]
            order = np.argsort(sub_ratio, kind="quicksort")
            order = order[np.argsort(rel.s_site16[sub][order], kind="stable")]
            cand[slots] = sub[order]
            weight = rel.s_weight[cand]
            self._boundary(rel, site, weight, slots, sub_ratio[order], capacity, binding)
        gain = s_red[cand] * rel.share_cap  # value of the whole allowed share (< 0)
        self.index = cand
        self.site = site
        self.weight = weight
        self.gain = gain
        n = rel.n_sites
        self.start = np.searchsorted(self.site, np.arange(n), side="left")
        self.end = np.searchsorted(self.site, np.arange(n), side="right")
        self.cum_w = np.concatenate([[0.0], np.cumsum(self.weight)])
        self.cum_g = np.concatenate([[0.0], np.cumsum(self.gain)])
        self.total_negative = float(self.cum_g[-1])
        self.share_cap = rel.share_cap

    def _boundary(
        self,
        rel: Relaxation,
        site: np.ndarray,
        weight: np.ndarray,
        slots: np.ndarray,
        sorted_ratio: np.ndarray,
        capacity: np.ndarray,
        binding: np.ndarray,
    ) -> None:
        """Remember, per binding site, a relaxed ratio below which the greedy stays."""
        cum = np.cumsum(weight[slots])
        s = site[slots]
        first = np.searchsorted(s, np.arange(rel.n_sites), side="left")
        last = np.searchsorted(s, np.arange(rel.n_sites), side="right")
        sites = np.flatnonzero(binding & (last > first))
        base = np.where(first[sites] > 0, cum[np.maximum(first[sites] - 1, 0)], 0.0)
        pos = np.searchsorted(cum, base + capacity[sites], side="left")
        pos = np.minimum(pos, last[sites] - 1)
        edge = sorted_ratio[pos]
        # the next evaluation keeps items up to half again as unattractive as the boundary
        self.theta[sites] = np.where(np.isfinite(edge), 0.5 * edge, np.nan)

    def value(self, sites: np.ndarray, cap: np.ndarray) -> np.ndarray:
        """K_i(cap) for each (site, cap) query; cap < 0 means the site cannot serve (0)."""
        start, end = self.start[sites], self.end[sites]
        base = self.cum_w[start]
        target = base + np.maximum(cap, 0.0)
        # number of whole items that fit: first position whose cumulative weight exceeds target
        pos = np.searchsorted(self.cum_w, target, side="right") - 1  # items [start, pos) fit
        pos = np.clip(pos, start, end)
        whole = self.cum_g[pos] - self.cum_g[start]
        has_next = pos < end
        nxt = np.where(has_next, pos, 0)
        if self.weight.size:
            left = target - self.cum_w[pos]
            w_next = self.weight[nxt]
            frac = np.where(
                has_next & (w_next > 0), np.clip(left / np.where(w_next > 0, w_next, 1.0), 0, 1), 0
            )
            whole = whole + frac * np.where(has_next, self.gain[nxt], 0.0)
        return np.where(cap < 0, 0.0, whole)

    def fill(self, cap_per_site: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(pair indices, shares) of the greedy solutions at the given per-site capacities."""
        if not self.index.size:
            return self.index, np.empty(0)
        cap = cap_per_site[self.site]
        before = self.cum_w[:-1] - self.cum_w[self.start[self.site]]
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.where(
                self.weight > 0, (cap - before) / np.where(self.weight > 0, self.weight, 1.0), 1.0
            )
        frac = np.clip(frac, 0.0, 1.0)
        frac[cap < 0] = 0.0
        keep = frac > 0
        # s_weight = F·s̄ and the share is frac·s̄
        return self.index[keep], frac[keep] * self.share_cap


def _capacity(
    rel: Relaxation, sites: np.ndarray, power_used: np.ndarray, racks_used: np.ndarray
) -> np.ndarray:
    """Facility MW left for inference after training: min(P − F_S, (R − R_S)/ρ); −1 if the
    training itself does not fit."""
    power = rel.power[sites] - power_used
    racks = rel.racks[sites] - racks_used
    rho = rel.serve_racks_per_mw[sites]
    with np.errstate(divide="ignore", invalid="ignore"):
        from_racks = np.where(rho > 0, racks / np.where(rho > 0, rho, 1.0), np.inf)
    cap = np.minimum(power, from_racks)
    tol = FEASIBILITY_TOLERANCE * np.maximum(1.0, rel.power[sites])
    fits = (power >= -tol) & (racks >= -FEASIBILITY_TOLERANCE * np.maximum(1.0, racks_used))
    return np.where(fits, np.maximum(cap, 0.0), -1.0)


def _liquid_choice(
    rel: Relaxation,
    fix: Fixings,
    sites: np.ndarray,
    training_value: np.ndarray,
    training_needs_liquid: np.ndarray,
    serve_value: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Best of liquid off/on for each configuration: (value without f_i, liquid chosen)."""
    no_liquid_ok = ~training_needs_liquid & ~fix.liquid_lo[sites]
    liquid_ok = fix.liquid_hi[sites]
    serve_off = np.where(rel.serve_needs_liquid[sites], 0.0, serve_value)
    off = np.where(no_liquid_ok, training_value + serve_off, np.inf)
    on = np.where(liquid_ok, rel.liquid_cost[sites] + training_value + serve_value, np.inf)
    choose_on = on < off
    return np.where(choose_on, on, off), choose_on


@dataclass
class _Configs:
    """Best training configuration per site (B_i) and how to rebuild it."""

    best_value: np.ndarray  # per site, inf where no configuration
    best_liquid: np.ndarray
    best_cap: np.ndarray
    pairs_of_site: dict[int, np.ndarray]
    relaxed_sites: int

    def chosen_pairs(self, sites: np.ndarray) -> np.ndarray:
        chosen = [self.pairs_of_site[i] for i in np.flatnonzero(sites) if i in self.pairs_of_site]
        return np.concatenate(chosen) if chosen else np.empty(0, dtype=np.int64)


def _training_configs(
    rel: Relaxation, fix: Fixings, t_red: np.ndarray, knap: _Knapsacks
) -> _Configs:
    """Enumerate the training subsets of each site exactly (or bound them) and keep the best."""
    n = rel.n_sites
    best_value = np.full(n, np.inf)
    best_liquid = np.zeros(n, dtype=bool)
    best_cap = np.zeros(n)
    pairs_of_site: dict[int, np.ndarray] = {}
    if not rel.t_site.size:
        return _Configs(best_value, best_liquid, best_cap, pairs_of_site, 0)
    forced = fix.train_lo
    cand = np.flatnonzero(fix.train_hi & ~forced & (t_red < 0.0))
    forced_idx = np.flatnonzero(forced)
    sites_with = np.union1d(rel.t_site[cand], rel.t_site[forced_idx]).astype(np.int64)
    if not sites_with.size:
        return _Configs(best_value, best_liquid, best_cap, pairs_of_site, 0)
    # forced part per site
    f_power = _sum_by(rel.t_site[forced_idx], rel.t_power[forced_idx], n)
    f_racks = _sum_by(rel.t_site[forced_idx], rel.t_racks[forced_idx], n)
    f_cost = _sum_by(rel.t_site[forced_idx], t_red[forced_idx], n)
    f_liquid = np.zeros(n, dtype=bool)
    f_liquid[rel.t_site[forced_idx[rel.t_needs_liquid[forced_idx]]]] = True
    installs = rel.install_cost.shape[1] > 0
    f_bits = np.zeros(n, dtype=np.int64)
    if installs:
        fb = forced_idx[rel.t_install_bit[forced_idx] >= 0]
        np.bitwise_or.at(f_bits, rel.t_site[fb], np.left_shift(1, rel.t_install_bit[fb]))
    has_forced = np.zeros(n, dtype=bool)
    has_forced[rel.t_site[forced_idx]] = True

    cand = cand[np.argsort(rel.t_site[cand], kind="stable")]
    c_site = rel.t_site[cand]
    count = np.bincount(c_site, minlength=n)
    first = np.searchsorted(c_site, np.arange(n))
    relaxed = sites_with[count[sites_with] > MAX_ENUMERATED]
    exact = sites_with[count[sites_with] <= MAX_ENUMERATED]

    # ---- exact enumeration: every subset (mask) of each site's candidates
    m = count[exact]
    n_masks = np.left_shift(1, m)
    combo_site = np.repeat(exact, n_masks)
    offsets = np.concatenate([[0], np.cumsum(n_masks)[:-1]])
    combo_mask = np.arange(combo_site.size) - np.repeat(offsets, n_masks)
    power = f_power[combo_site].copy()
    racks = f_racks[combo_site].copy()
    cost = f_cost[combo_site].copy()
    needs = f_liquid[combo_site].copy()
    bits = f_bits[combo_site].copy()
    # at most one pair of a cluster per facility (implied by Σ t = 1, kept in the subproblem:
    # a cluster's options or cooling choices at one facility are alternatives, not a set)
    one_each = rel.n_clusters <= 62
    placed = np.zeros(combo_site.size, dtype=np.int64)
    twice = np.zeros(combo_site.size, dtype=bool)
    for b in range(int(m.max(initial=0))):
        member = ((combo_mask >> b) & 1).astype(bool) & (b < count[combo_site])
        q = cand[np.where(member, first[combo_site] + b, 0)] if cand.size else np.zeros(0, int)
        if one_each:
            flag = np.where(member, np.left_shift(1, rel.t_cluster[q]), 0)
            twice |= (placed & flag) != 0
            placed |= flag
        power += np.where(member, rel.t_power[q], 0.0)
        racks += np.where(member, rel.t_racks[q], 0.0)
        cost += np.where(member, t_red[q], 0.0)
        needs |= member & rel.t_needs_liquid[q]
        if installs:
            own = member & (rel.t_install_bit[q] >= 0)
            bits |= np.where(own, np.left_shift(1, np.maximum(rel.t_install_bit[q], 0)), 0)
    for b in range(rel.install_cost.shape[1]):  # each option in use paid once: Σ_s∈S G_s
        cost += np.where((bits >> b) & 1, rel.install_cost[combo_site, b], 0.0)
    nonempty = ((combo_mask > 0) | has_forced[combo_site]) & ~twice
    cap = _capacity(rel, combo_site, power, racks)
    serve = knap.value(combo_site, cap)
    value, liquid = _liquid_choice(rel, fix, combo_site, cost, needs, serve)
    value = np.where(nonempty & (cap >= 0), value, np.inf)
    if combo_site.size:
        order = np.lexsort((value, combo_site))
        head = order[np.r_[True, combo_site[order][1:] != combo_site[order][:-1]]]
        s = combo_site[head]
        best_value[s] = value[head]
        best_liquid[s] = liquid[head]
        best_cap[s] = cap[head]
        for idx in np.flatnonzero(np.isfinite(value[head])):
            site, mask = int(s[idx]), int(combo_mask[head[idx]])
            members = [cand[first[site] + b] for b in range(int(count[site])) if (mask >> b) & 1]
            chosen = np.array(members, dtype=np.int64)
            if has_forced[site]:
                chosen = np.concatenate([chosen, forced_idx[rel.t_site[forced_idx] == site]])
            pairs_of_site[site] = chosen

    # ---- relaxed sites: all candidates taken, their power/racks ignored, liquid optional
    if relaxed.size:
        # every candidate taken, but of each cluster only its best at the facility
        key = c_site * max(rel.n_clusters, 1) + rel.t_cluster[cand]
        best_of = np.full(n * max(rel.n_clusters, 1), 0.0)
        np.minimum.at(best_of, key, t_red[cand])
        all_cost = best_of.reshape(n, -1).sum(axis=1)[relaxed] + f_cost[relaxed]
        for b in range(rel.install_cost.shape[1]):  # the forced pairs' options (G ≥ 0)
            all_cost += np.where((f_bits[relaxed] >> b) & 1, rel.install_cost[relaxed, b], 0.0)
        cap = _capacity(rel, relaxed, np.zeros(relaxed.size), np.zeros(relaxed.size))
        serve = knap.value(relaxed, cap)
        value, liquid = _liquid_choice(
            rel, fix, relaxed, all_cost, np.zeros(relaxed.size, dtype=bool), serve
        )
        better = value < best_value[relaxed]
        best_value[relaxed] = np.where(better, value, best_value[relaxed])
        best_liquid[relaxed] = np.where(better, liquid, best_liquid[relaxed])
        best_cap[relaxed] = np.where(better, cap, best_cap[relaxed])
        for site in relaxed.tolist():
            chosen = cand[c_site == site]
            pairs_of_site[site] = np.concatenate(
                [chosen, forced_idx[rel.t_site[forced_idx] == site]]
            )
    return _Configs(best_value, best_liquid, best_cap, pairs_of_site, int(relaxed.size))


def _inverse(values: np.ndarray) -> np.ndarray:
    """1 / values, +inf where a value is 0."""
    with np.errstate(divide="ignore"):
        return np.where(values > 0, 1.0 / np.where(values > 0, values, 1.0), np.inf)


def _sum_by(index: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    """Σ of weights grouped by index, as floats of length n (also when empty)."""
    return np.bincount(index, weights=np.asarray(weights, dtype=float), minlength=n).astype(float)


# ---------------------------------------------------------------------------- selection
def _select_sites(
    rel: Relaxation, fix: Fixings, open_value: np.ndarray, units: int = KNAPSACK_UNITS
) -> tuple[np.ndarray, float, float, bool]:
    """min Σ O_i y_i over the node's y with the site limit or the aggregate capacity row.

    Returns (y, selection value, unconstrained value, feasible).
    """
    forced = fix.open_lo
    free = fix.open_hi & ~forced
    if np.any(~np.isfinite(open_value[forced])):
        return forced, math.inf, math.inf, False
    finite_free = free & np.isfinite(open_value)
    forced_value = float(open_value[forced].sum())
    unconstrained = forced_value + float(np.minimum(open_value[finite_free], 0.0).sum())
    y = forced.copy()
    if rel.max_sites is not None:
        room = rel.max_sites - int(forced.sum())
        if room < 0:
            return y, math.inf, math.inf, False
        negative = np.flatnonzero(finite_free & (open_value < 0))
        if negative.size > room:
            negative = negative[np.argsort(open_value[negative], kind="stable")[:room]]
        y[negative] = True
        return y, float(open_value[y].sum()), unconstrained, True
    y |= finite_free & (open_value < 0)
    value = float(open_value[y].sum())
    if rel.demand_floor > 0:
        have = float(rel.power[y].sum())
        if have < rel.demand_floor:
            items = np.flatnonzero(finite_free & ~y)
            need = rel.demand_floor - have
            if float(rel.power[items].sum()) < need * (1 - 1e-12):
                return y, math.inf, math.inf, False
            extra, chosen = covering_knapsack(
                open_value[items], rel.power[items], need, units=units
            )
            y[items[chosen]] = True
            value += extra
    return y, value, unconstrained, True


MAX_FIXING_CELLS = 5_000_000  # prefix and suffix tables of forced_selection_values, at most


def forced_selection_values(
    rel: Relaxation, fix: Fixings, open_value: np.ndarray, units: int = KNAPSACK_UNITS
) -> tuple[np.ndarray, np.ndarray] | None:
    """The selection's relaxed optimum with each free site forced open / forced closed.

    Y0 = forced sites plus free sites with O_i < 0 (always worth taking), need = D − P(Y0),
    and P the free sites with O_i ≥ 0. With V_S(t) the cheapest cover of t by sites of S
    (the covering knapsack on weights rounded *up* to a grid, so a lower bound):

    * i ∈ P:  open  → O(Y0) + O_i + V_{P∖i}(need − P_i);   closed → O(Y0) + V_{P∖i}(need)
    * i with O_i < 0:  open → O(Y0) + V_P(need);   closed → O(Y0) − O_i + V_P(need + P_i)

    V_{P∖i} comes from prefix and suffix tables of the dynamic program, min over a of
    F_{<i}(a) + G_{>i}(t − a), exact on the grid. +inf where nothing covers the need (the
    fixing is infeasible). None when the aggregate row is not used (a site limit instead)
    or the tables would exceed ``MAX_FIXING_CELLS``.
    """
    if rel.max_sites is not None or rel.demand_floor <= 0:
        return None
    # P_i ↦ min(P_i, D) leaves the 0-1 row Σ P_i y_i ≥ D as it is (a cloud facility: P = ∞)
    power = np.minimum(rel.power, rel.demand_floor)
    forced = fix.open_lo
    free = fix.open_hi & ~forced
    ok = free & np.isfinite(open_value)
    neg = ok & (open_value < 0)
    y0 = forced | neg
    base = float(open_value[y0].sum())
    need = rel.demand_floor - float(power[y0].sum())
    items = np.flatnonzero(ok & ~neg)
    n = rel.n_sites
    if_open = np.full(n, np.inf)
    if_closed = np.full(n, base)
    top = max(need, need + float(power[neg].max(initial=0.0)))
    if top <= 0:
        if_open[items] = base + open_value[items]
        if_open[neg] = base
        return if_open, if_closed
    if (items.size + 1) * (units + 1) * 2 > MAX_FIXING_CELLS:
        return None
    delta = top / units
    cost = open_value[items]
    # (weights and targets beyond the grid are capped: a tiny need makes δ tiny)
    weight = np.minimum(np.ceil(power[items] / delta + 1e-9), units + 1).astype(np.int64)
    size = units + 1

    def target(amount: np.ndarray | float) -> np.ndarray:
        grid = np.ceil(np.asarray(amount, dtype=float) / delta - 1e-9)
        return np.clip(grid, 0, units + 1).astype(np.int64)

    def tables(order: np.ndarray) -> np.ndarray:
        """Row k: the cheapest cover of each grid level by the first k items of ``order``."""
        out = np.full((order.size + 1, size), np.inf)
        out[0, 0] = 0.0
        for k, item in enumerate(order):
            w = int(min(weight[item], size - 1))
            row = out[k]
            shifted = np.concatenate([np.full(w, row[0]), row[: size - w]]) + cost[item]
            np.minimum(row, shifted, out=out[k + 1])
        return out

    m = items.size
    prefix = tables(np.arange(m))  # prefix[k]: items < k
    suffix = tables(np.arange(m)[::-1])  # suffix[k]: the last k items
    t_need = int(target(need)) if need > 0 else 0
    if m:
        before = prefix[:m]  # items < k
        after = suffix[m - 1 :: -1]  # items > k: the last m − 1 − k items
        if t_need >= size:
            closed = np.full(m, np.inf)
        else:
            closed = np.min(before[:, : t_need + 1] + after[:, t_need::-1], axis=1)
        t_open = target(np.maximum(need - power[items], 0.0))
        opened = np.empty(m)
        for k in range(m):
            t = int(t_open[k])
            opened[k] = np.inf if t >= size else float(np.min(before[k, : t + 1] + after[k, t::-1]))
        if_open[items] = base + cost + opened
        if_closed[items] = base + closed
    full = prefix[m]
    chosen = base + (full[t_need] if t_need < size else np.inf)  # Y*, on this grid
    if_closed[~ok] = chosen  # sites that cannot open (or are fixed) change nothing
    if_open[neg] = chosen
    t_neg = target(need + power[neg])
    reach = np.where(t_neg < size, full[np.minimum(t_neg, size - 1)], np.inf)
    if_closed[neg] = base - open_value[neg] + reach
    return if_open, if_closed


def covering_knapsack(
    cost: np.ndarray,
    weight: np.ndarray,
    need: float,
    units: int = KNAPSACK_UNITS,
    *,
    exact: bool = True,
) -> tuple[float, np.ndarray]:
    """min { Σ c_i y_i : Σ w_i y_i ≥ need, y ∈ {0,1} } (c ≥ 0) on a grid δ = need / units.

    With ``exact`` (for bounds) weights are rounded *up*, ceil(w_i/δ), and the need to
    ceil(need/δ − 1e-9): every y feasible for the true row stays feasible, so the optimum
    returned is a valid lower bound. Otherwise (for heuristics) weights are rounded *down*:
    every y returned covers the need for real.
    """
    if need <= 0:
        return 0.0, np.zeros(cost.size, dtype=bool)
    weight = np.minimum(weight, need)  # an item that covers the need alone (cloud: inf) still does
    # a greedy cover (by cost per weight) costs at least the optimum: items dearer than it
    # cannot be in an optimal cover, for the true row or the rounded one
    by_ratio = np.argsort(cost / np.maximum(weight, 1e-300), kind="stable")
    reach = np.searchsorted(np.cumsum(weight[by_ratio]), need) + 1
    greedy = float(cost[by_ratio[:reach]].sum()) if reach <= cost.size else math.inf
    useful = np.flatnonzero(cost <= greedy)
    value, chosen_useful = _cover_dp(cost[useful], weight[useful], need, units, exact)
    chosen = np.zeros(cost.size, dtype=bool)
    chosen[useful[chosen_useful]] = True
    return value, chosen


def _cover_dp(
    cost: np.ndarray, weight: np.ndarray, need: float, units: int, exact: bool
) -> tuple[float, np.ndarray]:
    """The dynamic program of :func:`covering_knapsack` on the grid."""
    delta = need / units
    if exact:
        w = np.ceil(weight / delta + 1e-9).astype(np.int64)
        target = math.ceil(need / delta - 1e-9)
    else:
        w = np.floor(weight / delta * (1 - 1e-12)).astype(np.int64)
        target = math.ceil(need / delta)
    best = np.full(target + 1, np.inf)
    best[0] = 0.0
    take = np.empty((cost.size, target + 1), dtype=bool)
    cand = np.empty(target + 1)
    for k in range(cost.size):
        wk = int(min(w[k], target))
        cand[:wk] = best[0]
        cand[wk:] = best[: target + 1 - wk]
        cand += cost[k]
        np.less(cand, best, out=take[k])
        np.minimum(best, cand, out=best)
    chosen = np.zeros(cost.size, dtype=bool)
    pos = target
    for k in range(cost.size - 1, -1, -1):
        if pos > 0 and take[k, pos]:
            chosen[k] = True
            pos = max(pos - int(min(w[k], target)), 0)
    return float(best[target]), chosen


def _infeasible(rel: Relaxation, constant: float) -> SubSolution:
    n = rel.n_sites
    return SubSolution(
        value=math.inf,
        margin=0.0,
        constant=constant,
        open_value=np.full(n, np.inf),
        selection_value=math.inf,
        knapsack_bound=False,
        unconstrained_value=math.inf,
        open=np.zeros(n, dtype=bool),
        liquid=np.zeros(n, dtype=bool),
        train=np.zeros(rel.t_site.size, dtype=bool),
        serve_index=np.empty(0, dtype=np.int64),
        serve_share=np.empty(0),
        unserved=np.zeros(rel.n_regions),
        subgradient=np.zeros(rel.n_multipliers),
    )
