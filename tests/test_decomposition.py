"""The Lagrangian decomposition: valid bounds, honest statuses, verified answers.

Every answer goes through :func:`placement.verify`; every bound is checked against a known
optimum (Beasley's, or the plain MILP's proven one); no wall-clock is asserted.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pytest
from conftest import ORLIB, region, scenario, site

import placement as pl
from placement.datasets.synthetic import random_ai_scenario, random_cflp, random_menu_scenario
from placement.decomposition import solve_decomposition, unsupported_features
from placement.decomposition.classic import classic_view
from placement.decomposition.primal import PrimalSolver
from placement.decomposition.relaxation import (
    Evaluator,
    Fixings,
    build_relaxation,
    covering_knapsack,
    forced_selection_values,
)
from placement.decomposition.search import Search
from placement.decomposition.solve import initial_multipliers
from placement.model.data import build_model_data
from placement.solving.decomposed import Choice, choose

FAST_ORLIB = ("cap41", "cap71", "cap101", "cap131")
ALL_ORLIB = sorted(
    pl.io.read_orlib_optima(ORLIB / "capopt.txt"), key=lambda name: (len(name), name)
)


def decompose(scn: pl.Scenario, **options) -> pl.PlacementResult:
    """Solve by decomposition through ``placement.solve`` and verify the answer independently."""
    result = pl.solve(scn, method="decomposition", **{"time_limit": 120.0, "gap": 1e-6, **options})
    diagnosed = result.status is pl.Status.INFEASIBLE and bool(result.diagnosis)
    assert result.method == "decomposition" or diagnosed, result.message
    pl.verify(scn, result)
    return result


def milp(scn: pl.Scenario) -> pl.PlacementResult:
    """The plain MILP's answer (the reference), verified."""
    result = pl.solve(scn, method="milp", gap=1e-7)
    pl.verify(scn, result)
    return result


def assert_consistent(result: pl.PlacementResult, reference: pl.PlacementResult) -> None:
    """The decomposition never claims a bound above the MILP's proven optimum, and matches it
    when both are proven."""
    if reference.status is pl.Status.INFEASIBLE:
        assert result.status is pl.Status.INFEASIBLE
        return
    assert reference.status is pl.Status.OPTIMAL
    optimum = reference.objective
    if result.bound is not None:
        assert result.bound <= optimum + 2e-6 * abs(optimum)
    assert result.status is pl.Status.OPTIMAL
    assert result.gap <= 1e-6
    assert result.objective == pytest.approx(optimum, rel=2e-6)


# ---------------------------------------------------------------------------- OR-Library
def _orlib(name: str, optima: dict[str, float]) -> None:
    scn = pl.io.read_orlib_cflp(ORLIB / f"{name}.txt")
    result = decompose(scn)
    optimum = optima[name]
    assert result.status is pl.Status.OPTIMAL
    assert result.objective == pytest.approx(optimum, rel=1e-6)
    assert result.bound <= optimum * (1 + 1e-9)
    assert result.objective - result.bound <= 1e-6 * result.objective
    assert "Lagrangian" in result.message


@pytest.mark.parametrize("name", FAST_ORLIB)
def test_orlib_instances_reach_beasleys_optimum(name, orlib_optima):
    _orlib(name, orlib_optima)


@pytest.mark.slow
@pytest.mark.parametrize("name", ALL_ORLIB)
def test_all_orlib_instances_reach_beasleys_optimum(name, orlib_optima):
    _orlib(name, orlib_optima)


# ---------------------------------------------------------------------------- hand-made
def test_one_region_goes_to_the_cheaper_site_including_fixed_cost():
    scn = scenario(
        sites=[
            site("a", 40.0, -100.0, fixed_cost_usd_per_year=100.0),
            site("b", 41.0, -100.0, fixed_cost_usd_per_year=10.0),
        ],
        regions=[region("r", 40.5, -100.0, demand_mw=1.0)],
        pair_costs_usd_per_year={"a": {"r": 5.0}, "b": {"r": 50.0}},
    )
    result = decompose(scn)
    assert result.status is pl.Status.OPTIMAL
    assert result.open_sites == ("b",)
    assert result.objective == pytest.approx(60.0)
    assert result.bound == pytest.approx(60.0, abs=1e-6)


def test_capacity_forces_a_second_site_and_a_split_region():
    scn = scenario(
        sites=[
            site("a", 40.0, -100.0, power_mw=6.0, fixed_cost_usd_per_year=10.0),
            site("b", 41.0, -100.0, power_mw=6.0, fixed_cost_usd_per_year=10.0),
        ],
        regions=[region("r", 40.5, -100.0, demand_mw=10.0)],
        pair_costs_usd_per_year={"a": {"r": 100.0}, "b": {"r": 200.0}},
    )
    result = decompose(scn)
    # 6 MW from a (share 0.6, 60) and 4 MW from b (share 0.4, 80) plus both fixed costs
    assert result.status is pl.Status.OPTIMAL
    assert set(result.open_sites) == {"a", "b"}
    assert result.objective == pytest.approx(20.0 + 60.0 + 80.0)
    assert result.shares_of("r") == pytest.approx({"a": 0.6, "b": 0.4})


def test_unserved_demand_when_no_site_is_worth_opening():
    scn = scenario(
        sites=[site("a", 40.0, -100.0, fixed_cost_usd_per_year=1e9)],
        regions=[region("r", 40.5, -100.0, demand_mw=2.0)],
        economics={"unserved_penalty_usd_per_mw_year": 1000.0},
    )
    result = decompose(scn)
    assert result.status is pl.Status.OPTIMAL
    assert result.open_sites == ()
    assert result.unserved == {"r": pytest.approx(1.0)}
    assert result.objective == pytest.approx(2000.0)


def test_training_cluster_with_liquid_cooling_goes_where_it_is_cheapest_overall():
    common = {"max_rack_density_kw": 140.0, "liquid_cooling_available": True}
    scn = scenario(
        sites=[
            site(
                "cheap_power",
                40.0,
                -100.0,
                energy_price_usd_per_mwh=30.0,
                **common,
                liquid_cooling_cost_usd_per_year=5e7,
            ),
            site(
                "cheap_liquid",
                41.0,
                -100.0,
                energy_price_usd_per_mwh=31.0,
                **common,
                liquid_cooling_cost_usd_per_year=1e6,
            ),
        ],
        training=[{"id": "c", "it_mw": 50.0, "rack_density_kw": 120.0}],
    )
    result = decompose(scn)
    reference = milp(scn)
    assert result.training == {"c": "cheap_liquid"}
    assert result.liquid_sites == ("cheap_liquid",)
    assert_consistent(result, reference)


def test_infeasible_rules_are_proven_infeasible():
    scn = random_ai_scenario(6, 20, 3, seed=0, slo_ms=None)
    scn = scn.model_copy(update={"rules": pl.Rules(max_training_sites=1)})
    if pl.solve(scn).status is not pl.Status.INFEASIBLE:  # the cap must bind for the test
        pytest.skip("this seed fits every cluster at one site")
    result = decompose(scn)
    assert result.status is pl.Status.INFEASIBLE
    assert result.objective is None and not result.open_sites


# ---------------------------------------------------------------------------- features
def featured(seed: int, **flags) -> pl.Scenario:
    """A small AI scenario with the requested features switched on."""
    scn = random_ai_scenario(7, 30, 3, seed, slo_ms=60.0)
    rng = np.random.default_rng(seed + 100)
    sites = []
    for i, s in enumerate(scn.sites):
        update = {}
        if flags.get("racks"):
            update["racks_available"] = int(rng.integers(800, 4000))
        if flags.get("liquid_inference") and s.liquid_cooling_available and i % 2 == 0:
            update["air_cooling_limit_kw"] = 20.0  # inference (41 kW/rack) needs liquid here
        sites.append(s.model_copy(update=update))
    rules: dict = {"max_share_per_site": flags.get("share", 1.0)}
    for key, name in (
        ("max_sites", "max_sites"),
        ("max_train", "max_training_sites"),
        ("carbon", "carbon_cap_tonnes_per_year"),
    ):
        if flags.get(key) is not None:
            rules[name] = flags[key]
    if flags.get("existing"):
        rules["existing"] = (scn.sites[1].id,)
    if flags.get("forbidden"):
        rules["forbidden"] = (scn.sites[0].id,)
    economics = scn.economics
    if flags.get("soft"):
        economics = economics.model_copy(update={"unserved_penalty_usd_per_mw_year": 3e6})
    return scn.model_copy(
        update={"sites": tuple(sites), "rules": pl.Rules(**rules), "economics": economics}
    )


FEATURES = {
    "plain": {},
    "soft_and_racks": {"soft": True, "racks": True},
    "share_cap": {"share": 0.6},
    "max_sites": {"max_sites": 3},
    "max_training_sites": {"max_train": 2},
    "existing_forbidden": {"existing": True, "forbidden": True},
    "liquid_inference": {"liquid_inference": True},
}


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("feature", sorted(FEATURES))
def test_features_match_the_plain_milp(feature, seed):
    scn = featured(seed, **FEATURES[feature])
    reference = milp(scn)
    result = decompose(scn)
    assert_consistent(result, reference)


@pytest.mark.parametrize("seed", [1, 2])
def test_carbon_cap_matches_the_plain_milp(seed):
    free = pl.solve(featured(seed), gap=1e-7)
    scn = featured(seed, carbon=0.9 * free.kpis.carbon_tonnes_per_year)
    reference = milp(scn)
    result = decompose(scn)
    assert_consistent(result, reference)
    assert result.kpis.carbon_tonnes_per_year <= 0.9 * free.kpis.carbon_tonnes_per_year + 1e-6


@pytest.mark.parametrize("seed", [0, 3])
def test_every_feature_at_once_matches_the_plain_milp(seed):
    free = pl.solve(featured(seed), gap=1e-7)
    flags = {name: value for f in FEATURES.values() for name, value in f.items()}
    flags.update(share=0.7, max_sites=4, max_train=2)
    flags["carbon"] = 0.97 * free.kpis.carbon_tonnes_per_year
    scn = featured(seed, **flags)
    reference = milp(scn)
    result = decompose(scn)
    assert_consistent(result, reference)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(2, 8))
@pytest.mark.parametrize("feature", sorted(FEATURES))
def test_features_match_the_plain_milp_more_seeds(feature, seed):
    scn = featured(seed, **FEATURES[feature])
    reference = milp(scn)
    result = decompose(scn)
    assert_consistent(result, reference)


# ---------------------------------------------------------------------------- validity
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lagrangian_bound_is_valid_for_any_multipliers(seed):
    """L(λ) ≤ optimum for random multipliers and, with a site forced open or closed, ≤ the
    optimum of that restricted problem (here: checked against the global optimum when the
    optimum respects the fixing)."""
    flags = {"soft": seed == 1, "racks": True, "share": 0.8 if seed == 2 else 1.0}
    scn = featured(seed, **flags)
    reference = pl.solve(scn, gap=1e-9)
    data = build_model_data(scn)
    rel = build_relaxation(classic_view(data))
    evaluator = Evaluator(rel)
    rng = np.random.default_rng(seed)
    base = initial_multipliers(rel)
    fix = Fixings.root(rel)
    assert fix.propagate(rel)
    opened = set(reference.open_sites)
    for _ in range(30):
        lam = base * rng.uniform(0.5, 1.6, base.size)
        sub = evaluator.evaluate(lam, fix)
        assert sub.bound <= reference.objective * (1 + 1e-9)
        if_open, if_closed = evaluator.fixing_bounds(sub, fix)
        for i, s in enumerate(scn.sites):
            respected = if_open[i] if s.id in opened else if_closed[i]
            assert respected <= reference.objective * (1 + 1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_forced_selection_values_bound_every_forced_selection(seed):
    """With a site forced open (closed), no selection that covers the aggregate row costs
    less than the value returned, and the gap to the true restricted optimum is only the
    grid's rounding (checked by enumerating every selection)."""
    rng = np.random.default_rng(seed)
    rel = build_relaxation(classic_view(build_model_data(random_cflp(9, 20, seed=seed))))
    n = rel.n_sites
    power = rng.uniform(5.0, 50.0, n)
    rel = dataclasses.replace(
        rel, power=power, demand_floor=float(rng.uniform(0.3, 0.7)) * power.sum()
    )
    fix = Fixings.root(rel)
    fix.open_lo[0] = True  # a forced site
    fix.open_hi[1] = False  # a closed one
    value = rng.uniform(-20.0, 60.0, n)
    value[2] = np.inf  # a site that cannot open
    exact = forced_selection_values(rel, fix, value, units=200)
    fine = forced_selection_values(rel, fix, value, units=100_000)
    assert exact is not None and fine is not None
    best_open, best_closed = np.full(n, np.inf), np.full(n, np.inf)
    for ys in itertools.product((0, 1), repeat=n):
        y = np.array(ys, dtype=bool)
        if (y & ~fix.open_hi).any() or (fix.open_lo & ~y).any() or np.isinf(value[y]).any():
            continue
        if power[y].sum() < rel.demand_floor:
            continue
        total = float(value[y].sum())
        best_open = np.where(y, np.minimum(best_open, total), best_open)
        best_closed = np.where(~y, np.minimum(best_closed, total), best_closed)
    free = np.flatnonzero(fix.open_hi & ~fix.open_lo)
    for got, close, best in zip(exact, fine, (best_open, best_closed), strict=True):
        assert np.all(got[free] <= best[free] + 1e-9)
        assert np.all(close[free] <= best[free] + 1e-9)
        finite = free[np.isfinite(best[free])]
        assert np.allclose(close[finite], best[finite], rtol=1e-9)


def test_covering_knapsack_bound_and_cover():
    rng = np.random.default_rng(0)
    for _ in range(40):
        n = int(rng.integers(2, 9))
        cost = rng.uniform(0, 10, n)
        weight = rng.uniform(1, 10, n)
        need = float(rng.uniform(0.2, 0.9) * weight.sum())
        best = math.inf
        for ys in itertools.product((0, 1), repeat=n):
            y = np.array(ys, dtype=bool)
            if weight[y].sum() >= need:
                best = min(best, float(cost[y].sum()))
        bound, _ = covering_knapsack(cost, weight, need, units=50)
        assert bound <= best + 1e-9
        value, chosen = covering_knapsack(cost, weight, need, units=50, exact=False)
        if math.isfinite(value):
            assert weight[chosen].sum() >= need * (1 - 1e-12)
            assert value >= best - 1e-9


@pytest.mark.parametrize(("seed", "core"), [(0, False), (1, True), (2, True)])
def test_dropping_the_pairs_of_closed_sites_keeps_every_node_value(seed, core):
    """After :meth:`Evaluator.restrict_sites` (the sites fixed closed at the root lose their
    pairs) L(λ) of every node that keeps them closed is exactly the full evaluator's, with
    and without the core of cheap pairs, also at multipliers that make the core grow."""
    rel = build_relaxation(
        classic_view(build_model_data(random_cflp(15, 120, seed=seed, capacity_ratio=6.0)))
    )
    rng = np.random.default_rng(seed)
    allowed = rng.random(rel.n_sites) > 0.35
    full, restricted = Evaluator(rel, core=core), Evaluator(rel, core=core)
    base = initial_multipliers(rel)
    restricted.evaluate(0.5 * base, Fixings.root(rel))  # a small core, to grow later
    restricted.restrict_sites(allowed)
    for trial in range(25):
        fix = Fixings.root(rel)
        fix.open_hi &= allowed
        free = np.flatnonzero(fix.open_hi)
        fix.open_hi[rng.choice(free, size=trial % 3, replace=False)] = False
        fix.open_lo[rng.choice(free, size=trial % 2, replace=False)] = True
        fix.open_hi |= fix.open_lo
        if not fix.propagate(rel):
            continue
        lam = base * rng.uniform(0.6, 4.0 if trial > 15 else 1.2, base.size)
        want, got = full.evaluate(lam, fix), restricted.evaluate(lam, fix)
        assert got.value == pytest.approx(want.value, rel=1e-9, abs=1e-9)
        np.testing.assert_allclose(got.open_value, want.open_value, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(got.subgradient, want.subgradient, rtol=1e-9, atol=1e-9)
    # a node that still allows a dropped site is evaluated as if it were closed ...
    root = Fixings.root(rel)
    closed = Fixings.root(rel)
    closed.open_hi &= allowed
    got, want = restricted.evaluate(base, root), full.evaluate(base, closed)
    assert got.value == pytest.approx(want.value, rel=1e-9, abs=1e-9)
    # ... and one that forces a dropped site open cannot be bounded any more
    root.open_lo[np.flatnonzero(~allowed)[0]] = True
    with pytest.raises(ValueError, match="restrict_sites"):
        restricted.evaluate(base, root)


@pytest.mark.parametrize("menus", [False, True])
def test_the_heuristic_lp_on_the_allowed_sites_costs_their_sets_exactly(menus):
    """PrimalSolver.restrict_sites keeps the LP columns of the allowed sites only: any set of
    open sites within them costs the same as with every column, decisions included (also
    with menus: share-cap groups and quota rows over the kept columns)."""
    scn = (
        random_menu_scenario(14, 80, 0, seed=3, n_cloud=2)
        if menus
        else random_cflp(15, 120, seed=3, capacity_ratio=3.0)
    )
    data = classic_view(build_model_data(scn))
    rng = np.random.default_rng(3)
    allowed = rng.random(data.n_sites) > 0.2
    full, restricted = PrimalSolver(data), PrimalSolver(data)
    restricted.restrict_sites(allowed)
    train = np.zeros(len(data.training), dtype=bool)
    checked = 0
    for _ in range(12):
        sites = allowed & (rng.random(data.n_sites) > 0.25)
        want = full.lp_cost(sites, train)
        got = restricted.lp_cost(sites, train)
        assert (math.isfinite(got), full.lp_status) == (math.isfinite(want), restricted.lp_status)
        if not math.isfinite(want):
            continue
        assert got == pytest.approx(want, rel=1e-9)
        candidate = restricted.lp_candidate(sites, train)
        assert candidate.objective <= want * (1 + 1e-9)  # unused sites closed: never dearer
        assert not candidate.decisions.serve[~allowed[data.serving.site]].any()
        checked += restricted._last is None  # costed by the LP, not the greedy
    assert checked >= 3


@pytest.mark.parametrize(("seed", "gap"), [(0, 1e-9), (1, 1e-9), (2, 0.01), (3, 0.003)])
def test_sites_closed_for_good_as_the_incumbent_improves_keep_the_bound_valid(
    seed, gap, monkeypatch
):
    """With no heuristic at the root (no incumbent there, so no site fixed), every site the
    root's forced-open bounds exclude is closed for good when the tree finds incumbents: the
    final bound stays at or below the MILP's optimum, and is the optimum when proven."""
    scn = random_cflp(25, 150, seed=seed, capacity_ratio=2.0)
    optimum = milp(scn).objective
    data = classic_view(build_model_data(scn))
    rel = build_relaxation(data)
    search = Search(data, rel, gap=gap, deadline=None)
    for name in ("try_sites", "local_search", "dive", "round_estimate"):
        monkeypatch.setattr(search, name, lambda *args, **kwargs: None)
    search.run_root(initial_multipliers(rel))
    assert search.incumbent is None
    monkeypatch.undo()
    search.run_tree()
    assert search.finished and search.stats.closed_later > 0
    later = search._dropped & search._root_free  # closed after the root
    assert search.excluded <= search._root_if_open[later].min()  # what was given away
    assert search.bound <= optimum * (1 + 1e-9)
    assert search.upper <= optimum * (1 + gap) + 1e-6
    if gap < 1e-6:
        assert search.upper == pytest.approx(optimum, rel=1e-6)


def test_a_near_incumbent_placement_seeds_a_local_search_of_its_own(monkeypatch):
    """The local search can start from a heuristic placement other than the incumbent: with
    a far-off incumbent (every site open), a start one site away from the optimum's sites
    (the MILP's, verified) reaches the optimum, which 40 moves from the incumbent cannot."""
    scn = random_cflp(15, 120, seed=3, capacity_ratio=3.0)
    optimum = milp(scn).objective
    data = classic_view(build_model_data(scn))
    rel = build_relaxation(data)
    exact = Search(data, rel, gap=1e-9, deadline=None)
    exact.run_root(initial_multipliers(rel))
    exact.run_tree()
    assert exact.upper == pytest.approx(optimum, rel=1e-6)
    best_sites = exact.incumbent.decisions.open
    search = Search(data, rel, gap=1e-9, deadline=None)
    for name in ("try_sites", "local_search", "dive", "round_estimate"):
        monkeypatch.setattr(search, name, lambda *args, **kwargs: None)
    root = search.run_root(initial_multipliers(rel))
    monkeypatch.undo()
    train = np.zeros(len(data.training), dtype=bool)
    everything = np.ones(data.n_sites, dtype=bool)
    search.primal.lp_cost(everything, train)
    search.offer(search.primal.lp_candidate(everything, train))
    far = search.upper
    one_more = best_sites.copy()
    one_more[np.flatnonzero(~best_sites)[0]] = True
    search.primal.lp_cost(one_more, train)
    start = search.primal.lp_candidate(one_more, train)
    assert far > start.objective * 1.01 > optimum * 1.01
    search.local_search(root.sub, everything, start=start)
    assert search.upper == pytest.approx(optimum, rel=1e-6)


# ---------------------------------------------------------------------------- API
def test_unsupported_features_are_listed():
    data = build_model_data(random_cflp(5, 10, seed=0))
    assert unsupported_features(data) == []
    assert unsupported_features(data, formulation="weak") == []
    assert unsupported_features(data, formulation="single_source") == [
        "single sourcing (binary inference shares)"
    ]


def test_a_tiny_time_limit_returns_an_honest_outcome():
    scn = random_cflp(30, 200, seed=1, capacity_ratio=3.0)
    outcome = solve_decomposition(build_model_data(scn), time_limit=0.3, gap=1e-9)
    assert outcome.status in ("optimal", "feasible", "no_solution")
    result = decompose(scn, time_limit=0.3, gap=1e-9)
    assert result.status in (pl.Status.OPTIMAL, pl.Status.FEASIBLE, pl.Status.NO_SOLUTION)
    if result.status is pl.Status.FEASIBLE:
        assert result.bound <= result.objective
        assert result.gap > 1e-9


# ---------------------------------------------------------------------------- method choice
def test_method_decomposition_is_a_valid_option_and_a_typo_is_named():
    assert pl.SolveOptions(method="decomposition").method == "decomposition"
    with pytest.raises(pl.SolverOptionError, match="method = 'lagrange'"):
        pl.SolveOptions(method="lagrange")


def test_a_menu_model_falls_back_to_the_milp_and_says_why():
    from test_menu_properties import menu_scenario

    scn = pl.Scenario.from_dict(menu_scenario(0))  # inference split over air and liquid
    result = pl.solve(scn, method="decomposition")
    pl.verify(scn, result)
    assert result.method != "decomposition"
    assert "solved by the MILP because the decomposition does not cover" in result.message
    assert "decision menus" in result.message
    assert result.status is pl.Status.OPTIMAL


def test_single_sourcing_and_customise_fall_back_with_the_reason():
    scn = random_cflp(8, 30, seed=2)
    single = pl.solve(scn, formulation="single_source", method="decomposition")
    assert single.method != "decomposition"
    assert "single sourcing" in single.message
    pl.verify(scn, single)
    custom = pl.solve(scn, method="decomposition", customise=lambda built, data: None)
    assert custom.method != "decomposition"
    assert "customise" in custom.message


@pytest.mark.filterwarnings("ignore::placement.datasets.DataGapWarning")
def test_auto_keeps_small_models_on_the_milp_and_takes_the_decomposition_for_large_cflp():
    small = build_model_data(pl.io.read_orlib_cflp(ORLIB / "cap131.txt"))
    assert choose(small, pl.SolveOptions(), customised=False) == Choice("milp", "")
    large = build_model_data(random_cflp(100, 1000, seed=0, capacity_ratio=20.0))
    assert choose(large, pl.SolveOptions(), customised=False).method == "decomposition"
    assert choose(large, pl.SolveOptions(method="milp"), customised=False).method == "milp"
    legacy = build_model_data(pl.datasets.us_default(menus=False))
    assert choose(legacy, pl.SolveOptions(), customised=False).method == "milp"
    training = build_model_data(random_ai_scenario(100, 400, 2, seed=0, slo_ms=None))
    assert len(training.serving) == 40_000
    assert choose(training, pl.SolveOptions(), customised=False).method == "milp"
    assert choose(training, pl.SolveOptions(method="decomposition"), customised=False) == Choice(
        "decomposition", ""
    )


def test_auto_on_orlib_is_proven_by_the_milp(orlib_optima):
    scn = pl.io.read_orlib_cflp(ORLIB / "cap41.txt")
    result = pl.solve(scn)
    pl.verify(scn, result)
    assert result.method in ("milp", "lp_branch_and_bound")
    assert result.objective == pytest.approx(orlib_optima["cap41"], rel=1e-6)


def test_a_stop_request_stops_the_decomposition_with_an_honest_status():
    from placement.milp import highs

    scn = random_cflp(50, 200, seed=1)
    highs.request_stop()
    try:
        result = pl.solve(scn, method="decomposition", time_limit=60)
    finally:
        highs.clear_stop()
    pl.verify(scn, result)
    assert result.method == "decomposition"
    assert "interrupted on request (Ctrl-C)" in result.message
    assert result.status in (pl.Status.FEASIBLE, pl.Status.NO_SOLUTION)
    if result.status is pl.Status.FEASIBLE:
        assert result.bound is None or result.bound <= result.objective


def test_the_n_minus_1_add_on_falls_back_to_the_milp_and_says_why():
    base = featured(0)
    rules = base.rules.model_copy(update={"resilience": pl.model.planning.Resilience()})
    scn = base.model_copy(update={"rules": rules})
    assert "N-1 resilience" in " ".join(unsupported_features(build_model_data(scn)))
    result = pl.solve(scn, method="decomposition")
    pl.verify(scn, result)
    assert result.method != "decomposition"
    assert "does not cover N-1 resilience" in result.message


@pytest.mark.filterwarnings("ignore::placement.datasets.DataGapWarning")
def test_a_multi_period_plan_asked_for_the_decomposition_says_it_used_the_milp():
    scn = pl.datasets.us_small_growth()
    result = pl.solve(scn, method="decomposition", time_limit=60)
    pl.verify(scn, result)
    assert result.method != "decomposition"
    assert "does not cover multi-period plans" in result.message


def test_a_long_root_ascent_reports_its_bound_as_it_goes(monkeypatch, orlib_optima):
    """At world scale the root ascent alone takes minutes: it says its bound meanwhile, and
    every bound it says is a valid one (≤ Beasley's optimum, rising)."""
    from placement.decomposition import search

    monkeypatch.setattr(search, "ROOT_PROGRESS_SECONDS", 0.0)
    said: list[str] = []
    result = decompose(pl.io.read_orlib_cflp(ORLIB / "cap71.txt"), progress=said.append)
    reported = [
        float(m.split("bound ")[1].split(" after")[0].replace(",", ""))
        for m in said
        if m.startswith("root: Lagrangian bound") and "iterations, incumbent" in m
    ]
    assert len(reported) >= 10
    assert reported == sorted(reported)
    assert max(reported) <= orlib_optima["cap71"] * (1 + 1e-9)
    assert result.objective == pytest.approx(orlib_optima["cap71"], rel=1e-6)
