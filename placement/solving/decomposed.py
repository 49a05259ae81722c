"""Which method proves a model, and the decomposition's route from data to result.

``auto`` chooses by size and structure, from the side-by-side measurements in
``benchmarks/RESULTS.md`` (plain MILP vs decomposition, 1 thread): the MILP proves the small
models (OR-Library, up to 50 sites; median 0.01 s) before the decomposition has finished its
root ascent, and the legacy US model (53 sites, training clusters, an almost integral strong
LP) is proven faster by the LP branch and bound; pure location models from
:data:`AUTO_MIN_SITES_LOCATION` sites and :data:`AUTO_MIN_PAIRS_LOCATION` pairs up (random CFLP
50×200 and 100×1,000 at every capacity ratio) are proven by the decomposition where the MILP
is slower or stops at a gap. With training clusters the MILP keeps every model it proves
(world 200×2,000: 16 s, where the decomposition is at 0.05 % after 60 s); the decomposition
takes them from :data:`AUTO_MIN_SITES` sites and :data:`AUTO_MIN_PAIRS` pairs, where the MILP
stops at a gap or without a bound.
Models with decision menus (leases, cloud, several hardware types or ways to build a cluster,
a cooling catalogue, a capital budget) stay on the MILP under ``auto``: the decomposition
covers most of them but measured no clear win (1 thread, gap 1e-4, load 1–2: the US
default's seven what-ifs 1.7–5.0 s for the MILP against 1.3–4.7 s, the MILP faster on three
and proving tighter gaps;
the synthetic ``random_menu_scenario`` 100×1,000, seeds 0–2: 7.2 / 79.4 / 2.9 s against
1.8 s / 0.1 % after 120 s / 2.0 s).
Models with a feature the decomposition does not cover (inference split over several cooling
options, single sourcing, the add-ons, rows added by ``customise``) go to the MILP; when
the decomposition was asked for, the result's message says why.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from placement.decomposition import solve_decomposition, unsupported_features
from placement.model.data import ModelData
from placement.model.schema import Scenario
from placement.results.decode import summarise
from placement.results.result import PlacementResult, Status
from placement.solving.options import SolveOptions

AUTO_MIN_SITES = 80  # models with training clusters (the legacy US model, 53 sites: MILP)
AUTO_MIN_PAIRS = 200_000  # world 200x2000 (21,724 pairs): MILP proven in 16 s, decomposition
# 0.05 % after 60 s
AUTO_MIN_SITES_LOCATION = 40  # pure location models (no training clusters)
AUTO_MIN_PAIRS_LOCATION = 5_000  # OR-Library's largest: 50 x 50 = 2,500 pairs (MILP)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Choice:
    """The method a solve uses, and a note for the result's message ("" when none is due)."""

    method: str  # milp | decomposition
    note: str


def choose(data: ModelData, options: SolveOptions, *, customised: bool) -> Choice:
    """The method for ``data``: ``options.method`` unless it is ``auto`` or not applicable."""
    wanted = options.method
    if wanted == "milp":
        return Choice("milp", "")
    large = _large(data)
    if wanted == "auto" and (not large or data.uses_menus):
        return Choice("milp", "")
    missing = list(unsupported_features(data, formulation=options.formulation))
    if options.solver != "highs":
        missing.append(f"solver {options.solver!r} (the decomposition solves with HiGHS)")
    if customised:
        missing.append("rows or bounds added by customise")
    if missing:
        who = "method 'decomposition'" if wanted == "decomposition" else "method 'auto'"
        return Choice(
            "milp",
            f"{who}: solved by the MILP because the decomposition does not cover "
            + "; ".join(missing),
        )
    return Choice("decomposition", "")


def noted(result: PlacementResult, options: SolveOptions) -> PlacementResult:
    """A multi-period plan's result, saying so when the decomposition was asked for (plans are
    solved by the MILP route of :mod:`placement.solving.periods`)."""
    if options.method != "decomposition":
        return result
    note = (
        "method 'decomposition': solved by the MILP because the decomposition does not cover "
        "multi-period plans"
    )
    message = f"{note}; {result.message}" if result.message else note
    return result.model_copy(update={"message": message})


def _large(data: ModelData) -> bool:
    """Large enough for the decomposition to win, by the published measurements."""
    pairs = len(data.serving)
    if data.n_clusters == 0:
        return data.n_sites >= AUTO_MIN_SITES_LOCATION and pairs >= AUTO_MIN_PAIRS_LOCATION
    return data.n_sites >= AUTO_MIN_SITES and pairs >= AUTO_MIN_PAIRS


def solve(
    scenario: Scenario,
    data: ModelData,
    options: SolveOptions,
    *,
    started: float,
    say: Progress,
) -> PlacementResult:
    """Solve ``data`` by Lagrangian branch and bound (:mod:`placement.decomposition`).

    The status is ``optimal`` only when the proven bound is within ``options.gap`` of the
    objective recomputed from the decisions; ``bound`` is the bound the search proved.
    """
    left = None
    if options.time_limit is not None:
        left = max(options.time_limit - (time.perf_counter() - started), 0.0)
    build_seconds = time.perf_counter() - started
    say(f"solving by Lagrangian decomposition: {data.n_sites} sites, {len(data.serving):,} pairs")
    outcome = solve_decomposition(
        data, time_limit=left, gap=options.gap, seed=options.seed, progress=say
    )
    common = {
        "scenario": scenario.name,
        "formulation": options.formulation,
        "solver": "highs",
        "method": "decomposition",
        "build_seconds": build_seconds,
        "solve_seconds": time.perf_counter() - started - build_seconds,
        "message": outcome.message,
        "bound": outcome.bound,
    }
    if outcome.decisions is None:
        return PlacementResult(status=Status(outcome.status), **common)
    summary = summarise(data, outcome.decisions)
    objective = summary.costs.total
    bound = None if outcome.bound is None else min(outcome.bound, objective)
    gap = None if bound is None else max(0.0, objective - bound) / max(abs(objective), 1e-9)
    status = Status.OPTIMAL if gap is not None and gap <= options.gap else Status.FEASIBLE
    shown = "unknown" if gap is None else f"{gap:.2e}"
    say(f"{status.value}: {objective:,.0f} USD per year, gap {shown}")
    return PlacementResult(
        status=status,
        objective=objective,
        gap=gap,
        **summary.result_fields(),
        **{**common, "bound": bound},
    )
