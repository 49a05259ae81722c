"""Run one benchmark entry: warm-up, timed solves, verify, LP bound at the root, peak memory.

Meant to run in a fresh process (see :mod:`benchmarks.isolation`), so ``ru_maxrss`` is the peak
resident memory of this entry alone: interpreter, libraries, scenario, model and solver. It is
read after the solves and verify but before the LP relaxation, so every backend's figure covers
the same work.
"""

from __future__ import annotations

import resource
import statistics
import time
import traceback
from typing import Any

from benchmarks.entry import SIZE_KEYS, Entry, Settings, base_row
from placement.datasets.synthetic import random_cflp
from placement.errors import VerificationError
from placement.formulations import build
from placement.milp import backends
from placement.milp.solution import Termination
from placement.model.data import build_model_data
from placement.model.pairs import eligible_pairs
from placement.model.schema import Scenario
from placement.results.result import PlacementResult
from placement.results.verify import verify
from placement.solving.solve import solve

LP_SOLVER = "highs"


def rss_mb() -> float:
    """Peak resident set size of this process so far, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_entry(entry: Entry, settings: Settings) -> dict[str, Any]:
    """Solve one entry as the settings say and return its row; never raises."""
    row = base_row(entry, settings)
    row["base_rss_mb"] = round(rss_mb(), 1)
    try:
        _run(entry, settings, row)
    except Exception as exc:  # a benchmark row records the failure instead of stopping the run
        row["status"] = "error"
        row["note"] = f"{type(exc).__name__}: {exc}"[:300]
        row["traceback"] = traceback.format_exc()
    return row


def _run(entry: Entry, settings: Settings, row: dict[str, Any]) -> None:
    spec = entry.spec
    if entry.variant == "dense" and spec.n_pairs_dense > settings.max_pairs:
        _skip(row, f"too large: {spec.n_pairs_dense:,} pairs > --max-pairs {settings.max_pairs:,}")
        return
    scenario = spec.load(entry.variant)
    row["n_clusters"] = len(scenario.training)
    row["pairs"] = len(eligible_pairs(scenario)) if scenario.regions else 0
    if row["pairs"] > settings.max_pairs:
        _skip(row, f"too large: {row['pairs']:,} pairs > --max-pairs {settings.max_pairs:,}")
        return
    if settings.warmup:
        _warm_up(entry, settings)
    results = _timed_solves(scenario, entry, settings)
    first = results[0]
    row.update(
        status=first.status.value,
        objective=first.objective,
        bound=first.bound,
        gap=first.gap,
        build_seconds=statistics.median(r.build_seconds for r in results),
        solve_seconds=statistics.median(r.solve_seconds for r in results),
        runs=len(results),
        runs_agree=len({(r.status, _rounded(r.objective)) for r in results}) == 1,
        # how far past its time limit a solve returned (the limit includes building)
        overrun_seconds=max(
            0.0, max(r.build_seconds + r.solve_seconds for r in results) - settings.time_limit
        ),
        **{key: first.model_size.get(key) for key in SIZE_KEYS},
    )
    if first.message and first.status.value not in ("optimal", "feasible"):
        row["note"] = first.message[:300]
    row["verified"], error = _verify_all(scenario, results)
    if error:
        row["note"] = (row["note"] + " | " if row["note"] else "") + error[:300]
    row["peak_rss_mb"] = round(rss_mb(), 1)
    if entry.with_lp and settings.lp and first.model_size:
        row["lp_bound"], row["lp_seconds"] = lp_bound(scenario, entry.formulation, settings)


def _skip(row: dict[str, Any], reason: str) -> None:
    row["status"] = "skipped"
    row["note"] = reason


def _rounded(value: float | None) -> float | None:
    return None if value is None else float(f"{value:.9g}")


def _warm_up(entry: Entry, settings: Settings) -> None:
    """A tiny solve with the same backend and formulation: loads libraries, fills caches."""
    tiny = random_cflp(4, 8, seed=1, capacity_ratio=4.0)
    solve(tiny, entry.formulation, entry.solver, time_limit=5.0, threads=settings.threads)


def _timed_solves(scenario: Scenario, entry: Entry, settings: Settings) -> list[PlacementResult]:
    """One solve, or ``runs`` solves when the first is quicker than ``repeat_below`` seconds."""
    results: list[PlacementResult] = []
    for _ in range(max(1, settings.runs)):
        results.append(
            solve(
                scenario,
                entry.formulation,
                entry.solver,
                time_limit=settings.time_limit,
                gap=settings.gap,
                threads=settings.threads,
                seed=settings.seed,
                lp_nodes=settings.lp_nodes,
                method=entry.method,
            )
        )
        first = results[0]
        if first.build_seconds + first.solve_seconds >= settings.repeat_below:
            break
    return results


def _verify_all(scenario: Scenario, results: list[PlacementResult]) -> tuple[bool, str]:
    """Verify every run's answer; (passed, first violation)."""
    for result in results:
        try:
            verify(scenario, result)
        except VerificationError as exc:
            return False, f"verify: {exc}"
    return True, ""


def lp_bound(
    scenario: Scenario, formulation: str, settings: Settings
) -> tuple[float | None, float]:
    """The LP relaxation of the formulation at the root (HiGHS), under the same time limit.

    Same as :func:`placement.solving.solve.solve_relaxation` but with the run's time limit and
    threads, so a huge model cannot stall the benchmark. None when the LP was not solved in time.
    """
    started = time.perf_counter()
    built = build(build_model_data(scenario), formulation)
    params = backends.SolveParams(time_limit=settings.time_limit, threads=settings.threads)
    raw = backends.solve_model(built.model, LP_SOLVER, params, relax=True)
    bound = raw.objective if raw.termination is Termination.OPTIMAL else None
    return bound, time.perf_counter() - started
