"""How to solve: one frozen set of options shared by ``solve``, the CLI, batch and benchmarks.

Every option is checked when the object is made, so a bad request fails before any data is
read or any model is built, with an error naming the option, the value and the rule.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from placement.errors import SolverOptionError
from placement.formulations import FORMULATIONS
from placement.milp.backends import SOLVERS
from placement.milp.lp_branch import DEFAULT_MAX_NODES

METHODS: tuple[str, ...] = ("auto", "milp")
"""``milp``: the formulation handed whole to the solver (after the LP branch and bound with
HiGHS); ``auto``: the method measured best for the model's size and structure."""
DEFAULT_GAP = 1e-6
DEFAULT_TIME_LIMIT = 600.0
# Ranges the solvers take: HiGHS and SCIP seeds are 31-bit; HiGHS aborts the whole process
# (C++ terminate) when asked for 100,000 threads (found by benchmarks/fuzz.py).
MAX_SEED = 2**31 - 1
MAX_THREADS = 1024
MAX_LP_NODES = 10**9


@dataclass(frozen=True)
class SolveOptions:
    """Options of one solve.

    Attributes:
        formulation: ``strong`` (per-pair linking, default), ``weak`` (aggregated linking) or
            ``single_source`` (each region served whole by one site).
        solver: ``highs`` (default), ``scip`` or ``cpsat`` (exact on ``single_source`` only).
        method: ``auto`` (default) or ``milp``; see :data:`METHODS`.
        time_limit: seconds for the whole solve (None: no limit).
        gap: relative optimality gap at which the solve may stop, in [0, 1).
        threads: solver threads (None: the solver's default).
        seed: the solver's random seed.
        lp_nodes: with ``highs``, LP branch-and-bound nodes to try before HiGHS's own MIP
            solver (0: straight to it).
        log: stream the solver's own log to stdout.
    """

    formulation: str = "strong"
    solver: str = "highs"
    method: str = "auto"
    time_limit: float | None = DEFAULT_TIME_LIMIT
    gap: float = DEFAULT_GAP
    threads: int | None = None
    seed: int = 0
    lp_nodes: int = DEFAULT_MAX_NODES
    log: bool = False

    def __post_init__(self) -> None:
        _choice("formulation", self.formulation, tuple(FORMULATIONS))
        _choice("solver", self.solver, SOLVERS)
        _choice("method", self.method, METHODS)
        if self.solver == "cpsat" and self.formulation != "single_source":
            raise SolverOptionError(
                f"solver = 'cpsat' with formulation = {self.formulation!r}: CP-SAT needs an "
                "all-integer model (it rounds continuous serving shares and can wrongly report "
                "infeasible); use formulation='single_source', or solver 'highs'/'scip'"
            )
        if self.time_limit is not None:
            limit = _number("time_limit", self.time_limit)
            if not (limit > 0 and math.isfinite(limit)):
                raise SolverOptionError(
                    f"time_limit = {self.time_limit!r}: must be a positive number of seconds "
                    "(None: no limit)"
                )
            object.__setattr__(self, "time_limit", limit)
        gap = _number("gap", self.gap)
        if not 0 <= gap < 1:
            raise SolverOptionError(f"gap = {self.gap!r}: the relative gap must be in [0, 1)")
        object.__setattr__(self, "gap", gap)
        if self.threads is not None and not 1 <= _integer("threads", self.threads) <= MAX_THREADS:
            raise SolverOptionError(
                f"threads = {self.threads!r}: must be from 1 to {MAX_THREADS:,}"
            )
        if not 0 <= _integer("seed", self.seed) <= MAX_SEED:
            raise SolverOptionError(
                f"seed = {self.seed!r}: must be from 0 to {MAX_SEED:,} (the solvers' range)"
            )
        if not 0 <= _integer("lp_nodes", self.lp_nodes) <= MAX_LP_NODES:
            raise SolverOptionError(
                f"lp_nodes = {self.lp_nodes!r}: must be from 0 to {MAX_LP_NODES:,}"
            )
        if not isinstance(self.log, bool):
            raise SolverOptionError(f"log = {self.log!r}: must be true or false")

    def replace(self, **changes: Any) -> SolveOptions:
        """A copy with ``changes`` applied (and checked)."""
        unknown = sorted(set(changes) - set(self.as_dict()))
        if unknown:
            raise SolverOptionError(f"unknown solve option(s) {unknown}; known: {_names()}")
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Any] | None, *, exclude: tuple[str, ...] = ()
    ) -> SolveOptions:
        """Options from a mapping (a YAML ``solve:`` block); ``exclude`` names options the
        caller sets itself and the mapping may not."""
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise SolverOptionError(f"{data!r}: solve options must be a mapping of name: value")
        allowed = [name for name in cls().as_dict() if name not in exclude]
        unknown = sorted(set(data) - set(allowed))
        if unknown:
            raise SolverOptionError(
                f"unknown option(s) {unknown}; allowed: {', '.join(allowed)}"
                + (f" ({', '.join(exclude)} set by the caller)" if exclude else "")
            )
        return cls(**dict(data))


def _choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise SolverOptionError(f"{name} = {value!r}: unknown; choose one of {', '.join(choices)}")


def _number(name: str, value: Any) -> float:
    """A float from a number or a numeric string (YAML 1.1 reads ``1e-6`` as a string)."""
    if isinstance(value, bool):
        raise SolverOptionError(f"{name} = {value!r}: must be a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SolverOptionError(f"{name} = {_short(value)}: must be a number") from None
    except OverflowError:  # an integer of hundreds of digits
        raise SolverOptionError(f"{name} = {_short(value)}: too large a number") from None
    if math.isnan(number):
        raise SolverOptionError(f"{name} = {value!r}: must be a number, not NaN")
    return number


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:40]}… ({len(text)} characters)"


def _integer(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SolverOptionError(f"{name} = {value!r}: must be an integer")
    return value


def _names() -> str:
    return ", ".join(SolveOptions().as_dict())
