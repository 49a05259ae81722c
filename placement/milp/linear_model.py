"""A mixed-integer linear model assembled from numpy blocks.

Variables and constraints are added a block at a time (one call per *family*, e.g. "every
training pair"), with their coefficients as numpy arrays, so building a model costs a few numpy
operations per family and never a Python loop per coefficient. The finished model is a sparse
matrix in coordinate form that a backend (:mod:`placement.backends`) hands to a solver.

    minimise   c·x
    subject to row_lb ≤ A x ≤ row_ub,  var_lb ≤ x ≤ var_ub,  x_v integer for v in I
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse

INF = float("inf")


@dataclass
class LinearModel:
    """Growing arrays of a MILP: variables, objective, and constraint triplets."""

    _var_lb: list[np.ndarray] = field(default_factory=list)
    _var_ub: list[np.ndarray] = field(default_factory=list)
    _var_int: list[np.ndarray] = field(default_factory=list)
    _obj: list[np.ndarray] = field(default_factory=list)
    _row_lb: list[np.ndarray] = field(default_factory=list)
    _row_ub: list[np.ndarray] = field(default_factory=list)
    _rows: list[np.ndarray] = field(default_factory=list)
    _cols: list[np.ndarray] = field(default_factory=list)
    _vals: list[np.ndarray] = field(default_factory=list)
    num_vars: int = 0
    num_rows: int = 0
    var_blocks: dict[str, slice] = field(default_factory=dict)
    row_blocks: dict[str, slice] = field(default_factory=dict)

    def add_vars(
        self,
        name: str,
        count: int,
        *,
        lb: float | np.ndarray = 0.0,
        ub: float | np.ndarray = 1.0,
        integer: bool = False,
        cost: float | np.ndarray = 0.0,
    ) -> np.ndarray:
        """Add ``count`` variables; returns their column indices."""
        start = self.num_vars
        self._var_lb.append(np.broadcast_to(np.asarray(lb, dtype=float), (count,)).copy())
        self._var_ub.append(np.broadcast_to(np.asarray(ub, dtype=float), (count,)).copy())
        self._var_int.append(np.full(count, integer, dtype=bool))
        self._obj.append(np.broadcast_to(np.asarray(cost, dtype=float), (count,)).copy())
        self.num_vars += count
        self.var_blocks[name] = slice(start, self.num_vars)
        return np.arange(start, self.num_vars, dtype=np.int64)

    def add_rows(
        self,
        name: str,
        count: int,
        row: np.ndarray,
        col: np.ndarray,
        val: np.ndarray | float,
        *,
        lb: float | np.ndarray = -INF,
        ub: float | np.ndarray = INF,
    ) -> np.ndarray:
        """Add ``count`` rows lb ≤ Σ val·x[col] ≤ ub; ``row`` indexes within this block."""
        if count == 0:
            self.row_blocks[name] = slice(self.num_rows, self.num_rows)
            return np.empty(0, dtype=np.int64)
        start = self.num_rows
        row = np.asarray(row, dtype=np.int64)
        col = np.asarray(col, dtype=np.int64)
        vals = np.broadcast_to(np.asarray(val, dtype=float), row.shape)
        if row.shape != col.shape:
            raise ValueError(f"{name}: row and col arrays differ in shape")
        self._rows.append(row + start)
        self._cols.append(col)
        self._vals.append(vals.copy())
        self._row_lb.append(np.broadcast_to(np.asarray(lb, dtype=float), (count,)).copy())
        self._row_ub.append(np.broadcast_to(np.asarray(ub, dtype=float), (count,)).copy())
        self.num_rows += count
        self.row_blocks[name] = slice(start, self.num_rows)
        return np.arange(start, self.num_rows, dtype=np.int64)

    def fix(self, columns: np.ndarray, value: float) -> None:
        """Fix variables to a value (both bounds)."""
        lb, ub = self.var_lb, self.var_ub
        lb[columns] = value
        ub[columns] = value
        self._var_lb, self._var_ub = [lb], [ub]

    # ------------------------------------------------------------------ finished arrays
    @property
    def var_lb(self) -> np.ndarray:
        return _cat(self._var_lb, float)

    @property
    def var_ub(self) -> np.ndarray:
        return _cat(self._var_ub, float)

    @property
    def var_integer(self) -> np.ndarray:
        return _cat(self._var_int, bool)

    @property
    def objective(self) -> np.ndarray:
        return _cat(self._obj, float)

    @property
    def row_lb(self) -> np.ndarray:
        return _cat(self._row_lb, float)

    @property
    def row_ub(self) -> np.ndarray:
        return _cat(self._row_ub, float)

    def triplets(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row, col, value) of the constraint matrix, row-major sorted, duplicates summed,
        zeros dropped (through scipy's O(nnz) CSR conversion instead of a global sort)."""
        matrix = scipy.sparse.coo_matrix(
            (_cat(self._vals, float), (_cat(self._rows, np.int64), _cat(self._cols, np.int64))),
            shape=(self.num_rows, self.num_vars),
        ).tocsr()
        matrix.sum_duplicates()
        matrix.eliminate_zeros()
        matrix.sort_indices()
        rows = np.repeat(np.arange(self.num_rows, dtype=np.int64), np.diff(matrix.indptr))
        return rows, matrix.indices.astype(np.int64), matrix.data

    @property
    def num_nonzeros(self) -> int:
        return int(sum(int(np.count_nonzero(v)) for v in self._vals))

    def size(self) -> dict[str, int]:
        return {
            "variables": self.num_vars,
            "integer_variables": int(self.var_integer.sum()),
            "constraints": self.num_rows,
            "nonzeros": self.num_nonzeros,
        }


def _cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    if not parts:
        return np.empty(0, dtype=dtype)
    return np.concatenate(parts).astype(dtype, copy=False)
