"""The decomposition on decision menus: leases, cloud (with a quota), several hardware types,
several ways to build a cluster, the share cap across a site's facilities.

Every answer goes through :func:`placement.verify`; every bound is checked against the plain
MILP's proven optimum and every optimal answer equals it.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import region, scenario, site
from test_decomposition import assert_consistent, decompose, milp
from test_menu_properties import menu_scenario

import placement as pl
from placement.decomposition import solve_decomposition, unsupported_features
from placement.decomposition.classic import classic_view
from placement.decomposition.relaxation import Evaluator, Fixings, build_relaxation
from placement.decomposition.solve import initial_multipliers
from placement.model.data import build_model_data


def menus(seed: int, share: float = 1.0, *, quota: bool = True) -> pl.Scenario:
    """4 sites (two with build and lease, one with a rack limit, one cloud region with a GPU
    quota), 8 regions, two inference hardware types in air cooling (40 and 30 kW racks), two
    clusters with a dense (liquid) and an air option."""
    d = menu_scenario(seed)
    rng = np.random.default_rng(seed + 7)
    d["cooling_technologies"][1]["min_rack_density_kw"] = 45.0  # liquid only above air
    for cluster in d["training"]:
        cluster["options"][1]["it_mw"] = float(rng.uniform(15, 45))
    d["sites"][2]["racks_available"] = int(rng.integers(100, 500))  # two racks-per-MW ratios
    d["sites"][0].update(
        financing=["build", "lease"],
        lease={
            "usd_per_kw_month": float(rng.uniform(60, 200)),
            "max_it_mw": 25.0,
            "max_rack_density_kw": 45.0,
        },
    )
    d["sites"][1].update(
        financing=["build", "lease"],
        lease={
            "usd_per_kw_month": float(rng.uniform(60, 200)),
            "max_it_mw": 15.0,
            "max_rack_density_kw": 45.0,
            "energy_included": True,
        },
    )
    cloud: dict = {
        "usd_per_unit_hour": {"gpu": float(rng.uniform(1, 4)), "asic": float(rng.uniform(1, 4))}
    }
    if quota:
        cloud["quota_units"] = {"gpu": float(rng.uniform(20, 120))}
    d["sites"].append(
        {
            "id": "cloud",
            "lat": 38.0,
            "lon": -95.0,
            "financing": ["cloud"],
            "carbon_kg_per_mwh": 300.0,
            "cloud": cloud,
        }
    )
    d["rules"] = {"max_share_per_site": share}
    return pl.Scenario.from_dict(d)


def rich_menus(seed: int, share: float = 1.0) -> pl.Scenario:
    """:func:`menus` with a quota on both hardware types in the cloud (one is the capacity
    row, the other only the heuristics hold) and a second liquid technology (immersion), so
    a dense cluster can sit in either of two cooling options with a fixed cost."""
    d = menus(seed, share).model_dump(mode="json", exclude_none=True)
    rng = np.random.default_rng(seed + 11)
    d["sites"][-1]["cloud"]["quota_units"]["asic"] = float(rng.uniform(20, 120))
    d["cooling_technologies"].append(
        {
            "id": "immersion",
            "liquid": True,
            "min_rack_density_kw": 45.0,
            "max_rack_density_kw": 250.0,
            "pue_base": 1.03,
            "fixed_capital_usd": float(rng.uniform(5e6, 3e7)),
            "capital_usd_per_mw": float(rng.uniform(0.0, 2e5)),
        }
    )
    return pl.Scenario.from_dict(d)


def used(result: pl.PlacementResult, scn: pl.Scenario) -> set[str]:
    """The menu entries an answer uses."""
    out = {f"{s.site}/{f}" for s in result.sites for f in s.financing}
    out |= {f"hw:{a.hardware}" for a in result.serving}
    out |= {f"option:{t.option}" for t in result.training_choices.values()}
    quota = scn.sites[-1].cloud.quota_units.get("gpu")
    units = sum(a.units for a in result.serving if a.financing == "cloud" and a.hardware == "gpu")
    if quota is not None and units >= quota * (1 - 1e-6):
        out.add("quota binds")
    return out


SEEDS = range(6)


def test_the_menu_scenarios_are_covered():
    for seed in SEEDS:
        assert unsupported_features(build_model_data(menus(seed, 0.6))) == []


@pytest.mark.parametrize("share", [1.0, 0.6])
def test_menus_match_the_plain_milp(share):
    """Each answer equals the MILP's proven optimum; together the seeds exercise every menu
    (a lease chosen, the cloud used up to its quota, both hardware types, both options)."""
    seen: set[str] = set()
    for seed in SEEDS:
        scn = menus(seed, share)
        reference = milp(scn)
        result = decompose(scn)
        assert_consistent(result, reference)
        seen |= used(result, scn)
    for entry in ("s0/lease", "s1/lease", "cloud/cloud", "hw:gpu", "hw:asic"):
        assert entry in seen
    assert {"option:dense", "option:air", "quota binds"} <= seen


@pytest.mark.parametrize("share", [1.0, 0.6])
def test_two_quotas_and_two_liquid_technologies_match_the_plain_milp(share):
    """Both cloud quotas bind somewhere, and both liquid technologies are installed somewhere
    (each paid once per facility however many clusters sit in it)."""
    seen: set[str] = set()
    for seed in SEEDS:
        scn = rich_menus(seed, share)
        assert unsupported_features(build_model_data(scn)) == []
        reference = milp(scn)
        result = decompose(scn)
        assert_consistent(result, reference)
        quota = scn.sites[-1].cloud.quota_units
        for hw in ("gpu", "asic"):
            units = sum(
                a.units for a in result.serving if a.financing == "cloud" and a.hardware == hw
            )
            if units >= quota[hw] * (1 - 1e-6):
                seen.add(f"quota {hw}")
        seen |= {t.cooling for t in result.training_choices.values()}
    assert {"quota gpu", "quota asic", "dlc", "immersion"} <= seen


def test_the_bundled_small_us_menus_match_the_plain_milp():
    """us_small: leases, four cloud regions with two quotas each, three hardware types,
    three ways per cluster, three cooling technologies with a fixed cost per site."""
    scn = pl.datasets.us_small()
    assert unsupported_features(build_model_data(scn)) == []
    assert_consistent(decompose(scn), milp(scn))


@pytest.mark.slow
@pytest.mark.parametrize("share", [1.0, 0.6])
@pytest.mark.parametrize("seed", range(6, 16))
def test_menus_match_the_plain_milp_more_seeds(seed, share):
    for scn in (menus(seed, share), rich_menus(seed, share)):
        assert_consistent(decompose(scn), milp(scn))


@pytest.mark.parametrize("make", [menus, rich_menus])
@pytest.mark.parametrize("seed", [0, 3])
def test_lagrangian_bound_on_menus_is_valid_for_any_multipliers(seed, make):
    """L(λ) ≤ the optimum for random multipliers around the initial ones (several facilities
    per site, a quota as capacity row, two hardware types, two options per cluster, two
    liquid technologies)."""
    scn = make(seed, 0.6)
    optimum = milp(scn).objective
    view = classic_view(build_model_data(scn))
    rel = build_relaxation(view)
    evaluator = Evaluator(rel)
    rng = np.random.default_rng(seed)
    lam0 = initial_multipliers(rel)
    nonneg = rel.nonnegative
    for _ in range(40):
        lam = lam0 * rng.uniform(0.0, 2.5, lam0.size) + rng.normal(0, 1e5, lam0.size)
        lam[nonneg] = np.maximum(lam[nonneg], 0.0)
        sub = evaluator.evaluate(lam, Fixings.root(rel))
        assert sub.bound <= optimum * (1 + 1e-9)


def _two_facility_site(share: float) -> pl.Scenario:
    """One region of 10 MW; site a (build, and a 3 MW lease), site b (build, dear)."""
    return scenario(
        sites=[
            site(
                "a",
                40.0,
                -100.0,
                power_mw=100.0,
                build_cost_usd_per_mw_year=2e6,
                financing=["build", "lease"],
                lease={"usd_per_kw_month": 100.0, "max_it_mw": 3.0, "max_rack_density_kw": 50.0},
            ),
            site("b", 40.5, -100.5, power_mw=100.0, build_cost_usd_per_mw_year=9e6),
        ],
        regions=[region("r", 40.2, -100.2, population=2e6, demand_mw=10.0, slo_ms=50.0)],
        rules={"max_share_per_site": share},
    )


def test_the_share_cap_holds_across_a_sites_build_and_lease():
    """The lease (1.2 M$/MW-yr) beats building at a (2 M$), which beats b (9 M$): without the
    cap the region is served at a only; with s̄ = 0.6 the build and lease facilities of a
    together take 0.6 and b the rest (a heuristic that capped each facility alone would put
    it all at a)."""
    free = decompose(_two_facility_site(1.0))
    capped_scn = _two_facility_site(0.6)
    capped = decompose(capped_scn)
    assert_consistent(capped, milp(capped_scn))
    assert sum(a.share for a in free.serving if a.site == "a") == pytest.approx(1.0)
    at_a = [a for a in capped.serving if a.site == "a"]
    assert {a.financing for a in at_a} == {"build", "lease"}
    assert sum(a.share for a in at_a) == pytest.approx(0.6)
    assert sum(a.share for a in capped.serving if a.site == "b") == pytest.approx(0.4)


def test_a_binding_cloud_quota_sends_the_rest_elsewhere():
    """The cloud is the cheapest but its quota holds 40 % of the region's GPUs."""
    scn = menus(0)
    data = scn.to_dict()
    # one region, and a quota of 40 % of its GPUs
    data["regions"] = data["regions"][:1]
    data["regions"][0]["slo_ms"] = 200.0
    data["economics"]["latency_penalty_usd_per_user_ms_year"] = 0.0
    demand = build_model_data(pl.Scenario.from_dict(data))
    gpu = demand.hardware_ids.index("gpu")
    units = float(demand.region_work[0] * demand.offer.hardware.units_per_work[gpu])
    cloud = data["sites"][-1]["cloud"]
    cloud["usd_per_unit_hour"] = {"gpu": 0.01}
    cloud["quota_units"] = {"gpu": 0.4 * units}
    scn = pl.Scenario.from_dict(data)
    result = decompose(scn)
    assert_consistent(result, milp(scn))
    in_cloud = [a for a in result.serving if a.financing == "cloud"]
    assert sum(a.units for a in in_cloud) == pytest.approx(0.4 * units, rel=1e-6)
    assert sum(a.share for a in in_cloud) == pytest.approx(0.4, rel=1e-6)


def with_budget(scn: pl.Scenario, budget: float) -> pl.Scenario:
    d = scn.model_dump(mode="json", exclude_none=True)
    d.setdefault("rules", {})["capital_budget_usd_per_year"] = budget
    return pl.Scenario.from_dict(d)


def _budget_cases(make, seeds) -> int:
    """97 % of the capital the unconstrained optimum spends: dearer answers (leases and cloud
    instead of building) or none (proven infeasible by both). Returns how many answers the
    budget changed."""
    changed = 0
    for seed in seeds:
        free = milp(make(seed, 0.6))
        scn = with_budget(make(seed, 0.6), 0.97 * free.costs.capital)
        assert unsupported_features(build_model_data(scn)) == []
        reference = milp(scn)
        result = decompose(scn)
        assert_consistent(result, reference)
        if result.objective is not None:
            assert result.costs.capital <= 0.97 * free.costs.capital * (1 + 1e-9)
            changed += result.objective > free.objective * (1 + 1e-9)
    return changed


def test_a_capital_budget_matches_the_plain_milp():
    """The budget is dualised like the carbon cap (its LP bound is weak here: 88.5 M against
    an optimum of 134.6 M for seed 1, so the tree does the work)."""
    assert _budget_cases(menus, (3,)) == 1


@pytest.mark.slow
@pytest.mark.parametrize("make", [menus, rich_menus])
def test_a_capital_budget_matches_the_plain_milp_more_seeds(make):
    assert _budget_cases(make, range(4)) >= 2


def test_what_is_still_not_covered_falls_back_to_the_milp_and_says_so():
    """Split cooling (a hardware two options can host) stays MILP."""
    scn = pl.Scenario.from_dict(menu_scenario(1))  # dlc from 0 kW: GPUs in air or liquid
    missing = " ".join(unsupported_features(build_model_data(scn)))
    assert "inference split over several cooling options" in missing
    result = pl.solve(scn, method="decomposition")
    pl.verify(scn, result)
    assert result.method != "decomposition"
    assert "solved by the MILP because the decomposition does not cover" in result.message
    assert "inference split over several cooling options" in result.message


def test_racks_bound_inference_of_two_hardware_types_by_the_smaller_ratio():
    """Site a has 250 racks: 10 MW of 40 kW GPU racks or 5 MW of 20 kW ASIC racks. The
    optimum serves the whole 10 MW region with GPUs at a; a relaxation that bounded a's
    inference by the ASIC's racks per MW would send half of it to the dear site b and prove
    a bound above the optimum."""
    hardware = [
        {"id": "gpu", "throughput_per_unit": 1.0, "kw_per_unit": 1.0, "rack_density_kw": 40.0,
         "capital_usd_per_unit": 1000.0, "service_time_ms": 5.0},
        {"id": "asic", "throughput_per_unit": 1.0, "kw_per_unit": 1.0, "rack_density_kw": 20.0,
         "capital_usd_per_unit": 2000.0, "service_time_ms": 0.0},
    ]  # fmt: skip
    cooling = {"air_cooling_limit_kw": 50.0, "max_rack_density_kw": 50.0}
    scn = scenario(
        sites=[
            site("a", 40.0, -100.0, racks_available=250, build_cost_usd_per_mw_year=1e6, **cooling),
            site("b", 40.5, -100.5, build_cost_usd_per_mw_year=5e6, **cooling),
        ],
        regions=[region("r", 40.2, -100.2, population=1e6, demand_work=10_000.0, slo_ms=50.0)],
        hardware=hardware,
    )
    data = build_model_data(scn)
    assert unsupported_features(data) == []
    reference = milp(scn)
    result = decompose(scn)
    assert_consistent(result, reference)
    assert {(a.site, a.hardware) for a in result.serving} == {("a", "gpu")}
    root = solve_decomposition(data, gap=1e-9).stats["root_bound"]
    assert reference.objective * (1 - 1e-3) <= root <= reference.objective * (1 + 1e-9)


def test_auto_keeps_menu_models_on_the_milp(monkeypatch):
    """The measurements (benchmarks/RESULTS.md) favour the MILP on menu models: ``auto`` keeps
    them there even where it takes the decomposition for a classic model of the same size;
    asked for, the decomposition solves them."""
    from placement.datasets.synthetic import random_ai_scenario
    from placement.solving import decomposed

    monkeypatch.setattr(decomposed, "AUTO_MIN_SITES", 2)
    monkeypatch.setattr(decomposed, "AUTO_MIN_PAIRS", 10)
    classic = build_model_data(random_ai_scenario(7, 30, 2, seed=0))
    menu = build_model_data(menus(0))
    auto, wanted = pl.SolveOptions(), pl.SolveOptions(method="decomposition")
    assert decomposed.choose(classic, auto, customised=False).method == "decomposition"
    assert decomposed.choose(menu, auto, customised=False) == decomposed.Choice("milp", "")
    assert decomposed.choose(menu, wanted, customised=False) == decomposed.Choice(
        "decomposition", ""
    )


def test_a_capital_budget_splits_a_region_between_build_and_lease():
    """Building at a costs 1.0 M$/MW-yr, all of it capital; its 10 MW lease 1.2 M$ of rent.
    A 5 M$ budget builds half of the 10 MW region and leases the rest."""
    d = _two_facility_site(1.0).model_dump(mode="json", exclude_none=True)
    d["sites"][0]["build_cost_usd_per_mw_year"] = 1e6
    d["sites"][0]["lease"]["max_it_mw"] = 10.0
    d["rules"]["capital_budget_usd_per_year"] = 5e6
    scn = pl.Scenario.from_dict(d)
    result = decompose(scn)
    assert_consistent(result, milp(scn))
    shares = {a.financing: a.share for a in result.serving if a.site == "a"}
    assert shares == pytest.approx({"build": 0.5, "lease": 0.5})
    assert result.costs.capital == pytest.approx(5e6)


RULES = {
    "carbon_cap": (24, lambda r, d, free: r.update(
        carbon_cap_tonnes_per_year=0.9 * free.kpis.carbon_tonnes_per_year)),
    "max_sites": (21, lambda r, d, free: r.update(max_sites=3)),
    "existing_forbidden": (22, lambda r, d, free: r.update(existing=["s1"], forbidden=["s2"])),
    "training_sites_soft_demand": (23, lambda r, d, free: (
        r.update(max_training_sites=1),
        d["economics"].update(unserved_penalty_usd_per_work_year=3000.0),
    )),
}  # fmt: skip


@pytest.mark.parametrize("make", [menus, rich_menus])
@pytest.mark.parametrize("rule", sorted(RULES))
def test_the_rules_on_menus_match_the_plain_milp(rule, make):
    """The classic rules on top of the menus: carbon cap, site limits, existing and forbidden
    sites (existing opens the site's first facility), soft demand."""
    seed, apply = RULES[rule]
    base = make(seed, 0.7)
    free = milp(base)
    d = base.model_dump(mode="json", exclude_none=True)
    apply(d.setdefault("rules", {}), d, free)
    scn = pl.Scenario.from_dict(d)
    assert_consistent(decompose(scn), milp(scn))
