"""The ways a portfolio varies its base scenario: one class per kind of parameter.

Each parameter has a ``name`` (a column of the summary and a part of every scenario id) and a
list of :class:`Choice` values; ``apply`` changes a scenario's plain data (``to_dict()``) in
place for one choice. The pydantic :class:`~placement.model.schema.Scenario` checks the outcome.

- :class:`Override`: set the value at a dotted path (``economics.carbon_price_usd_per_tonne``).
- :class:`Scale`: multiply the number(s) at a path, optionally for a subset chosen by ``where``
  (``sites.*.energy_price_usd_per_mwh`` × 1.3 where ``state`` is TX).
- :class:`SiteSubset`: keep only the named set of candidate sites.
- :class:`DemandGrowth`: multiply every region's inference demand (not its population, which
  weights latency).
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from placement.batch.paths import PortfolioError, resolve

NAME_RULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Choice:
    """One value of a parameter: what is applied, and how the scenario id spells it."""

    value: Any
    label: str


def format_label(value: Any) -> str:
    """A short, exact spelling of a value for scenario ids (``50``, ``0.2``, ``none``)."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


@dataclass(frozen=True)
class Parameter:
    """Base class: a named list of choices applied to a scenario's data."""

    name: str

    def choices(self) -> list[Choice]:
        raise NotImplementedError

    def apply(self, data: dict[str, Any], value: Any) -> None:
        raise NotImplementedError

    @property
    def field(self) -> str:
        return f"parameters.{self.name}"

    def _check_name(self) -> None:
        if not isinstance(self.name, str) or not NAME_RULE.match(self.name):
            raise PortfolioError(
                f"parameters: name {self.name!r} is not allowed; use letters, digits and '_', "
                "starting with a letter (it becomes a table column and part of scenario ids)"
            )

    def _labelled(self, values: Sequence[Any], labels: Sequence[str] | None) -> list[Choice]:
        if labels is None:
            return [Choice(v, format_label(v)) for v in values]
        return [Choice(v, str(lab)) for v, lab in zip(values, labels, strict=True)]

    def _check_values(self, values: Sequence[Any], labels: Sequence[str] | None) -> None:
        if isinstance(values, str | bytes) or not isinstance(values, Sequence) or not values:
            raise PortfolioError(
                f"{self.field}.values = {values!r}: must be a non-empty list of values"
            )
        if labels is not None and (
            isinstance(labels, str)
            or not isinstance(labels, Sequence)
            or len(labels) != len(values)
        ):
            raise PortfolioError(
                f"{self.field}.labels = {labels!r}: must be a list as long as values "
                f"({len(values)})"
            )


@dataclass(frozen=True)
class Override(Parameter):
    """Set the value at ``path`` to each of ``values`` (``set:`` in a spec)."""

    path: str = ""
    values: tuple[Any, ...] = ()
    labels: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        self._check_name()
        self._check_values(self.values, self.labels)
        object.__setattr__(self, "values", tuple(self.values))

    def choices(self) -> list[Choice]:
        return self._labelled(self.values, self.labels)

    def apply(self, data: dict[str, Any], value: Any) -> None:
        for target in resolve(data, self.path, f"{self.field}.set"):
            target.container[target.key] = copy.deepcopy(value)


@dataclass(frozen=True)
class Scale(Parameter):
    """Multiply the number(s) at ``path`` by each factor (``scale:`` in a spec).

    ``where`` keeps only list elements whose fields match, e.g. ``{"state": ["TX", "OK"]}``
    with ``sites.*.energy_price_usd_per_mwh``. A ``*`` path skips elements where the field is
    unset (null); a path to one element must find a number.
    """

    path: str = ""
    values: tuple[float, ...] = ()
    where: Mapping[str, Any] | None = None
    labels: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        self._check_name()
        self._check_values(self.values, self.labels)
        object.__setattr__(self, "values", _factors(self.values, f"{self.field}.values"))
        if self.where is not None and not isinstance(self.where, Mapping):
            raise PortfolioError(
                f"{self.field}.where = {self.where!r}: must map a field to allowed values, "
                "e.g. {state: [TX]}"
            )

    def choices(self) -> list[Choice]:
        return self._labelled(self.values, self.labels)

    def apply(self, data: dict[str, Any], value: Any) -> None:
        for target in resolve(
            data, self.path, f"{self.field}.scale", self.where, f"{self.field}.where"
        ):
            current = target.value
            if current is None and "*" in self.path:
                continue  # a wildcard scales the elements that state the field (not a cloud
                # region's energy price, which its instance price includes)
            if isinstance(current, bool) or not isinstance(current, int | float):
                raise PortfolioError(
                    f"{self.field}.scale = {self.path!r}: {target.where} = {current!r} is not a "
                    "number; only numbers can be scaled (use set: for others)"
                )
            target.container[target.key] = current * value


@dataclass(frozen=True)
class SiteSubset(Parameter):
    """Keep only the candidate sites of each named subset (``sites:`` in a spec).

    ``subsets`` maps a subset's name to its site ids; ``None`` keeps every site. Rules naming a
    dropped site: ``forbidden`` entries are dropped; ``must_open``/``existing`` are an error.
    """

    subsets: Mapping[str, Sequence[str] | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._check_name()
        if not isinstance(self.subsets, Mapping) or not self.subsets:
            raise PortfolioError(
                f"{self.field}.sites = {self.subsets!r}: must map subset names to lists of "
                "site ids (null keeps every site)"
            )
        clean: dict[str, tuple[str, ...] | None] = {}
        for key, ids in self.subsets.items():
            if ids is not None and (isinstance(ids, str) or not isinstance(ids, Sequence)):
                raise PortfolioError(
                    f"{self.field}.sites.{key} = {ids!r}: must be a list of site ids or null"
                )
            if ids is not None and not ids:
                raise PortfolioError(f"{self.field}.sites.{key} = []: a subset needs a site")
            clean[str(key)] = None if ids is None else tuple(str(i) for i in ids)
        object.__setattr__(self, "subsets", clean)

    def choices(self) -> list[Choice]:
        return [Choice(key, key) for key in self.subsets]

    def apply(self, data: dict[str, Any], value: Any) -> None:
        ids = self.subsets[value]
        if ids is None:
            return
        where = f"{self.field}.sites.{value}"
        known = {s["id"] for s in data["sites"]}
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise PortfolioError(
                f"{where} = {list(ids)!r}: {unknown} are not sites of the base scenario"
            )
        keep = set(ids)
        rules = data["rules"]
        for rule in ("must_open", "existing"):
            dropped = [s for s in rules[rule] if s not in keep]
            if dropped:
                raise PortfolioError(
                    f"{where}: drops {dropped}, which rules.{rule} requires; add them to the "
                    "subset or change the rule"
                )
        data["sites"] = [s for s in data["sites"] if s["id"] in keep]
        rules["forbidden"] = [s for s in rules["forbidden"] if s in keep]
        pairs = data.get("pair_costs_usd_per_year") or {}
        data["pair_costs_usd_per_year"] = {k: v for k, v in pairs.items() if k in keep}


@dataclass(frozen=True)
class DemandGrowth(Parameter):
    """Multiply every region's inference demand by each factor (``demand_growth:``).

    ``demand_mw``, ``demand_gpus`` or ``demand_work`` is scaled where a region states it, and
    the inference profile's ``gpus_per_1000_people`` and ``work_per_user`` for regions whose
    demand comes from population; the population itself (the latency weight) is unchanged.
    """

    values: tuple[float, ...] = ()
    labels: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        self._check_name()
        self._check_values(self.values, self.labels)
        object.__setattr__(self, "values", _factors(self.values, f"{self.field}.demand_growth"))

    def choices(self) -> list[Choice]:
        return self._labelled(self.values, self.labels)

    def apply(self, data: dict[str, Any], value: Any) -> None:
        for region in data["regions"]:
            for demand in ("demand_mw", "demand_gpus", "demand_work"):
                if region.get(demand) is not None:
                    region[demand] *= value
                    break
        data["inference"]["gpus_per_1000_people"] *= value
        data["inference"]["work_per_user"] *= value


def _factors(values: Sequence[Any], where: str) -> tuple[float, ...]:
    out = []
    for value in values:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise PortfolioError(f"{where}: {value!r} is not a number") from None
        if isinstance(value, bool) or not math.isfinite(number) or number < 0:
            raise PortfolioError(f"{where}: {value!r} must be a finite number ≥ 0")
        out.append(number)
    return tuple(out)


_KINDS = {
    "set": ("set", "values", "labels"),
    "scale": ("scale", "values", "where", "labels"),
    "sites": ("sites",),
    "demand_growth": ("demand_growth", "labels"),
}


def parse_parameter(name: str, entry: Any) -> Parameter:
    """A parameter from its spec entry (``{set: PATH, values: [...]}`` and the like)."""
    where = f"parameters.{name}"
    if not isinstance(entry, Mapping):
        raise PortfolioError(
            f"{where} = {entry!r}: must be a mapping with one of {', '.join(_KINDS)}"
        )
    kinds = [k for k in _KINDS if k in entry]
    if len(kinds) != 1:
        raise PortfolioError(
            f"{where}: has {kinds or 'none'} of the kinds {', '.join(_KINDS)}; give exactly one"
        )
    kind = kinds[0]
    extra = sorted(set(entry) - set(_KINDS[kind]))
    if extra:
        raise PortfolioError(
            f"{where}: unknown key(s) {extra} for a {kind!r} parameter "
            f"(allowed: {', '.join(_KINDS[kind])})"
        )
    labels = entry.get("labels")
    labels = tuple(labels) if isinstance(labels, list) else labels
    if kind == "set":
        _need(entry, "values", where)
        return Override(name, path=entry["set"], values=_as_list(entry["values"]), labels=labels)
    if kind == "scale":
        _need(entry, "values", where)
        return Scale(
            name,
            path=entry["scale"],
            values=_as_list(entry["values"]),
            where=entry.get("where"),
            labels=labels,
        )
    if kind == "sites":
        return SiteSubset(name, subsets=entry["sites"])
    return DemandGrowth(name, values=_as_list(entry["demand_growth"]), labels=labels)


def _need(entry: Mapping[str, Any], key: str, where: str) -> None:
    if key not in entry:
        raise PortfolioError(f"{where}.{key}: required field is missing")


def _as_list(values: Any) -> Any:
    return tuple(values) if isinstance(values, list | tuple) else values
