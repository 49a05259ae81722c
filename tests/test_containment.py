"""Nothing escapes its folder, and input files are read safely.

* ``placement solve``, ``batch`` and ``pareto`` write only under ``--out``: ids, names and
  labels like ``../../x`` or absolute paths in a scenario or portfolio cannot make them write
  anywhere else (file names are fixed, or content hashes checked to be sha256 digests);
* a file a scenario refers to (``network.backbone_graphml``) is read relative to the scenario
  file, whatever the working directory;
* YAML is safe-loaded: Python tags are an error, never code; alias bombs, self-referring
  aliases, deep nesting and giant integers are refused with a message naming the file.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from conftest import region, site

import placement as pl
from placement.batch import Override, Portfolio, PortfolioError, load_batch, solve_portfolio
from placement.cli.app import main

DATA = Path(__file__).parent / "data"
ABILENE = DATA / "Abilene.graphml"


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def hostile_scenario(sentinel: Path) -> pl.Scenario:
    """Ids and names that would escape if anything used them in a path."""
    bad = ["../../escaped", str(sentinel / "abs"), "..", "a/../../b", "~/home-escape", "nul\\x"]
    return pl.Scenario.from_dict(
        {
            "name": f"../../{sentinel.name}/scenario",
            "sites": [
                site(sid, 40.0 + k, -100.0 + 2 * k, fixed_cost_usd_per_year=1e6)
                for k, sid in enumerate(bad)
            ],
            "regions": [
                region(rid, 39.0 + k, -99.0 + 2 * k, population=1e5, demand_mw=2.0)
                for k, rid in enumerate(bad)
            ],
            "training": [{"id": bad[1], "it_mw": 10.0, "rack_density_kw": 40.0}],
            "economics": {"latency_penalty_usd_per_user_ms_year": 0.01},
        }
    )


@pytest.fixture
def arena(tmp_path, monkeypatch):
    """A working directory, a sentinel folder that must stay empty, and the files outside."""
    work = tmp_path / "work"
    work.mkdir()
    sentinel = tmp_path / "sentinel"
    monkeypatch.chdir(work)
    yield work, sentinel
    assert not sentinel.exists(), "something was written outside --out"
    assert not (tmp_path / "escaped").exists()


def only_under(tmp_path: Path, before: set[Path], *outs: Path) -> None:
    new = files_under(tmp_path) - before
    stray = [p for p in new if not any(p.is_relative_to(out) for out in outs)]
    assert not stray, stray


def test_solve_writes_only_under_out(tmp_path, arena, capsys):
    work, sentinel = arena
    scenario = work / "hostile.json"
    hostile_scenario(sentinel).to_file(scenario)
    before = files_under(tmp_path)
    assert main(["solve", str(scenario), "--out", "out", "--write-model", "model.mps"]) == 0
    only_under(tmp_path, before, work / "out")
    result = pl.PlacementResult.from_json(work / "out" / "result.json")
    pl.verify(pl.Scenario.from_file(scenario), result)
    for name in ("../model.mps", str(sentinel / "m.mps"), "sub/model.mps"):
        assert main(["solve", str(scenario), "--out", "out", "--write-model", name]) == 2
        assert "give a file name ending in .mps or .lp" in capsys.readouterr().err


def test_batch_and_pareto_write_only_under_out(tmp_path, arena):
    work, sentinel = arena
    base = hostile_scenario(sentinel)
    portfolio = Portfolio(
        base=base,
        parameters=[
            Override(
                "lam",
                path="economics.latency_penalty_usd_per_user_ms_year",
                values=[0.01, 0.02, 0.03],
                labels=["../../escaped", str(sentinel / "label"), "..\\..\\x"],
            ),
            Override("name", path="name", values=["../../n1", str(sentinel / "n2")]),
        ],
    )
    before = files_under(tmp_path)
    run = solve_portfolio(portfolio, "runs", executor="sequential", progress=False)
    assert run.solved == 6 and not run.failed
    assert any(case.id.startswith("lam=../../escaped") for case in run.cases)
    front = pl.batch.pareto(base, points=3)
    front.save("frontier")
    only_under(tmp_path, before, work / "runs", work / "frontier")
    for case in run.cases:
        pl.verify(case.scenario, run.records[case.hash].result)


def test_a_crafted_manifest_cannot_reach_outside(tmp_path, arena):
    work, sentinel = arena
    portfolio = Portfolio(
        base=hostile_scenario(sentinel),
        parameters=[Override("x", path="rules.max_sites", values=[5, 6])],
    )
    solve_portfolio(portfolio, "runs", executor="sequential", progress=False, plots=False)
    victim = tmp_path / "victim.json"
    victim.write_text("{}")
    manifest = json.loads((work / "runs" / "portfolio.json").read_text())
    manifest["cases"][0]["hash"] = "../../victim"
    (work / "runs" / "portfolio.json").write_text(json.dumps(manifest))
    with pytest.raises(PortfolioError, match="not a sha256 hex digest"):
        load_batch("runs")
    assert victim.read_text() == "{}" and not (tmp_path / "victim.corrupt").exists()


# ====================================================================== referenced files
def backbone_scenario(graphml: str) -> dict:
    return {
        "name": "backbone",
        "sites": [site("ny", 40.7, -74.0), site("la", 34.05, -118.2)],
        "regions": [
            region("chi", 41.9, -87.6, population=1e6, demand_mw=5.0),
            region("hou", 29.8, -95.4, population=1e6, demand_mw=5.0),
        ],
        "economics": {"latency_penalty_usd_per_user_ms_year": 0.01},
        "network": {"backbone_graphml": graphml, "default_slo_ms": 80},
    }


def test_backbone_is_read_relative_to_the_scenario_file(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "project"
    (folder / "net").mkdir(parents=True)
    shutil.copy(ABILENE, folder / "net" / "abilene.graphml")
    scenario = folder / "scenario.yaml"
    pl.Scenario.from_dict(backbone_scenario("net/abilene.graphml")).to_file(scenario)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the CWD has no net/ folder
    loaded = pl.Scenario.from_file(scenario)
    assert loaded.network.backbone_graphml == str(folder / "net" / "abilene.graphml")
    reference = pl.Scenario.from_dict(backbone_scenario(str(ABILENE)))
    result = pl.solve(loaded)
    pl.verify(loaded, result)
    assert result.objective == pytest.approx(pl.solve(reference).objective, rel=1e-12)
    relative = Path("..") / "project" / "scenario.yaml"  # the file itself named relatively
    assert main(["validate", str(relative)]) == 0, capsys.readouterr().err
    # a portfolio: an inline scenario's and an override's files are next to the spec
    spec = folder / "portfolio.yaml"
    spec.write_text(
        "base:\n"
        + "".join(
            f"  {line}\n"
            for line in json.dumps(backbone_scenario("net/abilene.graphml")).splitlines()
        )
        + "parameters:\n  net:\n    set: network.backbone_graphml\n"
        "    values: [net/abilene.graphml, ./net/abilene.graphml]\n"
    )
    cases = Portfolio.from_file(spec).expand()
    paths = {c.scenario.network.backbone_graphml for c in cases}
    assert paths == {str(folder / "net" / "abilene.graphml")}


def test_absolute_backbone_paths_are_kept(tmp_path):
    scenario = tmp_path / "s.json"
    scenario.write_text(json.dumps(backbone_scenario(str(ABILENE))))
    assert pl.Scenario.from_file(scenario).network.backbone_graphml == str(ABILENE)


# ====================================================================== safe YAML
PYTHON_TAGS = [
    "!!python/object/apply:os.system ['touch {pwned}']",
    "!!python/object/new:os.system ['touch {pwned}']",
    "!!python/name:os.system",
    "!!python/module:os",
]


@pytest.mark.parametrize("tag", PYTHON_TAGS)
@pytest.mark.parametrize("kind", ["scenario", "portfolio"])
def test_yaml_python_tags_are_errors_never_code(tmp_path, capsys, tag, kind):
    pwned = tmp_path / "PWNED"
    text = f"name: {tag.format(pwned=pwned)}\nsites: []\n"
    if kind == "portfolio":
        text = f"base: us_small\ndescription: {tag.format(pwned=pwned)}\n"
    path = tmp_path / f"{kind}.yaml"
    path.write_text(text)
    error = pl.ScenarioError if kind == "scenario" else PortfolioError
    with pytest.raises(error, match=r"malformed YAML at line .*constructor"):
        if kind == "scenario":
            pl.Scenario.from_file(path)
        else:
            Portfolio.from_file(path)
    command = ["validate", str(path)] if kind == "scenario" else ["batch", str(path), "--out", "o"]
    assert main(command) == 2
    assert str(path) in "".join(capsys.readouterr().err.split())  # rich may wrap the line
    assert not pwned.exists()


ALIAS_BOMB = "\n".join(
    ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    + [f"a{k}: &a{k} [{', '.join([f'*a{k - 1}'] * 9)}]" for k in range(1, 10)]
    + ["name: *a9", "sites: []"]
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (ALIAS_BOMB, "expands through YAML aliases to more than 1,000,000 values"),
        ("name: &a [*a]\nsites: []\n", "a YAML alias refers to its own anchor"),
        ("name: &a {k: *a}\nsites: []\n", "a YAML alias refers to its own anchor"),
        ("[" * 20_000 + "]" * 20_000, "nested too deeply"),
        ("name: 2024-13-45\nsites: []\n", "cannot read a value of the scenario"),
    ],
    ids=["alias-bomb", "cycle-list", "cycle-map", "deep", "bad-date"],
)
def test_hostile_yaml_is_refused_quickly_naming_the_file(tmp_path, text, expected):
    path = tmp_path / "hostile.yaml"
    path.write_text(text)
    started = time.perf_counter()
    with pytest.raises(pl.ScenarioError) as info:
        pl.Scenario.from_file(path)
    assert time.perf_counter() - started < 30  # not a guard on speed: a guard on hanging
    message = str(info.value)
    assert message.startswith(str(path)) and expected in message, message


def test_yaml_anchors_and_merge_keys_still_work(tmp_path):
    path = tmp_path / "anchors.yaml"
    path.write_text(
        "sites:\n"
        "  - &common {id: a, lat: 40.0, lon: -100.0, power_mw: 100.0, pue: 1.2,\n"
        "             energy_price_usd_per_mwh: 50.0, carbon_kg_per_mwh: 300.0,\n"
        "             fixed_cost_usd_per_year: 1.0e6, build_cost_usd_per_mw_year: 1.0e5}\n"
        "  - {<<: *common, id: b, power_mw: 50.0}\n"
        "regions: [{id: r, lat: 41.0, lon: -99.0, demand_mw: 1.0}]\n"
    )
    scenario = pl.Scenario.from_file(path)
    assert [(s.id, s.lat, s.power_mw) for s in scenario.sites] == [
        ("a", 40.0, 100.0),
        ("b", 40.0, 50.0),
    ]


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_giant_integers_and_deep_json_name_the_file(tmp_path, suffix):
    path = tmp_path / f"big{suffix}"
    path.write_text('{"name": "x", "sites": [], "rules": {"max_sites": ' + "9" * 5000 + "}}")
    with pytest.raises(pl.ScenarioError) as info:
        pl.Scenario.from_file(path)
    assert str(info.value).startswith(str(path))
    deep = tmp_path / f"deep{suffix}"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(pl.ScenarioError, match="nested too deeply"):
        pl.Scenario.from_file(deep)
