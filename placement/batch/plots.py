"""Batch charts as PNG (matplotlib's Agg canvas, no display, written atomically).

- :func:`plot_cost_vs_rtt`: every solved case's cost (without the latency penalty) against its
  population-weighted RTT, the non-dominated cases joined as a Pareto front.
- :func:`plot_sensitivity`: the objective against each swept input, one panel per input; the
  line follows the cases where every other input is at its baseline value.
- :func:`plot_frontier`: a traced frontier (:func:`placement.batch.pareto`).
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from placement.atomic import write_bytes_atomic
from placement.batch.frontier import non_dominated

if TYPE_CHECKING:
    import pandas as pd

MUSD = 1e6


def _figure(width: float = 7.0, height: float = 4.5) -> Any:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(
            "batch plots need matplotlib: pip install matplotlib (or the placement[batch] extra)"
        ) from None
    figure = Figure(figsize=(width, height), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _save(figure: Any, path: str | os.PathLike[str]) -> Path:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    write_bytes_atomic(path, buffer.getvalue())
    return Path(path)


def plot_cost_vs_rtt(
    table: pd.DataFrame, path: str | os.PathLike[str], baseline: str | None = None
) -> Path | None:
    """Scatter cost (excluding the latency penalty) vs weighted RTT; None if nothing solved."""
    solved = table.dropna(subset=["cost_excl_latency", "weighted_rtt_ms"])
    if solved.empty:
        return None
    cost = solved["cost_excl_latency"].astype(float).to_numpy() / MUSD
    rtt = solved["weighted_rtt_ms"].astype(float).to_numpy()
    figure = _figure()
    ax = figure.add_subplot()
    ax.scatter(rtt, cost, s=26, color="#9aa5b1", label="cases", zorder=2)
    front = non_dominated(list(zip(cost.tolist(), rtt.tolist(), strict=True)))
    ax.step(rtt[front], cost[front], where="post", color="#c2410c", lw=1.6, label="non-dominated")
    ax.scatter(rtt[front], cost[front], s=34, color="#c2410c", zorder=3)
    if baseline is not None and (solved["id"] == baseline).any():
        row = solved[solved["id"] == baseline].iloc[0]
        ax.scatter(
            [row["weighted_rtt_ms"]],
            [row["cost_excl_latency"] / MUSD],
            s=90,
            facecolors="none",
            edgecolors="#1d4ed8",
            lw=1.8,
            label=f"baseline ({baseline})",
            zorder=4,
        )
    ax.set_xlabel("population-weighted mean RTT (ms)")
    ax.set_ylabel("annual cost excl. latency penalty (M USD/yr)")
    ax.set_title(f"Cost vs latency: {len(solved)} solved cases")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(figure, path)


def plot_sensitivity(
    table: pd.DataFrame,
    inputs: Sequence[str],
    path: str | os.PathLike[str],
    baseline: str | None = None,
) -> Path | None:
    """Objective vs each swept input; None if nothing varied or nothing solved."""
    solved = table.dropna(subset=["objective"])
    inputs = [c for c in inputs if c in table.columns]
    if solved.empty or not inputs:
        return None
    base_row = table[table["id"] == baseline].iloc[0] if baseline in set(table["id"]) else None
    columns = min(3, len(inputs))
    rows = -(-len(inputs) // columns)
    figure = _figure(4.2 * columns, 3.4 * rows)
    for n, name in enumerate(inputs):
        ax = figure.add_subplot(rows, columns, n + 1)
        values = list(dict.fromkeys(table[name].tolist()))
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        position = (lambda v: float(v)) if numeric else (lambda v, vs=values: vs.index(v))
        xs = [position(v) for v in solved[name]]
        ax.scatter(xs, solved["objective"] / MUSD, s=18, color="#9aa5b1", zorder=2)
        if base_row is not None:
            others = [c for c in inputs if c != name]
            mask = (solved[others] == base_row[others]).all(axis=1) if others else True
            line = solved[mask] if others else solved
            line = line.assign(_x=[position(v) for v in line[name]]).sort_values("_x")
            ax.plot(line["_x"], line["objective"] / MUSD, "-o", color="#c2410c", ms=4, zorder=3)
        if not numeric:
            ax.set_xticks(range(len(values)), [str(v) for v in values], rotation=30, ha="right")
        ax.set_xlabel(name)
        ax.set_ylabel("objective (M USD/yr)")
        ax.grid(alpha=0.3)
    figure.suptitle("Sensitivity of the objective (line: other inputs at baseline)", fontsize=10)
    return _save(figure, path)


def plot_frontier(
    front: Sequence[tuple[float, float, int]],
    dominated: Sequence[tuple[float, float]],
    method: str,
    path: str | os.PathLike[str],
) -> Path | None:
    """A traced frontier: ``front`` as (weighted RTT ms, cost USD, sites open) on a step line,
    ``dominated`` (weighted RTT ms, cost USD) points grey."""
    if not front and not dominated:
        return None
    figure = _figure()
    ax = figure.add_subplot()
    if dominated:
        ax.scatter(
            [rtt for rtt, _ in dominated],
            [cost / MUSD for _, cost in dominated],
            s=22,
            color="#9aa5b1",
            label="dominated / repeated",
        )
    rtts = [rtt for rtt, _, _ in front]
    costs = [cost / MUSD for _, cost, _ in front]
    ax.step(rtts, costs, where="post", color="#c2410c", lw=1.6)
    ax.scatter(rtts, costs, s=34, color="#c2410c", zorder=3, label=f"non-dominated ({len(front)})")
    for rtt, cost, sites in front:
        ax.annotate(
            str(sites), (rtt, cost / MUSD), textcoords="offset points", xytext=(4, 4), fontsize=7
        )
    ax.set_xlabel("population-weighted mean RTT (ms)")
    ax.set_ylabel("annual cost excl. latency penalty (M USD/yr)")
    ax.set_title(f"Pareto frontier ({method}); labels: sites open")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(figure, path)
