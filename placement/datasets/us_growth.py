"""The bundled US scenario over five years, 2026–2030: demand growth from public figures.

Sources and every assumption: ``data/README.md`` ("Growth path"). In brief:

* **Demand growth 15 % a year** (``DEMAND_GROWTH``), every region alike: the IEA's base case
  for data-centre electricity use, about 415 TWh in 2024 to about 945 TWh in 2030 (*Energy
  and AI*, April 2025), ≈ 14.7 %/yr. It sits inside the range of LBNL's *2024 United States
  Data Center Energy Usage Report* (Shehabi et al., December 2024): 176 TWh in 2023 to
  325–580 TWh in 2028, 13.0–26.9 %/yr (midpoint 452 TWh: 20.8 %/yr). ASSUMPTION: inference
  work grows as data-centre electricity does; the bundled default's demand is 2026's.
* **A new frontier training job in 2028** (``NEW_TRAINING``): ASSUMPTION, a second job of
  the default's largest class (100k GB200 or 250k H100) arrives two years in.
* **Prices held** at the bundled figures (every price index 1.0): ASSUMPTION, no public
  trajectory for site-level build, rent and GPU prices that we could source.
* **Soft demand** (``UNSERVED_PENALTY_USD_PER_WORK_YEAR``): the Honolulu edge (10 MW, the
  only candidate inside Hawaii's SLO) fills up before 2030 at this growth, so demand no site
  can hold goes unserved at twice its cloud price (2 × 3.90 USD per H100-equivalent-hour ×
  8,760 h): ASSUMPTION, high enough that everything servable is served.
* Users (the latency weight) stay as stated: growth is more work per user.
"""

from __future__ import annotations

from placement.datasets import us_menus
from placement.datasets.us import us_default, us_small
from placement.model.periods import Period
from placement.model.schema import Scenario, TrainingCluster

FIRST_YEAR = 2026
PERIODS = 5
DEMAND_GROWTH = 0.15
"""Per year: IEA *Energy and AI* (2025) base case, data-centre electricity 2024→2030."""
LBNL_2023_TWH, LBNL_2028_TWH = 176.0, (325.0, 580.0)
"""LBNL 2024 report: US data-centre electricity in 2023 and its 2028 range (cross-check)."""
IEA_2024_TWH, IEA_2030_TWH = 415.0, 945.0
"""IEA *Energy and AI* (2025): world data-centre electricity in 2024 and, base case, 2030."""
NEW_TRAINING: dict[int, tuple[TrainingCluster, ...]] = {
    2028: (
        TrainingCluster(
            id="gb200_100k_2028",
            name="second frontier training run, arriving 2028 (100k GB200 or 250k H100)",
            options=us_menus.training_options(250_000),
        ),
    ),
}
UNSERVED_PENALTY_USD_PER_WORK_YEAR = (
    2.0 * us_menus.CLOUD_USD_PER_UNIT_HOUR["h100_server"] / 8 * 8760
)


def growth_periods(
    first_year: int = FIRST_YEAR, count: int = PERIODS, growth: float = DEMAND_GROWTH
) -> tuple[Period, ...]:
    """``count`` one-year periods from ``first_year``: the first at the stated demand, each
    later one ``growth`` above the one before, with the training jobs of ``NEW_TRAINING``."""
    return tuple(
        Period(
            year=year,
            demand_growth=0.0 if year == first_year else growth,
            new_training=tuple(c.id for c in NEW_TRAINING.get(year, ())),
        )
        for year in range(first_year, first_year + count)
    )


def with_growth(
    scenario: Scenario,
    *,
    name: str,
    first_year: int = FIRST_YEAR,
    count: int = PERIODS,
    growth: float = DEMAND_GROWTH,
) -> Scenario:
    """``scenario`` over ``count`` years with the growth path, the arriving training jobs
    and soft demand (see the module docstring)."""
    periods = growth_periods(first_year, count, growth)
    arriving = [c for p in periods for cid in p.new_training for c in _new(cid)]
    data = scenario.to_dict()
    data["name"] = name
    data["description"] = (
        f"{scenario.description} Over {count} years from {first_year}: demand +{growth:.0%} a "
        "year (IEA Energy and AI 2025 base case, inside LBNL 2024's range), a second "
        "frontier training job in 2028, prices held, unserved demand at twice its cloud "
        "price (data/README.md, Growth path)."
    )
    data["training"] = [*data["training"], *(c.model_dump(mode="json") for c in arriving)]
    data["economics"]["unserved_penalty_usd_per_work_year"] = UNSERVED_PENALTY_USD_PER_WORK_YEAR
    data["periods"] = [p.model_dump(mode="json") for p in periods]
    return Scenario.from_dict(data, source=name)


def _new(cid: str) -> tuple[TrainingCluster, ...]:
    return tuple(c for group in NEW_TRAINING.values() for c in group if c.id == cid)


def us_default_growth(count: int = PERIODS, growth: float = DEMAND_GROWTH) -> Scenario:
    """The bundled default (``us_default()``) over ``count`` years from 2026 (see above)."""
    return with_growth(us_default(), name="us_default_growth", count=count, growth=growth)


def us_small_growth(count: int = PERIODS, growth: float = DEMAND_GROWTH) -> Scenario:
    """``us_small()`` with the same growth path (for tests and quick looks)."""
    return with_growth(us_small(), name="us_small_growth", count=count, growth=growth)
