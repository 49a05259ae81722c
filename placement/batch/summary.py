"""Tidy tables of a batch: one row per case, and how often each site opens.

``summary_table`` has the inputs that varied (one column per parameter), the status and proof
(objective, bound, gap, verified), the cost by component (``cost_*``), the placement (sites
opened, training sites), KPIs, and deltas against a baseline case (``delta_*``).
``site_table`` counts, per candidate site, in how many solved cases it opens: how robust a site
choice is to the swept inputs. pandas is imported on first use.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from placement.atomic import write_bytes_atomic, write_text_atomic
from placement.results.result import COST_COMPONENTS

if TYPE_CHECKING:
    import pandas as pd

    from placement.batch.spec import Case
    from placement.batch.store import Record

COST_FIELDS = COST_COMPONENTS
PARQUET_HINT = (
    "Parquet output needs pyarrow: pip install pyarrow (or the placement[parquet] extra); "
    "the CSV has the same table"
)


def require_pandas() -> Any:
    try:
        import pandas
    except ImportError:
        raise ImportError(
            "batch summaries need pandas: pip install pandas (or the placement[parquet] extra)"
        ) from None
    return pandas


def summary_table(
    cases: Sequence[Case], records: Mapping[str, Record], baseline: Case | None = None
) -> pd.DataFrame:
    """One row per case (in portfolio order); cases without a record have status ``pending``."""
    pd = require_pandas()
    rows = [_row(case, records.get(case.hash)) for case in cases]
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table["is_baseline"] = False
    if baseline is not None:
        table["is_baseline"] = table["id"] == baseline.id
        _add_deltas(table, records.get(baseline.hash))
    inputs = list(cases[0].inputs)
    last = [c for c in ("message", "diagnosis", "hash") if c in table.columns]
    first = ["id", *inputs, "is_baseline"]
    middle = [c for c in table.columns if c not in first and c not in last]
    return table[first + middle + last]


def _row(case: Case, record: Record | None) -> dict[str, Any]:
    row: dict[str, Any] = {"id": case.id, **case.inputs}
    row["demand_mw"] = getattr(case, "demand_mw", None)  # stored cases reloaded may lack it
    if record is None:
        row["status"] = "pending"
        row["hash"] = case.hash
        return row
    res = record.result
    costs = res.costs
    kpis = res.kpis
    row.update(
        {
            "status": res.status.value,
            "verified": record.verified,
            "objective": res.objective,
            "bound": res.bound,
            "gap": res.gap,
        }
    )
    for name in COST_FIELDS:
        row[f"cost_{name}"] = getattr(costs, name) if res.ok else None
    row["cost_excl_latency"] = (
        res.objective - costs.latency_penalty if res.ok and res.objective is not None else None
    )
    row["spend"] = costs.spend if res.ok else None
    training_sites = sorted(set(res.training.values()))
    row.update(
        {
            "open_sites": len(res.open_sites) if res.ok else None,
            "open_site_ids": ";".join(res.open_sites),
            "training_sites": len(training_sites) if res.ok else None,
            "training_site_ids": ";".join(training_sites),
            "weighted_rtt_ms": kpis.weighted_mean_rtt_ms if res.ok else None,
            "p95_rtt_ms": kpis.p95_rtt_ms if res.ok else None,
            "training_mw": kpis.training_mw if res.ok else None,
            "inference_mw": kpis.inference_mw if res.ok else None,
            "facility_mw": kpis.facility_mw if res.ok else None,
            "served_share": kpis.served_share if res.ok else None,
            "carbon_tonnes_per_year": kpis.carbon_tonnes_per_year if res.ok else None,
            "solve_seconds": res.solve_seconds,
            "wall_seconds": record.wall_seconds,
            "attempt": record.attempt,
            "message": record.verify_message or res.message,
            "diagnosis": " | ".join(res.diagnosis),
            "hash": case.hash,
        }
    )
    return row


def _add_deltas(table: pd.DataFrame, base: Record | None) -> None:
    pd = require_pandas()
    ok = base is not None and base.result.ok
    for column in ("objective", "weighted_rtt_ms", "carbon_tonnes_per_year", "open_sites"):
        if column not in table:
            table[column] = None
        values = pd.to_numeric(table[column], errors="coerce")
        reference = _numeric(table.loc[table["is_baseline"], column]) if ok else None
        table[f"delta_{column}"] = values - reference if reference is not None else float("nan")
    values = pd.to_numeric(table["objective"], errors="coerce")
    reference = _numeric(table.loc[table["is_baseline"], "objective"]) if ok else None
    table["delta_objective_pct"] = (
        100.0 * (values - reference) / abs(reference) if reference else float("nan")
    )
    base_sites = set(base.result.open_sites) if ok else set()

    def diff(ids: Any, sign: int) -> str:
        if not ok or not isinstance(ids, str):
            return ""
        mine = set(filter(None, ids.split(";")))
        return ";".join(sorted(mine - base_sites if sign > 0 else base_sites - mine))

    table["opened_vs_baseline"] = [diff(v, +1) for v in table.get("open_site_ids", [])]
    table["closed_vs_baseline"] = [diff(v, -1) for v in table.get("open_site_ids", [])]


def _numeric(series: Any) -> float | None:
    pd = require_pandas()
    values = pd.to_numeric(series, errors="coerce").dropna()
    return float(values.iloc[0]) if len(values) else None


def site_table(
    cases: Sequence[Case], records: Mapping[str, Record], baseline: Case | None = None
) -> pd.DataFrame:
    """Per candidate site: in how many solved cases it is a candidate, opens, hosts training."""
    pd = require_pandas()
    stats: dict[str, dict[str, Any]] = {}
    base_record = records.get(baseline.hash) if baseline is not None else None
    base_open = (
        set(base_record.result.open_sites) if base_record and base_record.result.ok else set()
    )
    solved = 0
    for case in cases:
        record = records.get(case.hash)
        if record is None or not record.result.ok:
            continue
        solved += 1
        res = record.result
        training_sites = set(res.training.values())
        for site_id, state in case.candidate_sites:
            entry = stats.setdefault(
                site_id,
                {
                    "site": site_id,
                    "state": state,
                    "candidate_in": 0,
                    "open_in": 0,
                    "training_in": 0,
                    "mw_total": 0.0,
                },
            )
            entry["candidate_in"] += 1
        for sid in res.open_sites:
            entry = stats[sid]
            entry["open_in"] += 1
            entry["training_in"] += sid in training_sites
            entry["mw_total"] += res.kpis.mw_by_site.get(sid, 0.0)
    rows = []
    for entry in stats.values():
        opened = entry.pop("open_in")
        mw_total = entry.pop("mw_total")
        rows.append(
            {
                **entry,
                "open_in": opened,
                "open_share": opened / entry["candidate_in"] if entry["candidate_in"] else 0.0,
                "mean_mw_when_open": mw_total / opened if opened else 0.0,
                "open_in_baseline": entry["site"] in base_open,
                "solved_cases": solved,
            }
        )
    columns = [
        "site",
        "state",
        "candidate_in",
        "open_in",
        "open_share",
        "training_in",
        "mean_mw_when_open",
        "open_in_baseline",
        "solved_cases",
    ]
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values(["open_in", "site"], ascending=[False, True]).reset_index(drop=True)


def write_csv(table: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a table as CSV, atomically."""
    write_text_atomic(path, table.to_csv(index=False))
    return Path(path)


def write_parquet(table: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a table as Parquet, atomically; ImportError with the fix if pyarrow is missing."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise ImportError(PARQUET_HINT) from None
    buffer = io.BytesIO()
    table.to_parquet(buffer, index=False, engine="pyarrow")
    write_bytes_atomic(path, buffer.getvalue())
    return Path(path)


def write_tables(
    out: str | os.PathLike[str], summary: pd.DataFrame, sites: pd.DataFrame
) -> tuple[list[Path], list[str]]:
    """``summary.csv``/``.parquet`` and ``sites.csv``/``.parquet``; returns (paths, notes)."""
    out = Path(out)
    paths = [write_csv(summary, out / "summary.csv"), write_csv(sites, out / "sites.csv")]
    notes: list[str] = []
    try:
        paths.append(write_parquet(_parquet_safe(summary), out / "summary.parquet"))
        paths.append(write_parquet(_parquet_safe(sites), out / "sites.parquet"))
    except ImportError as exc:
        notes.append(str(exc))
    return paths, notes


def _parquet_safe(table: pd.DataFrame) -> pd.DataFrame:
    """Object columns mixing numbers and text (e.g. an input that is a label) as text."""
    out = table.copy()
    for column in out.columns:
        if out[column].dtype == object:
            kinds = {type(v) for v in out[column].dropna()}
            if len(kinds) > 1:
                out[column] = out[column].map(lambda v: None if v is None else str(v))
    return out
