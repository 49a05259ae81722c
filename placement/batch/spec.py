"""Portfolio specs: a base scenario and its variations, expanded to solvable cases.

A portfolio is written in YAML/JSON (see ``docs/batch.md``) or built in Python::

    from placement.batch import Portfolio, Override, Scale
    pf = Portfolio(
        base="bundled:us_small",
        parameters=[
            Override("carbon", path="economics.carbon_price_usd_per_tonne", values=[0, 50]),
            Scale("tx_power", path="sites.*.energy_price_usd_per_mwh",
                  where={"state": ["TX"]}, values=[1.0, 1.3]),
        ],
    )
    cases = pf.expand()          # 4 cases: ids like "carbon=50,tx_power=1.3"

Every :class:`Case` has a readable ``id`` (the parameters that vary, in order) and a content
``hash``: sha256 of the canonical JSON of the expanded scenario and the solve options, so a
result stored under that hash belongs to exactly these inputs.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from placement.batch.params import (
    Choice,
    Parameter,
    format_label,
    parse_parameter,
)
from placement.batch.paths import PortfolioError, resolve
from placement.errors import ScenarioError, SolverOptionError
from placement.io.loader import load_scenario as io_load_scenario
from placement.model.schema import Scenario, parse_document, resolve_referenced_files
from placement.solving.options import SolveOptions

HASH_FORMAT = 2  # 2: the shared SolveOptions (method, lp_nodes, threads, log) are hashed
SCENARIO_FILE_SUFFIXES = (".yaml", ".yml", ".json")
FOLDER_PARAMETER = "scenario"
SPEC_KEYS = (
    "name",
    "description",
    "base",
    "scenarios",
    "overrides",
    "parameters",
    "sweep",
    "baseline",
    "solve",
)
# Summary columns a parameter may not be named after (the table would clash).
RESERVED_NAMES = frozenset(
    {
        "id",
        "hash",
        "status",
        "verified",
        "objective",
        "bound",
        "gap",
        "message",
        "diagnosis",
        "is_baseline",
        "open_sites",
        "open_site_ids",
        "training_sites",
        "training_site_ids",
        "weighted_rtt_ms",
        "p95_rtt_ms",
        "training_mw",
        "inference_mw",
        "facility_mw",
        "served_share",
        "carbon_tonnes_per_year",
        "solve_seconds",
        "wall_seconds",
        "attempt",
        "demand_mw",
        "spend",
        "cost_excl_latency",
    }
)


BATCH_SET_OPTIONS = ("threads", "log")
"""Solve options a portfolio may not set: every case solves on one thread, quietly."""


def solve_options(data: Any) -> SolveOptions:
    """A portfolio's ``solve:`` block as :class:`SolveOptions` (threads and log are the batch's)."""
    try:
        return SolveOptions.from_mapping(data, exclude=BATCH_SET_OPTIONS)
    except SolverOptionError as exc:
        raise PortfolioError(_solve_error(exc)) from None


def _solve_error(exc: SolverOptionError) -> str:
    """``solve.gap = 2: …`` for a bad value, ``solve: …`` otherwise."""
    text = str(exc)
    return f"solve.{text}" if re.match(r"\w+ = ", text) else f"solve: {text}"


@dataclass(frozen=True)
class Case:
    """One expanded scenario of a portfolio, ready to solve."""

    id: str
    inputs: dict[str, Any]  # varied parameter → value (number, or a label for others)
    labels: dict[str, str]  # varied parameter → label as spelled in the id
    hash: str
    scenario_json: str  # canonical JSON of the expanded scenario
    options: SolveOptions

    @property
    def scenario(self) -> Scenario:
        """The expanded scenario (parsed on each access; cases keep only its JSON)."""
        return Scenario.model_validate_json(self.scenario_json)

    @cached_property
    def demand_mw(self) -> float:
        """The case's demand level: inference IT MW (with a hardware catalogue: inference work
        units, whose MW depend on the hardware chosen) plus each training cluster's first way
        to build it, MW. Cases with different demand are different problems: never one
        frontier."""
        scenario = self.scenario
        if scenario.hardware:
            inference = sum(scenario.region_demand_work(r) for r in scenario.regions)
        else:
            inference = sum(scenario.region_demand_mw(r) for r in scenario.regions)
        training = sum(c.choices[0].it_mw for c in scenario.training)
        return round(inference + training, 6)

    @cached_property
    def candidate_sites(self) -> tuple[tuple[str, str | None], ...]:
        """(id, state) of every candidate site of this case."""
        return tuple((s["id"], s.get("state")) for s in json.loads(self.scenario_json)["sites"])

    def task(self, verify: bool = True) -> dict[str, Any]:
        """The plain payload a worker solves (picklable, small)."""
        return {
            "id": self.id,
            "hash": self.hash,
            "inputs": self.inputs,
            "scenario_json": self.scenario_json,
            "options": self.options.as_dict(),
            "verify": verify,
        }


@dataclass(frozen=True)
class Portfolio:
    """A base scenario (or a folder of scenario files) and the variations to sweep.

    Args:
        base: a :class:`Scenario`, a scenario file path, or ``"bundled:us_small"`` /
            ``"bundled:us_default"``.
        scenarios: instead of ``base``: a folder of scenario files (or a list of files); each
            file is one value of an implicit first parameter named ``scenario``.
        parameters: the variations, applied in this order (see :mod:`placement.batch.params`).
        sweep: ``cartesian`` (every combination) or ``zip`` (the i-th value of each).
        overrides: ``{dotted.path: value}`` applied to every case before the parameters.
        baseline: the case the deltas are taken against: an id, or ``{parameter: value}``;
            default the first case.
        solve: solve options for every case.
        root: folder that relative paths are read from (a spec file's folder).
    """

    base: Scenario | str | os.PathLike[str] | None = None
    parameters: Sequence[Parameter] = ()
    scenarios: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None
    sweep: Literal["cartesian", "zip"] = "cartesian"
    overrides: Mapping[str, Any] = field(default_factory=dict)
    baseline: str | Mapping[str, Any] | None = None
    solve: SolveOptions = field(default_factory=SolveOptions)
    name: str = "portfolio"
    description: str = ""
    root: Path = field(default_factory=Path.cwd)

    def __post_init__(self) -> None:
        object.__setattr__(self, "parameters", tuple(self.parameters))
        if (self.base is None) == (self.scenarios is None):
            raise PortfolioError(
                "portfolio: give exactly one of base (a scenario) or scenarios (a folder or "
                f"list of scenario files); got base = {self.base!r}, "
                f"scenarios = {self.scenarios!r}"
            )
        if self.base is not None and not isinstance(self.base, Scenario | str | os.PathLike):
            raise PortfolioError(
                f"base = {self.base!r}: must be a scenario file path, a bundled dataset name "
                "(bundled:us_small) or a scenario mapping"
            )
        if self.scenarios is not None and not _paths_like(self.scenarios):
            raise PortfolioError(
                f"scenarios = {self.scenarios!r}: must be a folder or a list of scenario files"
            )
        if not isinstance(self.sweep, str) or self.sweep not in ("cartesian", "zip"):
            raise PortfolioError(f"sweep = {self.sweep!r}: must be 'cartesian' or 'zip'")
        names = [p.name for p in self.parameters]
        if self.scenarios is not None:
            names.insert(0, FOLDER_PARAMETER)
        for name in names:
            if names.count(name) > 1:
                raise PortfolioError(f"parameters: {name!r} appears twice; names must be unique")
            if name in RESERVED_NAMES or name.startswith(("cost_", "delta_")):
                raise PortfolioError(
                    f"parameters: name {name!r} clashes with a summary column; rename it"
                )
        if not isinstance(self.overrides, Mapping):
            raise PortfolioError(f"overrides = {self.overrides!r}: must map dotted paths to values")
        if self.sweep == "zip" and self.parameters:
            lengths = {p.name: len(p.choices()) for p in self.parameters}
            if len(set(lengths.values())) > 1:
                raise PortfolioError(
                    f"sweep = 'zip': parameters have different numbers of values {lengths}; "
                    "zipped parameters must have equally many"
                )

    # ------------------------------------------------------------------ reading specs
    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Portfolio:
        """Read a YAML/JSON portfolio file, or take a folder as a portfolio of its files."""
        path = Path(path)
        if path.is_dir():
            return cls(scenarios=path, name=path.name, root=path.parent)
        try:
            text = path.read_text(encoding="utf-8-sig")  # a byte-order mark is allowed
        except OSError as exc:
            raise PortfolioError(f"{path}: cannot read portfolio file ({exc.strerror})") from None
        except UnicodeDecodeError as exc:
            raise PortfolioError(
                f"{path}: not a UTF-8 text file (byte {exc.start}: {exc.reason}); a portfolio is "
                "YAML or JSON text"
            ) from None
        data = parse_document(text, path, error=PortfolioError, kind="portfolio")
        if isinstance(data, dict) and "sites" in data and "base" not in data:
            raise PortfolioError(
                f"{path}: this is a scenario (it has 'sites'), not a portfolio; write a "
                f"portfolio with 'base: {path.name}' and its parameters"
            )
        return cls.from_dict(data, root=path.parent, source=str(path))

    @classmethod
    def from_dict(
        cls, data: Any, *, root: str | os.PathLike[str] = ".", source: str = "portfolio"
    ) -> Portfolio:
        """Validate a plain mapping; errors name the field, the value and the rule."""
        if data is None:
            raise PortfolioError(
                f"{source}: the file is empty; a portfolio needs 'base:' or "
                "'scenarios:' and its 'parameters:'"
            )
        if not isinstance(data, Mapping):
            raise PortfolioError(f"{source}: a portfolio must be a mapping, got {data!r}")
        extra = sorted(set(data) - set(SPEC_KEYS))
        if extra:
            raise PortfolioError(
                f"{source}: unknown field(s) {extra}; a portfolio has {', '.join(SPEC_KEYS)}"
            )
        try:
            base = data.get("base")
            if isinstance(base, Mapping):  # an inline scenario: its files are next to the spec
                inline = resolve_referenced_files(dict(base), Path(root))
                base = Scenario.from_dict(inline, source=f"{source}: base")
            entries = data.get("parameters") or {}
            if not isinstance(entries, Mapping):
                raise PortfolioError(
                    f"parameters = {entries!r}: must map parameter names to their definitions"
                )
            return cls(
                base=base,
                scenarios=data.get("scenarios"),
                parameters=[parse_parameter(str(k), v) for k, v in entries.items()],
                sweep=data.get("sweep", "cartesian"),
                overrides=data.get("overrides") or {},
                baseline=data.get("baseline"),
                solve=solve_options(data.get("solve")),
                name=str(data.get("name", "portfolio")),
                description=str(data.get("description", "")),
                root=Path(root),
            )
        except PortfolioError as exc:
            raise PortfolioError(f"{source}: {exc}") from None

    def with_options(self, **changes: Any) -> Portfolio:
        """A copy whose solve options have ``changes`` (None values are ignored)."""
        update = {k: v for k, v in changes.items() if v is not None}
        if not update:
            return self
        try:
            options = self.solve.replace(**update)
        except SolverOptionError as exc:
            raise PortfolioError(_solve_error(exc)) from None
        return Portfolio(**{**self.__dict__, "solve": options})

    # ------------------------------------------------------------------ expansion
    def size(self) -> int:
        """Number of cases, without building them."""
        counts = [len(p.choices()) for p in self.parameters]
        combos = (counts[0] if counts else 1) if self.sweep == "zip" else _product(counts)
        return combos * len(self._scenario_files()) if self.scenarios is not None else combos

    def expand(self) -> list[Case]:
        """Every case, validated (any error names the case, field, value and rule)."""
        cases: list[Case] = []
        combos = self._combinations()
        varied = [p.name for p in self.parameters if len(p.choices()) > 1]
        for base_choice, base in self._bases():
            base_data = base.to_dict()
            self._apply_overrides(base_data)
            for combo in combos:
                data = copy.deepcopy(base_data)
                inputs: dict[str, Any] = {}
                labels: dict[str, str] = {}
                if base_choice is not None:
                    inputs[FOLDER_PARAMETER] = labels[FOLDER_PARAMETER] = base_choice.label
                for parameter, choice in combo:
                    if parameter.name in varied:
                        inputs[parameter.name] = _input_value(choice)
                        labels[parameter.name] = choice.label
                case_id = ",".join(f"{k}={v}" for k, v in labels.items()) or "base"
                for parameter, choice in combo:
                    try:
                        parameter.apply(data, choice.value)
                    except PortfolioError as exc:
                        raise PortfolioError(f"case {case_id!r}: {exc}") from None
                # a file named by an override or parameter is relative to the spec's folder
                data = resolve_referenced_files(data, self.root)
                scenario = Scenario.from_dict(data, source=f"case {case_id!r}")
                cases.append(_make_case(case_id, inputs, labels, scenario, self.solve))
        _check_unique_ids(cases)
        return cases

    def baseline_case(self, cases: Sequence[Case], baseline: Any = None) -> Case:
        """The case deltas are taken against (``baseline`` overrides the spec's)."""
        return find_baseline(cases, self.baseline if baseline is None else baseline)

    def _bases(self) -> list[tuple[Choice | None, Scenario]]:
        if self.base is not None:
            return [(None, load_scenario(self.base, self.root))]
        files = self._scenario_files()
        bases = [(Choice(f.stem, f.stem), load_scenario(f, self.root)) for f in files]
        return bases if len(bases) > 1 else [(None, bases[0][1])]

    def _scenario_files(self) -> list[Path]:
        spec = self.scenarios
        if isinstance(spec, str | os.PathLike):
            folder = _resolve_path(spec, self.root)
            if not folder.is_dir():
                raise PortfolioError(f"scenarios = {str(spec)!r}: {folder} is not a folder")
            files = sorted(
                p
                for p in folder.iterdir()
                if p.suffix.lower() in SCENARIO_FILE_SUFFIXES and not p.name.startswith(".")
            )
        else:
            files = [_resolve_path(p, self.root) for p in spec or ()]
        if not files:
            raise PortfolioError(
                f"scenarios = {str(spec)!r}: no scenario files (*.yaml, *.yml, *.json) found"
            )
        stems = [f.stem for f in files]
        dupes = sorted({s for s in stems if stems.count(s) > 1})
        if dupes:
            raise PortfolioError(f"scenarios: file names {dupes} repeat; ids must be unique")
        return files

    def _combinations(self) -> list[list[tuple[Parameter, Choice]]]:
        axes = [[(p, c) for c in p.choices()] for p in self.parameters]
        if not axes:
            return [[]]
        if self.sweep == "zip":
            return [list(combo) for combo in zip(*axes, strict=True)]
        return [list(combo) for combo in itertools.product(*axes)]

    def _apply_overrides(self, data: dict[str, Any]) -> None:
        for path, value in self.overrides.items():
            for target in resolve(data, str(path), f"overrides.{path}"):
                target.container[target.key] = copy.deepcopy(value)


def find_baseline(cases: Sequence[Case], baseline: Any) -> Case:
    """The case named by ``baseline`` (an id or ``{parameter: value}``); default the first."""
    if not cases:
        raise PortfolioError("baseline: the portfolio has no cases")
    if baseline is None:
        return cases[0]
    if isinstance(baseline, str):
        for case in cases:
            if case.id == baseline:
                return case
        shown = ", ".join(c.id for c in cases[:5])
        raise PortfolioError(
            f"baseline = {baseline!r}: no case has this id (ids look like: {shown}, …)"
        )
    if isinstance(baseline, Mapping):
        wanted = {str(k): v for k, v in baseline.items()}
        unknown = sorted(set(wanted) - set(cases[0].labels))
        if unknown:
            raise PortfolioError(
                f"baseline = {dict(baseline)!r}: {unknown} are not varied parameters "
                f"({', '.join(cases[0].labels) or 'none vary'})"
            )
        hits = [c for c in cases if all(_same_choice(c, k, v) for k, v in wanted.items())]
        if len(hits) != 1:
            raise PortfolioError(
                f"baseline = {dict(baseline)!r}: matches {len(hits)} cases; it must match one"
            )
        return hits[0]
    raise PortfolioError(f"baseline = {baseline!r}: must be a case id or a mapping")


def _same_choice(case: Case, name: str, value: Any) -> bool:
    """A case's choice of ``name`` is ``value``, given as its label or its value."""
    return case.labels.get(name) == format_label(value) or case.inputs.get(name) == value


def load_scenario(
    ref: Scenario | str | os.PathLike[str], root: str | os.PathLike[str] = "."
) -> Scenario:
    """A portfolio's base scenario: :func:`placement.io.load_scenario` relative to ``root``."""
    try:
        return io_load_scenario(ref, root=root)
    except ScenarioError as exc:
        raise PortfolioError(f"base = {str(ref)!r}: {exc}") from None


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, no NaN: the same text for the same content, always."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def content_hash(scenario_json: str, options: SolveOptions) -> str:
    """sha256 over the canonical scenario JSON and the solve options."""
    payload = canonical_json({"format": HASH_FORMAT, "solve": options.as_dict()})
    digest = hashlib.sha256()
    digest.update(payload.encode("utf-8"))
    digest.update(b"\n")
    digest.update(scenario_json.encode("utf-8"))
    return digest.hexdigest()


def _make_case(
    case_id: str,
    inputs: dict[str, Any],
    labels: dict[str, str],
    scenario: Scenario,
    options: SolveOptions,
) -> Case:
    scenario_json = canonical_json(scenario.to_dict())
    return Case(
        id=case_id,
        inputs=inputs,
        labels=labels,
        hash=content_hash(scenario_json, options),
        scenario_json=scenario_json,
        options=options,
    )


def _input_value(choice: Choice) -> Any:
    value = choice.value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return choice.label


def _check_unique_ids(cases: list[Case]) -> None:
    seen: set[str] = set()
    for case in cases:
        if case.id in seen:
            raise PortfolioError(
                f"case id {case.id!r} appears twice: two choices share a label; give "
                "distinct values or labels"
            )
        seen.add(case.id)


def _paths_like(value: Any) -> bool:
    """A path, or a non-empty list of paths."""
    if isinstance(value, str | os.PathLike):
        return True
    return (
        isinstance(value, Sequence)
        and bool(value)
        and all(isinstance(v, str | os.PathLike) for v in value)
    )


def _resolve_path(path: str | os.PathLike[str], root: str | os.PathLike[str]) -> Path:
    p = Path(path).expanduser()
    return p if p.is_absolute() else Path(root) / p


def _product(counts: list[int]) -> int:
    total = 1
    for count in counts:
        total *= count
    return total
