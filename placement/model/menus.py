"""The decision menus of a scenario: cooling technologies, inference hardware, training options
and financing modes. The optimiser chooses among their entries; the scenario lists only what
is possible (a site names the technologies it can install and the modes it offers), so the
model grows with what is on offer, not with the product of every menu.

Units as everywhere: MW of IT load, kW per rack, USD, USD per year for annualised figures
(capital is annualised by the capital recovery factor of the scenario's discount rate over the
lifetime given), ms of latency. Inference *work* is in the scenario's work unit
(``inference.work_unit``, e.g. tokens per second at peak).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# The same generic magnitude limit as the scenario's (placement.model.schema.MAX_VALUE): a number
# past 1e15 is a typo or a unit mix-up, and beyond what a MILP solver takes.
MAX_VALUE = 1e15
NonNegative = Annotated[float, Field(ge=0.0, le=MAX_VALUE, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0.0, le=MAX_VALUE, allow_inf_nan=False)]
Identifier = Annotated[str, Field(min_length=1, max_length=200)]
Pue = Annotated[float, Field(ge=1.0, le=5.0, allow_inf_nan=False)]

FINANCING_MODES: tuple[str, ...] = ("build", "lease", "cloud")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class CoolingTechnology(_Frozen):
    """A way to cool racks (air, rear-door heat exchangers, direct-to-chip liquid, immersion).

    Load of rack density δ may sit in the technology when ``min_rack_density_kw < δ ≤
    max_rack_density_kw``. Its PUE at a site is ``pue_base + pue_per_cdd × CDD`` with CDD the
    site's annual cooling degree days (65 °F base), unless the site states a measured PUE.
    """

    id: Identifier
    name: str = ""
    liquid: bool = Field(False, description="Counts as liquid cooling in reports.")
    max_rack_density_kw: Positive = Field(description="Densest racks it can cool, kW per rack.")
    min_rack_density_kw: NonNegative = Field(
        0.0,
        description="Only load denser than this uses it (the legacy liquid menu entry: load at "
        "or below the air limit stays in air).",
    )
    pue_base: Pue = Field(description="PUE at zero cooling degree days.")
    pue_per_cdd: NonNegative = Field(0.0, description="PUE added per cooling degree day.")
    capital_usd_per_mw: NonNegative = Field(
        0.0, description="Capital per MW of IT load it cools (annualised)."
    )
    fixed_capital_usd: NonNegative = Field(
        0.0, description="Capital per site that installs it, independent of load (annualised)."
    )
    fixed_cost_usd_per_year: NonNegative = Field(
        0.0, description="Operating cost per site that installs it, USD per year."
    )

    @model_validator(mode="after")
    def _density_range(self) -> CoolingTechnology:
        if self.min_rack_density_kw >= self.max_rack_density_kw:
            raise ValueError(
                f"cooling technology {self.id!r}: min_rack_density_kw = "
                f"{self.min_rack_density_kw:g} must be below max_rack_density_kw = "
                f"{self.max_rack_density_kw:g}"
            )
        return self


class SiteCooling(_Frozen):
    """A technology a site can install: as a new build or a retrofit, at its own PUE."""

    technology: Identifier
    install: Literal["new_build", "retrofit"] = "new_build"
    capital_factor: Positive = Field(
        1.0, description="Multiplies the technology's capital here (e.g. 1.4 for a retrofit)."
    )
    pue: Pue | None = Field(None, description="Measured PUE here; overrides the climate model.")


class InferenceHardware(_Frozen):
    """A kind of inference server (large GPU server, inference GPU, accelerator, CPU fleet).

    A unit delivers ``throughput_per_unit`` work units at peak and draws ``kw_per_unit`` of IT
    power; a request served on it waits ``service_time_ms`` on top of the network RTT (counted
    exactly against the region's SLO and in the latency penalty).
    """

    id: Identifier
    name: str = ""
    throughput_per_unit: Positive = Field(description="Work units per unit at peak.")
    kw_per_unit: Positive = Field(description="IT kW per unit (its share of the server).")
    rack_density_kw: Positive = Field(description="Rack density, kW per rack.")
    capital_usd_per_unit: NonNegative = Field(
        0.0, description="Purchase price per unit, annualised over lifetime_years."
    )
    lifetime_years: Positive = Field(5.0, description="IT lifetime for annualising capital.")
    service_time_ms: NonNegative = Field(0.0, description="Added to the request's latency.")


class TrainingOption(_Frozen):
    """One way to build a training cluster (e.g. as GB200 NVL72 or as more H100s)."""

    id: Identifier
    name: str = ""
    gpus: int = Field(0, ge=0, description="GPUs (informative).")
    it_mw: Positive = Field(description="IT load, MW.")
    rack_density_kw: Positive = Field(description="Rack density, kW per rack.")
    utilisation: float | None = Field(
        None, gt=0.0, le=1.0, description="Share of the year at full load; default economics."
    )
    capital_usd: NonNegative = Field(
        0.0, description="Hardware capital of the whole cluster, annualised over lifetime_years."
    )
    lifetime_years: Positive = Field(5.0, description="IT lifetime for annualising capital.")
    cloud_hardware: Identifier | None = Field(
        None, description="The cloud instance type it runs on where rented (priced per hour)."
    )
    cloud_units: NonNegative | None = Field(
        None, description="Instances of cloud_hardware the cluster needs."
    )

    @property
    def racks(self) -> int:
        """Racks the option occupies: ceil(IT kW / kW per rack)."""
        import math

        return math.ceil(self.it_mw * 1000.0 / self.rack_density_kw - 1e-9)

    @model_validator(mode="after")
    def _cloud_pair(self) -> TrainingOption:
        if (self.cloud_hardware is None) != (self.cloud_units is None):
            raise ValueError(
                f"training option {self.id!r}: cloud_hardware and cloud_units go together "
                "(the instance type and how many of them)"
            )
        return self


class Lease(_Frozen):
    """Colocation: IT capacity rented by the kW-month, no build capital."""

    usd_per_kw_month: NonNegative = Field(description="Rent per kW of IT capacity per month.")
    max_it_mw: Positive = Field(description="IT MW the facility can lease to you.")
    max_rack_density_kw: Positive = Field(description="Densest racks the facility accepts.")
    fixed_cost_usd_per_year: NonNegative = Field(0.0, description="Contract fixed cost per year.")
    energy_included: bool = Field(
        False, description="Power is in the rent (else metered at the site's energy price)."
    )
    cooling: tuple[Identifier, ...] | None = Field(
        None,
        description="Cooling technologies the facility offers (default: the site's); their "
        "capital is the provider's, their PUE applies.",
    )


class Cloud(_Frozen):
    """A cloud region: hardware rented by the unit-hour, energy included, no capital."""

    usd_per_unit_hour: dict[Identifier, NonNegative] = Field(
        description="Price per instance-hour by hardware id (inference hardware or a training "
        "option's cloud_hardware)."
    )
    quota_units: dict[Identifier, NonNegative] = Field(
        default_factory=dict, description="At most this many instances by hardware id."
    )
    pue: Pue = Field(1.2, description="The provider's PUE, for carbon accounting only.")


SiteCoolingEntry = SiteCooling | Identifier
FinancingMode = Literal["build", "lease", "cloud"]
