"""Which solver runs a :class:`LinearModel`: HiGHS through highspy, the rest through MathOpt.

``SOLVERS`` are the MILP solvers (``highs``, ``scip``, ``cpsat``: CP-SAT rounds continuous
variables, so callers allow it only on all-integer models); ``LP_SOLVERS`` may solve linear
relaxations (``highs``, ``glop``, ``pdlp``). Unknown names fail at once, before any model is
built or encoded.
"""

from __future__ import annotations

from dataclasses import replace

from placement.errors import SolverOptionError
from placement.milp import mathopt
from placement.milp.highs import HighsSolver
from placement.milp.linear_model import LinearModel
from placement.milp.solution import RawSolution, SolveParams

SOLVERS: tuple[str, ...] = ("highs", "scip", "cpsat")
LP_SOLVERS: tuple[str, ...] = ("highs", "glop", "pdlp")

__all__ = [
    "LP_SOLVERS",
    "SOLVERS",
    "SolveParams",
    "check_lp_solver",
    "check_solver",
    "solve_model",
]


def check_solver(solver: str) -> None:
    """Raise :class:`SolverOptionError` unless ``solver`` is a MILP solver."""
    if solver not in SOLVERS:
        raise SolverOptionError(f"solver = {solver!r}: unknown; choose one of {', '.join(SOLVERS)}")


def check_lp_solver(solver: str) -> None:
    """Raise :class:`SolverOptionError` unless ``solver`` can solve linear relaxations."""
    if solver not in LP_SOLVERS and solver not in SOLVERS:
        raise SolverOptionError(
            f"solver = {solver!r}: unknown; for a relaxation choose one of "
            f"{', '.join(dict.fromkeys((*LP_SOLVERS, *SOLVERS)))}"
        )


def solve_model(
    model: LinearModel, solver: str, params: SolveParams, *, relax: bool = False
) -> RawSolution:
    """Solve ``model`` (its LP relaxation when ``relax``); solver trouble is a termination."""
    if relax:
        check_lp_solver(solver)
    else:
        check_solver(solver)
    if solver == "highs":
        highs = HighsSolver(model, params)
        raw = highs.solve_lp(params) if relax else highs.solve_mip(params)
        return _with_handoff(raw, highs.encode_seconds)
    return mathopt.solve(model, solver, params, relax=relax)


def _with_handoff(raw: RawSolution, seconds: float) -> RawSolution:
    return replace(raw, handoff_seconds=raw.handoff_seconds + seconds)
