"""A placement as CSV tables, for spreadsheets: one row per site, assignment, cluster, cost.

:func:`csv_tables` builds ``sites.csv`` (every candidate), ``assignments.csv``, ``training.csv``
and ``costs.csv`` as text; the caller writes them (atomically).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from placement.model.economics import (
    cluster_needs_liquid,
    cluster_pue,
    training_cost_usd_per_year,
)
from placement.model.schema import Scenario
from placement.outputs.geojson import round_value as _round
from placement.results.result import (
    COST_COMPONENTS,
    PENALTY_COMPONENTS,
    CostBreakdown,
    PlacementResult,
)


def csv_tables(scenario: Scenario, result: PlacementResult) -> dict[str, str]:
    """``{file name: CSV text}`` for sites, assignments, training and costs."""
    return {
        "sites.csv": _csv(SITE_COLUMNS, site_rows(scenario, result)),
        "assignments.csv": _csv(ASSIGNMENT_COLUMNS, assignment_rows(scenario, result)),
        "training.csv": _csv(TRAINING_COLUMNS, training_rows(scenario, result)),
        "costs.csv": _csv(COST_COLUMNS, cost_rows(result, scenario)),
    }


SITE_COLUMNS = (
    "site",
    "name",
    "state",
    "lat",
    "lon",
    "open",
    "liquid_cooling",
    "training_clusters",
    "training_mw",
    "inference_mw",
    "inference_gpus",
    "facility_mw",
    "power_mw",
    "power_used_share",
    "racks",
    "energy_price_usd_per_mwh",
    "carbon_kg_per_mwh",
    "pue",
    "liquid_pue",
    "liquid_cooling_available",
)


def site_rows(scenario: Scenario, result: PlacementResult) -> list[dict[str, Any]]:
    """One row per candidate site (open or not)."""
    loads = {load.site: load for load in result.sites}
    rows = []
    for site in scenario.sites:
        load = loads.get(site.id)
        facility = load.facility_mw if load else 0.0
        rows.append(
            {
                "site": site.id,
                "name": site.name or site.id,
                "state": site.state or "",
                "lat": site.lat,
                "lon": site.lon,
                "open": load is not None,
                "liquid_cooling": bool(load and load.liquid_cooling),
                "training_clusters": "; ".join(load.training_clusters) if load else "",
                "training_mw": _round(load.training_mw) if load else 0.0,
                "inference_mw": _round(load.inference_mw) if load else 0.0,
                "inference_gpus": _round(load.inference_gpus, 3) if load else 0.0,
                "facility_mw": _round(facility),
                "power_mw": site.power_mw,
                "power_used_share": _round(facility / site.power_mw),
                "racks": _round(load.racks, 3) if load else 0.0,
                "energy_price_usd_per_mwh": site.energy_price_usd_per_mwh,
                "carbon_kg_per_mwh": site.carbon_kg_per_mwh,
                "pue": site.pue,
                "liquid_pue": site.effective_liquid_pue,
                "liquid_cooling_available": site.liquid_cooling_available,
            }
        )
    return rows


ASSIGNMENT_COLUMNS = (
    "region",
    "region_name",
    "site",
    "share",
    "rtt_ms",
    "mw",
    "population_served",
)


def assignment_rows(scenario: Scenario, result: PlacementResult) -> list[dict[str, Any]]:
    regions = {r.id: r for r in scenario.regions}
    rows = []
    for a in result.serving:
        region = regions.get(a.region)
        rows.append(
            {
                "region": a.region,
                "region_name": (region.name or region.id) if region else "",
                "site": a.site,
                "share": _round(a.share, 9),
                "rtt_ms": _round(a.rtt_ms),
                "mw": _round(a.mw),
                "population_served": _round(a.share * region.population) if region else 0.0,
            }
        )
    return rows


TRAINING_COLUMNS = (
    "cluster",
    "name",
    "gpus",
    "it_mw",
    "rack_density_kw",
    "site",
    "site_name",
    "needs_liquid_cooling",
    "pue",
    "facility_mw",
    "energy_price_usd_per_mwh",
    "carbon_kg_per_mwh",
    "annual_cost_usd",
)


def training_rows(scenario: Scenario, result: PlacementResult) -> list[dict[str, Any]]:
    """One row per placed training cluster, with the cost of running it where it sits."""
    sites = {s.id: s for s in scenario.sites}
    rows = []
    for cluster in scenario.training:
        sid = result.training.get(cluster.id)
        site = sites.get(sid) if sid else None
        if site is None:
            continue
        liquid = cluster_needs_liquid(cluster, site)
        pue = cluster_pue(cluster, site)
        rows.append(
            {
                "cluster": cluster.id,
                "name": cluster.name or cluster.id,
                "gpus": cluster.gpus,
                "it_mw": cluster.it_mw,
                "rack_density_kw": cluster.rack_density_kw,
                "site": site.id,
                "site_name": site.name or site.id,
                "needs_liquid_cooling": liquid,
                "pue": pue,
                "facility_mw": _round(pue * cluster.it_mw),
                "energy_price_usd_per_mwh": site.energy_price_usd_per_mwh,
                "carbon_kg_per_mwh": site.carbon_kg_per_mwh,
                "annual_cost_usd": _round(training_cost_usd_per_year(scenario, cluster, site), 2),
            }
        )
    return rows


COST_COLUMNS = ("component", "kind", "description", "usd_per_year", "share")


def cost_rows(result: PlacementResult, scenario: Scenario | None = None) -> list[dict[str, Any]]:
    """One row per component, then ``spend`` (paid) and ``total`` (the objective).

    ``kind`` says what a row is: ``spend`` (money paid), ``penalty`` (priced in the objective,
    not paid: λ · users · RTT and unserved demand), ``subtotal`` or ``objective``. A result
    without a placement (infeasible, no solution) has no costs: its amounts are left empty.
    """
    costs = result.costs
    total = costs.total
    solved = result.ok
    lam = scenario.economics.latency_penalty_usd_per_user_ms_year if scenario is not None else None

    def amount(value: float) -> float | str:
        return float(value) if solved else ""

    def share(value: float) -> float | str:
        return (_round(value / total) if total else 0.0) if solved else ""

    rows = []
    for key in COST_COMPONENTS:
        description = CostBreakdown.label(key)
        if key == "latency_penalty" and lam is not None:
            description += f" (λ = {lam:g} USD per user·ms·yr; priced, not paid)"
        elif key in PENALTY_COMPONENTS:
            description += " (priced, not paid)"
        rows.append(
            {
                "component": key,
                "kind": "penalty" if key in PENALTY_COMPONENTS else "spend",
                "description": description,
                "usd_per_year": amount(getattr(costs, key)),
                "share": share(getattr(costs, key)),
            }
        )
    rows.append(
        {
            "component": "spend",
            "kind": "subtotal",
            "description": "annual spend: every component but the penalties",
            "usd_per_year": amount(costs.spend),
            "share": share(costs.spend),
        }
    )
    rows.append(
        {
            "component": "total",
            "kind": "objective",
            "description": "objective = spend + penalties"
            if solved
            else f"no placement ({result.status.value}): nothing to cost",
            "usd_per_year": amount(total),
            "share": (1.0 if total else 0.0) if solved else "",
        }
    )
    return rows


def _csv(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
