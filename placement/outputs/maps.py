"""A map of a placement as a PNG (matplotlib, Agg; no internet needed).

What the picture shows:

* a light US basemap: state outlines from the US Census Bureau's 2016 cartographic boundary file,
  simplified and shipped in ``data/us/states_outline.json`` (:mod:`placement.outputs.outline`);
  should that file be missing, the 3,143 bundled county centres of population as a dot cloud;
* demand regions as grey dots sized by population;
* candidate sites left closed as hollow circles;
* open sites as pies sized by IT MW (area), training slice orange, inference slice blue, with a
  dark ring where liquid cooling is built, a dashed ring for a leased site and a dotted one
  for a cloud region, and a label with the load and, where not the plain case, the financing
  and liquid cooling technology;
* thin region → site lines coloured by serving site, opacity by share (one LineCollection);
* a title with the objective and the population-weighted RTT, and a legend.

The contiguous US is drawn in an Albers equal-area projection (the USGS standard parallels);
Alaska and Hawaii get their own inset maps, each in its own Albers projection and scale, when
the scenario has a site or region there. A scenario whose points are not in the US is drawn in
plain longitude/latitude; one without geography (every point at one place, like OR-Library
instances) gets a bar chart of IT MW per open site instead.
"""

from __future__ import annotations

import io
import math
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from placement.model.geodesy import EARTH_RADIUS_KM
from placement.model.schema import Scenario
from placement.results.result import PlacementResult

TRAINING_COLOUR = "#e6550d"
INFERENCE_COLOUR = "#3182bd"
LIQUID_RING = "#08306b"
CANDIDATE_COLOUR = "#6b6b6b"
DEMAND_COLOUR = "#7a7a7a"
LAND_COLOUR = "#f4f3ee"
BORDER_COLOUR = "#b9b6ad"
CATCHMENT_COLOURS = (
    "#1b9e77",
    "#7570b3",
    "#e7298a",
    "#66a61e",
    "#a6761d",
    "#e6ab02",
    "#17becf",
    "#6a3d9a",
    "#b15928",
    "#999933",
    "#525252",
    "#fb9a99",
)
"""Catchment colours, told apart from each other and from the orange/blue pie slices."""
NEIGHBOUR_KM = 1000.0  # open sites this close, or among each other's 3 nearest, differ in colour

FIG_SIZE_IN = (13.0, 8.4)
DPI = 150


# ====================================================================== projection
@dataclass(frozen=True)
class Albers:
    """Spherical Albers equal-area conic projection to km (Snyder 1987, eqs. 14-1 to 14-6)."""

    lat1: float
    lat2: float
    lat0: float
    lon0: float

    def __call__(self, lat: Any, lon: Any) -> tuple[np.ndarray, np.ndarray]:
        phi1, phi2, phi0 = (math.radians(v) for v in (self.lat1, self.lat2, self.lat0))
        n = (math.sin(phi1) + math.sin(phi2)) / 2.0
        c = math.cos(phi1) ** 2 + 2.0 * n * math.sin(phi1)
        rho0 = EARTH_RADIUS_KM * math.sqrt(c - 2.0 * n * math.sin(phi0)) / n
        phi = np.radians(np.asarray(lat, dtype=float))
        lam = np.asarray(lon, dtype=float)
        dlon = (lam - self.lon0 + 180.0) % 360.0 - 180.0  # wrap across the antimeridian
        rho = EARTH_RADIUS_KM * np.sqrt(np.maximum(c - 2.0 * n * np.sin(phi), 0.0)) / n
        theta = n * np.radians(dlon)
        return rho * np.sin(theta), rho0 - rho * np.cos(theta)


class Panel:
    """One map panel: an axes, a projection and the lon/lat box it covers."""

    def __init__(self, name: str, project: Any, box: tuple[float, float, float, float]):
        self.name = name
        self.project = project  # (lat, lon) -> (x, y)
        self.box = box  # lat_min, lat_max, lon_min, lon_max
        self.ax: Any = None


def _us_panels() -> dict[str, Panel]:
    return {
        "conus": Panel("conus", Albers(29.5, 45.5, 23.0, -96.0), (23.5, 50.0, -125.5, -66.0)),
        "alaska": Panel(
            "alaska", Albers(55.0, 65.0, 50.0, -154.0), (51.0, 72.0, -180.0 + 360.0, 230.0)
        ),
        "hawaii": Panel("hawaii", Albers(8.0, 18.0, 3.0, -157.0), (18.5, 22.6, -160.6, -154.6)),
    }


def _in_alaska(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    return (lat >= 51.0) & (lat <= 72.0) & ((lon <= -129.0) | (lon >= 170.0))


def _in_hawaii(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    return (lat >= 18.5) & (lat <= 22.6) & (lon >= -160.6) & (lon <= -154.6)


def _in_conus(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    return (lat >= 23.5) & (lat <= 50.0) & (lon >= -125.5) & (lon <= -66.0)


# ====================================================================== basemaps
def state_outlines() -> tuple[list[np.ndarray], str] | None:
    """State polygons (lon/lat rings) from the outline file shipped in ``data/us/``."""
    from placement.outputs.outline import SOURCE_NOTE, all_rings

    rings = all_rings()
    return (rings, SOURCE_NOTE) if rings else None


@lru_cache(maxsize=1)
def county_centres() -> tuple[np.ndarray, np.ndarray] | None:
    """Census 2020 county centres of population (lat, lon) from the bundled data."""
    try:
        from placement.datasets.us import county_records

        records = county_records()
    except Exception:
        return None
    if not records:
        return None
    return (
        np.array([c.lat for c in records], dtype=float),
        np.array([c.lon for c in records], dtype=float),
    )


# ====================================================================== entry points
def map_png(scenario: Scenario, result: PlacementResult, *, dpi: int = DPI) -> bytes:
    """The map as PNG bytes (rendered in memory, so the caller can write it atomically)."""
    figure = draw_map(scenario, result)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()


def draw_map(scenario: Scenario, result: PlacementResult) -> Any:
    """A matplotlib Figure of the placement (no pyplot state is touched)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=FIG_SIZE_IN, layout=None)
    FigureCanvasAgg(figure)  # a renderer for measuring labels; no pyplot, no GUI
    pts = _Points.of(scenario)
    if pts.degenerate:
        _draw_bars(figure, scenario, result)
    elif pts.mostly_us:
        _draw_us(figure, scenario, result, pts)
    else:
        _draw_plain(figure, scenario, result, pts)
    return figure


# ====================================================================== the pieces
@dataclass(frozen=True)
class _Points:
    site_lat: np.ndarray
    site_lon: np.ndarray
    region_lat: np.ndarray
    region_lon: np.ndarray

    @classmethod
    def of(cls, scenario: Scenario) -> _Points:
        return cls(
            np.array([s.lat for s in scenario.sites], dtype=float),
            np.array([s.lon for s in scenario.sites], dtype=float),
            np.array([r.lat for r in scenario.regions], dtype=float),
            np.array([r.lon for r in scenario.regions], dtype=float),
        )

    @property
    def all_lat(self) -> np.ndarray:
        return np.concatenate([self.site_lat, self.region_lat])

    @property
    def all_lon(self) -> np.ndarray:
        return np.concatenate([self.site_lon, self.region_lon])

    @property
    def degenerate(self) -> bool:
        lat, lon = self.all_lat, self.all_lon
        return float(np.ptp(lat)) < 1e-6 and float(np.ptp(lon)) < 1e-6

    @property
    def mostly_us(self) -> bool:
        lat, lon = self.all_lat, self.all_lon
        us = _in_conus(lat, lon) | _in_alaska(lat, lon) | _in_hawaii(lat, lon)
        return bool(_in_conus(lat, lon).any()) and us.mean() >= 0.8


def _draw_us(figure: Any, scenario: Scenario, result: PlacementResult, pts: _Points) -> None:
    panels = _us_panels()
    lat, lon = pts.all_lat, pts.all_lon
    want_ak = bool(_in_alaska(lat, lon).any())
    want_hi = bool(_in_hawaii(lat, lon).any())
    main = figure.add_axes((0.005, 0.05, 0.78, 0.83))
    panels["conus"].ax = main
    active = [panels["conus"]]
    if want_ak:
        panels["alaska"].ax = figure.add_axes((0.015, 0.075, 0.20, 0.22))
        active.append(panels["alaska"])
    if want_hi:
        left = 0.225 if want_ak else 0.015
        panels["hawaii"].ax = figure.add_axes((left, 0.075, 0.13, 0.13))
        active.append(panels["hawaii"])

    def panel_of(la: np.ndarray, lo: np.ndarray) -> np.ndarray:
        out = np.full(la.shape, "", dtype=object)
        out[_in_conus(la, lo)] = "conus"
        if want_ak:
            out[_in_alaska(la, lo)] = "alaska"
        if want_hi:
            out[_in_hawaii(la, lo)] = "hawaii"
        return out

    site_panel = panel_of(pts.site_lat, pts.site_lon)
    region_panel = panel_of(pts.region_lat, pts.region_lon)

    outlines = state_outlines()
    cloud = county_centres() if outlines is None else None
    for panel in active:
        ax = panel.ax
        _style_axes(ax, inset=panel.name != "conus")
        _set_limits(panel)
        if outlines is not None:
            _draw_outlines(panel, outlines[0])
        elif cloud is not None:
            c_lat, c_lon = cloud
            keep = panel_of(c_lat, c_lon) == panel.name
            x, y = panel.project(c_lat[keep], c_lon[keep])
            ax.scatter(x, y, s=2.2, c="#c4c0b5", linewidths=0, zorder=1, rasterized=True)
        if panel.name != "conus":
            ax.set_title(panel.name.capitalize(), fontsize=8, loc="left", color="#555555", pad=2)

    site_xy = _project_by_panel(panels, site_panel, pts.site_lat, pts.site_lon)
    region_xy = _project_by_panel(panels, region_panel, pts.region_lat, pts.region_lon)
    hidden = _draw_layers(
        scenario,
        result,
        {p.name: p.ax for p in active},
        site_panel,
        region_panel,
        site_xy,
        region_xy,
    )
    notes = []
    notes.append(
        outlines[1]
        if outlines is not None
        else "basemap: Census 2020 county centres of population (bundled data)"
    )
    if want_ak or want_hi:
        notes.append("Alaska/Hawaii insets at their own scale")
    off_map = int(np.sum(site_panel == "")) + int(np.sum(region_panel == ""))
    if off_map:
        notes.append(f"{off_map} point(s) outside the US panels not drawn")
    if hidden:
        notes.append(f"{hidden} region→site link(s) between panels not drawn")
    notes.append("Albers equal-area projection")
    _decorate(figure, scenario, result, main, notes)


def _draw_plain(figure: Any, scenario: Scenario, result: PlacementResult, pts: _Points) -> None:
    ax = figure.add_axes((0.06, 0.08, 0.70, 0.78))
    lat0 = float(np.nanmean(pts.all_lat))
    scale = max(math.cos(math.radians(lat0)), 0.2)

    def project(la: Any, lo: Any) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(lo, dtype=float) * scale, np.asarray(la, dtype=float)

    panel = Panel("plain", project, (-90.0, 90.0, -180.0, 180.0))
    panel.ax = ax
    ax.set_facecolor("#fbfbf8")
    ax.grid(color="#e5e5e5", linewidth=0.5)
    ax.set_xlabel("longitude (scaled by cos latitude)")
    ax.set_ylabel("latitude")
    ax.set_aspect("equal", adjustable="box")
    x, y = project(pts.all_lat, pts.all_lon)
    pad_x = max(float(np.ptp(x)) * 0.08, 0.5)
    pad_y = max(float(np.ptp(y)) * 0.08, 0.5)
    ax.set_xlim(float(x.min()) - pad_x, float(x.max()) + pad_x)
    ax.set_ylim(float(y.min()) - pad_y, float(y.max()) + pad_y)
    site_panel = np.full(len(scenario.sites), "plain", dtype=object)
    region_panel = np.full(len(scenario.regions), "plain", dtype=object)
    _draw_layers(
        scenario,
        result,
        {"plain": ax},
        site_panel,
        region_panel,
        project(pts.site_lat, pts.site_lon),
        project(pts.region_lat, pts.region_lon),
    )
    _decorate(figure, scenario, result, ax, ["plain longitude/latitude (points not in the US)"])


def _draw_bars(figure: Any, scenario: Scenario, result: PlacementResult) -> None:
    ax = figure.add_axes((0.08, 0.22, 0.88, 0.62))
    loads = sorted(result.sites, key=lambda ld: -(ld.training_mw + ld.inference_mw))[:40]
    names = [ld.site for ld in loads]
    train = np.array([ld.training_mw for ld in loads])
    infer = np.array([ld.inference_mw for ld in loads])
    positions = np.arange(len(loads))
    ax.bar(positions, train, color=TRAINING_COLOUR, label="training MW")
    ax.bar(positions, infer, bottom=train, color=INFERENCE_COLOUR, label="inference MW")
    ax.set_xticks(positions, names, rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("IT load, MW")
    ax.grid(axis="y", color="#e5e5e5", linewidth=0.5)
    if not loads:
        ax.text(0.5, 0.5, "no open site", ha="center", va="center", transform=ax.transAxes)
    ax.legend(loc="upper right", fontsize=8)
    _decorate(
        figure,
        scenario,
        result,
        ax,
        ["no geography (all points at one place): IT MW per open site instead of a map"],
        legend=False,
    )


def _style_axes(ax: Any, inset: bool) -> None:
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_facecolor("#eaf1f6" if inset else "white")
    for spine in ax.spines.values():
        spine.set_visible(inset)
        spine.set_color("#9a9a9a")
        spine.set_linewidth(0.6)


def _set_limits(panel: Panel) -> None:
    lat_min, lat_max, lon_min, lon_max = panel.box
    la = np.linspace(lat_min, lat_max, 25)
    lo = np.linspace(lon_min, lon_max, 25)
    grid_la, grid_lo = np.meshgrid(la, lo)
    x, y = panel.project(grid_la.ravel(), grid_lo.ravel())
    if panel.name == "conus":  # the lower 48 proper: trim the empty corners of the box
        x, y = panel.project(
            np.array([24.5, 49.4, 49.4, 24.5, 37.0, 47.5]),
            np.array([-124.8, -124.8, -67.0, -80.0, -67.0, -95.0]),
        )
    pad_x = 0.03 * float(np.ptp(x))
    pad_y = 0.03 * float(np.ptp(y))
    panel.ax.set_xlim(float(x.min()) - pad_x, float(x.max()) + pad_x)
    panel.ax.set_ylim(float(y.min()) - pad_y, float(y.max()) + pad_y)


def _draw_outlines(panel: Panel, rings: list[np.ndarray]) -> None:
    from matplotlib.collections import PolyCollection

    polys = []
    lat_min, lat_max, lon_min, lon_max = panel.box
    for ring in rings:
        lon, lat = ring[:, 0], ring[:, 1]
        if panel.name == "alaska":
            lon = np.where(lon > 0, lon - 360.0, lon)
            inside = (lat >= lat_min - 2) & (lat <= lat_max + 2) & (lon <= -129.0)
        else:
            inside = (
                (lat >= lat_min - 2)
                & (lat <= lat_max + 2)
                & (lon >= lon_min - 3)
                & (lon <= lon_max + 3)
            )
        if not inside.any():
            continue
        x, y = panel.project(lat, lon)
        polys.append(np.column_stack([x, y]))
    panel.ax.add_collection(
        PolyCollection(
            polys,
            facecolors=LAND_COLOUR,
            edgecolors=BORDER_COLOUR,
            linewidths=0.45,
            zorder=0.5,
        )
    )


def _project_by_panel(
    panels: dict[str, Panel], which: np.ndarray, lat: np.ndarray, lon: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    x = np.full(lat.shape, np.nan)
    y = np.full(lat.shape, np.nan)
    for name, panel in panels.items():
        mask = which == name
        if mask.any():
            x[mask], y[mask] = panel.project(lat[mask], lon[mask])
    return x, y


@dataclass(frozen=True)
class _Layers:
    """What every layer of the map needs: the placement, the panels and projected points."""

    scenario: Scenario
    result: PlacementResult
    axes: dict[str, Any]
    site_panel: np.ndarray
    region_panel: np.ndarray
    site_xy: tuple[np.ndarray, np.ndarray]
    region_xy: tuple[np.ndarray, np.ndarray]

    @property
    def open_ids(self) -> list[str]:
        return [ld.site for ld in self.result.sites]

    def catchment_colours(self) -> dict[str, str]:
        return catchment_colours(self.scenario, self.result)


def site_neighbours(scenario: Scenario, result: PlacementResult) -> Any:
    """A networkx graph of the open sites: an edge joins two sites within NEIGHBOUR_KM of each
    other or among each other's three nearest open sites (their catchments meet)."""
    import networkx as nx

    from placement.model.geodesy import great_circle_km

    sites = {s.id: s for s in scenario.sites}
    ids = [ld.site for ld in result.sites if ld.site in sites]
    graph = nx.Graph()
    graph.add_nodes_from(ids)
    if len(ids) < 2:
        return graph
    lat = np.array([sites[s].lat for s in ids])
    lon = np.array([sites[s].lon for s in ids])
    km = great_circle_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    np.fill_diagonal(km, np.inf)
    for a in range(len(ids)):
        nearest = np.argsort(km[a], kind="stable")[:3]
        for b in range(len(ids)):
            if b != a and (km[a, b] <= NEIGHBOUR_KM or b in nearest):
                graph.add_edge(ids[a], ids[b])
    return graph


def catchment_colours(scenario: Scenario, result: PlacementResult) -> dict[str, str]:
    """A colour per open site such that neighbouring sites (:func:`site_neighbours`) differ:
    greedy graph colouring, largest site first, over :data:`CATCHMENT_COLOURS`."""
    import networkx as nx

    graph = site_neighbours(scenario, result)
    order = sorted(graph.nodes, key=lambda s: (-_mw(result, s), s))
    colouring = nx.greedy_color(graph, strategy=lambda g, _c: iter(order))
    return {sid: CATCHMENT_COLOURS[n % len(CATCHMENT_COLOURS)] for sid, n in colouring.items()}


def _draw_layers(
    scenario: Scenario,
    result: PlacementResult,
    axes: dict[str, Any],
    site_panel: np.ndarray,
    region_panel: np.ndarray,
    site_xy: tuple[np.ndarray, np.ndarray],
    region_xy: tuple[np.ndarray, np.ndarray],
) -> int:
    """Demand dots, links, candidate and open sites. Returns links not drawn (cross-panel)."""
    layers = _Layers(scenario, result, axes, site_panel, region_panel, site_xy, region_xy)
    colours = layers.catchment_colours()
    _draw_demand(layers)
    hidden = _draw_links(layers, colours)
    _draw_unserved(layers)
    _draw_uncovered(layers)
    _draw_candidates(layers)
    _place_labels(_draw_open_sites(layers, colours))
    return hidden


def _draw_demand(layers: _Layers) -> None:
    """Demand regions: grey dots sized by population."""
    population = np.array([r.population for r in layers.scenario.regions], dtype=float)
    if not population.size:
        return
    top = float(population.max()) or 1.0
    sizes = 0.6 + 26.0 * np.sqrt(population / top)
    for name, ax in layers.axes.items():
        mask = layers.region_panel == name
        if mask.any():
            ax.scatter(
                layers.region_xy[0][mask],
                layers.region_xy[1][mask],
                s=sizes[mask],
                c=DEMAND_COLOUR,
                alpha=0.45,
                linewidths=0,
                zorder=2,
                rasterized=True,
            )


def _draw_links(layers: _Layers, colour_of: dict[str, str]) -> int:
    """Region → site links, one LineCollection per panel; returns links between panels."""
    from matplotlib.collections import LineCollection
    from matplotlib.colors import to_rgba

    site_index, region_index = layers.scenario.site_index(), layers.scenario.region_index()
    sx, sy = layers.site_xy
    rx, ry = layers.region_xy
    segments: dict[str, list] = defaultdict(list)
    colours: dict[str, list] = defaultdict(list)
    hidden = 0
    for a in layers.result.serving:
        i, j = site_index.get(a.site), region_index.get(a.region)
        if i is None or j is None:
            continue
        panel = layers.site_panel[i]
        if panel != layers.region_panel[j] or panel == "":
            hidden += 1
            continue
        segments[panel].append([(rx[j], ry[j]), (sx[i], sy[i])])
        alpha = 0.12 + 0.5 * min(max(a.share, 0.0), 1.0)
        colours[panel].append(to_rgba(colour_of.get(a.site, "#555555"), alpha))
    for name, segs in segments.items():
        layers.axes[name].add_collection(
            LineCollection(segs, colors=colours[name], linewidths=0.55, zorder=3)
        )
    return hidden


def uncovered_regions(scenario: Scenario) -> list[int]:
    """Regions with no candidate site inside their SLO: the culprits of such an infeasibility."""
    if not scenario.regions or not scenario.sites:
        return []
    from placement.model.latency import nearest_rtt_ms, slo_vector

    try:
        return np.flatnonzero(nearest_rtt_ms(scenario) > slo_vector(scenario)).tolist()
    except (OSError, ValueError):  # e.g. an unreadable backbone: nothing to mark
        return []


def _draw_uncovered(layers: _Layers) -> None:
    """When there is no placement: regions with no site inside their SLO, red and named."""
    if layers.result.ok:
        return
    culprits = uncovered_regions(layers.scenario)
    for name, ax in layers.axes.items():
        rows = [j for j in culprits if layers.region_panel[j] == name]
        if not rows:
            continue
        ax.scatter(
            layers.region_xy[0][rows],
            layers.region_xy[1][rows],
            marker="X",
            s=70,
            c="#d62728",
            edgecolors="white",
            linewidths=0.6,
            zorder=9,
            gid="uncovered-region",
        )
        population = [layers.scenario.regions[j].population for j in rows]
        named = [rows[n] for n in np.argsort(population, kind="stable")[::-1][:5]]
        for j in named:  # the most populous few; the legend counts them all
            region = layers.scenario.regions[j]
            ax.annotate(
                region.name or region.id,
                (layers.region_xy[0][j], layers.region_xy[1][j]),
                xytext=(6, 6),
                textcoords="offset points",
                fontsize=7,
                color="#a50f15",
                zorder=9,
            )


def _draw_unserved(layers: _Layers) -> None:
    """Regions with unserved demand: red crosses."""
    region_index = layers.scenario.region_index()
    for name, ax in layers.axes.items():
        rows = [
            region_index[r]
            for r, share in layers.result.unserved.items()
            if share > 1e-9 and r in region_index and layers.region_panel[region_index[r]] == name
        ]
        if rows:
            ax.scatter(
                layers.region_xy[0][rows],
                layers.region_xy[1][rows],
                marker="x",
                s=18,
                c="#d62728",
                linewidths=0.9,
                zorder=4,
            )


def _draw_candidates(layers: _Layers) -> None:
    """Candidate sites not opened: hollow circles."""
    opened = set(layers.open_ids)
    closed = np.array([s.id not in opened for s in layers.scenario.sites])
    for name, ax in layers.axes.items():
        mask = closed & (layers.site_panel == name)
        if mask.any():
            ax.scatter(
                layers.site_xy[0][mask],
                layers.site_xy[1][mask],
                s=34,
                facecolors="none",
                edgecolors=CANDIDATE_COLOUR,
                linewidths=0.9,
                zorder=5,
            )


def _draw_open_sites(layers: _Layers, colour_of: dict[str, str]) -> list[_Label]:
    """Open sites as pies sized by IT MW; returns their labels, to be placed."""
    result = layers.result
    site_index = layers.scenario.site_index()
    largest = max((_mw(result, s) for s in layers.open_ids), default=0.0) or 1.0
    liquid = set(result.liquid_sites)
    labels: list[_Label] = []
    for load in result.sites:
        i = site_index.get(load.site)
        if i is None or layers.site_panel[i] == "":
            continue
        ax = layers.axes[layers.site_panel[i]]
        radius = _radius_km(ax, _mw(result, load.site) / largest)
        x, y = layers.site_xy[0][i], layers.site_xy[1][i]
        _pie(
            ax,
            x,
            y,
            radius,
            load.training_mw,
            load.inference_mw,
            ring=load.site in liquid,
            catchment=colour_of.get(load.site),
            linestyle=ring_style(load),
        )
        site = layers.scenario.sites[i]
        labels.append(
            _Label(
                ax=ax,
                x=float(x),
                y=float(y),
                radius_km=radius,
                text=f"{site.name or site.id}\n{_load_text(load)}",
                fontsize=6.0 if layers.site_panel[i] in ("alaska", "hawaii") else 7.5,
            )
        )
    return labels


def _load_text(load: Any) -> str:
    parts = []
    if load.training_mw > 0:
        parts.append(f"T {_fmt_mw(load.training_mw)}")
    if load.inference_mw > 0:
        parts.append(f"I {_fmt_mw(load.inference_mw)}")
    text = f"{' · '.join(parts)} MW" if parts else "open, no load"
    how = how_text(load)
    return f"{text}\n{how}" if how else text


def how_text(load: Any) -> str:
    """How a site is run, where it is not the plain case (built, air-cooled): its financing
    modes and its liquid cooling technologies, e.g. ``"lease · direct_to_chip"``."""
    parts = [m for m in load.financing if m != "build"]
    if parts and "build" in load.financing:
        parts.insert(0, "build")
    liquid = sorted({u.technology for u in load.cooling if u.liquid})
    return " · ".join(parts + liquid)


def ring_style(load: Any) -> str:
    """The pie ring's line style by financing: solid built, dashed leased, dotted cloud."""
    if "build" in load.financing:
        return "solid"
    return "dashed" if "lease" in load.financing else "dotted"


@dataclass
class _Label:
    ax: Any
    x: float
    y: float
    radius_km: float
    text: str
    fontsize: float


def _place_labels(labels: list[_Label]) -> None:
    """Put each label beside its pie where it overlaps no other label or pie (greedy)."""
    if not labels:
        return
    figure = labels[0].ax.figure
    renderer = figure.canvas.get_renderer()
    width, height = figure.bbox.width, figure.bbox.height
    legend_zone = (0.785 * width, 0.55 * height, width, height)  # the legend sits here
    taken: list[tuple[float, float, float, float]] = [legend_zone]
    for label in labels:  # pies are obstacles for every label
        centre = label.ax.transData.transform((label.x, label.y))
        r = label.radius_km / _km_per_point(label.ax) * figure.dpi / 72.0
        taken.append((centre[0] - r, centre[1] - r, centre[0] + r, centre[1] + r))
    style = {"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8}
    leader = {"arrowstyle": "-", "color": "#555555", "lw": 0.5, "shrinkA": 0.0, "shrinkB": 2.0}
    for label in labels:
        gap = label.radius_km / _km_per_point(label.ax) + 3.0
        # Beside the pie first; then ever further out along 8 directions, with a leader line.
        choices = []
        for extra in (0.0, 14.0, 30.0, 48.0, 70.0, 95.0):
            reach = gap + extra
            diag = reach * 0.75
            choices += [
                ((reach, 0.0), "left", "center", extra),
                ((-reach, 0.0), "right", "center", extra),
                ((0.0, reach), "center", "bottom", extra),
                ((0.0, -reach), "center", "top", extra),
                ((diag, diag), "left", "bottom", extra),
                ((diag, -diag), "left", "top", extra),
                ((-diag, diag), "right", "bottom", extra),
                ((-diag, -diag), "right", "top", extra),
            ]
        chosen = None
        for offset, ha, va, extra in choices:
            annotation = label.ax.annotate(
                label.text,
                (label.x, label.y),
                xytext=offset,
                textcoords="offset points",
                fontsize=label.fontsize,
                ha=ha,
                va=va,
                zorder=8,
                bbox=style,
                annotation_clip=False,
                arrowprops=leader if extra > 0 else None,
                gid="site-label",
            )
            box = annotation.get_window_extent(renderer).padded(2.0)
            rect = (box.x0, box.y0, box.x1, box.y1)
            inside = rect[0] >= 0 and rect[1] >= 0 and rect[2] <= width and rect[3] <= height
            if inside and not any(_overlap(rect, other) for other in taken):
                chosen = rect
                break
            annotation.remove()
        if chosen is None:  # nowhere free: right of the pie, overlapping
            annotation = label.ax.annotate(
                label.text,
                (label.x, label.y),
                xytext=(gap, 0.0),
                textcoords="offset points",
                fontsize=label.fontsize,
                ha="left",
                va="center",
                zorder=8,
                bbox=style,
                gid="site-label",
            )
            box = annotation.get_window_extent(renderer)
            chosen = (box.x0, box.y0, box.x1, box.y1)
        taken.append(chosen)


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _fmt_mw(value: float) -> str:
    if value >= 10:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _mw(result: PlacementResult, site_id: str) -> float:
    load = result.site_load(site_id)
    return 0.0 if load is None else load.training_mw + load.inference_mw


def _km_per_point(ax: Any) -> float:
    """Data units (km) per typographic point in this equal-aspect axes."""
    ax.apply_aspect()
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    box = ax.get_position()
    width_in = box.width * ax.figure.get_figwidth()
    height_in = box.height * ax.figure.get_figheight()
    return max((x1 - x0) / width_in, (y1 - y0) / height_in) / 72.0


def _radius_km(ax: Any, fraction: float) -> float:
    """Pie radius: area ∝ MW; the largest pie is 16 pt across, the smallest 3.5 pt."""
    points = max(16.0 * math.sqrt(max(fraction, 0.0)), 3.5)
    return points * _km_per_point(ax)


def _pie(
    ax: Any,
    x: float,
    y: float,
    radius: float,
    training: float,
    inference: float,
    *,
    ring: bool,
    catchment: str | None,
    linestyle: str = "solid",
) -> None:
    from matplotlib.patches import Circle, Wedge

    total = training + inference
    if total <= 0:
        ax.add_patch(Circle((x, y), radius, fc="white", ec=LIQUID_RING, lw=1.0, zorder=6))
        return
    start = 90.0
    for value, colour in ((training, TRAINING_COLOUR), (inference, INFERENCE_COLOUR)):
        if value <= 0:
            continue
        sweep = 360.0 * value / total
        ax.add_patch(
            Wedge((x, y), radius, start, start + sweep, fc=colour, ec="white", lw=0.4, zorder=6)
        )
        start += sweep
    ax.add_patch(
        Circle(
            (x, y),
            radius,
            fc="none",
            ec=LIQUID_RING if ring else (catchment or "white"),
            lw=2.2 if ring or linestyle != "solid" else 1.2,
            ls=linestyle,
            zorder=7,
        )
    )


def _decorate(
    figure: Any,
    scenario: Scenario,
    result: PlacementResult,
    ax: Any,
    notes: list[str],
    *,
    legend: bool = True,
) -> None:
    """Title, subtitle, source notes and (unless ``legend`` is False) the legend."""
    figure.suptitle(
        _title(scenario, result), x=0.01, y=0.975, ha="left", fontsize=13, fontweight="bold"
    )
    figure.text(
        0.01,
        0.935,
        _subtitle(scenario, result),
        ha="left",
        va="top",
        fontsize=10,
        color="#333333",
        linespacing=1.5,
    )
    if not result.ok and result.diagnosis:
        import textwrap

        lines = [textwrap.fill(line, 46, subsequent_indent="  ") for line in result.diagnosis[:5]]
        more = len(result.diagnosis) - len(lines)
        figure.text(
            0.79,
            0.66,
            "Why there is no placement:\n"
            + "\n".join(f"- {line}" for line in lines)
            + (f"\n… and {more} more (result.json: diagnosis)" if more > 0 else ""),
            ha="left",
            va="top",
            fontsize=7,
            color="#a50f15",
        )
    figure.text(
        0.99, 0.012, " · ".join(notes), ha="right", va="bottom", fontsize=7, color="#777777"
    )
    if legend:
        _legend(figure, scenario, result)


def _title(scenario: Scenario, result: PlacementResult) -> str:
    kpis = result.kpis
    if not result.ok or result.objective is None:
        objective = "no placement"
    else:
        objective = f"spend {_money(result.costs.spend)} USD/yr"
    slos = sorted({s for s in (scenario.region_slo_ms(r) for r in scenario.regions) if s})
    if not slos:
        slo = "none"
    else:
        slo = f"{slos[0]:g} ms" if len(slos) == 1 else f"{slos[0]:g}–{slos[-1]:g} ms"
    if kpis.weighted_mean_rtt_ms is not None and kpis.p95_rtt_ms is not None:
        rtt = (
            f"population-weighted RTT {kpis.weighted_mean_rtt_ms:.1f} ms "
            f"(p95 {kpis.p95_rtt_ms:.1f} ms, SLO {slo})"
        )
    else:
        rtt = f"SLO {slo}"
    return f"{scenario.name}: {result.status.value} · {objective} · {rtt}"


def _money(value: float) -> str:
    if abs(value) >= 1e8:
        return f"{value / 1e9:,.3f} B"
    if abs(value) >= 1e5:
        return f"{value / 1e6:,.1f} M"
    return f"{value:,.0f}"


def _subtitle(scenario: Scenario, result: PlacementResult) -> str:
    if not result.ok:
        reason = result.diagnosis[0] if result.diagnosis else result.message
        return f"no placement: {reason or result.status.value}"[:170]
    kpis = result.kpis
    train_sites = [ld for ld in result.sites if ld.training_mw > 0]
    infer_sites = [ld for ld in result.sites if ld.inference_mw > 0]
    liquid_train = any(ld.liquid_cooling for ld in train_sites)
    pieces = []
    if scenario.training:
        pieces.append(
            f"training {kpis.training_mw:,.0f} MW whole at {len(train_sites)} central "
            f"site(s){' with liquid cooling' if liquid_train else ''}"
        )
    if scenario.regions:
        pieces.append(
            f"inference {kpis.inference_mw:,.0f} MW spread over {len(infer_sites)} site(s) "
            "near users"
        )
    pieces.append(f"{len(result.sites)} of {len(scenario.sites)} candidate sites open")
    lam = scenario.economics.latency_penalty_usd_per_user_ms_year
    costs = result.costs
    penalty = (
        f"objective {_money(costs.total)} USD/yr = spend + latency penalty "
        f"{_money(costs.latency_penalty)} (λ = {lam:g} USD/user·ms·yr)"
    )
    if costs.unserved:
        penalty += f" + unserved penalty {_money(costs.unserved)}"
    return " · ".join(pieces) + "\n" + penalty


def _legend(figure: Any, scenario: Scenario, result: PlacementResult) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    largest = max((ld.training_mw + ld.inference_mw for ld in result.sites), default=0.0)
    handles = [
        Patch(fc=TRAINING_COLOUR, ec="white", label="training IT MW (pie slice)"),
        Patch(fc=INFERENCE_COLOUR, ec="white", label="inference IT MW (pie slice)"),
        Line2D(
            [],
            [],
            marker="o",
            ls="",
            ms=10,
            mfc="white",
            mec=LIQUID_RING,
            mew=2.2,
            label="liquid cooling built (dark ring)",
        ),
        Line2D(
            [],
            [],
            marker="o",
            ls="",
            ms=6,
            mfc="none",
            mec=CANDIDATE_COLOUR,
            mew=0.9,
            label="candidate site, not opened",
        ),
        Line2D(
            [],
            [],
            color=CATCHMENT_COLOURS[0],
            lw=1.0,
            label="region → serving site (opacity = share)",
        ),
        Line2D(
            [],
            [],
            marker="o",
            ls="",
            ms=4,
            mfc=DEMAND_COLOUR,
            mec="none",
            alpha=0.6,
            label="demand region (size = population)",
        ),
    ]
    if any(ring_style(ld) != "solid" for ld in result.sites):
        handles.insert(
            3,
            Line2D(
                [],
                [],
                marker="o",
                ls="",
                ms=10,
                mfc="white",
                mec=CANDIDATE_COLOUR,
                mew=1.6,
                label="leased: dashed ring · cloud: dotted ring",
            ),
        )
    handles.append(
        Line2D(
            [],
            [],
            ls="",
            label="label: T training · I inference IT MW (financing · liquid cooling)",
        )
    )
    if result.unserved:
        handles.append(
            Line2D([], [], marker="x", ls="", ms=5, mec="#d62728", label="unserved demand")
        )
    if not result.ok:
        handles = handles[3:6]  # no pies: candidates, links (none) and demand
        handles.append(
            Line2D(
                [],
                [],
                marker="X",
                ls="",
                ms=8,
                mfc="#d62728",
                mec="white",
                label=f"region with no site inside its SLO ({len(uncovered_regions(scenario))})",
            )
        )
    legend_box = figure.legend(
        handles=handles,
        loc="upper right",
        bbox_to_anchor=(0.995, 0.86),
        fontsize=8,
        frameon=True,
        framealpha=0.9,
        title=f"pie area ∝ IT MW (largest {largest:,.0f} MW)" if result.ok else "no placement",
        title_fontsize=8,
    )
    legend_box.set_zorder(20)
