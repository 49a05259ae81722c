"""Near-optimal alternatives (``solve(..., alternatives=N)``), worked out by hand.

Four sites that can each serve the one region alone (no SLO, no latency penalty, nothing costs
but the fixed cost): a 1e6, b 2e6, c 3.5e6, d 10e6. The plans by cost are {a} 1e6, {b} 2e6,
{a, b} 3e6, {c} 3.5e6, {a, c} 4.5e6, …
"""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path

import pytest
from conftest import region, scenario, site
from hypothesis import given, settings
from hypothesis import strategies as st

import placement as pl
from placement.cli import app as cli
from placement.datasets.synthetic import random_ai_scenario

FIXED = {"a": 1e6, "b": 2e6, "c": 3.5e6, "d": 10e6}


def _four() -> pl.Scenario:
    return scenario(
        sites=[
            site(s, 40.0, -74.0 - n, fixed_cost_usd_per_year=f)
            for n, (s, f) in enumerate(FIXED.items())
        ],
        regions=[region("r", 40.0, -75.0, population=1e6, demand_mw=10.0)],
    )


def _sites(plan: pl.PlacementResult) -> set[str]:
    return set(plan.open_sites)


def test_the_n_best_come_back_cheapest_first_and_pairwise_different():
    plans = pl.solve(_four(), alternatives=5)
    assert isinstance(plans, pl.Alternatives) and plans.mode == "best"
    assert plans.verified and len(plans) == 5
    assert [_sites(p) for p in plans] == [{"a"}, {"b"}, {"a", "b"}, {"c"}, {"a", "c"}]
    assert [p.objective for p in plans] == pytest.approx([1e6, 2e6, 3e6, 3.5e6, 4.5e6], rel=1e-9)
    for p, q in itertools.combinations(plans, 2):
        assert _sites(p) != _sites(q)
    table = plans.table()
    assert [row["vs_best_usd_per_year"] for row in table] == pytest.approx(
        [0.0, 1e6, 2e6, 2.5e6, 3.5e6], abs=1e-3
    )
    assert [(row["opened"], row["closed"]) for row in table] == [
        ("", ""), ("b", "a"), ("b", ""), ("c", "a"), ("c", "")
    ]  # fmt: skip
    assert [row["distance_to_best"] for row in table] == [0, 2, 1, 2, 1]


def test_diverse_plans_within_a_budget_differ_most():
    """Within 260 % (budget 1e6 + 2.6e6 = 3.6e6): after {a}, {b} and {c} are both 2 away and
    {b} is cheaper; then {c} is 2 away from both while {a, b} is 1 away: three diverse plans
    skip {a, b}, which the best-three search takes third."""
    three = pl.solve(_four(), alternatives=3, within=2.6)
    assert three.mode == "diverse" and three.verified
    assert [_sites(p) for p in three] == [{"a"}, {"b"}, {"c"}]
    assert [p.objective for p in three] == pytest.approx([1e6, 2e6, 3.5e6], rel=1e-9)
    for plan in three:
        assert plan.bound == pytest.approx(three.best.bound)
    # asked for five: {a, b} comes fourth (sorted by cost: third), then nothing fits
    five = pl.solve(_four(), alternatives=5, within=2.6)
    assert [_sites(p) for p in five] == [{"a"}, {"b"}, {"a", "b"}, {"c"}]
    assert "no other plan within the budget" in five.note
    assert max(p.objective for p in five) <= 3.6e6 * (1 + 1e-9)


def test_only_as_many_plans_as_there_are_selections():
    """One candidate site that must open: no second plan, and the note says so."""
    scn = scenario(
        sites=[site("only", 40.0, -74.0)],
        regions=[region("r", 40.0, -75.0, population=1e6, demand_mw=1.0)],
        rules={"must_open": ["only"]},
    )
    plans = pl.solve(scn, alternatives=3)
    assert len(plans) == 1 and plans.verified
    assert "no other distinct facility selection" in plans.note


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"alternatives": 0}, "alternatives"), ({"alternatives": 2.5}, "alternatives"),
     ({"alternatives": 2, "within": -0.1}, "within"), ({"within": 0.1}, "within")],
)  # fmt: skip
def test_bad_alternative_requests_name_the_field(kwargs, field):
    with pytest.raises(pl.SolverOptionError, match=f"^{field} = "):
        pl.solve(_four(), **kwargs)


def test_cli_alternatives_tabulates_and_writes_the_plans(tmp_path: Path, capsys):
    path = _four().to_file(tmp_path / "four.yaml")
    out = tmp_path / "out"
    code = cli.main(["solve", str(path), "--out", str(out), "--no-map", "--alternatives", "3"])
    captured = capsys.readouterr().out
    assert code == 0
    assert "Alternatives (best): 3 of 3 plans" in captured
    with (out / "alternatives.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [float(r["objective_usd_per_year"]) for r in rows] == pytest.approx([1e6, 2e6, 3e6])
    loaded = pl.Alternatives.from_json(out / "alternatives.json")
    for plan in loaded:
        pl.verify(_four(), plan)
    assert json.loads((out / "result.json").read_text())["objective"] == pytest.approx(1e6)


@settings(max_examples=6, deadline=None, derandomize=True, database=None)
@given(
    st.integers(min_value=3, max_value=6),
    st.integers(min_value=4, max_value=20),
    st.integers(min_value=0, max_value=2),
    st.integers(min_value=0, max_value=10_000),
    st.sampled_from([None, 0.05, 0.2]),
)
def test_alternatives_verify_and_order(n_sites, n_regions, n_clusters, seed, within):
    """Every plan verifies, plan 1 is the plain optimum, the rest do not undercut it, come
    back in non-decreasing cost, open pairwise different sets, and keep within the budget."""
    scn = random_ai_scenario(n_sites, n_regions, n_clusters, seed, slo_ms=None)
    plans = pl.solve(scn, alternatives=3, within=within, gap=1e-7)
    plain = pl.solve(scn, gap=1e-7)
    assert plans.verified
    assert plans.best.objective == pytest.approx(plain.objective, rel=1e-6)
    costs = [p.objective for p in plans]
    assert all(b >= a * (1 - 1e-6) for a, b in itertools.pairwise(costs))
    sets = [pl.results.alternatives.facilities_of(p) for p in plans]
    assert len(set(sets)) == len(sets)
    if within is not None:
        assert max(costs) <= plans.best.objective * (1 + within) * (1 + 1e-6)


def test_a_later_plan_says_what_counts_as_different():
    plans = pl.solve(_four(), alternatives=2)
    assert "cooling and hardware choices may differ too but do not count" in plans[1].message
    assert "plan 2: the cheapest placement whose open facilities differ" in plans[1].message
