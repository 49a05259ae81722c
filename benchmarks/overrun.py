"""How far past its time limit a solve returns, over sizes, capacity ratios, formulations,
backends and methods where the limit binds (issue 10: every solve back by time_limit + 5 % + 1 s).

    python -m benchmarks.overrun [--time-limit 10] [--out benchmarks/results/overrun.csv]

Each solve is ``placement.solve`` end to end (data, build, solve, decode) in this process,
timed from the call to its return; every answer is checked by ``placement.verify``. Prints a
table and the worst overrun.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import time
from pathlib import Path

import placement as pl
from placement.datasets.synthetic import random_cflp

SIZES = ((100, 1000), (200, 2000), (300, 4000))
RATIOS = (3.0, 20.0)
ROUTES = (
    ("strong", "highs", "milp"),
    ("weak", "highs", "milp"),
    ("strong", "highs", "decomposition"),
    ("strong", "scip", "milp"),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.overrun", description=__doc__)
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/overrun.csv"))
    args = parser.parse_args(argv)
    rows = []
    for (n, m), ratio, (formulation, solver, method) in itertools.product(SIZES, RATIOS, ROUTES):
        scenario = random_cflp(n, m, seed=0, capacity_ratio=ratio)
        started = time.perf_counter()
        result = pl.solve(
            scenario,
            formulation,
            solver,
            method=method,
            time_limit=args.time_limit,
            threads=1,
            gap=1e-4,
        )
        wall = time.perf_counter() - started
        pl.verify(scenario, result)
        allowed = 1.05 * args.time_limit + 1.0
        rows.append(
            {
                "instance": f"random_cflp {n}x{m} ratio {ratio:g}",
                "formulation": formulation,
                "solver": solver,
                "method": result.method,
                "status": result.status.value,
                "gap": "" if result.gap is None else f"{result.gap:.2e}",
                "wall_seconds": f"{wall:.2f}",
                "overrun_seconds": f"{max(wall - args.time_limit, 0.0):.2f}",
                "held": wall <= allowed,
            }
        )
        print(" | ".join(str(v) for v in rows[-1].values()), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    worst = max(float(r["overrun_seconds"]) for r in rows)
    held = sum(r["held"] for r in rows)
    print(f"{held}/{len(rows)} within time_limit + 5 % + 1 s; worst overrun {worst:.2f} s")
    return 0 if held == len(rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
