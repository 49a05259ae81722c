"""Pareto dominance of (cost, RTT) points: both lower is better."""

from __future__ import annotations

from collections.abc import Sequence


def non_dominated(points: Sequence[tuple[float, float]], rtol: float = 1e-9) -> list[int]:
    """Indices of points (cost, rtt) no other point beats on both, sorted by RTT."""
    order = sorted(range(len(points)), key=lambda i: (points[i][1], points[i][0]))
    keep: list[int] = []
    best: float | None = None
    for i in order:
        cost = points[i][0]
        if best is None or cost < best - rtol * max(abs(best), abs(cost), 1.0):
            keep.append(i)
            best = cost
    return keep
