"""Run a function in a fresh process with a hard timeout, so memory is measured per entry.

Processes come from a ``forkserver``: one server process imports ``placement`` and OR-Tools
once, and every entry is a fresh fork of that clean server (never of the runner, which holds
earlier results). A child therefore starts at the same baseline memory each time, its
``ru_maxrss`` covers its own entry only, and the import cost is not paid per entry.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

PRELOAD = ["benchmarks.worker", "benchmarks.endtoend"]

_context: Any = None


def _forkserver() -> Any:
    global _context
    if _context is None:
        _context = mp.get_context("forkserver")
        _context.set_forkserver_preload(PRELOAD)
    return _context


def _child(conn: Connection, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        conn.send(fn(*args))
    finally:
        conn.close()


def run_isolated(
    fn: Callable[..., dict[str, Any]], args: tuple[Any, ...], timeout: float
) -> dict[str, Any] | str:
    """``fn(*args)`` in a fresh process; its return value, or why there is none (a string)."""
    ctx = _forkserver()
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(sender, fn, args), daemon=True)
    process.start()
    sender.close()
    result: dict[str, Any] | None = None
    try:
        if not receiver.poll(timeout):
            process.kill()
            process.join()
            return f"killed after the hard timeout of {timeout:.0f} s"
        with contextlib.suppress(EOFError):  # EOF: the child died before it could answer
            result = receiver.recv()
    finally:
        receiver.close()
    process.join()
    if result is not None:
        return result
    code = process.exitcode
    reason = "killed (out of memory?)" if code == -9 else f"exit code {code}"
    return f"process died without a result: {reason}"


def run_inline(fn: Callable[..., dict[str, Any]], args: tuple[Any, ...]) -> dict[str, Any]:
    """``fn(*args)`` in this process (fast, for tests; memory figures then include the caller)."""
    return fn(*args)
