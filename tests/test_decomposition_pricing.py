"""The heuristic transport LP with pricing: HiGHS holds a few pairs per region and the rest
join by reduced cost (optimal sets) or by a checked Farkas ray (infeasible sets). Its values,
statuses and decisions must equal those of the LP holding every pair."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_decomposition import FEATURES, featured

from placement.datasets.synthetic import random_cflp, random_menu_scenario
from placement.decomposition import highs
from placement.decomposition.classic import classic_view
from placement.decomposition.primal import PrimalSolver
from placement.model.data import build_model_data


def compare(scn, *, core: int, sets: int = 16, seed: int = 0, drop: float = 0.6):
    """Cost random open sets (each site closed with a probability up to ``drop``, training
    placed by the primal heuristic) with the priced LP and the full one, which must agree;
    return (share of the pairs held, infeasible sets, feasible sets)."""
    data = classic_view(build_model_data(scn))
    rng = np.random.default_rng(seed)
    full, priced = PrimalSolver(data, core=None), PrimalSolver(data, core=core)
    full.greedy_applies = priced.greedy_applies = False  # every set through the LP
    infeasible = feasible = 0
    for _ in range(sets):
        sites = rng.random(data.n_sites) >= rng.uniform(0.0, drop)
        placed = full.training_for(sites, None)
        assert placed is not None
        train, sites = placed
        want = full.lp_cost(sites, train)
        got = priced.lp_cost(sites, train)
        assert priced.lp_status == full.lp_status
        if not math.isfinite(want):
            assert not math.isfinite(got)
            infeasible += full.lp_status == "infeasible"
            continue
        feasible += 1
        assert got == pytest.approx(want, rel=1e-9)
        assert priced.lp_candidate(sites, train).objective == pytest.approx(
            full.lp_candidate(sites, train).objective, rel=1e-9
        )
    lp = priced._transport()
    return lp.held / lp.n_pairs, infeasible, feasible


@pytest.mark.parametrize("ratio", [1.5, 3.0, 10.0])
def test_priced_lp_equals_the_full_lp_on_random_cflp_sets(ratio):
    held, _, feasible = compare(random_cflp(20, 200, seed=1, capacity_ratio=ratio), core=2)
    assert feasible >= 5
    assert held < 0.8  # pricing held back part of the pairs, and still got every optimum


def test_infeasible_sets_are_proven_by_the_checked_ray_without_every_pair():
    """Sets short of capacity: the Farkas check proves them infeasible while HiGHS holds
    only part of the pairs (holding every pair would prove it too, but slowly)."""
    scn = random_cflp(30, 300, seed=2, capacity_ratio=1.5)
    held, infeasible, feasible = compare(scn, core=2, sets=20, drop=0.8)
    assert infeasible >= 3 and feasible >= 3
    assert held < 0.6


@pytest.mark.parametrize("feature", sorted(set(FEATURES) - {"max_sites", "max_training_sites"}))
def test_priced_lp_equals_the_full_lp_with_every_feature(feature):
    """(The site limits are no LP rows: a set beyond them is refused before the LP.)"""
    _, _, feasible = compare(featured(2, **FEATURES[feature]), core=1, seed=2)
    assert feasible >= 3


def test_priced_lp_equals_the_full_lp_under_a_carbon_cap():
    """The cap leaves inference about half of its dirtiest emissions: the carbon row binds."""
    data = classic_view(build_model_data(featured(1)))
    tr, sv = data.training, data.serving
    training = np.zeros(data.n_clusters)
    np.maximum.at(training, tr.other, tr.carbon_t)
    dirtiest = np.zeros(data.n_regions)
    np.maximum.at(dirtiest, sv.other, sv.carbon_t)
    capped = featured(1, carbon=float(training.sum() + 0.5 * dirtiest.sum()))
    _, _, feasible = compare(capped, core=1, seed=1)
    assert feasible >= 3


def test_priced_lp_equals_the_full_lp_with_menus():
    """Quota rows, share-cap groups over several facilities, cloud regions (P = ∞)."""
    scn = random_menu_scenario(14, 80, 0, seed=3, n_cloud=2)
    _, _, feasible = compare(scn, core=1, seed=3)
    assert feasible >= 3


def test_a_ray_that_proves_nothing_is_not_taken_as_a_proof(monkeypatch):
    """With HiGHS's ray replaced by noise, no set may be declared infeasible wrongly: the
    check falls back to holding the pairs (the statuses still equal the full LP's)."""
    rng = np.random.default_rng(5)
    real = highs.TransportLP._farkas_pairs

    def noisy(self, open_sites):
        get = self.h.getDualRay
        status, has, ray = get()
        self.h.getDualRay = lambda: (status, has, rng.normal(size=np.asarray(ray).size))
        try:
            return real(self, open_sites)
        finally:
            del self.h.getDualRay

    monkeypatch.setattr(highs.TransportLP, "_farkas_pairs", noisy)
    _, infeasible, _ = compare(random_cflp(30, 300, seed=2, capacity_ratio=1.5), core=2, drop=0.8)
    assert infeasible >= 3
