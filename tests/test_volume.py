"""Correctness at volume (``benchmarks/volume.py``): two independent routes must agree.

The full run (1,000 scenarios; ``python -m benchmarks.volume``) is published in
``docs/robustness.md``; CI runs a smaller size.
"""

from __future__ import annotations

import numpy as np
import pytest

import placement as pl
from benchmarks import volume


def test_every_feature_is_drawn_and_scenarios_are_seeded(tmp_path):
    used = set()
    for seed in range(40):
        scenario, features = volume.featured_scenario(seed, tmp_path)
        again, _ = volume.featured_scenario(seed, tmp_path)
        assert again == scenario
        used |= features
    assert used == set(volume.FEATURES)


@pytest.mark.parametrize(
    ("seed", "finding"),
    [
        (731, "SCIP opened a site at 8.8e-7 (its integrality tolerance) to serve 10 % of a region"),
        (737, "HiGHS's MIP after an LP returned a worse incumbent's values as 'optimal'"),
        (774, "a tolerance share at a closed site, with the region's other site at its cap"),
        (245, "at a feasibility tolerance of 1e-9, SCIP proved a wrong optimum, 0.27 % high"),
    ],
)
def test_the_scenarios_of_the_first_full_run_that_failed_now_agree(tmp_path, seed, finding):
    outcome = volume.check(seed, tmp_path)
    assert outcome.verdict == "optimal-agree", f"{finding}: {outcome.detail}"
    assert all(outcome.verified.values())


def test_a_few_scenarios_agree(tmp_path):
    for seed in (0, 1, 2):
        outcome = volume.check(seed, tmp_path)
        assert outcome.verdict in ("optimal-agree", "infeasible-agree"), outcome.detail


@pytest.mark.slow
def test_volume_script_at_ci_size(capsys):
    assert volume.main(["--scenarios", "40", "--first-seed", "1000"]) == 0
    out = capsys.readouterr().out
    assert "verified and agreeing: 40/40" in out, out


def test_the_routes_are_independent():
    strong, weak = volume.ROUTES.values()
    assert (strong.formulation, strong.solver) != (weak.formulation, weak.solver)
    assert strong.solver != weak.solver and strong.formulation != weak.formulation
    assert pl.SolveOptions(**strong.as_dict()) == strong


@pytest.mark.parametrize("soft", [False, True])
def test_a_tolerance_share_at_a_closed_site_goes_to_the_regions_open_sites(soft):
    """The decoder's side of seed 94, on hand data: region r0 (0.01 MW) has 5e-5 of its
    demand at closed site b (5e-7 MW of b's power row: inside a solver's tolerance)."""
    from conftest import region, scenario, site

    from placement.formulations import build
    from placement.model.data import build_model_data
    from placement.results.decode import read_decisions

    scn = scenario(
        sites=[site("a", 40.0, -100.0), site("b", 41.0, -100.0)],
        regions=[region("r0", 40.5, -100.0, population=100.0, demand_mw=0.01)],
        economics={"unserved_penalty_usd_per_mw_year": 1e6} if soft else {},
        rules={"max_share_per_site": 0.99995 if soft else 1.0},
    )
    data = build_model_data(scn)
    built = build(data, "weak")
    values = np.zeros(built.model.num_vars)
    values[built.columns.open] = [1.0, 0.0]
    shares = {int(data.serving.site[k]): k for k in range(len(data.serving))}
    leak = 5e-5
    values[built.columns.serve[shares[0]]] = min(1.0 - leak, data.max_share)
    values[built.columns.serve[shares[1]]] = leak
    if soft:  # the rest that a capped open site cannot take is unserved
        values[built.columns.unserved[0]] = 1.0 - leak - data.max_share
    decisions = read_decisions(built, data, values)
    assert decisions.serve[shares[1]] == 0.0
    served = decisions.serve[shares[0]] + decisions.unserved[0]
    assert served == pytest.approx(1.0, abs=1e-12)
    assert decisions.serve[shares[0]] <= data.max_share


def test_a_tolerance_share_fills_the_open_sites_below_the_cap_first():
    """Seed 774's shape: share cap 0.5, one open site at the cap, the other 2.4e-5 short, the
    rest at a closed site: all of it must go to the site with room."""
    from conftest import region, scenario, site

    from placement.formulations import build
    from placement.model.data import build_model_data
    from placement.results.decode import read_decisions

    scn = scenario(
        sites=[site("a", 40.0, -100.0), site("b", 41.0, -100.0), site("c", 40.2, -100.0)],
        regions=[region("r0", 40.5, -100.0, population=100.0, demand_mw=0.02)],
        rules={"max_share_per_site": 0.5},
    )
    data = build_model_data(scn)
    built = build(data, "weak")
    values = np.zeros(built.model.num_vars)
    values[built.columns.open] = [1.0, 0.0, 1.0]
    pair = {int(data.serving.site[k]): k for k in range(len(data.serving))}
    leak = 2.4e-5
    values[built.columns.serve[pair[0]]] = 0.5
    values[built.columns.serve[pair[1]]] = leak
    values[built.columns.serve[pair[2]]] = 0.5 - leak
    serve = read_decisions(built, data, values).serve
    assert serve[pair[1]] == 0.0
    assert serve[pair[0]] == pytest.approx(0.5, abs=1e-15)
    assert serve[pair[2]] == pytest.approx(0.5, abs=1e-12)


def test_optimal_is_claimed_only_within_the_gap_of_the_proven_bound():
    """A solver's "optimal" whose values cost more than the gap above its bound is feasible."""
    from placement.milp.solution import RawSolution, Termination
    from placement.solving.solve import _proven

    def raw(bound):
        return RawSolution(Termination.OPTIMAL, "", np.zeros(1), 100.0, bound, 0.0)

    assert _proven(raw(527.2e6), 527.2e6 * (1 + 1e-7), gap=1e-6)
    assert not _proven(raw(527.2e6), 529.99e6, gap=1e-6)  # seed 737 before the fix
    assert _proven(raw(None), 5.0, gap=1e-6)  # no bound: the solver's word
    assert _proven(raw(0.0), 1e-7, gap=0.0)  # micro-dollars are rounding
