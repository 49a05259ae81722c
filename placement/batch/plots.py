"""Batch charts as PNG (matplotlib's Agg canvas, no display, written atomically).

- :func:`plot_cost_vs_rtt`: every solved case's cost (without the latency penalty) against its
  population-weighted RTT, each point labelled with its case id, the non-dominated cases of
  each demand level joined as that level's front.
- :func:`plot_sensitivity`: annual spend (the objective less its penalties) against each swept
  input, one panel per input; the line follows the cases where every other input is at its
  baseline value.
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


LEVEL_COLOURS = ("#c2410c", "#1d4ed8", "#15803d", "#7e22ce", "#a16207", "#be123c")


def plot_cost_vs_rtt(
    table: pd.DataFrame, path: str | os.PathLike[str], baseline: str | None = None
) -> Path | None:
    """Scatter cost (excluding the latency penalty) vs weighted RTT; None if nothing solved.

    Every point is labelled with its case id. Cases are grouped by demand level (total IT MW,
    the ``demand_mw`` column): each level gets its own colour and its own non-dominated front,
    since a frontier across different demand compares different problems.
    """
    solved = table.dropna(subset=["cost_excl_latency", "weighted_rtt_ms"])
    if solved.empty:
        return None
    figure = _figure(8.0, 5.2)
    ax = figure.add_subplot()
    levels = (
        sorted(solved["demand_mw"].dropna().unique().tolist()) if "demand_mw" in solved else [None]
    )
    labels = []
    for n, level in enumerate(levels):
        group = solved if level is None else solved[solved["demand_mw"] == level]
        colour = LEVEL_COLOURS[n % len(LEVEL_COLOURS)]
        cost = group["cost_excl_latency"].astype(float).to_numpy() / MUSD
        rtt = group["weighted_rtt_ms"].astype(float).to_numpy()
        name = "cases" if level is None else f"demand {level:,.0f} MW"
        ax.scatter(rtt, cost, s=26, color=colour, alpha=0.45, zorder=2)
        front = non_dominated(list(zip(cost.tolist(), rtt.tolist(), strict=True)))
        ax.step(
            rtt[front],
            cost[front],
            where="post",
            color=colour,
            lw=1.6,
            label=f"{name}: non-dominated ({len(front)} of {len(group)})",
        )
        ax.scatter(rtt[front], cost[front], s=34, color=colour, zorder=3)
        for case_id, x, y in zip(group["id"], rtt, cost, strict=True):
            labels.append(
                ax.annotate(
                    str(case_id),
                    (x, y),
                    xytext=(4, 3),
                    textcoords="offset points",
                    fontsize=6,
                    color="#333333",
                    gid="case-label",
                )
            )
    _spread_labels(ax, labels)
    if baseline is not None and (solved["id"] == baseline).any():
        row = solved[solved["id"] == baseline].iloc[0]
        ax.scatter(
            [row["weighted_rtt_ms"]],
            [row["cost_excl_latency"] / MUSD],
            s=90,
            facecolors="none",
            edgecolors="#111111",
            lw=1.8,
            label=f"baseline ({baseline})",
            zorder=4,
        )
    ax.set_xlabel("population-weighted mean RTT (ms)")
    ax.set_ylabel("annual cost excl. latency penalty (M USD/yr)")
    ax.set_title(
        f"Cost vs latency: {len(solved)} solved cases"
        + (f", {len(levels)} demand levels (one front each)" if len(levels) > 1 else "")
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return _save(figure, path)


def _spread_labels(ax: Any, labels: list[Any]) -> None:
    """Move point labels apart (adjustText) so no two overlap; leave them if it is missing."""
    if len(labels) < 2:
        return
    try:
        from adjustText import adjust_text
    except ImportError:
        return
    adjust_text(labels, ax=ax, arrowprops={"arrowstyle": "-", "color": "#999999", "lw": 0.4})


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
        ax.scatter(xs, solved[_spend_column(solved)] / MUSD, s=18, color="#9aa5b1", zorder=2)
        if base_row is not None:
            others = [c for c in inputs if c != name]
            mask = (solved[others] == base_row[others]).all(axis=1) if others else True
            line = solved[mask] if others else solved
            line = line.assign(_x=[position(v) for v in line[name]]).sort_values("_x")
            ax.plot(
                line["_x"],
                line[_spend_column(line)] / MUSD,
                "-o",
                color="#c2410c",
                ms=4,
                zorder=3,
            )
        if not numeric:
            ax.set_xticks(range(len(values)), [str(v) for v in values], rotation=30, ha="right")
        ax.set_xlabel(name)
        ax.set_ylabel("spend, excl. penalties (M USD/yr)")
        ax.grid(alpha=0.3)
    figure.suptitle(
        "Sensitivity of annual spend (latency penalty excluded; line: other inputs at baseline)",
        fontsize=10,
    )
    return _save(figure, path)


def _spend_column(table: Any) -> str:
    return "spend" if "spend" in table.columns else "objective"


def plot_frontier(
    front: Sequence[tuple[float, float, int] | tuple[float, float, int, int]],
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
    rtts = [point[0] for point in front]
    costs = [point[1] / MUSD for point in front]
    ax.step(rtts, costs, where="post", color="#c2410c", lw=1.6)
    ax.scatter(rtts, costs, s=34, color="#c2410c", zorder=3, label=f"non-dominated ({len(front)})")
    labels = [
        ax.annotate(
            f"#{point[3] if len(point) > 3 else n} · {point[2]} sites",
            (point[0], point[1] / MUSD),
            textcoords="offset points",
            xytext=(4, 4),
            fontsize=7,
            gid="point-label",
        )
        for n, point in enumerate(front)
    ]
    _spread_labels(ax, labels)
    ax.set_xlabel("population-weighted mean RTT (ms)")
    ax.set_ylabel("annual cost excl. latency penalty (M USD/yr)")
    ax.set_title(f"Pareto frontier ({method}); labels: point # (frontier.csv row) · sites open")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(figure, path)
