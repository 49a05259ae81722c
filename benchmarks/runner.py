"""Run the planned entries one at a time, each in a fresh process, and collect their rows.

One entry at a time (never in parallel), the same time limit, threads and seed for every entry.
On a size ladder (random, us, ai) an entry that failed at a smaller size — no solution, a gap
above ``Settings.fail_gap``, too many pairs, a crash — is recorded as ``skipped`` at the larger
sizes instead of being run: that is where the formulation/backend stops being practical.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from benchmarks.analysis import annotate
from benchmarks.endtoend import run_endtoend
from benchmarks.entry import Entry, Settings, base_row, failed
from benchmarks.isolation import run_inline, run_isolated
from benchmarks.registry import FAMILIES
from benchmarks.worker import run_entry

Row = dict[str, Any]
OnRow = Callable[[int, int, Row], None]


def run_benchmarks(
    entries: Sequence[Entry], settings: Settings, on_row: OnRow | None = None
) -> list[Row]:
    """Run (or skip) every entry in order; rows are annotated by :func:`analysis.annotate`."""
    rows: list[Row] = []
    failures: dict[tuple[str, str, str, str], tuple[int, str]] = {}
    for k, entry in enumerate(entries, start=1):
        reason = _skip_reason(entry, failures, settings)
        if reason:
            row = base_row(entry, settings)
            row.update(status="skipped", note=reason)
        else:
            row = execute(entry, settings)
        if FAMILIES[entry.spec.family].ladder and failed(row, settings.fail_gap):
            failures.setdefault(entry.combo, (entry.spec.order, entry.spec.size))
        rows.append(row)
        if on_row is not None:
            on_row(k, len(entries), row)
    return annotate(rows)


def execute(entry: Entry, settings: Settings) -> Row:
    """One entry, in a fresh process (``isolation="process"``) or in this one."""
    fn = run_endtoend if FAMILIES[entry.spec.family].endtoend else run_entry
    if settings.isolation == "inline":
        return run_inline(fn, (entry, settings))
    outcome = run_isolated(fn, (entry, settings), settings.entry_timeout)
    if isinstance(outcome, dict):
        return outcome
    row = base_row(entry, settings)
    row.update(status="timeout" if "timeout" in outcome else "crashed", note=outcome)
    return row


def _skip_reason(
    entry: Entry, failures: dict[tuple[str, str, str, str], tuple[int, str]], settings: Settings
) -> str:
    if not settings.skip_after_failure:
        return ""
    failure = failures.get(entry.combo)
    if failure is None or failure[0] >= entry.spec.order:
        return ""
    return f"not run: this formulation/backend already failed at {failure[1]}"


def progress_line(k: int, total: int, row: Row) -> str:
    """A one-line account of a finished entry, for the console."""
    head = (
        f"[{k}/{total}] {row['family']} {row['instance']} [{row['variant']}] "
        f"{row['formulation']}/{row['solver']}: {row['status']}"
    )
    if row["status"] == "skipped" or row.get("objective") is None:
        note = row.get("note") or ""
        return f"{head} {note}"[:240]
    gap = row.get("gap")
    parts = [
        f"obj {row['objective']:.6g}",
        f"gap {'?' if gap is None else f'{gap:.2e}'}",
        f"build {row.get('build_seconds') or 0:.2f}s",
        f"solve {row.get('solve_seconds') or 0:.2f}s",
    ]
    if row.get("wall_seconds") is not None:
        parts.append(f"wall {row['wall_seconds']:.1f}s")
    if row.get("peak_rss_mb") is not None:
        parts.append(f"{row['peak_rss_mb']:.0f} MiB")
    parts.append("verified" if row.get("verified") else "NOT VERIFIED")
    return head + " " + ", ".join(parts)
