"""Solves that return at their deadline even where the solver does not stop there.

HiGHS checks no interrupt inside its presolve or the MIP's root LP, and SCIP (through MathOpt)
finishes its presolve and root LP before it honours an interrupt: on random CFLP 200×2000 with a
5 s limit both returned after about 11 s. A solver call therefore runs in a daemon thread (the
bindings release the GIL while the solver works) and the caller waits only until the deadline
plus :data:`SETTLE_SECONDS`. A call still running then is *left behind*: the caller answers with
what it has, the solver stops at its next interrupt point (its deadline has passed), and its
memory is freed when it does. The next change of HiGHS's global thread scheduler, and the
interpreter's exit, wait for it (a solver thread still running when Python finalises aborts the
process); the command line exits without waiting.
"""

from __future__ import annotations

import atexit
import queue
import threading
import time
from collections.abc import Callable

# How long past its deadline a call may take to stop at its own interrupt (and report a
# complete status) before it is left behind; small against the 5 % + 1 s a solve may overrun.
SETTLE_SECONDS = 0.25
_POLL_SECONDS = 0.05
_LEFT_BEHIND: list[threading.Thread] = []


class _Worker:
    """A daemon thread that runs solver calls one at a time. Reused from call to call: a new
    thread per call would give each its own malloc arena (measured: +200 MB peak over a few
    solves of the default); replaced only when a call is left behind on it."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple[Callable[[], None], threading.Event] | None] = (
            queue.SimpleQueue()
        )
        self.thread = threading.Thread(target=self._loop, name="placement-solver", daemon=True)
        self.abandoned = False
        self.thread.start()

    def submit(self, call: Callable[[], None]) -> threading.Event:
        done = threading.Event()
        self._jobs.put((call, done))
        return done

    def retire(self) -> None:
        """End the thread once its current call (if any) returns."""
        self.abandoned = True
        self._jobs.put(None)

    def _loop(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            call, done = job
            try:
                call()
            finally:
                done.set()
            if self.abandoned:  # its caller has a new worker; this one ends here
                return


_worker: _Worker | None = None


def run_until(
    call: Callable[[], None], deadline: float | None, *, name: str, on_abandon: Callable[[], None]
) -> bool:
    """Run ``call`` on the solver thread until it returns or ``deadline`` + SETTLE_SECONDS
    passes; whether it returned. ``on_abandon`` runs when the call is left behind (at the
    deadline, or at once on a KeyboardInterrupt, which is then re-raised). ``name`` labels the
    solver in the thread's name.

    ``call`` must catch its own exceptions (hand them to the caller through its closure)."""
    global _worker
    if _worker is None or _worker.abandoned or not _worker.thread.is_alive():
        _worker = _Worker()
    worker = _worker
    worker.thread.name = name
    done = worker.submit(call)
    try:
        while not done.wait(_POLL_SECONDS):
            if deadline is not None and time.perf_counter() >= deadline + SETTLE_SECONDS:
                break
        else:
            return True
    except BaseException:  # KeyboardInterrupt without the CLI's handler: stop the solver too
        _abandon(worker, on_abandon)
        raise
    _abandon(worker, on_abandon)
    return False


def _abandon(worker: _Worker, on_abandon: Callable[[], None]) -> None:
    worker.retire()
    on_abandon()
    _LEFT_BEHIND.append(worker.thread)


def use_a_fresh_thread() -> None:
    """Run the next call on a new thread: HiGHS keeps per-thread state of its global
    scheduler that a reset of that scheduler (another thread count) leaves stale ("Not Set")."""
    global _worker
    if _worker is not None:
        _worker.retire()
        _worker = None


def left_behind() -> int:
    """How many solver calls left behind at their deadline are still running."""
    return sum(runner.is_alive() for runner in _LEFT_BEHIND)


def wait_for_left_behind(timeout: float | None = None) -> bool:
    """Wait for every call left behind to stop; whether they all have."""
    until = None if timeout is None else time.perf_counter() + timeout
    for runner in list(_LEFT_BEHIND):
        runner.join(None if until is None else max(until - time.perf_counter(), 0.0))
        if not runner.is_alive():
            _LEFT_BEHIND.remove(runner)
    return not _LEFT_BEHIND


atexit.register(wait_for_left_behind)
