"""The cost–latency Pareto frontier of one scenario.

Two objectives: the annual cost *without* the latency penalty (capital, power, cooling, carbon,
pair costs) and the population-weighted mean RTT, Σ_ij users_j · RTT_ij · serve_ij / Σ_j users_j,
where RTT includes the serving hardware's service time (zero without a hardware menu).

- ``method="epsilon"`` (default, exact): minimise cost subject to weighted RTT ≤ ε for ε from
  the least achievable weighted RTT up to the weighted RTT of the cheapest placement. Each point
  is the cheapest placement at its latency budget, so cost never rises as ε does.
- ``method="lambda"``: minimise cost + λ · Σ users · RTT · share over a grid of λ (the model's
  own latency penalty). It finds only the *supported* points (on the convex hull).

Every point carries the scenario it was solved on (λ = 0 for the ε method) and its
:class:`~placement.results.result.PlacementResult`, which passes :func:`placement.verify`
against it.
The frontier needs hard demand (no unserved penalty): with soft demand the weighted RTT is over
served users only, and cutting service would "improve" latency.

A multi-period scenario (``periods``) works alike: cost is the plan's present value without its
latency penalty, and the weighted RTT is over every period's user-years (the plan's KPI).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from placement.atomic import write_text_atomic
from placement.batch.frontier import non_dominated
from placement.batch.paths import PortfolioError
from placement.batch.plots import plot_frontier
from placement.errors import SolverOptionError
from placement.formulations import Built
from placement.model.data import ModelData
from placement.model.period_data import PeriodData
from placement.model.schema import Scenario
from placement.results.result import PlacementResult
from placement.results.verify import verify as verify_result
from placement.solving.options import SolveOptions
from placement.solving.solve import Customise, solve

if TYPE_CHECKING:
    import pandas as pd

METHODS = ("epsilon", "lambda")
# Slack on the latency budget: relative, so a budget equal to the least achievable RTT (found
# by an earlier solve to its own tolerances) stays feasible.
EPSILON_SLACK = 1e-7


@dataclass(frozen=True)
class ParetoPoint:
    """One solved point: cost (excl. latency penalty), weighted RTT, and its placement."""

    cost: float
    weighted_rtt_ms: float
    scenario: Scenario
    result: PlacementResult
    epsilon_ms: float | None = None
    latency_penalty: float | None = None
    dominated: bool = False


@dataclass(frozen=True)
class ParetoFrontier:
    """Every point solved (``evaluated``, in sweep order) and the non-dominated ``points``."""

    method: str
    scenario: Scenario
    evaluated: tuple[ParetoPoint, ...]
    message: str = ""

    @property
    def points(self) -> list[ParetoPoint]:
        """Non-dominated points, by weighted RTT ascending (cost descending)."""
        front = [p for p in self.evaluated if not p.dominated]
        return sorted(front, key=lambda p: (p.weighted_rtt_ms, p.cost))

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        rows = []
        for n, p in enumerate(self.evaluated):
            rows.append(
                {
                    "point": n,
                    "method": self.method,
                    "epsilon_ms": p.epsilon_ms,
                    "latency_penalty": p.latency_penalty,
                    "cost": p.cost,
                    "cost_excl_latency_penalty": p.cost,
                    "weighted_rtt_ms": p.weighted_rtt_ms,
                    "p95_rtt_ms": p.result.kpis.p95_rtt_ms,
                    "objective": p.result.objective,
                    "gap": p.result.gap,
                    "status": p.result.status.value,
                    "open_sites": len(p.result.open_sites),
                    "open_site_ids": ";".join(p.result.open_sites),
                    "training_site_ids": ";".join(sorted(set(p.result.training.values()))),
                    "dominated": p.dominated,
                }
            )
        return pd.DataFrame(rows)

    def save(self, out: str | os.PathLike[str]) -> list[Path]:
        """``frontier.csv``, ``frontier.png``, ``frontier.json`` and ``points/point_<n>.json``."""
        out = Path(out)
        files = []
        for n, p in enumerate(self.evaluated):
            record = {
                "point": n,
                "method": self.method,
                "epsilon_ms": p.epsilon_ms,
                "latency_penalty_usd_per_user_ms_year": (
                    p.scenario.economics.latency_penalty_usd_per_user_ms_year
                ),
                "cost": p.cost,
                "weighted_rtt_ms": p.weighted_rtt_ms,
                "dominated": p.dominated,
                "result": p.result.model_dump(mode="json"),
            }
            path = out / "points" / f"point_{n:03d}.json"
            write_text_atomic(path, json.dumps(record, indent=1))
            files.append(path)
        table = self.to_frame()
        write_text_atomic(out / "frontier.csv", table.to_csv(index=False))
        files.append(out / "frontier.csv")
        summary = {
            "method": self.method,
            "scenario": self.scenario.name,
            "message": self.message,
            "points": table[~table["dominated"]].to_dict(orient="records") if len(table) else [],
        }
        write_text_atomic(out / "frontier.json", json.dumps(summary, indent=2, default=str))
        files.append(out / "frontier.json")
        png = plot_frontier(
            [
                (p.weighted_rtt_ms, p.cost, len(p.result.open_sites), n)
                for n, p in enumerate(self.evaluated)
                if not p.dominated
            ],
            [(p.weighted_rtt_ms, p.cost) for p in self.evaluated if p.dominated],
            self.method,
            out / "frontier.png",
        )
        if png is not None:
            files.append(png)
        return files


def pareto(
    scenario: Scenario,
    points: int = 8,
    method: str = "epsilon",
    *,
    options: SolveOptions | None = None,
    lambdas: Sequence[float] | None = None,
    verify: bool = True,
    progress: Callable[[str], None] | None = None,
    **solve_options: Any,
) -> ParetoFrontier:
    """Trace cost vs population-weighted RTT for ``scenario`` with ``points`` solves.

    Every point is solved with ``options`` (or :class:`SolveOptions` made from the keyword
    ``solve_options``, e.g. ``time_limit=60``).

    Args:
        points: ε values (``epsilon``) or λ values (``lambda``), endpoints included.
        lambdas: explicit λ grid for ``method="lambda"`` (USD per user·ms·year).
        verify: check every point with :func:`placement.verify` (raises on a violation).
        progress: called with a line per solve.
    """
    if method not in METHODS:
        raise PortfolioError(f"method = {method!r}: choose one of {', '.join(METHODS)}")
    if points < 1:
        raise PortfolioError(f"points = {points!r}: must be at least 1")
    _require_hard_demand(scenario)
    say = progress or (lambda _m: None)
    if options is not None and solve_options:
        raise PortfolioError("give the solve options as options=... or as keywords, not both")
    try:
        options = options or SolveOptions(**solve_options)
    except (SolverOptionError, TypeError) as exc:
        raise PortfolioError(f"solve options: {exc}") from None
    cheapest_scn = with_latency_penalty(scenario, 0.0)
    say("solving the cheapest placement (no latency penalty)")
    cheapest = solve(cheapest_scn, options=options, compare=False)
    if not cheapest.ok:
        return ParetoFrontier(method, scenario, (), _no_frontier(cheapest))
    if method == "epsilon":
        evaluated = _epsilon_sweep(scenario, cheapest_scn, cheapest, points, options, say)
    else:
        evaluated = _lambda_sweep(scenario, cheapest_scn, cheapest, points, lambdas, options, say)
    if verify:
        for p in evaluated:
            verify_result(p.scenario, p.result)
    return ParetoFrontier(method, scenario, tuple(_mark_dominated(evaluated)))


def with_latency_penalty(scenario: Scenario, value: float) -> Scenario:
    """The scenario with λ (USD per user·ms·year) set to ``value``."""
    economics = scenario.economics.model_copy(
        update={"latency_penalty_usd_per_user_ms_year": float(value)}
    )
    return scenario.model_copy(update={"economics": economics})


def latency_objective() -> Customise:
    """A ``customise`` hook replacing the objective by the weighted RTT (ms)
    Σ_ij (users_j / Σ users) · (RTT_ij + service_ij) · serve_ij, every other cost 0: the same
    model and constraints (decision menus, budget, rules), only the objective changes. The
    result's decisions are then those of the least weighted RTT; its cost fields are, as
    always, the placement's USD costs, so only its decisions and KPIs mean anything."""

    def replace(built: Built, data: ModelData | PeriodData) -> None:
        columns, coef = _weighted_rtt(built, data)
        cost = np.zeros(built.model.num_vars)
        np.add.at(cost, columns, coef)
        built.model.set_objective(cost)

    return replace


def solve_with_rtt_cap(
    scenario: Scenario, max_weighted_rtt_ms: float, options: SolveOptions | None = None
) -> PlacementResult:
    """:func:`placement.solve` with the extra row Σ users · RTT · share ≤ ε · Σ users."""
    return solve(
        scenario,
        options=options or SolveOptions(),
        customise=rtt_cap_rows(max_weighted_rtt_ms),
        compare=False,
    )


def rtt_cap_rows(max_weighted_rtt_ms: float) -> Customise:
    """A ``customise`` hook adding Σ_ij (users_j / Σ users) · RTT_ij · serve_ij ≤ ε (in ms).

    On a multi-period plan the weighted RTT is the horizon's, as its KPI: over every period's
    user-years, Σ_t n_t Σ_ij users_j · RTT_ij · serve_ijt / Σ_t n_t Σ_j users_j (n_t the
    period's years; a region grown to zero is not in its period)."""

    def add(built: Built, data: ModelData | PeriodData) -> None:
        columns, coef = _weighted_rtt(built, data)
        slack = EPSILON_SLACK * max(1.0, abs(max_weighted_rtt_ms))
        built.model.add_rows(
            "weighted_rtt_cap",
            1,
            np.zeros(coef.size, dtype=np.int64),
            columns,
            coef,
            ub=max_weighted_rtt_ms + slack,
        )

    return add


def _weighted_rtt(built: Built, data: ModelData | PeriodData) -> tuple[np.ndarray, np.ndarray]:
    """The serving columns and their coefficients in the weighted RTT (ms): users_j · (RTT_ij
    + service_ij) / Σ users, over every period's user-years on a plan (see rtt_cap_rows)."""
    if isinstance(data, PeriodData):
        parts = [
            (period.years, period.data, cols.serve)
            for period, cols in zip(data.periods, built.periods, strict=True)
        ]
    else:
        parts = [(1, data, built.columns.serve)]
    total = sum(years * float(d.region_users.sum()) for years, d, _ in parts)
    coef = np.concatenate(
        [
            years * d.region_users[d.serving.other] * (d.serving.rtt_ms + d.serving.service_ms)
            for years, d, _ in parts
        ]
    )  # RTT plus service time: what λ prices, as the KPI
    columns = np.concatenate([serve for _, _, serve in parts])
    return columns, coef / total


def _epsilon_sweep(
    scenario: Scenario,
    cheapest_scn: Scenario,
    cheapest: PlacementResult,
    points: int,
    options: SolveOptions,
    say: Callable[[str], None],
) -> list[ParetoPoint]:
    r_max = float(cheapest.kpis.weighted_mean_rtt_ms or 0.0)
    say("solving the least weighted RTT (latency-only objective)")
    fastest = solve(cheapest_scn, options=options, customise=latency_objective(), compare=False)
    r_min = float(fastest.kpis.weighted_mean_rtt_ms or r_max) if fastest.ok else r_max
    r_min = min(r_min, r_max)
    if points == 1 or r_max - r_min <= 1e-9 * max(1.0, r_max):
        return [_point(cheapest_scn, cheapest, epsilon=r_max)]
    evaluated = []
    for eps in np.linspace(r_min, r_max, points)[:-1].tolist():
        say(f"ε = {eps:.4f} ms: cheapest placement within this weighted RTT")
        result = solve_with_rtt_cap(cheapest_scn, eps, options)
        if result.ok:
            evaluated.append(_point(cheapest_scn, result, epsilon=eps))
    evaluated.append(_point(cheapest_scn, cheapest, epsilon=r_max))
    return evaluated


def _lambda_sweep(
    scenario: Scenario,
    cheapest_scn: Scenario,
    cheapest: PlacementResult,
    points: int,
    lambdas: Sequence[float] | None,
    options: SolveOptions,
    say: Callable[[str], None],
) -> list[ParetoPoint]:
    if lambdas is None:
        users = sum(r.population for r in scenario.regions)
        r_max = cheapest.kpis.weighted_mean_rtt_ms or 1.0
        reference = (cheapest.objective or 1.0) / max(users * r_max, 1e-9)
        grid = [0.0, *np.geomspace(reference * 1e-3, reference * 10.0, points - 1).tolist()]
        lambdas = grid[:points]
    evaluated = []
    for lam in sorted(float(v) for v in lambdas):
        if lam < 0:
            raise PortfolioError(f"lambdas: {lam!r} is negative; λ must be ≥ 0")
        if lam == 0.0:
            evaluated.append(_point(cheapest_scn, cheapest, lam=0.0))
            continue
        say(f"λ = {lam:.4g} USD/user·ms·yr")
        scn = with_latency_penalty(scenario, lam)
        result = solve(scn, options=options, compare=False)
        if result.ok:
            evaluated.append(_point(scn, result, lam=lam))
    return evaluated


def _point(
    scenario: Scenario,
    result: PlacementResult,
    epsilon: float | None = None,
    lam: float | None = None,
) -> ParetoPoint:
    cost = float(result.objective or 0.0) - result.costs.latency_penalty
    return ParetoPoint(
        cost=cost,
        weighted_rtt_ms=float(result.kpis.weighted_mean_rtt_ms or 0.0),
        scenario=scenario,
        result=result,
        epsilon_ms=epsilon,
        latency_penalty=lam,
    )


def _mark_dominated(evaluated: list[ParetoPoint]) -> list[ParetoPoint]:
    """Flag points another beats on both axes (of equal points, all but one)."""
    keep = set(non_dominated([(p.cost, p.weighted_rtt_ms) for p in evaluated]))
    return [
        ParetoPoint(**{**p.__dict__, "dominated": n not in keep}) for n, p in enumerate(evaluated)
    ]


def _require_hard_demand(scenario: Scenario) -> None:
    for name in ("unserved_penalty_usd_per_mw_year", "unserved_penalty_usd_per_work_year"):
        value = getattr(scenario.economics, name)
        if value is not None:
            raise PortfolioError(
                f"economics.{name} = {value!r}: the frontier needs hard demand (with soft "
                "demand the weighted RTT is over served users only); set it to null"
            )
    if not scenario.regions or sum(r.population for r in scenario.regions) <= 0:
        raise PortfolioError(
            "regions: the frontier needs regions with population > 0 (the latency weights)"
        )


def _no_frontier(result: PlacementResult) -> str:
    detail = "; ".join(result.diagnosis) or result.message
    return f"no frontier: the cheapest placement is {result.status.value} ({detail})"
