"""Planning requirements beyond the hard rules: survive a site loss, soft rules with a price,
training split across nearby sites. Each is off unless the scenario states it.

* :class:`Resilience` (``rules.resilience``): if any one open site fails (all its facilities
  at once), the capacity installed at the others can still serve every region's served demand
  within the failure SLO ``max(SLO_j, degraded_slo_ms)``. Spare capacity is bought for that.
* :class:`SoftRules` (``rules.soft``): a hard rule becomes a price per unit of violation: the
  SLO (USD per user·ms over it per year), a site's grid power (USD per MW over per year), the
  capital budget (USD per USD of annualised capital over it) and the carbon cap (USD per tonne
  over it).
* :class:`TrainingSplit` (a training cluster's ``split``): the cluster may be divided over at
  most ``max_sites`` sites whose pairwise RTT is within ``max_pair_rtt_ms``, paying
  ``interconnect_usd_per_year`` per site beyond the first.

Units as everywhere: ms, MW, USD per year, tonnes of CO2 per year.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

# Magnitude limits as in placement.model.schema: far beyond any real figure, well inside what a
# MILP solver takes once multiplied out (users × ms × price, MW × price).
MAX_MS = 1e6
MAX_PRICE = 1e12
NonNegative = Annotated[float, Field(ge=0.0, le=MAX_PRICE, allow_inf_nan=False)]
Latency = Annotated[float, Field(gt=0.0, le=MAX_MS, allow_inf_nan=False)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class Resilience(_Frozen):
    """Survive the loss of any one open site (N-1).

    For every open site e, every region's served demand must fit, by a flow over the
    remaining sites' installed capacity (normal load plus spare), on pairs whose latency
    (RTT + the hardware's service time) is within the region's failure SLO
    ``max(SLO_j, degraded_slo_ms)`` (its SLO when ``degraded_slo_ms`` is not set; no limit for
    a region without an SLO). Training clusters are not protected: a job lost with its site
    restarts from its checkpoint.
    """

    degraded_slo_ms: Latency | None = Field(
        None,
        description="During a site failure a region may be served within this RTT (ms) when it "
        "is looser than its own SLO; None: within its own SLO.",
    )

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {} if data is True else data


class SoftRules(_Frozen):
    """Hard rules made soft: each unit of violation costs its price per year (a penalty in the
    objective, reported with what the violation bought). Unset prices keep the rule hard."""

    slo_usd_per_user_ms_year: NonNegative | None = Field(
        None,
        le=1e6,
        description="SLO soft: USD per user per ms of latency (RTT + service) beyond the "
        "region's SLO per year.",
    )
    slo_limit_ms: Latency | None = Field(
        None,
        description="With a soft SLO, pairs whose latency exceeds this stay pruned (exact); "
        "None keeps every reachable pair. At least every region's SLO.",
    )
    power_usd_per_mw_year: NonNegative | None = Field(
        None,
        le=1e10,
        description="Power soft: USD per MW of facility power beyond a site's power_mw.",
    )
    capital_usd_per_usd: NonNegative | None = Field(
        None,
        le=1e3,
        description="Capital budget soft: USD per USD of annualised capital beyond the budget.",
    )
    carbon_usd_per_tonne: NonNegative | None = Field(
        None, le=1e6, description="Carbon cap soft: USD per tonne of CO2 beyond the cap."
    )

    @model_validator(mode="after")
    def _limit_needs_slo(self) -> SoftRules:
        if self.slo_limit_ms is not None and self.slo_usd_per_user_ms_year is None:
            raise ValueError(
                f"slo_limit_ms: {self.slo_limit_ms:g} ms bounds a soft SLO, but "
                "slo_usd_per_user_ms_year is not set (the SLO is hard)"
            )
        return self

    @property
    def any(self) -> bool:
        return any(
            v is not None
            for v in (
                self.slo_usd_per_user_ms_year,
                self.power_usd_per_mw_year,
                self.capital_usd_per_usd,
                self.carbon_usd_per_tonne,
            )
        )


class TrainingSplit(_Frozen):
    """A training cluster that may run divided over nearby sites (synchronous training needs
    them very close: the RTT between every two of them within ``max_pair_rtt_ms``)."""

    max_sites: int = Field(ge=2, le=1000, description="At most this many sites hold a part.")
    max_pair_rtt_ms: Latency = Field(
        description="RTT bound between every two sites holding parts, ms (base RTT included)."
    )
    interconnect_usd_per_year: NonNegative = Field(
        description="Interconnect cost per site beyond the first, USD per year."
    )


def menu_notes(scenario: Any) -> list[str]:
    """Where a decision menu does not carry through an add-on the scenario uses, said plainly
    (the result's message carries these, so nothing is left out silently)."""
    notes = []
    modes = {m for s in scenario.sites for m in s.financing}
    rules = scenario.rules
    if rules.resilience is not None and scenario.training:
        notes.append(
            "N-1 protects inference capacity only: training clusters are not duplicated (a job "
            "lost with its site restarts from its checkpoint)"
        )
    soft = rules.soft
    if soft is not None and soft.power_usd_per_mw_year is not None and modes & {"lease", "cloud"}:
        notes.append(
            "the soft power cap relaxes built sites' grid power only; lease capacity and cloud "
            "quotas stay hard"
        )
    split = [c.id for c in scenario.training if c.split is not None]
    if split and "cloud" in modes:
        notes.append(
            f"split training ({', '.join(split)}) runs its parts at built or leased sites only; "
            "in a cloud region a cluster is placed whole"
        )
    return notes
