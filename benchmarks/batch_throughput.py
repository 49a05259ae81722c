"""Batch throughput: cases per second with 1 and 2 workers (goal: ≥ 1.8× on 2 cores).

    python benchmarks/batch_throughput.py                       # process pool, 16 cases
    python benchmarks/batch_throughput.py --executor dask       # the same on a LocalCluster
    python benchmarks/batch_throughput.py --cases 24 --regions 400 --json out.json

The portfolio: the bundled US sites with the N most populous counties (≈ 0.9 s per solve at
300 counties on this machine class), swept over carbon prices, each solve on one thread. Each
run writes to a fresh folder, so nothing is skipped. Two times are reported per run:

* ``wall``: the whole ``solve_portfolio`` call, including starting the workers and writing
  the tables (what a user waits for);
* ``steady``: from the first result written to the last, per result after the first (the
  rate once the workers are up; start-up cost does not grow with the batch).

A calibration runs first: a pure-Python CPU loop in 1 process, then in 2 processes at once. Its
speed-up is what this machine, at this moment, gives any two independent processes (other
load, shared or throttled vCPUs); the batch's speed-up is to be read against it.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import warnings
from pathlib import Path

from placement.batch import Override, Portfolio, SolveOptions, solve_portfolio
from placement.batch.store import read_events


def portfolio(cases: int, regions: int, base_file: Path) -> Portfolio:
    from placement.datasets.us import build_us_scenario

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = build_us_scenario(name=f"us_{regions}", region_count=regions, price_gap="exclude")
    base.to_file(base_file)
    prices = [round(5.0 * k, 1) for k in range(cases)]
    return Portfolio(
        base=base_file,
        parameters=[Override("carbon", path="economics.carbon_price_usd_per_tonne", values=prices)],
        solve=SolveOptions(time_limit=300, gap=1e-6, seed=0),
    )


def _spin(n: int) -> float:
    started = time.perf_counter()
    total = 0
    for i in range(n):
        total += i
    return time.perf_counter() - started


def calibrate(n: int = 20_000_000) -> dict[str, float]:
    """Speed-up two processes get over one on a pure CPU loop (the machine's ceiling now)."""
    from concurrent.futures import ProcessPoolExecutor

    from placement.batch.executors import pool_context

    with ProcessPoolExecutor(max_workers=2, mp_context=pool_context()) as pool:
        list(pool.map(_spin, [1000, 1000]))  # start both workers first
        started = time.perf_counter()
        pool.submit(_spin, n).result()
        one = time.perf_counter() - started
        started = time.perf_counter()
        list(pool.map(_spin, [n, n]))
        two = time.perf_counter() - started
    return {"one_loop_seconds": one, "two_loops_seconds": two, "speedup": 2.0 * one / two}


def measure(pf: Portfolio, workers: int, executor: str, folder: Path) -> dict[str, float]:
    started = time.perf_counter()
    run = solve_portfolio(
        pf, folder, workers=workers, executor=executor, progress=False, plots=False
    )
    wall = time.perf_counter() - started
    assert run.solved == len(run.cases) and not run.failed, "every case must solve"
    done = sorted(e["time"] for e in read_events(folder / "log.jsonl") if e["event"] == "done")
    steady = (done[-1] - done[0]) / max(len(done) - 1, 1)
    solve_total = sum(r.wall_seconds for r in run.records.values())
    return {
        "workers": workers,
        "cases": len(run.cases),
        "wall_seconds": wall,
        "cases_per_second": len(run.cases) / wall,
        "steady_seconds_per_case": steady,
        "mean_solve_seconds": solve_total / len(run.cases),
        "objectives": [float(v) for v in run.table["objective"]],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=16)
    parser.add_argument("--regions", type=int, default=300)
    parser.add_argument("--executor", choices=("process", "dask"), default="process")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[0]
    ceiling = calibrate()
    print(
        f"calibration: CPU loop {ceiling['one_loop_seconds']:.2f} s alone, "
        f"{ceiling['two_loops_seconds']:.2f} s for two at once = "
        f"{ceiling['speedup']:.2f}× (machine ceiling now; load average {load_before:.2f})"
    )
    with tempfile.TemporaryDirectory(prefix="batch_throughput_") as tmp:
        root = Path(tmp)
        pf = portfolio(args.cases, args.regions, root / "base.json")
        runs = [measure(pf, w, args.executor, root / f"w{w}") for w in (1, 2)]
    one, two = runs
    same = all(
        abs(a - b) <= 1e-9 * max(abs(a), 1.0)
        for a, b in zip(one["objectives"], two["objectives"], strict=True)
    )
    report = {
        "executor": args.executor,
        "cpus": os.cpu_count(),
        "cases": args.cases,
        "regions": args.regions,
        "load_average_before": load_before,
        "calibration": ceiling,
        "runs": [{k: v for k, v in r.items() if k != "objectives"} for r in runs],
        "speedup_wall": one["wall_seconds"] / two["wall_seconds"],
        "speedup_steady": one["steady_seconds_per_case"] / two["steady_seconds_per_case"],
        "same_objectives": same,
    }
    for r in report["runs"]:
        print(
            f"{args.executor:8s} workers={r['workers']}: {r['cases']} cases in "
            f"{r['wall_seconds']:.1f} s = {r['cases_per_second']:.2f} cases/s "
            f"(steady {r['steady_seconds_per_case']:.2f} s/case, "
            f"mean solve {r['mean_solve_seconds']:.2f} s)"
        )
    print(
        f"speed-up with 2 workers: {report['speedup_wall']:.2f}× wall, "
        f"{report['speedup_steady']:.2f}× steady (goal ≥ 1.8×); same objectives: {same}"
    )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
