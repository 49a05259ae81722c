"""SCIP, CP-SAT, GLOP and PDLP through OR-Tools MathOpt's public Python API.

The model reaches MathOpt as a ``ModelProto`` encoded straight from numpy arrays
(:mod:`placement.milp.proto_wire`; ``benchmarks/encoding.py`` measures why: building the same
model through MathOpt's Python objects costs about a microsecond per coefficient), is loaded
with the public ``mathopt.Model.from_model_proto`` and solved with ``mathopt.solve``. A
``SolveInterrupter`` stops the solver at the caller's deadline; SCIP honours it only after its
presolve and root LP, so the call runs through :mod:`placement.milp.watchdog` and a solve still
running a moment past the deadline is left behind (``no_solution``: MathOpt reports nothing
before it returns).
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import numpy as np
from ortools.math_opt import model_pb2
from ortools.math_opt.python import mathopt
from ortools.math_opt.solvers.gscip import gscip_pb2
from ortools.util.python.solve_interrupter import SolveInterrupter

from placement.milp.linear_model import LinearModel
from placement.milp.proto_wire import model_proto_bytes
from placement.milp.solution import RawSolution, SolveParams, Termination
from placement.milp.watchdog import SETTLE_SECONDS, run_until

SOLVER_TYPES: dict[str, mathopt.SolverType] = {
    "scip": mathopt.SolverType.GSCIP,
    "cpsat": mathopt.SolverType.CP_SAT,
    "glop": mathopt.SolverType.GLOP,
    "pdlp": mathopt.SolverType.PDLP,
}
LP_ONLY = ("glop", "pdlp")
SEEDED = ("scip", "cpsat", "glop")  # PDLP refuses a random seed
ABSOLUTE_GAP = 1e-9
# SCIP's feasibility tolerance, which is also its integrality tolerance. At SCIP's default
# (1e-6) a binary may sit at 1e-6 while a big-M row such as Σ demand·x ≤ capacity·y lets real
# load through: on the weak formulation SCIP "opened" a 140 MW site at 8.8e-7 to serve 10 % of
# a small region (benchmarks/volume.py, seed 731), an answer verify rejects. One order tighter
# closes that case; much tighter is unsafe: at 1e-9 SCIP proved a wrong optimum, 0.27 % too
# high (seed 245). The OR-Library instances solve as fast either way.
SCIP_FEASIBILITY_TOLERANCE = 1e-7

_REASON = mathopt.TerminationReason
_TERMINATION = {
    _REASON.OPTIMAL: Termination.OPTIMAL,
    _REASON.FEASIBLE: Termination.FEASIBLE,
    _REASON.INFEASIBLE: Termination.INFEASIBLE,
    _REASON.INFEASIBLE_OR_UNBOUNDED: Termination.INFEASIBLE,
    _REASON.NO_SOLUTION_FOUND: Termination.NO_SOLUTION,
}


def to_proto(model: LinearModel, *, relax: bool = False) -> model_pb2.ModelProto:
    """The MathOpt ``ModelProto`` of a linear model (``relax`` drops integrality)."""
    return model_pb2.ModelProto.FromString(model_proto_bytes(model, relax=relax))


def to_model(model: LinearModel, *, relax: bool = False) -> mathopt.Model:
    """The MathOpt model of a linear model, through the public ``Model.from_model_proto``."""
    return mathopt.Model.from_model_proto(to_proto(model, relax=relax))


def solve(
    model: LinearModel, solver: str, params: SolveParams, *, relax: bool = False
) -> RawSolution:
    """Solve with a MathOpt backend; solver trouble is a termination, never an exception.

    The hand-off (the ``ModelProto``, then MathOpt's ``Model``) runs in the watched thread and
    skips the solve when the deadline passed during it. ``Model.from_model_proto`` holds the GIL
    (8.3 s for 1.2 M variables, random CFLP 300×4000), so on models that large the caller
    regains control only after it: the one place a time limit can be late by seconds
    (``benchmarks/overrun.py``)."""
    interrupter = SolveInterrupter()
    timer = _interrupt_at(params.deadline, interrupter)
    outcome: dict[str, object] = {}

    def call() -> None:
        started = time.perf_counter()
        try:
            opt_model = to_model(model, relax=relax)
            outcome["model"], outcome["handoff"] = opt_model, time.perf_counter() - started
            if interrupter.interrupted:  # left behind during the hand-off: stop here
                return
            outcome["result"] = mathopt.solve(
                opt_model,
                SOLVER_TYPES[solver],
                params=_parameters(solver, params),
                interrupter=interrupter,
            )
        # A solver that refuses the model or its parameters raises RuntimeError or ValueError;
        # in OR-Tools 9.15 the conversion of some refusals itself fails with AttributeError.
        except (RuntimeError, ValueError, AttributeError) as exc:
            outcome["refused"] = exc
        except BaseException as exc:  # handed to the waiting thread, which re-raises it
            outcome["error"] = exc

    started = time.perf_counter()
    try:
        finished = run_until(
            call, params.deadline, name=f"placement-{solver}", on_abandon=interrupter.interrupt
        )
    finally:
        if timer is not None:
            timer.cancel()
    handoff = float(outcome.get("handoff", 0.0))  # type: ignore[arg-type]
    elapsed = time.perf_counter() - started - handoff
    if not finished:
        detail = (
            f"{solver} had not stopped {SETTLE_SECONDS:g} s after the deadline (it finishes "
            "its presolve and root LP before it stops), so it was left to finish in the "
            "background with nothing to report"
        )
        return RawSolution(Termination.NO_SOLUTION, detail, None, None, None, elapsed, handoff)
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    if "refused" in outcome:
        return RawSolution(
            Termination.ERROR, f"{solver}: {outcome['refused']}", None, None, None, elapsed, handoff
        )
    if "result" not in outcome:
        detail = f"the deadline passed while the model was handed to {solver}"
        return RawSolution(Termination.NO_SOLUTION, detail, None, None, None, elapsed, handoff)
    return _read(outcome["result"], outcome["model"], elapsed, handoff)  # type: ignore[arg-type]


def _interrupt_at(deadline: float | None, interrupter: SolveInterrupter) -> threading.Timer | None:
    if deadline is None:
        return None
    timer = threading.Timer(max(deadline - time.perf_counter(), 0.0), interrupter.interrupt)
    timer.daemon = True
    timer.start()
    return timer


def _parameters(solver: str, params: SolveParams) -> mathopt.SolveParameters:
    left = params.seconds_left()
    out = mathopt.SolveParameters(
        time_limit=None if left is None else timedelta(seconds=max(left, 1e-3)),
        enable_output=params.log,
        threads=params.threads,
    )
    if solver in SEEDED:
        out.random_seed = params.seed
    if solver not in LP_ONLY:
        out.relative_gap_tolerance = params.gap
        out.absolute_gap_tolerance = ABSOLUTE_GAP
    if solver == "scip":
        out.gscip = gscip_pb2.GScipParameters(
            real_params={"numerics/feastol": SCIP_FEASIBILITY_TOLERANCE}
        )
    return out


def _read(
    result: mathopt.SolveResult, model: mathopt.Model, elapsed: float, handoff: float
) -> RawSolution:
    reason = result.termination.reason
    termination = _TERMINATION.get(reason, Termination.ERROR)
    detail = "" if termination is not Termination.ERROR else f"{reason.name}: "
    detail += result.termination.detail or ""
    values = objective = None
    if result.has_primal_feasible_solution():
        by_variable = result.variable_values()
        values = np.fromiter(
            (by_variable[v] for v in model.variables()), dtype=np.float64, count=len(by_variable)
        )
        objective = float(result.objective_value())
    elif termination in (Termination.OPTIMAL, Termination.FEASIBLE):
        termination, detail = Termination.ERROR, f"solver reported {reason.name} without a solution"
    dual = result.termination.objective_bounds.dual_bound
    bound = float(dual) if np.isfinite(dual) else None
    return RawSolution(termination, detail, values, objective, bound, elapsed, handoff)
