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
import threading
import time
from collections.abc import Callable

# How long past its deadline a call may take to stop at its own interrupt (and report a
# complete status) before it is left behind; small against the 5 % + 1 s a solve may overrun.
SETTLE_SECONDS = 0.25
_POLL_SECONDS = 0.05
_LEFT_BEHIND: list[threading.Thread] = []


def run_until(
    call: Callable[[], None], deadline: float | None, *, name: str, on_abandon: Callable[[], None]
) -> bool:
    """Run ``call`` in a daemon thread until it returns or ``deadline`` + SETTLE_SECONDS passes;
    whether it returned. ``on_abandon`` runs when the call is left behind (at the deadline, or
    at once on a KeyboardInterrupt, which is then re-raised).

    ``call`` must catch its own exceptions (hand them to the caller through its closure)."""
    runner = threading.Thread(target=call, name=name, daemon=True)
    runner.start()
    try:
        while True:
            runner.join(_POLL_SECONDS)
            if not runner.is_alive():
                return True
            if deadline is not None and time.perf_counter() >= deadline + SETTLE_SECONDS:
                break
    except BaseException:  # KeyboardInterrupt without the CLI's handler: stop the solver too
        on_abandon()
        _LEFT_BEHIND.append(runner)
        raise
    on_abandon()
    _LEFT_BEHIND.append(runner)
    return False


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
