"""N-1 (rules.resilience): surviving the loss of any one open site, worked out by hand.

RTTs (default network: 1.7 ms base, route factor 1.87, 204 km/ms): NYC–PHL 4.08 ms,
NYC–BOS 7.32 ms, PHL–BOS 9.69 ms, Chicago > 19 ms from all of them. Hand sites cost nothing
but what each test states; 1 MW of IT load at PUE 1 is the default GPU's work in MW.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from conftest import region, scenario, site, solve_verified
from hypothesis import given, settings
from hypothesis import strategies as st

import placement as pl
from placement.datasets.synthetic import random_ai_scenario
from placement.model.resilience import FailureGraph, failure_flows

NYC, PHL, BOS, CHI = (40.71, -74.01), (39.95, -75.17), (42.36, -71.06), (41.88, -87.63)
H = 8760.0
BUILD = 1e5  # USD per MW-year of IT load, at every hand site


def _installed_mw(res: pl.PlacementResult) -> dict[str, float]:
    """IT MW installed per site: inference served plus spare."""
    out = {}
    for load in res.sites:
        out[load.site] = load.inference_mw + sum(s.it_mw for s in load.spare)
    return out


def _spare_mw(res: pl.PlacementResult) -> dict[str, float]:
    return {load.site: sum(s.it_mw for s in load.spare) for load in res.sites}


def _two_regions(**rules) -> pl.Scenario:
    common = {"build_cost_usd_per_mw_year": BUILD, "energy_price_usd_per_mwh": 50.0}
    return scenario(
        sites=[
            site("nyc", *NYC, fixed_cost_usd_per_year=1e6, **common),
            site("phl", *PHL, fixed_cost_usd_per_year=2e6, **common),
            site("chi", *CHI, fixed_cost_usd_per_year=0.5e6, **common),
        ],
        regions=[
            region("nyc", *NYC, population=1e6, demand_mw=10.0, slo_ms=10.0),
            region("bos", *BOS, population=1e6, demand_mw=5.0, slo_ms=10.0),
        ],
        rules=rules,
    )


def test_n1_opens_a_second_site_with_the_whole_demand_installed_at_each():
    """One site serves both regions (2.5e6 + energy); losing it loses everything, so N-1 opens
    the second site within 10 ms of both (phl; chi is too far) and installs all 15 MW at each:
    3e6 fixed + 30 MW · 1e5. Spare draws no energy: the energy bill is the same."""
    plain = solve_verified(_two_regions())
    n1 = solve_verified(_two_regions(resilience=True))
    energy = 15.0 * H * 50.0
    assert plain.open_sites == ("nyc",)
    assert plain.objective == pytest.approx(1e6 + 15 * BUILD + energy, rel=1e-9)
    assert n1.status is pl.Status.OPTIMAL
    assert n1.open_sites == ("nyc", "phl")
    assert n1.objective == pytest.approx(3e6 + 30 * BUILD + energy, rel=1e-9)
    assert _installed_mw(n1) == pytest.approx({"nyc": 15.0, "phl": 15.0}, rel=1e-9)
    assert sum(_spare_mw(n1).values()) == pytest.approx(15.0, rel=1e-9)
    assert n1.site_loss is not None and n1.site_loss.covered
    assert {f.site for f in n1.site_loss.failures} == {"nyc", "phl"}
    # the cost of resilience, with vs without
    (comparison,) = [c for c in n1.comparisons if c.feature == "resilience"]
    assert comparison.objective == pytest.approx(plain.objective, rel=1e-9)
    assert comparison.difference == pytest.approx(2e6 + 15 * BUILD, rel=1e-9)  # phl + spare


def _neighbours(degraded: float | None, phl_power: float = 1000.0) -> pl.Scenario:
    """Regions at NYC and PHL with a 3 ms SLO: each is served by its own site only (4.08 ms to
    the other), so both sites open anyway. A degraded SLO of 5 ms lets each cover the other."""
    resilience = {} if degraded is None else {"degraded_slo_ms": degraded}
    return scenario(
        sites=[
            site("nyc", *NYC, fixed_cost_usd_per_year=1e6, build_cost_usd_per_mw_year=BUILD),
            site(
                "phl",
                *PHL,
                fixed_cost_usd_per_year=1e6,
                build_cost_usd_per_mw_year=BUILD,
                power_mw=phl_power,
            ),
        ],
        regions=[
            region("nyc", *NYC, population=1e6, demand_mw=10.0, slo_ms=3.0),
            region("phl", *PHL, population=1e6, demand_mw=4.0, slo_ms=3.0),
        ],
        rules={"resilience": resilience},
    )


def test_n1_adds_spare_exactly_where_the_max_flow_needs_it():
    """nyc failing needs 10 MW more at phl, phl failing 4 MW more at nyc: spare 10 at phl
    and 4 at nyc, 14 MW · 1e5 on top of the 2e6 + 14 MW · 1e5 without N-1."""
    res = solve_verified(_neighbours(5.0))
    assert res.open_sites == ("nyc", "phl")
    assert _spare_mw(res) == pytest.approx({"nyc": 4.0, "phl": 10.0}, rel=1e-9)
    assert res.objective == pytest.approx(2e6 + 28 * BUILD, rel=1e-9)
    assert res.site_loss.degraded_slo_ms == 5.0
    demands = {f.demand for f in res.site_loss.failures}
    assert len(demands) == 1  # every failure re-serves all 14 MW of demand
    for failure in res.site_loss.failures:
        assert failure.covered == pytest.approx(failure.demand, rel=1e-9)


def test_verify_finds_a_failure_the_spare_cannot_cover():
    """Take away phl's spare: the max-flow in verify finds that nyc's failure is not covered."""
    scn = _neighbours(5.0)
    res = solve_verified(scn)
    sites = tuple(
        load.model_copy(update={"spare": ()}) if load.site == "phl" else load for load in res.sites
    )
    broken = res.model_copy(update={"sites": sites})
    with pytest.raises(pl.VerificationError, match="if 'nyc' fails"):
        pl.verify(scn, broken)


def test_a_region_only_one_site_reaches_is_diagnosed_by_name():
    """Without a degraded SLO each region sees one site: N-1 cannot hold, and the diagnosis
    names the region that cannot be covered twice."""
    res = pl.solve(_neighbours(None))
    assert res.status is pl.Status.INFEASIBLE
    assert "region 'nyc' cannot be covered twice" in res.message
    assert "only site 'nyc'" in res.message
    assert any("region 'phl' cannot be covered twice" in d for d in res.diagnosis)
    pl.verify(_neighbours(None), res)


def test_too_little_power_elsewhere_is_diagnosed_with_the_shortfall():
    """phl can hold 8 MW: when nyc fails its 10 MW region cannot move there."""
    res = pl.solve(_neighbours(5.0, phl_power=8.0))
    assert res.status is pl.Status.INFEASIBLE
    assert "region 'nyc' cannot be covered twice" in res.message
    assert "without site 'nyc'" in res.message


def test_failure_flows_on_a_hand_graph():
    """Two nodes at sites 0 and 1 (capacities 3 and 5), two regions (demands 4 and 2); node 0
    reaches both regions, node 1 only region 1. Site 0 failing: 2 of 6 flows (region 0 sees
    nothing, its Hall set {0} is short); site 1 failing: node 0 carries 3 of 6."""
    import scipy.sparse

    graph = FailureGraph(
        facility=np.array([0, 1]),
        hardware=np.array([0, 0]),
        site=np.array([0, 1]),
        adjacency=scipy.sparse.csr_matrix(np.array([[1, 1], [0, 1]], dtype=np.int8)),
        failure_slo_ms=np.array([np.inf, np.inf]),
        degraded_slo_ms=None,
    )
    flows = failure_flows(graph, np.array([3.0, 5.0]), np.array([4.0, 2.0]), np.array([0, 1]))
    assert [f.flow for f in flows] == pytest.approx([2.0, 3.0], rel=1e-9)
    assert [f.demand for f in flows] == [6.0, 6.0]
    assert [t.tolist() for t in flows[0].deficient] == [[0]]
    assert [sorted(t.tolist()) for t in flows[1].deficient] == [[0, 1]]


@settings(max_examples=12, deadline=None, derandomize=True, database=None)
@given(
    st.integers(min_value=3, max_value=6),
    st.integers(min_value=4, max_value=16),
    st.integers(min_value=0, max_value=2),
    st.integers(min_value=0, max_value=10_000),
    st.sampled_from([None, 80.0]),
    st.sampled_from(["strong", "weak", "single_source"]),
)
def test_every_n1_answer_survives_every_failure(
    n_sites, n_regions, n_clusters, seed, degraded, formulation
):
    """Random scenarios with N-1: each answer passes verify (its max-flow check included) and
    costs at least the answer without N-1; an infeasible one is diagnosed, naming a region."""
    base = random_ai_scenario(n_sites, n_regions, n_clusters, seed, slo_ms=50.0)
    resilience = pl.Resilience(degraded_slo_ms=degraded)
    rules = base.rules.model_copy(update={"resilience": resilience})
    scn = base.model_copy(update={"rules": rules})
    res = solve_verified(scn, gap=1e-7, formulation=formulation)
    if res.status is pl.Status.INFEASIBLE:
        assert "cannot be covered twice" in res.message or res.diagnosis
        return
    assert res.status is pl.Status.OPTIMAL
    assert res.site_loss is not None and res.site_loss.covered
    assert len(res.site_loss.failures) == len(res.open_sites)
    plain = solve_verified(base, gap=1e-7, formulation=formulation)
    assert res.objective >= plain.objective * (1 - 2e-7)


def test_the_report_shows_each_failure_and_the_cost_of_resilience():
    from placement.outputs.report import summary_text

    scn = _two_regions(resilience=True)
    text = summary_text(scn, solve_verified(scn))
    assert "Site loss (N-1)" in text and "every failure covered" in text
    assert "cost of resilience (N-1): +3,500,000 USD/yr" in text


def test_sites_csv_lists_the_spare():
    from placement.results.frames import site_rows

    scn = _neighbours(5.0)
    rows = {r["site"]: r for r in site_rows(scn, solve_verified(scn))}
    assert rows["nyc"]["spare_mw"] == pytest.approx(4.0) and rows["phl"]["spare_mw"] == 10.0


def test_n1_with_one_site_allowed_is_a_named_conflict():
    scn = _two_regions(resilience=True, max_sites=1)
    res = pl.solve(scn)
    assert res.status is pl.Status.INFEASIBLE
    assert "rules.max_sites = 1" in res.message


def test_failure_flows_when_nothing_survives():
    """All capacity at the failed site: the flow is 0 and every needy region is short."""
    import scipy.sparse

    graph = FailureGraph(
        facility=np.array([0]),
        hardware=np.array([0]),
        site=np.array([0]),
        adjacency=scipy.sparse.csr_matrix(np.array([[1, 1]], dtype=np.int8)),
        failure_slo_ms=np.array([np.inf, np.inf]),
        degraded_slo_ms=None,
    )
    (flow,) = failure_flows(graph, np.array([5.0]), np.array([2.0, 3.0]), np.array([0]))
    assert flow.flow == 0.0 and flow.demand == 5.0
    assert sorted(np.concatenate(flow.deficient).tolist()) == [0, 1]


@settings(max_examples=10, deadline=None, derandomize=True, database=None)
@given(
    st.integers(min_value=0, max_value=10_000),
    st.sampled_from(["soft_demand", "share", "soft_rules", "split"]),
)
def test_n1_with_the_other_rules_verifies(seed, variant):
    """N-1 beside soft demand, a share cap, every soft rule, or splittable clusters."""
    base = random_ai_scenario(5, 15, 2, seed, slo_ms=50.0)
    rules: dict = {"resilience": pl.Resilience(degraded_slo_ms=90.0)}
    economics, training = {}, base.training
    if variant == "soft_demand":
        economics = {"unserved_penalty_usd_per_mw_year": 2e5}
    elif variant == "share":
        rules["max_share_per_site"] = 0.6
    elif variant == "soft_rules":
        rules |= {"carbon_cap_tonnes_per_year": 1e3, "capital_budget_usd_per_year": 1e6}
        rules["soft"] = pl.SoftRules(
            slo_usd_per_user_ms_year=0.01,
            power_usd_per_mw_year=1e5,
            carbon_usd_per_tonne=50.0,
            capital_usd_per_usd=0.5,
        )
    else:
        split = pl.TrainingSplit(max_sites=3, max_pair_rtt_ms=30.0, interconnect_usd_per_year=1e5)
        training = tuple(t.model_copy(update={"split": split}) for t in base.training)
    scn = base.model_copy(
        update={
            "rules": base.rules.model_copy(update=rules),
            "economics": base.economics.model_copy(update=economics),
            "training": training,
        }
    )
    res = solve_verified(scn, gap=1e-7, compare=False)
    if res.status is pl.Status.INFEASIBLE:  # e.g. too few sites in reach for the share cap
        assert res.diagnosis
        return
    assert res.status is pl.Status.OPTIMAL
    assert res.site_loss.covered


@pytest.mark.slow
def test_us_small_survives_a_site_loss_with_a_degraded_slo():
    """The bundled us_small: with its own SLO Alaska and Hawaii reach one site each (diagnosed);
    at 100 ms during a failure N-1 holds, verified by max-flow, at a positive cost."""
    scn = pl.datasets.us_small()
    assert pl.solve(_with(scn, None)).status is pl.Status.INFEASIBLE
    res = solve_verified(_with(scn, 100.0))
    assert res.status is pl.Status.OPTIMAL and res.site_loss.covered
    (comparison,) = res.comparisons
    assert comparison.difference > 0


def _with(scn: pl.Scenario, degraded: float | None) -> pl.Scenario:
    rules = scn.rules.model_copy(update={"resilience": pl.Resilience(degraded_slo_ms=degraded)})
    return scn.model_copy(update={"rules": rules})


def test_comparison_solves_share_the_solve_time_limit(monkeypatch):
    """The cost-of-resilience solve gets what is left of the time limit, not a limit of its
    own; with nothing left it is no_solution and the answer itself stands."""
    from placement.solving import solve as solve_module

    limits = []
    real = solve_module._solve

    def recording(scenario, options, say, customise):
        limits.append(options.time_limit)
        return real(scenario, options, say, customise)

    monkeypatch.setattr(solve_module, "_solve", recording)
    scenario = _two_regions(resilience=True)
    n1 = pl.solve(scenario, time_limit=120)
    pl.verify(scenario, n1)
    assert limits[0] == 120 and 0 < limits[1] < 120
    limits.clear()
    real_clock = time.perf_counter

    def main_solve_takes_a_million_seconds(scenario, options, say, customise):
        limits.append(options.time_limit)
        answer = real(scenario, options, say, customise)
        monkeypatch.setattr(time, "perf_counter", lambda: real_clock() + 1e6)
        return answer

    monkeypatch.setattr(solve_module, "_solve", main_solve_takes_a_million_seconds)
    late = pl.solve(scenario, time_limit=120)
    monkeypatch.undo()
    (comparison,) = late.comparisons
    assert comparison.status == "no_solution" and comparison.difference is None
    assert late.status is pl.Status.OPTIMAL and len(limits) == 1
    pl.verify(scenario, late)
