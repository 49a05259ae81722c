"""Results: frozen, JSON round-trip, and verify catches a tampered answer."""

from __future__ import annotations

import pydantic
import pytest
from conftest import ORLIB, solve_verified

import placement as pl
from placement.datasets.synthetic import random_ai_scenario


@pytest.fixture(scope="module")
def solved():
    scn = random_ai_scenario(6, 25, 2, seed=3, slo_ms=None)
    return scn, solve_verified(scn)


def test_json_round_trip(tmp_path, solved):
    scn, res = solved
    path = tmp_path / "result.json"
    res.to_json(path)
    back = pl.PlacementResult.from_json(path)
    assert back == res
    pl.verify(scn, back)
    assert pl.PlacementResult.from_json(res.to_json()) == res


def test_result_is_frozen(solved):
    _, res = solved
    with pytest.raises(pydantic.ValidationError):
        res.objective = 0.0


def test_costs_and_kpis_add_up(solved):
    scn, res = solved
    assert res.costs.total == pytest.approx(res.objective)
    assert res.bound <= res.objective * (1 + 1e-9)
    assert res.kpis.training_mw == pytest.approx(sum(c.it_mw for c in scn.training))
    demand = sum(scn.region_demand_mw(r) for r in scn.regions)
    assert res.kpis.inference_mw == pytest.approx(demand)
    assert sum(res.kpis.mw_by_site.values()) == pytest.approx(demand + res.kpis.training_mw)
    users = {r.id: r.population for r in scn.regions}
    samples = sorted((a.rtt_ms, users[a.region] * a.share) for a in res.serving)
    total = sum(w for _, w in samples)
    assert res.kpis.weighted_mean_rtt_ms == pytest.approx(sum(t * w for t, w in samples) / total)
    running, p95 = 0.0, None
    for rtt, weight in samples:  # the smallest RTT with 95 % of users at or below it
        running += weight
        if running >= 0.95 * total:
            p95 = rtt
            break
    assert res.kpis.p95_rtt_ms == pytest.approx(p95, rel=1e-12)
    assert res.model_size["variables"] > 0 and res.build_seconds > 0


def _kpi(result: pl.PlacementResult, **changes: object) -> dict[str, object]:
    return {"kpis": result.kpis.model_copy(update=changes)}


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda r: {"objective": r.objective * 1.01}, "objective"),
        (lambda r: {"open_sites": r.open_sites[1:]}, "closed site"),
        (
            lambda r: {"serving": (r.serving[0].model_copy(update={"share": 0.5}), *r.serving[1:])},
            "shares sum",
        ),
        (
            lambda r: {
                "serving": (r.serving[0].model_copy(update={"rtt_ms": 1.0}), *r.serving[1:])
            },
            "reported RTT",
        ),
        (lambda r: {"training": {}}, "is not placed"),
        (lambda r: {"costs": r.costs.model_copy(update={"energy": 0.0})}, "cost energy"),
        (lambda r: _kpi(r, weighted_mean_rtt_ms=r.kpis.weighted_mean_rtt_ms * 1.01), "mean_rtt"),
        (lambda r: _kpi(r, p95_rtt_ms=r.kpis.p95_rtt_ms + 0.5), "p95_rtt_ms"),
        (lambda r: _kpi(r, carbon_tonnes_per_year=r.kpis.carbon_tonnes_per_year * 0.99), "carbon"),
        (lambda r: _kpi(r, served_share=0.9), "served_share"),
        (lambda r: _kpi(r, training_mw=r.kpis.training_mw + 1.0), "training_mw"),
        (lambda r: _kpi(r, open_sites=r.kpis.open_sites + 1), "kpi open_sites"),
        (lambda r: _kpi(r, mw_by_site={**r.kpis.mw_by_site, "site0": -1.0}), "mw_by_site"),
    ],
)
def test_verify_catches_tampering(solved, change, complaint):
    scn, res = solved
    bad = res.model_copy(update=change(res))
    with pytest.raises(pl.VerificationError, match=complaint):
        pl.verify(scn, bad)


def test_verify_catches_overloaded_site():
    scn = pl.io.read_orlib_cflp(ORLIB / "cap41.txt")
    res = solve_verified(scn)
    sid = res.open_sites[0]
    small = scn.model_copy(
        update={
            "sites": tuple(
                s.model_copy(update={"power_mw": 1.0}) if s.id == sid else s for s in scn.sites
            )
        }
    )
    with pytest.raises(pl.VerificationError, match=f"site '{sid}' draws"):
        pl.verify(small, res)


def test_bad_options_raise_clear_errors(solved):
    scn, _ = solved
    with pytest.raises(pl.SolverOptionError, match="formulation = 'nope'"):
        pl.solve(scn, formulation="nope")
    with pytest.raises(pl.SolverOptionError, match="solver = 'gurobi'"):
        pl.solve(scn, solver="gurobi")
    with pytest.raises(pl.SolverOptionError, match="time_limit"):
        pl.solve(scn, time_limit=-1)


def test_time_limit_gives_a_status_not_a_crash():
    from placement.datasets.synthetic import random_cflp

    scn = random_cflp(60, 300, seed=7)
    res = pl.solve(scn, time_limit=1e-3)  # far too short to prove anything
    pl.verify(scn, res)
    assert res.status in (pl.Status.FEASIBLE, pl.Status.NO_SOLUTION), res.message
    assert "stopped" in res.message
    if res.status is pl.Status.FEASIBLE:
        assert res.gap > 0 and res.bound < res.objective
