"""Export a placement as GeoJSON and CSV tables, for GIS tools and spreadsheets.

* :func:`to_geojson` builds one GeoJSON ``FeatureCollection`` (RFC 7946, coordinates in
  ``[lon, lat]`` order, WGS 84) with three kinds of feature, told apart by ``properties.kind``:

  - ``open_site`` (Point): an open site with its training and inference MW, liquid cooling and
    the training clusters it hosts;
  - ``candidate_site`` (Point): a candidate site left closed;
  - ``assignment`` (LineString region → site): a share of a region's inference demand, with
    ``share``, ``rtt_ms`` and ``mw``.

  The file loads in geopandas (``geopandas.read_file``) and QGIS (which splits it into a point
  and a line layer). List-valued data (the clusters at a site) is a ``"; "``-joined string so
  every property is a plain scalar.
* :func:`csv_tables` builds ``sites.csv`` (every candidate), ``assignments.csv``,
  ``training.csv`` and ``costs.csv`` as text; :func:`write_exports` writes everything atomically.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

from placement.atomic import write_text_atomic
from placement.model.schema import Scenario, Site, TrainingCluster
from placement.results.result import PlacementResult

COORD_DIGITS = 6  # ≈ 0.1 m: plenty for a site or a county centre

COST_COMPONENTS = (
    ("fixed", "fixed site cost"),
    ("liquid_cooling", "liquid cooling"),
    ("build", "build (annualised capital per MW)"),
    ("energy", "energy"),
    ("carbon", "carbon"),
    ("latency_penalty", "latency penalty"),
    ("pair_costs", "pair costs"),
    ("unserved", "unserved demand"),
)


# ====================================================================== GeoJSON
def to_geojson(scenario: Scenario, result: PlacementResult) -> dict[str, Any]:
    """The placement as a GeoJSON FeatureCollection (a plain dict, ready for ``json.dumps``)."""
    loads = {load.site: load for load in result.sites}
    features: list[dict[str, Any]] = []
    for site in scenario.sites:
        load = loads.get(site.id)
        properties: dict[str, Any] = {
            "kind": "open_site" if load is not None else "candidate_site",
            "site": site.id,
            "name": site.name or site.id,
            "state": site.state,
            "power_mw": site.power_mw,
            "liquid_cooling_available": site.liquid_cooling_available,
        }
        if load is not None:
            properties |= {
                "training_mw": _round(load.training_mw),
                "inference_mw": _round(load.inference_mw),
                "total_it_mw": _round(load.training_mw + load.inference_mw),
                "facility_mw": _round(load.facility_mw),
                "inference_gpus": _round(load.inference_gpus),
                "liquid_cooling": load.liquid_cooling,
                "training_clusters": "; ".join(load.training_clusters),
                "n_training_clusters": len(load.training_clusters),
            }
        features.append(_point(site.lon, site.lat, properties))
    sites = {s.id: s for s in scenario.sites}
    regions = {r.id: r for r in scenario.regions}
    for a in result.serving:
        site, region = sites.get(a.site), regions.get(a.region)
        if site is None or region is None:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "LineString",
                    "coordinates": [_lonlat(region.lon, region.lat), _lonlat(site.lon, site.lat)],
                },
                "properties": {
                    "kind": "assignment",
                    "region": a.region,
                    "region_name": region.name or region.id,
                    "site": a.site,
                    "name": f"{region.name or region.id} → {site.name or site.id}",
                    "share": _round(a.share, 9),
                    "rtt_ms": _round(a.rtt_ms),
                    "mw": _round(a.mw),
                    "population_served": _round(a.share * region.population),
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "name": result.scenario or scenario.name,
        "features": features,
    }


def geojson_text(scenario: Scenario, result: PlacementResult) -> str:
    return json.dumps(to_geojson(scenario, result), ensure_ascii=False, allow_nan=False) + "\n"


def _point(lon: float, lat: float, properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": _lonlat(lon, lat)},
        "properties": properties,
    }


def _lonlat(lon: float, lat: float) -> list[float]:
    return [round(float(lon), COORD_DIGITS), round(float(lat), COORD_DIGITS)]


def _round(value: float, digits: int = 6) -> float:
    return round(float(value), digits)


# ====================================================================== CSV tables
def csv_tables(scenario: Scenario, result: PlacementResult) -> dict[str, str]:
    """``{file name: CSV text}`` for sites, assignments, training and costs."""
    return {
        "sites.csv": _csv(SITE_COLUMNS, site_rows(scenario, result)),
        "assignments.csv": _csv(ASSIGNMENT_COLUMNS, assignment_rows(scenario, result)),
        "training.csv": _csv(TRAINING_COLUMNS, training_rows(scenario, result)),
        "costs.csv": _csv(COST_COLUMNS, cost_rows(result)),
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
        liquid = needs_liquid(cluster, site)
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


COST_COLUMNS = ("component", "description", "usd_per_year", "share")


def cost_rows(result: PlacementResult) -> list[dict[str, Any]]:
    costs = result.costs
    total = costs.total
    rows = [
        {
            "component": key,
            "description": label,
            "usd_per_year": float(getattr(costs, key)),
            "share": _round(getattr(costs, key) / total) if total else 0.0,
        }
        for key, label in COST_COMPONENTS
    ]
    rows.append(
        {
            "component": "total",
            "description": "objective",
            "usd_per_year": float(total),
            "share": 1.0 if total else 0.0,
        }
    )
    return rows


def _csv(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


# ====================================================================== per-cluster economics
def needs_liquid(cluster: TrainingCluster, site: Site) -> bool:
    """A cluster needs liquid cooling at a site when its density exceeds the air limit."""
    return cluster.rack_density_kw > site.air_cooling_limit_kw


def cluster_pue(cluster: TrainingCluster, site: Site) -> float:
    return site.effective_liquid_pue if needs_liquid(cluster, site) else site.pue


def cluster_fits(cluster: TrainingCluster, site: Site, scenario: Scenario) -> bool:
    """Whether the cluster could sit at the site alone (density, cooling, power, space, rules)."""
    if site.id in scenario.rules.forbidden:
        return False
    if cluster.rack_density_kw > site.max_rack_density_kw:
        return False
    if needs_liquid(cluster, site) and not site.liquid_cooling_available:
        return False
    if cluster_pue(cluster, site) * cluster.it_mw > site.power_mw * (1 + 1e-12):
        return False
    return site.racks_available is None or cluster.racks <= site.racks_available


def training_cost_usd_per_year(scenario: Scenario, cluster: TrainingCluster, site: Site) -> float:
    """Build + energy + carbon of running the cluster at the site (no fixed or liquid cost)."""
    econ = scenario.economics
    utilisation = cluster.utilisation or econ.utilisation
    energy_rate = econ.hours_per_year * (
        site.energy_price_usd_per_mwh
        + econ.carbon_price_usd_per_tonne * site.carbon_kg_per_mwh / 1000.0
    )
    facility = cluster_pue(cluster, site) * cluster.it_mw
    return cluster.it_mw * site.build_cost_usd_per_mw_year + facility * utilisation * energy_rate


# ====================================================================== files
def write_exports(
    out_dir: str | os.PathLike[str], scenario: Scenario, result: PlacementResult
) -> list[Path]:
    """Write result.geojson and the CSV tables into ``out_dir`` atomically; return the paths."""
    out = Path(out_dir)
    texts = {"result.geojson": geojson_text(scenario, result), **csv_tables(scenario, result)}
    paths = []
    for name, text in texts.items():
        write_text_atomic(out / name, text)
        paths.append(out / name)
    return paths
