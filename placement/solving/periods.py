"""Solving a multi-period scenario: periods in, one frozen result with a placement per period.

    scenario → PeriodData (each period's ModelData, discount weights, persistent training)
             → diagnosis per period → memory check → multi-period formulation
             → [large plans: period by period first, solving/period_split.py: a plan and a
                bound; done if its gap is within the asked one] → method on the whole plan
             → each period's decisions, blocks, costs → PlacementResult with ``periods``

The answer is the better of the whole plan's and the period-by-period one (``method`` says
which), with the larger of their bounds.

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
from placement.solving import memory, methods, period_split
from placement.solving.options import SolveOptions
from placement.solving.solve import (
    _STATUS_WITHOUT_SOLUTION,
    Customise,
    Progress,
    _format_gap,
    _infeasible_rows,
    _message_without_solution,
    _relative_gap,
    _say_size,
)

# A plan's LP branch and bound gets half the time left, uncapped (one period: at most 10 s):
# HiGHS's own MIP solves a plan's LPs far slower (see placement/milp/lp_branch.py). Measured on
# us_default_growth over one year, 120 s limit, 2 cores under load: proved optimal in 24 s
# (3 LP nodes) against 103 s with the 10 s cap, after which HiGHS's MIP had to finish it; the
# MIP keeps the other half for its heuristics when the plan's root LP does not finish.
LP_BRANCH_SHARE = 0.5
# From this size on, a plan is first solved period by period (solving/period_split.py), with
# this share of the time: the whole plan's LP relaxation grows much harder than T one-period
# LPs (the two-year default, 1.9 M nonzeros: not finished after 200 s; one year, 0.95 M: 3.5 s).
SPLIT_FIRST_NONZEROS = 1_500_000
SPLIT_SHARE = 0.9


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
    size = _say_size(built, options, say)
    deadline = None if options.time_limit is None else started + options.time_limit
    split = None
    if customise is None and len(pdata.periods) > 1 and size["nonzeros"] >= SPLIT_FIRST_NONZEROS:
        say(f"solving the {len(pdata.periods)} periods one by one first (a plan and a bound)")
        split = period_split.solve_split(
            pdata,
            built,
            options,
            deadline=_share(deadline, SPLIT_SHARE),
            progress=say,
            cost=lambda values: _plan(pdata, built, values, options, "period_split")["objective"],
        )
        if split.values is not None and split.bound is not None:
            plan = _plan(pdata, built, split.values, options, "period_split")
            gap = _relative_gap(plan["objective"], split.bound)
            say(f"period by period: {plan['objective']:,.0f} USD, gap {_format_gap(gap)}")
            if gap is not None and gap <= options.gap:
                return _finish(
                    plan, split.bound, False, "proved by the period-by-period bound", options,
                    say, {**common, "method": "period_split", "build_seconds": build_seconds,
                          "solve_seconds": time.perf_counter() - started - build_seconds,
                          "model_size": size},
                )  # fmt: skip
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
        "solve_seconds": time.perf_counter() - started - build_seconds - raw.handoff_seconds,
        "model_size": size,
    }
    bound = raw.bound
    if split is not None and split.bound is not None:
        bound = split.bound if bound is None else max(bound, split.bound)
    plan = None
    if raw.values is not None:
        plan = _plan(pdata, built, raw.values, options, outcome.method)
    if split is not None and split.values is not None:
        mine = _plan(pdata, built, split.values, options, "period_split")
        if plan is None or mine["objective"] < plan["objective"] * (1 - 1e-12):
            plan, common["method"] = mine, f"{outcome.method} + period_split"
    if plan is None:
        infeasible = raw.termination is Termination.INFEASIBLE
        return PlacementResult(
            status=_STATUS_WITHOUT_SOLUTION.get(raw.termination, Status.ERROR),
            message=_message_without_solution(raw),
            bound=bound,
            diagnosis=_infeasible_rows(built, say) if infeasible else (),
            **common,
        )
    optimal = raw.termination is Termination.OPTIMAL and common["method"] == outcome.method
    return _finish(plan, bound, optimal, raw.detail, options, say, common)


def _share(deadline: float | None, share: float) -> float | None:
    if deadline is None:
        return None
    now = time.perf_counter()
    return now + share * max(deadline - now, 0.0)


def _plan(
    pdata: PeriodData, built: multiperiod.PeriodBuilt, values, options: SolveOptions, method: str
) -> dict:
    """The result fields of the plan the model's ``values`` hold (decoded, costed)."""
    decisions, blocks = read_periods(built, pdata, values)
    periods, summaries = period_results(
        pdata,
        decisions,
        blocks,
        status=Status.FEASIBLE,
        formulation=options.formulation,
        solver=options.solver,
        method=method,
    )
    return plan_fields(pdata, periods, summaries, decisions)


def _finish(
    fields: dict,
    bound: float | None,
    optimal: bool,
    message: str,
    options: SolveOptions,
    say: Progress,
    common: dict,
) -> PlacementResult:
    """The plan as a result: its status is known only once its present value is."""
    objective = fields["objective"]
    if bound is not None:
        bound = min(bound, objective)  # a bound above the plan's own cost proves it
    gap = _relative_gap(objective, bound)
    status = (
        Status.OPTIMAL if optimal or (gap is not None and gap <= options.gap) else (Status.FEASIBLE)
    )
    fields = {
        **fields,
        "periods": tuple(
            p.model_copy(update={"result": p.result.model_copy(update={"status": status})})
            for p in fields["periods"]
        ),
    }
    say(f"{status.value}: {objective:,.0f} USD present value, gap {_format_gap(gap)}")
    return PlacementResult(status=status, message=message, bound=bound, gap=gap, **fields, **common)


def build_model(scenario: Scenario, formulation: str = "strong") -> multiperiod.PeriodBuilt:
    """The multi-period model of ``scenario`` (for export and relaxations)."""
    return multiperiod.build(build_period_data(scenario), formulation)


def write_model(
    scenario: Scenario, path: str | os.PathLike[str], formulation: str = "strong"
) -> Path:
    """The multi-period model as MPS or LP with named variables and rows (``open@2027[…]``)."""
    return export.write_model(build_model(scenario, formulation).model, path)


__all__ = ["PeriodData", "build_model", "solve_periods", "write_model"]
