"""Add-on families join the rows the core blocks built: where those rows are, and the joining.

The core blocks (:mod:`placement.formulations.components`) build each facility's power and
space row, the cloud quotas, the carbon cap and the capital budget over the training, serving
and split variables. An add-on family (spare capacity, the parts of a split training cluster)
adds its own coefficients to the same rows with :meth:`LinearModel.add_to_rows`, so the core
blocks stay as they are and the rows read as one sum over every family.
"""

from __future__ import annotations

import numpy as np

from placement.formulations.components import _at_most
from placement.milp.linear_model import Labels, LinearModel
from placement.model.data import ModelData, PairArrays, cloud_quotas


def facility_rows(model: LinearModel, block: str, capacity: np.ndarray) -> np.ndarray:
    """Absolute row of each facility in a capacity block (``power``, ``space``); −1 where the
    facility has no row (infinite capacity) or the block does not exist."""
    out = np.full(capacity.size, -1, dtype=np.int64)
    rows = model.row_blocks.get(block)
    if rows is None:
        return out
    finite = np.isfinite(capacity)
    out[finite] = rows.start + np.arange(int(finite.sum()))
    return out


def single_row(model: LinearModel, block: str) -> int | None:
    """The row of a one-row block (``carbon_cap``, ``capital_budget``), None if absent."""
    rows = model.row_blocks.get(block)
    return None if rows is None or len(rows) == 0 else rows.start


def quota_rows(model: LinearModel, data: ModelData, facility: np.ndarray, hardware: list[str]):
    """Absolute cloud-quota row of each (facility, hardware id), −1 where there is none."""
    rows = model.row_blocks.get("cloud_quota")
    out = np.full(facility.size, -1, dtype=np.int64)
    if rows is None:
        return out
    position = {key: rows.start + n for n, key in enumerate(cloud_quotas(data))}
    for k, (f, hw) in enumerate(zip(facility.tolist(), hardware, strict=True)):
        out[k] = position.get((f, hw), -1)
    return out


def join_capacity_rows(
    model: LinearModel,
    data: ModelData,
    columns: np.ndarray,
    pairs: PairArrays,
    *,
    quota_hardware: list[str] | None = None,
) -> None:
    """Σ U x joins (4) power, Σ R x (6) space, Σ units x (6b) the cloud quota of
    ``quota_hardware`` (per variable), Σ tCO2 x (7c) the carbon cap and Σ capital x (7d) the
    capital budget, for a family of variables ``columns`` with coefficients ``pairs``."""
    for block, use, capacity in (
        ("power", pairs.capacity_use, data.sites.capacity),
        ("space", pairs.racks, data.sites.racks),
    ):
        rows = facility_rows(model, block, capacity)[pairs.site]
        keep = (rows >= 0) & (use != 0.0)
        model.add_to_rows(rows[keep], columns[keep], use[keep])
    if quota_hardware is not None:
        rows = quota_rows(model, data, pairs.site, quota_hardware)
        keep = (rows >= 0) & (pairs.units != 0.0)
        model.add_to_rows(rows[keep], columns[keep], pairs.units[keep])
    for block, values in (("carbon_cap", pairs.carbon_t), ("capital_budget", pairs.capital)):
        row = single_row(model, block)
        keep = values != 0.0
        if row is not None and keep.any():
            model.add_to_rows(np.full(int(keep.sum()), row), columns[keep], values[keep])


def link_to_open(
    model: LinearModel,
    name: str,
    columns: np.ndarray,
    pairs: PairArrays,
    open_columns: np.ndarray,
    install_columns: np.ndarray,
    upper: np.ndarray | float,
    labels: Labels | None = None,
) -> None:
    """x_v ≤ M_v · open_f(v) for every variable, and x_v ≤ M_v · install_s(v) where its
    cooling option has an install decision (rows ``{name}_open`` and ``{name}_install``)."""
    big_m = np.broadcast_to(np.asarray(upper, dtype=float), (len(pairs),))
    _at_most(model, f"{name}_open", columns, open_columns[pairs.site], big_m, labels=labels)
    needs = pairs.cooling >= 0
    _at_most(
        model,
        f"{name}_install",
        columns[needs],
        install_columns[pairs.cooling[needs]],
        big_m[needs],
        labels=None,
    )
