"""Models as files and infeasibility in words: MPS/LP export with names, and named IIS rows."""

from __future__ import annotations

import os
from pathlib import Path

from placement.errors import SolverOptionError
from placement.milp.highs import HighsSolver
from placement.milp.linear_model import LinearModel

MODEL_SUFFIXES = (".mps", ".lp")


def write_model(model: LinearModel, path: str | os.PathLike[str]) -> Path:
    """Write ``model`` as free MPS (``.mps``) or CPLEX LP (``.lp``) with its names, atomically.

    Variables and rows carry their block names and labels (``serve[dallas_tx,48113]``; in LP
    files ``serve(dallas_tx,48113)``, as that format forbids brackets), so the file reads in
    HiGHS, SCIP or any MPS reader and its optimum is the model's.
    """
    path = Path(path)
    if path.suffix.lower() not in MODEL_SUFFIXES:
        raise SolverOptionError(
            f"{path}: unknown model file suffix {path.suffix!r}; use {' or '.join(MODEL_SUFFIXES)}"
        )
    highs = HighsSolver(model)
    highs.use_names(parentheses=path.suffix.lower() == ".lp")
    return highs.write(path)


def explain_infeasible(model: LinearModel, limit: int = 20) -> list[str] | None:
    """Named rows of an irreducible infeasible subsystem of the model's LP relaxation.

    None when the relaxation is feasible (the integrality is what cannot hold) or HiGHS finds
    no subsystem.
    """
    return HighsSolver(model).infeasible_rows(limit)
