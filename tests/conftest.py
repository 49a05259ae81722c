"""Shared helpers: small scenarios written out by hand, and a solve-then-verify wrapper."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import placement as pl

ROOT = Path(__file__).resolve().parents[1]
ORLIB = ROOT / "data" / "orlib"


# Hand-made sites state every cost field (nothing costs a silent 0); tests override them.
SITE_COSTS: dict[str, Any] = {
    "energy_price_usd_per_mwh": 0.0,
    "carbon_kg_per_mwh": 0.0,
    "pue": 1.0,
    "fixed_cost_usd_per_year": 0.0,
    "build_cost_usd_per_mw_year": 0.0,
}


def site(sid: str, lat: float, lon: float, **fields: Any) -> dict[str, Any]:
    extra = (
        {"liquid_cooling_cost_usd_per_year": 0.0} if fields.get("liquid_cooling_available") else {}
    )
    return {"id": sid, "lat": lat, "lon": lon, "power_mw": 1000.0, **SITE_COSTS, **extra, **fields}


def region(rid: str, lat: float, lon: float, **fields: Any) -> dict[str, Any]:
    return {"id": rid, "lat": lat, "lon": lon, **fields}


def scenario(**fields: Any) -> pl.Scenario:
    return pl.Scenario.from_dict({"name": "hand", **fields})


def solve_verified(scn: pl.Scenario, **options: Any) -> pl.PlacementResult:
    """Solve and verify independently; every test solve goes through here."""
    result = pl.solve(scn, **options)
    pl.verify(scn, result)
    return result


@pytest.fixture(scope="session")
def orlib_optima() -> dict[str, float]:
    return pl.io.read_orlib_optima(ORLIB / "capopt.txt")
