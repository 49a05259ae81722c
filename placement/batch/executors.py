"""Where the solves run: in this process, in a local process pool, or on a Dask cluster.

Each executor takes an iterator of task payloads (:meth:`Case.task`) and yields one plain record
dict per task as it finishes, in completion order. Work is submitted a window at a time (twice
the number of workers), so a long portfolio never sits in memory as a queue of futures.
A task never raises: a solver failure, an exception or a dead worker becomes a record with
status ``error`` and the message.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import socket
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from typing import Any

from placement.errors import VerificationError
from placement.model.schema import Scenario
from placement.results.result import PlacementResult, Status
from placement.results.verify import verify
from placement.solving.options import SolveOptions
from placement.solving.solve import solve

Task = dict[str, Any]
OnSubmit = Callable[[Task], None]
EXECUTORS = ("sequential", "process", "dask")
MAX_IDLE_BREAKS = 3


def run_task(task: Task) -> dict[str, Any]:
    """Solve one case with one thread, verify it, and return its record (never raises)."""
    started = time.perf_counter()
    record: dict[str, Any] = {
        "id": task["id"],
        "hash": task["hash"],
        "inputs": task["inputs"],
        "options": task["options"],
        "verified": None,
        "verify_message": "",
        "traceback": None,
        "worker": f"{socket.gethostname()}:{os.getpid()}",
    }
    try:
        scenario = Scenario.model_validate_json(task["scenario_json"])
        options = SolveOptions(**task["options"]).replace(threads=1)
        # one solve per case: comparisons (solve without each add-on) are for single solves;
        # a portfolio compares cases itself
        result = solve(scenario, options=options, compare=False)
        if task.get("verify", True):
            try:
                verify(scenario, result)
                record["verified"] = True
            except VerificationError as exc:
                record["verified"] = False
                record["verify_message"] = str(exc)
    except Exception as exc:  # recorded, never raised: the batch goes on
        result = PlacementResult(
            scenario=task["id"], status=Status.ERROR, message=f"{type(exc).__name__}: {exc}"
        )
        record["traceback"] = traceback.format_exc()
    record["result"] = result.model_dump(mode="json")
    record["wall_seconds"] = time.perf_counter() - started
    record["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    return record


def error_record(task: Task, message: str) -> dict[str, Any]:
    """The record of a task that produced no record itself (its worker died, say)."""
    result = PlacementResult(scenario=task["id"], status=Status.ERROR, message=message)
    return {
        "id": task["id"],
        "hash": task["hash"],
        "inputs": task["inputs"],
        "options": task["options"],
        "verified": None,
        "verify_message": "",
        "traceback": None,
        "worker": "",
        "result": result.model_dump(mode="json"),
        "wall_seconds": 0.0,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def run_sequential(tasks: Iterable[Task], on_submit: OnSubmit) -> Iterator[dict[str, Any]]:
    """Solve each task in this process, one after another."""
    for task in tasks:
        on_submit(task)
        yield run_task(task)


def pool_context() -> multiprocessing.context.BaseContext:
    """forkserver where the platform has it (no fork of a threaded parent), else spawn.

    The fork server preloads this module (and with it the solver stack), so each worker,
    including those of a pool rebuilt after a worker died, starts in milliseconds instead of
    importing everything again (measured: about 1.5 s per pool on 2 cores without it).
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["__main__", __name__])
    return context


def run_process_pool(
    tasks: Iterable[Task], on_submit: OnSubmit, workers: int
) -> Iterator[dict[str, Any]]:
    """Solve in a ``ProcessPoolExecutor`` of ``workers`` processes.

    If a worker process dies (out of memory, a crash in native code, a kill), the pool is
    rebuilt and the tasks that were in flight are tried once more; a task in flight at two
    deaths is recorded as an error. A pool found broken when a task is handed to it (a worker
    died while the previous answer was being stored) is rebuilt the same way, and the task
    that could not be handed over is submitted to the new pool.
    """
    context = pool_context()
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    pending: dict[Future[dict[str, Any]], Task] = {}
    retry: list[Task] = []
    deaths: dict[str, int] = {}
    source = iter(tasks)
    exhausted = False
    idle_breaks = 0  # pool breaks in a row with nothing in flight
    try:
        while True:
            broken = False
            while len(pending) < 2 * workers and (retry or not exhausted):
                task = retry.pop(0) if retry else next(source, None)
                if task is None:
                    exhausted = True
                    break
                try:
                    future = pool.submit(run_task, task)
                except BrokenProcessPool:  # it never ran: no attempt, no death
                    retry.insert(0, task)
                    broken = True
                    break
                on_submit(task)
                pending[future] = task
            if not pending and not broken:
                return
            if pending:
                idle_breaks = 0
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    task = pending.pop(future)
                    try:
                        record = future.result()
                    except BrokenProcessPool:
                        broken = True
                        deaths[task["hash"]] = deaths.get(task["hash"], 0) + 1
                        if deaths[task["hash"]] < 2:
                            retry.append(task)
                            continue
                        record = error_record(
                            task,
                            "worker process died twice while solving this case (out of memory "
                            "or a crash in the solver); re-run with retry_errors to try again",
                        )
                    except Exception as exc:
                        record = error_record(task, f"{type(exc).__name__}: {exc}")
                    yield record
            else:
                idle_breaks += 1
                if idle_breaks > MAX_IDLE_BREAKS:
                    raise BrokenProcessPool(
                        f"the process pool broke {idle_breaks} times in a row before any case "
                        "could run (workers cannot start: out of memory?)"
                    )
            if broken:
                retry.extend(pending.values())
                pending.clear()
                pool.shutdown(wait=False, cancel_futures=True)
                pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def run_dask(
    tasks: Iterable[Task],
    on_submit: OnSubmit,
    workers: int,
    scheduler: Any = None,
) -> Iterator[dict[str, Any]]:
    """Solve on a Dask distributed cluster.

    ``scheduler`` is a scheduler address (``tcp://host:8786``), a ``distributed.Client``, or
    None for a ``LocalCluster`` of ``workers`` processes with one thread each (closed at the
    end). Workers must be able to ``import placement``.
    """
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise ImportError(
            "executor 'dask' needs dask.distributed: pip install 'dask[distributed]' "
            "(or the placement[batch] extra)"
        ) from None
    cluster = None
    if isinstance(scheduler, Client):
        client, own_client = scheduler, False
    elif scheduler:
        client, own_client = Client(scheduler), True
    else:
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        client, own_client = Client(cluster), True
    slots = max(1, sum(client.nthreads().values()))
    pending: dict[str, tuple[Any, Task]] = {}
    futures = as_completed()
    source = iter(tasks)

    def submit_more() -> None:
        while len(pending) < 2 * slots:
            task = next(source, None)
            if task is None:
                return
            on_submit(task)
            future = client.submit(run_task, task, pure=False, key=_dask_key(task))
            pending[future.key] = (future, task)
            futures.add(future)

    try:
        submit_more()
        for future in futures:
            _, task = pending.pop(future.key)
            try:
                record = future.result()
            except Exception as exc:  # KilledWorker and the like
                record = error_record(task, f"{type(exc).__name__}: {exc}")
            future.release()
            yield record
            submit_more()
    finally:
        if pending:
            client.cancel([future for future, _ in pending.values()])
        if own_client:
            client.close()
        if cluster is not None:
            cluster.close()


def _dask_key(task: Task) -> str:
    return f"placement-solve-{task['hash'][:16]}-{os.urandom(4).hex()}"
