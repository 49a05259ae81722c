"""``placement.solve``: scenario in, frozen result out.

    scenario → ModelData (exact pruning, coefficients) → diagnosis → formulation → backend
             → decisions → PlacementResult (costs and KPIs recomputed from the decisions)

Infeasibility, time-outs and solver failures are statuses on the result, never exceptions;
only a bad *request* (unknown formulation or solver, negative limits) raises.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from placement.errors import SolverOptionError
from placement.formulations import FORMULATIONS, Built, build
from placement.milp import backends, lp_branch
from placement.model.data import ModelData, build_model_data
from placement.model.diagnose import diagnose
from placement.model.schema import Scenario
from placement.results.decode import read_decisions, summarise
from placement.results.result import PlacementResult, Status

SOLVERS = backends.MIP_SOLVERS
DEFAULT_GAP = 1e-6
# The LP branch and bound may use half the time limit and at most 10 s; the MIP solver gets the
# rest. Max-value scaling is not faster on every model (measured: us_default root LP 1.3 s vs
# 28 s with HiGHS's default scaling, but a synthetic 60x3000 model 24.5 s vs 12.1 s), so the
# cap bounds what a model that does not suit it can lose, and a root too big to finish still
# leaves HiGHS time for its heuristics and an incumbent.
LP_BRANCH_TIME_SHARE = 0.5
LP_BRANCH_MAX_SECONDS = 10.0

Progress = Callable[[str], None]
Customise = Callable[[Built, ModelData], None]


def solve(
    scenario: Scenario,
    formulation: str = "strong",
    solver: str = "highs",
    *,
    time_limit: float | None = 600.0,
    gap: float = DEFAULT_GAP,
    threads: int | None = None,
    seed: int = 0,
    log: bool = False,
    progress: Progress | None = None,
    customise: Customise | None = None,
    lp_nodes: int = lp_branch.DEFAULT_MAX_NODES,
) -> PlacementResult:
    """Place training and inference for ``scenario`` and prove the gap.

    Args:
        formulation: ``strong`` (per-pair linking, default), ``weak`` (aggregated linking)
            or ``single_source`` (each region served whole by one site).
        solver: ``highs`` (default), ``scip`` or ``cpsat`` (exact on ``single_source``).
        time_limit: seconds for the solver (None: no limit).
        gap: relative optimality gap at which the solver may stop.
        threads, seed: passed to the solver.
        log: stream the solver's own log to stdout.
        progress: called with a short phase description ("building", "solving", …).
        customise: called as ``customise(built, data)`` after the formulation is built, to add
            rows or change bounds (e.g. an ε-constraint on weighted RTT for a Pareto frontier).
            What it adds is *not* known to :func:`placement.verify`.
        lp_nodes: with ``highs``, first try an LP branch and bound of at most this many LP
            solves (:mod:`placement.lp_branch`: HiGHS LPs scaled for speed, exact; the strong
            relaxation is often integral), for at most half the time limit and 10 s, then
            hand the MILP to HiGHS's branch and cut with the time left. 0 goes straight to
            HiGHS's MIP.
    """
    _check_options(formulation, solver, time_limit, gap, threads)
    if lp_nodes < 0:
        raise SolverOptionError(f"lp_nodes = {lp_nodes!r}: must be 0 or more")
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    say("preparing data (pruning pairs by SLO, costing)")
    data = build_model_data(scenario)
    single = formulation == "single_source"
    problems = diagnose(data, single_source=single)
    if problems:
        return _without_solution(
            scenario,
            Status.INFEASIBLE,
            formulation,
            solver,
            started,
            "diagnosed infeasible before solving: " + problems[0],
            tuple(problems),
        )
    say(f"building the {formulation} model")
    built = build(data, formulation)
    if customise is not None:
        customise(built, data)
    build_seconds = time.perf_counter() - started
    size = built.model.size()
    say(
        f"solving with {solver}: {size['variables']:,} variables, "
        f"{size['constraints']:,} constraints, {size['nonzeros']:,} nonzeros"
    )
    raw = _solve_built(built, solver, time_limit, gap, threads, seed, log, lp_nodes, say)
    build_seconds += raw.handoff_seconds
    common = {
        "scenario": scenario.name,
        "formulation": formulation,
        "solver": solver,
        "build_seconds": build_seconds,
        "solve_seconds": raw.solve_seconds,
        "model_size": size,
    }
    if raw.values is None:
        status = {
            "infeasible": Status.INFEASIBLE,
            "no_solution": Status.NO_SOLUTION,
        }.get(raw.termination, Status.ERROR)
        message = raw.detail or raw.termination
        if status is Status.INFEASIBLE:
            message = "the solver proved the problem infeasible " + (
                "(no single region or cluster is to blame: the capacity, rules and SLOs "
                "cannot all hold together)"
            )
        return PlacementResult(status=status, message=message, bound=raw.bound, **common)
    decisions = read_decisions(built, data, raw.values)
    fields = summarise(data, decisions)
    objective = fields["costs"].total
    bound = raw.bound
    result_gap = _relative_gap(objective, bound)
    proven = raw.termination == "optimal" or (result_gap is not None and result_gap <= gap)
    status = Status.OPTIMAL if proven else Status.FEASIBLE
    say(f"{status.value}: {objective:,.0f} USD per year, gap {_format_gap(result_gap)}")
    return PlacementResult(
        status=status,
        message=raw.detail,
        objective=objective,
        bound=bound,
        gap=result_gap,
        **common,
        **fields,
    )


def _solve_built(
    built: Built,
    solver: str,
    time_limit: float | None,
    gap: float,
    threads: int | None,
    seed: int,
    log: bool,
    lp_nodes: int,
    say: Progress,
) -> backends.RawSolution:
    """LP branch and bound first (HiGHS), then the MIP solver with the time that is left."""
    started = time.perf_counter()
    spent = 0.0
    if solver == "highs" and lp_nodes > 0:
        raw = lp_branch.solve(
            built.model,
            time_limit=_lp_branch_budget(time_limit),
            gap=gap,
            threads=threads,
            seed=seed,
            log=log,
            max_nodes=lp_nodes,
            progress=say,
        )
        if raw is not None:
            return raw
        spent = time.perf_counter() - started
        say(f"solving with HiGHS branch and cut after {spent:.1f} s of LP branch and bound")
    remaining = None if time_limit is None else max(time_limit - spent, 1e-3)
    raw = backends.solve_model(
        built.model, solver, time_limit=remaining, gap=gap, threads=threads, seed=seed, log=log
    )
    if not spent:
        return raw
    # the LP branch and bound that handed over counts as solving time
    return dataclasses.replace(raw, solve_seconds=raw.solve_seconds + spent)


def _lp_branch_budget(time_limit: float | None) -> float:
    if time_limit is None:
        return LP_BRANCH_MAX_SECONDS
    return min(LP_BRANCH_TIME_SHARE * time_limit, LP_BRANCH_MAX_SECONDS)


def solve_relaxation(
    scenario: Scenario, formulation: str = "strong", solver: str = "highs"
) -> float | None:
    """The LP relaxation bound of a formulation (root bound), or None if it has none."""
    _check_options(formulation, solver, None, DEFAULT_GAP, None)
    data = build_model_data(scenario)
    built = build(data, formulation)
    raw = backends.solve_model(built.model, solver, relax=True)
    return raw.objective if raw.termination == "optimal" else None


def model_data(scenario: Scenario) -> ModelData:
    """The pruned arrays the formulations see (for inspection and benchmarks)."""
    return build_model_data(scenario)


def _format_gap(gap: float | None) -> str:
    return "unknown" if gap is None else f"{gap:.2e}"


def _relative_gap(objective: float, bound: float | None) -> float | None:
    if bound is None:
        return None
    return max(0.0, objective - bound) / max(abs(objective), 1e-9)


def _check_options(
    formulation: str, solver: str, time_limit: float | None, gap: float, threads: int | None
) -> None:
    if formulation not in FORMULATIONS:
        raise SolverOptionError(
            f"formulation = {formulation!r}: unknown; choose one of {', '.join(FORMULATIONS)}"
        )
    backends.check_solver(solver)
    if solver == "cpsat" and formulation != "single_source":
        raise SolverOptionError(
            f"solver = 'cpsat' with formulation = {formulation!r}: CP-SAT needs an all-integer "
            "model (it rounds continuous serving shares and can wrongly report infeasible); "
            "use formulation='single_source', or solver 'highs'/'scip'"
        )
    if time_limit is not None and not time_limit > 0:
        raise SolverOptionError(f"time_limit = {time_limit!r}: must be a positive number of s")
    if not 0 <= gap < 1:
        raise SolverOptionError(f"gap = {gap!r}: the relative gap must be in [0, 1)")
    if threads is not None and threads < 1:
        raise SolverOptionError(f"threads = {threads!r}: must be at least 1")


def _without_solution(
    scenario: Scenario,
    status: Status,
    formulation: str,
    solver: str,
    started: float,
    message: str,
    diagnosis: tuple[str, ...] = (),
) -> PlacementResult:
    return PlacementResult(
        scenario=scenario.name,
        status=status,
        message=message,
        formulation=formulation,
        solver=solver,
        build_seconds=time.perf_counter() - started,
        diagnosis=diagnosis,
    )
