"""A placement as tables: one row per site, assignment, cluster and cost component.

The row builders here are the one definition of those tables: ``placement.outputs.tables``
writes them as CSV, and :func:`result_frames` (``PlacementResult.to_frames``) returns them as
pandas DataFrames, or GeoDataFrames (``geo=True``, needs geopandas) with site points and
region → site lines in WGS 84.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from placement.model.schema import Scenario
from placement.results.result import (
    COST_COMPONENTS,
    PENALTY_COMPONENTS,
    CostBreakdown,
    PlacementResult,
    SiteLoad,
)

if TYPE_CHECKING:
    import pandas as pd


def _round(value: float, digits: int = 6) -> float:
    return round(float(value), digits)


def listing(amounts: dict[str, float], digits: int = 3) -> str:
    """``"a 12.5; b 3"``: what a cell holds when a site carries several kinds of one thing."""
    return "; ".join(f"{k} {round(v, digits):g}" for k, v in amounts.items() if v > 1e-9)


SITE_COLUMNS = (
    "site",
    "name",
    "state",
    "lat",
    "lon",
    "open",
    "financing",
    "cooling",
    "liquid_cooling",
    "liquid_cooled_mw",
    "training_clusters",
    "training_mw",
    "inference_mw",
    "inference_units",
    "hardware_units",
    "facility_mw",
    "power_mw",
    "power_used_share",
    "racks",
    "energy_price_usd_per_mwh",
    "carbon_kg_per_mwh",
    "pue",
    "liquid_pue",
    "liquid_cooling_available",
    "spare_mw",
)
"""``cooling`` lists IT MW by technology, ``hardware_units`` units by hardware type; ``pue``,
``liquid_pue`` and ``liquid_cooling_available`` are the site's own fields (empty where a
cooling catalogue prices cooling instead); ``spare_mw`` is the IT MW installed idle for another
site's failure (rules.resilience)."""


def cooling_mw(load: SiteLoad) -> dict[str, float]:
    """IT MW by cooling technology at one site (technologies under several financings add)."""
    out: dict[str, float] = {}
    for use in load.cooling:
        mw = use.training_mw + sum(use.inference_mw.values())
        out[use.technology] = out.get(use.technology, 0.0) + mw
    return out


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
                "financing": "; ".join(load.financing) if load else "",
                "cooling": listing(cooling_mw(load)) if load else "",
                "liquid_cooling": bool(load and load.liquid_cooling),
                "liquid_cooled_mw": _round(load.liquid_mw) if load else 0.0,
                "training_clusters": "; ".join(load.training_clusters) if load else "",
                "training_mw": _round(load.training_mw) if load else 0.0,
                "inference_mw": _round(load.inference_mw) if load else 0.0,
                "inference_units": _round(load.inference_gpus, 3) if load else 0.0,
                "hardware_units": listing(load.hardware_units) if load else "",
                "facility_mw": _round(facility),
                "power_mw": site.power_mw if site.power_mw is not None else "",
                "power_used_share": _round(facility / site.power_mw) if site.power_mw else "",
                "racks": _round(load.racks, 3) if load else 0.0,
                "energy_price_usd_per_mwh": _blank(site.energy_price_usd_per_mwh),
                "carbon_kg_per_mwh": site.carbon_kg_per_mwh,
                "pue": _blank(site.pue),
                "liquid_pue": _blank(site.effective_liquid_pue),
                "liquid_cooling_available": site.liquid_cooling_available,
                "spare_mw": _round(sum(x.it_mw for x in load.spare)) if load else 0.0,
            }
        )
    return rows


def _blank(value: float | None) -> float | str:
    return "" if value is None else value


ASSIGNMENT_COLUMNS = (
    "region",
    "region_name",
    "site",
    "financing",
    "hardware",
    "share",
    "rtt_ms",
    "service_ms",
    "mw",
    "units",
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
                "financing": a.financing,
                "hardware": a.hardware,
                "share": _round(a.share, 9),
                "rtt_ms": _round(a.rtt_ms),
                "service_ms": _round(a.service_ms),
                "mw": _round(a.mw),
                "units": _round(a.units, 3),
                "population_served": _round(a.share * region.population) if region else 0.0,
            }
        )
    return rows


TRAINING_COLUMNS = (
    "cluster",
    "name",
    "option",
    "gpus",
    "it_mw",
    "rack_density_kw",
    "site",
    "site_name",
    "financing",
    "cooling",
    "needs_liquid_cooling",
    "pue",
    "facility_mw",
    "energy_price_usd_per_mwh",
    "carbon_kg_per_mwh",
    "annual_cost_usd",
    "parts",
    "interconnect_usd",
)


def training_rows(scenario: Scenario, result: PlacementResult) -> list[dict[str, Any]]:
    """One row per placed training cluster: the option chosen, where, how it is cooled and
    financed, and what the cluster itself costs per year there (site fixed costs excluded)."""
    sites = {s.id: s for s in scenario.sites}
    rows = []
    for cluster in scenario.training:
        choice = result.training_choices.get(cluster.id)
        site = sites.get(choice.site) if choice else None
        if choice is None or site is None:
            continue
        rows.append(
            {
                "cluster": cluster.id,
                "name": cluster.name or cluster.id,
                "option": choice.option,
                "gpus": choice.gpus,
                "it_mw": choice.it_mw,
                "rack_density_kw": choice.rack_density_kw,
                "site": site.id,
                "site_name": site.name or site.id,
                "financing": choice.financing,
                "cooling": choice.cooling,
                "needs_liquid_cooling": choice.liquid,
                "pue": _round(choice.facility_mw / choice.it_mw) if choice.it_mw else "",
                "facility_mw": _round(choice.facility_mw),
                "energy_price_usd_per_mwh": _blank(site.energy_price_usd_per_mwh),
                "carbon_kg_per_mwh": site.carbon_kg_per_mwh,
                "annual_cost_usd": _round(choice.annual_cost_usd, 2),
                "parts": listing({p.site: p.share for p in choice.parts}),
                "interconnect_usd": _round(choice.interconnect_usd, 2),
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
