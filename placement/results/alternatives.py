"""Several good plans for one scenario, and how they differ: the answer to "show me others".

:class:`Alternatives` is what ``placement.solve(scenario, alternatives=N)`` returns: a frozen
collection of verified :class:`PlacementResult` plans, cheapest first, and a difference table
(:meth:`Alternatives.table`) saying what each costs against the first (the optimum) and which
facilities (a site in a financing mode) it opens or closes.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from placement.atomic import write_text_atomic
from placement.results.result import JsonDocument, PlacementResult

TABLE_COLUMNS: tuple[str, ...] = (
    "plan",
    "status",
    "objective_usd_per_year",
    "spend_usd_per_year",
    "vs_best_usd_per_year",
    "vs_best_pct",
    "facilities",
    "opened",
    "closed",
    "distance_to_best",
    "distance_to_nearest",
    "verified",
)
"""Columns of the difference table: ``opened``/``closed`` list the facilities the plan opens
or leaves closed against plan 1, ``distance_to_best`` counts them (the Hamming distance of the
open-facility vectors) and ``distance_to_nearest`` is the smallest such distance to any other
plan; ``verified`` is whether :func:`placement.verify` passed."""


def facilities_of(result: PlacementResult) -> frozenset[str]:
    """The open facilities of a plan: ``site`` when built, ``site (mode)`` otherwise."""
    return frozenset(
        load.site if mode == "build" else f"{load.site} ({mode})"
        for load in result.sites
        for mode in load.financing
    )


class Alternatives(JsonDocument):
    """Plans for one scenario, cheapest first; plan 1 is the optimum."""

    scenario: str
    mode: Literal["best", "diverse"] = Field(
        description="best: the N best distinct facility selections; diverse: plans within "
        "`within` of the optimum that differ most in the facilities they open."
    )
    requested: int = Field(description="How many plans were asked for.")
    within: float | None = Field(None, description="Diverse mode: the cost budget, relative.")
    plans: tuple[PlacementResult, ...]
    verification: tuple[str, ...] = Field(
        description="Per plan: '' when placement.verify passed, else its violations."
    )
    note: str = Field("", description="Why fewer plans than requested came back, if so.")

    def __len__(self) -> int:
        return len(self.plans)

    def __iter__(self) -> Iterator[PlacementResult]:  # type: ignore[override]
        return iter(self.plans)

    def __getitem__(self, index: int) -> PlacementResult:
        return self.plans[index]

    @property
    def best(self) -> PlacementResult:
        return self.plans[0]

    @property
    def verified(self) -> bool:
        return all(v == "" for v in self.verification)

    def table(self) -> list[dict[str, Any]]:
        """One row per plan (see :data:`TABLE_COLUMNS`)."""
        sets = [facilities_of(p) for p in self.plans]
        best = self.plans[0].objective or 0.0
        rows = []
        for n, (plan, chosen) in enumerate(zip(self.plans, sets, strict=True)):
            others = [len(chosen ^ s) for m, s in enumerate(sets) if m != n]
            objective = plan.objective
            rows.append(
                {
                    "plan": n + 1,
                    "status": plan.status.value,
                    "objective_usd_per_year": objective,
                    "spend_usd_per_year": plan.costs.spend if plan.ok else None,
                    "vs_best_usd_per_year": None if objective is None else objective - best,
                    "vs_best_pct": None
                    if objective is None or not best
                    else 100.0 * (objective - best) / abs(best),
                    "facilities": len(chosen),
                    "opened": "; ".join(sorted(chosen - sets[0])),
                    "closed": "; ".join(sorted(sets[0] - chosen)),
                    "distance_to_best": len(chosen ^ sets[0]),
                    "distance_to_nearest": min(others) if others else 0,
                    "verified": self.verification[n] == "",
                }
            )
        return rows

    def to_frame(self) -> Any:
        """The difference table as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame(self.table(), columns=list(TABLE_COLUMNS))

    def csv_text(self) -> str:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(TABLE_COLUMNS), lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.table())
        return buffer.getvalue()

    def to_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write the difference table as CSV, atomically."""
        write_text_atomic(Path(path), self.csv_text())
        return Path(path)
