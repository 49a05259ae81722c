"""The scenario: every input of a placement problem, validated, with its unit in its name.

Units (one set everywhere): power in MW (rack density in kW per rack), energy price in USD per
MWh, money in USD per year (capital annualised by the capital recovery factor), latency as
round-trip time in ms, distance in km, carbon in kg CO2 per MWh and its price in USD per tonne,
inference demand in GPUs (or MW).

A :class:`Scenario` is immutable. Invalid input raises :class:`ScenarioError` whose message names
the field, the value and the rule. Problems that need the whole model to see (a cluster that fits
no site, a region with no site inside its SLO) are *not* schema errors: they are diagnosed by
:mod:`placement.model.diagnose` and reported as an infeasible status.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from placement.atomic import write_text_atomic
from placement.errors import ScenarioError
from placement.model.menus import (
    Cloud,
    CoolingTechnology,
    FinancingMode,
    InferenceHardware,
    Lease,
    SiteCoolingEntry,
    TrainingOption,
)
from placement.model.periods import Period, check_periods
from placement.model.planning import Resilience, SoftRules, TrainingSplit

# Magnitude limits. Every number has an upper bound far beyond any real planning figure and well
# inside what a MILP solver takes (HiGHS refuses matrix values above 1e15 and treats costs from
# 1e20 on as infinite; products such as MW × PUE × hours × price stay below that). A value past
# its bound is a typo or a unit mix-up, refused like any invalid value, with the field named.
MAX_VALUE = 1e15  # generic: money per year, tonnes, pair costs
MAX_MW = 1e7  # 10 TW, more than the world's electricity generation
MAX_COUNT = 1e9  # GPUs, racks, sites
MAX_DENSITY_KW = 1e4  # kW per rack
MAX_PEOPLE = 1e10
MAX_MS = 1e6  # latency figures

NonNegative = Annotated[float, Field(ge=0.0, le=MAX_VALUE, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0.0, le=MAX_VALUE, allow_inf_nan=False)]
Identifier = Annotated[str, Field(min_length=1, max_length=200)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class Site(_Frozen):
    """A candidate data-center site.

    The site's grid connection caps facility power: Σ PUE · IT MW placed ≤ ``power_mw``.

    Decision menus (all optional; a scenario without them is the legacy two-way air/liquid
    model): ``cooling`` lists the technologies of the scenario's catalogue the site can install
    (default: all of them), ``hardware`` the inference hardware it can host (default: all),
    ``financing`` the modes it offers (``build``: its own capital; ``lease``: colocation, see
    ``lease``; ``cloud``: a cloud region, see ``cloud``).
    """

    id: Identifier
    name: str = ""
    state: str | None = Field(None, description="US state code or region label (informative).")
    lat: float = Field(ge=-90.0, le=90.0, allow_inf_nan=False, description="Latitude, degrees.")
    lon: float = Field(ge=-180.0, le=180.0, allow_inf_nan=False, description="Longitude, deg.")
    power_mw: Positive | None = Field(
        None,
        le=MAX_MW,
        description="Facility power available (grid), MW; required to build here.",
    )
    energy_price_usd_per_mwh: NonNegative | None = Field(
        None,
        le=1e5,
        description="Energy price, USD/MWh (required unless the site is cloud only: on the site "
        "or in ``site_defaults``).",
    )
    carbon_kg_per_mwh: NonNegative = Field(
        le=1e4,
        description="Grid carbon intensity, kg CO2/MWh (required: site or site_defaults).",
    )
    pue: float | None = Field(
        None,
        ge=1.0,
        le=5.0,
        description="PUE of air-cooled load, facility/IT (required unless the scenario has a "
        "cooling_technologies catalogue or the site is cloud only: site or site_defaults).",
    )
    liquid_pue: float | None = Field(
        None, ge=1.0, le=5.0, description="PUE of liquid-cooled load; defaults to ``pue``."
    )
    max_rack_density_kw: Positive = Field(
        1000.0,
        le=MAX_DENSITY_KW,
        description="Highest rack density the site can host, kW per rack.",
    )
    air_cooling_limit_kw: Positive = Field(
        50.0,
        le=MAX_DENSITY_KW,
        description="Rack density above which liquid cooling is needed, kW per rack.",
    )
    liquid_cooling_available: bool = Field(
        False, description="Whether liquid cooling may be built here."
    )
    liquid_cooling_cost_usd_per_year: NonNegative = Field(
        0.0, description="Annualised fixed cost of building liquid cooling at the site."
    )
    fixed_cost_usd_per_year: NonNegative | None = Field(
        None,
        description="Annualised fixed cost of opening the site (required where the site can be "
        "built: site or site_defaults).",
    )
    build_cost_usd_per_mw_year: NonNegative | None = Field(
        None,
        le=1e10,
        description="Annualised build cost per MW of IT placed (required where the site can be "
        "built: site or site_defaults).",
    )
    racks_available: int | None = Field(
        None, ge=0, le=MAX_COUNT, description="Rack positions available; None means no space limit."
    )
    fixed_capital_usd_per_year: NonNegative = Field(
        0.0,
        description="Annualised capital of opening the site (land, grid connection); "
        "fixed_cost_usd_per_year is then its operating part.",
    )
    cooling_degree_days: NonNegative | None = Field(
        None, description="Annual cooling degree days (65 °F base), for technology PUE models."
    )
    cooling: tuple[SiteCoolingEntry, ...] | None = Field(
        None, description="Cooling technologies the site can install (catalogue ids)."
    )
    hardware: tuple[Identifier, ...] | None = Field(
        None, description="Inference hardware the site can host (catalogue ids)."
    )
    financing: tuple[FinancingMode, ...] = Field(
        ("build",), min_length=1, description="Financing modes the site offers."
    )
    lease: Lease | None = Field(None, description="Colocation terms (with lease financing).")
    cloud: Cloud | None = Field(None, description="Cloud region prices (with cloud financing).")

    @model_validator(mode="before")
    @classmethod
    def _liquid_cost_stated(cls, data: Any) -> Any:
        """Liquid cooling that may be built must say what it costs (never a silent 0)."""
        if (
            isinstance(data, dict)
            and data.get("liquid_cooling_available") is True
            and "liquid_cooling_cost_usd_per_year" not in data
        ):
            raise ValueError(
                "liquid_cooling_cost_usd_per_year is required when liquid_cooling_available is "
                "true (set it on the site or in site_defaults)"
            )
        return data

    @property
    def effective_liquid_pue(self) -> float:
        return self.pue if self.liquid_pue is None else self.liquid_pue

    @model_validator(mode="after")
    def _financing_terms(self) -> Site:
        modes = self.financing
        if len(set(modes)) != len(modes):
            raise ValueError(f"financing = {list(modes)}: a mode is listed twice")
        if set(modes) != {"cloud"} and self.energy_price_usd_per_mwh is None:
            raise ValueError(
                "energy_price_usd_per_mwh: required field is missing; a site that pays for its "
                "energy (financing: build or lease) states it on the site or for every site in "
                "site_defaults"
            )
        if "build" in modes:
            missing = [f for f in BUILD_FIELDS if getattr(self, f) is None]
            if missing:
                raise ValueError(
                    f"{missing[0]}: required field is missing; a site that can be built "
                    f"(financing: build) states {', '.join(missing)} on the site or for every "
                    "site in site_defaults"
                )
        for mode in ("lease", "cloud"):
            terms = getattr(self, mode)
            if mode in modes and terms is None:
                raise ValueError(f"financing lists {mode!r} but the site has no {mode} terms")
            if mode not in modes and terms is not None:
                raise ValueError(f"{mode} terms are given but financing does not list {mode!r}")
        return self


BUILD_FIELDS: tuple[str, ...] = (
    "power_mw",
    "fixed_cost_usd_per_year",
    "build_cost_usd_per_mw_year",
)
"""Site fields a site that can be built must state (on the site or in ``site_defaults``)."""

SITE_COST_FIELDS: tuple[str, ...] = (
    "energy_price_usd_per_mwh",
    "carbon_kg_per_mwh",
    "pue",
    "fixed_cost_usd_per_year",
    "build_cost_usd_per_mw_year",
)
"""Site fields with no built-in default: each site states them, or ``site_defaults`` does."""


class SiteDefaults(_Frozen):
    """Values every site takes for the fields it leaves out (the scenario's ``site_defaults``).

    A site's own value always wins. A cost field that neither the site nor this block states is
    an error naming the site and the field: nothing costs a silent 0 (or a PUE of 1.0).
    """

    energy_price_usd_per_mwh: NonNegative | None = Field(None, le=1e5)
    carbon_kg_per_mwh: NonNegative | None = Field(None, le=1e4)
    pue: float | None = Field(None, ge=1.0, le=5.0)
    liquid_pue: float | None = Field(None, ge=1.0, le=5.0)
    fixed_cost_usd_per_year: NonNegative | None = None
    build_cost_usd_per_mw_year: NonNegative | None = Field(None, le=1e10)
    liquid_cooling_cost_usd_per_year: NonNegative | None = None
    max_rack_density_kw: Positive | None = Field(None, le=MAX_DENSITY_KW)
    air_cooling_limit_kw: Positive | None = Field(None, le=MAX_DENSITY_KW)
    liquid_cooling_available: bool | None = None


class Region(_Frozen):
    """A demand region (e.g. a county centre of population) with inference demand.

    Demand in MW is, by precedence: ``demand_mw``; else ``demand_gpus`` × the inference
    profile's kW per GPU; else ``population`` × the profile's GPUs per 1,000 people.
    """

    id: Identifier
    name: str = ""
    lat: float = Field(ge=-90.0, le=90.0, allow_inf_nan=False)
    lon: float = Field(ge=-180.0, le=180.0, allow_inf_nan=False)
    population: NonNegative = Field(
        0.0, le=MAX_PEOPLE, description="Users in the region (latency weight)."
    )
    demand_gpus: NonNegative | None = Field(
        None, le=MAX_COUNT, description="Inference demand, GPUs."
    )
    demand_mw: NonNegative | None = Field(
        None, le=MAX_MW, description="Inference demand as IT load, MW."
    )
    demand_work: NonNegative | None = Field(
        None, description="Inference demand in work units at peak (with a hardware catalogue)."
    )
    slo_ms: Positive | None = Field(
        None, le=MAX_MS, description="Latency SLO (RTT, ms); None uses the scenario default."
    )


class TrainingCluster(_Frozen):
    """A training cluster: placed whole at exactly one site.

    Either one way to build it (``it_mw`` and ``rack_density_kw``) or alternatives
    (``options``, e.g. GB200 NVL72 vs more H100s), of which the optimiser picks one.
    """

    id: Identifier
    name: str = ""
    gpus: int = Field(0, ge=0, le=MAX_COUNT, description="GPUs in the cluster (informative).")
    it_mw: Positive | None = Field(None, le=MAX_MW, description="IT load of the cluster, MW.")
    rack_density_kw: Positive | None = Field(
        None, le=MAX_DENSITY_KW, description="Rack density, kW per rack."
    )
    utilisation: float | None = Field(
        None, gt=0.0, le=1.0, description="Share of the year at full load; default economics."
    )
    options: tuple[TrainingOption, ...] = Field(
        (), description="Alternative ways to build the cluster; the optimiser picks one."
    )
    split: TrainingSplit | None = Field(
        None, description="May run divided over nearby sites (off by default)."
    )

    @model_validator(mode="after")
    def _one_form(self) -> TrainingCluster:
        own = (self.it_mw is not None, self.rack_density_kw is not None)
        if self.options:
            if any(own):
                raise ValueError(
                    "give either it_mw and rack_density_kw, or options, not both (the options "
                    "are the ways to build the cluster)"
                )
            _require_unique("options", [o.id for o in self.options])
        elif not all(own):
            missing = "it_mw" if self.it_mw is None else "rack_density_kw"
            raise ValueError(f"{missing} is required (or give options)")
        return self

    @property
    def choices(self) -> tuple[TrainingOption, ...]:
        """The ways to build the cluster: its options, or one option from its own fields."""
        if self.options:
            return self.options
        assert self.it_mw is not None and self.rack_density_kw is not None
        return (
            TrainingOption(
                id=self.id,
                name=self.name,
                gpus=self.gpus,
                it_mw=self.it_mw,
                rack_density_kw=self.rack_density_kw,
                utilisation=self.utilisation,
            ),
        )

    @property
    def racks(self) -> int:
        """Racks the cluster occupies (its only way to build it): ceil(IT kW / kW per rack)."""
        (only,) = self.choices if len(self.choices) == 1 else (None,)
        if only is None:
            raise ValueError(f"training cluster {self.id!r} has options: racks depend on the one")
        return only.racks


class InferenceProfile(_Frozen):
    """How inference demand turns into IT load and racks."""

    gpu_kw: Positive = Field(1.275, le=100.0, description="IT kW per GPU incl. its server share.")
    rack_density_kw: Positive = Field(
        41.0, le=MAX_DENSITY_KW, description="Inference rack density, kW per rack."
    )
    gpus_per_1000_people: NonNegative = Field(
        0.0, le=1e3, description="GPUs of demand per 1,000 people when a region gives no demand."
    )
    work_unit: str = Field(
        "GPU", description="Unit of inference work with a hardware catalogue (e.g. tokens/s)."
    )
    work_per_user: NonNegative = Field(
        0.0,
        description="Work units per user at peak, for regions without demand_work (with a "
        "hardware catalogue): e.g. tokens/s per user = requests/s per user × tokens per request.",
    )
    utilisation: float | None = Field(
        None, gt=0.0, le=1.0, description="Share of the year at full load; default economics."
    )


class Economics(_Frozen):
    """Money and time: everything that turns decisions into USD per year."""

    hours_per_year: Positive = Field(8760.0, le=8784.0, description="Hours in a year.")
    utilisation: float = Field(1.0, gt=0.0, le=1.0, description="Default load factor.")
    latency_penalty_usd_per_user_ms_year: NonNegative = Field(
        0.0, le=1e3, description="λ: USD per user per ms of RTT per year."
    )
    carbon_price_usd_per_tonne: NonNegative = Field(0.0, le=1e5)
    unserved_penalty_usd_per_mw_year: NonNegative | None = Field(
        None, le=1e12, description="If set, demand is soft: unserved MW cost this per year."
    )
    unserved_penalty_usd_per_work_year: NonNegative | None = Field(
        None,
        description="With a hardware catalogue: demand is soft, each unserved work unit costs "
        "this per year.",
    )
    discount_rate: float = Field(0.08, ge=0.0, le=1.0, description="For annualising capital.")
    lifetime_years: float = Field(
        15.0, ge=1.0, le=1000.0, allow_inf_nan=False, description="For annualising capital."
    )

    @property
    def capital_recovery_factor(self) -> float:
        """CRF = r(1+r)^n / ((1+r)^n − 1); 1/n when r = 0."""
        return capital_recovery_factor(self.discount_rate, self.lifetime_years)


class NetworkSettings(_Frozen):
    """The latency model: RTT = base + 2 · route_factor · distance / fiber speed."""

    route_factor: float = Field(
        1.87,
        ge=1.0,
        le=10.0,
        description="Fiber path / great circle; fitted to measured US RTTs (data/README.md).",
    )
    fiber_km_per_ms: float = Field(
        204.0,
        ge=1.0,
        le=300.0,
        allow_inf_nan=False,
        description="Light in glass, km per ms (n≈1.47); at most light in vacuum (≈ 300).",
    )
    base_rtt_ms: NonNegative = Field(
        1.7, le=1e4, description="Fixed RTT per request (switching), ms; fitted with route_factor."
    )
    distance: Literal["great_circle", "geodesic"] = "great_circle"
    default_slo_ms: Positive | None = Field(
        None, le=MAX_MS, description="SLO for regions that state none; None means no SLO."
    )
    backbone_graphml: str | None = Field(
        None,
        description="GraphML backbone (nodes with Latitude/Longitude); RTT follows it. In a "
        "scenario file, a relative path is relative to that file's folder.",
    )
    backbone_route_factor: float = Field(
        1.0, ge=1.0, le=10.0, description="Route factor on backbone links (their length is known)."
    )


class Rules(_Frozen):
    """Optional scenario rules."""

    max_sites: int | None = Field(None, ge=0, le=MAX_COUNT)
    max_training_sites: int | None = Field(None, ge=0, le=MAX_COUNT)
    must_open: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()
    existing: tuple[str, ...] = Field((), description="Built already: fixed open.")
    max_share_per_site: float = Field(
        1.0, gt=0.0, le=1.0, description="Redundancy: at most this share of a region per site."
    )
    carbon_cap_tonnes_per_year: NonNegative | None = None
    capital_budget_usd_per_year: NonNegative | None = Field(
        None, description="At most this much annualised capital per year (all capital costs)."
    )
    resilience: Resilience | None = Field(
        None, description="Survive the loss of any one open site (N-1); true for the defaults."
    )
    soft: SoftRules | None = Field(
        None, description="Rules made soft, each with a price per unit of violation."
    )


class Scenario(_Frozen):
    """A complete placement problem."""

    name: str = "scenario"
    description: str = ""
    site_defaults: SiteDefaults | None = Field(
        None, description="Values for the fields a site leaves out (its own value wins)."
    )
    sites: tuple[Site, ...] = Field(min_length=1)
    regions: tuple[Region, ...] = ()
    training: tuple[TrainingCluster, ...] = ()
    inference: InferenceProfile = InferenceProfile()
    economics: Economics = Economics()
    network: NetworkSettings = NetworkSettings()
    rules: Rules = Rules()
    pair_costs_usd_per_year: dict[str, dict[str, NonNegative]] = Field(
        default_factory=dict,
        description="Extra cost of serving ALL of region j from site i: {site: {region: USD}}.",
    )
    cooling_technologies: tuple[CoolingTechnology, ...] = Field(
        (),
        description="The cooling menu; empty: each site's air/liquid fields are a two-entry menu.",
    )
    hardware: tuple[InferenceHardware, ...] = Field(
        (),
        description="The inference hardware menu; empty: one GPU type from the inference profile.",
    )
    periods: tuple[Period, ...] = Field(
        (),
        description="Multi-period planning (model/periods.py): years, demand growth, price "
        "indices, training arrivals; empty: one period, annual cost.",
    )

    @model_validator(mode="before")
    @classmethod
    def _apply_site_defaults(cls, data: Any) -> Any:
        """Fill the fields each site leaves out from ``site_defaults`` (the site's value wins)."""
        if not isinstance(data, dict) or data.get("site_defaults") is None:
            return data
        raw = data["site_defaults"]
        try:
            defaults = (
                raw if isinstance(raw, SiteDefaults) else SiteDefaults.model_validate(raw)
            ).model_dump(exclude_none=True)
        except ValidationError:
            return data  # reported against site_defaults when the field is validated
        sites = data.get("sites")
        if not isinstance(sites, list | tuple):
            return data
        filled = [{**defaults, **s} if isinstance(s, dict) else s for s in sites]
        return {**data, "sites": filled}

    @model_validator(mode="after")
    def _check_references(self) -> Scenario:
        _require_unique("sites", [s.id for s in self.sites])
        _require_unique("regions", [r.id for r in self.regions])
        _require_unique("training", [c.id for c in self.training])
        site_ids = {s.id for s in self.sites}
        region_ids = {r.id for r in self.regions}
        for field in ("must_open", "forbidden", "existing"):
            for sid in getattr(self.rules, field):
                if sid not in site_ids:
                    raise ValueError(f"rules.{field}: {sid!r} is not a site id")
        clash = set(self.rules.forbidden) & (set(self.rules.must_open) | set(self.rules.existing))
        if clash:
            raise ValueError(
                f"rules.forbidden: {sorted(clash)} also must open or exist; a site cannot be both"
            )
        for sid, row in self.pair_costs_usd_per_year.items():
            if sid not in site_ids:
                raise ValueError(f"pair_costs_usd_per_year: {sid!r} is not a site id")
            for rid in row:
                if rid not in region_ids:
                    raise ValueError(f"pair_costs_usd_per_year[{sid!r}]: {rid!r} is not a region")
        _check_menus(self)
        check_periods(self)
        _check_pue_stated(self)
        _check_soft_rules(self)
        for site in self.sites:
            if site.air_cooling_limit_kw > site.max_rack_density_kw:
                raise ValueError(
                    f"sites[{site.id}].air_cooling_limit_kw = {site.air_cooling_limit_kw} exceeds "
                    f"max_rack_density_kw = {site.max_rack_density_kw}; the air limit must not "
                    "exceed the site's maximum density"
                )
        return self

    # ----------------------------------------------------------------- derived quantities
    def region_demand_mw(self, region: Region) -> float:
        """Inference IT load of a region in MW (see :class:`Region`)."""
        if region.demand_mw is not None:
            return region.demand_mw
        return self.region_demand_gpus(region) * self.inference.gpu_kw / 1000.0

    def region_demand_gpus(self, region: Region) -> float:
        """Inference demand of a region in GPUs."""
        if region.demand_mw is not None:
            return region.demand_mw * 1000.0 / self.inference.gpu_kw
        if region.demand_gpus is not None:
            return region.demand_gpus
        return region.population * self.inference.gpus_per_1000_people / 1000.0

    def region_slo_ms(self, region: Region) -> float | None:
        return region.slo_ms if region.slo_ms is not None else self.network.default_slo_ms

    def region_demand_work(self, region: Region) -> float:
        """Inference demand in work units: with a hardware catalogue ``demand_work`` (else
        population × ``work_per_user``); without one, GPUs (the legacy single GPU type)."""
        if not self.hardware:
            return self.region_demand_gpus(region)
        if region.demand_work is not None:
            return region.demand_work
        return region.population * self.inference.work_per_user

    @property
    def unserved_penalty_per_work(self) -> float | None:
        """USD per year per unserved work unit (None: demand is hard)."""
        econ = self.economics
        if self.hardware:
            return econ.unserved_penalty_usd_per_work_year
        if econ.unserved_penalty_usd_per_mw_year is None:
            return None
        return econ.unserved_penalty_usd_per_mw_year * self.inference.gpu_kw / 1000.0

    @property
    def training_utilisation(self) -> list[float]:
        return [c.utilisation or self.economics.utilisation for c in self.training]

    @property
    def inference_utilisation(self) -> float:
        return self.inference.utilisation or self.economics.utilisation

    # ----------------------------------------------------------------- construction and files
    @classmethod
    def from_dict(cls, data: Any, source: str = "scenario") -> Scenario:
        """Validate a plain mapping; errors name the field, the value and the rule."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ScenarioError.from_validation(exc, source) from None

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Scenario:
        """Read a scenario from YAML (``.yaml``/``.yml``) or JSON (``.json``).

        YAML is read with PyYAML's safe loader (plain data only: no Python objects). Files the
        scenario refers to (``network.backbone_graphml``) are resolved relative to the
        scenario file's folder, so the scenario reads the same from any working directory.
        """
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8-sig")  # a byte-order mark is allowed
        except OSError as exc:
            raise ScenarioError(f"{path}: cannot read scenario file ({exc.strerror})") from None
        except UnicodeDecodeError as exc:
            raise ScenarioError(
                f"{path}: not a UTF-8 text file (byte {exc.start}: {exc.reason}); "
                "a scenario is YAML or JSON text"
            ) from None
        data = parse_document(text, path)
        if data is None:
            raise ScenarioError(
                f"{path}: the file is empty (or only comments); a scenario needs at least "
                "'sites:' (see 'placement example --write my.yaml')"
            )
        if not isinstance(data, dict):
            raise ScenarioError(
                f"{path}: a scenario file must hold a mapping at the top level, "
                f"found {type(data).__name__}"
            )
        return cls.from_dict(resolve_referenced_files(data, path.parent), source=str(path))

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_defaults=False)

    def to_file(self, path: str | os.PathLike[str]) -> Path:
        """Write YAML or JSON by suffix, atomically (a reader never sees half a file)."""
        path = Path(path)
        data = self.to_dict()
        if path.suffix.lower() in (".yaml", ".yml"):
            text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        elif path.suffix.lower() == ".json":
            text = json.dumps(data, indent=2)
        else:
            raise ScenarioError(f"{path}: unknown scenario suffix {path.suffix!r}; use .yaml/.json")
        write_text_atomic(path, text)
        return path

    # ----------------------------------------------------------------- pandas and networkx
    def to_frames(self) -> dict[str, Any]:
        """``{"sites", "regions", "training"}`` as pandas DataFrames (model/frames.py)."""
        from placement.model.frames import scenario_frames

        return scenario_frames(self)

    @classmethod
    def from_frames(
        cls,
        sites: Any,
        regions: Any = None,
        training: Any = None,
        *,
        base: Scenario | dict[str, Any] | None = None,
        name: str | None = None,
    ) -> Scenario:
        """A scenario from DataFrames; settings from ``base``; errors name table, row, column."""
        from placement.model.frames import scenario_from_frames

        return scenario_from_frames(sites, regions, training, base=base, name=name)

    def to_graph(self) -> Any:
        """The scenario as a networkx Graph: sites and regions as nodes with their fields,
        eligible pairs as edges with ``rtt_ms`` and ``km`` (model/graph.py)."""
        from placement.model.graph import scenario_to_graph

        return scenario_to_graph(self)

    @classmethod
    def from_graph(cls, graph: Any, *, name: str | None = None) -> Scenario:
        """A scenario from a networkx graph of the shape :meth:`to_graph` makes."""
        from placement.model.graph import scenario_from_graph

        return scenario_from_graph(graph, name=name)

    @classmethod
    def coerce(cls, value: Any) -> Scenario:
        """A Scenario as is; a networkx graph through :meth:`from_graph`."""
        if isinstance(value, Scenario):
            return value
        if hasattr(value, "nodes") and hasattr(value, "graph") and hasattr(value, "edges"):
            return cls.from_graph(value)
        raise TypeError(
            f"expected a Scenario or a networkx graph, got {type(value).__name__}; load files "
            "with Scenario.from_file or placement.io.load_scenario"
        )

    def site_index(self) -> dict[str, int]:
        return {s.id: i for i, s in enumerate(self.sites)}

    def region_index(self) -> dict[str, int]:
        return {r.id: j for j, r in enumerate(self.regions)}


def capital_recovery_factor(rate: float, years: float) -> float:
    """Annual payment per unit of capital: r(1+r)^n / ((1+r)^n − 1), or 1/n when r = 0.

    (1+r)^n − 1 is computed as expm1(n·log1p(r)), exact for tiny rates too (where (1+r)^n
    rounds to 1 and the plain formula would divide by zero).
    """
    if rate == 0:
        return 1.0 / years
    excess = math.expm1(years * math.log1p(rate))
    return rate * (1.0 + excess) / excess


def _check_pue_stated(scenario: Scenario) -> None:
    """Without a cooling catalogue a site's own ``pue`` prices its cooling: it must be stated."""
    if scenario.cooling_technologies:
        return
    for k, site in enumerate(scenario.sites):
        if site.pue is None and set(site.financing) != {"cloud"}:
            raise ValueError(
                f"sites[{k}].pue: required field is missing (site {site.id!r}); state it on the "
                "site or for every site in site_defaults (or give the scenario a "
                "cooling_technologies catalogue)"
            )


def _check_climate_pue(scenario: Scenario, site: Site, where: str) -> None:
    """A technology whose PUE follows the climate needs the site's cooling degree days."""
    if site.cooling_degree_days is not None or set(site.financing) == {"cloud"}:
        return
    measured = {c.technology for c in site.cooling or () if not isinstance(c, str) and c.pue}
    named = (
        [c if isinstance(c, str) else c.technology for c in site.cooling]
        if site.cooling is not None
        else [t.id for t in scenario.cooling_technologies]
    )
    by_id = {t.id: t for t in scenario.cooling_technologies}
    for tech in named:
        if tech not in measured and by_id[tech].pue_per_cdd != 0:
            raise ValueError(
                f"{where}.cooling_degree_days is needed for the PUE of cooling technology "
                f"{tech!r} (pue_per_cdd = {by_id[tech].pue_per_cdd:g}); give it, or a measured "
                "pue in the site's cooling entry"
            )


def _check_menus(scenario: Scenario) -> None:
    """References between sites, clusters and the catalogues; demand stated in one way."""
    technologies = {t.id for t in scenario.cooling_technologies}
    hardware = {h.id for h in scenario.hardware}
    _require_unique("cooling_technologies", [t.id for t in scenario.cooling_technologies])
    _require_unique("hardware", [h.id for h in scenario.hardware])
    cloud_hardware = {
        o.cloud_hardware for c in scenario.training for o in c.choices if o.cloud_hardware
    }
    for site in scenario.sites:
        where = f"sites[{site.id}]"
        named = [c if isinstance(c, str) else c.technology for c in site.cooling or ()]
        if site.lease is not None and site.lease.cooling:
            named += list(site.lease.cooling)
        if named and not technologies:
            raise ValueError(
                f"{where}.cooling names technologies but the scenario has no "
                "cooling_technologies catalogue"
            )
        for tech in named:
            if tech not in technologies:
                raise ValueError(
                    f"{where}.cooling: {tech!r} is not in cooling_technologies "
                    f"({', '.join(sorted(technologies))})"
                )
        for hw in site.hardware or ():
            if hw not in hardware:
                raise ValueError(f"{where}.hardware: {hw!r} is not in the hardware catalogue")
        _check_climate_pue(scenario, site, where)
        if site.cloud is not None:
            for hw in (*site.cloud.usd_per_unit_hour, *site.cloud.quota_units):
                if hw not in hardware and hw not in cloud_hardware:
                    raise ValueError(
                        f"{where}.cloud: {hw!r} is neither inference hardware nor a training "
                        "option's cloud_hardware"
                    )
    if scenario.hardware:
        for region in scenario.regions:
            if region.demand_mw is not None or region.demand_gpus is not None:
                raise ValueError(
                    f"regions[{region.id}]: demand_mw and demand_gpus belong to the single-GPU "
                    "profile; with a hardware catalogue state demand_work or "
                    "inference.work_per_user"
                )
        if scenario.economics.unserved_penalty_usd_per_mw_year is not None:
            raise ValueError(
                "economics.unserved_penalty_usd_per_mw_year: with a hardware catalogue demand "
                "is work; use unserved_penalty_usd_per_work_year"
            )
    elif scenario.economics.unserved_penalty_usd_per_work_year is not None:
        raise ValueError(
            "economics.unserved_penalty_usd_per_work_year needs a hardware catalogue; use "
            "unserved_penalty_usd_per_mw_year"
        )
    elif any(r.demand_work is not None for r in scenario.regions):
        raise ValueError(
            "regions: demand_work needs a hardware catalogue (which hardware does the work?)"
        )


def _check_soft_rules(scenario: Scenario) -> None:
    """A soft rule needs the hard rule it relaxes; the SLO limit may not undercut an SLO."""
    soft, rules = scenario.rules.soft, scenario.rules
    if soft is None:
        return
    needs = (
        ("carbon_usd_per_tonne", "carbon_cap_tonnes_per_year"),
        ("capital_usd_per_usd", "capital_budget_usd_per_year"),
    )
    for price, limit in needs:
        if getattr(soft, price) is not None and getattr(rules, limit) is None:
            raise ValueError(
                f"rules.soft.{price} = {getattr(soft, price):g}: rules.{limit} is not set, so "
                "there is no limit to relax"
            )
    slos = [scenario.region_slo_ms(r) for r in scenario.regions]
    if soft.slo_usd_per_user_ms_year is not None and all(v is None for v in slos):
        raise ValueError(
            f"rules.soft.slo_usd_per_user_ms_year = {soft.slo_usd_per_user_ms_year:g}: no region "
            "has an SLO (region slo_ms or network.default_slo_ms), so there is none to relax"
        )
    if soft.slo_limit_ms is not None:
        for region, slo in zip(scenario.regions, slos, strict=True):
            if slo is not None and slo > soft.slo_limit_ms:
                raise ValueError(
                    f"rules.soft.slo_limit_ms = {soft.slo_limit_ms:g} is below region "
                    f"{region.id!r}'s SLO {slo:g} ms; the limit bounds how far beyond the SLO a "
                    "pair may be and must be at least every SLO"
                )


def _require_unique(field: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for identifier in ids:
        if identifier in seen:
            raise ValueError(f"{field}: id {identifier!r} appears twice; ids must be unique")
        seen.add(identifier)


SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""PyYAML's safe loader (plain data only), in C when libyaml is there (4x faster on the bundled
default as YAML, and libyaml refuses nesting deeper than 1,000)."""
REFERENCED_FILES = (("network", "backbone_graphml"),)
"""Fields holding the path of another file: relative paths are relative to the scenario file."""
MIN_EXPANDED_VALUES = 1_000_000
EXPANSION_PER_CHARACTER = 10
"""A YAML document may expand (through aliases) to at most max(1,000,000, 10 × its length)
values: far beyond any real scenario, far below an "alias bomb" (nine nested anchors of nine
aliases expand a 1 kB file to 387 million values)."""


def resolve_referenced_files(data: dict[str, Any], folder: Path) -> dict[str, Any]:
    """``data`` with every relative path of :data:`REFERENCED_FILES` made absolute against
    ``folder`` (the folder of the file the scenario was read from)."""
    out = dict(data)
    for section, field in REFERENCED_FILES:
        block = out.get(section)
        value = block.get(field) if isinstance(block, dict) else None
        if isinstance(value, str) and value:
            target = Path(value).expanduser()
            if not target.is_absolute():
                out[section] = {**block, field: os.path.abspath(folder / target)}
    return out


def parse_document(
    text: str, path: Path, *, error: type[Exception] = ScenarioError, kind: str = "scenario"
) -> Any:
    """Parse YAML (``.yaml``/``.yml``) or JSON (``.json``) text by the file's suffix.

    YAML is read with PyYAML's safe loader (:data:`SAFE_LOADER`): plain data only (a
    ``!!python/object`` tag is an error, never code). A document nested too deeply, expanding
    through aliases beyond :data:`MIN_EXPANDED_VALUES` / :data:`EXPANSION_PER_CHARACTER`, or
    holding an alias inside its own anchor (a cycle) is refused. Every problem raises
    ``error`` naming the file (and, for malformed text, the line and column).
    """
    suffix = path.suffix.lower()
    if suffix not in (".json", ".yaml", ".yml"):
        raise error(f"{path}: unknown {kind} suffix {suffix!r}; use .yaml, .yml or .json")
    try:
        if suffix == ".json":
            return json.loads(text)
        data = yaml.load(text, Loader=SAFE_LOADER)
    except json.JSONDecodeError as exc:
        raise error(
            f"{path}: malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        if "nesting depth" in problem:  # libyaml's limit (1,000 levels)
            raise error(f"{path}: nested too deeply to be a {kind}{where}") from None
        raise error(f"{path}: malformed YAML{where}: {problem}") from None
    except RecursionError:
        raise error(f"{path}: nested too deeply to be a {kind}") from None
    except (ValueError, TypeError, OverflowError) as exc:
        # e.g. an integer of more than 4,300 digits, or a YAML date like 2024-13-45
        raise error(f"{path}: cannot read a value of the {kind}: {exc}") from None
    _check_expansion(
        data, path, error, kind, max(MIN_EXPANDED_VALUES, EXPANSION_PER_CHARACTER * len(text))
    )
    return data


def _check_expansion(data: Any, path: Path, error: type[Exception], kind: str, limit: int) -> None:
    """Refuse YAML whose aliases expand beyond ``limit`` values, or refer to themselves."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: Any) -> int:
        if not isinstance(node, dict | list):
            return 1
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise error(
                f"{path}: a YAML alias refers to its own anchor (a cycle); a {kind} must be a "
                "tree of plain values"
            )
        open_nodes.add(key)
        children = [*node.keys(), *node.values()] if isinstance(node, dict) else node
        total = 1
        for child in children:
            total += size(child)
            if total > limit:
                raise error(
                    f"{path}: expands through YAML aliases to more than {limit:,} values (an "
                    f"'alias bomb'?); write the {kind}'s values out instead"
                )
        open_nodes.discard(key)
        sizes[key] = total
        return total

    try:
        size(data)
    except RecursionError:
        raise error(f"{path}: nested too deeply to be a {kind}") from None
