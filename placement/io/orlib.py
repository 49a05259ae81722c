"""Reading and writing problem files: OR-Library capacitated facility location.

Scenario YAML/JSON files are read by :meth:`placement.Scenario.from_file`; results are written by
:meth:`placement.PlacementResult.to_json`. This module adds the classic benchmark format, read
as the files are found in the wild (see :func:`read_orlib_cflp`).
"""

from __future__ import annotations

import math
import os
import re
import warnings
from pathlib import Path

from placement.errors import ScenarioError
from placement.model.schema import Scenario

# Bytes that copies of the files carry but that separate tokens like a space: NUL padding,
# DOS end-of-file (Ctrl-Z), form and vertical feeds, carriage returns (CRLF and old-Mac CR).
_SEPARATORS = str.maketrans(dict.fromkeys("\x00\x1a\x0c\x0b", " "))
# A plain decimal number, optionally with an exponent (Fortran's D exponent too): no NaN, no
# infinity, no Python-only spellings such as 1_000.
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eEdD][+-]?\d+)?")
_TOKEN = re.compile(r"\S+")
CAPACITY_PLACEHOLDER = "capacity"
"""The word Beasley's capa/capb/capc files hold instead of each warehouse's capacity."""


class _Token:
    """A token of the file; its line and position on the line are found only when an error or
    warning needs them (a 3 MB file of blank lines costs no per-line work)."""

    __slots__ = ("_source", "start", "text")

    def __init__(self, text: str, start: int, source: str):
        self.text = text
        self.start = start
        self._source = source

    @property
    def line(self) -> int:  # 1-based
        return self._source.count("\n", 0, self.start) + 1

    @property
    def index(self) -> int:  # 1-based position on its line
        line_start = self._source.rfind("\n", 0, self.start) + 1
        return len(self._source[line_start : self.start].split()) + 1

    @property
    def where(self) -> str:
        shown = self.text if len(self.text) <= 40 else f"{self.text[:30]}… ({len(self.text)} chars)"
        return f"line {self.line}, token {self.index} ({shown!r})"


def read_orlib_cflp(
    path: str | os.PathLike[str], name: str | None = None, *, capacity: float | None = None
) -> Scenario:
    """Load a Beasley OR-Library ``cap*`` instance as a Scenario.

    Format (one whitespace-separated token stream; records wrap over lines): ``m n``; then m
    records ``capacity_i fixed_cost_i``; then for each customer j ``demand_j c_1j ... c_mj``
    where c_ij is the cost of serving ALL of j's demand from i. Mapping: warehouse i → site
    ``w{i}`` with power_mw = capacity and fixed_cost_usd_per_year = f_i (PUE 1, no energy
    price); customer j → region ``c{j}`` with demand_mw = d_j; c_ij → ``pair_costs_usd_per_year``.
    No SLO, λ = 0, so the objective is exactly Σ f_i y_i + Σ c_ij x_ij with
    Σ_j d_j x_ij ≤ s_i y_i.

    Files as they are found: CRLF or CR line ends, a byte-order mark, NUL padding, a DOS
    end-of-file byte (Ctrl-Z), tabs and blank lines are read as whitespace; numbers may use a
    Fortran ``D`` exponent. Tokens after the last customer's record are ignored with a
    :class:`UserWarning` naming the line where they start, unless they are numbers enough to
    be whole customer records (then the header's count is wrong, and that is an error).
    ``capacity`` replaces the word ``capacity`` that Beasley's capa/capb/capc files hold in
    place of every warehouse's capacity (his Table 1 runs each with four values).

    Every problem raises :class:`ScenarioError` naming the file, the line, the token and what
    that token should be (e.g. ``line 5, token 2 ('7,500'): the fixed cost of warehouse 4 is
    not a number``).
    """
    path = Path(path)
    tokens = _tokens(path)
    if not tokens:
        raise ScenarioError(f"{path}: OR-Library file is empty (no numbers)")
    m = _count(path, tokens, 0, "the number of warehouses m", minimum=1)
    if len(tokens) < 2:
        raise ScenarioError(
            f"{path}: OR-Library file ends after {tokens[0].where}; line 1 should hold "
            "'m n' (warehouses, customers)"
        )
    n = _count(path, tokens, 1, "the number of customers n", minimum=0)
    expected = 2 + 2 * m + n * (1 + m)
    if len(tokens) < expected:
        last = tokens[-1]
        raise ScenarioError(
            f"{path}: OR-Library file ends early: the header (line {tokens[0].line}) says {m} "
            f"warehouses × {n} customers, which needs {expected} numbers; the file holds "
            f"{len(tokens)}, ending at line {last.line} with {_meaning(len(tokens) - 1, m)} "
            f"(missing from {_meaning(len(tokens), m)} on)"
        )
    _check_trailing(path, tokens, expected, m, n)
    numbers = [
        _value(path, tokens[k], k, m, capacity=capacity if k >= 2 and k < 2 + 2 * m else None)
        for k in range(expected)
    ]
    sites = [
        {
            "id": f"w{i + 1}",
            "lat": 0.0,
            "lon": 0.0,
            "power_mw": numbers[2 + 2 * i],
            "fixed_cost_usd_per_year": numbers[3 + 2 * i],
        }
        for i in range(m)
    ]
    regions, pair_costs = [], {site["id"]: {} for site in sites}
    offset = 2 + 2 * m
    for j in range(n):
        record = numbers[offset + j * (1 + m) : offset + (j + 1) * (1 + m)]
        regions.append({"id": f"c{j + 1}", "lat": 0.0, "lon": 0.0, "demand_mw": record[0]})
        for i in range(m):
            pair_costs[f"w{i + 1}"][f"c{j + 1}"] = record[1 + i]
    return Scenario.from_dict(
        {
            "name": name or path.stem,
            "description": f"OR-Library capacitated facility location instance {path.name}",
            # The classic instances have no energy, carbon, cooling or build cost: stated once.
            "site_defaults": {
                "energy_price_usd_per_mwh": 0.0,
                "carbon_kg_per_mwh": 0.0,
                "pue": 1.0,
                "build_cost_usd_per_mw_year": 0.0,
            },
            "sites": sites,
            "regions": regions,
            "pair_costs_usd_per_year": pair_costs,
        },
        source=str(path),
    )


def read_orlib_optima(path: str | os.PathLike[str]) -> dict[str, float]:
    """Beasley's ``capopt.txt``: instance name → optimal value (the 37 cap41…cap134 rows)."""
    optima: dict[str, float] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].startswith("cap") and parts[0][3:].isdigit():
            optima[parts[0]] = float(parts[1])
    return optima


# ---------------------------------------------------------------------- tokens
def _tokens(path: Path) -> list[_Token]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read OR-Library file ({exc.strerror})") from None
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ScenarioError(
            f"{path}: not a text file: byte {exc.start} (line {line}) is {raw[exc.start]:#04x}, "
            "which is not UTF-8 text; an OR-Library file holds numbers separated by spaces"
        ) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_SEPARATORS)
    return [_Token(match.group(), match.start(), text) for match in _TOKEN.finditer(text)]


def _meaning(k: int, m: int) -> str:
    """What the k-th token (0-based) of an m-warehouse file is."""
    if k == 0:
        return "the number of warehouses m"
    if k == 1:
        return "the number of customers n"
    if k < 2 + 2 * m:
        i, field = divmod(k - 2, 2)
        return f"the {'fixed cost' if field else 'capacity'} of warehouse {i + 1}"
    j, field = divmod(k - 2 - 2 * m, 1 + m)
    if field == 0:
        return f"the demand of customer {j + 1}"
    return f"the cost of serving customer {j + 1} from warehouse {field}"


def _number(text: str) -> float | None:
    if not _NUMBER.fullmatch(text):
        return None
    value = float(text.replace("d", "e").replace("D", "e"))
    return value if math.isfinite(value) else None


def _count(path: Path, tokens: list[_Token], k: int, what: str, *, minimum: int) -> int:
    token = tokens[k]
    value = _number(token.text)
    if value is None or not value.is_integer() or value < minimum:
        rule = "a whole number" + (f" ≥ {minimum}" if minimum else " ≥ 0")
        raise ScenarioError(f"{path}: {token.where}: {what} must be {rule}")
    return int(value)


def _value(path: Path, token: _Token, k: int, m: int, *, capacity: float | None) -> float:
    meaning = _meaning(k, m)
    if token.text.lower() == CAPACITY_PLACEHOLDER and k >= 2 and k < 2 + 2 * m and k % 2 == 0:
        if capacity is None:
            raise ScenarioError(
                f"{path}: {token.where}: {meaning} is the placeholder 'capacity' (Beasley's "
                "capa/capb/capc files); pass capacity=VALUE to read_orlib_cflp (his Table 1 "
                "uses 8000, 10000, 12000 and 14000 for capa)"
            )
        value: float | None = float(capacity)
    else:
        value = _number(token.text)
        if value is None:
            raise ScenarioError(f"{path}: {token.where}: {meaning} is not a number")
    if not math.isfinite(value) or value < 0:
        raise ScenarioError(f"{path}: {token.where}: {meaning} = {value!r}: must be ≥ 0")
    if "capacity" in meaning and value <= 0:
        raise ScenarioError(f"{path}: {token.where}: {meaning} = {value!r}: must be > 0")
    return value


def _check_trailing(path: Path, tokens: list[_Token], expected: int, m: int, n: int) -> None:
    extra = tokens[expected:]
    if not extra:
        return
    numeric = [t for t in extra if _number(t.text) is not None]
    if len(numeric) == len(extra) and len(extra) >= 1 + m:
        raise ScenarioError(
            f"{path}: the header (line {tokens[0].line}) says {n} customers, but "
            f"{len(extra)} more numbers follow customer {n}'s record (from {extra[0].where} on), "
            f"enough for {len(extra) // (1 + m)} more customer(s); correct n on line "
            f"{tokens[1].line} or remove them"
        )
    shown = " ".join(t.text for t in extra[:5]) + (" …" if len(extra) > 5 else "")
    warnings.warn(
        f"{path}: ignored {len(extra)} token(s) after the last customer's record, from "
        f"line {extra[0].line} on: {shown!r}",
        UserWarning,
        stacklevel=3,
    )
