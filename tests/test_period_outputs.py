"""What a planner sees of a multi-period plan: the timeline table and plot, the report, the
command line's files (periods.csv, timeline.png, the last period's tables and maps)."""

from __future__ import annotations

import csv
import io

import pytest
from conftest import solve_verified
from test_periods import HOURS, _grow_then_shrink

import placement as pl
from placement.cli import app as cli
from placement.outputs.report import summary_text
from placement.outputs.timeline import last_period, timeline_csv, timeline_png, timeline_table

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def plan() -> tuple[pl.Scenario, pl.PlacementResult]:
    scn = _grow_then_shrink()
    return scn, solve_verified(scn)


def test_the_timeline_table_holds_each_periods_numbers(plan):
    _, result = plan
    rows = timeline_table(result)
    assert [row["year"] for row in rows] == [2026, 2027, 2028]
    assert [row["opened"] for row in rows] == ["a", "b", ""]
    assert [row["inference_mw"] for row in rows] == pytest.approx([60.0, 120.0, 60.0])
    assert [row["capital_usd_per_year"] for row in rows] == pytest.approx([0.0, 1e6, 1e6])
    assert [row["cost_energy"] for row in rows] == pytest.approx(
        [60 * HOURS * 10, 100 * HOURS * 10 + 20 * HOURS * 20, 60 * HOURS * 10]
    )
    assert sum(row["present_value_usd"] for row in rows) == pytest.approx(result.objective)
    table = list(csv.DictReader(io.StringIO(timeline_csv(result))))
    assert [int(row["year"]) for row in table] == [2026, 2027, 2028]


def test_the_timeline_plot_is_a_png(plan):
    pytest.importorskip("matplotlib")
    assert timeline_png(plan[1]).startswith(PNG)


def test_a_timeline_needs_periods(plan):
    scn, _ = plan
    today = solve_verified(scn.model_copy(update={"periods": ()}))
    with pytest.raises(ValueError, match=r"result\.periods is empty"):
        timeline_table(today)


def test_the_report_shows_present_value_periods_and_how_menus_carry(plan):
    scn, result = plan
    text = summary_text(scn, result, verified=True, width=160)
    assert "USD present value over 2026–2028 at 10.0%" in text
    assert "The plan by period" in text
    assert "How the decisions carry from period to period" in text
    assert "inference hardware flex" in text  # said, not silently assumed
    assert "The last period (2028) in detail" in text


def test_the_last_period_is_what_tables_and_maps_show(plan):
    scn, result = plan
    last_scn, last = last_period(scn, result)
    assert last is result.periods[-1].result
    assert last_scn.regions[0].demand_mw == pytest.approx(60.0)  # 60 × 2 × 0.5
    assert last_scn.periods == ()


def test_the_command_line_writes_the_timeline(capsys, tmp_path, plan):
    scn, _ = plan
    path = scn.to_file(tmp_path / "plan.yaml")
    out = tmp_path / "out"
    code = cli.main(["solve", str(path), "--out", str(out)])
    stdout = capsys.readouterr().out
    assert code == 0
    assert "The plan by period" in stdout
    result = pl.PlacementResult.from_json(out / "result.json")
    pl.verify(scn, result)
    assert (out / "timeline.png").read_bytes().startswith(PNG)
    rows = list(csv.DictReader((out / "periods.csv").open(encoding="utf-8")))
    assert [row["opened"] for row in rows] == ["a", "b", ""]
    sites = list(csv.DictReader((out / "sites.csv").open(encoding="utf-8")))
    # the last period's placement: b is idle in 2028 but built, so open
    assert {row["site"] for row in sites if row["open"] == "True"} == {"a", "b"}


def test_a_plans_memory_estimate_counts_every_periods_model(monkeypatch):
    from placement.formulations import multiperiod
    from placement.model.period_data import build_period_data
    from placement.solving import memory

    scn = pl.datasets.us_small_growth(count=3)
    pdata = build_period_data(scn)
    expected = memory.estimate_plan([p.data for p in pdata.periods])
    built = multiperiod.build(pdata).model.num_vars
    # blocks are counted at every facility and option, built only where capacity is bought
    assert built <= expected.variables <= 1.05 * built + 100
    monkeypatch.setenv(memory.LIMIT_VARIABLE, "10M")
    result = pl.solve(scn)
    assert result.status is pl.Status.NO_SOLUTION
    assert result.message.startswith("refused before building the model")
    pl.verify(scn, result)


def test_validate_diagnoses_every_period_of_a_plan(capsys, tmp_path, plan):
    scn, _ = plan
    data = scn.to_dict()
    data["periods"][1]["demand_growth"] = 3.0  # 240 MW in 2027 against 200 MW of sites
    path = pl.Scenario.from_dict(data).to_file(tmp_path / "plan.yaml")
    code = cli.main(["validate", str(path)])
    out = capsys.readouterr().out
    assert code == 1
    assert "periods" in out and "3 from 2026 to 2028, discounted at 10.0%" in out
    assert "  - 2027: " in out
    assert cli.main(["validate", str(scn.to_file(tmp_path / "ok.yaml"))]) == 0
