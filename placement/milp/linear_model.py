"""A mixed-integer linear model assembled from numpy blocks, with names.

Variables and constraints are added a block at a time (one call per *family*, e.g. "every
training pair"), with their coefficients as numpy arrays, so building a model costs a few numpy
operations per family and never a Python loop per coefficient. The finished model is a sparse
matrix that a backend (:mod:`placement.milp.backends`) hands to a solver::

    minimise   c·x
    subject to row_lb ≤ A x ≤ row_ub,  var_lb ≤ x ≤ var_ub,  x_v integer for v in I

Every block keeps its name and, optionally, :class:`Labels` that name its elements by keys
(``serve[dallas_tx,48113]``), so an exported model (:mod:`placement.milp.export`) and an
infeasibility explanation speak the caller's language. Names are made only when asked for.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse

INF = float("inf")
_UNSAFE = re.compile(r"[^\w\-.:\[\],]")  # names stay single tokens in MPS/LP files


@dataclass(frozen=True)
class Labels:
    """Element names of a block: ``block[key_1,key_2,…]``.

    ``vocabularies[d]`` lists the names of dimension ``d`` (e.g. site ids); ``index[d][k]`` is
    element ``k``'s position in it. Names are built only when :meth:`names` is called.
    """

    vocabularies: tuple[Sequence[str], ...]
    index: tuple[np.ndarray, ...]

    def names(self, block: str) -> list[str]:
        columns = [
            np.asarray([_token(str(v)) for v in vocabulary], dtype=object)[np.asarray(idx)]
            for vocabulary, idx in zip(self.vocabularies, self.index, strict=True)
        ]
        return [f"{block}[{','.join(keys)}]" for keys in zip(*columns, strict=True)]


@dataclass(frozen=True)
class Block:
    """A named family of variables or rows: positions ``start:stop`` of the model."""

    name: str
    start: int
    stop: int
    labels: Labels | None = None

    def __len__(self) -> int:
        return self.stop - self.start

    def names(self) -> list[str]:
        if self.labels is not None:
            return self.labels.names(self.name)
        return [f"{self.name}[{k}]" for k in range(len(self))]


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
    var_blocks: dict[str, Block] = field(default_factory=dict)
    row_blocks: dict[str, Block] = field(default_factory=dict)

    def add_vars(
        self,
        name: str,
        count: int,
        *,
        lb: float | np.ndarray = 0.0,
        ub: float | np.ndarray = 1.0,
        integer: bool = False,
        cost: float | np.ndarray = 0.0,
        labels: Labels | None = None,
    ) -> np.ndarray:
        """Add ``count`` variables; returns their column indices."""
        start = self.num_vars
        self._var_lb.append(_vector(lb, count))
        self._var_ub.append(_vector(ub, count))
        self._var_int.append(np.full(count, integer, dtype=bool))
        self._obj.append(_vector(cost, count))
        self.num_vars += count
        self._name_block(self.var_blocks, Block(name, start, self.num_vars, labels))
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
        labels: Labels | None = None,
    ) -> np.ndarray:
        """Add ``count`` rows lb ≤ Σ val·x[col] ≤ ub; ``row`` indexes within this block."""
        start = self.num_rows
        if count:
            row = np.asarray(row, dtype=np.int64)
            col = np.asarray(col, dtype=np.int64)
            if row.shape != col.shape:
                raise ValueError(f"{name}: row and col arrays differ in shape")
            self._rows.append(row + start)
            self._cols.append(col)
            self._vals.append(np.broadcast_to(np.asarray(val, dtype=float), row.shape).copy())
            self._row_lb.append(_vector(lb, count))
            self._row_ub.append(_vector(ub, count))
            self.num_rows += count
        self._name_block(self.row_blocks, Block(name, start, self.num_rows, labels))
        return np.arange(start, self.num_rows, dtype=np.int64)

    def add_to_rows(self, row: np.ndarray, col: np.ndarray, val: np.ndarray | float) -> None:
        """Add coefficients ``val`` of columns ``col`` to rows ``row`` that already exist
        (absolute row indices): how an add-on family of variables joins existing rows."""
        row = np.asarray(row, dtype=np.int64)
        col = np.asarray(col, dtype=np.int64)
        if row.shape != col.shape:
            raise ValueError("add_to_rows: row and col arrays differ in shape")
        if row.size == 0:
            return
        if row.min() < 0 or row.max() >= self.num_rows:
            raise ValueError(f"add_to_rows: rows must be in [0, {self.num_rows})")
        if col.min() < 0 or col.max() >= self.num_vars:
            raise ValueError(f"add_to_rows: columns must be in [0, {self.num_vars})")
        self._rows.append(row)
        self._cols.append(col)
        self._vals.append(np.broadcast_to(np.asarray(val, dtype=float), row.shape).copy())

    def set_objective(self, cost: np.ndarray) -> None:
        """Replace the objective vector (one cost per variable)."""
        cost = np.asarray(cost, dtype=float)
        if cost.shape != (self.num_vars,):
            raise ValueError(f"set_objective: expected {self.num_vars} costs, got {cost.shape}")
        self._obj = [cost.copy()]

    @staticmethod
    def _name_block(blocks: dict[str, Block], block: Block) -> None:
        if block.name in blocks:
            raise ValueError(f"block {block.name!r} is added twice; block names must be unique")
        blocks[block.name] = block

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

    def matrix(self) -> scipy.sparse.csr_matrix:
        """The constraint matrix in CSR form: duplicates summed, zeros dropped, indices sorted
        (scipy's O(nnz) conversion instead of a global sort)."""
        matrix = scipy.sparse.coo_matrix(
            (_cat(self._vals, float), (_cat(self._rows, np.int64), _cat(self._cols, np.int64))),
            shape=(self.num_rows, self.num_vars),
        ).tocsr()
        matrix.sum_duplicates()
        matrix.eliminate_zeros()
        matrix.sort_indices()
        return matrix

    def triplets(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row, col, value) of the constraint matrix, row-major sorted (see :meth:`matrix`)."""
        matrix = self.matrix()
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

    # ------------------------------------------------------------------ names
    def variable_names(self) -> list[str]:
        """One name per column, in column order (``open[dallas_tx]``, ``serve[…,…]``)."""
        return _names(self.var_blocks.values(), self.num_vars)

    def row_names(self) -> list[str]:
        """One name per row, in row order (``power[dallas_tx]``, ``assign_demand[48113]``)."""
        return _names(self.row_blocks.values(), self.num_rows)


def _names(blocks: Sequence[Block] | object, total: int) -> list[str]:
    names: list[str] = []
    for block in sorted(blocks, key=lambda b: b.start):  # type: ignore[union-attr]
        names.extend(block.names())
    if len(names) != total:
        raise ValueError(f"blocks name {len(names)} of {total} elements")
    return names


def _token(text: str) -> str:
    return _UNSAFE.sub("_", text) or "_"


def _vector(value: float | np.ndarray, count: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(value, dtype=float), (count,)).copy()


def _cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    if not parts:
        return np.empty(0, dtype=dtype)
    return np.concatenate(parts).astype(dtype, copy=False)
