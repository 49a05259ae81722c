"""N-1 (rules.resilience) against the plain MILP in the same run: time, cost of resilience,
site-loss cut rounds, and an independent verify of every answer.

    python -m benchmarks.resilience [--runs 3] [--time-limit 300] [--us-default]

Instances: seeded ``random_ai_scenario`` (SLO 50 ms, degraded SLO 80 ms during a failure) at
three sizes and ``us_small`` (degraded SLO 100 ms; Alaska and Hawaii reach one site each within
their 50 ms SLO, so N-1 with the plain SLO is infeasible and diagnosed so). ``--us-default``
adds the 53 × 3,143 default (slow: see RESULTS.md). Prints a markdown table of medians over
``--runs`` solves: wall time plain and N-1 and their ratio, the objective ratio (1 + the cost of
resilience), failure-cut rounds and cuts, and whether verify passed.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import placement as pl
from placement.datasets.synthetic import random_ai_scenario


def _with_n1(scenario: pl.Scenario, degraded_ms: float) -> pl.Scenario:
    rules = scenario.rules.model_copy(
        update={"resilience": pl.Resilience(degraded_slo_ms=degraded_ms)}
    )
    return scenario.model_copy(update={"rules": rules})


def instances(us_default: bool) -> list[tuple[str, pl.Scenario, float]]:
    warnings.simplefilter("ignore")
    out = [
        (f"random_ai {n}x{m} seed {seed}", random_ai_scenario(n, m, 2, seed, slo_ms=50.0), 80.0)
        for n, m in ((10, 100), (20, 300), (40, 1000))
        for seed in (0, 1)
    ]
    out.append(("us_small 13x150", pl.datasets.us_small(), 100.0))
    if us_default:
        out.append(("us_default 53x3143", pl.datasets.us_default(), 100.0))
    return out


def _timed(scenario: pl.Scenario, time_limit: float) -> tuple[float, pl.PlacementResult]:
    started = time.perf_counter()
    result = pl.solve(scenario, time_limit=time_limit, compare=False)
    return time.perf_counter() - started, result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=300.0)
    parser.add_argument("--us-default", action="store_true")
    args = parser.parse_args(argv)
    print("| instance | plain s | N-1 s | time ratio | objective ratio | rounds | cuts | "
          "N-1 status | gap | verified |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, plain, degraded in instances(args.us_default):
        n1 = _with_n1(plain, degraded)
        plain_times, n1_times = [], []
        for _ in range(args.runs):
            seconds, base = _timed(plain, args.time_limit)
            plain_times.append(seconds)
            seconds, res = _timed(n1, args.time_limit)
            n1_times.append(seconds)
        verified = "yes"
        try:
            pl.verify(plain, base)
            pl.verify(n1, res)
        except pl.VerificationError as exc:
            verified = f"NO: {exc}"[:60]
        a, b = statistics.median(plain_times), statistics.median(n1_times)
        ok = res.ok and base.ok and base.objective
        ratio = f"{res.objective / base.objective:.4f}" if ok else "—"
        loss = res.site_loss
        gap = "—" if res.gap is None else f"{res.gap:.1e}"
        print(f"| {name} | {a:.2f} | {b:.2f} | {b / a:.1f} | {ratio} | "
              f"{loss.rounds if loss else '—'} | {loss.cuts if loss else '—'} | "
              f"{res.status.value} | {gap} | {verified} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
