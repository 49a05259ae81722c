"""What each add-on cost or bought: the same scenario solved again without it.

With ``rules.resilience`` the comparison is the **cost of resilience**: objective with N-1 less
objective without. For a soft rule that the answer violates, the scenario is solved with the
rule hard again: ``difference`` = (objective − the rule's own penalty) − objective with the rule
hard, so a negative figure is what the violation bought in everything else (an infeasible hard
solve says the violation is what it takes to have a plan at all). For a training cluster that
runs split, the cluster is solved whole: ``difference`` = objective split − objective whole (a
negative figure is what splitting saved, interconnect included).

Each comparison is one more solve with the same options and no comparisons of its own.
"""

from __future__ import annotations

from collections.abc import Callable

from placement.model.schema import Scenario
from placement.results.result import Comparison, PlacementResult

SolveOne = Callable[[Scenario], PlacementResult]

SOFT_FIELDS = {
    "slo": "slo_usd_per_user_ms_year",
    "power": "power_usd_per_mw_year",
    "capital_budget": "capital_usd_per_usd",
    "carbon_cap": "carbon_usd_per_tonne",
}


def comparisons(scenario: Scenario, result: PlacementResult, solve_one: SolveOne) -> tuple:
    """One :class:`Comparison` per add-on the result uses (none when it uses none)."""
    if not result.ok or result.objective is None:
        return ()
    out = []
    if scenario.rules.resilience is not None:
        plain = _with_rules(scenario, resilience=None)
        out.append(
            _compare(
                "resilience",
                "the plan without N-1 (no spare capacity)",
                result.objective,
                solve_one(plain),
            )
        )
    violated = sorted({v.rule for v in result.violations})
    for rule in violated:
        soft = scenario.rules.soft.model_copy(update={SOFT_FIELDS[rule]: None})  # type: ignore[union-attr]
        if rule == "slo":
            soft = soft.model_copy(update={"slo_limit_ms": None})
        hard = _with_rules(scenario, soft=soft if soft.any else None)
        penalty = sum(v.penalty_usd for v in result.violations if v.rule == rule)
        out.append(
            _compare(
                f"soft:{rule}",
                f"the plan with the {rule.replace('_', ' ')} rule hard",
                result.objective - penalty,
                solve_one(hard),
            )
        )
    for cid, choice in result.training_choices.items():
        if not choice.parts:
            continue
        whole = tuple(
            c.model_copy(update={"split": None}) if c.id == cid else c for c in scenario.training
        )
        out.append(
            _compare(
                f"split:{cid}",
                f"the plan with {cid!r} whole at one site",
                result.objective,
                solve_one(_validated(scenario, training=whole)),
            )
        )
    return tuple(out)


def _compare(feature: str, description: str, value: float, other: PlacementResult) -> Comparison:
    ok = other.ok and other.objective is not None
    return Comparison(
        feature=feature,
        description=description,
        status=other.status.value,
        objective=other.objective if ok else None,
        spend=other.costs.spend if ok else None,
        difference=value - other.objective if ok else None,  # type: ignore[operator]
    )


def _with_rules(scenario: Scenario, **changes) -> Scenario:
    return _validated(scenario, rules=scenario.rules.model_copy(update=changes))


def _validated(scenario: Scenario, **changes) -> Scenario:
    """A changed copy: removing an add-on cannot break a rule, so no validation is needed."""
    return scenario.model_copy(update=changes)
