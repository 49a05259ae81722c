"""Derived columns and cross-checks: deviation from known optima, root gaps, agreement.

Rows are grouped by *problem*: the same instance and variant, and the same model of serving
(``strong`` and ``weak`` model the splittable problem; ``single_source`` a different, restricted
one; ``dense`` is a relaxed problem). Within a group every answer was verified, so:

* any two proven optima must agree (to ``AGREE_RTOL``);
* no backend's bound may exceed any verified objective, and no verified objective may be below
  any backend's bound.

A row that breaks either gets ``agree = False``; the summary lists them. ``agree`` is empty when
there is nothing to compare with.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

AGREE_RTOL = 1e-5
DEVIATION_RTOL = 1e-6

Row = dict[str, Any]


def problem_of(row: Row) -> str:
    """Which optimisation problem a row solves (rows of one problem must agree)."""
    return "single_source" if row["formulation"] == "single_source" else "splittable"


def group_key(row: Row) -> tuple[str, str, str, str]:
    return (row["family"], row["instance"], row["variant"], problem_of(row))


def annotate(rows: list[Row]) -> list[Row]:
    """Fill ``deviation``, ``lp_bound`` (shared per formulation), ``lp_gap`` and ``agree``."""
    groups: dict[tuple[str, str, str, str], list[Row]] = defaultdict(list)
    for row in rows:
        groups[group_key(row)].append(row)
    for row in rows:
        row["deviation"] = _deviation(row)
    _share_lp_bounds(rows)
    for members in groups.values():
        _check_group(members)
    return rows


def _deviation(row: Row) -> float | None:
    """(objective − known optimum) / known optimum, for the problem the optimum belongs to."""
    known, objective = row.get("known_optimum"), row.get("objective")
    if known is None or objective is None or problem_of(row) != "splittable":
        return None
    return (objective - known) / max(abs(known), 1e-9)


def _share_lp_bounds(rows: list[Row]) -> None:
    """The LP bound is the formulation's: copy it to every backend's row of the same model."""
    bounds: dict[tuple[str, str, str, str], float] = {}
    for row in rows:
        if row.get("lp_bound") is not None:
            bounds[_model_key(row)] = row["lp_bound"]
    for row in rows:
        if row.get("lp_bound") is None and _model_key(row) in bounds:
            row["lp_bound"] = bounds[_model_key(row)]


def _model_key(row: Row) -> tuple[str, str, str, str]:
    return (row["family"], row["instance"], row["variant"], row["formulation"])


def _check_group(members: list[Row]) -> None:
    solved = [r for r in members if r.get("objective") is not None and r.get("verified")]
    best = min((r["objective"] for r in solved), default=None)
    for row in members:
        lp = row.get("lp_bound")
        reference = best if best is not None else row.get("known_optimum")
        if lp is not None and reference is not None:
            row["lp_gap"] = max(0.0, reference - lp) / max(abs(reference), 1e-9)
    optimal = [r for r in solved if r["status"] == "optimal"]
    bounds = [r["bound"] for r in members if r.get("bound") is not None]
    high_bound = max(bounds, default=None)
    participants = {
        id(r) for r in members if r.get("objective") is not None or r.get("bound") is not None
    }
    for row in members:
        if id(row) in participants and len(participants) > 1:
            row["agree"] = _consistent(row, optimal, best, high_bound)
        else:
            row["agree"] = None


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= AGREE_RTOL * max(abs(a), abs(b), 1.0)


def _consistent(row: Row, optimal: list[Row], best: float | None, high_bound: float | None) -> bool:
    objective, bound = row.get("objective"), row.get("bound")
    if (
        row["status"] == "optimal"
        and objective is not None
        and any(not _close(objective, other["objective"]) for other in optimal)
    ):
        return False
    if bound is not None and best is not None and bound > best and not _close(bound, best):
        return False
    return not (
        objective is not None
        and row.get("verified")
        and high_bound is not None
        and objective < high_bound
        and not _close(objective, high_bound)
    )


def summary(rows: Iterable[Row]) -> dict[str, Any]:
    """Counts and the list of problems a reader must see first."""
    rows = list(rows)
    ran = [r for r in rows if r["status"] not in ("skipped",)]
    answered = [r for r in ran if r.get("objective") is not None]
    unverified = [r for r in answered if not r.get("verified")]
    disagree = [r for r in rows if r.get("agree") is False]
    deviations = [
        abs(r["deviation"])
        for r in rows
        if r.get("deviation") is not None and r["status"] == "optimal"
    ]
    off_optimum = [
        r
        for r in rows
        if r.get("deviation") is not None
        and r["status"] == "optimal"
        and abs(r["deviation"]) > DEVIATION_RTOL
    ]
    return {
        "entries": len(rows),
        "ran": len(ran),
        "skipped": len(rows) - len(ran),
        "with_solution": len(answered),
        "optimal": sum(r["status"] == "optimal" for r in ran),
        "verified": len(answered) - len(unverified),
        "unverified": unverified,
        "disagree": disagree,
        "max_abs_deviation": max(deviations, default=None),
        "off_optimum": off_optimum,
        "errors": [r for r in ran if r["status"] in ("error", "crashed", "timeout")],
    }
