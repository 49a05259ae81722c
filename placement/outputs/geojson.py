"""Export a placement as GeoJSON, for GIS tools (geopandas, QGIS).

:func:`to_geojson` builds one GeoJSON ``FeatureCollection`` (RFC 7946, coordinates in
``[lon, lat]`` order, WGS 84) with three kinds of feature, told apart by ``properties.kind``:

- ``open_site`` (Point): an open site with its financing, training and inference MW,
  hardware units and IT MW by cooling technology (``"direct_to_chip 902.5; air 10"``), liquid
  cooling, the training clusters it hosts and its annual spend;
- ``candidate_site`` (Point): a candidate site left closed;
- ``assignment`` (LineString region → site): a share of a region's inference demand, with
  ``share``, ``rtt_ms``, the hardware it runs on with its ``service_ms``, the financing and
  ``mw``.

The file loads in geopandas (``geopandas.read_file``) and QGIS (which splits it into a point
and a line layer). List-valued data (the clusters at a site) is a ``"; "``-joined string so
every property is a plain scalar.
"""

from __future__ import annotations

import json
from typing import Any

from placement.model.schema import Scenario
from placement.results.frames import cooling_mw, listing
from placement.results.result import PlacementResult

COORD_DIGITS = 6  # ≈ 0.1 m: plenty for a site or a county centre


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
            "financing_offered": "; ".join(site.financing),
            "liquid_cooling_available": site.liquid_cooling_available,
        }
        if load is not None:
            properties |= {
                "financing": "; ".join(load.financing),
                "training_mw": round_value(load.training_mw),
                "inference_mw": round_value(load.inference_mw),
                "total_it_mw": round_value(load.training_mw + load.inference_mw),
                "facility_mw": round_value(load.facility_mw),
                "inference_units": round_value(load.inference_gpus),
                "hardware_units": listing(load.hardware_units),
                "cooling": listing(cooling_mw(load)),
                "liquid_cooling": load.liquid_cooling,
                "liquid_cooled_mw": round_value(load.liquid_mw),
                "training_clusters": "; ".join(load.training_clusters),
                "n_training_clusters": len(load.training_clusters),
                "annual_cost_usd": round_value(load.annual_cost_usd, 2),
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
                    "financing": a.financing,
                    "hardware": a.hardware,
                    "name": f"{region.name or region.id} → {site.name or site.id}",
                    "share": round_value(a.share, 9),
                    "rtt_ms": round_value(a.rtt_ms),
                    "service_ms": round_value(a.service_ms),
                    "mw": round_value(a.mw),
                    "population_served": round_value(a.share * region.population),
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


def round_value(value: float, digits: int = 6) -> float:
    return round(float(value), digits)
