"""Batch solving of portfolios: spec expansion, executors, resume after a kill, failures, tables.

Every solve is checked by ``placement.verify``: in the worker (the record says ``verified``)
and again here against the expanded scenario of its case.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import placement as pl
from placement.batch import (
    DemandGrowth,
    Override,
    Portfolio,
    PortfolioError,
    Scale,
    SiteSubset,
    SolveOptions,
    load_batch,
    solve_portfolio,
)
from placement.batch.store import read_events
from placement.model.data import build_model_data

ROOT = Path(__file__).resolve().parents[1]
SOLVE = SolveOptions(time_limit=60, gap=1e-6, seed=0)


@pytest.fixture(scope="module")
def small() -> pl.Scenario:
    return pl.datasets.us_small()


def sweep12(base: pl.Scenario | str = "bundled:us_small") -> Portfolio:
    """3 carbon prices × 2 Texas power prices × 2 latency penalties: 12 quick cases."""
    return Portfolio(
        base=base,
        parameters=[
            Override("carbon", path="economics.carbon_price_usd_per_tonne", values=[0, 50, 100]),
            Scale(
                "tx_power",
                path="sites.*.energy_price_usd_per_mwh",
                where={"state": ["TX"]},
                values=[1.0, 1.3],
            ),
            Override(
                "lam", path="economics.latency_penalty_usd_per_user_ms_year", values=[0.05, 0.1]
            ),
        ],
        solve=SOLVE,
    )


def check_verified(run) -> None:
    """Every stored result passes verify against its own expanded scenario."""
    for case in run.cases:
        record = run.records[case.hash]
        assert record.verified is not False, record.verify_message
        pl.verify(case.scenario, record.result)


# ====================================================================== spec and expansion
def test_cartesian_expansion_ids_hashes_and_values(small):
    pf = sweep12(small)
    cases = pf.expand()
    assert len(cases) == pf.size() == 12
    assert cases[0].id == "carbon=0,tx_power=1,lam=0.05"
    assert cases[-1].id == "carbon=100,tx_power=1.3,lam=0.1"
    assert cases[5].inputs == {"carbon": 50, "tx_power": 1.0, "lam": 0.1}
    assert len({c.hash for c in cases}) == 12
    # Stable: the same spec gives the same hashes; a solve option changes every hash.
    assert [c.hash for c in pf.expand()] == [c.hash for c in cases]
    other = pf.with_options(gap=1e-4).expand()
    assert not {c.hash for c in other} & {c.hash for c in cases}
    # The scale hits Texas sites only.
    scn = next(c for c in cases if c.id == "carbon=0,tx_power=1.3,lam=0.05").scenario
    for before, after in zip(small.sites, scn.sites, strict=True):
        if before.energy_price_usd_per_mwh is None:  # a cloud region: nothing to scale
            assert after.energy_price_usd_per_mwh is None
            continue
        factor = 1.3 if before.state == "TX" else 1.0
        assert after.energy_price_usd_per_mwh == pytest.approx(
            before.energy_price_usd_per_mwh * factor, rel=1e-12
        )
    assert scn.economics.carbon_price_usd_per_tonne == 0


def test_zip_subsets_growth_and_overrides(small):
    west = ["quincy_wa", "santa_clara_ca", "los_angeles_ca", "honolulu_hi", "abilene_tx"]
    pf = Portfolio(
        base=small,
        overrides={"network.default_slo_ms": 80},
        parameters=[
            SiteSubset("footprint", subsets={"all": None, "west": west}),
            DemandGrowth("growth", values=[1.0, 2.0]),
        ],
        sweep="zip",
        solve=SOLVE,
    )
    cases = pf.expand()
    assert [c.id for c in cases] == ["footprint=all,growth=1", "footprint=west,growth=2"]
    assert cases[1].inputs == {"footprint": "west", "growth": 2.0}
    grown = cases[1].scenario
    assert [s.id for s in grown.sites] == [s.id for s in small.sites if s.id in west]
    assert grown.network.default_slo_ms == 80
    demand = build_model_data(grown).region_work
    np.testing.assert_allclose(demand, 2.0 * build_model_data(small).region_work)
    assert [r.population for r in grown.regions] == [r.population for r in small.regions]


def test_yaml_spec_and_example_file(tmp_path):
    pf = Portfolio.from_file(ROOT / "examples" / "portfolio.yaml")
    cases = pf.expand()
    assert len(cases) == 12
    assert pf.baseline_case(cases).id == "carbon=0,tx_power=1,growth=1"
    for example in sorted((ROOT / "examples").glob("portfolio*.yaml")):
        assert Portfolio.from_file(example).expand(), example  # every example is runnable
    spec = tmp_path / "p.json"
    spec.write_text(
        json.dumps(
            {
                "base": "bundled:us_small",
                "parameters": {"slo": {"set": "network.default_slo_ms", "values": [40, 60]}},
                "baseline": "slo=60",
                "solve": {"gap": "1e-6"},
            }
        )
    )
    pf = Portfolio.from_file(spec)
    assert pf.solve.gap == 1e-6
    assert pf.baseline_case(pf.expand()).id == "slo=60"


def test_folder_of_scenarios(tmp_path, small):
    folder = tmp_path / "scenarios"
    small.to_file(folder / "a_low.yaml")
    small.model_copy(update={"name": "b"}).to_file(folder / "b_high.json")
    pf = Portfolio.from_file(folder)
    cases = pf.expand()
    assert [c.id for c in cases] == ["scenario=a_low", "scenario=b_high"]
    pf = Portfolio(
        scenarios=folder,
        parameters=[Override("carbon", path="economics.carbon_price_usd_per_tonne", values=[0, 9])],
    )
    assert [c.id for c in pf.expand()][:2] == ["scenario=a_low,carbon=0", "scenario=a_low,carbon=9"]


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        (
            {"parameters": {"x": {"set": "economics.carbon_price", "values": [1]}}},
            ["parameters.x.set", "'carbon_price'", "not a field of economics"],
        ),
        (
            {
                "parameters": {
                    "x": {
                        "scale": "sites.*.power_mw",
                        "where": {"state": ["ZZ"]},
                        "values": [2],
                    }
                }
            },
            ["parameters.x.where", "ZZ", "matches no element"],
        ),
        (
            {"parameters": {"x": {"scale": "sites.*.state", "values": [2]}}},
            ["parameters.x.scale", "'TX'", "only numbers can be scaled"],
        ),
        (
            {"parameters": {"x": {"scale": "sites.*.power_mw", "values": [-1]}}},
            ["parameters.x.values", "-1", "≥ 0"],
        ),
        (
            {"parameters": {"x": {"sites": {"w": ["nowhere_zz"]}}}},
            ["parameters.x.sites.w", "nowhere_zz", "not sites of the base"],
        ),
        (
            {
                "sweep": "zip",
                "parameters": {
                    "a": {"set": "rules.max_sites", "values": [1, 2]},
                    "b": {"set": "rules.max_sites", "values": [1]},
                },
            },
            ["sweep = 'zip'", "'a': 2", "equally many"],
        ),
        (
            {
                "parameters": {
                    "x": {"set": "economics.carbon_price_usd_per_tonne", "values": [0, -5]}
                }
            },
            ["case 'x=-5'", "economics.carbon_price_usd_per_tonne = -5", "greater than or equal"],
        ),
        (
            {"baseline": "x=7", "parameters": {"x": {"set": "rules.max_sites", "values": [1, 2]}}},
            ["baseline = 'x=7'", "no case has this id"],
        ),
        ({"solve": {"threads": 4}}, ["solve", "'threads'", "unknown option"]),
        ({"solve": {"gap": 2}}, ["solve.gap = 2", "[0, 1)"]),
        (
            {"parameters": {"status": {"set": "rules.max_sites", "values": [1]}}},
            ["'status'", "clashes with a summary column"],
        ),
        ({"bogus": 1}, ["unknown field", "bogus"]),
        ({"base": "bundled:nowhere"}, ["bundled:nowhere", "unknown bundled scenario"]),
    ],
)
def test_validation_errors_name_field_value_rule(spec, words):
    data = {"base": "bundled:us_small", **spec}
    with pytest.raises((PortfolioError, pl.ScenarioError)) as info:
        pf = Portfolio.from_dict(data, source="spec.yaml")
        run = solve_portfolio(pf, executor="sequential", progress=False)
        del run
    message = str(info.value)
    for word in words:
        assert word in message, message


# ====================================================================== executors agree
def _check_run(run) -> None:
    assert run.solved == 12 and not run.failed
    assert set(run.table["status"]) == {"optimal"}
    check_verified(run)
    assert sorted(p.name for p in (run.out / "results").iterdir()) == sorted(
        f"{c.hash}.json" for c in run.cases
    )


def test_sequential_and_process_pool_give_the_same_objectives(tmp_path):
    pf = sweep12()
    sequential = solve_portfolio(
        pf, tmp_path / "seq", executor="sequential", progress=False, plots=False
    )
    pool = solve_portfolio(
        pf, tmp_path / "pool", executor="process", workers=2, progress=False, plots=False
    )
    for run in (sequential, pool):
        _check_run(run)
    np.testing.assert_allclose(
        pool.table.set_index("id")["objective"],
        sequential.table.set_index("id")["objective"],
        rtol=1e-9,
    )


@pytest.mark.slow
def test_dask_gives_the_same_objectives_as_sequential(tmp_path):
    distributed = pytest.importorskip("distributed")
    pf = sweep12()
    sequential = solve_portfolio(
        pf, tmp_path / "seq", executor="sequential", progress=False, plots=False
    )
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        dask = solve_portfolio(
            pf, tmp_path / "dask", scheduler=cluster.scheduler_address, progress=False, plots=False
        )
    _check_run(dask)
    np.testing.assert_allclose(
        dask.table.set_index("id")["objective"],
        sequential.table.set_index("id")["objective"],
        rtol=1e-9,
    )


@pytest.mark.slow
def test_dask_local_cluster_started_on_demand(tmp_path):
    pytest.importorskip("distributed")
    pf = Portfolio(
        base="bundled:us_small",
        parameters=[
            Override("carbon", path="economics.carbon_price_usd_per_tonne", values=[0, 80])
        ],
        solve=SOLVE,
    )
    run = solve_portfolio(pf, tmp_path, executor="dask", workers=2, progress=False, plots=False)
    assert run.solved == 2 and set(run.table["status"]) == {"optimal"}
    check_verified(run)


# ====================================================================== resume
def test_rerun_skips_every_stored_case(tmp_path):
    pf = sweep12()
    first = solve_portfolio(pf, tmp_path, executor="sequential", progress=False, plots=False)
    stamps = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "results").iterdir()}
    second = solve_portfolio(pf, tmp_path, executor="sequential", progress=False, plots=False)
    assert (first.solved, second.solved, second.skipped) == (12, 0, 12)
    assert stamps == {p.name: p.stat().st_mtime_ns for p in (tmp_path / "results").iterdir()}
    assert second.table["objective"].tolist() == first.table["objective"].tolist()
    loaded = load_batch(tmp_path)
    assert loaded.table["objective"].tolist() == first.table["objective"].tolist()
    assert loaded.sites["open_in"].tolist() == first.sites["open_in"].tolist()


# A batch run that SIGKILLs its own process group (workers included) right after its k-th
# result file is written: the fault lands at the same point every time, with work in flight.
KILLING_DRIVER = """
import os, signal, sys
from placement.batch import store
from placement.cli.batch import main

written = 0


def kill_after(count):
    write = store.ResultStore.write

    def write_then_maybe_die(self, record):
        global written
        path = write(self, record)
        written += 1
        if written == count:
            os.killpg(os.getpgrp(), signal.SIGKILL)
        return path

    store.ResultStore.write = write_then_maybe_die


if __name__ == "__main__":  # the pool's workers import this file too
    kill_after(int(sys.argv[1]))
    sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.slow
@pytest.mark.parametrize("kill_after", [1, 5])
def test_batch_killed_after_k_results_resumes_and_solves_each_case_once(tmp_path, kill_after):
    spec = tmp_path / "portfolio.yaml"
    spec.write_text(
        "base: us_small\n"
        "parameters:\n"
        "  carbon:\n"
        "    set: economics.carbon_price_usd_per_tonne\n"
        f"    values: {list(range(0, 120, 10))}\n"
        "solve: {time_limit: 120, gap: 1.0e-6}\n"
    )
    out = tmp_path / "out"
    driver = tmp_path / "driver.py"
    driver.write_text(KILLING_DRIVER)
    args = ["batch", str(spec), "--out", str(out), "--workers", "2", "--no-progress", "--no-plots"]
    killed = subprocess.run(
        [sys.executable, str(driver), str(kill_after), *args],
        start_new_session=True,  # its own process group: the kill takes the workers too
        capture_output=True,
        timeout=300,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    results = out / "results"
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in results.glob("*.json")}
    assert len(before) == kill_after
    for name in before:  # nothing half-written
        json.loads((results / name).read_text())

    command = [sys.executable, "-m", "placement.cli.batch", *args]
    done = subprocess.run(command, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()

    cases = Portfolio.from_file(spec).expand()
    files = sorted(results.glob("*.json"))
    assert sorted(p.name for p in files) == sorted(f"{c.hash}.json" for c in cases)
    assert not list(results.glob(".*")), "no temporary files left behind"
    for name, (stamp, content) in before.items():  # written once, never again
        assert (results / name).stat().st_mtime_ns == stamp
        assert (results / name).read_bytes() == content
    events = read_events(out / "log.jsonl")
    runs = [i for i, e in enumerate(events) if e["event"] == "run"]
    assert [events[i]["todo"] for i in runs] == [12, 12 - kill_after]
    resumed = [e["hash"] for e in events[runs[1] :] if e["event"] == "done"]
    stored_before = {name.removesuffix(".json") for name in before}
    assert len(resumed) == len(set(resumed)) == 12 - kill_after, "each missing case once"
    assert set(resumed) | stored_before == {c.hash for c in cases}
    run = load_batch(out)
    assert set(run.table["status"]) == {"optimal"}
    for case in cases:
        pl.verify(case.scenario, run.records[case.hash].result)


def test_infeasible_case_is_recorded_with_its_diagnosis(tmp_path):
    pf = Portfolio(
        base="bundled:us_small",
        parameters=[
            Override("slo", path="network.default_slo_ms", values=[50, 1]),
            Override("carbon", path="economics.carbon_price_usd_per_tonne", values=[0, 50]),
        ],
        solve=SOLVE,
    )
    run = solve_portfolio(pf, tmp_path, workers=2, progress=False)
    table = run.table.set_index("id")
    assert list(table["status"]) == ["optimal", "optimal", "infeasible", "infeasible"]
    for case_id in ("slo=1,carbon=0", "slo=1,carbon=50"):
        diagnosis = table.loc[case_id, "diagnosis"]
        assert "has no site" in diagnosis and "its SLO is 1 ms" in diagnosis, diagnosis
        assert table.loc[case_id, "message"].startswith("diagnosed infeasible before solving")
        assert np.isnan(table.loc[case_id, "delta_objective"])
    assert [c.id for c in run.failed] == ["slo=1,carbon=0", "slo=1,carbon=50"]
    assert not run.errors
    check_verified(run)
    csv = (tmp_path / "summary.csv").read_text()
    assert "infeasible" in csv


def test_exception_in_a_solve_is_recorded_as_error_and_the_batch_goes_on(tmp_path, monkeypatch):
    import placement.batch.executors as executors

    real = executors.solve

    def flaky(scenario, **options):
        if scenario.economics.carbon_price_usd_per_tonne == 50:
            raise RuntimeError("solver exploded")
        return real(scenario, **options)

    monkeypatch.setattr(executors, "solve", flaky)
    pf = Portfolio(
        base="bundled:us_small",
        parameters=[
            Override("carbon", path="economics.carbon_price_usd_per_tonne", values=[0, 50, 100])
        ],
        solve=SOLVE,
    )
    run = solve_portfolio(pf, tmp_path, executor="sequential", progress=False, plots=False)
    table = run.table.set_index("id")
    assert table.loc["carbon=50", "status"] == "error"
    assert "RuntimeError: solver exploded" in table.loc["carbon=50", "message"]
    assert list(table["status"]) == ["optimal", "error", "optimal"]
    assert [c.id for c in run.errors] == ["carbon=50"]
    assert "Traceback" in run.record("carbon=50").traceback
    check_verified(run)
    # A re-run keeps the error unless asked to retry it.
    monkeypatch.setattr(executors, "solve", real)
    again = solve_portfolio(pf, tmp_path, executor="sequential", progress=False, plots=False)
    assert again.solved == 0 and again.result("carbon=50").status is pl.Status.ERROR
    fixed = solve_portfolio(
        pf, tmp_path, executor="sequential", progress=False, plots=False, retry_errors=True
    )
    assert fixed.solved == 1 and fixed.result("carbon=50").status is pl.Status.OPTIMAL
    assert fixed.record("carbon=50").attempt == 2


# ====================================================================== tables and plots
def test_summary_deltas_site_robustness_and_files(tmp_path):
    pf = Portfolio(
        base="bundled:us_small",
        parameters=[
            Override("carbon", path="economics.carbon_price_usd_per_tonne", values=[0, 100]),
            Scale(
                "tx_power",
                path="sites.*.energy_price_usd_per_mwh",
                where={"state": "TX"},
                values=[1.0, 1.3],
            ),
        ],
        baseline={"carbon": 100, "tx_power": 1.0},
        solve=SOLVE,
    )
    run = solve_portfolio(pf, tmp_path, executor="sequential", progress=False)
    check_verified(run)
    table = run.table.set_index("id")
    assert run.baseline.id == "carbon=100,tx_power=1"
    assert table["is_baseline"].sum() == 1
    base = table.loc["carbon=100,tx_power=1"]
    assert base["delta_objective"] == 0 and base["delta_objective_pct"] == 0
    other = table.loc["carbon=0,tx_power=1"]
    assert other["delta_objective"] == pytest.approx(other["objective"] - base["objective"])
    assert other["objective"] < base["objective"]  # carbon costs money
    costs = [c for c in table.columns if c.startswith("cost_") and c != "cost_excl_latency"]
    assert len(costs) == len(pl.results.result.COST_COMPONENTS)
    np.testing.assert_allclose(table[costs].sum(axis=1), table["objective"], rtol=1e-9)
    assert list(table.columns[:2]) == ["carbon", "tx_power"]
    # Robustness: the per-site counts add up to the sites opened over all cases.
    sites = run.sites.set_index("site")
    assert sites["open_in"].sum() == table["open_sites"].sum()
    assert (sites["candidate_in"] == 4).all()
    for name in ("summary.csv", "sites.csv", "cost_vs_rtt.png", "sensitivity.png"):
        assert (tmp_path / name).stat().st_size > 0
    assert (tmp_path / "cost_vs_rtt.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if pytest.importorskip("pyarrow"):
        import pandas as pd

        back = pd.read_parquet(tmp_path / "summary.parquet")
        assert back["objective"].tolist() == run.table["objective"].tolist()


def test_parquet_without_pyarrow_says_how_to_fix(tmp_path, monkeypatch):
    import pandas as pd

    from placement.batch.summary import write_tables

    monkeypatch.setitem(sys.modules, "pyarrow", None)
    frame = pd.DataFrame({"a": [1, 2]})
    paths, notes = write_tables(tmp_path, frame, frame)
    assert [p.name for p in paths] == ["summary.csv", "sites.csv"]
    assert notes and "pip install pyarrow" in notes[0]


# ====================================================================== command line
def test_cli_registers_batch_and_pareto(tmp_path, capsys):
    import argparse

    from placement.cli import batch as cli

    parser = argparse.ArgumentParser(prog="placement")
    cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["batch", "p.yaml", "--out", str(tmp_path), "--workers", "2"])
    assert args.func is cli.run_batch and args.workers == 2 and args.executor == "process"
    args = parser.parse_args(["pareto", "bundled:us_small", "--points", "3", "--out", "x"])
    assert args.func is cli.run_pareto and args.points == 3
    assert (
        cli.main(
            [
                "batch",
                str(ROOT / "examples" / "portfolio.yaml"),
                "--out",
                str(tmp_path),
                "--dry-run",
            ]
        )
        == 0
    )
    assert "carbon=100,tx_power=1.3,growth=1.5" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text("base: bundled:us_small\nparameters: {x: {set: nope, values: [1]}}\n")
    assert cli.main(["batch", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "'nope' is not a field" in capsys.readouterr().err
