"""Solution methods: how a built model is proved, within the solve's deadline.

``milp`` with HiGHS first tries the LP branch and bound (:mod:`placement.milp.lp_branch`) on the
model encoded once into HiGHS, for at most :data:`LP_BRANCH_TIME_SHARE` of the time left (its
nodes after the root LP at most :data:`LP_BRANCH_MAX_SECONDS`), then hands the same encoded
model to HiGHS's branch and cut with the time that is left. Other solvers get the model
directly. ``auto`` picks by the model's size and structure (today: ``milp``).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass

from placement.formulations import Built
from placement.milp import lp_branch, mathopt
from placement.milp.highs import HighsSolver
from placement.milp.solution import RawSolution, SolveParams, Termination
from placement.solving.options import SolveOptions

# The LP branch and bound may use half the time left, and its nodes after the root at most 10 s;
# the MIP solver gets the rest. Max-value scaling is not faster on every model (measured:
# us_default root LP 1.1 s vs 33 s with HiGHS's default scaling, but a synthetic 60x3000 model
# 24.5 s vs 12.1 s), so the cap bounds what branching on a model that does not suit it can lose.
# The root LP itself is not capped: HiGHS's MIP would have to solve the same relaxation again
# from scratch with its slower scaling. Measured on 2 cores at load 4, 1 thread: us_default
# 5.9 s instead of 143.6 s (a 10 s cap had cut its root off; 1.5 s idle); the price, on the
# synthetic 60x3000 model whose root suits HiGHS's scaling better, 113.5 s instead of 76.3 s.
LP_BRANCH_TIME_SHARE = 0.5
LP_BRANCH_MAX_SECONDS = 10.0

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Outcome:
    """A raw solution and the method that produced (and proved) it."""

    raw: RawSolution
    method: str


def run(
    built: Built,
    options: SolveOptions,
    *,
    deadline: float | None,
    progress: Progress,
    lp_branch_seconds: float = LP_BRANCH_MAX_SECONDS,
    lp_branch_share: float = LP_BRANCH_TIME_SHARE,
) -> Outcome:
    """Solve ``built`` as ``options`` say, returning by ``deadline``; the LP branch and bound
    (HiGHS) gets ``lp_branch_share`` of the time left, its nodes after the root LP at most
    ``lp_branch_seconds``."""
    params = SolveParams(
        gap=options.gap,
        threads=options.threads,
        seed=options.seed,
        log=options.log,
        deadline=deadline,
    )
    if options.solver != "highs":
        return Outcome(mathopt.solve(built.model, options.solver, params), "milp")
    return _highs(built, options, params, progress, (lp_branch_seconds, lp_branch_share))


def _highs(
    built: Built,
    options: SolveOptions,
    params: SolveParams,
    say: Progress,
    lp_budget: tuple[float, float] = (LP_BRANCH_MAX_SECONDS, LP_BRANCH_TIME_SHARE),
) -> Outcome:
    highs = HighsSolver(built.model, params)
    started = time.perf_counter()
    handover = None
    if options.lp_nodes > 0:
        node_seconds, share = lp_budget
        lp_params = dataclasses.replace(params, deadline=_share(params.deadline, share))
        found = lp_branch.solve(
            highs, lp_params, max_nodes=options.lp_nodes, node_seconds=node_seconds, progress=say
        )
        if isinstance(found, RawSolution):
            return Outcome(_timed(found, 0.0, highs.encode_seconds), "lp_branch_and_bound")
        handover = found
        say(
            "solving with HiGHS branch and cut after "
            f"{time.perf_counter() - started:.1f} s of LP branch and bound"
            + ("" if handover.values is None else f" (start {handover.objective:,.0f})")
        )
    spent = time.perf_counter() - started
    start = None if handover is None else handover.values
    raw = highs.solve_mip(params, start=start)
    if handover is not None:
        raw = _with_handover(raw, handover, params.gap)
    # the LP branch and bound that handed over counts as solving time
    return Outcome(_timed(raw, spent, highs.encode_seconds), "milp")


def _with_handover(raw: RawSolution, handover: lp_branch.Handover, gap: float) -> RawSolution:
    """The MIP's answer with what the LP branch and bound proved before it: the better
    incumbent and the larger of the two valid lower bounds (optimal when they meet)."""
    if raw.termination in (Termination.INFEASIBLE, Termination.OPTIMAL, Termination.ERROR):
        return raw
    values, objective = raw.values, raw.objective
    if handover.values is not None and (objective is None or handover.objective < objective):
        values, objective = handover.values, handover.objective
    bounds = [b for b in (raw.bound, handover.bound) if b is not None]
    bound = max(bounds) if bounds else None
    if objective is None:
        return dataclasses.replace(raw, bound=bound)
    # a stop request (Ctrl-C) during the MIP stays visible as such
    interrupted = raw.termination is Termination.INTERRUPTED
    termination = Termination.INTERRUPTED if interrupted else Termination.FEASIBLE
    detail = raw.detail
    if bound is not None and objective - bound <= max(gap * abs(objective), 1e-9):
        termination, detail = Termination.OPTIMAL, "proved by LP branch and bound and HiGHS"
    return dataclasses.replace(
        raw,
        termination=termination,
        detail=detail,
        values=values,
        objective=objective,
        bound=bound if bound is None else min(bound, objective),
    )


def _share(deadline: float | None, share: float) -> float | None:
    """``share`` of the time left before ``deadline`` (None: no deadline)."""
    if deadline is None:
        return None
    now = time.perf_counter()
    return now + share * max(deadline - now, 0.0)


def _timed(raw: RawSolution, extra_solve: float, handoff: float) -> RawSolution:
    return dataclasses.replace(
        raw,
        solve_seconds=raw.solve_seconds + extra_solve,
        handoff_seconds=raw.handoff_seconds + handoff,
    )
