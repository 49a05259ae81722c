"""Multi-period planning inputs: the periods of a scenario and what changes between them.

A scenario may list periods t = 1..T (e.g. the years 2026–2030). Each period states

* ``year``, its first year, and ``years``, its length (default: up to the next period's year;
  1 for the last period). Periods follow each other in order, without gaps or overlaps;
* ``demand_growth`` g_t: inference demand grows by this share over the previous period (the
  first period: over the demand the scenario states), and ``region_growth`` overrides it per
  region id. Region j's demand in period t is the stated one (its users, the latency weight,
  stay as stated) times
  G_jt = Π_{τ≤t} (1 + g_jτ), so a growth below −1 (−100 %) is an error; at −100 % the
  region has no demand from then on and needs no site;
* ``price_index``: multipliers (> 0) of the scenario's prices in that period — energy,
  carbon, build (a site's build and fixed capital), cooling (technology capital), hardware,
  lease (rent and fixed cost) and cloud (unit-hour prices);
* ``new_training``: ids of the scenario's training clusters that arrive in this period
  (clusters no period names arrive in the first). A cluster, once placed, runs at its site,
  in its way, through the last period.

Costs are discounted to present value at ``economics.discount_rate`` (see
:mod:`placement.model.period_data`). A scenario without periods is the single-period model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

if TYPE_CHECKING:
    from placement.model.schema import Scenario

# Magnitude limits (as schema.py's): beyond them a value is a typo or a unit mix-up
MAX_GROWTH = 100.0  # +10,000 % in one period
MAX_CUMULATIVE_GROWTH = 1e6  # a region's demand factor by any period
MAX_INDEX = 1e3  # a price multiplier

Identifier = Annotated[str, Field(min_length=1, max_length=200)]
Index = Annotated[float, Field(gt=0.0, le=MAX_INDEX, allow_inf_nan=False)]
GROWTH_RULE = "a growth must be ≥ −1 (−100 %: demand falls to zero); below it demand is negative"
PRICE_FIELDS: tuple[str, ...] = (
    "energy",
    "carbon",
    "build",
    "cooling",
    "hardware",
    "lease",
    "cloud",
)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class PriceIndex(_Frozen):
    """Multipliers of the scenario's prices in one period (1.0: as stated)."""

    energy: Index = Field(1.0, description="Sites' energy prices.")
    carbon: Index = Field(1.0, description="The carbon price.")
    build: Index = Field(1.0, description="Build cost per MW and a site's fixed capital.")
    cooling: Index = Field(1.0, description="Cooling capital (per MW, fixed; legacy liquid).")
    hardware: Index = Field(1.0, description="Hardware capital (inference units, clusters).")
    lease: Index = Field(1.0, description="Lease rent and lease fixed cost.")
    cloud: Index = Field(1.0, description="Cloud unit-hour prices.")


class Period(_Frozen):
    """One planning period: when it is, how demand grows, what prices are, what arrives."""

    year: int = Field(ge=1900, le=2500, description="First year of the period.")
    years: int | None = Field(
        None,
        ge=1,
        le=100,
        description="Length in years; default: up to the next period's year (1 for the last).",
    )
    name: str = ""
    demand_growth: float = Field(
        0.0,
        le=MAX_GROWTH,
        allow_inf_nan=False,
        description="Growth of every region's demand over the previous period (0.2 = +20 %).",
    )
    region_growth: dict[Identifier, float] = Field(
        default_factory=dict, description="Growth by region id, overriding demand_growth."
    )
    price_index: PriceIndex = Field(
        PriceIndex(), description="Price multipliers in this period (against the scenario's)."
    )
    new_training: tuple[Identifier, ...] = Field(
        (), description="Training clusters (ids) that arrive in this period."
    )

    @field_validator("demand_growth")
    @classmethod
    def _growth_floor(cls, value: float) -> float:
        if value < -1.0:
            raise ValueError(GROWTH_RULE)
        return value

    @field_validator("region_growth")
    @classmethod
    def _region_growth_floor(cls, value: dict[str, float]) -> dict[str, float]:
        for rid, growth in value.items():
            if not -1.0 <= growth < float("inf"):  # NaN fails too
                raise ValueError(f"region {rid!r}: growth {growth!r}: {GROWTH_RULE}")
            if growth > MAX_GROWTH:
                raise ValueError(
                    f"region {rid!r}: growth {growth!r}: must be at most {MAX_GROWTH:g} "
                    "(+10,000 % in one period)"
                )
        return value

    def growth_of(self, region_id: str) -> float:
        """The growth this period gives region ``region_id``."""
        return self.region_growth.get(region_id, self.demand_growth)


def period_spans(periods: tuple[Period, ...]) -> list[tuple[int, int]]:
    """(first year, length in years) of each period, lengths defaulted."""
    spans = []
    for t, period in enumerate(periods):
        if period.years is not None:
            length = period.years
        elif t + 1 < len(periods):
            length = periods[t + 1].year - period.year
        else:
            length = 1
        spans.append((period.year, length))
    return spans


def check_periods(scenario: Scenario) -> None:
    """The scenario-wide rules of periods (raises ``ValueError`` naming field, value, rule):
    years in increasing order, lengths that meet the next period, known region and cluster
    ids, each cluster arriving at most once."""
    periods = scenario.periods
    _check_not_combined(scenario)
    for t in range(1, len(periods)):
        before, now = periods[t - 1].year, periods[t].year
        if now <= before:
            raise ValueError(
                f"periods[{t}].year = {now} is not after periods[{t - 1}].year = {before}: "
                "periods must be listed in increasing order of year, each year once"
            )
    for t, period in enumerate(periods[:-1]):
        nxt = periods[t + 1].year
        if period.years is not None and period.year + period.years != nxt:
            raise ValueError(
                f"periods[{t}].years = {period.years}: the period would end in "
                f"{period.year + period.years - 1} but periods[{t + 1}] starts in {nxt}; "
                "periods follow each other without gaps or overlaps"
            )
    regions = {r.id for r in scenario.regions}
    factor = dict.fromkeys(regions, 1.0)
    for t, period in enumerate(periods):
        for rid in factor:
            factor[rid] *= 1.0 + period.growth_of(rid)
        worst = max(factor, key=factor.get, default=None)
        if worst is not None and factor[worst] > MAX_CUMULATIVE_GROWTH:
            raise ValueError(
                f"periods[{t}].demand_growth: region {worst!r}'s demand would be "
                f"{factor[worst]:.3g} times the stated one by {period.year}; the growth over "
                f"all periods must stay within {MAX_CUMULATIVE_GROWTH:g} times"
            )
    clusters = {c.id for c in scenario.training}
    arrived: dict[str, int] = {}
    for t, period in enumerate(periods):
        for rid in period.region_growth:
            if rid not in regions:
                raise ValueError(f"periods[{t}].region_growth: {rid!r} is not a region id")
        for cid in period.new_training:
            if cid not in clusters:
                raise ValueError(
                    f"periods[{t}].new_training: {cid!r} is not a training cluster id "
                    "(list the cluster under training, and its arrival here)"
                )
            if cid in arrived:
                raise ValueError(
                    f"periods[{t}].new_training: {cid!r} already arrives in "
                    f"periods[{arrived[cid]}]; a cluster arrives once"
                )
            arrived[cid] = t


NOT_YET = (
    "multi-period plans do not carry it yet; solve the periods' scenarios one by one, or drop "
    "periods"
)


def _check_not_combined(scenario: Scenario) -> None:
    """N-1, soft rules and split training are one-period features so far: with periods they
    are refused by name rather than silently left out of the plan."""
    if not scenario.periods:
        return
    rules = scenario.rules
    if rules.resilience is not None:
        raise ValueError(f"rules.resilience is set (N-1) with periods: {NOT_YET}")
    if rules.soft is not None:
        raise ValueError(f"rules.soft is set with periods: {NOT_YET}")
    for k, cluster in enumerate(scenario.training):
        if cluster.split is not None:
            raise ValueError(
                f"training[{k}].split is set ({cluster.id!r} across sites) with periods: {NOT_YET}"
            )
