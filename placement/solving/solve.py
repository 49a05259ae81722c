"""``placement.solve``: scenario in, frozen result out.

    scenario → ModelData (exact pruning, coefficients) → diagnosis → memory estimate
             → formulation → method
             → decisions → PlacementResult (costs and KPIs recomputed from the decisions)

Infeasibility, time-outs and solver failures are statuses on the result, never exceptions;
only a bad *request* (unknown formulation or solver, negative limits) raises.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from placement.errors import SolverOptionError
from placement.formulations import FORMULATIONS, Built, build
from placement.milp import backends, export
from placement.milp.solution import RawSolution, Termination
from placement.model.data import ModelData, build_model_data
from placement.model.diagnose import diagnose
from placement.model.planning import menu_notes
from placement.model.schema import Scenario
from placement.results.alternatives import Alternatives
from placement.results.decode import read_decisions, summarise
from placement.results.result import PlacementResult, Status
from placement.solving import decomposed, memory, methods, resilience
from placement.solving.compare import comparisons
from placement.solving.options import DEFAULT_GAP, DEFAULT_TIME_LIMIT, SolveOptions

SOLVERS = backends.SOLVERS
IIS_MAX_NONZEROS = 200_000  # beyond this an IIS search can take longer than the solve

Progress = Callable[[str], None]
Customise = Callable[[Built, ModelData], None]

__all__ = [
    "FORMULATIONS",
    "SOLVERS",
    "Customise",
    "Progress",
    "solve",
    "solve_relaxation",
    "write_model",
]


def solve(
    scenario: Scenario,
    formulation: str = "strong",
    solver: str = "highs",
    *,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    gap: float = DEFAULT_GAP,
    threads: int | None = None,
    seed: int = 0,
    log: bool = False,
    lp_nodes: int = SolveOptions.lp_nodes,
    method: str = "auto",
    options: SolveOptions | None = None,
    progress: Progress | None = None,
    customise: Customise | None = None,
    alternatives: int | None = None,
    within: float | None = None,
    compare: bool = True,
) -> PlacementResult | Alternatives:
    """Place training and inference for ``scenario`` and prove the gap.

    The solve options (:class:`~placement.solving.options.SolveOptions`, which documents each)
    come either as keywords or as one ``options`` object, not both.

    Args:
        progress: called with a short phase description ("building", "solving", …).
        customise: called as ``customise(built, data)`` after the formulation is built, to add
            rows or change bounds (e.g. an ε-constraint on weighted RTT for a Pareto frontier).
            What it adds is *not* known to :func:`placement.verify`.
        alternatives: return :class:`~placement.results.alternatives.Alternatives` with this
            many plans instead of one result: the N best distinct facility selections, or with
            ``within`` the plans within that relative cost of the optimum that differ most
            (see :mod:`placement.solving.alternatives`); each plan is verified.
        within: with ``alternatives``, the cost budget relative to the optimum (0.05: 5 %).
        compare: when the scenario uses an add-on (N-1, soft rules, split training), solve it
            again without each one used and list what it cost or bought in
            ``result.comparisons`` (:mod:`placement.solving.compare`); one more solve each,
            within what is left of ``time_limit`` (a comparison with no time left is
            ``no_solution``; not with ``alternatives``: its plans are compared with one another
            instead).
    """
    keywords = SolveOptions(
        formulation=formulation,
        solver=solver,
        method=method,
        time_limit=time_limit,
        gap=gap,
        threads=threads,
        seed=seed,
        lp_nodes=lp_nodes,
        log=log,
    )
    if options is not None and keywords != SolveOptions():
        raise SolverOptionError(
            "pass the solve options either as keywords or as options=SolveOptions(...), not both"
        )
    scenario = Scenario.coerce(scenario)  # a networkx graph (Scenario.to_graph's shape) works too
    chosen, say = options or keywords, progress or (lambda _msg: None)
    if scenario.periods:  # multi-period planning: placement/solving/periods.py
        if alternatives is not None or within is not None:
            raise SolverOptionError(
                "alternatives / within: not available for a scenario with periods yet (a "
                "multi-period plan is solved once); drop periods to compare alternatives"
            )
        from placement.solving.periods import solve_periods

        return decomposed.noted(solve_periods(scenario, chosen, say, customise), chosen)
    if alternatives is not None or within is not None:
        from placement.solving.alternatives import solve_alternatives

        return solve_alternatives(scenario, chosen, alternatives, within, say, customise)
    started = time.perf_counter()
    result = _solve(scenario, chosen, say, customise)
    if compare:

        def within_the_limit(changed: Scenario) -> PlacementResult:
            """A comparison solve with the time the whole solve has left."""
            if chosen.time_limit is None:
                return _solve(changed, chosen, say, customise)
            left = chosen.time_limit - (time.perf_counter() - started)
            if left <= 0:
                return PlacementResult(
                    scenario=changed.name,
                    status=Status.NO_SOLUTION,
                    message="no time left for this comparison within the solve's time limit",
                    formulation=chosen.formulation,
                    solver=chosen.solver,
                )
            return _solve(changed, chosen.replace(time_limit=left), say, customise)

        found = comparisons(scenario, result, within_the_limit)
        if found:
            result = result.model_copy(update={"comparisons": found})
    return result


def _solve(
    scenario: Scenario, options: SolveOptions, say: Progress, customise: Customise | None
) -> PlacementResult:
    started = time.perf_counter()
    say("preparing data (pruning pairs by SLO, costing)")
    data = build_model_data(scenario)
    problems = diagnose(data, single_source=options.formulation == "single_source")
    if problems:
        return PlacementResult(
            scenario=scenario.name,
            status=Status.INFEASIBLE,
            message="diagnosed infeasible before solving: " + problems[0],
            formulation=options.formulation,
            solver=options.solver,
            build_seconds=time.perf_counter() - started,
            diagnosis=tuple(problems),
        )
    choice = decomposed.choose(data, options, customised=customise is not None)
    if choice.method == "decomposition":
        return decomposed.solve(scenario, data, options, started=started, say=say)
    refused = memory.refusal(data, options.solver)
    if refused is not None:
        return PlacementResult(
            scenario=scenario.name,
            status=Status.NO_SOLUTION,
            message=refused,
            formulation=options.formulation,
            solver=options.solver,
            build_seconds=time.perf_counter() - started,
        )
    say(f"building the {options.formulation} model")
    built = build(data, options.formulation)
    if customise is not None:
        customise(built, data)
    build_seconds = time.perf_counter() - started
    _say_size(built, options, say)
    deadline = None if options.time_limit is None else started + options.time_limit
    outcome, cut_log = resilience.run(built, data, options, deadline=deadline, progress=say)
    result = _result(scenario, data, built, options, outcome, build_seconds, say, cut_log)
    if choice.note:
        message = f"{choice.note}; {result.message}" if result.message else choice.note
        result = result.model_copy(update={"message": message})
    return result


def _say_size(built: Built, options: SolveOptions, say: Progress) -> dict[str, int]:
    """The built model's size, announced before solving."""
    size = built.model.size()
    say(
        f"solving with {options.solver}: {size['variables']:,} variables, "
        f"{size['constraints']:,} constraints, {size['nonzeros']:,} nonzeros"
    )
    return size


def _result(
    scenario: Scenario,
    data: ModelData,
    built: Built,
    options: SolveOptions,
    outcome: methods.Outcome,
    build_seconds: float,
    say: Progress,
    cut_log: resilience.CutLog | None = None,
) -> PlacementResult:
    raw = outcome.raw
    common = {
        "scenario": scenario.name,
        "formulation": options.formulation,
        "solver": options.solver,
        "method": outcome.method,
        "build_seconds": build_seconds + raw.handoff_seconds,
        "solve_seconds": raw.solve_seconds,
        "model_size": built.model.size(),
    }
    if raw.values is None:
        infeasible = raw.termination is Termination.INFEASIBLE
        return PlacementResult(
            status=_STATUS_WITHOUT_SOLUTION.get(raw.termination, Status.ERROR),
            message=_message_without_solution(raw),
            bound=raw.bound,
            diagnosis=_infeasible_rows(built, say) if infeasible else (),
            **common,
        )
    summary = summarise(
        data,
        read_decisions(built, data, raw.values),
        rounds=cut_log.rounds if cut_log else 0,
        cuts=cut_log.cuts if cut_log else 0,
    )
    objective = summary.costs.total
    result_gap = _relative_gap(objective, raw.bound)
    proven = _proven(raw, objective, options.gap)
    status = Status.OPTIMAL if proven else Status.FEASIBLE
    say(f"{status.value}: {objective:,.0f} USD per year, gap {_format_gap(result_gap)}")
    detail = (
        f"{raw.detail}: the best placement found so far"
        if raw.termination is Termination.INTERRUPTED
        else raw.detail
    )
    return PlacementResult(
        status=status,
        message="; ".join(m for m in (detail, *menu_notes(scenario)) if m),
        objective=objective,
        bound=raw.bound,
        gap=result_gap,
        **summary.result_fields(),
        **common,
    )


_STATUS_WITHOUT_SOLUTION = {
    Termination.INFEASIBLE: Status.INFEASIBLE,
    Termination.NO_SOLUTION: Status.NO_SOLUTION,
    Termination.INTERRUPTED: Status.NO_SOLUTION,
}


def _message_without_solution(raw: RawSolution) -> str:
    if raw.termination is Termination.INFEASIBLE:
        message = (
            "the solver proved the problem infeasible (no single region or cluster is to "
            "blame: the capacity, rules and SLOs cannot all hold together)"
        )
        return f"{message}; {raw.detail}" if raw.detail else message
    if raw.termination is Termination.INTERRUPTED:
        return f"{raw.detail} before any solution was found"
    return raw.detail or raw.termination.value


def _infeasible_rows(built: Built, say: Progress) -> tuple[str, ...]:
    """The rows of an irreducible infeasible subsystem, by name, for models small enough to
    search one in seconds."""
    if built.model.num_nonzeros > IIS_MAX_NONZEROS:
        return ()
    say("looking for an irreducible infeasible subsystem (IIS)")
    rows = export.explain_infeasible(built.model)
    if not rows:
        return ()
    return (
        "these constraints cannot all hold together (an irreducible infeasible subsystem of "
        "the LP relaxation): " + "; ".join(export.summarise_rows(rows)),
    )


def write_model(
    scenario: Scenario, path: str | os.PathLike[str], formulation: str = "strong"
) -> Path:
    """Write the formulation's model of ``scenario`` as MPS or LP, with named variables and
    rows (``serve[dallas_tx,48113]``, ``power[dallas_tx]``); see :mod:`placement.milp.export`."""
    if formulation not in FORMULATIONS:
        raise SolverOptionError(
            f"formulation = {formulation!r}: unknown; choose one of {', '.join(FORMULATIONS)}"
        )
    if scenario.periods:  # multi-period planning: placement/solving/periods.py
        from placement.solving.periods import write_model as write_periods

        return write_periods(scenario, path, formulation)
    return export.write_model(build(build_model_data(scenario), formulation).model, path)


def solve_relaxation(
    scenario: Scenario, formulation: str = "strong", solver: str = "highs"
) -> float | None:
    """The LP relaxation bound of a formulation (root bound), or None if it has none."""
    if formulation not in FORMULATIONS:
        raise SolverOptionError(
            f"formulation = {formulation!r}: unknown; choose one of {', '.join(FORMULATIONS)}"
        )
    backends.check_lp_solver(solver)
    if scenario.periods:  # multi-period planning: placement/solving/periods.py
        from placement.solving.periods import build_model

        built = build_model(scenario, formulation)
    else:
        built = build(build_model_data(scenario), formulation)
    raw = backends.solve_model(built.model, solver, backends.SolveParams(), relax=True)
    return raw.objective if raw.termination is Termination.OPTIMAL else None


# Optimal is claimed only when the decoded objective is within the requested gap of the proven
# bound, give or take the rounding of integer values (solvers accept 1e-6 off an integer) and a
# micro-dollar: a solver's word alone is not enough (HiGHS once returned a worse incumbent's
# values with an "optimal" status; benchmarks/volume.py, seed 737).
ROUNDING_SLACK = 1e-6
ABSOLUTE_SLACK_USD = 1e-6


def _proven(raw: RawSolution, objective: float, gap: float) -> bool:
    if raw.bound is None:
        return raw.termination is Termination.OPTIMAL
    slack = (gap + ROUNDING_SLACK) * abs(objective) + ABSOLUTE_SLACK_USD
    return objective - raw.bound <= slack


def _format_gap(gap: float | None) -> str:
    return "unknown" if gap is None else f"{gap:.2e}"


def _relative_gap(objective: float, bound: float | None) -> float | None:
    if bound is None:
        return None
    return max(0.0, objective - bound) / max(abs(objective), 1e-9)
