"""The model plumbing: numpy blocks → protobuf wire bytes equal the protobuf library's own."""

from __future__ import annotations

import numpy as np
import pytest
from google.protobuf.internal import encoder
from ortools.math_opt import model_pb2

from placement.datasets.synthetic import random_ai_scenario
from placement.formulations import FORMULATIONS, build
from placement.milp.backends import solve_model, to_model_proto
from placement.milp.linear_model import LinearModel
from placement.milp.proto_wire import varints
from placement.model.data import build_model_data


def _reference_proto(model: LinearModel, relax: bool) -> model_pb2.ModelProto:
    """Field-by-field fill through the protobuf API: slow, but the library's own encoding."""
    proto = model_pb2.ModelProto(name="placement")
    proto.variables.ids.extend(range(model.num_vars))
    proto.variables.lower_bounds.extend(model.var_lb.tolist())
    proto.variables.upper_bounds.extend(model.var_ub.tolist())
    integer = np.zeros(model.num_vars, bool) if relax else model.var_integer
    proto.variables.integers.extend(integer.tolist())
    nz = np.flatnonzero(model.objective)
    proto.objective.linear_coefficients.ids.extend(nz.tolist())
    proto.objective.linear_coefficients.values.extend(model.objective[nz].tolist())
    proto.linear_constraints.ids.extend(range(model.num_rows))
    proto.linear_constraints.lower_bounds.extend(model.row_lb.tolist())
    proto.linear_constraints.upper_bounds.extend(model.row_ub.tolist())
    rows, cols, vals = model.triplets()
    proto.linear_constraint_matrix.row_ids.extend(rows.tolist())
    proto.linear_constraint_matrix.column_ids.extend(cols.tolist())
    proto.linear_constraint_matrix.coefficients.extend(vals.tolist())
    return proto


def test_varints_match_protobuf():
    values = [0, 1, 127, 128, 300, 16_383, 16_384, 2**31, 2**32 - 1, 2**32, 2**40, 2**63 - 1]
    expected = b"".join(encoder._VarintBytes(v) for v in values)
    assert varints(np.array(values, dtype=np.uint64)) == expected
    assert varints(np.array(values[:9], dtype=np.uint64)) == b"".join(
        encoder._VarintBytes(v) for v in values[:9]
    )


@pytest.mark.parametrize("formulation", sorted(FORMULATIONS))
@pytest.mark.parametrize("relax", [False, True])
def test_wire_encoding_equals_protobuf_fill(formulation, relax):
    scn = random_ai_scenario(12, 60, 3, seed=5, slo_ms=45.0)
    model = build(build_model_data(scn), formulation).model
    assert to_model_proto(model, relax) == _reference_proto(model, relax)


def test_triplets_are_row_major_and_sum_duplicates():
    model = LinearModel()
    cols = model.add_vars("x", 3, cost=[1.0, 2.0, 3.0])
    model.add_rows("r", 2, [1, 0, 0, 1], cols[[2, 1, 1, 0]], [1.0, 2.0, 3.0, 0.0], ub=4.0)
    rows, columns, values = model.triplets()
    assert rows.tolist() == [0, 1] and columns.tolist() == [1, 2] and values.tolist() == [5.0, 1.0]


def test_lp_relaxation_is_a_lower_bound():
    scn = random_ai_scenario(8, 40, 2, seed=2, slo_ms=None)
    model = build(build_model_data(scn), "weak").model
    lp = solve_model(model, "glop", relax=True)
    mip = solve_model(model, "highs")
    assert lp.termination == "optimal" and mip.termination == "optimal"
    assert lp.objective <= mip.objective * (1 + 1e-9)
