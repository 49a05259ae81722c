"""Formulations: each builds one MILP of the placement model from :class:`ModelData`.

A formulation is a function ``build(data) -> Built`` that reads as a table of contents of
``add_*`` calls from :mod:`placement.formulations.components`. Register new ones in
:data:`FORMULATIONS` (Lagrangian or Benders methods can plug in beside them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from placement.formulations import single_source, strong, weak
from placement.formulations.components import Columns
from placement.milp.linear_model import LinearModel
from placement.model.data import ModelData


@dataclass
class Built:
    """A built model and where each variable family sits in it."""

    model: LinearModel
    columns: Columns
    formulation: str


FORMULATIONS: dict[str, Callable[[ModelData], tuple[LinearModel, Columns]]] = {
    "strong": strong.build,
    "weak": weak.build,
    "single_source": single_source.build,
}


def build(data: ModelData, formulation: str = "strong") -> Built:
    model, columns = FORMULATIONS[formulation](data)
    return Built(model=model, columns=columns, formulation=formulation)
