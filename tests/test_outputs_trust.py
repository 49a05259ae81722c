"""Issue 13, outputs a planner can trust: each listed defect of the reports, tables and map."""

from __future__ import annotations

import csv
import io
import sys
import warnings

import numpy as np
import pytest

import placement as pl
from placement.outputs import maps
from placement.outputs.report import liquid_cooled_mw, summary_text
from placement.outputs.tables import csv_tables


@pytest.fixture(scope="module")
def small() -> tuple[pl.Scenario, pl.PlacementResult]:
    scn = pl.datasets.us_small()
    res = pl.solve(scn)
    pl.verify(scn, res)
    return scn, res


@pytest.fixture(scope="module")
def default() -> tuple[pl.Scenario, pl.PlacementResult]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scn = pl.datasets.us_default()
    res = pl.solve(scn)
    pl.verify(scn, res)
    return scn, res


@pytest.fixture(scope="module")
def infeasible() -> tuple[pl.Scenario, pl.PlacementResult]:
    scn = pl.datasets.us_small()
    scn = scn.model_copy(update={"network": scn.network.model_copy(update={"default_slo_ms": 3.0})})
    res = pl.solve(scn)
    pl.verify(scn, res)
    assert res.status is pl.Status.INFEASIBLE
    return scn, res


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# ---------------------------------------------------------------- liquid MW
def test_liquid_mw_counts_only_load_that_needs_liquid(small):
    # Before: every MW at a liquid site counted (246.0 training, inference too).
    # Now: training MW in a liquid technology of the catalogue; inference racks (≤ 41 kW) in air.
    scn, res = small
    liquid_tech = {t.id for t in scn.cooling_technologies if t.liquid}
    liquid_training = sum(
        c.it_mw for c in res.training_choices.values() if c.cooling in liquid_tech
    )
    assert liquid_training > 0
    assert max(h.rack_density_kw for h in scn.hardware) <= min(
        t.min_rack_density_kw for t in scn.cooling_technologies if t.liquid
    )
    assert liquid_cooled_mw(scn, res) == (pytest.approx(liquid_training), 0.0)
    text = summary_text(scn, res, verified=True)
    training_row = next(line for line in text.splitlines() if line.lstrip().startswith("training "))
    inference_row = next(
        line for line in text.splitlines() if line.lstrip().startswith("inference ")
    )
    assert f"{liquid_training:,.1f}" in training_row.split()[:6]
    assert inference_row.split()[4] == "0.0"


# ---------------------------------------------------------------- infeasible outputs
def test_an_infeasible_run_writes_no_invented_costs_or_shares(infeasible):
    # Before: costs.csv said total,objective,0.0 and served_share was 1.0.
    scn, res = infeasible
    assert res.kpis.served_share is None
    costs = _rows(csv_tables(scn, res)["costs.csv"])
    assert all(row["usd_per_year"] == "" for row in costs)
    assert "no placement" in costs[-1]["description"]


def test_the_map_of_an_infeasible_run_marks_the_culprit_regions(infeasible):
    scn, res = infeasible
    figure = maps.draw_map(scn, res)
    legend = figure.legends[0]
    assert "largest 0 MW" not in legend.get_title().get_text()
    culprits = maps.uncovered_regions(scn)
    assert culprits and "01073" in {scn.regions[j].id for j in culprits}
    marked = [c for ax in figure.axes for c in ax.collections if c.get_gid() == "uncovered-region"]
    assert sum(len(c.get_offsets()) for c in marked) == len(culprits)
    texts = " ".join(t.get_text() for t in figure.texts)
    assert "Why there is no placement" in texts and "Jefferson, Alabama" in texts


# ---------------------------------------------------------------- spend vs objective, λ
def test_reports_keep_the_latency_penalty_out_of_spend_and_state_lambda(small):
    scn, res = small
    spend = res.objective - res.costs.latency_penalty - res.costs.unserved
    assert res.costs.spend == pytest.approx(spend)
    text = summary_text(scn, res, verified=True)
    assert "λ = 0.1 USD" in text and f"spend {spend:,.0f} USD/yr" in text
    assert "spend (paid per year)" in text
    title = maps._title(scn, res)
    assert f"spend {spend / 1e9:,.3f} B" in title
    assert f"{res.objective / 1e9:,.3f}" not in title
    costs = {r["component"]: r for r in _rows(csv_tables(scn, res)["costs.csv"])}
    assert float(costs["spend"]["usd_per_year"]) == pytest.approx(spend)
    assert costs["latency_penalty"]["kind"] == "penalty"
    assert "λ = 0.1" in costs["latency_penalty"]["description"]


# ---------------------------------------------------------------- readable map
def _label_boxes(figure):
    renderer = figure.canvas.get_renderer()
    return [
        text.get_window_extent(renderer)
        for ax in figure.axes
        for text in ax.texts
        if text.get_gid() == "site-label"
    ]


@pytest.mark.parametrize("which", ["small", pytest.param("default", marks=pytest.mark.slow)])
def test_map_labels_do_not_overlap(which, request):
    scn, res = request.getfixturevalue(which)
    boxes = _label_boxes(maps.draw_map(scn, res))
    assert len(boxes) == len(res.sites)
    clashes = [(a, b) for n, a in enumerate(boxes) for b in boxes[n + 1 :] if a.overlaps(b)]
    assert clashes == []


@pytest.mark.parametrize("which", ["small", pytest.param("default", marks=pytest.mark.slow)])
def test_neighbouring_sites_get_different_colours(which, request):
    scn, res = request.getfixturevalue(which)
    colours = maps.catchment_colours(scn, res)
    graph = maps.site_neighbours(scn, res)
    assert set(colours) == set(res.open_sites)
    assert graph.number_of_edges() >= len(res.open_sites) - 1
    assert all(colours[a] != colours[b] for a, b in graph.edges)


def test_legend_explains_the_label_prefixes(small):
    scn, res = small
    figure = maps.draw_map(scn, res)
    labels = [t.get_text() for t in figure.legends[0].get_texts()]
    assert any("T training" in label and "I inference" in label for label in labels)


def test_state_outlines_need_no_optional_package(small, monkeypatch):
    # Before: without plotly-geo and pyshp the map had no state outlines.
    monkeypatch.setitem(sys.modules, "shapefile", None)
    monkeypatch.setitem(sys.modules, "_plotly_geo", None)
    scn, res = small
    figure = maps.draw_map(scn, res)
    polygons = [
        c
        for ax in figure.axes
        for c in ax.collections
        if type(c).__name__ == "PolyCollection" and len(c.get_paths()) > 40
    ]
    assert polygons, "no state outline PolyCollection on the map"
    notes = " ".join(t.get_text() for t in figure.texts)
    assert "US Census Bureau cartographic boundaries 2016 (bundled" in notes


def test_outline_file_is_small_and_covers_the_states():
    from placement.outputs.outline import state_rings

    rings = state_rings()
    assert len(rings) == 52 and {"CA", "TX", "AK", "HI", "DC", "PR"} <= set(rings)
    ring = max(rings["CO"], key=len)
    assert np.ptp(ring[:, 0]) == pytest.approx(7.0, abs=0.1)  # Colorado: 7° of longitude
