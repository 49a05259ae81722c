"""Issue 13, inputs: no silent cost defaults, site_defaults, empty files, calibrated latency."""

from __future__ import annotations

import pytest
import yaml
from conftest import SITE_COSTS, region, scenario, site, solve_verified

import placement as pl
from placement.datasets import us
from placement.datasets.latency import fit_latency, measured_pairs
from placement.model.latency import rtt_ms

NYC = (40.71, -74.01)


# ---------------------------------------------------------------- missing cost fields
def test_a_site_without_its_price_is_an_error_not_a_free_site(tmp_path):
    # Before: Memphis without a price validated and took all training at "USD/MWh 0.0".
    data = pl.datasets.us_small().to_dict()
    index = next(i for i, s in enumerate(data["sites"]) if s["id"] == "memphis_tn")
    del data["sites"][index]["energy_price_usd_per_mwh"]
    path = tmp_path / "no_price.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(pl.ScenarioError) as err:
        pl.Scenario.from_file(path)
    message = str(err.value)
    assert f"sites[{index}].energy_price_usd_per_mwh: required field is missing" in message
    assert "memphis_tn" in message and "site_defaults" in message


@pytest.mark.parametrize(
    "field", ["energy_price_usd_per_mwh", "pue", "build_cost_usd_per_mw_year", "carbon_kg_per_mwh"]
)
def test_each_cost_field_is_required(field):
    fields = {k: v for k, v in SITE_COSTS.items() if k != field}
    with pytest.raises(pl.ScenarioError, match=rf"sites\[0\]\.{field}: required field is missing"):
        pl.Scenario.from_dict({"sites": [{"id": "a", "lat": 0, "lon": 0, "power_mw": 1, **fields}]})


def test_liquid_cooling_that_may_be_built_states_its_cost():
    bare = {"id": "a", "lat": 0, "lon": 0, "power_mw": 1, **SITE_COSTS}
    with pytest.raises(pl.ScenarioError, match=r"sites\[0\] \(id 'a'\): liquid_cooling_cost"):
        pl.Scenario.from_dict({"sites": [{**bare, "liquid_cooling_available": True}]})


def test_site_defaults_fill_what_a_site_leaves_out_and_the_site_wins():
    scn = pl.Scenario.from_dict(
        {
            "site_defaults": {**SITE_COSTS, "energy_price_usd_per_mwh": 55.0, "pue": 1.3},
            "sites": [
                {"id": "a", "lat": 0, "lon": 0, "power_mw": 10},
                {"id": "b", "lat": 0, "lon": 1, "power_mw": 10, "energy_price_usd_per_mwh": 80},
            ],
        }
    )
    assert [s.energy_price_usd_per_mwh for s in scn.sites] == [55.0, 80.0]
    assert [s.pue for s in scn.sites] == [1.3, 1.3]
    again = pl.Scenario.from_dict(scn.to_dict())
    assert again == scn


def test_bad_site_defaults_are_named():
    with pytest.raises(pl.ScenarioError, match=r"site_defaults\.pue = 0\.5"):
        pl.Scenario.from_dict(
            {"site_defaults": {**SITE_COSTS, "pue": 0.5}, "sites": [site("a", 0, 0)]}
        )


def test_site_defaults_solve_like_the_same_values_on_each_site():
    spelled = scenario(
        sites=[site("a", *NYC, energy_price_usd_per_mwh=40.0, pue=1.2)],
        regions=[region("r", *NYC, population=1.0, demand_mw=1.0)],
    )
    defaults = scenario(
        site_defaults={**SITE_COSTS, "energy_price_usd_per_mwh": 40.0, "pue": 1.2},
        sites=[{"id": "a", "lat": NYC[0], "lon": NYC[1], "power_mw": 1000.0}],
        regions=[region("r", *NYC, population=1.0, demand_mw=1.0)],
    )
    assert solve_verified(defaults).objective == pytest.approx(solve_verified(spelled).objective)


# ---------------------------------------------------------------- empty files
@pytest.mark.parametrize("text", ["", "# only a comment\n"])
def test_an_empty_file_is_called_empty(tmp_path, text):
    path = tmp_path / "empty.yaml"
    path.write_text(text)
    with pytest.raises(pl.ScenarioError, match="the file is empty") as err:
        pl.Scenario.from_file(path)
    assert "NoneType" not in str(err.value)


# ---------------------------------------------------------------- calibrated latency
PAIRS = {
    ("New York", "Chicago"),
    ("Los Angeles", "San Francisco"),
    ("Dallas", "Atlanta"),
    ("Seattle", "Chicago"),
}


def _measured(a: str, b: str):
    return next(p for p in measured_pairs() if {p.city_a, p.city_b} == {a, b})


@pytest.mark.parametrize("pair", sorted(PAIRS))
def test_default_rtt_is_within_15_percent_of_the_measured_table(pair):
    # Before: route factor 2.1 + 2 ms put New York–Chicago at 25.6 ms.
    measured = _measured(*pair)
    model = float(rtt_ms(measured.km, pl.NetworkSettings()))
    assert abs(model - measured.rtt_avg_ms) <= 0.15 * measured.rtt_avg_ms, (model, measured)


def test_defaults_are_the_fit_and_its_error_is_published():
    fit = fit_latency()
    net = pl.NetworkSettings()
    assert net.route_factor == round(fit.route_factor, 2) == us.ROUTE_FACTOR
    assert net.base_rtt_ms == round(fit.base_rtt_ms, 1) == us.BASE_RTT_MS
    assert fit.pairs == 300
    readme = (us.data_dir() / "README.md").read_text(encoding="utf-8")
    assert f"median {fit.median_relative_error:.1%}" in readme
    assert f"p90 {fit.p90_relative_error:.1%}" in readme
    bundled = pl.datasets.us_small().network
    assert (bundled.route_factor, bundled.base_rtt_ms) == (net.route_factor, net.base_rtt_ms)


def test_the_measured_table_is_the_whole_us_excerpt():
    pairs = measured_pairs()
    assert len(pairs) == 2210 and sum(p.hub_pair for p in pairs) == 300
    assert all(0 < p.rtt_min_ms <= p.rtt_avg_ms for p in pairs)
