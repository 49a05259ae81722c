"""Solver backends: hand a :class:`LinearModel` to an OR-Tools solver through MathOpt.

The model goes to MathOpt as a ``ModelProto`` encoded straight from numpy arrays
(:mod:`placement.proto_wire`), and the result comes back as a ``SolveResultProto`` read into
numpy, so no per-coefficient Python object is ever created. MathOpt reports a real dual bound
for every MIP backend (the ``model_builder`` route reports the incumbent as the bound for HiGHS,
which would make every gap zero).

Backends: ``highs`` (HiGHS), ``scip`` (SCIP via GSCIP), ``cpsat`` (CP-SAT; it rounds continuous
variables, so :func:`placement.solve` allows it only on the all-binary ``single_source``),
and ``glop``/``pdlp`` for linear programs (relaxations only).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from ortools.math_opt import model_parameters_pb2, model_pb2, parameters_pb2, result_pb2
from ortools.math_opt.core.python import solver as core_solver

from placement.errors import SolverOptionError
from placement.milp.linear_model import LinearModel
from placement.milp.proto_wire import model_proto_bytes

SOLVER_TYPES: dict[str, int] = {
    "highs": parameters_pb2.SOLVER_TYPE_HIGHS,
    "scip": parameters_pb2.SOLVER_TYPE_GSCIP,
    "cpsat": parameters_pb2.SOLVER_TYPE_CP_SAT,
    "glop": parameters_pb2.SOLVER_TYPE_GLOP,
    "pdlp": parameters_pb2.SOLVER_TYPE_PDLP,
}
MIP_SOLVERS = ("highs", "scip", "cpsat")
LP_ONLY = ("glop", "pdlp")

_T = result_pb2

# HiGHS's default (equilibration) scaling makes each dual simplex iteration on the placement LPs
# about 40x dearer: the us_default root LP takes 25-35 s with it and 1-3 s with max-value
# scaling (same optimum, similar iteration count). HiGHS's MIP solver builds its own LP solver
# with default options, so this reaches only the LPs solved here (relaxations and
# placement.lp_branch), which is why that method exists.
HIGHS_MAX_VALUE_SCALING = 4


@dataclass(frozen=True)
class RawSolution:
    """What a backend returns: termination, values, objective and bound, times."""

    termination: str  # optimal | feasible | infeasible | no_solution | error
    detail: str
    values: np.ndarray | None
    objective: float | None
    bound: float | None
    solve_seconds: float
    handoff_seconds: float


def to_model_proto(model: LinearModel, relax: bool = False) -> model_pb2.ModelProto:
    """The MathOpt ``ModelProto`` of a linear model (``relax`` drops integrality)."""
    return model_pb2.ModelProto.FromString(model_proto_bytes(model, relax=relax))


def solve_model(
    model: LinearModel,
    solver: str = "highs",
    *,
    time_limit: float | None = None,
    gap: float = 1e-6,
    threads: int | None = None,
    seed: int = 0,
    relax: bool = False,
    log: bool = False,
) -> RawSolution:
    """Solve a linear model with a MathOpt backend; never raises on solver trouble."""
    check_solver(solver)
    if solver in LP_ONLY and not relax and model.var_integer.any():
        raise SolverOptionError(
            f"solver = {solver!r}: solves linear programs only; the model has integer variables"
        )
    started = time.perf_counter()
    proto = to_model_proto(model, relax=relax)
    handoff = time.perf_counter() - started
    return solve_proto(
        proto,
        model.num_vars,
        solver,
        time_limit=time_limit,
        gap=gap,
        threads=threads,
        seed=seed,
        relax=relax,
        log=log,
        handoff_seconds=handoff,
    )


def check_solver(solver: str) -> None:
    if solver not in SOLVER_TYPES:
        raise SolverOptionError(
            f"solver = {solver!r}: unknown; choose one of {', '.join(SOLVER_TYPES)}"
        )


def solve_proto(
    proto: model_pb2.ModelProto,
    num_vars: int,
    solver: str = "highs",
    *,
    time_limit: float | None = None,
    gap: float = 1e-6,
    threads: int | None = None,
    seed: int = 0,
    relax: bool = False,
    log: bool = False,
    handoff_seconds: float = 0.0,
) -> RawSolution:
    """Solve an encoded model (``relax``: it is a linear program); never raises on solver
    trouble. Lets a caller that solves many variants of one model encode it only once."""
    check_solver(solver)
    params = _parameters(solver, time_limit, gap, threads, seed, log, relax)
    started = time.perf_counter()
    try:
        result = core_solver.solve(
            proto,
            SOLVER_TYPES[solver],
            parameters_pb2.SolverInitializerProto(),
            params,
            model_parameters_pb2.ModelSolveParametersProto(),
            None,
            _callback_registration(),
            None,
            None,
        )
    except Exception as exc:  # the solver refused the model or its parameters
        return RawSolution("error", f"{solver}: {exc}", None, None, None, 0.0, handoff_seconds)
    elapsed = time.perf_counter() - started
    return _read_result(result, num_vars, elapsed, handoff_seconds)


def _callback_registration():
    from ortools.math_opt import callback_pb2

    return callback_pb2.CallbackRegistrationProto()


def _parameters(
    solver: str,
    time_limit: float | None,
    gap: float,
    threads: int | None,
    seed: int,
    log: bool,
    relax: bool = False,
) -> parameters_pb2.SolveParametersProto:
    params = parameters_pb2.SolveParametersProto(enable_output=log)
    if time_limit is not None:
        params.time_limit.FromNanoseconds(int(time_limit * 1e9))
    if solver in MIP_SOLVERS:
        params.relative_gap_tolerance = gap
        params.absolute_gap_tolerance = 1e-9
    if solver == "highs":
        # MathOpt's HiGHS rejects the generic `threads` and `random_seed`: use HiGHS options.
        params.highs.int_options["random_seed"] = seed
        if threads is not None:
            params.highs.int_options["threads"] = threads
        if relax:
            params.highs.int_options["simplex_scale_strategy"] = HIGHS_MAX_VALUE_SCALING
    else:
        params.random_seed = seed
        if threads is not None:
            params.threads = threads
    return params


def _read_result(
    result: result_pb2.SolveResultProto, num_vars: int, elapsed: float, handoff: float
) -> RawSolution:
    reason = result.termination.reason
    detail = result.termination.detail
    values = None
    objective = None
    for solution in result.solutions:
        if solution.HasField("primal_solution"):
            primal = solution.primal_solution
            if primal.feasibility_status == 2:  # SOLUTION_STATUS_FEASIBLE
                values = np.zeros(num_vars)
                ids = np.asarray(primal.variable_values.ids, dtype=np.int64)
                values[ids] = np.asarray(primal.variable_values.values, dtype=float)
                objective = primal.objective_value
                break
    bound = result.termination.objective_bounds.dual_bound
    bound = float(bound) if np.isfinite(bound) else None
    if reason == _T.TERMINATION_REASON_OPTIMAL:
        termination = "optimal"
    elif reason == _T.TERMINATION_REASON_FEASIBLE:
        termination = "feasible"
    elif reason in (
        _T.TERMINATION_REASON_INFEASIBLE,
        _T.TERMINATION_REASON_INFEASIBLE_OR_UNBOUNDED,
    ):
        termination = "infeasible"
    elif reason == _T.TERMINATION_REASON_NO_SOLUTION_FOUND:
        termination = "no_solution"
    else:
        termination = "error"
        detail = f"{_T.TerminationReasonProto.Name(reason)}: {detail}"
    if values is None and termination in ("optimal", "feasible"):
        termination = "error"
        detail = f"solver reported {termination} without a primal solution. {detail}"
    return RawSolution(termination, detail, values, objective, bound, elapsed, handoff)
