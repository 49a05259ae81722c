"""Outputs: the raw CSV, the markdown report, and the generated part of ``RESULTS.md``."""

from __future__ import annotations

import csv
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from benchmarks.analysis import DEVIATION_RTOL, group_key, summary
from benchmarks.entry import COLUMNS

Row = dict[str, Any]
BEGIN = "<!-- BEGIN GENERATED: python -m benchmarks --publish rewrites this part -->"
END = "<!-- END GENERATED -->"


# ============================================================================ CSV
def write_csv(rows: Iterable[Row], path: Path) -> Path:
    """The raw rows, one per entry, in :data:`COLUMNS` order (written atomically)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _csv_value(row.get(k)) for k in COLUMNS})
    tmp.replace(path)
    return path


def read_csv(path: Path) -> list[Row]:
    """Rows back from :func:`write_csv`, typed again (for ``--report-only``)."""
    with path.open(newline="", encoding="utf-8") as handle:
        return [{k: _typed(k, v) for k, v in row.items()} for row in csv.DictReader(handle)]


_BOOLS = {"runs_agree", "verified", "agree"}
_TEXT = {"family", "instance", "size", "variant", "formulation", "solver", "status", "note"}


def _typed(column: str, text: str) -> Any:
    if column in _TEXT:
        return text
    if text == "":
        return None
    if column in _BOOLS:
        return text == "True"
    try:
        number = float(text)
    except ValueError:
        return text  # e.g. threads = "default" on end-to-end rows
    return int(number) if number.is_integer() and "." not in text and "e" not in text else number


def _csv_value(value: Any) -> Any:
    if isinstance(value, float):
        return repr(value)
    return "" if value is None else value


# ============================================================================ formatting
def _num(x: float | None) -> str:
    if x is None:
        return ""
    return f"{x:,.0f}" if abs(x) >= 1e4 else f"{x:.6g}"


def _pct(x: float | None) -> str:
    if x is None:
        return ""
    if x <= 1e-9:
        return "0"
    return "<0.01%" if x < 1e-4 else f"{x:.2%}"


def _dev(x: float | None) -> str:
    if x is None:
        return ""
    return "0" if abs(x) <= 1e-9 else f"{x:+.1e}"


def _sec(x: float | None) -> str:
    if x is None:
        return ""
    return f"{x:.3f}" if x < 1 else f"{x:.2f}" if x < 100 else f"{x:.0f}"


def _mib(x: float | None) -> str:
    return "" if x is None else f"{x:.0f}"


def _int(x: int | None) -> str:
    return "" if x is None else f"{int(x):,}"


def _flag(x: bool | None) -> str:
    return "" if x is None else ("yes" if x else "**NO**")


def _verified(row: Row) -> str:
    """yes/NO for an answer; empty when there was no answer to check."""
    return _flag(row.get("verified")) if row.get("objective") is not None else ""


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return lines


def _median(values: Iterable[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return statistics.median(kept) if kept else None


def _total(row: Row) -> float | None:
    if row.get("build_seconds") is None and row.get("solve_seconds") is None:
        return None
    return (row.get("build_seconds") or 0.0) + (row.get("solve_seconds") or 0.0)


# ============================================================================ markdown
def markdown(
    rows: list[Row],
    machine: dict[str, str],
    command: str,
    settings: dict[str, Any],
    wall_seconds: float | None = None,
) -> str:
    """The whole report: machine, command, summary, then one section per family."""
    lines = ["## Run", "", f"Command: `{command}`", ""]
    if wall_seconds is not None:
        lines += [f"Wall time of the whole run: {wall_seconds / 60:.1f} min.", ""]
    lines += [f"- **{key}**: {value}" for key, value in machine.items()]
    lines += [
        "",
        "Settings (the same for every entry): "
        + ", ".join(f"{k} = {v}" for k, v in settings.items() if k != "isolation")
        + f"; each entry in a fresh process: {settings.get('isolation') == 'process'}.",
        "",
    ]
    lines += summary_lines(rows)
    families = list(dict.fromkeys(r["family"] for r in rows))
    for family in families:
        members = [r for r in rows if r["family"] == family]
        lines += ["", f"## {family}", ""]
        if len({r.get("method") for r in members}) > 1:
            lines += [*method_pivot(members), ""]
        if family == "orlib":
            lines += orlib_tables(members)
        elif family == "endtoend":
            lines += endtoend_table(members)
        else:
            lines += detail_table(members)
    return "\n".join(lines) + "\n"


def summary_lines(rows: list[Row]) -> list[str]:
    s = summary(rows)
    lines = [
        "## Summary",
        "",
        f"- entries: {s['entries']} ({s['ran']} run, {s['skipped']} skipped as not practical);"
        f" {s['with_solution']} with a solution, {s['optimal']} proven optimal.",
        f"- verify: {s['verified']} of {s['with_solution']} answers pass `placement.verify`"
        + ("." if not s["unverified"] else " — **FAILURES**: " + _names(s["unverified"])),
        "- agreement (proven optima equal; no bound above a verified objective): "
        + ("all agree." if not s["disagree"] else "**DISAGREE**: " + _names(s["disagree"])),
    ]
    if s["max_abs_deviation"] is not None:
        lines.append(
            f"- known optima (OR-Library): max |deviation| of proven optima = "
            f"{s['max_abs_deviation']:.1e}"
            + (
                f" (all within {DEVIATION_RTOL:g})."
                if not s["off_optimum"]
                else " — **OFF**: " + _names(s["off_optimum"])
            )
        )
    if s["errors"]:
        lines.append("- errors, crashes or timeouts: " + _names(s["errors"]))
    return lines


def _names(rows: list[Row]) -> str:
    shown = [f"{r['instance']}[{r['variant']}] {r['formulation']}/{r['solver']}" for r in rows]
    return ", ".join(shown[:12]) + (f" (+{len(shown) - 12} more)" if len(shown) > 12 else "")


def detail_table(rows: list[Row]) -> list[str]:
    """One line per entry (random, us, ai families)."""
    fastest = _fastest_optimal(rows)
    header = [
        "instance",
        "variant",
        "formulation",
        "backend",
        "status",
        "objective",
        "gap",
        "LP gap",
        "build s",
        "solve s",
        "× fastest",
        "variables",
        "constraints",
        "nonzeros",
        "peak MiB",
        "verified",
        "agree",
        "note",
    ]
    body = []
    for r in rows:
        total = _total(r)
        best = fastest.get(group_key(r))
        ratio = f"{total / best:.1f}" if r["status"] == "optimal" and best and total else ""
        body.append(
            [
                f"{r['instance']} ({r['size']})",
                r["variant"],
                r["formulation"],
                r["solver"],
                r["status"],
                _num(r.get("objective")),
                _pct(r.get("gap")),
                _pct(r.get("lp_gap")),
                _sec(r.get("build_seconds")),
                _sec(r.get("solve_seconds")),
                ratio,
                _int(r.get("variables")),
                _int(r.get("constraints")),
                _int(r.get("nonzeros")),
                _mib(r.get("peak_rss_mb")),
                _verified(r),
                _flag(r.get("agree")),
                _short(r.get("note")),
            ]
        )
    return _table(header, body)


def _fastest_optimal(rows: list[Row]) -> dict[tuple[str, str, str, str], float]:
    fastest: dict[tuple[str, str, str, str], float] = {}
    for r in rows:
        total = _total(r)
        if r["status"] == "optimal" and total:
            key = group_key(r)
            fastest[key] = min(fastest.get(key, total), total)
    return fastest


def _short(note: str | None, limit: int = 90) -> str:
    if not note:
        return ""
    text = note.replace("|", "/").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def orlib_tables(rows: list[Row]) -> list[str]:
    """A per formulation × backend summary, then the deviation of every instance."""
    by_combo: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for r in rows:
        by_combo[(r["formulation"], r["solver"])].append(r)
    header = [
        "formulation",
        "backend",
        "instances",
        "optimal",
        "max abs deviation",
        "median LP gap",
        "median solve s",
        "max solve s",
        "median peak MiB",
        "verified",
        "agree",
    ]
    body = []
    for (formulation, solver), members in by_combo.items():
        devs = [abs(r["deviation"]) for r in members if r.get("deviation") is not None]
        answered = [r for r in members if r.get("objective") is not None]
        body.append(
            [
                formulation,
                solver,
                str(len(members)),
                str(sum(r["status"] == "optimal" for r in members)),
                _max_deviation(formulation, devs),
                _pct(_median(r.get("lp_gap") for r in members)),
                _sec(_median(r.get("solve_seconds") for r in members)),
                _sec(max((r.get("solve_seconds") or 0.0 for r in members), default=None)),
                _mib(_median(r.get("peak_rss_mb") for r in members)),
                f"{sum(bool(r.get('verified')) for r in answered)}/{len(answered)}",
                "**NO**" if any(r.get("agree") is False for r in members) else "yes",
            ]
        )
    lines = _table(header, body)
    lines += ["", "Deviation from Beasley's optimum, per instance (splittable formulations); "]
    lines[-1] += "single-source columns show the extra cost of serving each customer from one site."
    lines += ["", *orlib_pivot(rows)]
    return lines


def method_pivot(rows: list[Row]) -> list[str]:
    """Methods side by side: one line per instance and variant, one column per method
    (status, gap, solve seconds), then per method how many it proved and its median time."""
    methods = list(dict.fromkeys(r.get("method") or "auto" for r in rows))
    cells: dict[tuple[str, str], dict[str, Row]] = defaultdict(dict)
    for r in rows:
        cells[(f"{r['instance']} ({r['size']})", r["variant"])][r.get("method") or "auto"] = r
    body = []
    for (instance, variant), by_method in cells.items():
        line = [instance, variant]
        for method in methods:
            r = by_method.get(method)
            line.append("" if r is None else _method_cell(r))
        body.append(line)
    lines = _table(["instance", "variant", *methods], body)
    lines.append("")
    for method in methods:
        done = [r for r in rows if (r.get("method") or "auto") == method]
        proven = [r for r in done if r["status"] == "optimal"]
        gaps = [r["gap"] for r in done if r.get("gap") is not None]
        lines.append(
            f"- `{method}`: {len(proven)} of {len(done)} proven; median solve "
            f"{_sec(_median(r.get('solve_seconds') for r in done))} s; worst gap "
            f"{_pct(max(gaps)) if gaps else 'n/a'}; worst overrun "
            f"{_sec(max((r.get('overrun_seconds') or 0.0) for r in done))} s"
        )
    return lines


def _method_cell(r: Row) -> str:
    seconds = _sec(r.get("solve_seconds"))
    if r["status"] == "optimal":
        return f"optimal, {seconds} s"
    if r["status"] == "feasible":
        gap = r.get("gap")
        return f"{'no bound' if gap is None else _pct(gap) + ' gap'}, {seconds} s"
    return f"{r['status']}, {seconds} s"


def _max_deviation(formulation: str, deviations: list[float]) -> str:
    if formulation == "single_source":
        return "n/a (other problem)"
    return _dev(max(deviations)) if deviations else ""


def orlib_pivot(rows: list[Row]) -> list[str]:
    combos = list(dict.fromkeys((r["formulation"], r["solver"]) for r in rows))
    header = ["instance", "size", "optimum", *[f"{f}/{s}" for f, s in combos]]
    cells: dict[str, dict[tuple[str, str], Row]] = defaultdict(dict)
    for r in rows:
        cells[r["instance"]][(r["formulation"], r["solver"])] = r
    body = []
    for instance, by_combo in cells.items():
        first = next(iter(by_combo.values()))
        line = [instance, first["size"], _num(first.get("known_optimum"))]
        for combo in combos:
            r = by_combo.get(combo)
            line.append("" if r is None else _pivot_cell(r))
        body.append(line)
    return _table(header, body)


def _pivot_cell(r: Row) -> str:
    if r["formulation"] != "single_source":
        if r["status"] != "optimal":
            return f"{r['status']} {_dev(r.get('deviation'))}".strip()
        return _dev(r.get("deviation"))
    if r["status"] not in ("optimal", "feasible") or not r.get("known_optimum"):
        return r["status"]
    extra = r["objective"] / r["known_optimum"] - 1.0
    return ("0" if abs(extra) <= 1e-9 else f"+{extra:.2%}") + (
        "" if r["status"] == "optimal" else " (feasible)"
    )


def endtoend_table(rows: list[Row]) -> list[str]:
    header = [
        "dataset",
        "how",
        "formulation/backend",
        "status",
        "objective",
        "gap",
        "wall s",
        "build s",
        "solve s",
        "variables",
        "peak MiB",
        "verified",
    ]
    body = [
        [
            f"{r['instance']} ({r['size']})",
            _short((r.get("note") or "").split(" | ")[0], 70),
            f"{r['formulation']}/{r['solver']}",
            r["status"],
            _num(r.get("objective")),
            _pct(r.get("gap")),
            _sec(r.get("wall_seconds")),
            _sec(r.get("build_seconds")),
            _sec(r.get("solve_seconds")),
            _int(r.get("variables")),
            _mib(r.get("peak_rss_mb")),
            _verified(r),
        ]
        for r in rows
    ]
    return _table(header, body)


# ============================================================================ RESULTS.md
def publish(generated: str, path: Path) -> Path:
    """Replace the generated part of ``RESULTS.md``, keeping the hand-written findings."""
    block = f"{BEGIN}\n\n{generated.strip()}\n\n{END}\n"
    if path.exists():
        text = path.read_text(encoding="utf-8")
        if BEGIN in text and END in text:
            head, rest = text.split(BEGIN, 1)
            tail = rest.split(END, 1)[1].lstrip("\n")
            new = head + block + ("\n" + tail if tail else "")
        else:
            new = text.rstrip("\n") + "\n\n" + block
    else:
        new = "# Benchmark results\n\n(findings: to be written from the table below)\n\n" + block
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text(new, encoding="utf-8")
    tmp.replace(path)
    return path
