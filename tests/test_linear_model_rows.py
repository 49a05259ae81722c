"""LinearModel.add_to_rows and set_objective, the two calls the add-ons build with, checked
on a model small enough to solve by hand (solver layer only: no domain import)."""

from __future__ import annotations

import numpy as np
import pytest

from placement.milp.backends import solve_model
from placement.milp.linear_model import LinearModel
from placement.milp.solution import SolveParams, Termination


def _model() -> LinearModel:
    """min x + 2y  s.t.  x + y ≥ 1 (row 0), x ≤ 0.25 (row 1); x, y ∈ [0, 1]."""
    model = LinearModel()
    model.add_vars("x", 1, cost=1.0)
    model.add_vars("y", 1, cost=2.0)
    model.add_rows("cover", 1, np.array([0, 0]), np.array([0, 1]), 1.0, lb=1.0)
    model.add_rows("cap", 1, np.array([0]), np.array([0]), 1.0, ub=0.25)
    return model


def test_a_later_variable_joins_an_existing_row():
    model = _model()
    z = model.add_vars("z", 1, cost=0.5)  # z joins the cover row: x + y + z ≥ 1
    model.add_to_rows(np.array([0]), z, 1.0)
    raw = solve_model(model, "highs", SolveParams())
    assert raw.termination is Termination.OPTIMAL
    assert raw.objective == pytest.approx(0.5)  # z, the cheapest, covers the row alone
    assert raw.values == pytest.approx([0.0, 0.0, 1.0])


def test_set_objective_replaces_the_costs():
    model = _model()
    model.set_objective(np.array([3.0, 1.0]))  # now y is cheaper: y = 1
    raw = solve_model(model, "highs", SolveParams())
    assert raw.objective == pytest.approx(1.0)


def test_bad_indices_are_refused():
    model = _model()
    with pytest.raises(ValueError, match="rows must be in"):
        model.add_to_rows(np.array([5]), np.array([0]), 1.0)
    with pytest.raises(ValueError, match="columns must be in"):
        model.add_to_rows(np.array([0]), np.array([9]), 1.0)
    with pytest.raises(ValueError, match="expected 2 costs"):
        model.set_objective(np.array([1.0]))
