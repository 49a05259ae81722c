"""The product's point, on the real bundled data: training central, inference near users.

Both bundled datasets run in the fast suite: us_default solves in a few seconds (one LP proves
its optimum; λ×10 needs three LP nodes), and the end-to-end command on it in about 3 s.
"""

from __future__ import annotations

import json
import warnings

import numpy as np

import placement as pl
from placement.cli.app import main


def _load(name: str) -> pl.Scenario:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pl.datasets.DataGapWarning)
        return getattr(pl.datasets, name)()


def _check_contrast(scn: pl.Scenario, res: pl.PlacementResult) -> None:
    """What the background texts describe: training built, dense and liquid-cooled at cheap
    power; inference spread near users."""
    pl.verify(scn, res)
    assert res.status is pl.Status.OPTIMAL and res.gap <= 1e-4
    sites = {s.id: s for s in scn.sites}
    buildable = [s.energy_price_usd_per_mwh for s in scn.sites if "build" in s.financing]
    liquid = {t.id for t in scn.cooling_technologies if t.liquid}
    for cluster, choice in res.training_choices.items():
        assert choice.financing == "build", cluster
        assert choice.cooling in liquid and choice.rack_density_kw > 100.0, cluster
        # training lands among the cheapest third of candidate power prices
        price = sites[choice.site].energy_price_usd_per_mwh
        assert price <= np.quantile(buildable, 1 / 3), cluster
    serving = {a.site for a in res.serving}
    assert len(serving) >= 4  # inference spread over several sites
    assert len(serving) > len(set(res.training.values()))
    slo = scn.network.default_slo_ms
    assert res.kpis.weighted_mean_rtt_ms <= slo and res.kpis.p95_rtt_ms <= slo


def _tenfold_lambda(scn: pl.Scenario) -> pl.Scenario:
    lam = scn.economics.latency_penalty_usd_per_user_ms_year
    economics = scn.economics.model_copy(update={"latency_penalty_usd_per_user_ms_year": 10 * lam})
    return scn.model_copy(update={"economics": economics})


def _check_lambda_does_not_raise_rtt(scn, base, gap) -> None:
    high = _tenfold_lambda(scn)
    res = pl.solve(high, gap=gap)
    pl.verify(high, res)
    # optimality argument (tests/test_properties.py): slack from the two solves' gap tolerance
    users = sum(r.population for r in scn.regions)
    lam = scn.economics.latency_penalty_usd_per_user_ms_year
    slack = gap * (base.objective + res.objective) / (9 * lam) / users
    assert res.kpis.weighted_mean_rtt_ms <= base.kpis.weighted_mean_rtt_ms + slack + 1e-9


def test_us_small_shows_the_contrast_and_lambda_monotonicity():
    scn = _load("us_small")
    res = pl.solve(scn, gap=1e-7)
    _check_contrast(scn, res)
    _check_lambda_does_not_raise_rtt(scn, res, 1e-7)


def test_us_default_shows_the_contrast_and_lambda_monotonicity(monkeypatch):
    # the LP branch and bound's wall-clock cap (10 s) is about machines, not about this claim:
    # lifted, a loaded machine cannot send the default to HiGHS's MIP
    import functools
    import math

    from placement.solving import methods

    monkeypatch.setattr(methods, "run", functools.partial(methods.run, lp_branch_seconds=math.inf))
    scn = _load("us_default")
    res = pl.solve(scn, gap=1e-6)
    _check_contrast(scn, res)
    # proven by fast LPs, not handed to HiGHS's MIP (whose root LP alone takes ~30 s here)
    assert "LP branch and bound" in res.message
    _check_lambda_does_not_raise_rtt(scn, res, 1e-6)


def test_main_command_on_the_bundled_default_writes_everything(tmp_path, capsys):
    assert main(["solve", "--out", str(tmp_path), "--quiet"]) == 0
    names = {p.name for p in tmp_path.iterdir()}
    assert {"result.json", "result.geojson", "map.png", "sites.csv"} <= names
    res = pl.PlacementResult.from_json(tmp_path / "result.json")
    scn = _load("us_default")
    pl.verify(scn, res)
    assert res.status is pl.Status.OPTIMAL and res.gap <= 1e-4
    geo = json.loads((tmp_path / "result.geojson").read_text())
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) > len(res.open_sites)
    assert (tmp_path / "map.png").stat().st_size > 50_000
