"""A placement as tables: one row per site, assignment, cluster and cost component.

The row builders here are the one definition of those tables: ``placement.outputs.tables``
writes them as CSV, and :func:`result_frames` (``PlacementResult.to_frames``) returns them as
pandas DataFrames, or GeoDataFrames (``geo=True``, needs geopandas) with site points and
region → site lines in WGS 84.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from placement.model.economics import (
    cluster_needs_liquid,
    cluster_pue,
    needs_liquid,
    training_cost_usd_per_year,
)
from placement.model.schema import Scenario
from placement.results.result import (
    COST_COMPONENTS,
    PENALTY_COMPONENTS,
    CostBreakdown,
    PlacementResult,
)

if TYPE_CHECKING:
    import pandas as pd


def _round(value: float, digits: int = 6) -> float:
    return round(float(value), digits)


SITE_COLUMNS = (
    "site",
    "name",
    "state",
    "lat",
    "lon",
    "open",
    "liquid_cooling",
    "liquid_cooled_mw",
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
                "liquid_cooled_mw": _round(_liquid_mw(scenario, result, site)) if load else 0.0,
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


def _liquid_mw(scenario: Scenario, result: PlacementResult, site: Any) -> float:
    """IT MW at the site whose rack density needs liquid cooling there."""
    load = result.site_load(site.id)
    if load is None:
        return 0.0
    clusters = {c.id: c for c in scenario.training}
    mw = sum(
        clusters[c].it_mw
        for c in load.training_clusters
        if c in clusters and cluster_needs_liquid(clusters[c], site)
    )
    if needs_liquid(scenario.inference.rack_density_kw, site.air_cooling_limit_kw):
        mw += load.inference_mw
    return float(mw)


FRAME_NAMES = ("sites", "assignments", "training", "costs")


def result_frames(
    result: PlacementResult, scenario: Scenario | None = None, *, geo: bool = False
) -> dict[str, pd.DataFrame]:
    """``{"sites", "assignments", "training", "costs"}`` as DataFrames.

    With the scenario, the same columns as the CSV files (every candidate site, names,
    coordinates, prices); without it, what the result alone holds (open sites, ids, MW).
    ``geo=True`` returns GeoDataFrames for sites (points) and assignments (lines), EPSG:4326;
    it needs the scenario and geopandas.
    """
    import pandas as pd

    if scenario is None:
        if geo:
            raise ValueError("to_frames(geo=True) needs the scenario (for coordinates)")
        frames = {
            "sites": pd.DataFrame([load.model_dump() for load in result.sites]),
            "assignments": pd.DataFrame([a.model_dump() for a in result.serving]),
            "training": pd.DataFrame(
                [{"cluster": c, "site": s} for c, s in result.training.items()],
                columns=["cluster", "site"],
            ),
            "costs": pd.DataFrame(cost_rows(result), columns=list(COST_COLUMNS)),
        }
    else:
        frames = {
            "sites": pd.DataFrame(site_rows(scenario, result), columns=list(SITE_COLUMNS)),
            "assignments": pd.DataFrame(
                assignment_rows(scenario, result), columns=list(ASSIGNMENT_COLUMNS)
            ),
            "training": pd.DataFrame(
                training_rows(scenario, result), columns=list(TRAINING_COLUMNS)
            ),
            "costs": pd.DataFrame(cost_rows(result, scenario), columns=list(COST_COLUMNS)),
        }
    costs = frames["costs"]
    costs["usd_per_year"] = pd.to_numeric(costs["usd_per_year"], errors="coerce")
    costs["share"] = pd.to_numeric(costs["share"], errors="coerce")
    if geo:
        frames.update(_geo(frames, scenario))
    return frames


def _geo(frames: dict[str, pd.DataFrame], scenario: Scenario) -> dict[str, Any]:
    try:
        import geopandas as gpd
        from shapely.geometry import LineString
    except ImportError:
        raise ImportError(
            "to_frames(geo=True) needs geopandas: pip install geopandas (or placement[geo])"
        ) from None
    sites = frames["sites"]
    out = {
        "sites": gpd.GeoDataFrame(
            sites, geometry=gpd.points_from_xy(sites["lon"], sites["lat"]), crs="EPSG:4326"
        )
    }
    where = {s.id: (s.lon, s.lat) for s in scenario.sites}
    where_r = {r.id: (r.lon, r.lat) for r in scenario.regions}
    links = frames["assignments"]
    lines = [
        LineString([where_r[r], where[s]])
        for r, s in zip(links["region"], links["site"], strict=True)
    ]
    out["assignments"] = gpd.GeoDataFrame(links, geometry=lines, crs="EPSG:4326")
    return out
