"""Training across nearby sites (a cluster's ``split``), worked out by hand.

A 100 MW cluster; NYC and PHL (4.08 ms apart) can each hold 60 MW at 40 USD/MWh, Chicago
holds it whole at 100 USD/MWh. Whole: 100 · 8760 · 100 = 87.6e6 a year. Split over NYC and
PHL: 100 · 8760 · 40 = 35.04e6 plus the interconnect.
"""

from __future__ import annotations

import pytest
from conftest import scenario, site, solve_verified

import placement as pl

NYC, PHL, BOS, CHI = (40.71, -74.01), (39.95, -75.17), (42.36, -71.06), (41.88, -87.63)
H = 8760.0
WHOLE = 100 * H * 100.0
SPLIT_ENERGY = 100 * H * 40.0


def _scenario(split: dict | None, near_power: float = 60.0, third: bool = False) -> pl.Scenario:
    near = {"power_mw": near_power, "energy_price_usd_per_mwh": 40.0}
    sites = [site("nyc", *NYC, **near), site("phl", *PHL, **near)]
    if third:
        sites.append(site("bos", *BOS, **near))
    sites.append(site("chi", *CHI, power_mw=200.0, energy_price_usd_per_mwh=100.0))
    cluster = {"id": "big", "it_mw": 100.0, "rack_density_kw": 30.0}
    if split is not None:
        cluster["split"] = split
    return scenario(sites=sites, regions=[], training=[cluster])


def _split(bound_ms: float = 5.0, interconnect: float = 1e6, sites: int = 2) -> dict:
    return {"max_sites": sites, "max_pair_rtt_ms": bound_ms, "interconnect_usd_per_year":
            interconnect}  # fmt: skip


def test_off_by_default_the_cluster_sits_whole():
    res = solve_verified(_scenario(None))
    assert res.training == {"big": "chi"} and res.training_choices["big"].parts == ()
    assert res.objective == pytest.approx(WHOLE, rel=1e-9)


def test_a_split_within_the_bound_that_pays_is_taken_and_said():
    res = solve_verified(_scenario(_split()))
    choice = res.training_choices["big"]
    assert {p.site for p in choice.parts} == {"nyc", "phl"}
    assert sum(p.share for p in choice.parts) == pytest.approx(1.0, rel=1e-9)
    assert all(p.it_mw <= 60.0 + 1e-6 for p in choice.parts)
    assert choice.interconnect_usd == pytest.approx(1e6)
    assert res.costs.interconnect == pytest.approx(1e6)
    assert res.objective == pytest.approx(SPLIT_ENERGY + 1e6, rel=1e-9)
    (paid,) = res.comparisons
    assert paid.feature == "split:big"
    assert paid.objective == pytest.approx(WHOLE, rel=1e-9)
    assert paid.difference == pytest.approx(SPLIT_ENERGY + 1e6 - WHOLE, rel=1e-9)


def test_no_split_beyond_the_rtt_bound():
    res = solve_verified(_scenario(_split(bound_ms=3.0)))  # NYC-PHL is 4.08 ms
    assert res.training == {"big": "chi"} and res.training_choices["big"].parts == ()
    assert res.objective == pytest.approx(WHOLE, rel=1e-9)


def test_no_split_when_the_interconnect_costs_more_than_it_saves():
    res = solve_verified(_scenario(_split(interconnect=WHOLE - SPLIT_ENERGY + 1.0)))
    assert res.training == {"big": "chi"} and res.comparisons == ()


def test_at_most_m_sites():
    """Three nearby sites of 40 MW: the cluster needs all three, max_sites 2 forbids it."""
    two = solve_verified(_scenario(_split(bound_ms=20.0), near_power=40.0, third=True))
    assert two.training == {"big": "chi"}
    three = solve_verified(_scenario(_split(bound_ms=20.0, sites=3), near_power=40.0, third=True))
    assert {p.site for p in three.training_choices["big"].parts} == {"nyc", "phl", "bos"}
    assert three.objective == pytest.approx(SPLIT_ENERGY + 2e6, rel=1e-9)  # 2 extra sites


def test_verify_rejects_parts_too_far_apart():
    scn = _scenario(_split())
    res = solve_verified(scn)
    tight = _scenario(_split(bound_ms=3.0))
    with pytest.raises(pl.VerificationError, match="beyond max_pair_rtt_ms = 3"):
        pl.verify(tight, res)


def test_bad_split_settings_are_named_errors():
    with pytest.raises(pl.ScenarioError, match=r"training\[0\]\.split\.max_sites"):
        _scenario(_split(sites=1))
    with pytest.raises(pl.ScenarioError, match=r"training\[0\]\.split\.max_pair_rtt_ms"):
        _scenario(_split(bound_ms=0.0))


def test_the_csv_lists_the_parts_and_the_interconnect():
    from placement.results.frames import training_rows

    scn = _scenario(_split())
    (row,) = training_rows(scn, solve_verified(scn))
    shares = dict(item.rsplit(" ", 1) for item in row["parts"].split("; "))
    assert set(shares) == {"nyc", "phl"}
    assert sum(float(v) for v in shares.values()) == pytest.approx(1.0, abs=2e-3)
    assert row["interconnect_usd"] == pytest.approx(1e6)


def test_the_report_says_the_cluster_is_split():
    from placement.outputs.report import summary_text

    scn = _scenario(_split())
    text = summary_text(scn, solve_verified(scn))
    assert "split across nearby sites" in text and "each whole at one site" not in text
    assert "Training split across nearby sites" in text
    assert "splitting big: -" in text  # what splitting saved against the cluster whole
