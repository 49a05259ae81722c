"""Dual ascent on the Lagrangian multipliers: the volume algorithm.

The Lagrangian dual max_λ L(λ) is concave and non-smooth. The volume algorithm (Barahona and
Anbil, Math. Programming 2000) is a subgradient method whose direction is the violation of an
*average* ḡ of the subproblem solutions instead of the last one:

    λ ← λ̂ + s ḡ,    s = θ (T − L̂) / ‖ḡ‖²                 (Polyak step toward a target T)
    ḡ ← α g + (1 − α) ḡ,   α ∈ [α_max/10, α_max] minimising ‖α g + (1 − α) ḡ‖
    λ̂, L̂ ← λ, L(λ)  when L(λ) > L̂   (a serious step; θ grows after "green" steps)
    θ ← 0.66 θ       after ``RED_STEPS`` consecutive non-improving steps

The averaged subproblem solutions (ȳ for sites, liquid, training) approximate a primal
solution of the relaxation's convex hull — the branch-and-bound branches on them — and every
L(λ) evaluated is a valid lower bound, so the method may stop at any time.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from placement.decomposition.relaxation import Evaluator, Fixings, SubSolution
from placement.milp.highs import stop_requested

RED_STEPS = 20
THETA_GROWTH = 1.1
THETA_SHRINK = 0.66
THETA_MAX = 2.0
THETA_MIN = 1e-7
ALPHA_MAX = 0.1


@dataclass
class AscentResult:
    """Best multipliers found, the subproblem solution there and the primal estimates."""

    lam: np.ndarray
    sub: SubSolution
    bound: float  # proven: sub.value − sub.margin (−inf if nothing evaluated)
    open_avg: np.ndarray
    liquid_avg: np.ndarray
    train_avg: np.ndarray
    iterations: int
    status: str  # pruned | infeasible | converged | stalled | limit | deadline
    theta: float
    seconds: float


def ascend(
    evaluator: Evaluator,
    lam0: np.ndarray,
    fix: Fixings,
    *,
    target: float | None,
    prune_at: float | Callable[[], float] | None,
    max_iter: int,
    patience: int,
    min_improvement: float = 1e-6,
    min_gap_share: float | None = None,
    theta: float = 0.1,
    deadline: float | None = None,
    on_solution=None,
) -> AscentResult:
    """Run the volume algorithm from ``lam0`` at a node with fixings ``fix``.

    Args:
        target: an upper bound (incumbent value) used as the Polyak target, or None (then
            1 % above the best value so far).
        prune_at: stop as soon as the proven bound reaches this value (status ``pruned``);
            a callable is re-read at every iteration (the incumbent may improve meanwhile).
        max_iter: iteration budget.
        patience: stop (``stalled``) when the best value has not improved by more than
            ``min_improvement`` (relative) over this many iterations — or, with
            ``min_gap_share`` and a ``target``, by more than that share of the gap left
            between the target and the bound (what matters for pruning).
        on_solution: called with each subproblem solution (e.g. to try a heuristic on it).
    """
    started = time.perf_counter()
    limit = prune_at if callable(prune_at) else (lambda: prune_at)
    rel = evaluator.rel
    nonneg = rel.nonnegative
    lam = np.array(lam0, dtype=float, copy=True)
    lam[nonneg] = np.maximum(lam[nonneg], 0.0)
    sub = evaluator.evaluate(lam, fix)
    best_lam, best = lam, sub
    if not math.isfinite(sub.value):
        return _result(best_lam, best, sub, 1, "infeasible", theta, started)
    g_avg = sub.subgradient.copy()
    open_avg = sub.open.astype(float)
    liquid_avg = sub.liquid.astype(float)
    train_avg = sub.train.astype(float)
    if on_solution is not None:
        on_solution(sub)
    reds = 0
    history_value = sub.value
    history_at = 0
    status = "limit"
    iterations = 1
    for it in range(1, max_iter):
        stop = limit()
        if stop is not None and best.bound >= stop:
            status = "pruned"
            break
        if (deadline is not None and time.perf_counter() > deadline) or stop_requested():
            status = "deadline"
            break
        g_lam = _projected(g_avg, best_lam, nonneg)
        norm = float(g_lam @ g_lam)
        if norm <= 1e-18:
            status = "converged"
            break
        goal = _target(best.value, target)
        step = theta * max(goal - best.value, 1e-12 * max(abs(best.value), 1.0)) / norm
        lam = best_lam + step * g_lam
        lam[nonneg] = np.maximum(lam[nonneg], 0.0)
        sub = evaluator.evaluate(lam, fix)
        iterations += 1
        if not math.isfinite(sub.value):
            # infeasible subproblem at these multipliers: the node itself is infeasible
            return _result(lam, sub, sub, iterations, "infeasible", theta, started)
        if on_solution is not None:
            on_solution(sub)
        g = sub.subgradient
        diff = g - g_avg
        dd = float(diff @ diff)
        alpha = ALPHA_MAX
        if dd > 0:
            alpha = min(ALPHA_MAX, max(ALPHA_MAX / 10, -float(g_avg @ diff) / dd))
        green = float(g @ g_avg) >= 0
        g_avg = alpha * g + (1 - alpha) * g_avg
        open_avg = alpha * sub.open + (1 - alpha) * open_avg
        liquid_avg = alpha * sub.liquid + (1 - alpha) * liquid_avg
        train_avg = alpha * sub.train + (1 - alpha) * train_avg
        if sub.value > best.value:
            best_lam, best = lam, sub
            reds = 0
            if green:
                theta = min(theta * THETA_GROWTH, THETA_MAX)
        else:
            reds += 1
            if reds >= RED_STEPS:
                theta *= THETA_SHRINK
                reds = 0
        if theta < THETA_MIN:
            status = "stalled"
            break
        if it - history_at >= patience:
            needed = min_improvement * max(abs(best.value), 1.0)
            if min_gap_share is not None and target is not None and math.isfinite(target):
                needed = min_gap_share * max(target - best.value, 0.0)
            if best.value - history_value <= needed:
                status = "stalled"
                break
            history_value, history_at = best.value, it
    stop = limit()
    if stop is not None and best.bound >= stop:
        status = "pruned"
    result = _result(best_lam, best, sub, iterations, status, theta, started)
    result.open_avg, result.liquid_avg, result.train_avg = open_avg, liquid_avg, train_avg
    return result


def _projected(g: np.ndarray, lam: np.ndarray, nonneg: np.ndarray) -> np.ndarray:
    """Zero the components that would push a multiplier at 0 below 0."""
    if not nonneg.any():
        return g
    out = g.copy()
    stuck = nonneg & (lam <= 0) & (g < 0)
    out[stuck] = 0.0
    return out


def _target(best: float, target: float | None) -> float:
    fallback = best + 0.01 * max(abs(best), 1.0)
    if target is None or not math.isfinite(target):
        return fallback
    if target <= best:
        # the incumbent is (nearly) proven: aim a little above to keep moving
        return best + 1e-6 * max(abs(best), 1.0)
    return min(target, fallback)


def _result(
    lam: np.ndarray,
    best: SubSolution,
    last: SubSolution,
    iterations: int,
    status: str,
    theta: float,
    started: float,
) -> AscentResult:
    return AscentResult(
        lam=lam,
        sub=best,
        bound=best.bound if math.isfinite(best.value) else math.inf,
        open_avg=last.open.astype(float),
        liquid_avg=last.liquid.astype(float),
        train_avg=last.train.astype(float),
        iterations=iterations,
        status=status,
        theta=theta,
        seconds=time.perf_counter() - started,
    )
