"""The text summary, the GeoJSON/CSV exports and the map, on small seeded solves."""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pytest
from conftest import region, scenario, site, solve_verified

import placement as pl
from placement.datasets.synthetic import random_ai_scenario
from placement.outputs.geojson import geojson_text, to_geojson
from placement.outputs.maps import map_png
from placement.outputs.report import scenario_summary_text, summary_text, training_why
from placement.outputs.tables import csv_tables

NYC = (40.71, -74.01)
LA = (34.05, -118.24)
QUINCY = (47.23, -119.85)
MEMPHIS = (35.15, -90.05)


@pytest.fixture(scope="module")
def solved() -> tuple[pl.Scenario, pl.PlacementResult]:
    scn = random_ai_scenario(8, 60, 3, seed=5)
    return scn, solve_verified(scn)


@pytest.fixture(scope="module")
def contrast() -> tuple[pl.Scenario, pl.PlacementResult]:
    """Two metros near users (dear power, air only) and one cheap liquid campus far away."""
    metro = {
        "pue": 1.35,
        "max_rack_density_kw": 45.0,
        "air_cooling_limit_kw": 45.0,
        "fixed_cost_usd_per_year": 2e6,
    }
    scn = scenario(
        name="contrast",
        sites=[
            site("nyc", *NYC, name="New York", energy_price_usd_per_mwh=140.0, **metro),
            site("la", *LA, name="Los Angeles", energy_price_usd_per_mwh=180.0, **metro),
            site(
                "quincy",
                *QUINCY,
                name="Quincy",
                energy_price_usd_per_mwh=45.0,
                carbon_kg_per_mwh=100.0,
                pue=1.2,
                liquid_pue=1.08,
                max_rack_density_kw=150.0,
                liquid_cooling_available=True,
                liquid_cooling_cost_usd_per_year=3e6,
                fixed_cost_usd_per_year=2e6,
            ),
            site(
                "memphis",
                *MEMPHIS,
                name="Memphis",
                energy_price_usd_per_mwh=75.0,
                carbon_kg_per_mwh=400.0,
                pue=1.4,
                liquid_pue=1.15,
                max_rack_density_kw=150.0,
                liquid_cooling_available=True,
                liquid_cooling_cost_usd_per_year=3e6,
                fixed_cost_usd_per_year=2e6,
            ),
        ],
        regions=[
            region("new_york", *NYC, name="New York", population=8e6, demand_mw=20.0),
            region("los_angeles", *LA, name="Los Angeles", population=4e6, demand_mw=10.0),
        ],
        training=[
            {"id": "gb200", "it_mw": 120.0, "rack_density_kw": 130.0, "gpus": 100_000},
            {"id": "h100", "it_mw": 30.0, "rack_density_kw": 41.0, "gpus": 24_000},
        ],
        economics={"latency_penalty_usd_per_user_ms_year": 2.0},
        network={"default_slo_ms": 30.0},
    )
    return scn, solve_verified(scn)


# ====================================================================== summary text
def test_summary_shows_status_contrast_and_costs(contrast):
    scn, res = contrast
    assert res.training == {"gb200": "quincy", "h100": "quincy"}
    assert {a.site for a in res.serving} == {"nyc", "la"}
    text = summary_text(scn, res, verified=True, width=200)  # wide: no phrase is wrapped
    assert "OPTIMAL" in text
    assert f"{res.objective:,.0f}" in text
    assert "verified" in text and "placement.verify" in text
    assert "Training vs inference" in text
    assert "liquid-cooled campus" in text
    assert "spread near users" in text
    for label in ("fixed site cost", "liquid cooling", "build", "energy", "carbon"):
        assert label in text
    for label in (
        "latency penalty",
        "pair costs",
        "unserved demand",
        "objective = spend + penalties",
    ):
        assert label in text
    assert "p95" in text and "SLO 30 ms" in text
    assert "Why training sits at Quincy (quincy)" in text
    assert "\x1b[" not in text  # plain text: no control codes


def test_why_compares_with_the_candidates(contrast):
    scn, res = contrast
    (why,) = training_why(scn, res)
    assert why.site == "quincy"
    assert set(why.clusters) == {"gb200", "h100"}
    # gb200 needs liquid cooling, so only the two liquid campuses are candidates for both
    assert why.candidates == 2
    assert why.price == 45.0
    assert why.price_avg == pytest.approx((45.0 + 75.0) / 2)
    assert why.carbon_avg == pytest.approx((100.0 + 400.0) / 2)
    mix_pue = (1.08 * 120.0 + 1.2 * 30.0) / 150.0
    assert why.pue == pytest.approx(mix_pue)
    assert why.rank == 1
    assert why.liquid_built
    assert why.cost_per_mw < why.cost_per_mw_avg


def test_summary_of_a_random_scenario_names_everything(solved):
    scn, res = solved
    text = summary_text(scn, res, verified=True)
    for cluster in scn.training:
        assert cluster.id in text
    for sid in res.open_sites:
        assert sid in text
    assert f"{len(res.open_sites)} of {len(scn.sites)} candidates" in text


def test_summary_of_an_infeasible_result_gives_the_diagnosis():
    scn = scenario(
        sites=[site("a", *NYC, max_rack_density_kw=40.0, air_cooling_limit_kw=40.0)],
        training=[{"id": "dense", "it_mw": 10.0, "rack_density_kw": 120.0}],
    )
    res = solve_verified(scn)
    assert res.status is pl.Status.INFEASIBLE
    text = summary_text(scn, res)
    assert "INFEASIBLE" in text
    assert "'dense'" in text and "rack density" in text
    assert "not verified" in text


def test_failed_verification_is_shown(contrast):
    scn, res = contrast
    text = summary_text(scn, res, verified=False, verify_message="site 'x' over capacity")
    assert "VERIFICATION FAILED" in text and "over capacity" in text


def test_scenario_summary_counts(contrast):
    scn, _ = contrast
    text = scenario_summary_text(scn)
    assert "4 candidates (2 can build liquid cooling)" in text
    assert "2 demand regions" in text and "12,000,000 people" in text
    assert "2 clusters, 150.0 MW IT" in text
    assert "λ = 2 USD/user·ms·yr" in text


# ====================================================================== GeoJSON and CSV
def test_geojson_is_valid_and_lon_lat_ordered(contrast):
    scn, res = contrast
    collection = json.loads(geojson_text(scn, res))
    assert collection == to_geojson(scn, res)
    assert collection["type"] == "FeatureCollection"
    by_kind: dict[str, list] = {}
    for feature in collection["features"]:
        assert feature["type"] == "Feature"
        by_kind.setdefault(feature["properties"]["kind"], []).append(feature)
        for value in feature["properties"].values():
            assert value is None or isinstance(value, str | int | float | bool)
    assert len(by_kind["open_site"]) == len(res.open_sites)
    assert len(by_kind.get("candidate_site", [])) == len(scn.sites) - len(res.open_sites)
    assert len(by_kind["assignment"]) == len(res.serving)
    quincy = next(f for f in by_kind["open_site"] if f["properties"]["site"] == "quincy")
    assert quincy["geometry"]["coordinates"] == [QUINCY[1], QUINCY[0]]  # [lon, lat]
    assert quincy["properties"]["liquid_cooling"] is True
    assert quincy["properties"]["training_mw"] == pytest.approx(150.0)
    assert quincy["properties"]["training_clusters"] == "gb200; h100"
    line = by_kind["assignment"][0]
    assert line["geometry"]["type"] == "LineString"
    start, end = line["geometry"]["coordinates"]
    for lon, lat in (start, end):
        assert -180 <= lon <= 180 and -90 <= lat <= 90
    assert math.isclose(sum(f["properties"]["mw"] for f in by_kind["assignment"]), 30.0)


def test_csv_tables(contrast):
    scn, res = contrast
    tables = csv_tables(scn, res)
    assert set(tables) == {"sites.csv", "assignments.csv", "training.csv", "costs.csv"}

    def rows(name: str) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(tables[name])))

    sites = {r["site"]: r for r in rows("sites.csv")}
    assert set(sites) == {s.id for s in scn.sites}
    assert sites["quincy"]["open"] == "True" and sites["memphis"]["open"] == "False"
    assert float(sites["quincy"]["training_mw"]) == pytest.approx(150.0)
    training = {r["cluster"]: r for r in rows("training.csv")}
    assert training["gb200"]["needs_liquid_cooling"] == "True"
    assert float(training["gb200"]["pue"]) == pytest.approx(1.08)
    costs = {r["component"]: float(r["usd_per_year"]) for r in rows("costs.csv")}
    assert costs["total"] == pytest.approx(res.objective, rel=1e-12)
    parts = sum(v for k, v in costs.items() if k not in ("total", "spend"))
    assert parts == pytest.approx(res.objective, rel=1e-9)
    assert costs["spend"] == pytest.approx(res.objective - res.costs.latency_penalty, rel=1e-9)
    assignments = rows("assignments.csv")
    assert len(assignments) == len(res.serving)
    assert sum(float(r["population_served"]) for r in assignments) == pytest.approx(12e6)


# ====================================================================== the map
def _png_pixels(data: bytes) -> np.ndarray:
    from matplotlib.image import imread

    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return imread(io.BytesIO(data), format="png")


@pytest.mark.parametrize("fixture", ["contrast", "solved"])
def test_map_png_is_a_real_picture(request, fixture):
    scn, res = request.getfixturevalue(fixture)
    data = map_png(scn, res)
    assert len(data) > 20_000
    pixels = _png_pixels(data)
    assert float(np.var(pixels[..., :3])) > 1e-3
    # the training colour (orange) and the inference colour (blue) are both on the picture
    rgb = (pixels[..., :3] * 255).astype(int)
    orange = (np.abs(rgb - [0xE6, 0x55, 0x0D]).sum(axis=2) < 30).sum()
    blue = (np.abs(rgb - [0x31, 0x82, 0xBD]).sum(axis=2) < 30).sum()
    assert orange > 100 and blue > 100


def test_map_without_basemap_packages_uses_the_county_cloud(contrast, monkeypatch):
    import placement.outputs.maps as plot

    monkeypatch.setattr(plot, "state_outlines", lambda: None)
    scn, res = contrast
    assert len(map_png(scn, res)) > 20_000


def test_map_outside_the_us_and_without_geography(orlib_optima):
    from conftest import ORLIB

    europe = scenario(
        sites=[site("paris", 48.86, 2.35), site("berlin", 52.52, 13.40)],
        regions=[region("madrid", 40.42, -3.70, demand_mw=5.0, population=3e6)],
    )
    res = solve_verified(europe)
    assert len(map_png(europe, res)) > 20_000

    path = ORLIB / "cap41.txt"
    if not path.exists():
        pytest.skip("OR-Library data not bundled")
    cflp = pl.io.read_orlib_cflp(path)
    res = solve_verified(cflp)
    assert len(map_png(cflp, res)) > 20_000
