"""Solution methods: how a built model is proved, within the solve's deadline.

``milp`` with HiGHS first tries the LP branch and bound (:mod:`placement.milp.lp_branch`) on the
model encoded once into HiGHS, for at most :data:`LP_BRANCH_TIME_SHARE` of the time left and
:data:`LP_BRANCH_MAX_SECONDS`, then hands the same encoded model to HiGHS's branch and cut with
the time that is left. Other solvers get the model directly. ``auto`` picks by the model's size
and structure (today: ``milp``).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass

from placement.formulations import Built
from placement.milp import lp_branch, mathopt
from placement.milp.highs import HighsSolver
from placement.milp.solution import RawSolution, SolveParams
from placement.solving.options import SolveOptions

# The LP branch and bound may use half the time left and at most 10 s; the MIP solver gets the
# rest. Max-value scaling is not faster on every model (measured: us_default root LP 1.1 s vs
# 33 s with HiGHS's default scaling, but a synthetic 60x3000 model 24.5 s vs 12.1 s), so the
# cap bounds what a model that does not suit it can lose, and a root too big to finish still
# leaves HiGHS time for its heuristics and an incumbent.
LP_BRANCH_TIME_SHARE = 0.5
LP_BRANCH_MAX_SECONDS = 10.0

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Outcome:
    """A raw solution and the method that produced (and proved) it."""

    raw: RawSolution
    method: str


def run(
    built: Built, options: SolveOptions, *, deadline: float | None, progress: Progress
) -> Outcome:
    """Solve ``built`` as ``options`` say, returning by ``deadline``."""
    params = SolveParams(
        gap=options.gap,
        threads=options.threads,
        seed=options.seed,
        log=options.log,
        deadline=deadline,
    )
    if options.solver != "highs":
        return Outcome(mathopt.solve(built.model, options.solver, params), "milp")
    return _highs(built, options, params, progress)


def _highs(built: Built, options: SolveOptions, params: SolveParams, say: Progress) -> Outcome:
    highs = HighsSolver(built.model, params)
    started = time.perf_counter()
    if options.lp_nodes > 0:
        lp_params = dataclasses.replace(params, deadline=_lp_branch_deadline(params.deadline))
        raw = lp_branch.solve(highs, lp_params, max_nodes=options.lp_nodes, progress=say)
        if raw is not None:
            return Outcome(_timed(raw, 0.0, highs.encode_seconds), "lp_branch_and_bound")
        say(
            "solving with HiGHS branch and cut after "
            f"{time.perf_counter() - started:.1f} s of LP branch and bound"
        )
    spent = time.perf_counter() - started
    raw = highs.solve_mip(params)
    # the LP branch and bound that handed over counts as solving time
    return Outcome(_timed(raw, spent, highs.encode_seconds), "milp")


def _lp_branch_deadline(deadline: float | None) -> float:
    now = time.perf_counter()
    if deadline is None:
        return now + LP_BRANCH_MAX_SECONDS
    return now + min(LP_BRANCH_TIME_SHARE * max(deadline - now, 0.0), LP_BRANCH_MAX_SECONDS)


def _timed(raw: RawSolution, extra_solve: float, handoff: float) -> RawSolution:
    return dataclasses.replace(
        raw,
        solve_seconds=raw.solve_seconds + extra_solve,
        handoff_seconds=raw.handoff_seconds + handoff,
    )
