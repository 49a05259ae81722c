"""One scenario loader: every entry point accepts the same spellings, and typos get a hint."""

from __future__ import annotations

import shutil

import pytest
from conftest import ORLIB

import placement as pl
from placement.cli import app
from placement.cli import batch as batch_cli
from placement.io import load_scenario


def test_every_spelling_of_a_bundled_scenario_is_the_same_scenario() -> None:
    small = pl.datasets.us_small()
    assert load_scenario("us_small") == small
    assert load_scenario("bundled:us_small") == small
    assert load_scenario(small) is small
    assert load_scenario(None).name == "us_default"


def test_files_are_read_by_suffix_relative_to_root(tmp_path) -> None:
    shutil.copy(ORLIB / "cap41.txt", tmp_path / "cap41.txt")
    small = pl.datasets.us_small()
    small.to_file(tmp_path / "small.yaml")
    assert load_scenario("cap41.txt", root=tmp_path) == pl.io.read_orlib_cflp(ORLIB / "cap41.txt")
    assert load_scenario(tmp_path / "small.yaml") == small
    # a file called like a bundled dataset wins over the dataset
    (tmp_path / "us_small").write_text("name: mine\nsites: [{id: a, lat: 0, lon: 0, power_mw: 1}]")
    with pytest.raises(pl.ScenarioError, match="unknown scenario suffix"):
        load_scenario("us_small", root=tmp_path)


@pytest.mark.parametrize(
    ("source", "hint"),
    [("us_smal", "did you mean 'us_small'"), ("bundled:us_defualt", "did you mean 'us_default'")],
)
def test_a_typo_gets_the_nearest_bundled_name(source: str, hint: str) -> None:
    with pytest.raises(pl.ScenarioError, match=hint):
        load_scenario(source)


def test_nonsense_names_say_what_is_accepted() -> None:
    with pytest.raises(pl.ScenarioError, match="us_default, us_small"):
        load_scenario("bundled:mars")
    with pytest.raises(pl.ScenarioError, match="no such file and no bundled scenario"):
        load_scenario("zzz")


def test_cli_solve_validate_batch_and_pareto_accept_both_spellings(tmp_path, capsys) -> None:
    for spelling in ("us_small", "bundled:us_small"):
        assert app.main(["validate", spelling]) == 0
        out = tmp_path / spelling.replace(":", "_")  # a folder named us_small: still the dataset
        assert app.main(["solve", spelling, "--out", str(out), "--no-map", "-q"]) == 0
        assert pl.PlacementResult.from_json(out / "result.json").scenario == "us_small"
        pareto_out = tmp_path / ("pareto_" + spelling.replace(":", "_"))
        args = ["pareto", spelling, "--points", "2", "--out", str(pareto_out), "--no-progress"]
        assert batch_cli.main(args) == 0
    spec = tmp_path / "portfolio.yaml"
    spec.write_text(
        "base: us_small\n"
        "parameters: {lam: {set: economics.latency_penalty_usd_per_user_ms_year, values: [0.1]}}\n"
    )
    assert (
        batch_cli.main(
            [
                "batch",
                str(spec),
                "--out",
                str(tmp_path / "b"),
                "--executor",
                "sequential",
                "--no-plots",
                "--no-progress",
            ]
        )
        == 0
    )
    assert app.main(["validate", "us_smal"]) == 2
    assert "did you mean 'us_small'" in capsys.readouterr().err
