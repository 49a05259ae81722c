"""Ctrl-C during a solve: the best placement so far, with its gap, verified and written (130).

The stop request is a process-wide flag of the HiGHS backend
(:func:`placement.milp.highs.request_stop`) that its interrupt callback checks; the command
line sets it from its SIGINT handler while HiGHS solves. The tests raise the request (or a
real SIGINT) at a deterministic point: the first improving solution HiGHS reports.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

import placement as pl
from placement.datasets.synthetic import random_cflp
from placement.milp import highs
from placement.milp.solution import Termination

HARD = random_cflp(50, 200, seed=1)  # HiGHS needs seconds to prove it; finds incumbents fast
# (method="milp" below: auto solves a location model this size by the decomposition)


@pytest.fixture
def at_first_incumbent(monkeypatch):
    """Run ``action()`` once, when HiGHS reports its first improving MIP solution."""
    actions = []
    real_init = highs.HighsSolver.__init__

    def init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)

        def first(_event):
            if actions:
                actions.pop()()

        self.highs.cbMipImprovingSolution.subscribe(first)

    monkeypatch.setattr(highs.HighsSolver, "__init__", init)
    yield actions.append
    highs.clear_stop()


def test_a_stop_request_returns_the_best_placement_so_far_with_its_gap(at_first_incumbent):
    at_first_incumbent(highs.request_stop)
    result = pl.solve(HARD, lp_nodes=0, time_limit=60, method="milp")
    assert result.status is pl.Status.FEASIBLE
    assert result.message.startswith("interrupted on request (Ctrl-C)")
    assert result.bound is not None and 0 < result.gap < 1
    assert result.objective >= result.bound
    pl.verify(HARD, result)


def test_a_stop_requested_before_the_solve_returns_no_solution_at_once():
    highs.request_stop()
    try:
        started = time.perf_counter()
        result = pl.solve(HARD, time_limit=60, method="milp")
    finally:
        highs.clear_stop()
    assert result.status is pl.Status.NO_SOLUTION
    assert "before any solution was found" in result.message
    assert result.solve_seconds < 60 and time.perf_counter() - started < 60


def test_lp_branch_and_bound_stops_with_its_incumbent_and_open_bound():
    from placement.formulations import build
    from placement.milp import lp_branch
    from placement.milp.solution import SolveParams
    from placement.model.data import build_model_data

    built = build(build_model_data(HARD), "strong")
    solver = highs.HighsSolver(built.model)
    said = []

    def stop_after_two_nodes(message: str) -> None:
        said.append(message)
        if sum(m.startswith("LP node") for m in said) == 2:
            highs.request_stop()

    try:
        raw = lp_branch.solve(
            solver,
            SolveParams(),
            max_nodes=50,
            max_root_fractional=10**6,
            progress=stop_after_two_nodes,
        )
    finally:
        highs.clear_stop()
    assert raw is not None and raw.termination is Termination.INTERRUPTED
    assert any("interrupted after 3 LP nodes" in m for m in said), said
    if raw.values is not None:
        assert raw.bound <= raw.objective


def _hard_solve_args(scenario, out) -> list[str]:
    """``placement solve`` of the hard scenario straight on HiGHS's MIP (whose callbacks see
    the stop request), no maps."""
    return ["solve", str(scenario), "--out", str(out), "--no-map", "--lp-nodes", "0",
            "--method", "milp"]  # fmt: skip


def test_cli_ctrl_c_writes_the_best_placement_and_exits_130(tmp_path, capsys, at_first_incumbent):
    from placement.cli.app import main

    scenario = tmp_path / "hard.json"
    HARD.to_file(scenario)
    out = tmp_path / "out"
    # as in a terminal, even when the test runner was started in the background (SIG_IGN)
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    at_first_incumbent(lambda: os.kill(os.getpid(), signal.SIGINT))  # a real SIGINT
    try:
        code = main(_hard_solve_args(scenario, out))
        handler_after = signal.getsignal(signal.SIGINT)
    finally:
        signal.signal(signal.SIGINT, before)
    captured = capsys.readouterr()
    assert code == 130, captured.err
    assert "interrupted: wrote the best placement found so far (feasible" in captured.err
    assert "gap " in captured.err
    assert "verified" in captured.out.lower()
    result = pl.PlacementResult.from_json(out / "result.json")
    assert result.status is pl.Status.FEASIBLE and result.gap > 0
    assert result.message.startswith("interrupted on request")
    pl.verify(HARD, result)
    assert {p.name for p in out.iterdir()} >= {"result.json", "costs.csv", "result.geojson"}
    assert handler_after is signal.default_int_handler  # handler restored
    assert not highs.stop_requested()


def test_cli_ctrl_c_with_another_solver_keeps_the_default(tmp_path, monkeypatch, capsys):
    """SCIP cannot be asked to stop: Ctrl-C interrupts at once and nothing is written."""
    from placement.cli import app

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("placement.solving.solve.solve", interrupted)
    scenario = tmp_path / "hard.json"
    HARD.to_file(scenario)
    code = app.main(["solve", str(scenario), "--out", str(tmp_path / "o"), "--solver", "scip"])
    assert code == 130
    assert "no partial output was written" in capsys.readouterr().err
    assert not list((tmp_path / "o").glob("*.json"))


@pytest.mark.slow
def test_ctrl_c_from_outside_a_running_placement_solve(tmp_path):
    """A real Ctrl-C, as a terminal sends it, to ``placement solve`` in its own process."""
    scenario = tmp_path / "hard.json"
    HARD.to_file(scenario)
    out = tmp_path / "out"
    command = _hard_solve_args(scenario, out)
    process = subprocess.Popen(
        [sys.executable, "-m", "placement", *command, "--time-limit", "300"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for line in process.stderr:
        if "solving with highs" in line:
            break
    time.sleep(1.0)  # HiGHS has incumbents within 0.3 s here, and a proof only after seconds
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    if (out / "result.json").exists():  # the usual case: an incumbent was there to write
        assert "interrupted: wrote the best placement found so far" in err
        data = json.loads((out / "result.json").read_text())
        assert data["status"] in ("feasible", "optimal") and data["gap"] is not None
    else:
        assert "before any placement was found; nothing was written" in err


def test_a_background_job_that_ignores_ctrl_c_keeps_ignoring_it():
    """A script's background job (SIGINT ignored) must not stop on a Ctrl-C meant for the
    foreground; in a terminal (the default handler) the solve's own handler is installed."""
    from placement.cli.app import _stop_on_ctrl_c

    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with _stop_on_ctrl_c("highs", lambda _m: None):
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        signal.signal(signal.SIGINT, signal.default_int_handler)
        with _stop_on_ctrl_c("highs", lambda _m: None):
            assert signal.getsignal(signal.SIGINT) not in (
                signal.SIG_IGN,
                signal.default_int_handler,
            )
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, before)
