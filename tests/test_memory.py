"""Memory known before it is spent: the estimate counts the model it predicts, and a solve
that would not fit is refused before anything is built, with what to change."""

from __future__ import annotations

import pytest

import placement as pl
from placement.datasets.synthetic import random_cflp
from placement.errors import SolverOptionError
from placement.formulations import FORMULATIONS, build
from placement.model.data import build_model_data
from placement.solving import memory

SCENARIOS = {
    "cflp": lambda: random_cflp(20, 100, seed=3),
    "us_small": lambda: pl.datasets.us_small(),
    "us_small_legacy": lambda: pl.datasets.us_small(menus=False),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
@pytest.mark.parametrize("formulation", sorted(FORMULATIONS))
def test_the_estimate_counts_every_variable_the_formulation_builds(name, formulation):
    data = build_model_data(SCENARIOS[name]())
    expected = memory.estimate(data)
    built = build(data, formulation).model.num_vars
    assert built <= expected.variables <= 1.01 * built + 100
    assert expected.peak_bytes == memory.BASE_BYTES + memory.BYTES_PER_VARIABLE * expected.variables


def test_a_solve_that_would_not_fit_is_refused_before_building(monkeypatch):
    monkeypatch.setenv(memory.LIMIT_VARIABLE, "10M")
    scenario = random_cflp(20, 100, seed=3)
    result = pl.solve(scenario)
    assert result.status is pl.Status.NO_SOLUTION
    assert result.message.startswith("refused before building the model")
    for advice in ("GiB", "variables", "slo_ms", memory.LIMIT_VARIABLE):
        assert advice in result.message
    assert result.model_size == {} or not result.model_size  # nothing was built
    pl.verify(scenario, result)


def test_the_check_can_be_raised_or_turned_off(monkeypatch):
    scenario = random_cflp(20, 100, seed=3)
    monkeypatch.setenv(memory.LIMIT_VARIABLE, "off")
    monkeypatch.setattr(memory, "available_bytes", lambda: 1)  # a machine with no memory left
    off = pl.solve(scenario)
    monkeypatch.setenv(memory.LIMIT_VARIABLE, "64G")
    raised = pl.solve(scenario)
    monkeypatch.delenv(memory.LIMIT_VARIABLE)
    refused = pl.solve(scenario)
    assert off.status is raised.status is pl.Status.OPTIMAL
    assert off.objective == pytest.approx(raised.objective, rel=1e-9)
    assert refused.status is pl.Status.NO_SOLUTION
    for result in (off, raised, refused):
        pl.verify(scenario, result)


@pytest.mark.parametrize("text", ["lots", "-5G", "0", "8X", ""])
def test_a_bad_limit_names_the_variable_and_the_rule(monkeypatch, text):
    if not text:
        monkeypatch.setenv(memory.LIMIT_VARIABLE, "")
        assert memory.limit_bytes() == memory.available_bytes()
        return
    monkeypatch.setenv(memory.LIMIT_VARIABLE, text)
    with pytest.raises(SolverOptionError, match=memory.LIMIT_VARIABLE + ".*positive size"):
        memory.limit_bytes()


def test_sizes_parse_with_binary_suffixes(monkeypatch):
    for text, expected in [("512M", 512 * 2**20), ("8G", 8 * 2**30), ("1.5GiB", 3 * 2**29)]:
        monkeypatch.setenv(memory.LIMIT_VARIABLE, text)
        assert memory.limit_bytes() == expected


def test_the_machine_reports_available_memory():
    available = memory.available_bytes()
    assert available is None or available > 0
