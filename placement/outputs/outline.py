"""US state outlines for the maps, from a small file shipped in the base install.

``data/us/states_outline.json`` (``{"source": ..., "states": {"CA": [[[lon, lat], ...], ...]}}``)
holds the US Census Bureau's 2016 cartographic boundary states (1:500,000), simplified; sources,
licence and method: ``data/README.md`` ("State outlines"). :func:`state_rings` reads it;
:func:`build_outline_file` is the script that made it (it needs ``pyshp`` and ``shapely``, and
the shapefile that the ``plotly-geo`` package ships; it is not run at install or map time).
"""

from __future__ import annotations

import itertools
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

OUTLINE_FILE = "us/states_outline.json"
SOURCE_NOTE = "state outlines: US Census Bureau cartographic boundaries 2016 (bundled, simplified)"
TOLERANCE_DEG = 0.02  # Douglas–Peucker tolerance, about 2 km
MIN_AREA_DEG2 = 0.0005  # islands smaller than this (≈ 5 km²) are dropped
DIGITS = 3  # ≈ 100 m
TERRITORIES_LEFT_OUT = ("AS", "GU", "MP", "VI")  # kept: the 50 states, DC and Puerto Rico


@lru_cache(maxsize=1)
def state_rings() -> dict[str, list[np.ndarray]]:
    """State code → list of rings, each an (n, 2) array of (lon, lat). Empty if unavailable."""
    from placement.datasets.us import data_dir

    path = data_dir() / OUTLINE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {
        code: [np.asarray(ring, dtype=float) for ring in rings]
        for code, rings in data.get("states", {}).items()
    }


def all_rings() -> list[np.ndarray]:
    """Every ring of every state, for drawing."""
    return [ring for rings in state_rings().values() for ring in rings]


def build_outline_file(shapefile_path: str | os.PathLike[str], out: str | os.PathLike[str]) -> Path:
    """Simplify the Census state shapefile into the shipped JSON (see the module docstring)."""
    import shapefile  # pyshp
    from shapely.geometry import Polygon

    from placement.atomic import write_text_atomic

    states: dict[str, list[list[list[float]]]] = {}
    with shapefile.Reader(str(shapefile_path)) as reader:
        names = [f[0] for f in reader.fields[1:]]
        for shape_record in reader.iterShapeRecords():
            record: dict[str, Any] = dict(zip(names, shape_record.record, strict=True))
            if record["STUSPS"] in TERRITORIES_LEFT_OUT:
                continue
            shape = shape_record.shape
            points = np.asarray(shape.points, dtype=float)
            parts = [*shape.parts, len(points)]
            rings = []
            for start, stop in itertools.pairwise(parts):
                ring = points[start:stop]
                if len(ring) < 4:
                    continue
                polygon = Polygon(ring)
                if abs(polygon.area) < MIN_AREA_DEG2:
                    continue
                simple = polygon.simplify(TOLERANCE_DEG, preserve_topology=True)
                coords = np.round(np.asarray(simple.exterior.coords), DIGITS)
                if len(coords) >= 4:
                    rings.append(coords.tolist())
            if rings:
                states[str(record["STUSPS"])] = rings
    payload = {
        "source": "US Census Bureau, cartographic boundary file cb_2016_us_state_500k "
        "(public domain), as shipped in the plotly-geo package; simplified (data/README.md)",
        "tolerance_deg": TOLERANCE_DEG,
        "states": dict(sorted(states.items())),
    }
    text = json.dumps(payload, separators=(",", ":"))
    write_text_atomic(Path(out), text + "\n")
    return Path(out)
