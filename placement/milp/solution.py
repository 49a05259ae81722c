"""What every backend takes and returns: solve parameters, termination, raw solution."""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum

import numpy as np


class Termination(StrEnum):
    """How a solver stopped."""

    OPTIMAL = "optimal"  # proven within the requested gap
    FEASIBLE = "feasible"  # a solution, limits reached before the proof
    INFEASIBLE = "infeasible"  # proven to have no solution
    NO_SOLUTION = "no_solution"  # limits reached before any solution was found
    INTERRUPTED = "interrupted"  # stopped on request (Ctrl-C); values: the best so far, if any
    ERROR = "error"  # the solver failed or refused the model


@dataclass(frozen=True)
class SolveParams:
    """Limits and knobs of one solver call.

    ``deadline`` (a :func:`time.perf_counter` instant) is when the caller needs the answer back;
    backends interrupt the solver there even where the solver's own time limit does not reach
    (a solver is given ``min(time_limit, deadline − now)``).
    """

    time_limit: float | None = None
    gap: float = 1e-6
    threads: int | None = None
    seed: int = 0
    log: bool = False
    deadline: float | None = None

    def seconds_left(self) -> float | None:
        """The time the solver may use from now: the tighter of the limit and the deadline."""
        limits = [t for t in (self.time_limit, self._until_deadline()) if t is not None]
        return max(min(limits), 0.0) if limits else None

    def _until_deadline(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.perf_counter()


@dataclass(frozen=True)
class RawSolution:
    """A solver's answer in model terms: termination, values, objective, proven bound, times."""

    termination: Termination
    detail: str
    values: np.ndarray | None
    objective: float | None
    bound: float | None
    solve_seconds: float
    handoff_seconds: float = 0.0

    @property
    def has_solution(self) -> bool:
        return self.values is not None
