"""``solve(scenario, alternatives=N)``: other good plans, each verified.

One model is built and solved; then, on the same model (the N-1 cuts found so far stay: they
are valid for every plan), rows of :mod:`placement.formulations.alternatives` turn the search
to the next plan:

* **best** (``within`` not given): a no-good cut against every plan found, d_m(open) ≥ 1, and
  the same objective: plan k is the cheapest placement whose set of open facilities (a site in
  a financing mode) differs from plans 1 … k−1; the plans come back cheapest first.
* **diverse** (``within = p``): the cost budget Σ c x ≤ z₁ + p |z₁| and the objective
  max min_m d_m(open) (ties broken by cost): each plan is as different as can be from all the
  earlier ones while costing at most p more than the optimum. Sorted by cost.

Facilities without a fixed cost (cloud regions, fee-free leases) count as opened in these
searches only when they carry at least 1 % of a region's demand (or a cluster): otherwise a
sliver at a free facility would make a "different" plan at no cost. A plan's bound is its own
search's: the best plan's bound is the scenario's; a later plan's is the bound among plans that
differ from the earlier ones (best mode) or the best plan's bound (diverse mode).
"""

from __future__ import annotations

import time

import numpy as np

from placement.errors import PlacementError, SolverOptionError
from placement.formulations import alternatives as rows
from placement.formulations import build
from placement.model.data import build_model_data
from placement.model.diagnose import diagnose
from placement.model.schema import Scenario
from placement.results.alternatives import Alternatives
from placement.results.decode import read_decisions
from placement.results.result import PlacementResult, Status
from placement.results.verify import verify
from placement.solving import memory, resilience
from placement.solving.options import SolveOptions
from placement.solving.solve import Customise, Progress, _relative_gap, _result, _solve

MAX_ALTERNATIVES = 100


def solve_alternatives(
    scenario: Scenario,
    options: SolveOptions,
    count: int | None,
    within: float | None,
    say: Progress,
    customise: Customise | None,
) -> Alternatives:
    """Up to ``count`` plans (best or diverse mode), verified, cheapest first."""
    count = _check(count, within)
    started = time.perf_counter()
    data = build_model_data(scenario)
    problems = diagnose(data, single_source=options.formulation == "single_source")
    if problems or memory.refusal(data, options.solver) is not None:
        first = _solve(scenario, options, say, customise)  # diagnosed or refused, as solve says
        return _collect(scenario, count, within, [first], f"no optimum: {first.message}")
    built = build(data, options.formulation)
    if customise is not None:
        customise(built, data)
    build_seconds = time.perf_counter() - started
    deadline = None if options.time_limit is None else started + options.time_limit

    def next_plan(label: str) -> tuple[PlacementResult, np.ndarray | None]:
        say(f"solving for {label}")
        outcome, log = resilience.run(built, data, options, deadline=deadline, progress=say)
        result = _result(scenario, data, built, options, outcome, build_seconds, say, log)
        if outcome.raw.values is None:
            return result, None
        return result, read_decisions(built, data, outcome.raw.values).open

    first, chosen = next_plan("the optimum (plan 1)")
    if chosen is None or first.objective is None:
        return _collect(scenario, count, within, [first], "no optimum to start from")
    plans, sets = [first], [chosen]
    cost = built.model.objective.copy()
    rows.add_material_use(built.model, data, built.columns)
    if within is not None:
        budget = first.objective + within * abs(first.objective)
        rows.add_cost_budget(built.model, budget, cost)
    note = ""
    for k in range(2, count + 1):
        name = f"alternative_{k}"
        if within is None:
            rows.add_no_good_cut(built.model, data, built.columns, sets[-1], f"{name}_differs")
        else:
            scale = 2.0 * (1.0 + within) * max(abs(first.objective), 1.0)
            rows.add_diversity(built.model, data, built.columns, sets, cost, scale, name)
        plan, opened = next_plan(f"plan {k}")
        if opened is None:
            note = _why_stopped(plan, k, within)
            break
        plans.append(_relabel(plan, k, within, first, sets, opened))
        sets.append(opened)
    return _collect(scenario, count, within, plans, note)


def _check(count: int | None, within: float | None) -> int:
    if count is None:
        raise SolverOptionError(
            f"within = {within!r}: give alternatives=N with it (within is the cost budget of "
            "the N plans)"
        )
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_ALTERNATIVES:
        raise SolverOptionError(
            f"alternatives = {count!r}: must be a whole number from 1 to {MAX_ALTERNATIVES}"
        )
    if (within is not None and not (0.0 <= within <= 10.0)) or within != within:
        raise SolverOptionError(
            f"within = {within!r}: must be a relative cost budget from 0 to 10 (0.05 = 5 %)"
        )
    return count


def _relabel(
    plan: PlacementResult,
    k: int,
    within: float | None,
    first: PlacementResult,
    sets: list[np.ndarray],
    opened: np.ndarray,
) -> PlacementResult:
    """State what the plan is the answer to; in diverse mode its bound is plan 1's (the search
    maximised distance, its own bound is not a cost bound)."""
    distance = min(int((opened != s).sum()) for s in sets)
    counted = (
        "a difference is a facility (a site in a financing mode) opened or closed; cooling and "
        "hardware choices may differ too but do not count"
    )
    if within is None:
        message = (
            f"plan {k}: the cheapest placement whose open facilities differ from plans 1-{k - 1}"
            f" (optimal among those: its bound and gap are theirs)"
        )
        return plan.model_copy(update={"message": _join(message, counted, plan.message)})
    gap = None if plan.objective is None else _relative_gap(plan.objective, first.bound)
    status = Status.OPTIMAL if gap is not None and gap <= 1e-9 else Status.FEASIBLE
    message = (
        f"plan {k}: within {100 * within:g} % of the optimum, {distance} facilities away from "
        "the nearest earlier plan (as far as the budget allows); bound and gap are plan 1's"
    )
    return plan.model_copy(
        update={
            "status": status,
            "bound": first.bound,
            "gap": gap,
            "message": _join(message, counted, plan.message),
        }
    )


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def _why_stopped(plan: PlacementResult, k: int, within: float | None) -> str:
    if plan.status is Status.INFEASIBLE:
        what = "distinct facility selection" if within is None else "plan within the budget"
        return f"there is no other {what}: plan {k} is infeasible"
    return f"plan {k} was not found ({plan.status.value}: {plan.message})"


def _collect(
    scenario: Scenario,
    count: int,
    within: float | None,
    plans: list[PlacementResult],
    note: str,
) -> Alternatives:
    """Verify each plan, sort by cost (the first stays first), and pack them."""
    ordered = [plans[0], *sorted(plans[1:], key=lambda p: p.objective)]
    verification = []
    for plan in ordered:
        try:
            verify(scenario, plan)
            verification.append("")
        except PlacementError as exc:
            verification.append(str(exc))
    return Alternatives(
        scenario=scenario.name,
        mode="best" if within is None else "diverse",
        requested=count,
        within=within,
        plans=tuple(ordered),
        verification=tuple(verification),
        note=note,
    )
