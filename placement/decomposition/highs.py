"""Every HiGHS call of the decomposition, through HiGHS's own Python binding ``highspy``.

One function, :func:`solve`, takes a :class:`placement.milp.linear_model.LinearModel` and returns a
:class:`Solution`; nothing else in the package imports ``highspy``, so this module is the one
to swap for the project's solver layer. Deadlines are held twice: HiGHS's ``time_limit``
option, and an interrupt callback (MIP and simplex) that stops the solve once the wall clock
passes the deadline, since HiGHS checks its own limit only between phases.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse

from placement.milp.highs import highs_lp, new_highs, stop_requested, use_threads
from placement.milp.linear_model import LinearModel

MAX_VALUE_SCALING = 4  # HiGHS simplex_scale_strategy: much faster on placement LPs
CORE_PAIRS = 8  # pairs per region HiGHS holds at first; the others join by pricing
OPEN_CORE = 4  # cheapest pairs at open sites held per region before a solve
PRICED_PER_REGION = 2  # most negative pairs per region joining per pricing round
FARKAS_TOLERANCE = 1e-9  # of the certificate's scale: a margin it must clear
PRICING_TOLERANCE = 1e-9  # a pair joins when c̄_p < −tol·max(1, |c_p|)


@dataclass(frozen=True)
class Solution:
    """What a HiGHS solve returned."""

    status: str  # optimal | feasible | infeasible | no_solution | error
    values: np.ndarray | None
    objective: float | None
    bound: float | None  # the MIP dual bound (LP: the optimum), None if unknown
    seconds: float
    nodes: int = 0
    detail: str = ""


def solve(
    model: LinearModel,
    *,
    relax: bool = False,
    time_limit: float | None = None,
    deadline: float | None = None,
    gap: float = 1e-9,
    start: np.ndarray | None = None,
    seed: int = 0,
    threads: int = 1,
    log: bool = False,
) -> Solution:
    """Solve ``model`` (its LP relaxation when ``relax``) with HiGHS.

    ``deadline`` is an absolute ``time.perf_counter()`` value; the effective time limit is the
    smaller of ``time_limit`` and the time left. ``start`` is a full vector of variable values
    handed to HiGHS as a MIP start (it may be partial or infeasible; HiGHS checks it).
    """
    import highspy

    started = time.perf_counter()
    limit = _time_left(time_limit, deadline, started)
    if limit is not None and limit <= 0:
        return Solution("no_solution", None, None, None, 0.0, detail="no time left")
    h = new_highs()  # silences the first instance's banner
    h.setOptionValue("output_flag", bool(log))
    use_threads(h, int(threads))  # one scheduler per process: restart it for another count
    h.setOptionValue("threads", int(threads))
    h.setOptionValue("random_seed", int(seed))
    if limit is not None:
        h.setOptionValue("time_limit", float(max(limit, 1e-3)))
    integer = model.var_integer
    mip = not relax and bool(integer.any())
    if mip:
        h.setOptionValue("mip_rel_gap", float(gap))
        h.setOptionValue("mip_abs_gap", 1e-9)
    else:
        h.setOptionValue("simplex_scale_strategy", MAX_VALUE_SCALING)
    h.passModel(highs_lp(model, mip=mip))
    if start is not None and mip:
        solution = highspy.HighsSolution()
        solution.col_value = np.asarray(start, dtype=float)
        solution.value_valid = True
        h.setSolution(solution)

    def stop(event) -> None:
        if (deadline is not None and time.perf_counter() > deadline) or stop_requested():
            event.interrupt()

    h.cbMipInterrupt.subscribe(stop)
    h.cbSimplexInterrupt.subscribe(stop)
    try:
        h.run()
    except Exception as exc:  # HiGHS refused the model
        return Solution("error", None, None, None, time.perf_counter() - started, detail=str(exc))
    seconds = time.perf_counter() - started
    return _read(h, highspy, mip, model.num_vars, seconds)


def _time_left(time_limit: float | None, deadline: float | None, now: float) -> float | None:
    limits = []
    if time_limit is not None:
        limits.append(time_limit)
    if deadline is not None:
        limits.append(deadline - now)
    return min(limits) if limits else None


def _read(h, highspy, mip: bool, num_vars: int, seconds: float) -> Solution:
    status = h.getModelStatus()
    info = h.getInfo()
    ms = highspy.HighsModelStatus
    nodes = int(info.mip_node_count) if mip else 0
    has_solution = int(info.primal_solution_status) == 2
    values = objective = None
    if has_solution:
        values = np.asarray(h.getSolution().col_value, dtype=float)[:num_vars]
        objective = float(info.objective_function_value)
    if mip:
        bound = float(info.mip_dual_bound)
        bound = bound if math.isfinite(bound) else None
    else:
        bound = objective if status == ms.kOptimal else None
    detail = h.modelStatusToString(status)
    if status == ms.kOptimal:
        kind = "optimal" if has_solution else "error"
    elif status in (ms.kInfeasible, ms.kUnboundedOrInfeasible):
        kind = "infeasible"
    elif has_solution:
        kind = "feasible"
    elif status in (ms.kTimeLimit, ms.kInterrupt, ms.kIterationLimit, ms.kSolutionLimit):
        kind = "no_solution"
    else:
        kind = "error"
    return Solution(kind, values, objective, bound, seconds, nodes, detail)


class TransportLP:
    """The inference part of the placement for a changing set of open sites, kept warm.

    Columns: x_p ∈ [0, s̄] for the serving pairs given and, for soft demand, unserved
    z_j ∈ [0, 1]. Rows: Σ_p x_p (+ z_j) = 1 per region; Σ F_p x_p ≤ power left and
    Σ R_p x_p ≤ racks left per site (what training placed there leaves); Σ e_p x_p ≤ carbon
    left when there is a cap; Σ_{p ∈ g} x_p ≤ s̄ for each group g of ``share_group`` (the
    share cap of several facilities or hardware types at one site, for one region);
    Σ units_p x_p ≤ quota left for each cloud quota row of ``quota``; Σ capital_p x_p ≤
    the capital budget left (``capital_cap``, what facilities and training leave). A closed
    site has its columns' upper bounds at 0, so consecutive solves differ by a few bounds and
    the dual simplex restarts from the last basis: a local search evaluates a move in a few
    pivots.

    Pricing (``core`` pairs per region; None holds every pair): HiGHS holds the ``core``
    cheapest pairs of each region at first, and before a solve each region's ``OPEN_CORE``
    cheapest pairs at open sites. After the solve the reduced cost c̄_p = c_p − a_pᵀ·u of
    every pair not held, at an open site, is priced at the row duals u; the most negative
    (``PRICED_PER_REGION`` per region) join and the LP is solved again, until none is
    negative: then the held optimum is the optimum over every column (the others at 0). A
    held LP found infeasible is infeasible for every column only when HiGHS's dual ray,
    checked here, still proves it with the pairs not held at their best (Farkas pricing);
    else the pairs that weaken the proof join. Exact both ways, and on 200×2,000 CFLP
    about 4× faster per solve than holding all 400,000 pairs.
    """

    def __init__(
        self,
        site: np.ndarray,
        region: np.ndarray,
        cost: np.ndarray,
        power_use: np.ndarray,
        racks_use: np.ndarray,
        carbon: np.ndarray,
        *,
        share_cap: float,
        n_regions: int,
        n_sites: int,
        unserved_cost: np.ndarray | None,
        carbon_cap: float | None,
        seed: int = 0,
        share_group: np.ndarray | None = None,
        quota: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
        capital: np.ndarray | None = None,
        capital_cap: float | None = None,
        core: int | None = None,
    ):
        import highspy

        self._highspy = highspy
        self.site = site
        self.n_regions = n_regions
        n_pairs = site.size
        sites = np.unique(site)
        self.sites = sites
        row_of = np.full(n_sites, -1, dtype=np.int64)
        row_of[sites] = n_regions + np.arange(sites.size)
        self.power_row = row_of
        rack_row = np.full(n_sites, -1, dtype=np.int64)
        rack_row[sites] = n_regions + sites.size + np.arange(sites.size)
        self.rack_row = rack_row
        n_rows = n_regions + 2 * sites.size
        rows = [region, row_of[site], rack_row[site]]
        cols = [np.arange(n_pairs)] * 3
        vals = [np.ones(n_pairs), power_use, racks_use]
        self.carbon_row = -1
        if carbon_cap is not None:
            self.carbon_row = n_rows
            n_rows += 1
            rows.append(np.full(n_pairs, self.carbon_row))
            cols.append(np.arange(n_pairs))
            vals.append(carbon)
        n_groups, share_start = 0, n_rows
        if share_group is not None and np.any(share_group >= 0):
            grouped = np.flatnonzero(share_group >= 0)
            n_groups = int(share_group.max()) + 1
            rows.append(n_rows + share_group[grouped])
            cols.append(grouped)
            vals.append(np.ones(grouped.size))
            n_rows += n_groups
        self.quota_row = np.empty(0, dtype=np.int64)
        if quota is not None:  # (row per pair or −1, units per pair, Q per row)
            row, units, rhs = quota
            inside = np.flatnonzero(row >= 0)
            self.quota_row = n_rows + np.arange(rhs.size)
            rows.append(n_rows + row[inside])
            cols.append(inside)
            vals.append(units[inside])
            n_rows += rhs.size
        self.capital_row = -1
        if capital_cap is not None and capital is not None:
            self.capital_row = n_rows
            n_rows += 1
            rows.append(np.full(n_pairs, self.capital_row))
            cols.append(np.arange(n_pairs))
            vals.append(capital)
        matrix = scipy.sparse.csc_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(n_rows, n_pairs),
        )
        matrix.eliminate_zeros()
        self._matrix = matrix
        self._matrix_t = matrix.T.tocsr()  # reduced costs c − Aᵀu in one product
        self._cost = np.asarray(cost, dtype=float)
        self.col_ub = np.full(n_pairs, share_cap)
        self.unserved = unserved_cost is not None
        held = np.arange(n_pairs)
        if core is not None:
            held = _best_per_region(held, self._cost, region, n_regions, core)
        self._region = region
        self._held = np.zeros(n_pairs, dtype=bool)
        self._held[held] = True
        # HiGHS columns: the held pairs in the order they joined, then (soft demand) unserved
        self._column_pair = held.astype(np.int64)
        self._column_of = np.full(n_pairs, -1, dtype=np.int64)
        self._column_of[held] = np.arange(held.size)
        sub = matrix[:, held]
        n_cols = held.size
        col_cost = [self._cost[held]]
        col_ub = [self.col_ub[held]]
        if self.unserved:
            sub = scipy.sparse.hstack(
                [
                    sub,
                    scipy.sparse.csc_matrix(
                        (np.ones(n_regions), (np.arange(n_regions), np.arange(n_regions))),
                        shape=(n_rows, n_regions),
                    ),
                ],
                format="csc",
            )
            n_cols += n_regions
            col_cost.append(unserved_cost)
            col_ub.append(np.ones(n_regions))
        self._unserved_column = held.size  # first unserved column (fixed: pairs join later)
        lp = highspy.HighsLp()
        lp.num_col_ = n_cols
        lp.num_row_ = n_rows
        lp.col_cost_ = np.concatenate(col_cost)
        lp.col_lower_ = np.zeros(n_cols)
        lp.col_upper_ = np.concatenate(col_ub)
        upper = np.full(n_rows, np.inf)
        upper[:n_regions] = 1.0
        upper[share_start : share_start + n_groups] = share_cap
        if quota is not None:
            upper[self.quota_row] = quota[2]
        if self.capital_row >= 0:
            upper[self.capital_row] = capital_cap
        lp.row_lower_ = np.concatenate([np.ones(n_regions), np.full(n_rows - n_regions, -np.inf)])
        lp.row_upper_ = upper
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = sub.indptr.astype(np.int32)
        lp.a_matrix_.index_ = sub.indices.astype(np.int32)
        lp.a_matrix_.value_ = sub.data
        h = new_highs()  # silences the first instance's banner
        h.setOptionValue("output_flag", False)
        use_threads(h, 1)  # one scheduler per process: restart it for another count
        h.setOptionValue("threads", 1)
        h.setOptionValue("random_seed", int(seed))
        h.setOptionValue("simplex_scale_strategy", MAX_VALUE_SCALING)
        h.passModel(lp)
        self.h = h
        self.n_pairs = n_pairs
        order = np.argsort(site, kind="stable")
        self._pairs_of_site = np.split(order, np.searchsorted(site[order], sites[1:]))
        self._open = np.ones(n_sites, dtype=bool)
        self._row_upper = upper
        self.last_status = ""
        self.solves = 0
        self.seconds = 0.0
        self.priced_in = 0  # pairs that joined by pricing (or by an infeasible held LP)

    @property
    def held(self) -> int:
        """Pairs HiGHS holds now."""
        return int(self._column_pair.size)

    def solve(
        self,
        open_sites: np.ndarray,
        power_left: np.ndarray,
        racks_left: np.ndarray,
        carbon_left: float | None = None,
        deadline: float | None = None,
        *,
        quota_left: np.ndarray | None = None,
        capital_left: float | None = None,
    ) -> float:
        """Optimal inference cost with exactly ``open_sites`` usable (inf if infeasible);
        ``quota_left``: the right-hand sides of the cloud quota rows (what training leaves)."""
        changed = np.flatnonzero(open_sites[self.sites] != self._open[self.sites])
        if changed.size:
            pairs = np.concatenate([self._pairs_of_site[k] for k in changed])
            cols = self._column_of[pairs]
            inside = cols >= 0
            pairs, cols = pairs[inside], cols[inside].astype(np.int32)
            ub = np.where(open_sites[self.site[pairs]], self.col_ub[pairs], 0.0)
            self.h.changeColsBounds(cols.size, cols, np.zeros(cols.size), ub)
            self._open = open_sites.copy()
        upper = self._row_upper.copy()
        upper[self.power_row[self.sites]] = power_left[self.sites]
        upper[self.rack_row[self.sites]] = racks_left[self.sites]
        if self.carbon_row >= 0 and carbon_left is not None:
            upper[self.carbon_row] = carbon_left
        if quota_left is not None and self.quota_row.size:
            upper[self.quota_row] = quota_left
        if self.capital_row >= 0 and capital_left is not None:
            upper[self.capital_row] = capital_left
        moved = np.flatnonzero(upper != self._row_upper)
        if moved.size:
            lower = np.where(moved < self.n_regions, 1.0, -np.inf)
            self.h.changeRowsBounds(moved.size, moved.astype(np.int32), lower, upper[moved])
            self._row_upper = upper
        started = time.perf_counter()
        try:
            return self._solve_priced(open_sites, deadline)
        finally:
            self.seconds += time.perf_counter() - started
            self.solves += 1

    def _solve_priced(self, open_sites: np.ndarray, deadline: float | None) -> float:
        """Solve, price, add, until the held LP is optimal or proven infeasible for every
        column (or the deadline passes: ``unknown``)."""
        ms = self._highspy.HighsModelStatus
        short = self._uncovered(open_sites)
        if short.size:
            self._hold(short)
        while True:
            status = self._run(deadline)
            if status == ms.kOptimal:
                joining = self._negative_pairs(open_sites)
            elif status in (ms.kInfeasible, ms.kUnboundedOrInfeasible):
                joining = self._farkas_pairs(open_sites)
            else:
                self.last_status = "unknown"
                return math.inf
            if not joining.size:
                break
            self._hold(joining)
        if status == ms.kOptimal:
            self.last_status = "optimal"
            return float(self.h.getInfo().objective_function_value)
        self.last_status = "infeasible"
        return math.inf

    def _run(self, deadline: float | None) -> object:
        """One HiGHS run within the deadline; its model status."""
        if deadline is not None:
            left = deadline - time.perf_counter()
            if left <= 0:
                return self._highspy.HighsModelStatus.kTimeLimit
            # HiGHS's time limit counts the run time of the object since its creation
            self.h.setOptionValue("time_limit", float(self.h.getRunTime() + left))
        else:
            self.h.setOptionValue("time_limit", math.inf)
        self.h.run()
        return self.h.getModelStatus()

    def _farkas_pairs(self, open_sites: np.ndarray) -> np.ndarray:
        """Pairs that could make an infeasible held LP feasible (empty: proven infeasible).

        HiGHS's dual ray w is checked here, not trusted: with z = Aᵀw, every x in the column
        box has wᵀAx ≤ Σ_cols max(z·l, z·u), while every row activity r in its bounds has
        wᵀr ≥ Σ_rows min(w·L, w·U). When the first sum stays below the second with the pairs
        not held added at their best, max(0, z_p·s̄), no x at all meets the rows: infeasible.
        Otherwise the pairs with z_p > 0 join (with every pair of the open sites when the ray
        is missing or proves nothing).
        """
        waiting = np.flatnonzero(~self._held & open_sites[self.site])
        if not waiting.size:
            return waiting
        _, has_ray, ray = self.h.getDualRay()
        if not has_ray:
            return waiting
        ray = np.asarray(ray, dtype=float)
        lower = np.where(np.arange(ray.size) < self.n_regions, 1.0, -np.inf)
        column_ub = np.where(open_sites[self.site], self.col_ub, 0.0)
        for w in (ray, -ray):
            with np.errstate(invalid="ignore"):
                rows = np.minimum(w * lower, w * self._row_upper)
            rows = np.where(w == 0.0, 0.0, rows)
            if not np.all(np.isfinite(rows)):
                continue  # w times an infinite bound: this sign proves nothing
            z = self._matrix_t @ w
            held = self._column_pair
            reach = z[held] * column_ub[held]
            cols = float(np.maximum(reach, 0.0).sum())
            if self.unserved:  # z_j of the unserved column of region j is w_j
                cols += float(np.maximum(w[: self.n_regions], 0.0).sum())
            margin = float(rows.sum()) - cols
            scale = float(np.abs(rows).sum()) + float(np.abs(reach).sum())
            if margin <= FARKAS_TOLERANCE * max(scale, 1.0):
                continue  # not a proof for the held LP under this sign
            gain = z[waiting] * self.col_ub[waiting]
            if float(np.maximum(gain, 0.0).sum()) < margin - FARKAS_TOLERANCE * max(scale, 1.0):
                return np.empty(0, dtype=np.int64)  # a proof for every pair: infeasible
            return waiting[gain > 0.0]
        return waiting

    def _uncovered(self, open_sites: np.ndarray) -> np.ndarray:
        """Pairs to hold so that each region has its ``OPEN_CORE`` cheapest pairs at open
        sites held (a held LP with no column of a region at an open site is infeasible)."""
        if self._held.all():
            return np.empty(0, dtype=np.int64)
        at_open = open_sites[self.site]
        have = np.bincount(self._region[self._held & at_open], minlength=self.n_regions)
        short = have < OPEN_CORE
        if not short.any():
            return np.empty(0, dtype=np.int64)
        pairs = np.flatnonzero(at_open & short[self._region])
        chosen = _best_per_region(pairs, self._cost[pairs], self._region, self.n_regions, OPEN_CORE)
        return chosen[~self._held[chosen]]

    def _negative_pairs(self, open_sites: np.ndarray) -> np.ndarray:
        """Pairs not held, at open sites, whose reduced cost at the row duals is negative."""
        if self._held.all():
            return np.empty(0, dtype=np.int64)
        u = np.asarray(self.h.getSolution().row_dual, dtype=float)
        reduced = self._cost - self._matrix_t @ u
        tolerance = PRICING_TOLERANCE * np.maximum(1.0, np.abs(self._cost))
        joining = np.flatnonzero((reduced < -tolerance) & ~self._held & open_sites[self.site])
        if joining.size <= PRICED_PER_REGION * self.n_regions // 4:
            return joining
        # the first duals of a held LP far from the optimum price in much too much: take
        # only the most negative few of each region per round
        return _best_per_region(
            joining, reduced[joining], self._region, self.n_regions, PRICED_PER_REGION
        )

    def _hold(self, pairs: np.ndarray) -> None:
        """Add ``pairs`` (at open sites) to HiGHS's columns; the basis stays warm."""
        block = self._matrix[:, pairs]
        first = self.h.getNumCol()
        self.h.addCols(
            pairs.size,
            self._cost[pairs],
            np.zeros(pairs.size),
            self.col_ub[pairs],
            block.nnz,
            block.indptr[:-1].astype(np.int32),
            block.indices.astype(np.int32),
            block.data.astype(float),
        )
        self._held[pairs] = True
        self._column_of[pairs] = first + np.arange(pairs.size)
        self._column_pair = np.concatenate([self._column_pair, pairs])
        self.priced_in += int(pairs.size)

    def demand_duals(self) -> np.ndarray:
        """Duals of the demand rows at the last solve (the marginal cost of each region)."""
        return np.asarray(self.h.getSolution().row_dual, dtype=float)[: self.n_regions]

    def values(self) -> np.ndarray:
        """Values of the last solve: the share of every pair given (0 where not held), then
        (soft demand) the unserved share of every region."""
        col = np.asarray(self.h.getSolution().col_value, dtype=float)
        pairs = np.zeros(self.n_pairs)
        held = self._column_of >= 0
        pairs[held] = col[self._column_of[held]]
        if not self.unserved:
            return pairs
        start = self._unserved_column
        return np.concatenate([pairs, col[start : start + self.n_regions]])


def _best_per_region(
    pairs: np.ndarray, key: np.ndarray, region: np.ndarray, n_regions: int, k: int
) -> np.ndarray:
    """The ``k`` pairs of smallest ``key`` (aligned with ``pairs``) of each region among
    ``pairs``, sorted by index; ``region`` maps every pair to its region."""
    order = np.lexsort((key, region[pairs]))
    chosen = pairs[order]
    grouped = region[chosen]
    rank = np.arange(chosen.size) - np.searchsorted(grouped, np.arange(n_regions))[grouped]
    return np.sort(chosen[rank < k])
