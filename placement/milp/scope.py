"""A view of a :class:`LinearModel` that adds blocks under a name suffix.

Builders that add a family of blocks several times to one model (one copy per period, say)
call the same block functions through a :class:`Scoped` view: ``add_vars("open", …)`` on
``Scoped(model, "@2027")`` adds the block ``open@2027`` (``open@2027[dallas_tx]``), so block
names stay unique and say which copy a row or variable belongs to.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from placement.milp.linear_model import LinearModel


class Scoped:
    """``add_vars`` / ``add_rows`` of ``model`` with ``suffix`` appended to each block name."""

    def __init__(self, model: LinearModel, suffix: str):
        self.model = model
        self.suffix = suffix

    def add_vars(self, name: str, count: int, **kwargs: Any) -> np.ndarray:
        return self.model.add_vars(f"{name}{self.suffix}", count, **kwargs)

    def add_rows(
        self, name: str, count: int, row: np.ndarray, col: np.ndarray, val: Any, **kwargs: Any
    ) -> np.ndarray:
        return self.model.add_rows(f"{name}{self.suffix}", count, row, col, val, **kwargs)
