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


def explain_infeasible(model: LinearModel) -> list[str] | None:
    """Named rows of an irreducible infeasible subsystem of the model's LP relaxation.

    None when the relaxation is feasible (the integrality is what cannot hold) or HiGHS finds
    no subsystem.
    """
    return HighsSolver(model).infeasible_rows()


def summarise_rows(names: list[str], shown: int = 4) -> list[str]:
    """Row names grouped by block: ``carbon_cap[0]``, ``30 assign_demand rows (a, b, …)``."""
    blocks: dict[str, list[str]] = {}
    for name in names:
        block, _, key = name.partition("[")
        blocks.setdefault(block, []).append(key.rstrip("]"))
    out = []
    for block, keys in blocks.items():
        if len(keys) == 1:
            out.append(f"{block}[{keys[0]}]")
        else:
            listed = ", ".join(keys[:shown]) + (", …" if len(keys) > shown else "")
            out.append(f"{len(keys)} {block} rows ({listed})")
    return out
