"""Benchmark instances: small picklable specs that build their scenario where they run.

A spec names a loader and its arguments, so a fresh worker process rebuilds exactly the same
seeded scenario. ``variant`` turns a scenario into the one actually solved:

* ``pruned`` — the scenario as given: pairs beyond a region's SLO are left out (exactly);
* ``dense`` — the same scenario with every SLO removed, so every site–region pair is in the
  model. That is a *different, relaxed* problem (an optimum can use pairs the SLO forbids); it
  shows what pruning saves in model size and time, not an alternative route to the same answer;
* ``none`` — a scenario without any SLO, where dense and pruned coincide.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from placement.datasets.synthetic import random_ai_scenario, random_cflp, random_menu_scenario
from placement.io.orlib import read_orlib_cflp, read_orlib_optima
from placement.model.schema import Scenario

ROOT = Path(__file__).resolve().parents[1]
ORLIB_DIR = ROOT / "data" / "orlib"
VARIANTS = ("none", "pruned", "dense")


@dataclass(frozen=True)
class InstanceSpec:
    """One benchmark instance: its family, name, size label and how to build it."""

    family: str
    name: str
    size: str  # "sites x regions", e.g. "50x200"
    loader: str
    args: tuple[Any, ...] = ()
    known_optimum: float | None = None
    has_slo: bool = False
    order: int = 0  # position on the family's size ladder (0 = smallest)
    kwargs: tuple[tuple[str, Any], ...] = field(default=())
    dense: bool = True  # with an SLO: also run the dense (no-SLO) variant

    @property
    def n_pairs_dense(self) -> int:
        """Sites × regions: the number of serving pairs without any SLO."""
        sites, regions = (int(x) for x in self.size.split("x"))
        return sites * regions

    @property
    def variants(self) -> tuple[str, ...]:
        if not self.has_slo:
            return ("none",)
        return ("pruned", "dense") if self.dense else ("pruned",)

    def load(self, variant: str = "none") -> Scenario:
        """Build the scenario (deterministic for a given spec) in the chosen variant."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # dataset data-gap notes are not benchmark output
            scenario = LOADERS[self.loader](*self.args, **dict(self.kwargs))
        return without_slo(scenario) if variant == "dense" else scenario


def without_slo(scenario: Scenario) -> Scenario:
    """The same scenario with no latency SLO anywhere: every site–region pair is eligible."""
    return scenario.model_copy(
        update={
            "name": f"{scenario.name}_dense",
            "network": scenario.network.model_copy(update={"default_slo_ms": None}),
            "regions": tuple(
                r if r.slo_ms is None else r.model_copy(update={"slo_ms": None})
                for r in scenario.regions
            ),
        }
    )


def orlib_names() -> list[str]:
    """The 37 OR-Library ``cap*`` instances that have a known optimum, in numeric order."""
    return sorted(read_orlib_optima(ORLIB_DIR / "capopt.txt"), key=_orlib_key)


def orlib_specs(names: list[str]) -> list[InstanceSpec]:
    """OR-Library ``cap*`` instances with Beasley's optima."""
    optima = read_orlib_optima(ORLIB_DIR / "capopt.txt")
    specs = []
    for name in names:
        path = ORLIB_DIR / f"{name}.txt"
        sites, regions = path.read_text(encoding="utf-8").split()[:2]
        specs.append(
            InstanceSpec(
                family="orlib",
                name=name,
                size=f"{sites}x{regions}",
                loader="orlib",
                args=(str(path),),
                known_optimum=optima[name],
                order=int(sites),
            )
        )
    return specs


def _orlib_key(name: str) -> tuple[int, int]:
    digits = name[3:]
    return (len(digits), int(digits))


def _load_us(which: str) -> Scenario:
    from placement import datasets

    return {"us_small": datasets.us_small, "us_default": datasets.us_default}[which]()


def _load_world(n_sites: int, n_regions: int, seed: int) -> Scenario:
    from benchmarks.world import world_ai_scenario

    return world_ai_scenario(n_sites, n_regions, seed)


# A planner's first what-ifs on the bundled default (issue 10): each changes one thing.
US_WHATIFS: tuple[str, ...] = (
    "base",
    "lambda_x0.1",
    "lambda_x10",
    "training_site_forbidden",
    "nm_power_plus30",
    "slo_20ms",
    "extra_campus",
)
TODAYS_TRAINING_SITE = "los_lunas_nm"  # where us_default's optimum builds every training job
EXTRA_CAMPUS = ("ellendale_nd", "Ellendale, ND", "ND", "38021")
"""Applied Digital's Polaris Forge AI campus (Dickey County, ND): a real campus that is not a
candidate of the bundled dataset, added as one more hyperscale campus."""


def us_whatif(which: str, menus: bool = True) -> Scenario:
    """``us_default(menus=menus)`` with one what-if applied (see :data:`US_WHATIFS`); without
    menus it is the legacy model (one build mode, air/liquid, one GPU type), the structure the
    decomposition covers."""
    from placement import datasets

    scenario = datasets.us_default(menus=menus)
    econ, rules = scenario.economics, scenario.rules
    lam = econ.latency_penalty_usd_per_user_ms_year
    if which == "base":
        return scenario
    if which in ("lambda_x0.1", "lambda_x10"):
        factor = 0.1 if which == "lambda_x0.1" else 10.0
        econ = econ.model_copy(update={"latency_penalty_usd_per_user_ms_year": lam * factor})
        return scenario.model_copy(update={"economics": econ, "name": f"us_default_{which}"})
    if which == "training_site_forbidden":
        rules = rules.model_copy(update={"forbidden": (TODAYS_TRAINING_SITE,)})
        return scenario.model_copy(update={"rules": rules, "name": f"us_default_{which}"})
    if which == "nm_power_plus30":
        sites = tuple(
            s.model_copy(update={"energy_price_usd_per_mwh": 1.3 * s.energy_price_usd_per_mwh})
            if s.state == "NM" and s.energy_price_usd_per_mwh is not None
            else s
            for s in scenario.sites
        )
        return scenario.model_copy(update={"sites": sites, "name": f"us_default_{which}"})
    if which == "slo_20ms":
        return _tight_slo(scenario, 20.0)
    if which == "extra_campus":
        return scenario.model_copy(
            update={"sites": (*scenario.sites, _extra_campus(scenario)), "name": "us_default_+1"}
        )
    raise ValueError(f"what-if {which!r}: choose one of {', '.join(US_WHATIFS)}")


def _tight_slo(scenario: Scenario, slo_ms: float) -> Scenario:
    """A tighter default SLO; regions no candidate reaches within it keep the old one (a
    planner would not promise 20 ms to the Aleutians)."""
    import numpy as np

    from placement.model.data import build_model_data

    tight = scenario.model_copy(
        update={
            "network": scenario.network.model_copy(update={"default_slo_ms": slo_ms}),
            "name": f"{scenario.name}_slo_{slo_ms:g}ms",
        }
    )
    served = np.zeros(len(scenario.regions), dtype=bool)
    served[build_model_data(tight).serving.other] = True  # RTT + service time within the SLO
    remote = set(np.flatnonzero(~served).tolist())
    old = scenario.network.default_slo_ms
    regions = tuple(
        r.model_copy(update={"slo_ms": old}) if j in remote and r.slo_ms is None else r
        for j, r in enumerate(scenario.regions)
    )
    return tight.model_copy(update={"regions": regions})


def _extra_campus(scenario: Scenario) -> Any:
    from placement.datasets.us import county_records, state_records

    sid, name, state, fips = EXTRA_CAMPUS
    county = next(c for c in county_records() if c.fips == fips)
    record = state_records()[state]
    template = next(s for s in scenario.sites if s.id == "abilene_tx")  # a hyperscale campus
    return template.model_copy(
        update={
            "id": sid,
            "name": name,
            "state": state,
            "lat": county.lat,
            "lon": county.lon,
            "energy_price_usd_per_mwh": record.price_usd_per_mwh,
            "carbon_kg_per_mwh": record.carbon_kg_per_mwh,
            "cooling_degree_days": record.cdd_65f,
        }
    )


def _load_growth(which: str, count: int) -> Scenario:
    """A bundled growth plan (``us_default_growth``, ``us_small_growth``) over ``count`` years."""
    from placement import datasets

    return getattr(datasets, which)(count=count)


LOADERS: dict[str, Any] = {
    "orlib": lambda path: read_orlib_cflp(path),
    "random_cflp": lambda n, m, seed, ratio=3.0: random_cflp(n, m, seed, capacity_ratio=ratio),
    "us_whatif": us_whatif,
    "us_growth": lambda which, count: _load_growth(which, count),
    "random_ai": lambda n, m, seed: random_ai_scenario(n, m, 2, seed, slo_ms=60.0),
    "random_menu": lambda n, m, seed: random_menu_scenario(n, m, 2, seed, slo_ms=60.0),
    "world_ai": _load_world,
    "us": _load_us,
}
