"""Issue 13: pandas and networkx in and out, the offline interactive map, batch figures, CLI."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest
import yaml
from conftest import solve_verified

import placement as pl
from placement.cli import main
from placement.outputs.interactive import build_figure, map_html


@pytest.fixture(scope="module")
def small() -> tuple[pl.Scenario, pl.PlacementResult]:
    scn = pl.datasets.us_small()
    return scn, solve_verified(scn)


# ---------------------------------------------------------------- pandas
def test_result_frames_match_the_csv_tables(small):
    scn, res = small
    frames = res.to_frames(scn)
    assert set(frames) == {"sites", "assignments", "training", "costs"}
    assert len(frames["sites"]) == len(scn.sites) and len(frames["assignments"]) == len(res.serving)
    costs = frames["costs"].set_index("component")["usd_per_year"]
    assert costs["total"] == pytest.approx(res.objective)
    assert costs["spend"] == pytest.approx(res.costs.spend)
    sites = frames["sites"].set_index("site")
    liquid = sum(c.it_mw for c in res.training_choices.values() if c.liquid)
    assert liquid > 0 and sites["liquid_cooled_mw"].sum() == pytest.approx(liquid)
    training = frames["training"].set_index("cluster")
    for cid, choice in res.training_choices.items():
        assert training.loc[cid, "option"] == choice.option
        assert training.loc[cid, "cooling"] == choice.cooling
    bare = res.to_frames()
    assert len(bare["sites"]) == len(res.open_sites)


def test_geodataframes_when_geopandas_is_installed(small):
    gpd = pytest.importorskip("geopandas")
    scn, res = small
    frames = res.to_frames(scn, geo=True)
    assert isinstance(frames["sites"], gpd.GeoDataFrame) and frames["sites"].crs.to_epsg() == 4326
    assert frames["assignments"].geometry.iloc[0].geom_type == "LineString"


def test_scenario_frames_round_trip_and_edit_with_pandas(small):
    scn, _ = small
    frames = scn.to_frames()
    again = pl.Scenario.from_frames(**frames, base=scn)
    assert again == scn
    sites = frames["sites"].copy()
    sites.loc[sites["state"] == "TX", "energy_price_usd_per_mwh"] *= 1.3
    dearer = pl.Scenario.from_frames(sites, frames["regions"], frames["training"], base=scn)
    priced = [s for s in scn.sites if s.state == "TX" and s.energy_price_usd_per_mwh]
    texas = [s for s in dearer.sites if s.state == "TX" and s.energy_price_usd_per_mwh]
    assert texas and all(
        s.energy_price_usd_per_mwh == pytest.approx(1.3 * o.energy_price_usd_per_mwh)
        for s, o in zip(texas, priced, strict=True)
    )


def test_from_frames_names_table_row_id_and_column(small):
    scn, _ = small
    frames = scn.to_frames()
    sites = frames["sites"].copy()
    sites.loc[2, "energy_price_usd_per_mwh"] = math.nan  # an empty spreadsheet cell
    sites.loc[4, "power_mw"] = -5.0
    with pytest.raises(pl.ScenarioError) as err:
        pl.Scenario.from_frames(sites, frames["regions"], frames["training"], base=scn)
    message = str(err.value)
    assert f"sites row 4 (id {scn.sites[2].id!r}), column energy_price_usd_per_mwh" in message
    assert f"sites row 6 (id {scn.sites[4].id!r}), column power_mw = -5.0" in message


def test_placement_import_turns_csv_tables_into_a_scenario(small, tmp_path, capsys):
    scn, _ = small
    frames = scn.to_frames()
    frames["sites"].to_csv(tmp_path / "sites.csv", index=False)
    frames["regions"].to_csv(tmp_path / "regions.csv", index=False)
    out = tmp_path / "imported.yaml"
    code = main(
        ["import", str(tmp_path / "sites.csv"), str(tmp_path / "regions.csv"),
         "--base", "us_small", "--write", str(out)]
    )  # fmt: skip
    assert code == 0
    assert pl.Scenario.from_file(out) == scn  # FIPS ids keep their leading zeros
    bad = frames["sites"].copy()
    bad["pue"] = bad["pue"].astype(object)
    bad.loc[0, "pue"] = "cool"
    bad.to_csv(tmp_path / "bad.csv", index=False)
    code = main(["import", str(tmp_path / "bad.csv"), "--base", "us_small"])
    assert code == 2
    assert "bad.csv row 2 (id 'abilene_tx'), column pue = 'cool'" in capsys.readouterr().err


# ---------------------------------------------------------------- networkx
def test_graph_round_trip_with_rtt_and_km_on_edges(small):
    scn, _ = small
    graph = scn.to_graph()
    site = graph.nodes["site:quincy_wa"]
    assert site["kind"] == "site" and site["power_mw"] == 1000.0
    assert "direct_to_chip" in site["cooling"]
    region = graph.nodes["region:17031"]  # Cook County, IL
    assert region["population"] > 5e6
    edge = graph.edges["site:chicago_il", "region:17031"]
    assert 0 <= edge["km"] < 50 and edge["rtt_ms"] == pytest.approx(
        scn.network.base_rtt_ms + 2 * scn.network.route_factor * edge["km"] / 204, rel=1e-6
    )
    assert all(d["rtt_ms"] <= 50.0 for _, _, d in graph.edges(data=True))
    assert pl.Scenario.from_graph(graph) == scn


def test_solve_accepts_a_planners_own_graph():
    graph = nx.Graph(name="inventory", economics={"latency_penalty_usd_per_user_ms_year": 0.1})
    costs = {"carbon_kg_per_mwh": 300.0, "fixed_cost_usd_per_year": 1e6, "pue": 1.2}
    graph.add_node(
        "dc-a",
        kind="site",
        lat=41.9,
        lon=-87.6,
        power_mw=50.0,
        energy_price_usd_per_mwh=80.0,
        build_cost_usd_per_mw_year=1e6,
        **costs,
    )
    graph.add_node(
        "dc-b",
        kind="site",
        lat=32.8,
        lon=-96.8,
        power_mw=50.0,
        energy_price_usd_per_mwh=60.0,
        build_cost_usd_per_mw_year=1e6,
        **costs,
    )
    graph.add_node("chi", kind="region", lat=41.88, lon=-87.63, population=2e6, demand_mw=5.0)
    graph.add_node("dal", kind="region", lat=32.78, lon=-96.8, population=1e6, demand_mw=3.0)
    graph.add_node("router-1", kind="backbone")  # inventory extras are ignored
    res = pl.solve(graph)
    pl.verify(graph, res)
    assert res.ok and set(res.open_sites) <= {"dc-a", "dc-b"}
    bad = graph.copy()
    del bad.nodes["dc-b"]["energy_price_usd_per_mwh"]
    with pytest.raises(pl.ScenarioError, match=r"energy_price_usd_per_mwh: required .*'dc-b'"):
        pl.solve(bad)


# ---------------------------------------------------------------- the interactive map
def test_map_html_is_self_contained_with_the_layers(small):
    scn, res = small
    page = map_html(scn, res)
    assert not re.findall(r"<script[^>]+src=", page), "no external script"
    assert "<link" not in page
    names = {trace.name for trace in build_figure(scn, res).data}
    for layer in ("state outlines", "assignments (region → site)", "unopened candidates",
                  "training sites (size = IT MW)", "inference sites (size = IT MW)"):  # fmt: skip
        assert layer in names
    assert any(n.startswith("SLO problems") for n in names)
    assert "annual spend here" in page and "direct_to_chip 219.6 MW" in page


def test_map_html_marks_slo_problems_of_an_infeasible_run(small):
    scn, _ = small
    scn = scn.model_copy(update={"network": scn.network.model_copy(update={"default_slo_ms": 3.0})})
    res = solve_verified(scn)
    trace = next(t for t in build_figure(scn, res).data if t.name.startswith("SLO problems"))
    assert len(trace.x) > 50


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.slow  # a real browser: ~6 s; CI runs the slow cases (.ci/run installs chromium)
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run does)")
def test_map_html_loads_offline_in_headless_chromium(small, tmp_path):
    from PIL import Image

    scn, res = small
    page = tmp_path / "map.html"
    page.write_text(map_html(scn, res), encoding="utf-8")
    shot = tmp_path / "shot.png"
    run = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
         "--proxy-server=http://127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
         "--enable-logging=stderr", "--v=0", "--window-size=1400,900",
         "--virtual-time-budget=10000", f"--screenshot={shot}", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    console = [line for line in run.stderr.splitlines() if "CONSOLE" in line]
    assert console == [], console
    assert "net::ERR" not in run.stderr
    image = Image.open(shot).convert("RGB")
    pixels = list(
        image.get_flattened_data() if hasattr(image, "get_flattened_data") else image.getdata()
    )
    assert len(set(pixels)) > 200, "screenshot is blank"

    # Sites: the training marker is orange (red high, blue low), inference markers blue.
    orange = sum(r > 170 and 70 < g < 160 and b < 110 for r, g, b in pixels)
    blue = sum(b > 150 and r < 130 and 100 < g < 200 for r, g, b in pixels)
    assert orange > 100, "no training site drawn"
    assert blue > 100, "no inference site drawn"


# ---------------------------------------------------------------- batch figures and CLI
def test_batch_chart_labels_cases_and_fronts_each_demand_level(tmp_path):
    import matplotlib.figure

    from placement.batch import plots

    table = pd.DataFrame(
        {
            "id": ["g=1,x=a", "g=1,x=b", "g=1.5,x=a", "g=1.5,x=b"],
            "demand_mw": [100.0, 100.0, 150.0, 150.0],
            "cost_excl_latency": [10e6, 12e6, 15e6, 16e6],
            "weighted_rtt_ms": [20.0, 10.0, 19.0, 11.0],
        }
    )
    captured = {}
    original = plots._save

    def keep(figure: matplotlib.figure.Figure, path):
        captured["figure"] = figure
        return original(figure, path)

    plots._save = keep
    try:
        plots.plot_cost_vs_rtt(table, tmp_path / "c.png")
    finally:
        plots._save = original
    ax = captured["figure"].axes[0]
    labels = {t.get_text() for t in ax.texts if t.get_gid() == "case-label"}
    assert labels == set(table["id"])
    fronts = [line for line in ax.get_lines() if "non-dominated" in line.get_label()]
    assert len(fronts) == 2  # one per demand level, never one across them
    for line in fronts:
        assert (
            len(set(line.get_xdata()) & {20.0, 10.0}) == 0
            or len(set(line.get_xdata()) & {19.0, 11.0}) == 0
        )


def test_batch_defaults_its_out_folder_like_solve(tmp_path, monkeypatch):
    spec = tmp_path / "tiny.yaml"
    spec.write_text(
        yaml.safe_dump(
            {
                "base": "bundled:us_small",
                "parameters": {"c": {"set": "economics.carbon_price_usd_per_tonne", "values": [0]}},
            }
        )
    )
    monkeypatch.chdir(tmp_path)
    assert main(["batch", str(spec), "--dry-run"]) == 0


def test_example_write_has_no_float_noise(tmp_path):
    out = tmp_path / "ex.yaml"
    assert main(["example", "--small", "--write", str(out)]) == 0  # the same derived figures
    text = out.read_text()
    assert "1.3447200000000001" not in text
    noisy = re.findall(r"\d+\.\d{10,}", text)
    assert noisy == []


def test_readme_python_example_runs_outside_the_checkout(tmp_path, monkeypatch):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Python", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)  # before: data/orlib/cap41.txt only existed in the checkout
    exec(compile(block, "README.md", "exec"), {})
