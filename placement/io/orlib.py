"""Reading and writing problem files: OR-Library capacitated facility location.

Scenario YAML/JSON files are read by :meth:`placement.Scenario.from_file`; results are written by
:meth:`placement.PlacementResult.to_json`. This module adds the classic benchmark format.
"""

from __future__ import annotations

import os
from pathlib import Path

from placement.errors import ScenarioError
from placement.model.schema import Scenario


def read_orlib_cflp(path: str | os.PathLike[str], name: str | None = None) -> Scenario:
    """Load a Beasley OR-Library ``cap*`` instance as a Scenario.

    Format (one whitespace-separated token stream): ``m n``; then m lines ``capacity_i
    fixed_cost_i``; then for each customer j ``demand_j c_1j ... c_mj`` where c_ij is the cost of
    serving ALL of j's demand from i. Mapping: warehouse i → site ``w{i}`` with power_mw =
    capacity and fixed_cost_usd_per_year = f_i (PUE 1, no energy price); customer j → region
    ``c{j}`` with demand_mw = d_j; c_ij → ``pair_costs_usd_per_year``. No SLO, λ = 0, so the
    objective is exactly Σ f_i y_i + Σ c_ij x_ij with Σ_j d_j x_ij ≤ s_i y_i.
    """
    path = Path(path)
    try:
        tokens = path.read_text(encoding="utf-8").split()
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read OR-Library file ({exc.strerror})") from None
    try:
        numbers = [float(t) for t in tokens]
    except ValueError as exc:
        raise ScenarioError(f"{path}: OR-Library file holds a non-number ({exc})") from None
    if len(numbers) < 2:
        raise ScenarioError(f"{path}: OR-Library file is empty or truncated")
    m, n = int(numbers[0]), int(numbers[1])
    expected = 2 + 2 * m + n * (1 + m)
    if m < 1 or n < 0 or len(numbers) != expected:
        raise ScenarioError(
            f"{path}: OR-Library header says {m} warehouses × {n} customers, which needs "
            f"{expected} numbers; the file holds {len(numbers)}"
        )
    sites = [
        {
            "id": f"w{i + 1}",
            "lat": 0.0,
            "lon": 0.0,
            "power_mw": numbers[2 + 2 * i],
            "fixed_cost_usd_per_year": numbers[3 + 2 * i],
        }
        for i in range(m)
    ]
    regions, pair_costs = [], {site["id"]: {} for site in sites}
    offset = 2 + 2 * m
    for j in range(n):
        record = numbers[offset + j * (1 + m) : offset + (j + 1) * (1 + m)]
        regions.append({"id": f"c{j + 1}", "lat": 0.0, "lon": 0.0, "demand_mw": record[0]})
        for i in range(m):
            pair_costs[f"w{i + 1}"][f"c{j + 1}"] = record[1 + i]
    return Scenario.from_dict(
        {
            "name": name or path.stem,
            "description": f"OR-Library capacitated facility location instance {path.name}",
            # The classic instances have no energy, carbon, cooling or build cost: stated once.
            "site_defaults": {
                "energy_price_usd_per_mwh": 0.0,
                "carbon_kg_per_mwh": 0.0,
                "pue": 1.0,
                "build_cost_usd_per_mw_year": 0.0,
            },
            "sites": sites,
            "regions": regions,
            "pair_costs_usd_per_year": pair_costs,
        },
        source=str(path),
    )


def read_orlib_optima(path: str | os.PathLike[str]) -> dict[str, float]:
    """Beasley's ``capopt.txt``: instance name → optimal value (the 37 cap41…cap134 rows)."""
    optima: dict[str, float] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].startswith("cap") and parts[0][3:].isdigit():
            optima[parts[0]] = float(parts[1])
    return optima
