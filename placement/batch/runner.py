"""``solve_portfolio``: every case of a portfolio, solved once, stored as it finishes.

    result = solve_portfolio("examples/portfolio.yaml", out="runs/tx", workers=2)
    result.table            # one row per case (pandas)
    result.sites            # how often each site opens

With an output folder every record is written atomically as its solve finishes, and a re-run
skips every case whose record exists for the same content hash (resume after a crash or
Ctrl-C). A case that is infeasible or raises is recorded with its diagnosis or message and the
batch goes on.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from placement.batch import executors
from placement.batch.spec import Case, Portfolio, PortfolioError, find_baseline
from placement.batch.store import Record, ResultStore, StorageError, storage_error
from placement.results.result import PlacementResult, Status

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class BatchResult:
    """What a batch produced: the cases, their records, and the summary tables."""

    cases: list[Case]
    records: dict[str, Record]  # by content hash
    baseline: Case
    table: pd.DataFrame
    sites: pd.DataFrame
    out: Path | None = None
    solved: int = 0  # solves run by this call
    skipped: int = 0  # cases found already solved
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def record(self, case_id: str) -> Record | None:
        case = next((c for c in self.cases if c.id == case_id), None)
        if case is None:
            raise KeyError(f"no case with id {case_id!r}")
        return self.records.get(case.hash)

    def result(self, case_id: str) -> PlacementResult | None:
        """The result of one case by id (None if it has not been solved)."""
        record = self.record(case_id)
        return None if record is None else record.result

    @property
    def failed(self) -> list[Case]:
        """Cases without a usable answer (infeasible, no solution, error, unverified)."""
        return [c for c in self.cases if (r := self.records.get(c.hash)) is None or r.failed]

    @property
    def errors(self) -> list[Case]:
        """Cases whose record has status ``error`` or failed verification."""
        return [
            c
            for c in self.cases
            if (r := self.records.get(c.hash)) is not None
            and (r.status is Status.ERROR or r.verified is False)
        ]


def solve_portfolio(
    portfolio: Portfolio | str | os.PathLike[str] | Sequence[Case],
    out: str | os.PathLike[str] | None = None,
    *,
    workers: int | None = None,
    executor: str = "process",
    scheduler: Any = None,
    baseline: Any = None,
    verify: bool = True,
    progress: bool = True,
    retry_errors: bool = False,
    plots: bool = True,
    on_record: Callable[[Record], None] | None = None,
) -> BatchResult:
    """Solve every case of a portfolio; record each as it finishes; summarise.

    Args:
        portfolio: a :class:`Portfolio`, a spec file or scenario folder, or expanded cases.
        out: output folder (records, log, tables, plots); None keeps everything in memory
            (no resume).
        workers: processes (``process``) or LocalCluster workers (``dask``); default the
            number of CPUs. Every solve uses one thread.
        executor: ``process`` (default, a local process pool), ``sequential`` (this
            process) or ``dask``. A ``scheduler`` implies ``dask``.
        scheduler: Dask scheduler address or ``distributed.Client``; None with ``dask``
            starts a ``LocalCluster``.
        baseline: case id or ``{parameter: value}`` for the deltas (default: the spec's, else
            the first case).
        verify: check every solve with :func:`placement.verify` in the worker.
        retry_errors: solve again cases whose stored record has status ``error``.
        on_record: called with each new record as it is stored.
    """
    if scheduler is not None:
        executor = "dask"
    if executor not in executors.EXECUTORS:
        raise PortfolioError(
            f"executor = {executor!r}: choose one of {', '.join(executors.EXECUTORS)}"
        )
    if workers is not None and workers < 1:
        raise PortfolioError(f"workers = {workers!r}: must be at least 1")
    workers = workers or os.cpu_count() or 1
    spec, cases = _cases_of(portfolio)
    base_case = find_baseline(cases, baseline if baseline is not None else spec_baseline(spec))
    store = ResultStore(out) if out is not None else None
    records: dict[str, Record] = {}
    if store is not None:
        store.prepare()
        store.write_manifest(_manifest(spec, cases, base_case))
        for case in cases:
            record = store.load(case.hash)
            if record is not None and not (retry_errors and record.status is Status.ERROR):
                records[case.hash] = record
    todo: dict[str, Case] = {}
    for case in cases:
        if case.hash not in records:
            todo.setdefault(case.hash, case)
    skipped = len({c.hash for c in cases}) - len(todo)
    attempts = store.attempts() if store is not None else {}
    solved = 0

    def on_submit(task: dict[str, Any]) -> None:
        attempts[task["hash"]] = attempts.get(task["hash"], 0) + 1
        if store is not None:
            store.event("submit", hash=task["hash"], id=task["id"])

    tasks = (case.task(verify) for case in todo.values())
    stream = _executor_stream(executor, tasks, on_submit, workers, scheduler)
    if store is not None:
        store.event("run", cases=len(cases), todo=len(todo), executor=executor, workers=workers)
    with _Progress(progress, len(todo), skipped) as bar:
        try:
            for raw in stream:
                record = Record.from_dict({**raw, "attempt": attempts.get(raw["hash"], 1)})
                if store is not None:
                    store.write(record)
                    store.event("done", hash=record.hash, id=record.id, status=record.status.value)
                records[record.hash] = record
                solved += 1
                bar.advance(record)
                if on_record is not None:
                    on_record(record)
        except BaseException:
            stream.close()
            if store is not None:
                with contextlib.suppress(StorageError):  # the disk may be what failed
                    store.event("interrupted", solved=solved)
            raise
    if store is not None:
        store.event("end", solved=solved, skipped=skipped)
    return _finish(cases, records, base_case, store, plots, solved, skipped)


def spec_baseline(spec: Portfolio | None) -> Any:
    return None if spec is None else spec.baseline


def load_batch(out: str | os.PathLike[str], baseline: Any = None) -> BatchResult:
    """Read a batch's folder back (manifest and records) without solving anything."""
    from placement.batch.store import MANIFEST

    store = ResultStore(out)
    if not (store.out / MANIFEST).exists():
        raise PortfolioError(f"{store.out}: no {MANIFEST}; not a batch output folder")
    manifest = store.read_manifest()
    records: dict[str, Record] = {}
    cases = []
    for entry in manifest["cases"]:
        record = store.load(entry["hash"])
        if record is not None:
            records[entry["hash"]] = record
        cases.append(_StoredCase(entry))
    base = find_baseline(cases, baseline or manifest.get("baseline"))  # type: ignore[arg-type]
    return _finish(cases, records, base, None, False, 0, len(records))  # type: ignore[arg-type]


class _StoredCase:
    """A case as the manifest lists it (its scenario is not stored: re-expand the spec)."""

    def __init__(self, entry: dict[str, Any]):
        self.id: str = entry["id"]
        self.hash: str = entry["hash"]
        self.inputs: dict[str, Any] = entry.get("inputs", {})
        self.labels: dict[str, str] = entry.get("labels", {})
        self.candidate_sites = tuple((s["id"], s.get("state")) for s in entry.get("sites", []))


def _cases_of(portfolio: Any) -> tuple[Portfolio | None, list[Case]]:
    if isinstance(portfolio, Portfolio):
        return portfolio, portfolio.expand()
    if isinstance(portfolio, str | os.PathLike):
        spec = Portfolio.from_file(portfolio)
        return spec, spec.expand()
    cases = list(portfolio)
    if not cases or not all(isinstance(c, Case) for c in cases):
        raise PortfolioError("portfolio: expected a Portfolio, a spec path, or a list of Case")
    return None, cases


def _executor_stream(
    executor: str,
    tasks: Iterator[dict[str, Any]],
    on_submit: Callable[[dict[str, Any]], None],
    workers: int,
    scheduler: Any,
) -> Iterator[dict[str, Any]]:
    if executor == "sequential":
        return executors.run_sequential(tasks, on_submit)
    if executor == "process":
        return executors.run_process_pool(tasks, on_submit, workers)
    return executors.run_dask(tasks, on_submit, workers, scheduler)


def _manifest(spec: Portfolio | None, cases: list[Case], baseline: Case) -> dict[str, Any]:
    entries = [
        {
            "id": case.id,
            "hash": case.hash,
            "inputs": case.inputs,
            "labels": case.labels,
            "sites": [{"id": sid, "state": state} for sid, state in case.candidate_sites],
        }
        for case in cases
    ]
    return {
        "format": "placement.batch.manifest/1",
        "name": spec.name if spec else "cases",
        "description": spec.description if spec else "",
        "solve": cases[0].options.as_dict(),
        "parameters": list(cases[0].inputs),
        "baseline": baseline.id,
        "cases": entries,
    }


def _finish(
    cases: list[Case],
    records: dict[str, Record],
    base_case: Case,
    store: ResultStore | None,
    plots: bool,
    solved: int,
    skipped: int,
) -> BatchResult:
    from placement.batch.summary import site_table, summary_table, write_tables

    table = summary_table(cases, records, base_case)
    sites = site_table(cases, records, base_case)
    files: list[Path] = []
    notes: list[str] = []
    if store is not None:
        try:
            written, notes = write_tables(store.out, table, sites)
            files += written
            if plots:
                from placement.batch.plots import plot_cost_vs_rtt, plot_sensitivity

                inputs = list(cases[0].inputs)
                for path in (
                    plot_cost_vs_rtt(table, store.out / "cost_vs_rtt.png", base_case.id),
                    plot_sensitivity(table, inputs, store.out / "sensitivity.png", base_case.id),
                ):
                    if path is not None:
                        files.append(path)
        except OSError as exc:
            raise storage_error(Path(exc.filename or store.out), exc) from None
    return BatchResult(
        cases=cases,
        records=records,
        baseline=base_case,
        table=table,
        sites=sites,
        out=store.out if store else None,
        solved=solved,
        skipped=skipped,
        files=files,
        notes=notes,
    )


class _Progress:
    """A rich progress bar (done / failed / remaining, ETA) on stderr, or nothing."""

    def __init__(self, enabled: bool, total: int, skipped: int):
        self.enabled = enabled and total > 0
        self.total = total
        self.skipped = skipped
        self.done = 0
        self.failed = 0
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> _Progress:
        if not self.enabled:
            return self
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(
                "done {task.fields[done]} · failed {task.fields[failed]} · "
                "remaining {task.fields[remaining]}"
            ),
            TextColumn("elapsed"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        )
        label = "solving" + (f" ({self.skipped} done before)" if self.skipped else "")
        self._bar.start()
        self._task = self._bar.add_task(
            label, total=self.total, done=0, failed=0, remaining=self.total
        )
        return self

    def advance(self, record: Record) -> None:
        if record.failed:
            self.failed += 1
        else:
            self.done += 1
        if self._bar is not None:
            self._bar.update(
                self._task,
                advance=1,
                done=self.done,
                failed=self.failed,
                remaining=self.total - self.done - self.failed,
            )

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
