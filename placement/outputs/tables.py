"""A placement as CSV tables, for spreadsheets: one row per site, assignment, cluster, cost.

:func:`csv_tables` builds ``sites.csv`` (every candidate), ``assignments.csv``, ``training.csv``
and ``costs.csv`` as text; the caller writes them (atomically). The rows are defined once, in
:mod:`placement.results.frames` (which also gives them as pandas DataFrames).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from placement.model.schema import Scenario
from placement.results.frames import (
    ASSIGNMENT_COLUMNS,
    COST_COLUMNS,
    SITE_COLUMNS,
    TRAINING_COLUMNS,
    assignment_rows,
    cost_rows,
    site_rows,
    training_rows,
)
from placement.results.result import PlacementResult

__all__ = [
    "ASSIGNMENT_COLUMNS",
    "COST_COLUMNS",
    "SITE_COLUMNS",
    "TRAINING_COLUMNS",
    "assignment_rows",
    "cost_rows",
    "csv_tables",
    "site_rows",
    "training_rows",
]


def csv_tables(scenario: Scenario, result: PlacementResult) -> dict[str, str]:
    """``{file name: CSV text}`` for sites, assignments, training and costs."""
    return {
        "sites.csv": _csv(SITE_COLUMNS, site_rows(scenario, result)),
        "assignments.csv": _csv(ASSIGNMENT_COLUMNS, assignment_rows(scenario, result)),
        "training.csv": _csv(TRAINING_COLUMNS, training_rows(scenario, result)),
        "costs.csv": _csv(COST_COLUMNS, cost_rows(result, scenario)),
    }


def _csv(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
