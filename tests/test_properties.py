"""Properties on random feasible scenarios (hypothesis, derandomised: the same cases every run).

The monotonicity properties are consequences of optimality. If x1 is optimal at λ1 and x2 at
λ2 > λ1, adding the two optimality inequalities gives (λ2 − λ1)(L(x2) − L(x1)) ≤ 0, where
L = Σ users · RTT · share, so weighted RTT cannot rise. Both solves stop within a relative gap
ε, which loosens this by at most ε · (obj1 + obj2) / (λ2 − λ1) in L.
"""

from __future__ import annotations

import pytest
from conftest import solve_verified
from hypothesis import given, settings
from hypothesis import strategies as st

import placement as pl
from placement.datasets.synthetic import random_ai_scenario

GAP = 1e-7
PROPERTY = settings(max_examples=12, deadline=None, derandomize=True, database=None)

sizes = st.tuples(
    st.integers(min_value=3, max_value=8),  # sites
    st.integers(min_value=4, max_value=30),  # regions
    st.integers(min_value=0, max_value=3),  # clusters
    st.integers(min_value=0, max_value=10_000),  # seed
)


def _scenario(n_sites, n_regions, n_clusters, seed, **kw) -> pl.Scenario:
    return random_ai_scenario(n_sites, n_regions, n_clusters, seed, slo_ms=None, **kw)


@PROPERTY
@given(sizes, st.sampled_from(["strong", "weak", "single_source"]))
def test_every_result_passes_verify(size, formulation):
    scn = _scenario(*size)
    res = solve_verified(scn, formulation=formulation, gap=GAP)
    assert res.status is pl.Status.OPTIMAL


@PROPERTY
@given(sizes)
def test_strong_and_weak_agree(size):
    scn = _scenario(*size)
    strong = solve_verified(scn, gap=GAP)
    weak = solve_verified(scn, formulation="weak", gap=GAP)
    assert weak.objective == pytest.approx(strong.objective, rel=2 * GAP)


@PROPERTY
@given(sizes)
def test_adding_a_candidate_site_never_raises_the_optimum(size):
    n_sites, n_regions, n_clusters, seed = size
    bigger = _scenario(n_sites + 1, n_regions, n_clusters, seed)
    smaller = bigger.model_copy(update={"sites": bigger.sites[:-1]})
    with_site = solve_verified(bigger, gap=GAP)
    without = solve_verified(smaller, gap=GAP)
    assert with_site.objective <= without.objective * (1 + 2 * GAP)


@PROPERTY
@given(sizes, st.floats(min_value=0.01, max_value=2.0))
def test_raising_lambda_never_raises_mean_rtt(size, lam):
    low = _scenario(*size, latency_penalty=lam)
    high = _scenario(*size, latency_penalty=10 * lam)
    a, b = solve_verified(low, gap=GAP), solve_verified(high, gap=GAP)
    users = sum(r.population for r in low.regions)
    slack_ms = GAP * (a.objective + b.objective) / (9 * lam) / users
    assert b.kpis.weighted_mean_rtt_ms <= a.kpis.weighted_mean_rtt_ms + slack_ms + 1e-9
