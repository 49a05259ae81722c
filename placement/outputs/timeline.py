"""The timeline of a multi-period plan as a PNG (matplotlib's Agg canvas, no display).

Two panels over the periods' years:

* **IT MW by site**: each period's training and inference IT MW, stacked by site (the largest
  sites by their last-period load, the rest as "other sites"), every site opened that period
  written above its bar (``+ dallas_tx``), every training cluster arriving in it below the
  axis label;
* **cost per year**: the period's annual cost split into capital (annualised: buildings,
  cooling, hardware), operating (energy, carbon, leases, cloud, fixed operating, pair costs)
  and penalties (latency, unserved), with each period's present value in its label.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import numpy as np

from placement.atomic import write_bytes_atomic
from placement.model.period_data import period_scenarios
from placement.model.schema import Scenario
from placement.results.result import COST_COMPONENTS, PENALTY_COMPONENTS, PlacementResult

DPI = 110
MAX_SITES = 8  # named sites in the MW panel; the rest are "other sites"
MUSD = 1e6


def timeline_png(result: PlacementResult, *, dpi: int = DPI) -> bytes:
    """The timeline of ``result`` (which must have periods) as PNG bytes."""
    buffer = io.BytesIO()
    draw_timeline(result).savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def save_timeline(result: PlacementResult, path: str | os.PathLike[str]) -> Path:
    """Write :func:`timeline_png` to ``path`` atomically."""
    write_bytes_atomic(path, timeline_png(result))
    return Path(path)


def timeline_table(result: PlacementResult) -> list[dict[str, Any]]:
    """The numbers the timeline draws, one row per period: year, years, discount weight,
    IT MW (training, inference), sites open and opened, clusters arrived, capacity bought
    (MW), annual cost split capital / operating / penalties, and its present value."""
    if not result.periods:
        raise ValueError("result.periods is empty: a timeline needs a multi-period result")
    rows = []
    for period in result.periods:
        r = period.result
        costs = r.costs
        penalties = sum(getattr(costs, name) for name in PENALTY_COMPONENTS)
        rows.append(
            {
                "year": period.year,
                "years": period.years,
                "discount_weight": period.discount_weight,
                "training_mw": r.kpis.training_mw,
                "inference_mw": r.kpis.inference_mw,
                "open_sites": len(r.open_sites),
                "opened": ";".join(period.opened),
                "arrived": ";".join(period.arrived),
                "bought_mw": sum(b.mw for b in period.blocks if b.technology is None),
                "capital_usd_per_year": costs.capital,
                "operating_usd_per_year": costs.total - costs.capital - penalties,
                "penalties_usd_per_year": penalties,
                "cost_usd_per_year": costs.total,
                "present_value_usd": period.present_value,
                **{f"cost_{name}": getattr(costs, name) for name in COST_COMPONENTS},
            }
        )
    return rows


def timeline_csv(result: PlacementResult) -> str:
    """:func:`timeline_table` as CSV (``periods.csv``; costs in USD per year of the period)."""
    import csv

    rows = timeline_table(result)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def last_period(scenario: Scenario, result: PlacementResult) -> tuple[Scenario, PlacementResult]:
    """The last period's scenario (demand grown, prices indexed) and placement: what the
    one-period tables, maps and GeoJSON of a plan show."""
    return period_scenarios(scenario)[-1], result.periods[-1].result


def draw_timeline(result: PlacementResult) -> Any:
    """The two-panel figure of the module docstring (a matplotlib ``Figure``)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = timeline_table(result)
    years = [str(row["year"]) for row in rows]
    x = np.arange(len(rows))
    figure = Figure(figsize=(9.0, 7.0), layout="constrained")
    FigureCanvasAgg(figure)
    load_axes, cost_axes = figure.subplots(2, 1, sharex=True)
    _draw_load(load_axes, result, x)
    _draw_costs(cost_axes, rows, x)
    labels = [
        "\n".join([year, *(f"new: {cid}" for cid in filter(None, row["arrived"].split(";")))])
        for year, row in zip(years, rows, strict=True)
    ]
    cost_axes.set_xticks(x, labels, fontsize=8)
    figure.suptitle(
        f"{result.scenario}: {len(rows)} periods, present value "
        f"{(result.objective or 0.0) / MUSD:,.0f} M USD ({result.status.value})",
        fontsize=11,
    )
    return figure


def _draw_load(axes: Any, result: PlacementResult, x: np.ndarray) -> None:
    last = {s.site: s.training_mw + s.inference_mw for s in result.periods[-1].result.sites}
    named = sorted(last, key=lambda sid: -last[sid])[:MAX_SITES]
    series: dict[str, np.ndarray] = {sid: np.zeros(x.size) for sid in named}
    other = np.zeros(x.size)
    for t, period in enumerate(result.periods):
        for load in period.result.sites:
            mw = load.training_mw + load.inference_mw
            if load.site in series:
                series[load.site][t] += mw
            else:
                other[t] += mw
    if other.any():
        series["other sites"] = other
    bottom = np.zeros(x.size)
    colours = _colours(len(series))
    for (label, mw), colour in zip(series.items(), colours, strict=True):
        axes.bar(x, mw, 0.6, bottom=bottom, label=label, color=colour)
        bottom += mw
    for t, period in enumerate(result.periods):
        if period.opened:
            _label_above(
                axes,
                "\n".join(f"+ {sid}" for sid in period.opened[:6])
                + (f"\n+ {len(period.opened) - 6} more" if len(period.opened) > 6 else ""),
                x[t],
                bottom[t],
            )
    axes.set_ylim(0, max(bottom.max(), 1.0) * 1.45)
    axes.set_ylabel("IT MW (training + inference)")
    axes.set_title("Load by site; sites opened that period above each bar", fontsize=9)
    axes.legend(fontsize=7, ncol=3, loc="upper left", frameon=False)


def _label_above(axes: Any, text: str, x: float, y: float) -> None:
    """Small text centred just above the top of a bar."""
    axes.annotate(
        text,
        (x, y),
        xytext=(0, 3),
        textcoords="offset points",
        ha="center",
        va="bottom",
        fontsize=7,
    )


def _draw_costs(axes: Any, rows: list[dict[str, Any]], x: np.ndarray) -> None:
    parts = (
        ("capital (annualised)", "capital_usd_per_year", "#1d4ed8"),
        ("operating", "operating_usd_per_year", "#c2410c"),
        ("penalties", "penalties_usd_per_year", "#a3a3a3"),
    )
    bottom = np.zeros(x.size)
    for label, key, colour in parts:
        values = np.array([row[key] for row in rows]) / MUSD
        axes.bar(x, values, 0.6, bottom=bottom, label=label, color=colour)
        bottom += values
    for t, row in enumerate(rows):
        _label_above(axes, f"PV {row['present_value_usd'] / MUSD:,.0f}", x[t], bottom[t])
    axes.set_ylim(0, max(bottom.max(), 1.0) * 1.2)
    axes.set_ylabel("cost per year, M USD")
    axes.set_title("Annual cost of each period (present value above, M USD)", fontsize=9)
    axes.legend(fontsize=7, loc="upper left", frameon=False)


def _colours(n: int) -> list[Any]:
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]
