"""Solving a multi-period scenario: periods in, one frozen result with a placement per period.

    scenario → PeriodData (each period's ModelData, discount weights, persistent training)
             → diagnosis per period → multi-period formulation → method
             → each period's decisions, blocks, costs → PlacementResult with ``periods``

The top-level objective, bound and gap are present values (USD) over the horizon. The same
statuses as one period: infeasible, time-outs and solver failures are statuses, never
exceptions.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

from placement.formulations import multiperiod
from placement.milp import export
from placement.milp.solution import Termination
from placement.model.diagnose import diagnose
from placement.model.period_data import PeriodData, build_period_data
from placement.model.schema import Scenario
from placement.results.periods import period_results, plan_fields, read_periods
from placement.results.result import PlacementResult, Status
from placement.solving import memory, methods
from placement.solving.options import SolveOptions
from placement.solving.solve import (
    _STATUS_WITHOUT_SOLUTION,
    Customise,
    Progress,
    _format_gap,
    _infeasible_rows,
    _message_without_solution,
    _relative_gap,
)

# A plan's LP branch and bound gets half the time left, uncapped (one period: at most 10 s):
# HiGHS's own MIP solves a plan's LPs far slower (see placement/milp/lp_branch.py). Measured on
# us_default_growth over one year, 120 s limit, 2 cores under load: proved optimal in 24 s
# (3 LP nodes) against 103 s with the 10 s cap, after which HiGHS's MIP had to finish it; the
# MIP keeps the other half for its heuristics when the plan's root LP does not finish.
LP_BRANCH_SHARE = 0.5


def solve_periods(
    scenario: Scenario, options: SolveOptions, say: Progress, customise: Customise | None
) -> PlacementResult:
    """:func:`placement.solve` for a scenario with periods (see the module docstring).

    ``customise`` is called as ``customise(built, pdata)`` with the
    :class:`~placement.formulations.multiperiod.PeriodBuilt` and the
    :class:`~placement.model.period_data.PeriodData`.
    """
    started = time.perf_counter()
    say(f"preparing data for {len(scenario.periods)} periods (pruning pairs by SLO, costing)")
    pdata = build_period_data(scenario)
    problems = [
        f"{period.year}: {problem}"
        for period in pdata.periods
        for problem in diagnose(period.data, single_source=options.formulation == "single_source")
    ]
    common = {
        "scenario": scenario.name,
        "formulation": options.formulation,
        "solver": options.solver,
    }
    if problems:
        return PlacementResult(
            status=Status.INFEASIBLE,
            message="diagnosed infeasible before solving: " + problems[0],
            build_seconds=time.perf_counter() - started,
            diagnosis=tuple(problems),
            **common,
        )
    refused = memory.refusal([period.data for period in pdata.periods], options.solver)
    if refused is not None:
        return PlacementResult(
            status=Status.NO_SOLUTION,
            message=refused,
            build_seconds=time.perf_counter() - started,
            **common,
        )
    say(f"building the {options.formulation} model over {len(pdata.periods)} periods")
    built = multiperiod.build(pdata, options.formulation)
    if customise is not None:
        customise(built, pdata)
    build_seconds = time.perf_counter() - started
    size = built.model.size()
    say(
        f"solving with {options.solver}: {size['variables']:,} variables, "
        f"{size['constraints']:,} constraints, {size['nonzeros']:,} nonzeros"
    )
    deadline = None if options.time_limit is None else started + options.time_limit
    outcome = methods.run(
        built,
        options,
        deadline=deadline,
        progress=say,
        lp_branch_seconds=math.inf,
        lp_branch_share=LP_BRANCH_SHARE,
    )
    raw = outcome.raw
    common |= {
        "method": outcome.method,
        "build_seconds": build_seconds + raw.handoff_seconds,
        "solve_seconds": raw.solve_seconds,
        "model_size": size,
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
    decisions, blocks = read_periods(built, pdata, raw.values)
    # the status is known only once the present value is: decode, then stamp it
    periods, summaries = period_results(
        pdata,
        decisions,
        blocks,
        status=Status.FEASIBLE,
        formulation=options.formulation,
        solver=options.solver,
        method=outcome.method,
    )
    fields = plan_fields(pdata, periods, summaries, decisions)
    objective = fields["objective"]
    gap = _relative_gap(objective, raw.bound)
    proven = raw.termination is Termination.OPTIMAL or (gap is not None and gap <= options.gap)
    status = Status.OPTIMAL if proven else Status.FEASIBLE
    fields["periods"] = tuple(
        p.model_copy(update={"result": p.result.model_copy(update={"status": status})})
        for p in periods
    )
    say(f"{status.value}: {objective:,.0f} USD present value, gap {_format_gap(gap)}")
    return PlacementResult(
        status=status, message=raw.detail, bound=raw.bound, gap=gap, **fields, **common
    )


def build_model(scenario: Scenario, formulation: str = "strong") -> multiperiod.PeriodBuilt:
    """The multi-period model of ``scenario`` (for export and relaxations)."""
    return multiperiod.build(build_period_data(scenario), formulation)


def write_model(
    scenario: Scenario, path: str | os.PathLike[str], formulation: str = "strong"
) -> Path:
    """The multi-period model as MPS or LP with named variables and rows (``open@2027[…]``)."""
    return export.write_model(build_model(scenario, formulation).model, path)


__all__ = ["PeriodData", "build_model", "solve_periods", "write_model"]
