"""All 37 OR-Library instances against Beasley's optima, as one table.

    python -m benchmarks.orlib [--formulation strong] [--solver highs]

Solves in this process with the library's default settings, verifies every answer, and prints
instance, optimum, ours, relative deviation, build s and solve s. Exit status 1 if any answer is
off its optimum by more than 1e-6 relative or fails verification.
"""

from __future__ import annotations

import argparse
import sys

import placement as pl
from benchmarks.instances import ORLIB_DIR, orlib_names
from placement.io.orlib import read_orlib_cflp, read_orlib_optima

TOLERANCE = 1e-6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.orlib", description=__doc__)
    parser.add_argument("--formulation", default="strong", choices=sorted(pl.FORMULATIONS))
    parser.add_argument("--solver", default="highs", choices=pl.SOLVERS)
    args = parser.parse_args(argv)
    optima = read_orlib_optima(ORLIB_DIR / "capopt.txt")
    header = (
        f"{'instance':<9}{'optimum':>16}{'ours':>18}{'deviation':>11}{'build s':>9}{'solve s':>9}"
    )
    print(header)
    print("-" * len(header))
    bad = 0
    for name in orlib_names():
        scenario = read_orlib_cflp(ORLIB_DIR / f"{name}.txt")
        result = pl.solve(scenario, formulation=args.formulation, solver=args.solver)
        pl.verify(scenario, result)
        ours = result.objective if result.objective is not None else float("nan")
        deviation = (ours - optima[name]) / optima[name]
        bad += not abs(deviation) <= TOLERANCE
        print(
            f"{name:<9}{optima[name]:>16,.3f}{ours:>18,.3f}{deviation:>11.1e}"
            f"{result.build_seconds:>9.3f}{result.solve_seconds:>9.3f}"
        )
    print(
        f"{len(optima) - bad} of {len(optima)} at the known optimum (|deviation| ≤ {TOLERANCE:g})"
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
