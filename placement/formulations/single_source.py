"""Single sourcing: the strong formulation with serve_ij ∈ {0,1}.

Each region is served entirely by one site. All constraints are those of
:mod:`placement.formulations.strong`; the redundancy cap s̄ must be 1 (a region cannot be split),
which :func:`placement.model.diagnose.diagnose` reports as infeasible otherwise. Every variable but
unserved_j is binary, so CP-SAT solves this formulation exactly.
"""

from __future__ import annotations

from placement.formulations import components as c
from placement.formulations import strong
from placement.milp.linear_model import LinearModel
from placement.model.data import ModelData


def build(data: ModelData) -> tuple[LinearModel, c.Columns]:
    return strong.build(data, single_source=True)
