"""OR-Library capacitated warehouse location: every instance to Beasley's proven optimum."""

from __future__ import annotations

import pytest
from conftest import ORLIB, solve_verified

import placement as pl
from placement.datasets.synthetic import random_cflp

ALL = [f"cap{n}" for n in (41, 42, 43, 44, 51, 61, 62, 63, 64, 71, 72, 73, 74)] + [
    f"cap{g}{v}" for g in (8, 9, 10, 11, 12, 13) for v in (1, 2, 3, 4)
]
SUBSET = ["cap41", "cap64", "cap74", "cap84", "cap104", "cap113", "cap131"]


def test_reader_maps_the_format_exactly():
    scn = pl.io.read_orlib_cflp(ORLIB / "cap41.txt")
    assert (len(scn.sites), len(scn.regions)) == (16, 50)
    assert scn.sites[0].power_mw == 5000 and scn.sites[0].fixed_cost_usd_per_year == 7500
    assert scn.sites[10].fixed_cost_usd_per_year == 0  # warehouse 11 is free in cap41
    assert scn.regions[0].demand_mw == 146
    assert scn.pair_costs_usd_per_year["w1"]["c1"] == pytest.approx(6739.725)
    assert sum(r.demand_mw for r in scn.regions) == 58268


def test_all_37_optima_listed(orlib_optima):
    assert sorted(orlib_optima) == sorted(ALL)


@pytest.mark.parametrize("name", ALL)
def test_default_settings_reach_the_known_optimum(name, orlib_optima):
    scn = pl.io.read_orlib_cflp(ORLIB / f"{name}.txt")
    res = solve_verified(scn)
    assert res.status is pl.Status.OPTIMAL
    assert res.objective == pytest.approx(orlib_optima[name], rel=1e-6)
    assert res.bound <= res.objective + 1e-6


@pytest.mark.parametrize("name", SUBSET)
@pytest.mark.parametrize(
    ("formulation", "solver"), [("weak", "highs"), ("strong", "scip"), ("weak", "scip")]
)
def test_formulations_and_backends_agree(name, formulation, solver, orlib_optima):
    scn = pl.io.read_orlib_cflp(ORLIB / f"{name}.txt")
    res = solve_verified(scn, formulation=formulation, solver=solver)
    assert res.status is pl.Status.OPTIMAL
    assert res.objective == pytest.approx(orlib_optima[name], rel=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(set(ALL) - set(SUBSET)))
@pytest.mark.parametrize(
    ("formulation", "solver"), [("weak", "highs"), ("strong", "scip"), ("weak", "scip")]
)
def test_every_instance_every_combination(name, formulation, solver, orlib_optima):
    scn = pl.io.read_orlib_cflp(ORLIB / f"{name}.txt")
    res = solve_verified(scn, formulation=formulation, solver=solver)
    assert res.objective == pytest.approx(orlib_optima[name], rel=1e-6)


def test_single_source_is_diagnosed_when_a_customer_outgrows_every_warehouse():
    scn = pl.io.read_orlib_cflp(ORLIB / "cap41.txt")  # a customer of 12,912 vs 5,000 capacity
    res = solve_verified(scn, formulation="single_source")
    assert res.status is pl.Status.INFEASIBLE
    assert any("single site" in m and "5,000.0 MW" in m for m in res.diagnosis)


def test_single_source_on_cpsat_matches_highs_and_is_no_cheaper_than_split():
    scn = random_cflp(8, 20, seed=1)  # small enough for CP-SAT to prove optimality
    split = solve_verified(scn)
    highs = solve_verified(scn, formulation="single_source")
    cpsat = solve_verified(scn, formulation="single_source", solver="cpsat", threads=2)
    assert highs.status is pl.Status.OPTIMAL and cpsat.status is pl.Status.OPTIMAL
    assert cpsat.objective == pytest.approx(highs.objective, rel=1e-6)
    assert highs.objective >= split.objective - 1e-6
    assert all(a.share == 1.0 for a in highs.serving)


def test_cpsat_refuses_continuous_formulations():
    scn = random_cflp(3, 4, seed=0)
    with pytest.raises(pl.SolverOptionError, match="single_source"):
        pl.solve(scn, solver="cpsat")


def test_bad_orlib_file_names_the_problem(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("2 3\n10 5\n")
    with pytest.raises(pl.ScenarioError, match="2 warehouses × 3 customers"):
        pl.io.read_orlib_cflp(bad)


def test_benchmark_table_of_all_37(capsys):
    from benchmarks.orlib import main

    assert main([]) == 0
    out = capsys.readouterr().out
    assert "37 of 37 at the known optimum" in out
    assert out.splitlines()[0].split() == [
        "instance",
        "optimum",
        "ours",
        "deviation",
        "build",
        "s",
        "solve",
        "s",
    ]
