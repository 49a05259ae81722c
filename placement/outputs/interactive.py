"""An interactive map of a placement as one self-contained HTML file that works offline.

plotly draws it, with plotly.js embedded in the file (no CDN script) and no geographic base
layer fetched from anywhere: the map is a plain x/y plot in the same Albers projection as
``map.png``, with the state outlines from the shipped file (:mod:`placement.outputs.outline`).
Alaska and Hawaii sit in insets at the lower left. Layers (click the legend to hide one):
state outlines, region → site assignments, demand regions, unopened candidates, training
sites, inference sites and SLO problems (regions with no site inside their SLO, and regions
left partly unserved). Open sites are circles when built, squares when leased and diamonds
when a cloud region (:data:`FINANCING_SYMBOL`). Hovering a site shows its financing, load,
hardware, cooling by technology, PUE, prices and annual spend;
hovering a region its population, serving sites and RTT against its SLO.
"""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np

from placement.model.schema import Scenario
from placement.outputs import maps
from placement.outputs.outline import state_rings
from placement.results.frames import cooling_mw
from placement.results.result import PlacementResult

INSET = {  # panel → (x0, y0, width) of its inset in the conus frame, km
    "alaska": (-2300.0, -1750.0, 950.0),
    "hawaii": (-1250.0, -1700.0, 450.0),
}


def map_html(scenario: Scenario, result: PlacementResult) -> str | None:
    """The map as HTML text, or None for a scenario without geography (all points at one place)."""
    points = maps._Points.of(scenario)
    if points.degenerate:
        return None
    figure = build_figure(scenario, result, points)
    return figure.to_html(
        include_plotlyjs=True,  # embedded: no CDN, works on a plane
        full_html=True,
        config={"displaylogo": False, "responsive": True},
        default_width="100%",
        default_height="92vh",
    )


class _Projector:
    """(lat, lon) → plot x/y: Albers for the US with Alaska/Hawaii insets, else lon/lat."""

    def __init__(self, points: Any):
        self.us = points.mostly_us
        self.panels = maps._us_panels()
        lat0 = float(np.nanmean(points.all_lat))
        self.scale = max(math.cos(math.radians(lat0)), 0.2)
        self.frames = {}
        for name in INSET:
            panel = self.panels[name]
            lat_min, lat_max, lon_min, lon_max = panel.box
            la, lo = np.meshgrid(np.linspace(lat_min, lat_max, 9), np.linspace(lon_min, lon_max, 9))
            x, y = panel.project(la.ravel(), lo.ravel())
            self.frames[name] = (float(x.min()), float(y.min()), float(np.ptp(x)) or 1.0)

    def __call__(self, lat: Any, lon: Any) -> tuple[np.ndarray, np.ndarray]:
        lat = np.asarray(lat, dtype=float)
        lon = np.asarray(lon, dtype=float)
        if not self.us:
            return lon * self.scale, lat
        x, y = self.panels["conus"].project(lat, lon)
        for name, inside in (("alaska", maps._in_alaska), ("hawaii", maps._in_hawaii)):
            mask = inside(lat, lon)
            if mask.any():
                px, py = self.panels[name].project(lat[mask], lon[mask])
                fx, fy, width = self.frames[name]
                x0, y0, target = INSET[name]
                k = target / width
                x[mask] = x0 + (px - fx) * k
                y[mask] = y0 + (py - fy) * k
        return x, y


def build_figure(scenario: Scenario, result: PlacementResult, points: Any = None) -> Any:
    """The plotly Figure (see the module docstring)."""
    import plotly.graph_objects as go

    points = points or maps._Points.of(scenario)
    project = _Projector(points)
    figure = go.Figure()
    _outlines(figure, project)
    sx, sy = project(points.site_lat, points.site_lon)
    rx, ry = project(points.region_lat, points.region_lon)
    colours = maps.catchment_colours(scenario, result) if result.ok else {}
    _assignments(figure, scenario, result, sx, sy, rx, ry, colours)
    _regions(figure, scenario, result, rx, ry)
    _sites(figure, scenario, result, sx, sy)
    _slo_problems(figure, scenario, result, rx, ry)
    figure.update_layout(
        title={"text": html.escape(maps._title(scenario, result)), "x": 0.01, "font": {"size": 15}},
        annotations=[
            {
                "text": html.escape(maps._subtitle(scenario, result)).replace("\n", "<br>"),
                "xref": "paper",
                "yref": "paper",
                "x": 0.0,
                "y": 1.0,
                "showarrow": False,
                "align": "left",
                "xanchor": "left",
                "yanchor": "bottom",
                "font": {"size": 11, "color": "#333333"},
            }
        ],
        plot_bgcolor="white",
        paper_bgcolor="white",
        hovermode="closest",
        legend={"title": {"text": "layers (click to hide)"}, "itemsizing": "constant"},
        margin={"l": 10, "r": 10, "t": 90, "b": 10},
    )
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False, scaleanchor="x", scaleratio=1)
    return figure


def _outlines(figure: Any, project: _Projector) -> None:
    import plotly.graph_objects as go

    xs: list[float | None] = []
    ys: list[float | None] = []
    if not project.us:
        return
    for code, rings in state_rings().items():
        if code == "PR":  # no Puerto Rico panel (the US datasets cover the 50 states + DC)
            continue
        for ring in rings:
            lon = np.where(ring[:, 0] > 0, ring[:, 0] - 360.0, ring[:, 0])
            x, y = project(ring[:, 1], lon)
            xs += [*x.tolist(), None]
            ys += [*y.tolist(), None]
    figure.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="lines",
            line={"color": maps.BORDER_COLOUR, "width": 0.7},
            fill="toself",
            fillcolor=maps.LAND_COLOUR,
            name="state outlines",
            hoverinfo="skip",
        )
    )


def _panel(lat: float, lon: float) -> str:
    la, lo = np.array([lat]), np.array([lon])
    if maps._in_alaska(la, lo)[0]:
        return "alaska"
    return "hawaii" if maps._in_hawaii(la, lo)[0] else "conus"


def _assignments(figure, scenario, result, sx, sy, rx, ry, colours) -> None:
    import plotly.graph_objects as go

    site_index, region_index = scenario.site_index(), scenario.region_index()
    by_site: dict[str, tuple[list, list]] = {}
    for a in result.serving:
        i, j = site_index.get(a.site), region_index.get(a.region)
        if i is None or j is None:
            continue
        site, region = scenario.sites[i], scenario.regions[j]
        if _panel(site.lat, site.lon) != _panel(region.lat, region.lon):
            continue  # a link between an inset and the mainland would cross the map
        xs, ys = by_site.setdefault(a.site, ([], []))
        xs += [float(rx[j]), float(sx[i]), None]
        ys += [float(ry[j]), float(sy[i]), None]
    for n, (sid, (xs, ys)) in enumerate(sorted(by_site.items())):
        figure.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                line={"color": colours.get(sid, "#555555"), "width": 0.8},
                opacity=0.45,
                name="assignments (region → site)",
                legendgroup="assignments",
                showlegend=n == 0,
                hoverinfo="skip",
            )
        )


def _regions(figure, scenario, result, rx, ry) -> None:
    import plotly.graph_objects as go

    if not scenario.regions:
        return
    served: dict[str, list[str]] = {}
    for a in result.serving:
        served.setdefault(a.region, []).append(f"{a.site} {a.share:.0%} at {a.rtt_ms:.1f} ms")
    population = np.array([r.population for r in scenario.regions], dtype=float)
    top = float(population.max()) or 1.0
    text = []
    for r in scenario.regions:
        slo = scenario.region_slo_ms(r)
        text.append(
            f"<b>{html.escape(r.name or r.id)}</b> ({html.escape(r.id)})<br>"
            f"population {r.population:,.0f}; demand {_demand_text(scenario, r)}<br>"
            f"SLO {'none' if slo is None else f'{slo:g} ms'}<br>served by: "
            + html.escape("; ".join(served.get(r.id, ["—"])))
        )
    figure.add_trace(
        go.Scatter(
            x=rx,
            y=ry,
            mode="markers",
            marker={
                "size": 2.0 + 12.0 * np.sqrt(population / top),
                "color": maps.DEMAND_COLOUR,
                "opacity": 0.5,
                "line": {"width": 0},
            },
            name="demand regions (size = population)",
            text=text,
            hovertemplate="%{text}<extra></extra>",
        )
    )


def _site_text(scenario: Scenario, result: PlacementResult, site: Any) -> str:
    load = result.site_load(site.id)
    lines = [f"<b>{html.escape(site.name or site.id)}</b> ({html.escape(site.id)})"]
    if load is None:
        lines.append("candidate, not opened")
    else:
        lines.append("financing: " + html.escape(", ".join(load.financing)))
        lines.append(
            f"training {load.training_mw:,.1f} MW"
            + (
                f" ({html.escape(', '.join(load.training_clusters))})"
                if load.training_clusters
                else ""
            )
        )
        units = "; ".join(f"{n:,.0f} {h}" for h, n in load.hardware_units.items() if n > 0)
        lines.append(f"inference {load.inference_mw:,.1f} MW" + (f" ({units})" if units else ""))
        if site.power_mw is not None:
            lines.append(f"grid {load.facility_mw:,.1f} of {site.power_mw:,.0f} MW used")
        cooling = cooling_mw(load)
        if cooling:
            by_tech = "; ".join(f"{t} {mw:,.1f} MW" for t, mw in cooling.items())
            lines.append("cooling: " + html.escape(by_tech))
        lines.append(f"annual spend here {load.annual_cost_usd:,.0f} USD/yr")
    if site.pue is not None:
        liquid = (
            f" / {site.effective_liquid_pue:.3f} liquid" if site.liquid_cooling_available else ""
        )
        lines.append(f"PUE {site.pue:.3f} air{liquid}")
    if site.cooling_degree_days is not None:
        lines.append(f"cooling degree days {site.cooling_degree_days:,.0f}")
    prices = []
    if site.energy_price_usd_per_mwh is not None:
        prices.append(f"energy {site.energy_price_usd_per_mwh:.1f} USD/MWh")
    prices.append(f"carbon {site.carbon_kg_per_mwh:.0f} kg/MWh")
    lines.append("; ".join(prices))
    if site.build_cost_usd_per_mw_year is not None:
        lines.append(
            f"fixed {site.fixed_cost_usd_per_year:,.0f} USD/yr; build "
            f"{site.build_cost_usd_per_mw_year:,.0f} USD/MW·yr"
        )
    if site.lease is not None:
        lines.append(
            f"lease {site.lease.usd_per_kw_month:,.2f} USD/kW·month, up to "
            f"{site.lease.max_it_mw:,.0f} MW"
        )
    if site.cloud is not None:
        prices = ", ".join(f"{h} {p:,.2f}" for h, p in site.cloud.usd_per_unit_hour.items())
        lines.append(f"cloud USD per unit-hour: {html.escape(prices)}")
    return "<br>".join(lines)


def _demand_text(scenario: Scenario, region: Any) -> str:
    if scenario.hardware:
        return f"{scenario.region_demand_work(region):,.2f} {scenario.inference.work_unit}"
    return f"{scenario.region_demand_mw(region):.2f} MW"


FINANCING_SYMBOL = {"build": "circle", "lease": "square", "cloud": "diamond"}
"""Marker shape of an open site by how it is financed (a built site that also leases: build)."""


def _symbol(load: Any) -> str:
    for mode in ("build", "lease", "cloud"):
        if load is not None and mode in load.financing:
            return FINANCING_SYMBOL[mode]
    return "circle"


def _sites(figure, scenario, result, sx, sy) -> None:
    import plotly.graph_objects as go

    loads = {ld.site: ld for ld in result.sites}
    largest = max((ld.training_mw + ld.inference_mw for ld in result.sites), default=0.0) or 1.0
    groups = {
        "unopened candidates": [i for i, s in enumerate(scenario.sites) if s.id not in loads],
        "training sites": [
            i for i, s in enumerate(scenario.sites) if s.id in loads and loads[s.id].training_mw > 0
        ],
        "inference sites": [
            i
            for i, s in enumerate(scenario.sites)
            if s.id in loads and loads[s.id].training_mw <= 0
        ],
    }
    styles = {
        "unopened candidates": {
            "color": "rgba(0,0,0,0)",
            "line": {"color": maps.CANDIDATE_COLOUR, "width": 1.2},
        },
        "training sites": {
            "color": maps.TRAINING_COLOUR,
            "line": {"color": maps.LIQUID_RING, "width": 2},
        },
        "inference sites": {"color": maps.INFERENCE_COLOUR, "line": {"color": "white", "width": 1}},
    }
    for name, rows in groups.items():
        if not rows:
            continue
        sizes = [
            8.0
            if scenario.sites[i].id not in loads
            else 9.0
            + 26.0
            * math.sqrt(
                (loads[scenario.sites[i].id].training_mw + loads[scenario.sites[i].id].inference_mw)
                / largest
            )
            for i in rows
        ]
        labels = [
            ""
            if scenario.sites[i].id not in loads
            else html.escape(scenario.sites[i].name or scenario.sites[i].id)
            for i in rows
        ]
        figure.add_trace(
            go.Scatter(
                x=sx[rows],
                y=sy[rows],
                mode="markers+text" if name != "unopened candidates" else "markers",
                marker={
                    "size": sizes,
                    "symbol": [_symbol(loads.get(scenario.sites[i].id)) for i in rows],
                    **styles[name],
                },
                text=labels,
                textposition="middle right",
                textfont={"size": 10},
                hovertext=[_site_text(scenario, result, scenario.sites[i]) for i in rows],
                hovertemplate="%{hovertext}<extra></extra>",
                name=name + (" (size = IT MW)" if name != "unopened candidates" else ""),
            )
        )


def _slo_problems(figure, scenario, result, rx, ry) -> None:
    import plotly.graph_objects as go

    rows = set(maps.uncovered_regions(scenario))
    index = scenario.region_index()
    rows |= {index[r] for r, share in result.unserved.items() if share > 1e-9 and r in index}
    rows_sorted = sorted(rows)
    text = []
    for j in rows_sorted:
        region = scenario.regions[j]
        why = (
            f"unserved share {result.unserved[region.id]:.0%}"
            if region.id in result.unserved
            else f"no site within its SLO of {scenario.region_slo_ms(region):g} ms"
        )
        text.append(f"<b>{html.escape(region.name or region.id)}</b>: {html.escape(why)}")
    figure.add_trace(
        go.Scatter(
            x=rx[rows_sorted] if rows_sorted else [],
            y=ry[rows_sorted] if rows_sorted else [],
            mode="markers",
            marker={
                "symbol": "x",
                "size": 11,
                "color": "#d62728",
                "line": {"width": 1, "color": "white"},
            },
            name=f"SLO problems ({len(rows_sorted)})",
            text=text,
            hovertemplate="%{text}<extra></extra>",
        )
    )
