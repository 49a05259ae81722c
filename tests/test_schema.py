"""Scenario validation: errors name the field, the value and the rule; files round-trip."""

from __future__ import annotations

import json

import pytest
from conftest import region, scenario, site

import placement as pl


def test_latitude_out_of_range_names_field_value_and_rule():
    with pytest.raises(pl.ScenarioError) as err:
        scenario(sites=[site("a", 123.0, 0.0)])
    text = str(err.value)
    assert "sites[0].lat" in text and "123.0" in text and "less than or equal to 90" in text


def test_negative_power_is_rejected():
    with pytest.raises(pl.ScenarioError, match=r"sites\[0\]\.power_mw = -5\.0: .*greater than 0"):
        scenario(sites=[site("a", 0.0, 0.0, power_mw=-5.0)])


def test_unknown_field_and_missing_field():
    with pytest.raises(pl.ScenarioError, match=r"sites\[0\]\.colour: unknown field"):
        scenario(sites=[site("a", 0.0, 0.0, colour="red")])
    with pytest.raises(pl.ScenarioError, match=r"sites\[0\]\.carbon_kg_per_mwh: required field"):
        scenario(sites=[{"id": "a", "lat": 0.0, "lon": 0.0}])
    costs = {"energy_price_usd_per_mwh": 50.0, "carbon_kg_per_mwh": 0.0, "pue": 1.2}
    missing_power = r"sites\[0\]\.power_mw: required field is missing \(site 'a'\)"
    with pytest.raises(pl.ScenarioError, match=missing_power):
        scenario(sites=[{"id": "a", "lat": 0.0, "lon": 0.0, **costs}])


def test_cross_references_are_checked():
    with pytest.raises(pl.ScenarioError, match=r"rules\.forbidden: 'nope' is not a site id"):
        scenario(sites=[site("a", 0, 0)], rules={"forbidden": ["nope"]})
    with pytest.raises(pl.ScenarioError, match="id 'a' appears twice"):
        scenario(sites=[site("a", 0, 0), site("a", 1, 1)])
    with pytest.raises(pl.ScenarioError, match="cannot be both"):
        scenario(sites=[site("a", 0, 0)], rules={"forbidden": ["a"], "existing": ["a"]})
    with pytest.raises(pl.ScenarioError, match="air_cooling_limit_kw"):
        scenario(sites=[site("a", 0, 0, max_rack_density_kw=30.0, air_cooling_limit_kw=40.0)])


def test_dense_cluster_is_not_a_schema_error():
    scn = scenario(
        sites=[site("a", 0, 0, max_rack_density_kw=50.0)],
        training=[{"id": "k", "it_mw": 10.0, "rack_density_kw": 130.0}],
    )
    assert scn.training[0].racks == 77  # ceil(10,000 kW / 130 kW)


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_file_round_trip(tmp_path, suffix):
    scn = scenario(
        sites=[site("a", 1.5, 2.5, liquid_cooling_available=True)],
        regions=[region("r", 3.0, 4.0, population=10.0, demand_gpus=4.0, slo_ms=30.0)],
        training=[{"id": "k", "it_mw": 10.0, "rack_density_kw": 130.0}],
        rules={"must_open": ["a"]},
        pair_costs_usd_per_year={"a": {"r": 5.0}},
    )
    path = scn.to_file(tmp_path / f"scn{suffix}")
    assert pl.Scenario.from_file(path) == scn
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_malformed_files_give_one_clear_message(tmp_path):
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("sites: [\n  {id: a, lat: 1\n")
    with pytest.raises(pl.ScenarioError, match="malformed YAML at line"):
        pl.Scenario.from_file(bad_yaml)
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"sites": [}')
    with pytest.raises(pl.ScenarioError, match="malformed JSON at line 1"):
        pl.Scenario.from_file(bad_json)
    not_mapping = tmp_path / "list.yaml"
    not_mapping.write_text("- 1\n- 2\n")
    with pytest.raises(pl.ScenarioError, match="mapping at the top level"):
        pl.Scenario.from_file(not_mapping)
    with pytest.raises(pl.ScenarioError, match="cannot read"):
        pl.Scenario.from_file(tmp_path / "missing.yaml")
    wrong_type = tmp_path / "type.json"
    wrong_type.write_text(json.dumps({"sites": [site("a", "north", 0)]}))
    with pytest.raises(pl.ScenarioError, match=r"sites\[0\]\.lat = 'north'"):
        pl.Scenario.from_file(wrong_type)


def test_demand_precedence_and_units():
    scn = scenario(
        sites=[site("a", 0, 0)],
        regions=[
            region("mw", 0, 0, demand_mw=2.0, demand_gpus=5.0, population=1e6),
            region("gpus", 0, 0, demand_gpus=800.0, population=1e6),
            region("people", 0, 0, population=1e6),
        ],
        inference={"gpu_kw": 1.25, "gpus_per_1000_people": 0.5},
    )
    mw, gpus, people = scn.regions
    assert scn.region_demand_mw(mw) == 2.0
    assert scn.region_demand_mw(gpus) == pytest.approx(1.0)
    assert scn.region_demand_gpus(people) == pytest.approx(500.0)
    assert scn.region_demand_mw(people) == pytest.approx(0.625)


def test_capital_recovery_factor():
    assert pl.capital_recovery_factor(0.0, 10) == pytest.approx(0.1)
    # r = 8 %, n = 15 years: 0.08 · 1.08^15 / (1.08^15 − 1) = 0.116830 (standard annuity table)
    assert pl.capital_recovery_factor(0.08, 15) == pytest.approx(0.1168295, rel=1e-6)
