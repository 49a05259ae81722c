"""Fuzzing every input (``benchmarks/fuzz.py``): a seeded subset here, and each crash it found.

The full run (10,000 cases; ``python -m benchmarks.fuzz``) is published in
``docs/robustness.md``. Every test below named after a finding failed before its fix.
"""

from __future__ import annotations

import json

import pytest

import placement as pl
from benchmarks import fuzz
from placement.batch import Portfolio, PortfolioError
from placement.model.schema import capital_recovery_factor


def check(report: fuzz.Report, *, every_entry_point: bool = True) -> None:
    """No failure; and every entry point ran (or, for a small run, every kind of input)."""
    assert not report.failures, report.text(0)
    ran = {(kind, action) for (kind, action, _), count in report.counts.items() if count}
    if every_entry_point:
        wanted = {(kind, action) for kind, actions in fuzz.ACTIONS.items() for action in actions}
    else:
        wanted = {(kind, "") for kind in fuzz.ACTIONS}
        ran = {(kind, "") for kind, _ in ran}
    assert wanted <= ran, f"never ran: {sorted(wanted - ran)}"


def test_a_seeded_subset_of_the_fuzzing_finds_nothing():
    report = fuzz.fuzz(120, seed=fuzz.DEFAULT_SEED, maps=False)  # maps: the slow run
    assert report.cases == 120
    check(report, every_entry_point=False)  # the slow run covers every entry point
    assert sum(n for (_, _, r), n in report.counts.items() if r == "ok") >= 12
    assert sum(n for (_, _, r), n in report.counts.items() if r == "rejected") >= 30


@pytest.mark.slow
def test_a_larger_seeded_fuzz_finds_nothing():
    check(fuzz.fuzz(1_000, seed=1_414))


def test_the_seed_documents_are_valid_and_solve(tmp_path):
    for name, data in (
        ("plain", fuzz.seed_scenario()),
        ("backbone", fuzz.seed_scenario_with_backbone()),
    ):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(data))
        (tmp_path / "net.graphml").write_text(fuzz.BACKBONE)
        scenario = pl.Scenario.from_file(path)
        result = pl.solve(scenario)
        assert result.status is pl.Status.OPTIMAL, result.message
        pl.verify(scenario, result)
    (tmp_path / "base.yaml").write_text(json.dumps(fuzz.seed_scenario()))
    for inline in (False, True):
        spec = tmp_path / "portfolio.json"
        spec.write_text(json.dumps(fuzz.seed_portfolio(inline)))
        assert len(Portfolio.from_file(spec).expand()) == 16


# ====================================================================== findings, fixed
def test_a_portfolio_that_is_not_text_names_the_file(tmp_path):
    spec = tmp_path / "p.yaml"
    spec.write_bytes(b"\xff\xfebase: us_small\n")
    with pytest.raises(PortfolioError, match=r"p\.yaml: not a UTF-8 text file \(byte 0"):
        Portfolio.from_file(spec)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"base": 3.5}, "base = 3.5: must be a scenario file path"),
        ({"base": [1]}, "base = [1]: must be a scenario file path"),
        ({"scenarios": 7}, "scenarios = 7: must be a folder or a list of scenario files"),
        ({"scenarios": [None]}, "scenarios = [None]: must be a folder or a list"),
        ({"base": "us_small", "sweep": ["zip"]}, "sweep = ['zip']: must be 'cartesian' or 'zip'"),
    ],
)
def test_portfolio_fields_of_the_wrong_type_are_errors_not_crashes(tmp_path, spec, expected):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(spec))
    with pytest.raises(PortfolioError) as info:
        Portfolio.from_file(path).expand()
    assert expected in str(info.value) and str(path) in str(info.value)


def test_a_byte_order_mark_is_accepted(tmp_path):
    for suffix in (".json", ".yaml"):
        path = tmp_path / f"bom{suffix}"
        path.write_bytes(b"\xef\xbb\xbf" + json.dumps(fuzz.seed_scenario()).encode())
        assert pl.Scenario.from_file(path).name == "fuzz-seed"
    spec = tmp_path / "p.json"
    spec.write_bytes(b"\xef\xbb\xbf" + b'{"base": "us_small"}')
    assert Portfolio.from_file(spec).expand()


def test_an_orlib_error_shows_a_long_token_shortened(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text("9" * 5000 + " 3\n")
    with pytest.raises(pl.ScenarioError) as info:
        pl.io.read_orlib_cflp(path)
    message = str(info.value)
    assert len(message) < 400 and "(5000 chars)" in message, message


@pytest.mark.parametrize(
    ("where", "value", "field"),
    [
        (("sites", 2, "power_mw"), 1e30, "sites[2].power_mw"),  # was "HiGHS: Empty"
        (("regions", 5, "population"), 7e305, "regions[5].population"),  # cost overflow
        (("sites", 0, "carbon_kg_per_mwh"), 6.95e223, "sites[0].carbon_kg_per_mwh"),
        (("economics", "hours_per_year"), 6.2e16, "economics.hours_per_year"),
        (("economics", "lifetime_years"), 1e-300, "economics.lifetime_years"),  # 1/0 in reports
        (("network", "fiber_km_per_ms"), 1e-300, "network.fiber_km_per_ms"),  # RTT = inf
        (("rules", "max_sites"), 10**400, "rules.max_sites"),  # int overflow in numpy
        (("training", 0, "gpus"), 10**30, "training[0].gpus"),
    ],
)
def test_absurd_magnitudes_are_invalid_input_naming_the_field(tmp_path, where, value, field):
    data = fuzz.seed_scenario()
    target = data
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    with pytest.raises(pl.ScenarioError) as info:
        pl.Scenario.from_dict(data)
    assert f"{field} = " in str(info.value), str(info.value)


def test_the_capital_recovery_factor_of_a_tiny_rate_is_one_over_n():
    assert capital_recovery_factor(1e-300, 15.0) == pytest.approx(1 / 15, rel=1e-12)
    assert capital_recovery_factor(0.08, 15.0) == pytest.approx(0.1168295449, rel=1e-9)
    assert capital_recovery_factor(0.0, 20.0) == 0.05


@pytest.mark.filterwarnings("ignore::UserWarning")  # the bundled data's documented gaps
def test_the_bundled_scenarios_respect_the_magnitude_limits():
    for scenario in (pl.datasets.us_small(), pl.datasets.us_default()):
        assert pl.Scenario.from_dict(scenario.to_dict()) == scenario


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"gap": 10**400}, "gap = 1000000000000000000000000000000000000000… (401 characters)"),
        ({"time_limit": 10**400}, "time_limit = 1000"),
        ({"seed": -1}, "seed = -1: must be from 0 to 2,147,483,647"),
        ({"seed": 10**30}, "seed = 1000000000000000000000000000000: must be from 0"),
        ({"threads": 100_000}, "threads = 100000: must be from 1 to 1,024"),  # was: abort()
        ({"lp_nodes": 10**30}, "lp_nodes = 1000000000000000000000000000000: must be from 0"),
    ],
)
def test_solve_options_out_of_the_solvers_range_are_refused(options, expected):
    with pytest.raises(pl.SolverOptionError) as info:
        pl.SolveOptions(**options)
    assert expected in str(info.value)


def test_cli_refuses_a_thread_count_that_would_abort_the_process(tmp_path, capsys):
    from placement.cli.app import main

    assert main(["solve", "us_small", "--threads", "100000", "--out", str(tmp_path)]) == 2
    assert "threads = 100000: must be from 1 to 1,024" in capsys.readouterr().err
