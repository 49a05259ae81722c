"""Plots: time to answer vs instance size, and the gap left at the time limit.

Needs matplotlib (optional: without it the run still writes the CSV and the markdown).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

Row = dict[str, Any]
LADDERS = ("random", "us", "ai")
GAP_FLOOR = 1e-6


def _series(rows: list[Row], family: str) -> dict[str, list[Row]]:
    """(formulation/backend [variant]) → rows of that family in size order."""
    series: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        if r["family"] != family or r["status"] == "skipped" or r.get("objective") is None:
            continue
        label = f"{r['formulation']}/{r['solver']}"
        if r["variant"] == "dense":
            label += " dense"
        series[label].append(r)
    return series


def write_plots(rows: list[Row], out: Path) -> list[Path]:
    """``solve_time.png`` and ``gap.png`` in ``out``; [] when matplotlib is missing.

    One line per formulation/backend (dashed: the dense variant); x is sites × regions, so the
    formulations of one instance line up.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    families = [f for f in LADDERS if any(r["family"] == f for r in rows)]
    if not families:
        return []
    out.mkdir(parents=True, exist_ok=True)
    paths = [_time_plot(plt, rows, families, out), _gap_plot(plt, rows, families, out)]
    plt.close("all")
    return paths


def _axes(plt: Any, count: int) -> tuple[Any, list[Any]]:
    fig, axes = plt.subplots(1, count, figsize=(6.0 * count, 4.5), squeeze=False)
    return fig, list(axes[0])


def _time_plot(plt: Any, rows: list[Row], families: list[str], out: Path) -> Path:
    fig, axes = _axes(plt, len(families))
    for ax, family in zip(axes, families, strict=True):
        limit = None
        for label, members in sorted(_series(rows, family).items()):
            x = [r["n_sites"] * r["n_regions"] for r in members]
            y = [(r.get("build_seconds") or 0.0) + (r.get("solve_seconds") or 0.0) for r in members]
            style = "--" if "dense" in label else "-"
            ax.plot(x, y, style, marker="o", label=label, alpha=0.85)
            hit = [
                (a, b) for a, b, r in zip(x, y, members, strict=True) if r["status"] != "optimal"
            ]
            if hit:
                ax.scatter(*zip(*hit, strict=True), s=90, facecolors="none", edgecolors="red")
            limit = members[0].get("time_limit")
        if isinstance(limit, int | float):
            ax.axhline(limit, color="grey", linestyle=":", linewidth=1)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylim(bottom=1e-2)
        ax.set_xlabel("instance size: sites × regions")
        ax.set_ylabel("build + solve seconds")
        ax.set_title(f"{family}: time to answer (red ring: not proven optimal)")
        ax.legend(fontsize=7)
    fig.tight_layout()
    path = out / "solve_time.png"
    fig.savefig(path, dpi=110)
    return path


def _gap_plot(plt: Any, rows: list[Row], families: list[str], out: Path) -> Path:
    fig, axes = _axes(plt, len(families))
    for ax, family in zip(axes, families, strict=True):
        sizes: list[str] = []
        for r in rows:
            if r["family"] == family and r["size"] not in sizes:
                sizes.append(r["size"])
        for label, members in sorted(_series(rows, family).items()):
            x = [sizes.index(r["size"]) for r in members]
            y = [max(r.get("gap") if r.get("gap") is not None else 1.0, GAP_FLOOR) for r in members]
            style = "--" if "dense" in label else "-"
            ax.plot(x, y, style, marker="o", label=label, alpha=0.85)
        ax.set_xticks(range(len(sizes)), sizes)
        ax.set_yscale("log")
        ax.set_ylim(GAP_FLOOR / 2, 2.0)
        ax.set_xlabel("sites x regions")
        ax.set_ylabel(f"relative gap at the end (floor {GAP_FLOOR:g}; no bound = 1)")
        ax.set_title(f"{family}: gap left at the time limit")
        ax.legend(fontsize=7)
    fig.tight_layout()
    path = out / "gap.png"
    fig.savefig(path, dpi=110)
    return path
