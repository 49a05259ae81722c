"""The answer to a placement problem: a frozen, JSON-round-trippable record.

A result holds only plain data (ids, numbers), never solver objects, so it can be stored,
reloaded and checked against its scenario by :func:`placement.verify` at any later time.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from placement.atomic import write_text_atomic


class Status(StrEnum):
    """How a solve ended."""

    OPTIMAL = "optimal"  # proven within the requested relative gap
    FEASIBLE = "feasible"  # a solution, but the gap was not closed within the limits
    INFEASIBLE = "infeasible"  # proven (or diagnosed) to have no solution
    NO_SOLUTION = "no_solution"  # limits reached before any solution was found
    ERROR = "error"  # the solver failed or rejected the model

    @property
    def has_solution(self) -> bool:
        return self in (Status.OPTIMAL, Status.FEASIBLE)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class JsonDocument(_Frozen):
    """A frozen result that is saved and loaded as one JSON document."""

    def to_json(self, path: str | os.PathLike[str] | None = None, indent: int = 2) -> str:
        """Serialise; when a path is given, write it atomically as well."""
        text = self.model_dump_json(indent=indent)
        if path is not None:
            write_text_atomic(Path(path), text)
        return text

    @classmethod
    def from_json(cls, path_or_text: str | os.PathLike[str]) -> Self:
        """Load from a JSON file path or a JSON string."""
        text = str(path_or_text)
        if not text.lstrip().startswith("{"):
            text = Path(path_or_text).read_text(encoding="utf-8")
        return cls.model_validate_json(text)


class Assignment(_Frozen):
    """Share of a region's inference demand served from one site, on one hardware."""

    region: str
    site: str
    share: float = Field(description="Share of the region's demand, in [0, 1].")
    rtt_ms: float = Field(description="Network round trip, ms (service time not included).")
    mw: float = Field(description="Inference IT MW this share represents.")
    hardware: str = Field("gpu", description="Inference hardware it runs on.")
    service_ms: float = Field(0.0, description="The hardware's service time, ms.")
    financing: str = Field("build", description="build, lease or cloud.")
    units: float = Field(0.0, description="Hardware units this share needs.")

    @property
    def latency_ms(self) -> float:
        """What the user waits: network RTT + the hardware's service time."""
        return self.rtt_ms + self.service_ms


class CoolingUse(_Frozen):
    """IT load in one cooling technology at one site (and financing mode)."""

    technology: str
    financing: str = "build"
    liquid: bool = False
    installed: bool = Field(description="Installed (paying its fixed cost) or in use.")
    training_mw: float = 0.0
    inference_mw: dict[str, float] = Field(
        default_factory=dict, description="Inference IT MW by hardware."
    )


class TrainingPart(_Frozen):
    """A share of a split training cluster at one site (same option everywhere)."""

    site: str
    financing: str = "build"
    cooling: str = Field(description="The cooling technology the part's racks sit in.")
    share: float = Field(description="Share of the cluster's GPUs and IT MW, in (0, 1].")
    it_mw: float
    facility_mw: float = Field(0.0, description="PUE · IT MW of the part.")


class TrainingChoice(_Frozen):
    """Where and how a training cluster is built."""

    site: str
    financing: str = "build"
    option: str = Field(description="The way to build it (the cluster id when it has one).")
    cooling: str = Field(description="The cooling technology its racks sit in.")
    liquid: bool = Field(False, description="Whether that technology is liquid cooling.")
    it_mw: float
    gpus: int = 0
    rack_density_kw: float = 0.0
    facility_mw: float = Field(0.0, description="PUE · IT MW (0 in a cloud region).")
    annual_cost_usd: float = Field(
        0.0,
        description="What the cluster itself costs per year where it sits (build, cooling per "
        "MW, hardware, lease or cloud, energy, carbon); the site's fixed costs are shared.",
    )
    parts: tuple[TrainingPart, ...] = Field(
        (),
        description="Where a split cluster runs, largest share first (site is the largest "
        "part's); empty when it sits whole at one site.",
    )
    interconnect_usd: float = Field(
        0.0, description="Interconnect between the sites of a split cluster, USD per year."
    )


class SpareCapacity(_Frozen):
    """Capacity installed for a site failure beyond the normal load (rules.resilience)."""

    financing: str
    hardware: str
    cooling: str = Field(description="Cooling technology it sits in ('cloud' in a cloud region).")
    work: float = Field(description="Work units it can serve (GPUs without a hardware catalogue).")
    units: float = Field(description="Hardware units.")
    it_mw: float = Field(description="IT MW when running (idle in normal operation).")


class SiteLoad(_Frozen):
    """What sits at one open site (every financing mode open there together)."""

    site: str
    liquid_cooling: bool
    training_clusters: tuple[str, ...]
    training_mw: float
    inference_mw: float
    inference_gpus: float = Field(description="Inference hardware units (GPUs, without menus).")
    facility_mw: float = Field(description="Σ PUE · IT MW: the grid draw.")
    racks: float
    financing: tuple[str, ...] = Field(("build",), description="Financing modes open here.")
    cooling: tuple[CoolingUse, ...] = Field((), description="IT MW by cooling technology.")
    hardware_units: dict[str, float] = Field(
        default_factory=dict, description="Inference hardware units by type."
    )
    annual_cost_usd: float = Field(
        0.0,
        description="Spend at the site per year: fixed costs of what is open and installed "
        "there plus the cost of the load it carries (no penalties).",
    )
    spare: tuple[SpareCapacity, ...] = Field(
        (), description="Spare capacity for a failure elsewhere (rules.resilience)."
    )

    @property
    def liquid_mw(self) -> float:
        """IT MW in liquid cooling technologies (only the load that is liquid-cooled)."""
        return sum(
            use.training_mw + sum(use.inference_mw.values()) for use in self.cooling if use.liquid
        )


class CostBreakdown(_Frozen):
    """Annual cost by component, USD per year. ``total`` is the objective."""

    fixed: float = Field(0.0, description="fixed site cost")
    cooling: float = Field(0.0, description="cooling technologies (fixed and per MW)")
    build: float = Field(0.0, description="build (annualised capital per MW)")
    hardware: float = Field(0.0, description="IT hardware (annualised capital)")
    lease: float = Field(0.0, description="colocation lease")
    cloud: float = Field(0.0, description="cloud instances")
    energy: float = Field(0.0, description="energy")
    carbon: float = Field(0.0, description="carbon")
    latency_penalty: float = Field(0.0, description="latency penalty (λ-weighted)")
    pair_costs: float = Field(0.0, description="pair costs")
    unserved: float = Field(0.0, description="unserved demand")
    interconnect: float = Field(0.0, description="training interconnect between split sites")
    violations: float = Field(0.0, description="soft-rule violations (priced)")
    capital: float = Field(
        0.0,
        description="Of the components above, the annualised capital (site, cooling, build and "
        "hardware capital); not a component itself.",
    )

    @model_validator(mode="before")
    @classmethod
    def _legacy_liquid_cooling(cls, data: Any) -> Any:
        # results written before cooling menus called the cooling component liquid_cooling
        if isinstance(data, dict) and "liquid_cooling" in data:
            data = dict(data)
            data["cooling"] = data.pop("liquid_cooling") + data.get("cooling", 0.0)
        return data

    @property
    def total(self) -> float:
        """The objective: spend plus the penalties."""
        return sum(getattr(self, name) for name in COST_COMPONENTS)

    @property
    def liquid_cooling(self) -> float:
        """The cooling component (its name before cooling menus)."""
        return self.cooling

    @property
    def spend(self) -> float:
        """Money actually paid per year: every component except the penalties."""
        return sum(getattr(self, name) for name in SPEND_COMPONENTS)

    @property
    def penalties(self) -> float:
        """The priced-but-not-paid terms: the λ-weighted latency penalty, unserved demand and
        soft-rule violations."""
        return sum(getattr(self, name) for name in PENALTY_COMPONENTS)

    @property
    def operating(self) -> float:
        """Annual operating spend: spend that is not annualised capital."""
        return self.spend - self.capital

    @staticmethod
    def label(component: str) -> str:
        """A component's description, for tables and reports."""
        return CostBreakdown.model_fields[component].description or component


COST_COMPONENTS: tuple[str, ...] = tuple(n for n in CostBreakdown.model_fields if n != "capital")
"""The cost components, in report order: the fields of :class:`CostBreakdown` that add up to
the objective (``capital`` is a split of them, not one of them)."""
PENALTY_COMPONENTS: tuple[str, ...] = ("latency_penalty", "unserved", "violations")
"""Components the objective prices but nobody pays: λ · users · RTT, unserved demand, and the
price of violating soft rules."""
SPEND_COMPONENTS: tuple[str, ...] = tuple(c for c in COST_COMPONENTS if c not in PENALTY_COMPONENTS)
"""Components that are money spent: capital (site, cooling, build, hardware) and operating."""


class Kpis(_Frozen):
    """Key figures of a placement."""

    weighted_mean_rtt_ms: float | None = Field(
        None,
        description="Population-weighted mean latency over served demand, ms: network RTT plus "
        "the serving hardware's service time (what λ prices and the SLO bounds).",
    )
    p95_rtt_ms: float | None = Field(
        None, description="Population-weighted 95th percentile of that latency, ms."
    )
    training_mw: float = 0.0
    inference_mw: float = 0.0
    facility_mw: float = 0.0
    served_share: float | None = Field(
        None, description="Share of inference MW served; None when there is no placement."
    )
    carbon_tonnes_per_year: float = 0.0
    open_sites: int = 0
    training_sites: int = 0
    mw_by_site: dict[str, float] = Field(default_factory=dict, description="IT MW per open site.")


class Violation(_Frozen):
    """How far a soft rule is broken (rules.soft) and what it costs in the objective."""

    rule: str = Field(description="slo, power, capital_budget or carbon_cap.")
    subject: str = Field("", description="The region (slo) or site (power) it concerns.")
    limit: float = Field(description="The rule's limit (ms, MW, USD per year, t CO2 per year).")
    value: float = Field(
        description="What the placement reaches: worst latency (ms), MW drawn, capital, tonnes."
    )
    amount: float = Field(description="The violation priced: user·ms, MW, USD or t over.")
    unit: str
    penalty_usd: float = Field(description="Its price in the objective, USD per year.")


class FailureCoverage(_Frozen):
    """What is left when one open site fails: demand to serve and the most that can be."""

    site: str
    demand: float = Field(description="Served demand to re-serve, work units (GPUs).")
    covered: float = Field(
        description="Max flow over the other sites' installed capacity within the failure SLO."
    )


class SiteLossCoverage(_Frozen):
    """N-1 (rules.resilience): every open site's failure, checked by a max-flow."""

    degraded_slo_ms: float | None = None
    failures: tuple[FailureCoverage, ...] = ()
    spare_work: float = Field(0.0, description="Spare capacity installed in all, work units.")
    rounds: int = Field(0, description="Rounds of failure cuts the solve needed.")
    cuts: int = Field(0, description="Failure cuts added to the model.")

    @property
    def covered(self) -> bool:
        return all(f.covered >= f.demand * (1 - 1e-6) - 1e-6 for f in self.failures)


class Comparison(_Frozen):
    """The same scenario solved without one feature: what the feature cost or bought."""

    feature: str = Field(
        description="resilience, soft:<rule> or split:<cluster>: what was switched off."
    )
    description: str
    status: str = Field(description="Status of the solve without the feature.")
    objective: float | None = Field(None, description="Its objective, USD per year.")
    spend: float | None = Field(None, description="Its spend, USD per year.")
    difference: float | None = Field(
        None,
        description="Objective with the feature minus without it (cost of resilience; for a "
        "soft rule or a split, less the feature's own price: a negative figure is what it "
        "bought).",
    )


class PlacementResult(JsonDocument):
    """Decisions, costs and KPIs of one solve, with its status and proof of quality."""

    scenario: str
    status: Status
    message: str = ""
    formulation: str = ""
    solver: str = ""
    method: str = Field(
        "", description="What produced and proved the answer: lp_branch_and_bound, milp, …"
    )
    objective: float | None = Field(None, description="Annual cost, USD per year.")
    bound: float | None = Field(None, description="Best proven lower bound, USD per year.")
    gap: float | None = Field(None, description="(objective − bound) / |objective|.")
    build_seconds: float = 0.0
    solve_seconds: float = 0.0
    open_sites: tuple[str, ...] = ()
    liquid_sites: tuple[str, ...] = ()
    training: dict[str, str] = Field(default_factory=dict, description="cluster id → site id.")
    training_choices: dict[str, TrainingChoice] = Field(
        default_factory=dict, description="cluster id → site, financing, option and cooling."
    )
    serving: tuple[Assignment, ...] = ()
    unserved: dict[str, float] = Field(default_factory=dict, description="region → unserved share")
    sites: tuple[SiteLoad, ...] = ()
    costs: CostBreakdown = CostBreakdown()
    kpis: Kpis = Kpis()
    diagnosis: tuple[str, ...] = Field((), description="Why the problem is infeasible, if known.")
    model_size: dict[str, int] = Field(
        default_factory=dict, description="variables, constraints, nonzeros of the model solved."
    )
    periods: tuple[PeriodResult, ...] = Field(
        (),
        description="Multi-period planning: each period's placement (see PeriodResult). Then "
        "objective, bound and costs are present values (USD); the decisions, sites and the "
        "MW and site KPIs are the last period's; RTT KPIs are over all periods' user-years, "
        "carbon per year and served share their means over the years.",
    )
    site_loss: SiteLossCoverage | None = Field(
        None, description="N-1: each open site's failure and the demand still covered."
    )
    violations: tuple[Violation, ...] = Field(
        (), description="Soft rules broken, by how much and at what price."
    )
    comparisons: tuple[Comparison, ...] = Field(
        (), description="The scenario without each feature used: what each cost or bought."
    )

    @property
    def ok(self) -> bool:
        """True when the result holds a solution (optimal or feasible)."""
        return self.status.has_solution

    @property
    def is_multi_period(self) -> bool:
        """True for a multi-period result (costs are present values, see ``periods``)."""
        return bool(self.periods)

    def site_load(self, site_id: str) -> SiteLoad | None:
        return next((s for s in self.sites if s.site == site_id), None)

    def shares_of(self, region_id: str) -> dict[str, float]:
        """site → share for one region."""
        return {a.site: a.share for a in self.serving if a.region == region_id}

    def to_frames(self, scenario: Any = None, *, geo: bool = False) -> dict[str, Any]:
        """The placement as pandas DataFrames: ``sites``, ``assignments``, ``training``,
        ``costs`` (the CSV tables). Pass the scenario for names, coordinates and prices;
        ``geo=True`` gives GeoDataFrames (needs geopandas). See :mod:`placement.results.frames`.
        """
        from placement.results.frames import result_frames

        return result_frames(self, scenario, geo=geo)


# ---------------------------------------------------------------------------- multi-period
class CapacityBlock(_Frozen):
    """IT MW of capacity bought at a site in one period: its building (``technology`` None)
    or a cooling technology. Its annualised capital is paid from that period on."""

    site: str
    technology: str | None = Field(None, description="None: the building; else the cooling.")
    mw: float = Field(description="IT MW bought.")
    usd_per_mw_year: float = Field(
        description="Annualised capital per IT MW, at its period's price."
    )


class PeriodResult(_Frozen):
    """One period of a multi-period plan.

    ``result`` is the period's placement as a one-period result: what is open and installed,
    where each cluster sits, who serves whom, the period's annual cost by component (USD per
    year of the period; capital of a building or cooling block, an opening or an installation
    at the price of the period it was bought in) and KPIs. Its present value is
    ``discount_weight × result.objective``.
    """

    year: int
    years: int = Field(description="Length of the period in years.")
    discount_weight: float = Field(
        description="w_t = Σ over the period's years y of (1 + r)^−(y − first year): the "
        "present value of 1 USD per year paid through the period."
    )
    result: PlacementResult
    opened: tuple[str, ...] = Field((), description="Sites built (opened as build) this period.")
    installed: tuple[str, ...] = Field(
        (), description="Cooling installed this period at built sites, 'site:technology'."
    )
    arrived: tuple[str, ...] = Field((), description="Training clusters placed this period.")
    blocks: tuple[CapacityBlock, ...] = Field((), description="Capacity bought this period.")
    built_mw: dict[str, float] = Field(
        default_factory=dict, description="Building IT MW at each built site by the period's end."
    )

    @property
    def present_value(self) -> float:
        """The period's cost in present value (USD)."""
        return self.discount_weight * (self.result.objective or 0.0)


PlacementResult.model_rebuild()
