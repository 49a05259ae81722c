"""Lagrangian branch and bound (after Görtz and Klose, INFORMS J. Computing 2012).

Every node is a set of fixings of the binary decisions (open, liquid, training pairs). Its
bound is the Lagrangian value after a volume-algorithm ascent warm-started from the parent's
multipliers; its primal estimate (the averaged subproblem solutions) picks the branching
variable: the free site whose ȳ_i is closest to ½, then liquid cooling, then training pairs.
A node with nothing left to branch on is a linear program (plus nothing), solved exactly.

Bookkeeping that keeps the final bound valid:

* ``threshold`` = U − gap·|U| with U the incumbent's value: a node or a variable value whose
  proven bound b reaches it is excluded; if b < U, ``excluded`` = min(excluded, b) remembers
  what was given away;
* reduced-cost fixing: forcing site i open (closed) costs at least the bound of
  :meth:`Evaluator.fixing_bounds`; when that reaches the threshold, the opposite is fixed in
  the node's subtree and the bound is remembered the same way;
* sites closed at the root stay closed in every node, and so do, whenever U improves, the
  sites whose root forced-open bound reaches the new threshold (that bound is excluded):
  their pairs leave every later evaluation and the heuristic LP, which changes no node's
  value (:meth:`Evaluator.restrict_sites`);
* the proven bound of the whole search is min(U, excluded, bounds of the nodes still open).
"""

from __future__ import annotations

import heapq
import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from placement.decomposition.classic import Classic, capacity_need
from placement.decomposition.dual import AscentResult, ascend
from placement.decomposition.primal import Candidate, LocalSearch, PrimalSolver
from placement.decomposition.relaxation import (
    Evaluator,
    Fixings,
    Relaxation,
    SubSolution,
    covering_knapsack,
)
from placement.milp.highs import stop_requested

ROOT_ITERATIONS = 3000
ROOT_PATIENCE = 100
ROOT_PROGRESS_SECONDS = 10.0  # a long root ascent (world scale: minutes) reports this often
NODE_ITERATIONS = 30
NODE_PATIENCE = 8
NODE_MIN_GAIN = 0.02  # a node's ascent stalls below this share of its gap per patience
HEURISTIC_EVERY = 150  # root iterations between Lagrangian heuristics
HEURISTIC_FROM = 300  # the first root iteration to try one at
NODE_HEURISTIC_EVERY = 5  # nodes between Lagrangian heuristics
NEAR_INCUMBENT = 2e-3  # a heuristic placement this close to U seeds a local search of its own
LOCAL_SEARCH_SHARE = 0.05  # of the time left, at most, per local search
LOCAL_MOVES = 40  # exact evaluations, at most, per local search
LOCAL_EVERY = 25  # nodes between local searches (after the incumbent improved)
LOCAL_TOTAL_SHARE = 0.15  # of the time limit, at most, in local searches overall
REPAIR_MARGINS = (1e-6, 0.05)  # spare open power over the aggregate need, tried in turn
DIVE_ITERATIONS = 25
DIVE_EVERY = 100  # nodes between dives
PLUNGE_DEPTH = 8  # children processed in a row before the best-first queue takes over
INTEGRAL = 1e-3
BRANCH_RULE = "capacity"  # fractional | capacity | fixed


@dataclass(order=True)
class _Node:
    bound: float
    order: int
    depth: int = field(compare=False)
    fix: Fixings = field(compare=False)
    lam: np.ndarray = field(compare=False)
    branch: tuple[int, bool] | None = field(default=None, compare=False)  # (site, opened)


@dataclass
class SearchStats:
    """Counters and times of one search."""

    root_seconds: float = 0.0
    root_iterations: int = 0
    root_bound: float = -math.inf
    search_seconds: float = 0.0
    heuristic_seconds: float = 0.0
    nodes: int = 0
    iterations: int = 0
    leaves_solved: int = 0
    fixed_open: int = 0
    fixed_closed: int = 0
    root_fixed_open: int = 0
    root_fixed_closed: int = 0
    max_open_nodes: int = 0
    dives: int = 0
    dive_seconds: float = 0.0
    screened: int = 0
    local_search_seconds: float = 0.0
    relaxed_training_sites: int = 0
    closed_later: int = 0  # sites closed for good after the root, as the incumbent improved


class Search:
    """One Lagrangian branch and bound over a model."""

    def __init__(
        self,
        data: Classic,
        rel: Relaxation,
        *,
        gap: float,
        deadline: float | None,
        seed: int = 0,
        progress: Callable[[str], None] | None = None,
    ):
        self.data = data
        self.rel = rel
        self.evaluator = Evaluator(rel)
        self.primal = PrimalSolver(data, seed=seed)
        self.gap = gap
        self.deadline = deadline
        self.started = time.perf_counter()
        self.say = progress or (lambda _m: None)
        self.incumbent: Candidate | None = None
        self.upper = math.inf
        self.excluded = math.inf
        self.stats = SearchStats()
        self.open_nodes: list[_Node] = []
        self._counter = itertools.count()
        self.infeasible = False
        self.finished = False
        self.local: LocalSearch | None = None
        self._pc_sum = np.zeros((2, rel.n_sites))
        self._pc_count = np.zeros((2, rel.n_sites))
        self.root_lam: np.ndarray | None = None
        self._improved_since_local = False
        # the root's forced-open bounds, to close more sites for good when U improves
        self._root_if_open: np.ndarray | None = None
        self._root_free: np.ndarray | None = None
        self._dropped: np.ndarray | None = None  # sites closed in every node (pairs dropped)

    # ------------------------------------------------------------------ bookkeeping
    @property
    def threshold(self) -> float:
        """Bounds at or above this exclude a node: U − gap·|U|, or without an incumbent the
        ceiling above which no feasible solution lies (such a node is infeasible)."""
        if not math.isfinite(self.upper):
            return self.rel.max_objective
        return self.upper - self.gap * abs(self.upper)

    def exclude(self, bound: float) -> None:
        """Remember the bound of a part of the search space given away (a bound above the
        ceiling proves that part infeasible: nothing to remember)."""
        if bound < self.upper and bound <= self.rel.max_objective:
            self.excluded = min(self.excluded, bound)

    @property
    def bound(self) -> float:
        """The proven lower bound of the whole search."""
        values = [self.upper, self.excluded]
        values += [node.bound for node in self.open_nodes]
        return min(values)

    def offer(self, candidate: Candidate | None) -> bool:
        if candidate is None or candidate.objective >= self.upper:
            return False
        self.incumbent, self.upper = candidate, candidate.objective
        self._improved_since_local = True
        self.say(f"incumbent {candidate.objective:,.2f}")
        self._close_for_good()
        return True

    def _close_for_good(self) -> None:
        """Close, in every node, the sites whose root forced-open bound reaches the threshold
        (which falls as U improves): the bound given away is excluded, their pairs dropped."""
        if self._root_if_open is None or self._root_free is None:
            return
        close = self._root_free & (self._root_if_open >= self.threshold)
        if self._dropped is not None:
            close &= ~self._dropped
        if not close.any():
            return
        self.exclude(float(self._root_if_open[close].min()))
        self._dropped = close if self._dropped is None else self._dropped | close
        self.stats.closed_later += int(close.sum())
        self.evaluator.restrict_sites(~self._dropped)
        self.primal.restrict_sites(~self._dropped)

    def _site_values(self, prices: np.ndarray) -> np.ndarray:
        """Lagrangian open values O_i at demand multipliers ``prices`` (the other
        multipliers as at the root's best)."""
        lam = (
            self.root_lam.copy() if self.root_lam is not None else np.zeros(self.rel.n_multipliers)
        )
        lam[: self.rel.n_regions] = prices
        return self.evaluator.evaluate(lam, Fixings.root(self.rel)).open_value

    def local_search(
        self, sub: SubSolution, candidates: np.ndarray, start: Candidate | None = None
    ) -> None:
        """Improve the incumbent (or ``start``, a near-incumbent placement) by add/drop/swap
        moves with its training kept."""
        if self.incumbent is None or self.time_left() <= 0:
            return
        if self.deadline is not None:
            total = self.deadline - self.started
            if self.stats.local_search_seconds > LOCAL_TOTAL_SHARE * total:
                return
        started = time.perf_counter()
        if self.local is None:
            self.local = LocalSearch(self.primal, candidates | self.incumbent.decisions.open)
        self._improved_since_local = False
        budget = time.perf_counter() + max(0.5, LOCAL_SEARCH_SHARE * self.time_left())
        deadline = budget if self.deadline is None else min(budget, self.deadline)
        d = (start or self.incumbent).decisions
        self.local.candidates |= d.open
        sites, cost = self.local.improve(
            d.open, d.train, self._site_values, deadline=deadline, max_evaluations=LOCAL_MOVES
        )
        if cost < self.upper - 1e-9 * abs(self.upper):
            self.primal.lp_cost(sites, d.train, self.deadline)
            self.offer(self.primal.lp_candidate(sites, d.train))
        self.stats.local_search_seconds += time.perf_counter() - started

    def time_left(self) -> float:
        """Seconds to the deadline; 0 once a stop was requested (Ctrl-C)."""
        if stop_requested():
            return 0.0
        return math.inf if self.deadline is None else self.deadline - time.perf_counter()

    # ------------------------------------------------------------------ heuristics
    def try_sites(self, open_sites: np.ndarray, sub: SubSolution | None = None) -> None:
        """Repair a site set into a feasible one and solve the placement restricted to it.

        With the subproblem of a node at hand, a set Y is skipped when the relaxation with
        exactly Y open, constant + Σ_{i∈Y} O_i, already reaches the incumbent (a screen
        only: it saves the LP, it proves nothing). A set whose LP is infeasible (local
        capacity short of what the aggregate row promised) is retried once with more spare
        capacity.
        """
        if self.time_left() <= 0:
            return
        started = time.perf_counter()
        for attempt, margin in enumerate(REPAIR_MARGINS):
            sites = repair(self.data, self.rel, open_sites, sub, margin=margin, local=attempt > 0)
            if sub is not None and self.rel.max_sites is None and math.isfinite(self.upper):
                values = sub.open_value[sites]
                if np.all(np.isfinite(values)) and sub.constant + float(values.sum()) >= self.upper:
                    self.stats.screened += 1
                    break
            if self.rel.max_sites is None or int(sites.sum()) <= self.rel.max_sites:
                preferred = None if sub is None else sub.train
                found = self.primal.quick(sites, preferred, deadline=self.deadline)
                near = found is not None and found.objective <= self.upper + NEAR_INCUMBENT * abs(
                    self.upper
                )
                if not self.offer(found) and near and sub is not None:
                    self.local_search(sub, sites, start=found)
                if found is not None or self.primal.lp_status != "infeasible":
                    break
            else:
                budget = max(1.0, 0.25 * self.time_left()) if self.deadline else None
                self.offer(
                    self.primal.solve(
                        sites,
                        incumbent=self.upper,
                        deadline=self.deadline,
                        time_limit=budget,
                        force_open=False,
                    )
                )
                break
        self.stats.heuristic_seconds += time.perf_counter() - started

    def dive(self, fix: Fixings, result: AscentResult) -> None:
        """Plunge from a node to a leaf following the primal estimate, for an incumbent.

        At each step sites with ȳ ≥ 0.99 are fixed open, ȳ ≤ 0.01 closed, reduced-cost
        fixing applies, and the most fractional site is rounded; a short ascent refreshes the
        estimate. The leaf (every site fixed) is solved exactly. Nothing is excluded from the
        search: a dive only looks for solutions.
        """
        started = time.perf_counter()
        self.stats.dives += 1
        fix = fix.copy()
        while self.time_left() > 0:
            if self._dropped is not None:  # closed for good meanwhile (a better incumbent)
                if np.any(fix.open_lo & self._dropped):
                    return
                fix.open_hi &= ~self._dropped
            free = fix.free_sites()
            avg = result.open_avg
            fix.open_lo |= free & (avg >= 0.99)
            fix.open_hi &= ~(free & (avg <= 0.01))
            if_open, if_closed = self.evaluator.fixing_bounds(result.sub, fix)
            free = fix.free_sites()
            fix.open_hi &= ~(free & (if_open >= self.threshold))
            free = fix.free_sites()
            fix.open_lo |= free & (if_closed >= self.threshold)
            free = np.flatnonzero(fix.free_sites())
            if not free.size:
                break
            pick = int(free[np.argmin(np.abs(avg[free] - 0.5))])
            if avg[pick] >= 0.5:
                fix.open_lo[pick] = True
            else:
                fix.open_hi[pick] = False
            if not fix.propagate(self.rel):
                break
            result = ascend(
                self.evaluator,
                result.lam,
                fix,
                target=self.upper,
                prune_at=self.threshold,
                max_iter=DIVE_ITERATIONS,
                patience=DIVE_ITERATIONS,
                deadline=self.deadline,
            )
            self.stats.iterations += result.iterations
            if result.status in ("infeasible", "pruned"):
                break
            self.try_sites(result.sub.open, result.sub)
        if not fix.free_sites().any() and fix.propagate(self.rel):
            self.offer(self.primal.solve(fix.open_lo, incumbent=self.upper, deadline=self.deadline))
        self.stats.dive_seconds += time.perf_counter() - started

    def round_estimate(self, result: AscentResult, fix: Fixings) -> None:
        for level in (0.5, 0.2, 0.8):
            sites = ((result.open_avg >= level) | fix.open_lo) & fix.open_hi
            self.try_sites(sites, result.sub)

    # ------------------------------------------------------------------ root
    def run_root(self, lam0: np.ndarray, *, max_iter: int = ROOT_ITERATIONS) -> AscentResult:
        """Root: ascent, Lagrangian heuristics, local search, a second ascent aimed at the
        incumbent, then the root node is processed (fixing, branching)."""
        started = time.perf_counter()
        fix = Fixings.root(self.rel)
        if not fix.propagate(self.rel):
            self.infeasible = True
            self.finished = True
            return None  # type: ignore[return-value]
        counter = itertools.count()
        best, last_said = -math.inf, started

        def hook(sub: SubSolution) -> None:
            nonlocal best, last_said
            it = next(counter)
            if it >= HEURISTIC_FROM and it % HEURISTIC_EVERY == 0:
                self.try_sites(sub.open, sub)
            if math.isfinite(sub.value):
                best = max(best, sub.value - sub.margin)
            if time.perf_counter() - last_said >= ROOT_PROGRESS_SECONDS:
                last_said = time.perf_counter()
                self.say(
                    f"root: Lagrangian bound {best:,.2f} after {it + 1} iterations, "
                    f"incumbent {self.upper:,.2f}"
                )

        result = ascend(
            self.evaluator,
            lam0,
            fix,
            target=None,
            prune_at=lambda: self.threshold,
            max_iter=max_iter,
            patience=ROOT_PATIENCE,
            min_improvement=1e-6,
            deadline=self.deadline,
            on_solution=hook,
        )
        self.stats.root_iterations = result.iterations
        self.stats.iterations += result.iterations
        if result.status == "infeasible":
            self.infeasible = True
            self.finished = True
            return result
        if result.bound < self.threshold:
            self.try_sites(result.sub.open, result.sub)
            self.round_estimate(result, fix)
            self.local_search(result.sub, fix.open_hi)
        if self.incumbent is None and result.bound < self.threshold:
            self.dive(fix, result)
        # a second ascent with the incumbent as the Polyak target polishes the root bound
        if result.bound < self.threshold and math.isfinite(self.upper) and self.time_left() > 0:
            again = ascend(
                self.evaluator,
                result.lam,
                fix,
                target=self.upper,
                prune_at=lambda: self.threshold,
                max_iter=max_iter,
                patience=ROOT_PATIENCE,
                min_improvement=1e-7,
                theta=max(result.theta, 0.01),
                deadline=self.deadline,
            )
            self.stats.iterations += again.iterations
            self.stats.root_iterations += again.iterations
            if again.bound >= result.bound:
                again.open_avg = 0.5 * (again.open_avg + result.open_avg)
                result = again
        self.stats.root_bound = result.bound
        self.root_lam = result.lam
        self.stats.root_seconds = time.perf_counter() - started
        self.stats.relaxed_training_sites = result.sub.relaxed_sites
        self.say(
            f"root: Lagrangian bound {result.bound:,.2f} after {self.stats.root_iterations} "
            f"iterations, incumbent {self.upper:,.2f}"
        )
        node = _Node(result.bound, next(self._counter), 0, fix, result.lam)
        self._process(node, result, root=True)
        return result

    # ------------------------------------------------------------------ tree
    def run_tree(self) -> None:
        started = time.perf_counter()
        plunge: _Node | None = None
        plunged = 0
        while self.open_nodes or plunge is not None:
            if self.time_left() <= 0:
                if plunge is not None:
                    heapq.heappush(self.open_nodes, plunge)
                break
            if plunge is not None:
                node, plunge = plunge, None
                plunged += 1
            else:
                node = heapq.heappop(self.open_nodes)
                plunged = 0
            if node.bound >= self.threshold:
                self.exclude(node.bound)
                continue
            if self._dropped is not None and np.any(node.fix.open_hi & self._dropped):
                node.fix.open_hi &= ~self._dropped
                if not node.fix.propagate(self.rel):
                    continue  # every solution left opens a closed site: excluded already
            self.stats.nodes += 1
            result = ascend(
                self.evaluator,
                node.lam,
                node.fix,
                target=self.upper,
                prune_at=self.threshold,
                max_iter=NODE_ITERATIONS,
                patience=NODE_PATIENCE,
                min_improvement=1e-5,
                min_gap_share=NODE_MIN_GAIN,
                deadline=self.deadline,
            )
            self.stats.iterations += result.iterations
            if result.status == "deadline" and result.bound < node.bound:
                heapq.heappush(self.open_nodes, node)
                break
            if node.branch is not None and result.status != "infeasible":
                self._learn(node.branch, max(result.bound - node.bound, 0.0))
            plunge = self._process(node, result, root=False, keep_child=plunged < PLUNGE_DEPTH)
            if self.stats.nodes % DIVE_EVERY == 0 and result.status != "pruned":
                self.dive(node.fix, result)
            if self._improved_since_local and self.stats.nodes % LOCAL_EVERY == 0:
                self.local_search(
                    result.sub, self.local.candidates if self.local else node.fix.open_hi
                )
            if self.stats.nodes % 50 == 0:
                self.say(
                    f"{self.stats.nodes} nodes, {len(self.open_nodes)} open, bound "
                    f"{self.bound:,.2f}, incumbent {self.upper:,.2f}"
                )
        self.finished = not self.open_nodes
        self.stats.search_seconds += time.perf_counter() - started

    def _process(
        self, node: _Node, result: AscentResult, *, root: bool, keep_child: bool = False
    ) -> _Node | None:
        """Bound, fix, branch. With ``keep_child`` the child that the primal estimate
        prefers is returned (to be processed next: a plunge) instead of queued."""
        if result.status == "infeasible":
            return None
        bound = max(node.bound, result.bound)
        if bound >= self.threshold:
            self.exclude(bound)
            return None
        fix = node.fix.copy()
        if not root and self.stats.nodes % NODE_HEURISTIC_EVERY == 1:
            self.try_sites(result.sub.open, result.sub)
        fixed = self._fix_sites(fix, result)
        if fixed is None:
            return None
        if_open, if_closed = fixed
        if root:
            self.stats.root_fixed_closed = int((node.fix.open_hi & ~fix.open_hi).sum())
            self.stats.root_fixed_open = int((fix.open_lo & ~node.fix.open_lo).sum())
            # every node below keeps the sites closed here closed: their pairs can go
            self.evaluator.restrict_sites(fix.open_hi)
            self.primal.restrict_sites(fix.open_hi)
            self._root_if_open, self._root_free = if_open, fix.free_sites()
            self._dropped = ~fix.open_hi
        choice = self._branching_variable(fix, result)
        if choice is None:
            self._solve_leaf(fix, bound)
            return None
        kind, index = choice
        avg = {"open": result.open_avg, "liquid": result.liquid_avg, "train": result.train_avg}
        preferred = bool(avg[kind][index] >= 0.5)
        kept: _Node | None = None
        for value in (True, False):
            child = fix.copy()
            if kind == "open":
                (child.open_lo if value else child.open_hi)[index] = value
            elif kind == "liquid":
                (child.liquid_lo if value else child.liquid_hi)[index] = value
            else:
                (child.train_lo if value else child.train_hi)[index] = value
            if not child.propagate(self.rel):
                continue
            new = _Node(bound, next(self._counter), node.depth + 1, child, result.lam)
            if kind == "open":
                new.branch = (index, value)
                # the child's selection re-solved at these multipliers already bounds it
                new.bound = max(bound, float((if_open if value else if_closed)[index]))
            if keep_child and value == preferred:
                kept = new
            else:
                heapq.heappush(self.open_nodes, new)
        self.stats.max_open_nodes = max(self.stats.max_open_nodes, len(self.open_nodes))
        return kept

    def _fix_sites(
        self, fix: Fixings, result: AscentResult
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Reduced-cost fixing of sites in ``fix`` (in place): a site whose forced-open
        (closed) bound reaches the threshold is closed (opened), the bound given away is
        excluded. Returns the fixing bounds, or None when the node is settled."""
        if_open, if_closed = self.evaluator.fixing_bounds(result.sub, fix)
        free = fix.free_sites()
        close = free & (if_open >= self.threshold)
        force = free & (if_closed >= self.threshold)
        if np.any(close & force):
            self.exclude(float(np.minimum(if_open, if_closed)[close & force].min()))
            return None
        if close.any():
            self.exclude(float(if_open[close].min()))
            fix.open_hi[close] = False
        if force.any():
            self.exclude(float(if_closed[force].min()))
            fix.open_lo[force] = True
        self.stats.fixed_closed += int(close.sum())
        self.stats.fixed_open += int(force.sum())
        if not fix.propagate(self.rel):
            return None
        return if_open, if_closed

    def _learn(self, branch: tuple[int, bool], gain: float) -> None:
        """Pseudo-costs: the bound gained by opening / closing each site, averaged."""
        site, opened = branch
        side = 1 if opened else 0
        self._pc_sum[side, site] += gain
        self._pc_count[side, site] += 1

    def _pseudo_score(self, free: np.ndarray, avg: np.ndarray) -> np.ndarray:
        """Product score of the expected gains of both children (unknown sites: the mean)."""
        known = self._pc_count > 0
        cost = np.where(known, self._pc_sum / np.maximum(self._pc_count, 1), np.nan)
        for side in (0, 1):
            seen = cost[side][known[side]]
            fill = float(seen.mean()) if seen.size else 1.0
            cost[side] = np.where(known[side], cost[side], fill)
        down = cost[0, free] * avg[free]
        up = cost[1, free] * (1.0 - avg[free])
        eps = 1e-6 * max(float(np.nanmax(cost)), 1e-12)
        return np.maximum(down, eps) * np.maximum(up, eps)

    def _branching_variable(self, fix: Fixings, result: AscentResult) -> tuple[str, int] | None:
        """The free binary whose primal estimate is closest to ½: sites first, then liquid
        cooling, then training pairs — training first under a carbon cap, whose dualised
        row couples the (large, binary) training emissions."""
        candidates = [
            ("open", np.flatnonzero(fix.free_sites()), result.open_avg),
            (
                "liquid",
                np.flatnonzero(fix.liquid_hi & ~fix.liquid_lo & fix.open_lo),
                result.liquid_avg,
            ),
            ("train", np.flatnonzero(fix.train_hi & ~fix.train_lo), result.train_avg),
        ]
        if self.rel.carbon_cap is not None:
            candidates = [candidates[2], candidates[0], candidates[1]]
        for kind, free, avg in candidates:
            if free.size:
                score = np.minimum(avg[free], 1.0 - avg[free])
                if kind == "open" and BRANCH_RULE == "pseudo" and self._pc_count.sum() >= 8:
                    score = self._pseudo_score(free, avg) * (score > INTEGRAL)
                elif kind == "open" and BRANCH_RULE in ("capacity", "pseudo"):
                    score = score * _finite(self.rel.power)[free]
                elif kind == "open" and BRANCH_RULE == "fixed":
                    score = score * self.rel.fixed[free]
                return kind, int(free[np.argmax(score)])
        return None

    def _solve_leaf(self, fix: Fixings, bound: float) -> None:
        """Every binary is fixed: open sites, liquid cooling, the one pair of each cluster.
        What is left is the inference LP with the leaf's liquid decisions (inference that
        needs liquid only where it is installed), solved exactly by the warm LP: its value
        closes the leaf."""
        self.stats.leaves_solved += 1
        sites, train = fix.open_lo.copy(), fix.train_lo.copy()
        liquid = fix.liquid_lo & sites  # fixed at a leaf: the cost of exactly this leaf
        value = self.primal.lp_cost(sites, train, self.deadline, liquid=liquid)
        if math.isfinite(value):
            self.offer(self.primal.lp_candidate(sites, train, liquid=liquid))
            self.exclude(max(bound, value - 1e-9 * abs(value)))
        elif self.primal.lp_status != "infeasible":
            self.exclude(bound)  # not settled (time): keep what the node proved


def repair(
    data: Classic,
    rel: Relaxation,
    open_sites: np.ndarray,
    sub: SubSolution | None,
    *,
    margin: float = 1e-6,
    local: bool = False,
) -> np.ndarray:
    """Add sites to ``open_sites`` until every hard region and every cluster has an open
    eligible site and the open power covers the aggregate need times 1 + ``margin`` (by a
    cheap cover of the Lagrangian open values O_i). With ``local``, the regions whose
    cheapest open site would be overloaded if every region went to its cheapest open site
    also get their best closed site (lowest O_i) opened: capacity where it is short."""
    sites = open_sites & rel.open_ub | rel.open_lb
    value = sub.open_value if sub is not None else rel.fixed
    value = np.where(np.isfinite(value), value, np.inf)
    sv = data.serving
    if data.unserved_cost is None and len(sv):
        covered = np.zeros(data.n_regions, dtype=bool)
        covered[sv.other[sites[sv.site]]] = True
        if not covered.all():
            pairs = np.flatnonzero(~covered[sv.other] & rel.open_ub[sv.site])
            order = pairs[np.lexsort((value[sv.site[pairs]], sv.other[pairs]))]
            first = np.r_[True, sv.other[order][1:] != sv.other[order][:-1]]
            sites[sv.site[order[first]]] = True
    tr = data.training
    if data.n_clusters:
        placed = np.zeros(data.n_clusters, dtype=bool)
        placed[tr.other[sites[tr.site]]] = True
        if not placed.all():
            pairs = np.flatnonzero(~placed[tr.other] & rel.open_ub[tr.site])
            order = pairs[np.lexsort((value[tr.site[pairs]], tr.other[pairs]))]
            first = np.r_[True, tr.other[order][1:] != tr.other[order][:-1]]
            sites[tr.site[order[first]]] = True
    need = capacity_need(data)
    if need > 0:
        power = np.minimum(rel.power, 2.0 * need)  # a cloud facility: P = ∞
        have = float(power[sites].sum())
        if have < need * (1 + margin):
            rest = np.flatnonzero(~sites & rel.open_ub & np.isfinite(value))
            if float(power[rest].sum()) + have < need * (1 + margin):
                return sites | rel.open_ub
            _, chosen = covering_knapsack(
                np.maximum(value[rest], 0.0),
                power[rest],
                need * (1 + margin) - have,
                exact=False,
            )
            sites[rest[chosen]] = True
    if local and len(sv):
        cost = np.where(sites[sv.site], sv.cost, np.inf)
        best = np.full(data.n_regions, np.inf)
        np.minimum.at(best, sv.other, cost)
        at = np.flatnonzero(np.isfinite(cost) & (cost <= best[sv.other]))
        load = np.bincount(sv.site[at], sv.facility_mw[at], minlength=data.n_sites)
        short = load > rel.power
        stressed = np.zeros(data.n_regions, dtype=bool)
        stressed[sv.other[at[short[sv.site[at]]]]] = True
        pairs = np.flatnonzero(stressed[sv.other] & ~sites[sv.site] & rel.open_ub[sv.site])
        if pairs.size:  # (every eligible site may be open already: nothing to add)
            order = pairs[np.lexsort((value[sv.site[pairs]], sv.other[pairs]))]
            first = np.r_[True, sv.other[order][1:] != sv.other[order][:-1]]
            sites[sv.site[order[first]]] = True
    return sites


def _finite(values: np.ndarray) -> np.ndarray:
    """``values`` with ±inf (a cloud facility's power) replaced by the largest finite one."""
    finite = np.isfinite(values)
    top = float(values[finite].max(initial=1.0)) if finite.any() else 1.0
    return np.where(finite, values, top)
