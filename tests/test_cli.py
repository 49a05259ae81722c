"""The command line, run in-process through ``placement.cli.app`` (plus one real subprocess).

Every solve the CLI makes is checked here again: result.json is reloaded and passed through
``placement.verify`` against the scenario the CLI solved.
"""

from __future__ import annotations

import csv
import importlib
import json
import subprocess
import sys
import types
import warnings
from pathlib import Path

import highspy
import numpy as np
import pytest
import yaml

import placement as pl
from placement.cli import app as cli
from placement.datasets.synthetic import random_ai_scenario

ROOT = Path(__file__).resolve().parents[1]
OUTPUT_FILES = (
    "result.json",
    "result.geojson",
    "sites.csv",
    "assignments.csv",
    "training.csv",
    "costs.csv",
    "map.png",
    "map.html",
)


@pytest.fixture(scope="module")
def small_scenario() -> pl.Scenario:
    return random_ai_scenario(7, 45, 2, seed=11)


@pytest.fixture
def scenario_file(tmp_path: Path, small_scenario: pl.Scenario) -> Path:
    return small_scenario.to_file(tmp_path / "scenario.yaml")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def check_outputs(out: Path, scenario: pl.Scenario, *, with_map: bool = True) -> pl.PlacementResult:
    """Every file is there, result.json verifies, the GeoJSON and CSVs match the result."""
    places = {(s.lat, s.lon) for s in scenario.sites} | {(r.lat, r.lon) for r in scenario.regions}
    for name in OUTPUT_FILES:
        if name == "map.html" and len(places) == 1:  # no geography: a bar chart, no map page
            assert not (out / name).exists()
            continue
        if name in ("map.png", "map.html") and not with_map:
            assert not (out / name).exists()
            continue
        assert (out / name).is_file(), name
    assert not list(out.glob(".*.tmp")), "temporary files left behind"
    result = pl.PlacementResult.from_json(out / "result.json")
    pl.verify(scenario, result)

    geo = json.loads((out / "result.geojson").read_text(encoding="utf-8"))
    assert geo["type"] == "FeatureCollection"
    kinds = [f["properties"]["kind"] for f in geo["features"]]
    assert kinds.count("open_site") == len(result.open_sites)
    assert kinds.count("candidate_site") == len(scenario.sites) - len(result.open_sites)
    assert kinds.count("assignment") == len(result.serving)
    sites = {s.id: s for s in scenario.sites}
    for feature in geo["features"]:
        geometry = feature["geometry"]
        if geometry["type"] == "Point":
            lon, lat = geometry["coordinates"]
            site = sites[feature["properties"]["site"]]
            assert (lon, lat) == pytest.approx((site.lon, site.lat), abs=1e-6)
        else:
            assert geometry["type"] == "LineString"
            (_, _), (lon, lat) = geometry["coordinates"]
            site = sites[feature["properties"]["site"]]
            assert (lon, lat) == pytest.approx((site.lon, site.lat), abs=1e-6)
            assert 0 < feature["properties"]["share"] <= 1 + 1e-9

    with (out / "sites.csv").open(encoding="utf-8") as handle:
        site_rows = list(csv.DictReader(handle))
    assert len(site_rows) == len(scenario.sites)
    assert {r["site"] for r in site_rows if r["open"] == "True"} == set(result.open_sites)
    with (out / "assignments.csv").open(encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) == len(result.serving)
    with (out / "training.csv").open(encoding="utf-8") as handle:
        training_rows = list(csv.DictReader(handle))
    assert {r["cluster"]: r["site"] for r in training_rows} == result.training
    with (out / "costs.csv").open(encoding="utf-8") as handle:
        costs = {r["component"]: float(r["usd_per_year"]) for r in csv.DictReader(handle)}
    assert costs["total"] == pytest.approx(result.objective, rel=1e-9)

    if with_map:
        check_png(out / "map.png")
    return result


def check_png(path: Path) -> None:
    from matplotlib.image import imread

    assert path.stat().st_size > 20_000
    pixels = imread(path)
    assert pixels.ndim == 3 and pixels.shape[0] > 500 and pixels.shape[1] > 500
    assert float(np.var(pixels[..., :3])) > 1e-3, "the picture is a single colour"
    colours = np.unique((pixels[..., :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 50


# ====================================================================== solve
def test_solve_writes_every_file_and_verifies(capsys, tmp_path, scenario_file, small_scenario):
    out = tmp_path / "out"
    code, stdout, stderr = run(capsys, "solve", str(scenario_file), "--out", str(out))
    assert code == 0, stderr
    result = check_outputs(out, small_scenario)
    assert result.status is pl.Status.OPTIMAL
    assert "OPTIMAL" in stdout
    assert "verified" in stdout and "placement.verify" in stdout
    assert "Training vs inference" in stdout
    assert "Annual cost" in stdout
    for cluster in small_scenario.training:
        assert cluster.id in stdout
    assert "p95" in stdout
    assert f"wrote {len(OUTPUT_FILES)} files" in stdout
    assert "Traceback" not in stderr
    assert "solving with highs" in stderr  # progress, on stderr


def test_solve_us_small_bundled_dataset(capsys, tmp_path):
    datasets = pytest.importorskip("placement.datasets")
    if not hasattr(datasets, "us_small"):
        pytest.skip("bundled us_small not available")
    out = tmp_path / "out"
    code, stdout, stderr = run(capsys, "solve", "us_small", "--out", str(out))
    assert code == 0, stderr
    scenario = datasets.us_small()
    result = check_outputs(out, scenario)
    assert result.ok
    assert "us_small" in stdout
    # the contrast: training on few liquid-cooled sites, inference on more sites
    assert result.kpis.training_sites <= 2
    inference_sites = {a.site for a in result.serving}
    assert len(inference_sites) > result.kpis.training_sites


def test_solve_overrides_lambda_and_slo(capsys, tmp_path, scenario_file, small_scenario):
    out = tmp_path / "out"
    code, _, stderr = run(
        capsys,
        "solve",
        str(scenario_file),
        "--out",
        str(out),
        "--lambda",
        "0",
        "--slo",
        "none",
        "--no-map",
        "--quiet",
    )
    assert code == 0, stderr
    expected = small_scenario.model_copy(
        update={
            "economics": small_scenario.economics.model_copy(
                update={"latency_penalty_usd_per_user_ms_year": 0.0}
            ),
            "network": small_scenario.network.model_copy(update={"default_slo_ms": None}),
        }
    )
    result = check_outputs(out, expected, with_map=False)
    assert result.costs.latency_penalty == 0.0
    with pytest.raises(pl.VerificationError):  # it was not solved with the file's λ
        pl.verify(small_scenario, result)


def test_solve_quiet_prints_nothing(capsys, tmp_path, scenario_file, small_scenario):
    out = tmp_path / "o"
    code, stdout, stderr = run(
        capsys, "solve", str(scenario_file), "--out", str(out), "--quiet", "--no-map"
    )
    assert code == 0
    assert stdout == ""
    assert stderr == ""
    check_outputs(out, small_scenario, with_map=False)


def test_geojson_loads_in_geopandas(capsys, tmp_path, scenario_file, small_scenario):
    gpd = pytest.importorskip("geopandas")
    out = tmp_path / "o"
    assert run(capsys, "solve", str(scenario_file), "--out", str(out), "--no-map")[0] == 0
    frame = gpd.read_file(out / "result.geojson")
    assert frame.crs.to_epsg() == 4326
    result = pl.PlacementResult.from_json(out / "result.json")
    pl.verify(small_scenario, result)
    assert (frame.geom_type == "LineString").sum() == len(result.serving)
    assert (frame.geom_type == "Point").sum() == len(small_scenario.sites)


def test_solve_infeasible_exits_1_with_diagnosis(capsys, tmp_path, scenario_file, small_scenario):
    out = tmp_path / "out"
    code, stdout, stderr = run(
        capsys, "solve", str(scenario_file), "--out", str(out), "--slo", "1", "--no-map"
    )
    assert code == 1
    assert "INFEASIBLE" in stdout
    assert "has no site" in stdout  # the diagnosis names the regions
    result = pl.PlacementResult.from_json(out / "result.json")
    assert result.status is pl.Status.INFEASIBLE
    assert result.diagnosis
    pl.verify(small_scenario, result)  # a result without a solution claims no decisions
    assert "Traceback" not in stderr


def test_solver_options_are_passed(capsys, tmp_path, scenario_file, small_scenario):
    out = tmp_path / "out"
    code, _, stderr = run(
        capsys,
        "solve",
        str(scenario_file),
        "--out",
        str(out),
        "--formulation",
        "weak",
        "--solver",
        "scip",
        "--time-limit",
        "60",
        "--gap",
        "1e-6",
        "--threads",
        "1",
        "--seed",
        "3",
        "--no-map",
    )
    assert code == 0, stderr
    result = check_outputs(out, small_scenario, with_map=False)
    assert (result.formulation, result.solver) == ("weak", "scip")


@pytest.mark.parametrize(("nodes", "route"), [("8", "lp_branch_and_bound"), ("0", "milp")])
def test_lp_nodes_chooses_the_route(capsys, tmp_path, nodes, route):
    out = tmp_path / "out"
    code, _, stderr = run(
        capsys, "solve", "us_small", "--out", str(out), "--lp-nodes", nodes, "--no-map"
    )
    assert code == 0, stderr
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pl.datasets.DataGapWarning)
        scenario = pl.datasets.us_small()
    result = check_outputs(out, scenario, with_map=False)
    assert result.status is pl.Status.OPTIMAL and result.method == route


def test_orlib_file_solves_and_draws_bars(capsys, tmp_path):
    path = ROOT / "data" / "orlib" / "cap41.txt"
    if not path.exists():
        pytest.skip("OR-Library data not bundled")
    out = tmp_path / "out"
    code, _, stderr = run(capsys, "solve", str(path), "--out", str(out))
    assert code == 0, stderr
    check_outputs(out, pl.io.read_orlib_cflp(path))


def test_interrupt_exits_130_and_writes_nothing(capsys, tmp_path, scenario_file, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    # the module, not the function of the same name that the package re-exports
    monkeypatch.setattr(importlib.import_module("placement.solving.solve"), "solve", interrupted)
    out = tmp_path / "out"
    code, _, stderr = run(capsys, "solve", str(scenario_file), "--out", str(out))
    assert code == 130
    assert "interrupted" in stderr
    assert "Traceback" not in stderr
    assert list(out.iterdir()) == []


def test_failed_verification_exits_1(capsys, tmp_path, scenario_file, monkeypatch):
    def broken(scenario, result):
        raise pl.VerificationError(["site 'x' over capacity"])

    monkeypatch.setattr(importlib.import_module("placement.results.verify"), "verify", broken)
    code, stdout, stderr = run(
        capsys, "solve", str(scenario_file), "--out", str(tmp_path / "o"), "--no-map"
    )
    assert code == 1
    assert "VERIFICATION FAILED" in stdout
    assert "verification failed" in stderr and "over capacity" in stderr


# ====================================================================== bad input
def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _valid_dict(small_scenario: pl.Scenario) -> dict:
    return small_scenario.to_dict()


BAD_FILES = {
    "wrong_type": ("power_mw", lambda d: d["sites"][0].update(power_mw="lots")),
    "missing_field": ("lat", lambda d: d["sites"][1].pop("lat")),
    "unknown_key": ("colour", lambda d: d["sites"][0].update(colour="red")),
    "negative": ("it_mw", lambda d: d["training"][0].update(it_mw=-5)),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_scenario_exits_2_with_one_paragraph(capsys, tmp_path, small_scenario, case):
    field, damage = BAD_FILES[case]
    data = _valid_dict(small_scenario)
    damage(data)
    path = _write(tmp_path, f"{case}.yaml", yaml.safe_dump(data))
    for argv in (["solve", str(path), "--out", str(tmp_path / "o")], ["validate", str(path)]):
        code, _, stderr = run(capsys, *argv)
        assert code == 2, (argv, stderr)
        _one_paragraph(stderr)
        assert field in stderr
        assert str(path) in stderr
    assert not (tmp_path / "o" / "result.json").exists()


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("malformed.yaml", "sites: [\n  - id: a\n    lat: 1\n  -: :\n", "malformed YAML"),
        ("malformed.json", '{"sites": [', "malformed JSON"),
        ("list.yaml", "- 1\n- 2\n", "mapping"),
        ("scenario.toml", "x = 1\n", "suffix"),
    ],
)
def test_malformed_files_exit_2(capsys, tmp_path, name, text, expected):
    path = _write(tmp_path, name, text)
    code, _, stderr = run(capsys, "solve", str(path), "--out", str(tmp_path / "o"))
    assert code == 2
    assert expected in stderr
    _one_paragraph(stderr)


def test_missing_file_directory_and_binary_exit_2(capsys, tmp_path):
    binary = tmp_path / "blob.yaml"
    binary.write_bytes(b"\xff\xfe\x00\x81garbage")
    for target, expected in (
        (tmp_path / "nope.yaml", "cannot read"),
        (tmp_path, "folder"),
        (binary, "UTF-8"),
    ):
        code, _, stderr = run(capsys, "validate", str(target))
        assert code == 2, target
        assert expected in stderr
        _one_paragraph(stderr)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--formulation", "fancy"], "formulation"),
        (["--solver", "gurobi"], "solver"),
        (["--solver", "cpsat"], "cpsat"),
        (["--gap", "2"], "gap"),
        (["--time-limit", "-1"], "time_limit"),
        (["--threads", "0"], "threads"),
        (["--lambda", "-1"], "--lambda"),
        (["--slo", "0"], "--slo"),
        (["--slo", "soon"], "--slo"),
        (["--threads", "two"], "--threads"),
        (["--lp-nodes", "-1"], "lp_nodes"),
    ],
)
def test_bad_options_exit_2(capsys, tmp_path, scenario_file, options, expected):
    out = tmp_path / "out"
    code, _, stderr = run(capsys, "solve", str(scenario_file), "--out", str(out), *options)
    assert code == 2
    assert expected in stderr
    assert "Traceback" not in stderr
    assert not (out / "result.json").exists()


def test_unwritable_out_exits_2_before_solving(capsys, tmp_path, scenario_file):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, stderr = run(capsys, "solve", str(scenario_file), "--out", str(blocker / "sub"))
    assert code == 2
    assert "--out" in stderr
    _one_paragraph(stderr)


def _one_paragraph(stderr: str) -> None:
    assert "Traceback" not in stderr
    text = "\n".join(line for line in stderr.splitlines() if not line.startswith("note: "))
    assert text.strip(), "no message"
    assert "\n\n" not in text.strip(), f"more than one paragraph:\n{stderr}"


# ====================================================================== validate
def test_validate_ok(capsys, scenario_file, small_scenario):
    code, stdout, stderr = run(capsys, "validate", str(scenario_file))
    assert code == 0, stderr
    assert f"{len(small_scenario.sites)} candidates" in stdout
    assert f"{len(small_scenario.regions)} demand regions" in stdout
    assert "OK: no infeasibility seen" in stdout


def test_validate_infeasible_names_the_culprit(capsys, tmp_path, small_scenario):
    data = small_scenario.to_dict()
    data["training"].append({"id": "monster", "it_mw": 50.0, "rack_density_kw": 900.0})
    path = _write(tmp_path, "infeasible.json", json.dumps(data))
    code, stdout, _ = run(capsys, "validate", str(path))
    assert code == 1
    assert "INFEASIBLE" in stdout
    assert "'monster'" in stdout and "rack density" in stdout


def test_validate_slo_override(capsys, scenario_file):
    code, stdout, _ = run(capsys, "validate", str(scenario_file), "--slo", "1")
    assert code == 1
    assert "SLO is 1 ms" in stdout


# ====================================================================== example, schema
@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_example_write_round_trips(capsys, tmp_path, suffix):
    datasets = pytest.importorskip("placement.datasets")
    if not hasattr(datasets, "us_small"):
        pytest.skip("bundled us_small not available")
    path = tmp_path / f"example{suffix}"
    code, stdout, stderr = run(capsys, "example", "--write", str(path), "--small")
    assert code == 0, stderr
    assert str(path) in stdout
    loaded = pl.Scenario.from_file(path)
    assert loaded == datasets.us_small()
    # a second write refuses to clobber the file, unless forced
    code, _, stderr = run(capsys, "example", "--write", str(path), "--small")
    assert code == 2 and "--force" in stderr
    assert run(capsys, "example", "--write", str(path), "--small", "--force")[0] == 0


def test_example_bad_suffix_exits_2(capsys, tmp_path):
    code, _, stderr = run(capsys, "example", "--write", str(tmp_path / "x.txt"), "--small")
    assert code == 2 and "suffix" in stderr


def test_schema_prints_json(capsys):
    code, stdout, _ = run(capsys, "schema")
    assert code == 0
    schema = json.loads(stdout)
    assert "sites" in schema["properties"]
    assert schema["title"] == "Scenario"


def test_no_command_and_help(capsys):
    assert run(capsys)[0] == 2
    code, stdout, _ = run(capsys, "--help")
    assert code == 0
    for command in ("solve", "validate", "example", "schema"):
        assert command in stdout
    code, stdout, _ = run(capsys, "solve", "--help")
    assert code == 0
    for option in ("--formulation", "--lambda", "--slo", "--out", "--no-map", "--quiet", "--log"):
        assert option in stdout


# ====================================================================== extensions
def test_extension_modules_register_commands(capsys, monkeypatch):
    module = types.ModuleType("placement_test_extension")

    def hello(args):
        print(f"hello {args.who}")
        return 7

    def register(subparsers):
        parser = subparsers.add_parser("hello", help="say hello")
        parser.add_argument("who")
        parser.set_defaults(func=hello)

    module.register = register
    monkeypatch.setitem(sys.modules, "placement_test_extension", module)
    monkeypatch.setattr(
        cli, "EXTENSIONS", ["placement.no_such_extension", "placement_test_extension"]
    )
    code, stdout, stderr = run(capsys, "hello", "world")
    assert (code, stdout) == (7, "hello world\n")
    assert stderr == ""  # the missing module is skipped quietly
    assert run(capsys, "schema")[0] == 0


def test_extension_errors_are_reported_like_ours(capsys, monkeypatch):
    module = types.ModuleType("placement_test_extension2")

    def fail(args):
        raise pl.ScenarioError("portfolio.yaml: cases[0].scale = -1: must be positive")

    def register(subparsers):
        subparsers.add_parser("broken").set_defaults(func=fail)

    module.register = register
    monkeypatch.setitem(sys.modules, "placement_test_extension2", module)
    monkeypatch.setattr(cli, "EXTENSIONS", ["placement_test_extension2"])
    code, _, stderr = run(capsys, "broken")
    assert code == 2 and "cases[0].scale" in stderr
    _one_paragraph(stderr)


# ====================================================================== the real entry point
@pytest.mark.slow
def test_python_m_placement_help():
    completed = subprocess.run(
        [sys.executable, "-m", "placement", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "usage: placement" in completed.stdout
    assert "solve" in completed.stdout


def test_write_model_gives_a_named_mps_with_the_same_optimum(capsys, tmp_path):
    out = tmp_path / "out"
    code, _, stderr = run(
        capsys, "solve", "us_small", "--out", str(out), "--no-map", "--write-model", "model.mps"
    )
    assert code == 0, stderr
    text = (out / "model.mps").read_text()
    assert "serve[los_angeles_ca,06037:h100_server]" in text and "power[dallas_tx_build]" in text
    result = pl.PlacementResult.from_json(out / "result.json")
    reread = highspy.Highs()
    reread.silent()
    reread.readModel(str(out / "model.mps"))
    reread.setOptionValue("mip_rel_gap", 1e-9)
    reread.run()
    assert reread.getInfo().objective_function_value == pytest.approx(result.objective, rel=1e-6)
    code, _, stderr = run(
        capsys, "solve", "us_small", "--out", str(out), "--write-model", "../m.mps"
    )
    assert code == 2 and "into --out" in stderr
