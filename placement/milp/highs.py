"""HiGHS through its own public Python binding (highspy): a model encoded once, solved many ways.

:class:`HighsSolver` passes a :class:`~placement.milp.linear_model.LinearModel` to HiGHS once,
from numpy arrays (CSR, no per-coefficient Python). The same instance then solves

* linear relaxations, warm-started from the previous basis after bound changes (the LP branch
  and bound, :mod:`placement.milp.lp_branch`), with max-value scaling;
* the MILP, optionally from a start solution (``Highs.setSolution``);

and can write the model as MPS or LP with the model's names, or name the rows of an
irreducible infeasible subsystem.

Why max-value scaling for LPs: HiGHS's default (equilibration) scaling makes each dual simplex
iteration on the placement LPs about 30× dearer (us_default root LP 1.1 s against 33 s, the same
iteration count). HiGHS's MIP solver builds its own LP solver with default options, so the
option reaches only the LPs solved here, which is why the LP branch and bound exists.

Time: each solve gets ``SolveParams.seconds_left()`` as HiGHS's time limit, and an interrupt
callback (simplex, IPM and MIP) stops it at the deadline too. Neither reaches every phase: HiGHS
checks neither inside its presolve nor inside the MIP's root LP (measured: random CFLP 200×2000
asked to stop after 5 s returned after 11 s, 5.8 s of it in a MIP whose limit had already
passed). So each run goes through :mod:`placement.milp.watchdog`: a background thread that the
caller waits for only until the deadline plus a moment. A run still going then is left behind
with its own HiGHS instance; the caller gets the best incumbent and dual bound the MIP
callbacks reported so far, and this solver encodes the model into a fresh instance if it is
used again.

Stopping on request: :func:`request_stop` sets a process-wide flag that the same callback
checks, so a running solve stops at its next callback (and a later one at once) with the
termination ``interrupted`` and the best solution found so far, if any, with its bound. Only
the command line sets it, from its Ctrl-C handler during a solve; :func:`clear_stop` resets it.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import highspy
import numpy as np

from placement.milp.linear_model import LinearModel
from placement.milp.solution import RawSolution, SolveParams, Termination
from placement.milp.watchdog import (
    SETTLE_SECONDS,
    run_until,
    use_a_fresh_thread,
    wait_for_left_behind,
)

SIMPLEX_SCALE_MAX_VALUE = 4  # HiGHS option simplex_scale_strategy: "max value 0"
ABSOLUTE_GAP = 1e-9
# HiGHS option iis_strategy. Measured on an infeasible carbon-capped placement: 0 (the default)
# and 1 return nothing, 2 and 3 the same subsystem in milliseconds, 4 takes 25x longer.
IIS_STRATEGY = 2

_STATUS = highspy.HighsModelStatus
_LIMIT_STATUSES = {
    _STATUS.kTimeLimit,
    _STATUS.kIterationLimit,
    _STATUS.kSolutionLimit,
    _STATUS.kInterrupt,
    _STATUS.kHighsInterrupt,
    _STATUS.kObjectiveBound,
    _STATUS.kObjectiveTarget,
}
_INFEASIBLE_STATUSES = {_STATUS.kInfeasible, _STATUS.kUnboundedOrInfeasible}
_FEASIBLE_SOLUTION = 2  # HiGHS kSolutionStatusFeasible
_STOP = threading.Event()
_INTERRUPTED = "interrupted on request (Ctrl-C)"


def request_stop() -> None:
    """Ask the running HiGHS solve (and any later one, until :func:`clear_stop`) to stop and
    return its best solution so far; safe to call from a signal handler or another thread."""
    _STOP.set()


def clear_stop() -> None:
    """Forget a stop request (the next solve runs normally)."""
    _STOP.clear()


def stop_requested() -> bool:
    """Whether :func:`request_stop` was called since the last :func:`clear_stop`."""
    return _STOP.is_set()


class HighsSolver:
    """One LinearModel encoded into one ``highspy.Highs``; see the module docstring."""

    def __init__(self, model: LinearModel, params: SolveParams | None = None):
        started = time.perf_counter()
        self.num_vars = model.num_vars
        self.integer = model.var_integer
        self.root_lb = model.var_lb
        self.root_ub = model.var_ub
        self.objective = model.objective
        self._model = model
        self._params = params or SolveParams()
        self._highs: highspy.Highs | None = None
        self._watch = _Watch()
        self._relaxed = False
        self._encode()
        self.encode_seconds = time.perf_counter() - started

    @property
    def highs(self) -> highspy.Highs:
        """The HiGHS instance this solver owns (a fresh one after a run was left behind)."""
        if self._highs is None:
            self._encode()
        assert self._highs is not None
        return self._highs

    def _encode(self) -> None:
        highs = new_highs()
        highs.passModel(highs_lp(self._model))
        integer = np.flatnonzero(self.integer).astype(np.int32)
        if integer.size:
            kind = np.full(integer.size, int(highspy.HighsVarType.kInteger), dtype=np.uint8)
            highs.changeColsIntegrality(integer.size, integer, kind)
        watch = _Watch()
        for event in (highs.cbSimplexInterrupt, highs.cbIpmInterrupt, highs.cbMipInterrupt):
            event.subscribe(watch.interrupt)
        highs.cbMipImprovingSolution.subscribe(watch.improved)
        self._highs, self._watch, self._relaxed = highs, watch, False
        self._configure(self._params)

    # ------------------------------------------------------------------ solving
    def solve_lp(self, params: SolveParams | None = None) -> RawSolution:
        """The linear relaxation under the current bounds (warm-started when possible)."""
        late = self._too_late_to_encode(params or self._params)
        if late is not None:
            return late
        self._set_relaxed(True)
        return self._run(params or self._params, relaxed=True)

    def solve_mip(
        self, params: SolveParams | None = None, start: np.ndarray | None = None
    ) -> RawSolution:
        """The MILP under the current bounds, from ``start`` (a full value vector) if given."""
        late = self._too_late_to_encode(params or self._params)
        if late is not None:
            return late
        self._set_relaxed(False)
        # Without this, a MIP solved after an LP on the same instance can report its optimal
        # objective but return another, worse incumbent's values (HiGHS 1.16; found by
        # benchmarks/volume.py, seed 737: 0.52 % apart). The model and options stay.
        self.highs.clearSolver()
        if start is not None:
            ok = self.highs.setSolution(
                self.num_vars,
                np.arange(self.num_vars, dtype=np.int32),
                np.asarray(start, dtype=np.float64),
            )
            if ok == highspy.HighsStatus.kError:
                self._say("the start solution was refused; solving without it")
        return self._run(params or self._params, relaxed=False)

    def set_bounds(self, columns: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        """Change the bounds of ``columns`` (the basis is kept for a warm start)."""
        columns = np.asarray(columns, dtype=np.int32)
        if columns.size:
            self.highs.changeColsBounds(
                columns.size,
                columns,
                np.asarray(lower, dtype=np.float64),
                np.asarray(upper, dtype=np.float64),
            )

    def restore_bounds(self, columns: np.ndarray) -> None:
        """Give ``columns`` their bounds from the model back."""
        columns = np.asarray(columns, dtype=np.int64)
        self.set_bounds(columns, self.root_lb[columns], self.root_ub[columns])

    # ------------------------------------------------------------------ names, files, IIS
    def use_names(self, *, parentheses: bool = False) -> None:
        """Give HiGHS the model's variable and row names (for files and explanations).

        ``parentheses`` writes ``serve(a,b)`` instead of ``serve[a,b]``: the CPLEX LP format
        does not allow square brackets (HiGHS would fall back to c0, c1, …).
        """
        table = str.maketrans("[]", "()") if parentheses else None
        for index, name in enumerate(self._model.variable_names()):
            self.highs.passColName(index, name.translate(table) if table else name)
        for index, name in enumerate(self._model.row_names()):
            self.highs.passRowName(index, name.translate(table) if table else name)

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write the model (MPS for ``.mps``, CPLEX LP for ``.lp``) atomically."""
        path = Path(path)
        tmp = path.with_name(f".{path.stem}.tmp{os.getpid()}{path.suffix}")
        self._set_relaxed(False)
        try:
            status = self.highs.writeModel(str(tmp))
            if status == highspy.HighsStatus.kError or not tmp.exists():
                raise OSError(f"HiGHS could not write {path}")
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return path

    def infeasible_rows(self) -> list[str] | None:
        """Names of the rows of an irreducible infeasible subsystem of the LP relaxation, or
        None when HiGHS finds none (the relaxation is feasible or the search failed)."""
        self._set_relaxed(True)
        self.highs.setOptionValue("iis_strategy", IIS_STRATEGY)
        status, iis = self.highs.getIis()
        rows = list(iis.row_index_)
        if status == highspy.HighsStatus.kError or not rows:
            return None
        names = self._model.row_names()
        return [names[r] for r in rows]

    # ------------------------------------------------------------------ internals
    def _configure(self, params: SolveParams) -> None:
        set_option = self.highs.setOptionValue
        set_option("output_flag", bool(params.log))
        set_option("random_seed", int(params.seed))
        if params.threads is not None:
            set_option("threads", int(params.threads))
        set_option("mip_rel_gap", float(params.gap))
        set_option("mip_abs_gap", ABSOLUTE_GAP)

    def _set_relaxed(self, relaxed: bool) -> None:
        if self._relaxed is relaxed:
            return
        integer = np.flatnonzero(self.integer).astype(np.int32)
        if integer.size:
            kind = highspy.HighsVarType.kContinuous if relaxed else highspy.HighsVarType.kInteger
            self.highs.changeColsIntegrality(
                integer.size, integer, np.full(integer.size, int(kind), dtype=np.uint8)
            )
        self.highs.setOptionValue(
            "simplex_scale_strategy", SIMPLEX_SCALE_MAX_VALUE if relaxed else 1
        )
        self._relaxed = relaxed

    def _run(self, params: SolveParams, *, relaxed: bool) -> RawSolution:
        if _STOP.is_set():  # asked to stop before this solve began
            return RawSolution(Termination.INTERRUPTED, _INTERRUPTED, None, None, None, 0.0)
        highs, watch = self.highs, self._watch
        self._configure(params)
        use_threads(highs, params.threads)
        left = params.seconds_left()
        # HiGHS counts time_limit against the instance's run time over all its solves
        limit = float("inf") if left is None else highs.getRunTime() + max(left, 1e-3)
        highs.setOptionValue("time_limit", limit)
        watch.start(params.deadline)
        started = time.perf_counter()
        finished = run_until(
            lambda: watch.run(highs),
            params.deadline,
            name="placement-highs",
            on_abandon=self._leave_behind,
        )
        elapsed = time.perf_counter() - started
        if not finished:
            return watch.left_behind(relaxed, elapsed)
        watch.deadline = None
        if watch.error is not None:
            raise watch.error
        return self._read(relaxed, elapsed)

    def _too_late_to_encode(self, params: SolveParams) -> RawSolution | None:
        """After a run was left behind, the model must be encoded again; when that alone would
        take past the deadline, the answer is no solution, at once."""
        if self._highs is not None or params.deadline is None:
            return None
        if time.perf_counter() + self.encode_seconds < params.deadline:
            return None
        detail = (
            "no time left to encode the model into a fresh HiGHS instance after a run was "
            f"left behind at its deadline (encoding takes {self.encode_seconds:.1f} s)"
        )
        return RawSolution(Termination.NO_SOLUTION, detail, None, None, None, 0.0)

    def _leave_behind(self) -> None:
        """Give the running instance to its thread for good; the next use encodes a new one."""
        self._watch.abandoned = True
        self._highs = None

    def _read(self, relaxed: bool, elapsed: float) -> RawSolution:
        status = self.highs.getModelStatus()
        info = self.highs.getInfo()
        has_values = info.primal_solution_status == _FEASIBLE_SOLUTION
        values = None
        objective = None
        if has_values:
            values = np.asarray(self.highs.getSolution().col_value, dtype=np.float64)
            objective = float(info.objective_function_value)
        if relaxed:
            bound = objective if status == _STATUS.kOptimal else None
        else:
            bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else None
        name = self.highs.modelStatusToString(status)
        if status == _STATUS.kOptimal and has_values:
            termination = Termination.OPTIMAL
            detail = "" if relaxed else f"proved by HiGHS branch and cut ({_nodes(info)})"
        elif status in _INFEASIBLE_STATUSES:
            termination, detail, values, objective = Termination.INFEASIBLE, "", None, None
        elif status in _LIMIT_STATUSES and _STOP.is_set():
            termination, detail = Termination.INTERRUPTED, _INTERRUPTED
        elif status in _LIMIT_STATUSES:
            termination = Termination.FEASIBLE if has_values else Termination.NO_SOLUTION
            detail = f"HiGHS stopped: {name}"
        else:
            termination, detail, values, objective = (
                Termination.ERROR,
                f"HiGHS: {name}",
                None,
                None,
            )
        return RawSolution(termination, detail, values, objective, bound, elapsed)

    def _say(self, message: str) -> None:
        if self._params.log:
            print(f"placement: {message}", flush=True)


class _Watch:
    """One HiGHS instance's run state, shared with its callbacks (which run in the solving
    thread): when to interrupt, and the best incumbent and dual bound the MIP reported so far,
    for a run that is left behind at its deadline."""

    def __init__(self) -> None:
        self.deadline: float | None = None
        self.abandoned = False
        self.error: BaseException | None = None
        self.values: np.ndarray | None = None
        self.objective: float | None = None
        self.bound: float | None = None

    def start(self, deadline: float | None) -> None:
        self.deadline, self.error = deadline, None
        self.values = self.objective = self.bound = None

    def run(self, highs: highspy.Highs) -> None:
        try:
            highs.run()
        except BaseException as error:  # handed to the waiting thread, which re-raises it
            self.error = error

    def interrupt(self, event: highspy.HighsCallbackEvent) -> None:
        late = self.deadline is not None and time.perf_counter() >= self.deadline
        # set the flag both ways: HiGHS keeps it from one run to the next
        event.interrupt(late or self.abandoned or _STOP.is_set())
        bound = getattr(event.data_out, "mip_dual_bound", None)
        if event.callback_type == highspy.cb.HighsCallbackType.kCallbackMipInterrupt and (
            bound is not None and np.isfinite(bound)
        ):
            self.bound = float(bound)

    def improved(self, event: highspy.HighsCallbackEvent) -> None:
        if self.abandoned:
            return
        objective = float(event.data_out.objective_function_value)
        if self.objective is None or objective < self.objective:
            self.values = np.array(event.data_out.mip_solution, dtype=np.float64)
            self.objective = objective

    def left_behind(self, relaxed: bool, elapsed: float) -> RawSolution:
        """What a run left behind at its deadline had found: the MIP's best so far."""
        detail = (
            f"HiGHS had not stopped {SETTLE_SECONDS:g} s after the deadline (HiGHS cannot be "
            "interrupted in its presolve or the MIP's root LP), so the best it had reported is "
            "returned and it finishes in the background"
        )
        values = None if relaxed else self.values
        objective = None if values is None else self.objective
        bound = None if relaxed else self.bound
        if bound is not None and objective is not None:
            bound = min(bound, objective)
        if _STOP.is_set():
            return RawSolution(
                Termination.INTERRUPTED, _INTERRUPTED, values, objective, bound, elapsed
            )
        termination = Termination.NO_SOLUTION if values is None else Termination.FEASIBLE
        return RawSolution(termination, detail, values, objective, bound, elapsed)


def _nodes(info: highspy.HighsInfo) -> str:
    count = int(info.mip_node_count)
    return f"{count:,} node" + ("" if count == 1 else "s")


def highs_lp(model: LinearModel, *, mip: bool = False) -> highspy.HighsLp:
    """The model as a ``highspy.HighsLp`` from its CSR arrays (with integrality if ``mip``)."""
    matrix = model.matrix()
    lp = highspy.HighsLp()
    lp.num_col_ = model.num_vars
    lp.num_row_ = model.num_rows
    lp.col_cost_ = model.objective
    lp.col_lower_ = model.var_lb
    lp.col_upper_ = model.var_ub
    lp.row_lower_ = model.row_lb
    lp.row_upper_ = model.row_ub
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data
    if mip:
        kinds = np.where(
            model.var_integer,
            int(highspy.HighsVarType.kInteger),
            int(highspy.HighsVarType.kContinuous),
        )
        lp.integrality_ = [highspy.HighsVarType(int(k)) for k in kinds]
    return lp


_banner_shown = False
_scheduler_threads: int | None = None  # the thread count HiGHS's global scheduler was made with


def use_threads(highs: highspy.Highs, threads: int | None) -> None:
    """HiGHS keeps one global thread scheduler per process and refuses to run (status "Not
    Set") when an instance asks for another thread count; start a new scheduler then."""
    global _scheduler_threads
    wanted = 0 if threads is None else int(threads)  # 0: HiGHS chooses
    if _scheduler_threads is not None and wanted != _scheduler_threads:
        wait_for_left_behind()  # the scheduler must not change under a run still going
        use_a_fresh_thread()
        highs.resetGlobalScheduler(True)
    _scheduler_threads = wanted


def new_highs() -> highspy.Highs:
    """A ``Highs`` instance; the first one of a process prints a banner on the C-level stdout,
    which would land in the middle of a report or a pipe, so that one is silenced."""
    global _banner_shown
    if _banner_shown:
        return highspy.Highs()
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 1)
            highs = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        _banner_shown = True
    return highs
