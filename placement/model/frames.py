"""A scenario as pandas DataFrames and back: a planner's spreadsheet becomes a scenario.

:func:`scenario_frames` gives one DataFrame per list of the scenario (``sites``, ``regions``,
``training``), one column per field. :func:`scenario_from_frames` reads such frames (or CSV
files through ``placement import``) into a validated :class:`Scenario`; everything that is not a
row (economics, network, rules, ``site_defaults``, the inference profile, the catalogues, the
name) comes from ``base`` (a Scenario or a mapping). Empty cells mean "not given": the field
takes its default or ``site_defaults``. Nested values (a site's ``cooling`` list, ``financing``,
``lease`` and ``cloud`` terms, a cluster's ``options``) are JSON text in their cell. Errors name
the table, the row (as a spreadsheet counts: the header is row 1), the record's id, the column,
the value and the rule.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from placement.errors import ScenarioError
from placement.model.schema import Scenario

if TYPE_CHECKING:
    import pandas as pd

LISTS = ("sites", "regions", "training")
TUPLE_FIELDS = {("rules", "must_open"), ("rules", "forbidden"), ("rules", "existing")}


def scenario_frames(scenario: Scenario) -> dict[str, pd.DataFrame]:
    """``{"sites", "regions", "training"}``: one row per element, one column per field."""
    import pandas as pd

    data = scenario.to_dict()
    out = {}
    for name in LISTS:
        model = Scenario.model_fields[name].annotation.__args__[0]  # tuple[Model, ...]
        rows = [{k: _cell(v) for k, v in row.items()} for row in data[name]]
        out[name] = pd.DataFrame(rows, columns=list(model.model_fields))
    return out


def _cell(value: Any) -> Any:
    """A nested value (a site's cooling list, lease terms, a cluster's options) as JSON text,
    so a table cell holds it and a CSV file keeps it."""
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, separators=(", ", ": "))
    return value


def scenario_from_frames(
    sites: pd.DataFrame,
    regions: pd.DataFrame | None = None,
    training: pd.DataFrame | None = None,
    *,
    base: Scenario | Mapping[str, Any] | None = None,
    name: str | None = None,
    sources: Mapping[str, str] | None = None,
) -> Scenario:
    """A validated scenario from frames (see the module docstring).

    ``sources`` names each table in errors (default ``sites``, ``regions``, ``training``;
    ``placement import`` passes the file names).
    """
    settings: dict[str, Any] = {}
    if isinstance(base, Scenario):
        settings = base.to_dict()
    elif base is not None:
        settings = dict(base)
    for key in LISTS:
        settings.pop(key, None)
    data: dict[str, Any] = {**settings, "sites": _records(sites)}
    if regions is not None:
        data["regions"] = _records(regions)
    if training is not None:
        data["training"] = _records(training)
    if name is not None:
        data["name"] = name
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_row_errors(exc, data, dict(sources or {}))) from None


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts; empty cells (NaN, None, "") are left out."""
    rows = []
    for record in frame.to_dict(orient="records"):
        row = {}
        for key, value in record.items():
            value = _plain(value)
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            row[str(key)] = _parsed(value)
        rows.append(row)
    return rows


def _parsed(value: Any) -> Any:
    """JSON text in a cell (``["build", "lease"]``, ``{"usd_per_kw_month": 150}``) as the
    value it spells; anything else unchanged (validation then names the cell)."""
    if isinstance(value, str) and value.lstrip()[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _plain(value: Any) -> Any:
    if hasattr(value, "item") and not isinstance(value, list | tuple | dict):
        value = value.item()  # numpy scalar → Python
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _row_errors(exc: ValidationError, data: dict[str, Any], sources: dict[str, str]) -> str:
    problems = []
    for err in exc.errors():
        loc = err.get("loc", ())
        if len(loc) >= 2 and loc[0] in LISTS and isinstance(loc[1], int):
            table = sources.get(str(loc[0]), str(loc[0]))
            record = data[loc[0]][loc[1]]
            ident = f" (id {record['id']!r})" if isinstance(record, dict) and "id" in record else ""
            column = ".".join(str(p) for p in loc[2:])
            where = f"{table} row {loc[1] + 2}{ident}" + (f", column {column}" if column else "")
        else:
            where = ".".join(str(p) for p in loc) or "scenario"
        message = err.get("msg", "invalid").removeprefix("Value error, ")
        head, sep, rest = message.partition(": ")
        if sep and len(loc) == 2 and head.isidentifier() and "column" not in where:
            where, message = f"{where}, column {head}", rest  # a rule naming its field
        if err.get("type") == "missing":
            hint = " (or give it for every site in site_defaults)" if loc[:1] == ("sites",) else ""
            problems.append(f"{where}: required value is missing{hint}")
        elif err.get("type") == "extra_forbidden":
            problems.append(f"{where}: unknown column; remove or rename it")
        elif len(loc) > 2:
            problems.append(f"{where} = {err.get('input')!r}: {message}")
        else:
            problems.append(f"{where}: {message}")
    head = f"{len(problems)} problem(s) in the tables"
    return head + ":\n" + "\n".join(f"  - {p}" for p in problems)
