"""The solver layer on its own: models, encodings, HiGHS and MathOpt, LP branch and bound, files.

Nothing here imports the domain (scenarios, sites, regions): the models are small generic
programs whose optimum is known by brute force.
"""

from __future__ import annotations

import ast
import itertools
import math
import time
from pathlib import Path

import highspy
import numpy as np
import pytest
from google.protobuf.internal import encoder
from ortools.math_opt import model_pb2

from placement.milp import backends, export, lp_branch, mathopt, watchdog
from placement.milp import highs as highs_module
from placement.milp.highs import HighsSolver
from placement.milp.linear_model import Labels, LinearModel
from placement.milp.proto_wire import varints
from placement.milp.solution import RawSolution, SolveParams, Termination

N_BINARY = 7
MILP_PACKAGE = Path(__file__).resolve().parents[1] / "placement" / "milp"


# ----------------------------------------------------------------------------- programs
def random_program(seed: int) -> tuple[LinearModel, dict]:
    """min c·x + d·y  s.t.  lo_r ≤ A_r·x + b_r·y ≤ hi_r,  x ∈ {0,1}^n, 0 ≤ y ≤ 4."""
    rng = np.random.default_rng(seed)
    rows = 4
    program = {
        "c": rng.integers(-9, 10, N_BINARY).astype(float),
        "d": float(rng.integers(-3, 4)),
        "A": rng.integers(-4, 8, (rows, N_BINARY)).astype(float),
        "b": rng.integers(-3, 4, rows).astype(float),
        "lo": rng.integers(-2, 6, rows).astype(float),
    }
    program["hi"] = program["lo"] + rng.integers(2, 12, rows)
    model = LinearModel()
    x = model.add_vars("x", N_BINARY, integer=True, cost=program["c"])
    y = model.add_vars("y", 1, ub=4.0, cost=program["d"])
    r = np.repeat(np.arange(rows), N_BINARY + 1)
    col = np.tile(np.concatenate([x, y]), rows)
    val = np.column_stack([program["A"], program["b"]]).ravel()
    model.add_rows("rows", rows, r, col, val, lb=program["lo"], ub=program["hi"])
    return model, program


def brute_force(p: dict) -> float | None:
    """Enumerate x; for each, y ranges over an interval (one variable), cost is linear in y."""
    best = math.inf
    for bits in itertools.product((0.0, 1.0), repeat=N_BINARY):
        x = np.array(bits)
        rest_lo, rest_hi = p["lo"] - p["A"] @ x, p["hi"] - p["A"] @ x
        y_lo, y_hi = 0.0, 4.0
        feasible = True
        for b, lo, hi in zip(p["b"], rest_lo, rest_hi, strict=True):
            if b == 0:
                feasible &= lo <= 0 <= hi
            elif b > 0:
                y_lo, y_hi = max(y_lo, lo / b), min(y_hi, hi / b)
            else:
                y_lo, y_hi = max(y_lo, hi / b), min(y_hi, lo / b)
        if not feasible or y_lo > y_hi + 1e-12:
            continue
        y = y_lo if p["d"] >= 0 else y_hi
        best = min(best, float(p["c"] @ x + p["d"] * y))
    return None if math.isinf(best) else best


def knapsack_model(n: int, seed: int) -> LinearModel:
    """A 0-1 knapsack with labelled items: max value (as min −value) under one weight row."""
    rng = np.random.default_rng(seed)
    model = LinearModel()
    items = [f"item {k}" for k in range(n)]  # a space: names must stay single tokens
    x = model.add_vars(
        "take",
        n,
        integer=True,
        cost=-rng.integers(10, 60, n).astype(float),
        labels=Labels((items,), (np.arange(n),)),
    )
    weights = rng.integers(5, 40, n).astype(float)
    model.add_rows("weight", 1, np.zeros(n), x, weights, ub=float(weights.sum() / 3))
    return model


def _params(**kw) -> SolveParams:
    return SolveParams(gap=0.0, **kw)


# ----------------------------------------------------------------------------- model
def test_triplets_are_row_major_and_sum_duplicates():
    model = LinearModel()
    cols = model.add_vars("x", 3, cost=[1.0, 2.0, 3.0])
    model.add_rows("r", 2, [1, 0, 0, 1], cols[[2, 1, 1, 0]], [1.0, 2.0, 3.0, 0.0], ub=4.0)
    rows, columns, values = model.triplets()
    assert rows.tolist() == [0, 1] and columns.tolist() == [1, 2] and values.tolist() == [5.0, 1.0]


def test_blocks_keep_their_names_and_labels():
    model = LinearModel()
    sites, regions = ["a", "b c"], ["r1", "r2", "r3"]
    model.add_vars("open", 2, labels=Labels((sites,), (np.arange(2),)))
    model.add_vars("serve", 3, labels=Labels((sites, regions), (np.array([0, 1, 1]), np.arange(3))))
    model.add_vars("slack", 1)
    model.add_rows("cap", 1, [0], [0], 1.0, ub=1.0)
    assert model.variable_names() == [
        "open[a]",
        "open[b_c]",
        "serve[a,r1]",
        "serve[b_c,r2]",
        "serve[b_c,r3]",
        "slack[0]",
    ]
    assert model.row_names() == ["cap[0]"]
    with pytest.raises(ValueError, match="twice"):
        model.add_vars("open", 1)


# ----------------------------------------------------------------------------- encodings
def _reference_proto(model: LinearModel, relax: bool) -> model_pb2.ModelProto:
    """Field-by-field fill through the protobuf API: slow, but the library's own encoding."""
    proto = model_pb2.ModelProto(name="placement")
    proto.variables.ids.extend(range(model.num_vars))
    proto.variables.lower_bounds.extend(model.var_lb.tolist())
    proto.variables.upper_bounds.extend(model.var_ub.tolist())
    integer = np.zeros(model.num_vars, bool) if relax else model.var_integer
    proto.variables.integers.extend(integer.tolist())
    nz = np.flatnonzero(model.objective)
    proto.objective.linear_coefficients.ids.extend(nz.tolist())
    proto.objective.linear_coefficients.values.extend(model.objective[nz].tolist())
    proto.linear_constraints.ids.extend(range(model.num_rows))
    proto.linear_constraints.lower_bounds.extend(model.row_lb.tolist())
    proto.linear_constraints.upper_bounds.extend(model.row_ub.tolist())
    rows, cols, vals = model.triplets()
    proto.linear_constraint_matrix.row_ids.extend(rows.tolist())
    proto.linear_constraint_matrix.column_ids.extend(cols.tolist())
    proto.linear_constraint_matrix.coefficients.extend(vals.tolist())
    return proto


def test_varints_match_protobuf():
    values = [0, 1, 127, 128, 300, 16_383, 16_384, 2**31, 2**32 - 1, 2**32, 2**40, 2**63 - 1]
    expected = b"".join(encoder._VarintBytes(v) for v in values)
    assert varints(np.array(values, dtype=np.uint64)) == expected
    assert varints(np.array(values[:9], dtype=np.uint64)) == b"".join(
        encoder._VarintBytes(v) for v in values[:9]
    )


@pytest.mark.parametrize("relax", [False, True])
def test_wire_encoding_equals_protobuf_fill(relax):
    model = LinearModel()
    rng = np.random.default_rng(4)
    x = model.add_vars("x", 300, integer=True, cost=rng.normal(size=300))
    y = model.add_vars("y", 200, lb=-rng.random(200), ub=np.inf, cost=rng.normal(size=200))
    cols = rng.choice(np.concatenate([x, y]), 3000)
    model.add_rows("r", 400, rng.integers(0, 400, 3000), cols, rng.normal(size=3000), ub=5.0)
    model.add_rows("e", 1, np.zeros(300), x, 1.0, lb=7.0, ub=7.0)
    assert mathopt.to_proto(model, relax=relax) == _reference_proto(model, relax)


# ----------------------------------------------------------------------------- solvers
@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("solver", ["highs", "scip"])
def test_solvers_match_brute_force(seed, solver):
    model, program = random_program(seed)
    truth = brute_force(program)
    raw = backends.solve_model(model, solver, _params())
    if truth is None:
        assert raw.termination is Termination.INFEASIBLE and raw.values is None
        return
    assert raw.termination is Termination.OPTIMAL
    assert raw.objective == pytest.approx(truth, rel=1e-6, abs=1e-6)
    assert raw.bound <= raw.objective + 1e-6


def test_lp_relaxation_is_a_lower_bound_on_every_lp_solver():
    model = knapsack_model(30, seed=2)
    mip = backends.solve_model(model, "highs", _params())
    assert mip.termination is Termination.OPTIMAL
    for solver in ("highs", "glop", "pdlp"):
        lp = backends.solve_model(model, solver, SolveParams(), relax=True)
        assert lp.termination is Termination.OPTIMAL, solver
        assert lp.objective <= mip.objective + 1e-4 * abs(mip.objective)
        assert lp.objective < mip.objective - 1e-6  # the knapsack LP is fractional


def test_unknown_and_lp_only_solvers_fail_before_solving():
    model, _ = random_program(0)
    with pytest.raises(backends.SolverOptionError, match="glop"):
        backends.solve_model(model, "glop", SolveParams())
    with pytest.raises(backends.SolverOptionError, match="unknown"):
        backends.solve_model(model, "gurobi", SolveParams(), relax=True)


def multi_knapsack(n: int, rows: int, seed: int) -> LinearModel:
    """max value under several weight rows: small, but it takes HiGHS real branching."""
    rng = np.random.default_rng(seed)
    model = LinearModel()
    x = model.add_vars("x", n, integer=True, cost=-rng.integers(50, 100, n).astype(float))
    weights = rng.integers(20, 80, (rows, n)).astype(float)
    model.add_rows(
        "w", rows, np.repeat(np.arange(rows), n), np.tile(x, rows), weights.ravel(),
        ub=weights.sum(axis=1) / 2,
    )  # fmt: skip
    return model


def test_highs_deadline_interrupts_and_the_flag_does_not_stick():
    model = multi_knapsack(30, 6, seed=0)
    highs = HighsSolver(model, _params())
    past = time.perf_counter() - 1.0
    stopped = highs.solve_mip(_params(deadline=past), start=np.zeros(model.num_vars))
    assert stopped.termination is Termination.FEASIBLE
    assert "stopped" in stopped.detail and stopped.objective == 0.0  # the start, unimproved
    # the same encoded model, no deadline: HiGHS must not stay interrupted
    proved = highs.solve_mip(_params())
    reference = backends.solve_model(model, "scip", _params())
    assert proved.termination is Termination.OPTIMAL
    assert proved.objective == pytest.approx(reference.objective, rel=1e-9)


def _slow_phase(seconds: float, *, before: bool):
    """A stand-in for a HiGHS phase that ignores interrupts (presolve, the MIP's root LP):
    the run sleeps ``seconds`` before or after HiGHS itself runs."""
    original = highs_module._Watch.run

    def run(self, highs):
        if before:
            time.sleep(seconds)
        original(self, highs)
        if not before:
            time.sleep(seconds)

    return run


def test_a_run_that_ignores_its_deadline_is_left_behind_and_the_solver_stays_usable(
    monkeypatch,
):
    model = multi_knapsack(30, 6, seed=0)
    highs = HighsSolver(model, _params())
    monkeypatch.setattr(highs_module._Watch, "run", _slow_phase(3.0, before=True))
    left = highs.solve_mip(_params(deadline=time.perf_counter() + 0.1))
    assert left.termination is Termination.NO_SOLUTION  # nothing reported before the deadline
    assert "had not stopped" in left.detail and left.values is None
    assert watchdog.left_behind() == 1
    monkeypatch.undo()
    # the solver re-encodes the model into a fresh instance; the run left behind ends on its own
    proved = highs.solve_mip(_params())
    reference = backends.solve_model(model, "scip", _params())
    assert proved.termination is Termination.OPTIMAL
    assert proved.objective == pytest.approx(reference.objective, rel=1e-9)
    assert watchdog.wait_for_left_behind(timeout=30.0)


def test_a_run_left_behind_returns_the_incumbent_and_bound_its_callbacks_reported(monkeypatch):
    model = multi_knapsack(30, 6, seed=1)
    reference = backends.solve_model(model, "scip", _params())
    highs = HighsSolver(model, _params())
    # HiGHS finishes, then the thread lingers past the deadline: what the callbacks saw is all
    # the caller can have
    monkeypatch.setattr(highs_module._Watch, "run", _slow_phase(2.0, before=False))
    left = highs.solve_mip(_params(deadline=time.perf_counter() + 1.0))
    assert left.termination is Termination.FEASIBLE and "had not stopped" in left.detail
    assert left.objective == pytest.approx(reference.objective, rel=1e-9)
    assert float(model.objective @ left.values) == pytest.approx(left.objective, rel=1e-12)
    assert left.bound is None or left.bound <= left.objective + 1e-9
    assert watchdog.wait_for_left_behind(timeout=30.0)


def test_a_mathopt_solve_that_ignores_its_deadline_is_left_behind(monkeypatch):
    model = multi_knapsack(30, 6, seed=3)
    real_solve = mathopt.mathopt.solve

    def presolve_then_solve(*args, **kwargs):  # SCIP's presolve does not look at interrupts
        time.sleep(2.0)
        return real_solve(*args, **kwargs)

    monkeypatch.setattr(mathopt.mathopt, "solve", presolve_then_solve)
    left = mathopt.solve(model, "scip", _params(deadline=time.perf_counter() + 0.1))
    assert left.termination is Termination.NO_SOLUTION and "had not stopped" in left.detail
    monkeypatch.undo()
    assert watchdog.wait_for_left_behind(timeout=30.0)
    proved = mathopt.solve(model, "scip", _params())
    assert proved.termination is Termination.OPTIMAL


def test_an_lp_left_behind_hands_the_mip_a_fresh_instance(monkeypatch):
    model = multi_knapsack(30, 6, seed=2)
    highs = HighsSolver(model, _params())
    monkeypatch.setattr(highs_module._Watch, "run", _slow_phase(2.0, before=True))
    lp = highs.solve_lp(_params(deadline=time.perf_counter() + 0.1))
    assert lp.termination is Termination.NO_SOLUTION and lp.bound is None
    monkeypatch.undo()
    late = highs.solve_mip(_params(deadline=time.perf_counter() - 1.0))
    assert late.termination is Termination.NO_SOLUTION and "no time left" in late.detail
    highs.restore_bounds(np.arange(3))  # a caller's clean-up must not touch the busy instance
    proved = highs.solve_mip(_params())
    assert proved.termination is Termination.OPTIMAL
    assert proved.objective == pytest.approx(
        backends.solve_model(model, "scip", _params()).objective, rel=1e-9
    )
    assert watchdog.wait_for_left_behind(timeout=30.0)


# ----------------------------------------------------------------------------- LP branch and bound
@pytest.mark.parametrize("seed", range(24))
def test_lp_branch_matches_brute_force_on_random_mixed_binary_programs(seed):
    model, program = random_program(seed)
    truth = brute_force(program)
    highs = HighsSolver(model, _params())
    raw = lp_branch.solve(highs, _params(), max_nodes=2**N_BINARY * 2, max_root_fractional=N_BINARY)
    assert isinstance(raw, RawSolution)
    if truth is None:
        assert raw.termination is Termination.INFEASIBLE and raw.values is None
        return
    assert raw.termination is Termination.OPTIMAL
    assert raw.objective == pytest.approx(truth, rel=1e-6, abs=1e-6)
    assert raw.bound <= raw.objective + 1e-9
    values = raw.values
    assert np.allclose(values[:N_BINARY], np.round(values[:N_BINARY]))
    activity = program["A"] @ values[:N_BINARY] + program["b"] * values[N_BINARY]
    assert np.all(activity >= program["lo"] - 1e-6) and np.all(activity <= program["hi"] + 1e-6)
    # every node restored the bounds: the same encoded model then solves as a MILP
    assert highs.solve_mip(_params()).objective == pytest.approx(truth, rel=1e-6, abs=1e-6)


def test_fractional_roots_are_branched_and_the_node_limit_hands_over():
    branched = 0
    for seed in range(24):
        model, program = random_program(seed)
        root = lp_branch.solve(
            HighsSolver(model), _params(), max_nodes=1, max_root_fractional=N_BINARY
        )
        full = lp_branch.solve(
            HighsSolver(model), _params(), max_nodes=1000, max_root_fractional=N_BINARY
        )
        if isinstance(root, lp_branch.Handover):  # a fractional root: one node cannot settle it
            branched += 1
            truth = brute_force(program)
            expected = Termination.INFEASIBLE if truth is None else Termination.OPTIMAL
            assert full.termination is expected
            # what it hands over is valid: a bound below the optimum, no incumbent yet
            assert root.values is None and root.nodes == 1
            if truth is not None:
                assert root.bound is not None and root.bound <= truth + 1e-6
            assert "LP nodes" in full.detail  # more than one
            if truth is not None:
                assert full.objective == pytest.approx(truth, rel=1e-6, abs=1e-6)
    assert branched >= 5  # the random programs do exercise branching


def test_the_node_cap_never_cuts_the_root_lp_off():
    """``node_seconds`` limits the branching after the root, not the root: with no time for
    nodes, every fractional root still comes back solved, with its proven bound."""
    handed_over = 0
    for seed in range(24):
        model, program = random_program(seed)
        found = lp_branch.solve(
            HighsSolver(model), _params(), node_seconds=0.0, max_root_fractional=N_BINARY
        )
        truth = brute_force(program)
        if isinstance(found, lp_branch.Handover):
            handed_over += 1
            assert found.nodes == 1 and found.bound is not None
            assert truth is None or found.bound <= truth + 1e-6  # None: an infeasible MILP
        elif found.termination is Termination.OPTIMAL:  # an integral root proves it alone
            assert found.objective == pytest.approx(truth, rel=1e-6, abs=1e-6)
        else:
            assert found.termination is Termination.INFEASIBLE and truth is None
    assert handed_over >= 5


def test_a_past_deadline_hands_over():
    model, _ = random_program(3)
    past = time.perf_counter() - 1.0
    handover = lp_branch.solve(HighsSolver(model), _params(deadline=past))
    assert isinstance(handover, lp_branch.Handover)
    assert handover.values is None and handover.bound is None and handover.nodes == 0


# ----------------------------------------------------------------------------- files and IIS
@pytest.mark.parametrize("suffix", [".mps", ".lp"])
def test_model_files_carry_names_and_read_back_to_the_same_optimum(tmp_path, suffix):
    model = knapsack_model(25, seed=7)
    path = export.write_model(model, tmp_path / f"knapsack{suffix}")
    text = path.read_text()
    item, row = ("take[item_3]", "weight[0]") if suffix == ".mps" else ("take(item_3)", "weight(0)")
    assert item in text and row in text
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind
    direct = backends.solve_model(model, "highs", _params())
    reread = highspy.Highs()
    reread.silent()
    reread.readModel(str(path))
    reread.setOptionValue("mip_rel_gap", 0.0)
    reread.run()
    assert reread.getInfo().objective_function_value == pytest.approx(direct.objective, rel=1e-9)
    assert reread.getColByName(item)[0] == highspy.HighsStatus.kOk


def test_an_infeasible_model_is_explained_by_named_rows():
    model = LinearModel()
    x = model.add_vars("x", 2, ub=1.0)
    model.add_rows("at_least_three", 1, [0, 0], x, 1.0, lb=3.0)
    model.add_rows("harmless", 1, [0], x[:1], 1.0, ub=5.0)
    assert export.explain_infeasible(model) == ["at_least_three[0]"]


# ----------------------------------------------------------------------------- layering
def test_the_solver_layer_imports_nothing_from_the_domain():
    allowed = ("placement.milp", "placement.errors")
    for path in MILP_PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.startswith("placement"):
                    assert name.startswith(allowed), f"{path.name} imports {name}"


def test_thread_counts_can_change_between_solves_in_one_process():
    """HiGHS has one global scheduler; a different thread count must not make it refuse."""
    model, program = random_program(5)
    truth = brute_force(program)
    for threads in (None, 1, 2, None):
        raw = backends.solve_model(model, "highs", _params(threads=threads))
        assert raw.termination is Termination.OPTIMAL, threads
        assert raw.objective == pytest.approx(truth, rel=1e-6, abs=1e-6)


def test_a_node_limit_hands_over_a_feasible_incumbent_and_a_valid_bound():
    handed = 0
    for seed in range(24):
        model, program = random_program(seed)
        truth = brute_force(program)
        found = lp_branch.solve(
            HighsSolver(model), _params(), max_nodes=3, max_root_fractional=N_BINARY
        )
        if not isinstance(found, lp_branch.Handover) or truth is None:
            continue
        handed += 1
        assert found.bound is not None and found.bound <= truth + 1e-6
        if found.values is not None:
            values = found.values
            assert found.objective >= truth - 1e-6
            assert np.allclose(values[:N_BINARY], np.round(values[:N_BINARY]))
            activity = program["A"] @ values[:N_BINARY] + program["b"] * values[N_BINARY]
            assert np.all(activity >= program["lo"] - 1e-6)
            assert np.all(activity <= program["hi"] + 1e-6)
    assert handed >= 3
