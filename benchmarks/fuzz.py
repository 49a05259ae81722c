"""Structure-aware fuzzing of every input: scenario files, portfolio specs, OR-Library files.

    python -m benchmarks.fuzz                       # 10,000 cases, seed 14
    python -m benchmarks.fuzz --cases 500 --seed 3 --keep /tmp/fuzz-crashes

Valid seed documents (a scenario using every field, a portfolio using every parameter kind, a
small OR-Library instance) are mutated by hypothesis: values of the wrong type, missing and
unknown fields, NaN, infinities, huge and tiny numbers, giant integers, empty, unicode and
path-like ids (``../../x``), duplicated and multiplied list elements (multi-MB files), deep
nesting; then, sometimes, the file's bytes: truncation, flipped bits, binary noise, UTF-16,
byte-order marks, NUL padding, CRLF. Each case goes through one entry point:

* ``api``: :meth:`placement.Scenario.from_file`, :func:`placement.io.read_orlib_cflp`,
  ``Portfolio.from_file(...).expand()``: a result or a ``ScenarioError``/``PortfolioError``;
* ``validate``: ``placement validate FILE`` (in this process);
* ``solve``: ``placement solve FILE --time-limit 5 --out DIR`` (``--no-map`` except for one case
  in ten);
* ``batch``: ``placement batch SPEC --out DIR --dry-run``.

A case fails if an exception escapes (a traceback), if an error does not name the file or a
field, if anything is written outside the case's folder, or if it runs past ``--hang`` seconds.
The script prints the counts per entry point and outcome, and exits 1 on any failure; with
``--keep DIR`` every failing case's files are saved there to be replayed.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import json
import math
import os
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

DEFAULT_CASES = 10_000
DEFAULT_SEED = 14
TIME_LIMIT = 5.0
ACTIONS = {
    "scenario": ("api", "validate", "solve"),
    "portfolio": ("api", "batch"),
    "orlib": ("api", "validate", "solve"),
    "options": ("validate", "solve", "batch"),  # the seed files, command-line options fuzzed
}
KIND_WEIGHTS = {"scenario": 6, "portfolio": 2, "orlib": 2, "options": 1}
OPTION_VALUES = [
    "0",
    "-1",
    "1",
    "2",
    "1e-300",
    "1e300",
    "1" + "0" * 400,
    "nan",
    "inf",
    "-inf",
    "none",
    "",
    "abc",
    "0x10",
    "2147483648",
    "100000",
    "1024",
    "strong",
    "weak",
    "single_source",
    "highs",
    "scip",
    "cpsat",
    "auto",
    "milp",
    "../../escaped",
]
SOLVE_FLAGS = ("--time-limit", "--gap", "--threads", "--seed", "--lp-nodes", "--lambda", "--slo")
SOLVE_FLAGS += ("--formulation", "--solver", "--method")
BATCH_FLAGS = ("--workers", "--time-limit", "--gap", "--seed", "--formulation", "--solver")
BATCH_FLAGS += ("--baseline", "--executor")

# ====================================================================== seed documents


def seed_scenario() -> dict[str, Any]:
    """A small, feasible scenario that sets every field of the schema (sites leave some cost
    fields to ``site_defaults``)."""
    return {
        "name": "fuzz-seed",
        "description": "every field set",
        "site_defaults": {
            "energy_price_usd_per_mwh": 80.0,
            "carbon_kg_per_mwh": 350.0,
            "pue": 1.3,
            "liquid_pue": 1.1,
            "fixed_cost_usd_per_year": 4e6,
            "build_cost_usd_per_mw_year": 1e6,
            "liquid_cooling_cost_usd_per_year": 2e6,
            "max_rack_density_kw": 100.0,
            "air_cooling_limit_kw": 45.0,
            "liquid_cooling_available": False,
        },
        "sites": [
            {
                "id": "dal",
                "name": "Dallas",
                "state": "TX",
                "lat": 32.8,
                "lon": -96.8,
                "power_mw": 400.0,
                "energy_price_usd_per_mwh": 60.0,
                "carbon_kg_per_mwh": 400.0,
                "pue": 1.3,
                "liquid_pue": 1.1,
                "max_rack_density_kw": 140.0,
                "air_cooling_limit_kw": 45.0,
                "liquid_cooling_available": True,
                "liquid_cooling_cost_usd_per_year": 2e6,
                "fixed_cost_usd_per_year": 5e6,
                "build_cost_usd_per_mw_year": 9e5,
                "racks_available": 20000,
            },
            {
                "id": "chi",
                "name": "Chicago",
                "state": "IL",
                "lat": 41.9,
                "lon": -87.6,
                "power_mw": 200.0,
                "energy_price_usd_per_mwh": 70.0,
                "carbon_kg_per_mwh": 300.0,
                "pue": 1.25,
                "fixed_cost_usd_per_year": 4e6,
                "build_cost_usd_per_mw_year": 1e6,
            },
            {
                "id": "nyc",
                "state": "NY",
                "lat": 40.7,
                "lon": -74.0,
                "power_mw": 150.0,
                "energy_price_usd_per_mwh": 90.0,
                "pue": 1.35,
                "fixed_cost_usd_per_year": 6e6,
            },
            {
                "id": "sea",
                "state": "WA",
                "lat": 47.6,
                "lon": -122.3,
                "power_mw": 300.0,
                "energy_price_usd_per_mwh": 40.0,
                "carbon_kg_per_mwh": 50.0,
                "pue": 1.15,
                "liquid_pue": 1.05,
                "max_rack_density_kw": 140.0,
                "liquid_cooling_available": True,
                "fixed_cost_usd_per_year": 3e6,
            },
        ],
        "regions": [
            {"id": "ny", "name": "New York", "lat": 40.7, "lon": -74.0, "population": 8e6},
            {"id": "la", "lat": 34.05, "lon": -118.2, "population": 4e6, "demand_mw": 3.0},
            {"id": "hou", "lat": 29.8, "lon": -95.4, "population": 2e6, "demand_gpus": 900.0},
            {"id": "sf", "lat": 37.8, "lon": -122.4, "population": 9e5, "slo_ms": 40.0},
            {"id": "atl", "lat": 33.7, "lon": -84.4, "population": 5e5, "demand_mw": 1.0},
            {"id": "den", "lat": 39.7, "lon": -105.0, "population": 7e5},
        ],
        "training": [
            {
                "id": "gb200",
                "name": "GB200 campus",
                "gpus": 50000,
                "it_mw": 80.0,
                "rack_density_kw": 120.0,
                "utilisation": 0.9,
            },
            {"id": "h100", "gpus": 20000, "it_mw": 40.0, "rack_density_kw": 41.0},
        ],
        "inference": {
            "gpu_kw": 1.275,
            "rack_density_kw": 41.0,
            "gpus_per_1000_people": 0.5,
            "utilisation": 0.6,
        },
        "economics": {
            "hours_per_year": 8760.0,
            "utilisation": 0.8,
            "latency_penalty_usd_per_user_ms_year": 0.05,
            "carbon_price_usd_per_tonne": 30.0,
            "unserved_penalty_usd_per_mw_year": 5e7,
            "discount_rate": 0.08,
            "lifetime_years": 15.0,
        },
        "network": {
            "route_factor": 1.6,
            "fiber_km_per_ms": 204.0,
            "base_rtt_ms": 2.0,
            "distance": "geodesic",
            "default_slo_ms": 60.0,
            "backbone_graphml": None,
            "backbone_route_factor": 1.1,
        },
        "rules": {
            "max_sites": 3,
            "max_training_sites": 2,
            "must_open": ["chi"],
            "forbidden": ["nyc"],
            "existing": [],
            "max_share_per_site": 0.9,
            "carbon_cap_tonnes_per_year": 1e9,
        },
        "pair_costs_usd_per_year": {"dal": {"la": 1000.0}, "sea": {"sf": 500.0}},
    }


def seed_scenario_with_backbone() -> dict[str, Any]:
    """The seed scenario routed over a backbone file next to it (``net.graphml``)."""
    data = seed_scenario()
    data["network"]["backbone_graphml"] = "net.graphml"
    data["network"]["default_slo_ms"] = 80.0
    data["regions"][3]["slo_ms"] = 60.0
    return data


BACKBONE = """<?xml version="1.0" encoding="utf-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  <key attr.name="Latitude" attr.type="double" for="node" id="d0"/>
  <key attr.name="Longitude" attr.type="double" for="node" id="d1"/>
  <graph edgedefault="undirected">
    <node id="NY"><data key="d0">40.7</data><data key="d1">-74.0</data></node>
    <node id="CH"><data key="d0">41.9</data><data key="d1">-87.6</data></node>
    <node id="DA"><data key="d0">32.8</data><data key="d1">-96.8</data></node>
    <node id="LA"><data key="d0">34.05</data><data key="d1">-118.2</data></node>
    <node id="SE"><data key="d0">47.6</data><data key="d1">-122.3</data></node>
    <edge source="NY" target="CH"/><edge source="CH" target="DA"/>
    <edge source="DA" target="LA"/><edge source="LA" target="SE"/><edge source="SE" target="CH"/>
  </graph>
</graphml>
"""


def seed_portfolio(inline: bool) -> dict[str, Any]:
    """A portfolio using every spec field and every parameter kind (base.yaml next to it)."""
    return {
        "name": "fuzz",
        "description": "every spec field",
        "base": seed_scenario() if inline else "base.yaml",
        "overrides": {"network.default_slo_ms": 70},
        "parameters": {
            "carbon": {
                "set": "economics.carbon_price_usd_per_tonne",
                "values": [0, 50],
                "labels": ["zero", "fifty"],
            },
            "tx": {
                "scale": "sites.*.energy_price_usd_per_mwh",
                "where": {"state": ["TX"]},
                "values": [1.0, 1.2],
            },
            "footprint": {"sites": {"all": None, "two": ["dal", "chi"]}},
            "growth": {"demand_growth": [1.0, 1.5], "labels": ["base", "grown"]},
        },
        "sweep": "cartesian",
        "baseline": {"carbon": 0, "tx": 1.0, "footprint": "all", "growth": 1.0},
        "solve": {"formulation": "strong", "solver": "highs", "time_limit": 5, "gap": 1e-6},
    }


SEED_ORLIB = """3 4
100 50.0
80 40.0
120 70.0
20 5.0 9.0 7.0
30 8.0 3.0 6.0
25 4.0 6.0 9.5
15 7.5 7.0 2.0
"""

# ====================================================================== hostile values

SPECIAL_FLOATS = [
    math.nan,
    math.inf,
    -math.inf,
    1e308,
    -1e308,
    5e-324,
    0.0,
    -0.0,
    1e-300,
    1e20,
    1e15,
    -1.0,
    0.5,
]
HUGE_INTS = [2**31, 2**63, -(2**63) - 1, 10**30, -(10**30), 10**400]
SPECIAL_STRINGS = [
    "",
    " ",
    "../../escaped",
    "/tmp/placement-fuzz-absolute",
    "..",
    "~",
    "a/b",
    "C:\\Windows",
    "\x00",
    "nul\x00byte",
    "é",
    "日本語",
    "🚀🔥",
    "\u202eevil",
    "\ufeff",
    "\ud800",
    "a" * 10_000,
    "1e400",
    "NaN",
    "inf",
    "null",
    "-1",
    "true",
    "{}",
    "[",
    "%s%n",
    "\\",
    "TX",
    "dal",
    "chi",
    "ny",
    "gb200",
    "sites.*.power_mw",
    "economics.carbon_price_usd_per_tonne",
    "sites[dal].power_mw",
    "bundled:us_small",
    "us_small",
    "highs",
    "scip",
    "cpsat",
    "single_source",
    "weak",
    "zip",
    "net.graphml",
    "missing.graphml",
    "base.yaml",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.sampled_from(HUGE_INTS),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(SPECIAL_FLOATS),
    st.text(max_size=20),
    st.sampled_from(SPECIAL_STRINGS),
)
hostile_values = st.one_of(
    scalars,
    st.lists(scalars, max_size=4),
    st.dictionaries(
        st.one_of(st.text(max_size=8), st.sampled_from(SPECIAL_STRINGS)), scalars, max_size=3
    ),
)

# ====================================================================== document mutation

Path_ = tuple[Any, ...]


def walk(doc: Any, *, max_depth: int = 12, max_items: int = 12) -> list[Path_]:
    """Paths in a JSON-like document (the root included): every path down to ``max_depth``,
    and in long lists only the first ``max_items`` elements."""
    out: list[Path_] = []
    stack: list[tuple[Any, Path_]] = [(doc, ())]
    while stack:
        node, path = stack.pop()
        out.append(path)
        if len(path) >= max_depth:
            continue
        if isinstance(node, dict):
            stack.extend((value, (*path, key)) for key, value in node.items())
        elif isinstance(node, list):
            stack.extend((value, (*path, k)) for k, value in enumerate(node[:max_items]))
    return sorted(out, key=repr)


def get(doc: Any, path: Path_) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def put(doc: Any, path: Path_, value: Any) -> Any:
    if not path:
        return value
    get(doc, path[:-1])[path[-1]] = value
    return doc


OPS = (
    "replace",
    "replace",
    "numeric",
    "numeric",
    "numeric",
    "swap",
    "delete",
    "unknown",
    "duplicate",
    "empty",
    "grow",
    "deep",
)
SOLVE_OPS = ("numeric", "numeric", "numeric", "numeric", "swap", "delete", "duplicate", "grow")
"""For cases that go on to solve: mutations that keep more documents valid, with extremes."""
FACTORS = [0.0, -1.0, 1e-12, 1e-6, 0.01, 0.5, 0.99, 1.01, 2.0, 10.0, 1e6, 1e12, 1e300]


@st.composite
def mutated(draw: Callable[..., Any], seed: Any, *, big: bool, ops: tuple[str, ...] = OPS) -> Any:
    """``seed`` after one to three structure-aware mutations."""
    doc = copy.deepcopy(seed)
    for _ in range(draw(st.sampled_from([1, 1, 1, 2, 3]))):
        path = draw(st.sampled_from(walk(doc)))
        op = draw(st.sampled_from(ops))
        target = get(doc, path)
        parent = get(doc, path[:-1]) if path else None
        if op == "delete" and isinstance(parent, dict | list):
            del parent[path[-1]]
        elif op == "unknown" and isinstance(target, dict):
            target[draw(st.sampled_from(["colour", "extra", "", "id", "🚀", "sites"]))] = draw(
                hostile_values
            )
        elif op == "duplicate" and isinstance(target, list) and target:
            target.append(copy.deepcopy(draw(st.sampled_from(target))))
        elif op == "empty" and isinstance(target, dict | list):
            target.clear()
        elif op == "grow" and isinstance(target, list) and target:
            limit = 20_000 if big else 2_000
            count = draw(st.integers(10, limit))
            template = draw(st.sampled_from(target))
            fresh = draw(st.booleans())  # fresh ids, or the same id many times
            for k in range(count):
                item = copy.deepcopy(template)
                if fresh and isinstance(item, dict) and isinstance(item.get("id"), str):
                    item["id"] = f"{item['id']}_{k}"
                target.append(item)
        elif op == "numeric" and isinstance(target, int | float) and not isinstance(target, bool):
            # plausible-looking extremes: the value scaled, still a number of the same kind
            factor = draw(st.sampled_from(FACTORS))
            try:
                value = target * factor
            except OverflowError:  # a giant integer: scale it as an integer
                value = target * int(factor)
            if isinstance(target, int) and isinstance(value, float) and math.isfinite(value):
                value = int(value)
            doc = put(doc, path, value)
        elif op == "swap" and path:
            # a value taken from elsewhere in the document: ids, states, names, numbers
            other = get(doc, draw(st.sampled_from(walk(doc))))
            doc = put(
                doc, path, copy.deepcopy(other) if not isinstance(other, dict | list) else other
            )
        elif op == "deep":
            depth = draw(st.integers(10, 400))  # deeper: the "deep_text" noise
            nested: Any = draw(scalars)
            for _ in range(depth):
                nested = [nested]
            doc = put(doc, path, nested)
        else:
            doc = put(doc, path, draw(hostile_values))
    return doc


def serialise(doc: Any, fmt: str) -> bytes:
    """JSON (ASCII escapes, NaN allowed) or YAML; a document YAML cannot hold goes as JSON."""
    if fmt == "yaml":
        try:
            return yaml.safe_dump(doc, allow_unicode=False, sort_keys=False).encode("utf-8")
        except (yaml.YAMLError, ValueError, TypeError, RecursionError, UnicodeError):
            pass
    try:
        return json.dumps(doc, ensure_ascii=True).encode("ascii")
    except (ValueError, TypeError, RecursionError):
        return b'{"unserialisable": true}'


NOISE = (
    *["none"] * 33,  # three cases in four keep their bytes as serialised
    "truncate",
    "flip",
    "insert_binary",
    "binary_only",
    "utf16",
    "bom",
    "nul_pad",
    "crlf",
    "giant_number",
    "deep_text",
    "megabytes",
)


@st.composite
def noisy(draw: Callable[..., Any], data: bytes, fmt: str) -> bytes:
    """The file's bytes, sometimes damaged."""
    kind = draw(st.sampled_from(NOISE))
    size = max(1, len(data))
    if kind == "truncate":
        return data[: draw(st.integers(0, size - 1))]
    if kind == "flip":
        out = bytearray(data)
        for _ in range(draw(st.integers(1, 5))):
            if out:
                out[draw(st.integers(0, len(out) - 1))] ^= 1 << draw(st.integers(0, 7))
        return bytes(out)
    if kind == "insert_binary":
        at = draw(st.integers(0, len(data)))
        return data[:at] + draw(st.binary(min_size=1, max_size=64)) + data[at:]
    if kind == "binary_only":
        return draw(st.binary(max_size=4096))
    if kind == "utf16":
        return data.decode("utf-8", errors="replace").encode("utf-16")
    if kind == "bom":
        return b"\xef\xbb\xbf" + data
    if kind == "nul_pad":
        return data + b"\x00" * draw(st.integers(1, 4096))
    if kind == "crlf":
        return data.replace(b"\n", b"\r\n")
    if kind == "giant_number":
        return re.sub(rb"\d+(\.\d+)?", b"9" * 5000, data, count=1)
    if kind == "deep_text":
        depth = draw(st.integers(1_000, 200_000))
        return b"[" * depth + b"]" * depth if fmt != "txt" else b"1 " * depth
    if kind == "megabytes":  # a valid document padded to a few MB
        pad = b"\n" + (b"# padding\n" if fmt == "yaml" else b" " * 64 + b"\n") * 50_000
        return data + (pad if fmt != "txt" else b"\n" * 3_000_000)
    return data


@st.composite
def orlib_text(draw: Callable[..., Any]) -> bytes:
    """The seed OR-Library file with tokens replaced, removed or added."""
    lines = [line.split() for line in SEED_ORLIB.splitlines()]
    for _ in range(draw(st.integers(1, 3))):
        row = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["replace", "delete", "insert", "drop_line", "dup_line"]))
        tokens = lines[row]
        token_strategy = st.one_of(
            st.sampled_from(
                ["nan", "inf", "-5", "0", "1e400", "1_000", "1D+03", "capacity", "x", "", "10"]
            ),
            st.integers(-(10**12), 10**12).map(str),
            st.floats(allow_nan=True, allow_infinity=True).map(repr),
            st.text(max_size=6),
        )
        if op == "replace" and tokens:
            tokens[draw(st.integers(0, len(tokens) - 1))] = draw(token_strategy)
        elif op == "delete" and tokens:
            del tokens[draw(st.integers(0, len(tokens) - 1))]
        elif op == "insert":
            tokens.insert(draw(st.integers(0, len(tokens))), draw(token_strategy))
        elif op == "drop_line":
            lines.pop(row)
        else:
            lines.insert(row, list(tokens))
        if not lines:
            lines = [[]]
    text = "\n".join(" ".join(tokens) for tokens in lines) + "\n"
    return text.encode("utf-8", errors="surrogatepass")


@dataclass(frozen=True)
class Case:
    """One fuzz case: which document, which entry point, the file's bytes."""

    kind: str  # scenario | portfolio | orlib
    action: str  # api | validate | solve | batch
    suffix: str
    data: bytes
    draw_map: bool = False
    options: tuple[str, ...] = ()  # extra command-line arguments


@st.composite
def cases(
    draw: Callable[..., Any],
    kinds: tuple[str, ...] = tuple(KIND_WEIGHTS),
    actions: tuple[str, ...] | None = None,
) -> Case:
    weighted = [
        k
        for k in kinds
        for _ in range(KIND_WEIGHTS[k])
        if actions is None or set(ACTIONS[k]) & set(actions)
    ]
    kind = draw(st.sampled_from(weighted))
    action = draw(st.sampled_from([a for a in ACTIONS[kind] if actions is None or a in actions]))
    if kind == "options":  # valid files, hostile command-line options
        flags = BATCH_FLAGS if action == "batch" else SOLVE_FLAGS
        if action == "validate":
            flags = ("--lambda", "--slo", "--formulation")
        pairs = draw(
            st.lists(
                st.tuples(
                    st.sampled_from(flags),
                    st.one_of(st.sampled_from(OPTION_VALUES), st.text(max_size=8)),
                ),
                min_size=1,
                max_size=3,
            )
        )
        options = tuple(part for pair in pairs for part in pair)
        if action == "batch":
            data = json.dumps(seed_portfolio(inline=True)).encode()
            return Case(kind, action, ".json", data, options=options)
        return Case(kind, action, ".json", json.dumps(seed_scenario()).encode(), options=options)
    if kind == "orlib":
        data = draw(orlib_text()) if draw(st.integers(0, 9)) else SEED_ORLIB.encode()
        data = draw(noisy(data, "txt"))
        return Case(kind, action, ".txt", data, draw_map=draw(st.integers(0, 9)) == 0)
    fmt = draw(st.sampled_from(["json", "yaml"]))
    if kind == "scenario":
        seed = seed_scenario_with_backbone() if draw(st.booleans()) else seed_scenario()
    else:
        seed = seed_portfolio(inline=draw(st.booleans()))
    # one case in twenty is the seed itself: the valid path must work too
    ops = SOLVE_OPS if action == "solve" and draw(st.booleans()) else OPS
    doc = seed if draw(st.integers(0, 19)) == 0 else draw(mutated(seed, big=fmt == "json", ops=ops))
    data = draw(noisy(serialise(doc, fmt), fmt))
    return Case(kind, action, f".{fmt}", data, draw_map=draw(st.integers(0, 9)) == 0)


# ====================================================================== running a case


@dataclass
class Outcome:
    """How a case ended: ``ok``, ``rejected`` (a proper error), ``failed`` (exit 1: infeasible
    or no solution in time), or a failure: ``traceback``, ``unnamed`` (an error naming neither
    file nor field), ``escaped`` (a file written outside the case's folder), ``hang``,
    ``solver-error`` (status ``error``: the solver refused the model or failed) or
    ``unverified`` (an answer that failed ``placement.verify``)."""

    case: Case
    result: str
    detail: str = ""
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    @property
    def failure(self) -> bool:
        return self.result in FAILURES


class Hang(Exception):
    """A case ran past its time."""


def field_names() -> frozenset[str]:
    """Every name an error may cite: scenario fields at any depth, spec keys, parameter kinds,
    solve options, OR-Library terms."""
    from placement.batch.spec import SPEC_KEYS
    from placement.model.schema import Scenario
    from placement.solving.options import SolveOptions

    names: set[str] = set(SPEC_KEYS) | set(SolveOptions().as_dict())
    names |= {"set", "scale", "where", "values", "labels", "sites", "demand_growth", "case"}
    names |= {"warehouse", "customer", "line", "token", "hash", "out", "time-limit", "lp-nodes"}
    names |= {flag.lstrip("-") for flag in (*SOLVE_FLAGS, *BATCH_FLAGS)}
    schema = Scenario.model_json_schema()

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            names.update(node.get("properties", {}))
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(schema)
    return frozenset(names)


def names_file_or_field(message: str, path: Path, names: frozenset[str]) -> bool:
    flat = "".join(message.split())  # rich wraps long lines, even inside a path
    if str(path) in flat or path.name in flat:
        return True
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_\-]*", message))
    return bool(words & names)


def run_case(
    case: Case, folder: Path, names: frozenset[str], hang: float = 120.0, maps: bool = True
) -> Outcome:
    """Run one case in ``folder`` (created; it becomes the working directory meanwhile)."""
    folder.mkdir(parents=True)
    path = folder / f"input{case.suffix}"
    path.write_bytes(case.data)
    inputs = {path.name}
    if case.kind == "scenario":
        (folder / "net.graphml").write_text(BACKBONE)
        inputs.add("net.graphml")
    if case.kind == "portfolio":
        (folder / "base.yaml").write_text(yaml.safe_dump(seed_scenario(), sort_keys=False))
        (folder / "net.graphml").write_text(BACKBONE)
        inputs |= {"base.yaml", "net.graphml"}
    started = time.perf_counter()
    previous_dir = os.getcwd()
    previous_alarm = signal.signal(signal.SIGALRM, _raise_hang)
    signal.setitimer(signal.ITIMER_REAL, hang)
    stdout, stderr = io.StringIO(), io.StringIO()
    caught: list[warnings.WarningMessage] = []
    try:
        os.chdir(folder)
        with (
            contextlib.redirect_stdout(stdout),
            contextlib.redirect_stderr(stderr),
            warnings.catch_warnings(record=True) as caught,
        ):
            warnings.simplefilter("always")
            result, detail = _dispatch(case, path, folder, names, maps)
    except Hang:
        result, detail = "hang", f"still running after {hang:.0f} s"
    except BaseException as exc:  # anything escaping an entry point is a traceback
        if isinstance(exc, KeyboardInterrupt) and not isinstance(exc, Hang):
            raise
        result, detail = "traceback", traceback.format_exc()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_alarm)
        os.chdir(previous_dir)
    seconds = time.perf_counter() - started
    if "Traceback (most recent call last)" in stderr.getvalue() and result != "traceback":
        result, detail = "traceback", stderr.getvalue()[-4000:]
    stray = sorted(set(os.listdir(folder)) - inputs - {"out"})
    if stray and result not in ("traceback", "hang"):
        result, detail = "escaped", f"wrote outside --out: {stray}"
    if result == "rejected" and not names_file_or_field(detail, path, names):
        result = "unnamed"
    found = [f"{w.category.__name__}: {w.message}" for w in caught]
    return Outcome(case, result, detail, seconds, found)


def _raise_hang(signum: int, frame: Any) -> None:
    raise Hang


def _dispatch(
    case: Case, path: Path, folder: Path, names: frozenset[str], maps: bool = True
) -> tuple[str, str]:
    from placement.cli.app import main

    if case.action == "api":
        return _api(case, path)
    out = folder / "out"
    if case.action == "validate":
        args = ["validate", str(path)]
    elif case.action == "solve":
        args = ["solve", str(path), "--time-limit", str(TIME_LIMIT), "--out", str(out)]
        args += [] if case.draw_map and maps else ["--no-map"]
    else:
        args = ["batch", str(path), "--out", str(out), "--dry-run", "--no-progress"]
    args += list(case.options)  # fuzzed command-line options come last, so they win
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(args)
    message = err.getvalue()
    sys.stderr.write(message)
    if code in (0, 130):
        return "ok", ""
    if code == 1 and "verification failed" in message:
        return "unverified", message[:4000]
    if code == 1 and case.action == "solve":
        status = _stored_status(out / "result.json")
        if status == "error":  # the solver refused or failed: never an answer to bad input
            return "solver-error", message[:4000] or (out / "result.json").read_text()[:4000]
    if code == 1:
        return "failed", message[:4000]
    if code == 2:
        return "rejected", message[:4000]
    return "traceback", f"exit code {code}: {message[:4000]}"


def _stored_status(path: Path) -> str | None:
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("status")
    except (OSError, ValueError, AttributeError):
        return None


def _api(case: Case, path: Path) -> tuple[str, str]:
    import placement as pl
    from placement.batch import Portfolio, PortfolioError

    try:
        if case.kind == "scenario":
            pl.Scenario.from_file(path)
        elif case.kind == "orlib":
            pl.io.read_orlib_cflp(path)
        else:
            Portfolio.from_file(path).expand()
    except (pl.ScenarioError, PortfolioError, pl.SolverOptionError) as exc:
        return "rejected", str(exc)
    return "ok", ""


# ====================================================================== the run


@dataclass
class Report:
    cases: int = 0
    seconds: float = 0.0
    counts: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    failures: list[Outcome] = field(default_factory=list)
    warnings: Counter[str] = field(default_factory=Counter)
    slowest: float = 0.0
    largest: int = 0

    def add(self, outcome: Outcome) -> None:
        self.cases += 1
        case = outcome.case
        self.counts[(case.kind, case.action, outcome.result)] += 1
        self.slowest = max(self.slowest, outcome.seconds)
        self.largest = max(self.largest, len(case.data))
        for warning in outcome.warnings:
            self.warnings[warning.split(":")[0]] += 1
        if outcome.failure:
            self.failures.append(outcome)

    @property
    def tracebacks(self) -> int:
        return self.count("traceback")

    def count(self, result: str) -> int:
        return sum(1 for f in self.failures if f.result == result)

    def text(self, seed: int) -> str:
        lines = [
            f"{self.cases:,} cases, seed {seed}, {self.seconds:.0f} s "
            f"({self.seconds / max(self.cases, 1) * 1000:.0f} ms per case; slowest "
            f"{self.slowest:.1f} s; largest file {self.largest / 1e6:.1f} MB)",
            "",
            f"{'document':<10}{'entry point':<13}" + "".join(f"{r:>13}" for r in RESULTS),
        ]
        for kind, actions in ACTIONS.items():
            for action in actions:
                row = [self.counts[(kind, action, r)] for r in RESULTS]
                lines.append(f"{kind:<10}{action:<13}" + "".join(f"{n:>13,}" for n in row))
        totals = [sum(n for (_, _, r), n in self.counts.items() if r == res) for res in RESULTS]
        lines.append(f"{'all':<23}" + "".join(f"{n:>13,}" for n in totals))
        lines.append("")
        lines.append(
            f"tracebacks: {self.tracebacks}; errors naming neither file nor field: "
            f"{self.count('unnamed')}; writes outside --out: {self.count('escaped')}; hangs: "
            f"{self.count('hang')}; solver errors: {self.count('solver-error')}; answers "
            f"failing verification: {self.count('unverified')}"
        )
        if self.warnings:
            shown = ", ".join(f"{k} × {n}" for k, n in self.warnings.most_common())
            lines.append(f"Python warnings seen (not failures): {shown}")
        for failure in self.failures[:20]:
            lines.append("")
            lines.append(
                f"FAILED {failure.case.kind}/{failure.case.action} ({failure.result}): "
                + failure.detail.strip().splitlines()[-1][:300]
                if failure.detail.strip()
                else f"FAILED {failure.case.kind}/{failure.case.action} ({failure.result})"
            )
        return "\n".join(lines)


FAILURES = ("traceback", "unnamed", "escaped", "hang", "solver-error", "unverified")
RESULTS = ("ok", "failed", "rejected", *FAILURES)


def fuzz(
    count: int,
    seed: int = DEFAULT_SEED,
    *,
    kinds: tuple[str, ...] = tuple(KIND_WEIGHTS),
    actions: tuple[str, ...] | None = None,
    keep: Path | None = None,
    progress: Callable[[Report], None] | None = None,
    hang: float = 120.0,
    maps: bool = True,
) -> Report:
    """Run ``count`` seeded cases; return the counts (failures are kept in ``keep``).

    ``maps=False`` skips drawing ``map.png`` (about 0.7 s a case) in the solve cases that would
    draw it."""
    report = Report()
    names = field_names()
    scratch = Path(tempfile.mkdtemp(prefix="placement-fuzz-"))
    started = time.perf_counter()

    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis_seed(seed)
    @given(cases(kinds, actions))
    def one(case: Case) -> None:
        folder = scratch / f"case{report.cases:06d}"
        outcome = run_case(case, folder, names, hang=hang, maps=maps)
        report.add(outcome)
        if outcome.failure and keep is not None:
            shutil.copytree(folder, keep / folder.name, dirs_exist_ok=True)
            (keep / folder.name / "outcome.txt").write_text(
                f"{case.kind} {case.action} {outcome.result}\n{outcome.detail}"
            )
        shutil.rmtree(folder, ignore_errors=True)
        if progress is not None:
            progress(report)

    try:
        one()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    report.seconds = time.perf_counter() - started
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fuzz", description=__doc__)
    parser.add_argument("--cases", type=int, default=DEFAULT_CASES)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--kind", nargs="*", choices=list(KIND_WEIGHTS), default=None)
    parser.add_argument(
        "--action", nargs="*", choices=["api", "validate", "solve", "batch"], default=None
    )
    parser.add_argument("--keep", type=Path, default=None, help="folder for failing cases")
    parser.add_argument("--hang", type=float, default=120.0, help="seconds before a case hangs")
    args = parser.parse_args(argv)
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("MPLBACKEND", "Agg")

    def progress(report: Report) -> None:
        if report.cases % 250 == 0:
            print(
                f"  {report.cases:,} cases, {len(report.failures)} failures",
                file=sys.stderr,
                flush=True,
            )

    report = fuzz(
        args.cases,
        args.seed,
        kinds=tuple(args.kind or KIND_WEIGHTS),
        actions=tuple(args.action) if args.action else None,
        keep=args.keep,
        progress=progress,
        hang=args.hang,
    )
    print(report.text(args.seed))
    return 1 if report.failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
