"""The benchmark runner on a tiny family, so it cannot silently rot (no wall-clock asserts)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from benchmarks import analysis, report
from benchmarks.cli import main
from benchmarks.entry import COLUMNS, Entry, Settings
from benchmarks.instances import InstanceSpec, orlib_specs, without_slo
from benchmarks.registry import plan
from benchmarks.runner import execute, run_benchmarks
from placement.datasets.synthetic import random_ai_scenario

TINY = Settings(time_limit=20.0, runs=1, warmup=False, isolation="inline")


@pytest.fixture(scope="module")
def tiny_rows() -> list[dict]:
    """2 OR-Library instances + a 10×30 random instance, every formulation and backend."""
    entries = plan(["orlib", "random"], "tiny")
    return run_benchmarks(entries, TINY)


def test_plan_covers_the_matrix() -> None:
    entries = plan(["orlib", "random"], "tiny")
    combos = {(e.spec.name, e.formulation, e.solver) for e in entries}
    assert ("cap41", "strong", "highs") in combos
    assert ("random_cflp_10x30", "single_source", "cpsat") in combos
    assert not any(e.solver == "cpsat" and e.formulation != "single_source" for e in entries)
    assert ("cap41", "single_source", "cpsat") not in combos  # CP-SAT on the chosen subset only
    # one LP bound per instance × variant × formulation
    lp = [(e.spec.name, e.variant, e.formulation) for e in entries if e.with_lp]
    assert len(lp) == len(set(lp)) == 3 * 3


def test_rows_have_every_column_and_pass_verify(tiny_rows: list[dict]) -> None:
    assert len(tiny_rows) == len(plan(["orlib", "random"], "tiny"))
    for row in tiny_rows:
        assert set(COLUMNS) <= set(row)
        assert row["status"] in ("optimal", "infeasible"), row
        if row["objective"] is not None:
            assert row["verified"] is True, row
            assert row["variables"] > 0 and row["nonzeros"] > 0
            assert row["peak_rss_mb"] > 0 and row["runs"] == 1
    by = {(r["instance"], r["formulation"], r["solver"]): r for r in tiny_rows}
    # cap41 cannot be single-sourced: diagnosed, not crashed
    assert by[("cap41", "single_source", "highs")]["status"] == "infeasible"


def test_known_optima_and_agreement(tiny_rows: list[dict]) -> None:
    orlib = [r for r in tiny_rows if r["family"] == "orlib" and r["formulation"] != "single_source"]
    assert orlib and all(abs(r["deviation"]) <= 1e-6 for r in orlib)
    solved = [r for r in tiny_rows if r["objective"] is not None]
    assert all(r["agree"] is True for r in solved)
    assert all(r["lp_bound"] is not None for r in solved)
    weak = next(r for r in solved if r["instance"] == "cap71" and r["formulation"] == "weak")
    strong = next(r for r in solved if r["instance"] == "cap71" and r["formulation"] == "strong")
    assert weak["lp_bound"] <= strong["lp_bound"] + 1e-6 * abs(strong["objective"])
    assert analysis.summary(tiny_rows)["disagree"] == []


def test_disagreement_is_flagged(tiny_rows: list[dict]) -> None:
    rows = [dict(r) for r in tiny_rows if r["instance"] == "cap71"]
    wrong = next(r for r in rows if r["formulation"] == "weak" and r["solver"] == "highs")
    wrong["objective"] *= 1.01  # a "proven optimum" 1 % off the others
    analysis.annotate(rows)
    assert wrong["agree"] is False
    assert wrong in analysis.summary(rows)["disagree"]
    assert "DISAGREE" in "\n".join(report.summary_lines(rows))


def test_outputs_are_written(tiny_rows: list[dict], tmp_path: Path) -> None:
    path = report.write_csv(tiny_rows, tmp_path / "results.csv")
    with path.open(encoding="utf-8") as handle:
        read = list(csv.DictReader(handle))
    assert len(read) == len(tiny_rows) and tuple(read[0]) == COLUMNS
    typed = report.read_csv(path)
    assert [{k: r[k] for k in COLUMNS} for r in tiny_rows] == typed
    text = report.markdown(tiny_rows, {"cores": "2"}, "python -m benchmarks --tiny", {})
    assert "## orlib" in text and "## random" in text and "max abs deviation" in text
    published = report.publish(text, tmp_path / "RESULTS.md")
    body = published.read_text(encoding="utf-8")
    assert body.count(report.BEGIN) == 1
    published.write_text(body.replace("(findings", "Hand-written findings. ("), encoding="utf-8")
    report.publish(text, published)  # a second publish keeps the prose, replaces the table
    again = published.read_text(encoding="utf-8")
    assert "Hand-written findings." in again and again.count(report.BEGIN) == 1


def test_command_line_end_to_end(tmp_path: Path) -> None:
    code = main(
        [
            "--tiny",
            "--family",
            "orlib",
            "--formulation",
            "strong",
            "--solver",
            "highs",
            "--runs",
            "1",
            "--inline",
            "--no-plots",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0
    assert (tmp_path / "results.csv").exists() and (tmp_path / "results.md").exists()
    first = (tmp_path / "results.md").read_text(encoding="utf-8")
    assert "max abs deviation" in first and "--tiny" in first
    # the report can be rebuilt from the CSV alone, with the original command
    (tmp_path / "results.md").unlink()
    assert main(["--report-only", "--no-plots", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "results.md").read_text(encoding="utf-8") == first


def test_fresh_process_reports_memory() -> None:
    spec = orlib_specs(["cap71"])[0]
    settings = Settings(time_limit=20.0, runs=1, warmup=True, lp=False, isolation="process")
    row = execute(Entry(spec, "none", "strong", "highs"), settings)
    assert row["status"] == "optimal" and row["verified"] is True
    assert row["peak_rss_mb"] >= row["base_rss_mb"] > 0


def test_dense_variant_drops_every_slo_and_is_capped() -> None:
    scenario = random_ai_scenario(4, 12, 1, seed=3, slo_ms=30.0)
    dense = without_slo(scenario)
    assert dense.network.default_slo_ms is None
    assert all(dense.region_slo_ms(r) is None for r in dense.regions)
    spec = InstanceSpec("ai", "huge", "1000x30000", "random_ai", (1000, 30000, 0), has_slo=True)
    row = execute(Entry(spec, "dense", "strong", "highs"), TINY)
    assert row["status"] == "skipped" and "too large" in row["note"]


def test_ladder_skips_after_a_failure() -> None:
    small = InstanceSpec("random", "a", "1x1", "random_cflp", (1, 1, 0), order=0)
    big = InstanceSpec("random", "b", "5x5", "random_cflp", (5, 5, 0), order=1)
    huge = Settings(time_limit=20.0, runs=1, warmup=False, isolation="inline", max_pairs=0)
    rows = run_benchmarks(
        [Entry(small, "none", "strong", "highs"), Entry(big, "none", "strong", "highs")], huge
    )
    assert rows[0]["status"] == "skipped" and "too large" in rows[0]["note"]
    assert rows[1]["status"] == "skipped" and "already failed at 1x1" in rows[1]["note"]


def test_method_dimension_and_the_issue_families() -> None:
    entries = plan(["cflp_ratio"], "full", methods=("auto", "milp"))
    ratios = {e.spec.args[3] for e in entries}
    seeds = {e.spec.args[2] for e in entries}
    assert ratios == {1.5, 3.0, 10.0, 20.0} and seeds == {0, 1, 2, 3, 4}
    assert {(e.formulation, e.solver) for e in entries} == {("strong", "highs")}
    assert len(entries) == 4 * 5 * 2 and sum(e.with_lp for e in entries) == 20
    other = plan(["random"], "tiny", methods=("auto", "milp"))
    assert all(e.method == "auto" for e in other if e.solver != "highs")


def test_us_whatifs_change_one_thing_each() -> None:
    from benchmarks.instances import EXTRA_CAMPUS, TODAYS_TRAINING_SITE, US_WHATIFS, us_whatif

    with pytest.warns(Warning):
        base = us_whatif("base")
    lam = base.economics.latency_penalty_usd_per_user_ms_year
    variants = {name: us_whatif(name) for name in US_WHATIFS[1:]}
    assert variants["lambda_x10"].economics.latency_penalty_usd_per_user_ms_year == 10 * lam
    assert variants["training_site_forbidden"].rules.forbidden == (TODAYS_TRAINING_SITE,)
    tight = variants["slo_20ms"]
    assert tight.network.default_slo_ms == 20.0
    kept = [r.id for r in tight.regions if r.slo_ms == base.network.default_slo_ms]
    assert "02013" in kept and len(kept) < 0.05 * len(tight.regions)  # Aleutians East, AK
    nm = [s for s in variants["nm_power_plus30"].sites if s.state == "NM"]
    base_nm = [s for s in base.sites if s.state == "NM"]
    assert nm and all(
        a.energy_price_usd_per_mwh == pytest.approx(1.3 * b.energy_price_usd_per_mwh)
        for a, b in zip(nm, base_nm, strict=True)
    )
    extra = variants["extra_campus"].sites[-1]
    assert (
        extra.id == EXTRA_CAMPUS[0] and len(variants["extra_campus"].sites) == len(base.sites) + 1
    )
    assert extra.state == "ND" and extra.energy_price_usd_per_mwh > 0
