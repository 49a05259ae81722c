"""Why models reach the solvers the way they do: three encodings of one model, timed.

``python -m benchmarks.encoding [--sites 100 --regions 1000]`` builds the strong formulation of
``random_cflp(sites, regions)`` and times, in one run, median of ``--repeat``:

* ``proto_wire``: :mod:`placement.milp.proto_wire` (numpy → protobuf wire bytes) and the
  public ``mathopt.Model.from_model_proto`` — how SCIP, CP-SAT, GLOP and PDLP get the model;
* ``mathopt_python``: the same model through MathOpt's public Python objects, one
  ``add_variable`` per column and one ``add_linear_constraint`` per row — the plain public
  route the encoder replaces;
* ``highspy``: ``Highs.passModel`` from CSR arrays — how HiGHS gets the model.

Each encoding is checked to give the same LP optimum, so the timings compare like with like.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
from ortools.math_opt.python import mathopt

from placement.datasets.synthetic import random_cflp
from placement.formulations import build
from placement.milp import mathopt as placement_mathopt
from placement.milp.highs import HighsSolver
from placement.milp.linear_model import LinearModel
from placement.milp.solution import SolveParams, Termination
from placement.model.data import build_model_data


def by_python_objects(model: LinearModel) -> mathopt.Model:
    """The model through MathOpt's public Python API, element by element."""
    out = mathopt.Model(name="placement")
    lb, ub, integer, cost = model.var_lb, model.var_ub, model.var_integer, model.objective
    variables = [
        out.add_variable(lb=lb[k], ub=ub[k], is_integer=bool(integer[k]))
        for k in range(model.num_vars)
    ]
    out.minimize(mathopt.fast_sum(cost[k] * variables[k] for k in np.flatnonzero(cost)))
    matrix = model.matrix()
    row_lb, row_ub = model.row_lb, model.row_ub
    for r in range(model.num_rows):
        lo, hi = matrix.indptr[r], matrix.indptr[r + 1]
        expr = mathopt.fast_sum(
            matrix.data[k] * variables[matrix.indices[k]] for k in range(lo, hi)
        )
        out.add_linear_constraint(lb=row_lb[r], ub=row_ub[r], expr=expr)
    return out


def timed(step: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = step()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def lp_optimum(opt_model: mathopt.Model) -> float:
    result = mathopt.solve(opt_model, mathopt.SolverType.GLOP)
    return float(result.objective_value())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.encoding", description=__doc__)
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--regions", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    model = build(build_model_data(random_cflp(args.sites, args.regions, seed=0)), "strong").model
    size = model.size()
    print(
        f"random_cflp({args.sites}, {args.regions}) strong: {size['variables']:,} variables, "
        f"{size['constraints']:,} rows, {size['nonzeros']:,} nonzeros; median of {args.repeat}"
    )
    wire_s, wire_model = timed(lambda: placement_mathopt.to_model(model, relax=True), args.repeat)
    python_s, python_model = timed(lambda: by_python_objects(model), 1)
    highs_s, highs = timed(lambda: HighsSolver(model), args.repeat)
    optima = {
        "proto_wire": lp_optimum(wire_model),
        "mathopt_python": lp_optimum(_relaxed(python_model)),
    }
    raw = highs.solve_lp(SolveParams())
    assert raw.termination is Termination.OPTIMAL
    optima["highspy"] = float(raw.objective)
    reference = optima["proto_wire"]
    for name, value in optima.items():
        if abs(value - reference) > 1e-6 * max(1.0, abs(reference)):
            raise SystemExit(f"{name}: LP optimum {value} differs from {reference}")
    print("| encoding | seconds | × proto_wire | LP optimum |")
    print("|---|---|---|---|")
    for label, key, seconds in (
        ("proto_wire + Model.from_model_proto", "proto_wire", wire_s),
        ("MathOpt Python objects (1 run)", "mathopt_python", python_s),
        ("highspy passModel from CSR", "highspy", highs_s),
    ):
        print(f"| {label} | {seconds:.3f} | {seconds / wire_s:.1f} | {optima[key]:,.4f} |")
    return 0


def _relaxed(opt_model: mathopt.Model) -> mathopt.Model:
    for variable in opt_model.variables():
        variable.integer = False
    return opt_model


if __name__ == "__main__":
    raise SystemExit(main())
