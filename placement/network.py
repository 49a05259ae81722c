"""Distances, round-trip times and the site–region network.

Straight-line model (the default)
---------------------------------
For site *i* and demand region *j* at distance ``d_ij`` km::

    RTT_ij = base_rtt_ms + 2 · route_factor · d_ij / fiber_km_per_ms            [ms]

The factor 2 makes it a round trip, ``route_factor`` (≥ 1) turns the great circle into a fibre
route, and ``fiber_km_per_ms`` (≈ 204, light in glass with refractive index ≈ 1.47) turns fibre
length into time. ``d_ij`` is the great-circle distance on a sphere of radius
``geopy.distance.EARTH_RADIUS`` = 6371.009 km, or the geodesic on the WGS-84 ellipsoid
(``NetworkSettings.distance``). Both are computed vectorised with numpy and agree with
:mod:`geopy.distance` (great circle to floating-point precision, geodesic to well under 1 mm).

Backbone model (``NetworkSettings.backbone_graphml`` set)
---------------------------------------------------------
Traffic follows a backbone topology (e.g. an Internet Topology Zoo GraphML file). Every site and
every region attaches to its *nearest* backbone node by great-circle distance ``g``; each access
leg is a fibre of ``route_factor · g`` km. Backbone links have the great-circle length of their
end points (``km``), and a backbone path is the shortest path over ``backbone_route_factor · km``
(all-pairs Dijkstra over the backbone nodes, computed once). Then::

    RTT_ij = base_rtt_ms
             + 2 · (route_factor · g(i, n_i) + P(n_i, n_j) + route_factor · g(j, n_j))
               / fiber_km_per_ms

where ``n_i``, ``n_j`` are the attachment nodes and ``P`` the backbone path length in km (0 when
both attach to the same node). Every pair's traffic enters the backbone, so even two points next
to each other pay both access legs. Since both route factors are ≥ 1, the triangle inequality
gives RTT_ij ≥ base_rtt_ms + 2 · d_ij / fiber_km_per_ms (never faster than light in glass along
the great circle), but it may undercut the straight-line model when ``backbone_route_factor`` is
below ``route_factor`` (known links are straighter than the assumed detour). Pairs whose
attachment nodes lie in different connected components of the backbone are unreachable:
``RTT = inf`` (and so never eligible under a finite SLO). A relative ``backbone_graphml`` path is
resolved against the current working directory.

Eligible pairs
--------------
A site–region pair exists in the model only if ``RTT_ij ≤ SLO_j`` (``Scenario.region_slo_ms``;
no SLO keeps every reachable pair). The pruning is exact — the same floating-point RTT is
compared with the SLO — and is computed in blocks of regions so memory stays bounded (1,000 sites
× 30,000 regions never needs the dense 30-million-entry matrix).
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import networkx as nx
import numpy as np
from geopy.distance import EARTH_RADIUS, ELLIPSOIDS
from geopy.distance import geodesic as _geopy_geodesic
from numpy.typing import ArrayLike, NDArray

from placement.errors import ScenarioError
from placement.schema import NetworkSettings, Scenario

__all__ = [
    "EARTH_RADIUS_KM",
    "WGS84_A_KM",
    "WGS84_F",
    "DistanceMethod",
    "EligiblePairs",
    "backbone_rtt_matrix",
    "build_graph",
    "distance_matrix_km",
    "eligible_pairs",
    "geodesic_km",
    "great_circle_km",
    "load_backbone",
    "nearest_rtt_ms",
    "nearest_site",
    "pair_km",
    "regions_without_site",
    "rtt_matrix",
    "rtt_ms",
]

DistanceMethod = Literal["great_circle", "geodesic"]
FloatArray = NDArray[np.float64]

EARTH_RADIUS_KM: float = float(EARTH_RADIUS)
"""Mean Earth radius used for great-circle distances (geopy's), km."""
WGS84_A_KM: float = float(ELLIPSOIDS["WGS-84"][0])
"""WGS-84 semi-major axis, km."""
WGS84_F: float = float(ELLIPSOIDS["WGS-84"][2])
"""WGS-84 flattening."""

_VINCENTY_TOL = 1e-12  # radians of λ; ≈ 0.006 mm on the ground
_VINCENTY_MAX_ITER = 200
_BLOCK_PAIRS = 4_000_000  # pairs per block when a helper chunks internally
_VINCENTY_BLOCK = 262_144  # pairs per Vincenty call (its working arrays stay small)


# ============================================================================ distances
def great_circle_km(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> Any:
    """Great-circle distance in km between points given in degrees (numpy broadcasting).

    On a sphere of radius R = ``geopy.distance.EARTH_RADIUS`` (6371.009 km), with latitudes φ,
    longitudes λ and Δλ = λ₂ − λ₁, the central angle σ is::

        σ = atan2( √[(cos φ₂ sin Δλ)² + (cos φ₁ sin φ₂ − sin φ₁ cos φ₂ cos Δλ)²],
                   sin φ₁ sin φ₂ + cos φ₁ cos φ₂ cos Δλ )

    and the distance is R·σ. This is the same angle as the haversine formula,
    σ = 2 asin √[sin²(Δφ/2) + cos φ₁ cos φ₂ sin²(Δλ/2)], written in the atan2 form that
    ``geopy.distance.great_circle`` uses, which stays accurate for coincident *and* antipodal
    points (the haversine form loses precision near antipodes).

    Inputs broadcast against each other; the result has the broadcast shape (a numpy float for
    scalar inputs).
    """
    p1 = np.radians(np.asarray(lat1, dtype=np.float64))
    l1 = np.radians(np.asarray(lon1, dtype=np.float64))
    p2 = np.radians(np.asarray(lat2, dtype=np.float64))
    l2 = np.radians(np.asarray(lon2, dtype=np.float64))
    dl = l2 - l1
    return _central_angle(np.sin(p1), np.cos(p1), np.sin(p2), np.cos(p2), np.sin(dl), np.cos(dl))


def _central_angle(
    sin_p1: Any, cos_p1: Any, sin_p2: Any, cos_p2: Any, sin_dl: Any, cos_dl: Any
) -> Any:
    """R·σ from the sines and cosines (see :func:`great_circle_km`)."""
    y = np.hypot(cos_p2 * sin_dl, cos_p1 * sin_p2 - sin_p1 * cos_p2 * cos_dl)
    x = sin_p1 * sin_p2 + cos_p1 * cos_p2 * cos_dl
    return EARTH_RADIUS_KM * np.arctan2(y, x)


def geodesic_km(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> Any:
    """Geodesic (shortest ellipsoidal) distance in km on WGS-84, points in degrees.

    Vincenty's inverse formula (1975), iterated element-wise in numpy. With a, f the WGS-84
    semi-major axis and flattening, b = (1 − f)·a, reduced latitudes tan U = (1 − f) tan φ and
    L = λ₂ − λ₁, iterate from λ = L until |Δλ| < 1e-12::

        sin σ  = √[(cos U₂ sin λ)² + (cos U₁ sin U₂ − sin U₁ cos U₂ cos λ)²]
        cos σ  = sin U₁ sin U₂ + cos U₁ cos U₂ cos λ,       σ = atan2(sin σ, cos σ)
        sin α  = cos U₁ cos U₂ sin λ / sin σ,               cos²α = 1 − sin²α
        cos 2σₘ = cos σ − 2 sin U₁ sin U₂ / cos²α           (0 on the equator, cos²α = 0)
        C      = f/16 · cos²α · (4 + f (4 − 3 cos²α))
        λ      = L + (1 − C) f sin α · (σ + C sin σ (cos 2σₘ + C cos σ (−1 + 2 cos² 2σₘ)))

    then, with u² = cos²α (a² − b²)/b²::

        A  = 1 + u²/16384 · (4096 + u² (−768 + u² (320 − 175 u²)))
        B  = u²/1024 · (256 + u² (−128 + u² (74 − 47 u²)))
        Δσ = B sin σ (cos 2σₘ + B/4 (cos σ (−1 + 2 cos² 2σₘ)
                      − B/6 cos 2σₘ (−3 + 4 sin² σ)(−3 + 4 cos² 2σₘ)))
        s  = b · A · (σ − Δσ)

    Vincenty's series is accurate to ≈ 0.5 mm (< 0.1 mm against geopy, measured). It fails to
    converge only for nearly antipodal points; those few pairs (and any pair with |λ| > π) are
    handed to ``geopy.distance.geodesic`` (Karney's algorithm) one by one. Inputs broadcast;
    the result has the broadcast shape.
    """
    arrays = np.broadcast_arrays(
        np.asarray(lat1, dtype=np.float64),
        np.asarray(lon1, dtype=np.float64),
        np.asarray(lat2, dtype=np.float64),
        np.asarray(lon2, dtype=np.float64),
    )
    shape = arrays[0].shape
    lat1_deg, lon1_deg, lat2_deg, lon2_deg = (a.ravel() for a in arrays)
    out = np.empty(lat1_deg.size, dtype=np.float64)
    for lo in range(0, out.size, _VINCENTY_BLOCK):
        hi = lo + _VINCENTY_BLOCK
        s1, c1 = _reduced_latitude(np.radians(lat1_deg[lo:hi]))
        s2, c2 = _reduced_latitude(np.radians(lat2_deg[lo:hi]))
        big_l = _wrap_pi(np.radians(lon2_deg[lo:hi]) - np.radians(lon1_deg[lo:hi]))
        block = out[lo:hi]
        block[:] = _vincenty_km(s1, c1, s2, c2, big_l)
        for k in np.flatnonzero(np.isnan(block)):
            block[k] = _karney_km(
                lat1_deg[lo + k], lon1_deg[lo + k], lat2_deg[lo + k], lon2_deg[lo + k]
            )
    out = out.reshape(shape)
    return out[()] if out.ndim == 0 else out


def _karney_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """One geodesic by geopy (Karney's algorithm): the fallback where Vincenty fails."""
    return float(
        _geopy_geodesic(
            (float(lat1), float(lon1)), (float(lat2), float(lon2)), ellipsoid="WGS-84"
        ).km
    )


def _wrap_pi(angle: FloatArray) -> FloatArray:
    """Angle in radians wrapped to [−π, π)."""
    return np.mod(angle + np.pi, 2.0 * np.pi) - np.pi


def _reduced_latitude(phi: FloatArray) -> tuple[FloatArray, FloatArray]:
    """sin U, cos U of the reduced latitude tan U = (1 − f) tan φ (robust at the poles)."""
    u = np.arctan2((1.0 - WGS84_F) * np.sin(phi), np.cos(phi))
    return np.sin(u), np.cos(u)


def _vincenty_km(
    sin_u1: FloatArray,
    cos_u1: FloatArray,
    sin_u2: FloatArray,
    cos_u2: FloatArray,
    big_l: FloatArray,
) -> FloatArray:
    """Vincenty's inverse on flat, equally long arrays (see :func:`geodesic_km`), km.

    Pairs that do not converge, or converge to |λ| > π (nearly antipodal points), come back as
    NaN for the caller to hand to :func:`_karney_km`. The iteration works on a shrinking set:
    a pair leaves it, with its distance evaluated, as soon as it has converged.
    """
    out = np.full(big_l.size, np.nan)
    idx = np.arange(big_l.size)
    su1, cu1, su2, cu2, ll = sin_u1, cos_u1, sin_u2, cos_u2, big_l
    lam = ll
    for _ in range(_VINCENTY_MAX_ITER):
        sin_lam, cos_lam = np.sin(lam), np.cos(lam)
        ss = np.hypot(cu2 * sin_lam, cu1 * su2 - su1 * cu2 * cos_lam)
        cs = su1 * su2 + cu1 * cu2 * cos_lam
        sg = np.arctan2(ss, cs)
        coincident = ss == 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            sin_alpha = np.where(coincident, 0.0, cu1 * cu2 * sin_lam / ss)
            c2a = 1.0 - sin_alpha * sin_alpha
            c2sm = np.where(c2a == 0.0, 0.0, cs - 2.0 * su1 * su2 / c2a)
        cc = WGS84_F / 16.0 * c2a * (4.0 + WGS84_F * (4.0 - 3.0 * c2a))
        new_lam = ll + (1.0 - cc) * WGS84_F * sin_alpha * (
            sg + cc * ss * (c2sm + cc * cs * (-1.0 + 2.0 * c2sm * c2sm))
        )
        done = (np.abs(new_lam - lam) < _VINCENTY_TOL) | coincident
        if done.any():
            good = done & (np.abs(new_lam) <= np.pi)
            out[idx[good]] = _vincenty_series_km(
                ss[good], cs[good], sg[good], c2a[good], c2sm[good]
            )
            keep = ~done
            idx, su1, cu1, su2, cu2, ll = (x[keep] for x in (idx, su1, cu1, su2, cu2, ll))
            new_lam = new_lam[keep]
            if idx.size == 0:
                break
        lam = new_lam
    return out


def _vincenty_series_km(
    sin_sigma: FloatArray,
    cos_sigma: FloatArray,
    sigma: FloatArray,
    cos2_alpha: FloatArray,
    cos_2sm: FloatArray,
) -> FloatArray:
    """s = b · A · (σ − Δσ), Vincenty's closing series (see :func:`geodesic_km`)."""
    a = WGS84_A_KM
    b = (1.0 - WGS84_F) * a
    u2 = cos2_alpha * (a * a - b * b) / (b * b)
    big_a = 1.0 + u2 / 16384.0 * (4096.0 + u2 * (-768.0 + u2 * (320.0 - 175.0 * u2)))
    big_b = u2 / 1024.0 * (256.0 + u2 * (-128.0 + u2 * (74.0 - 47.0 * u2)))
    c2 = cos_2sm * cos_2sm
    inner = cos_sigma * (-1.0 + 2.0 * c2) - big_b / 6.0 * cos_2sm * (
        -3.0 + 4.0 * sin_sigma * sin_sigma
    ) * (-3.0 + 4.0 * c2)
    d_sigma = big_b * sin_sigma * (cos_2sm + big_b / 4.0 * inner)
    return b * big_a * (sigma - d_sigma)


def distance_matrix_km(
    site_lat: ArrayLike,
    site_lon: ArrayLike,
    region_lat: ArrayLike,
    region_lon: ArrayLike,
    method: DistanceMethod = "great_circle",
) -> FloatArray:
    """Distances in km, shape (n_sites, n_regions): entry [i, j] = d(site i, region j).

    ``method`` is ``"great_circle"`` (:func:`great_circle_km`) or ``"geodesic"``
    (:func:`geodesic_km`). Trigonometry is evaluated once per point, not per pair: with
    sin/cos of each longitude, sin Δλ = sin λ₂ cos λ₁ − cos λ₂ sin λ₁ and
    cos Δλ = cos λ₂ cos λ₁ + sin λ₂ sin λ₁.
    """
    return _Points.of(site_lat, site_lon).distance_to(_Points.of(region_lat, region_lon), method)


@dataclass(frozen=True)
class _Points:
    """Points with their trigonometry precomputed (for many-to-many distances)."""

    lat: FloatArray
    lon: FloatArray
    sin_p: FloatArray
    cos_p: FloatArray
    sin_l: FloatArray
    cos_l: FloatArray
    sin_u: FloatArray  # reduced latitude (WGS-84), for Vincenty
    cos_u: FloatArray

    @classmethod
    def of(cls, lat: ArrayLike, lon: ArrayLike) -> _Points:
        la = np.ascontiguousarray(lat, dtype=np.float64).ravel()
        lo = np.ascontiguousarray(lon, dtype=np.float64).ravel()
        if la.shape != lo.shape:
            raise ValueError(f"latitude and longitude lengths differ: {la.size} vs {lo.size}")
        p, lam = np.radians(la), np.radians(lo)
        su, cu = _reduced_latitude(p)
        return cls(la, lo, np.sin(p), np.cos(p), np.sin(lam), np.cos(lam), su, cu)

    def __len__(self) -> int:
        return int(self.lat.size)

    def take(self, index: slice | NDArray[np.integer]) -> _Points:
        return _Points(*(getattr(self, name)[index] for name in self.__dataclass_fields__))

    def distance_to(self, other: _Points, method: DistanceMethod) -> FloatArray:
        """Distance matrix (len(self), len(other)) in km."""
        if method == "great_circle":
            return self.great_circle_to(other)
        if method == "geodesic":
            return self.geodesic_to(other)
        raise ValueError(f"distance method = {method!r}: unknown; use 'great_circle' or 'geodesic'")

    def geodesic_to(self, other: _Points) -> FloatArray:
        """Vincenty matrix (len(self), len(other)), in row blocks of bounded size."""
        n, m = len(self), len(other)
        out = np.empty((n, m), dtype=np.float64)
        rows = max(1, _VINCENTY_BLOCK // max(1, m))
        for lo in range(0, n, rows):
            hi = min(lo + rows, n)
            shape = (hi - lo, m)
            c_l, s_l = self.cos_l[lo:hi, None], self.sin_l[lo:hi, None]
            big_l = np.arctan2(  # Δλ in [−π, π] from the sines and cosines of λ
                other.sin_l[None, :] * c_l - other.cos_l[None, :] * s_l,
                other.cos_l[None, :] * c_l + other.sin_l[None, :] * s_l,
            )
            block = _vincenty_km(
                np.broadcast_to(self.sin_u[lo:hi, None], shape).ravel(),
                np.broadcast_to(self.cos_u[lo:hi, None], shape).ravel(),
                np.broadcast_to(other.sin_u[None, :], shape).ravel(),
                np.broadcast_to(other.cos_u[None, :], shape).ravel(),
                big_l.ravel(),
            ).reshape(shape)
            for i, j in zip(*np.nonzero(np.isnan(block)), strict=True):
                block[i, j] = _karney_km(
                    self.lat[lo + i], self.lon[lo + i], other.lat[j], other.lon[j]
                )
            out[lo:hi] = block
        return out

    def great_circle_to(self, other: _Points) -> FloatArray:
        s_l, c_l = self.sin_l[:, None], self.cos_l[:, None]
        sin_dl = other.sin_l[None, :] * c_l - other.cos_l[None, :] * s_l
        cos_dl = other.cos_l[None, :] * c_l + other.sin_l[None, :] * s_l
        return _central_angle(
            self.sin_p[:, None],
            self.cos_p[:, None],
            other.sin_p[None, :],
            other.cos_p[None, :],
            sin_dl,
            cos_dl,
        )

    def pairwise(self, other: _Points, method: DistanceMethod) -> FloatArray:
        """Element-wise distances self[k] ↔ other[k] (equal lengths), km."""
        if method == "great_circle":
            return np.asarray(great_circle_km(self.lat, self.lon, other.lat, other.lon))
        if method == "geodesic":
            return np.asarray(geodesic_km(self.lat, self.lon, other.lat, other.lon))
        raise ValueError(f"distance method = {method!r}: unknown; use 'great_circle' or 'geodesic'")


# ============================================================================ RTT
def rtt_ms(distance_km: ArrayLike, settings: NetworkSettings) -> Any:
    """Round-trip time in ms over a straight-line distance in km (element-wise)::

    RTT = base_rtt_ms + 2 · route_factor · distance_km / fiber_km_per_ms
    """
    d = np.asarray(distance_km, dtype=np.float64)
    return settings.base_rtt_ms + (2.0 * settings.route_factor / settings.fiber_km_per_ms) * d


# ============================================================================ backbone
def load_backbone(path: str | os.PathLike[str]) -> nx.Graph:
    """Read a backbone topology from GraphML (Internet Topology Zoo layout).

    Nodes need numeric ``Latitude`` and ``Longitude`` (degrees); nodes lacking them are dropped
    with a :class:`UserWarning` that says how many (their links go with them). Parallel links
    (a MultiGraph) collapse to one, direction is ignored, self-loops are removed. Each node
    gains ``lat``/``lon`` floats; each link gains ``km``, the great-circle length between its end
    points. A backbone left in several connected components also warns: pairs attached to
    different components are unreachable. ``graph.graph["dropped_nodes"]`` lists the dropped
    node ids.

    Raises :class:`ScenarioError` when the file cannot be read or no node has coordinates.
    """
    try:
        raw = nx.read_graphml(os.fspath(path))
    except (OSError, nx.NetworkXError, ValueError, KeyError, SyntaxError) as exc:
        # SyntaxError covers xml.etree's ParseError (malformed XML)
        raise ScenarioError(
            f"backbone GraphML {os.fspath(path)!r}: cannot read ({type(exc).__name__}: {exc})"
        ) from None
    graph = nx.Graph()
    graph.graph.update(raw.graph)
    dropped: list[Any] = []
    for node, data in raw.nodes(data=True):
        lat, lon = _coordinate(data.get("Latitude")), _coordinate(data.get("Longitude"))
        if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            dropped.append(node)
            continue
        graph.add_node(node, **{**data, "lat": lat, "lon": lon})
    for u, v in raw.edges():
        if u != v and u in graph and v in graph:
            graph.add_edge(u, v)
    if graph.number_of_nodes() == 0:
        raise ScenarioError(
            f"backbone GraphML {os.fspath(path)!r}: no node has Latitude/Longitude "
            f"({raw.number_of_nodes()} node(s) read); the backbone needs node coordinates"
        )
    if dropped:
        labels = ", ".join(repr(raw.nodes[n].get("label", n)) for n in dropped[:10])
        more = ", ..." if len(dropped) > 10 else ""
        warnings.warn(
            f"backbone GraphML {os.fspath(path)!r}: dropped {len(dropped)} of "
            f"{raw.number_of_nodes()} node(s) without Latitude/Longitude ({labels}{more})",
            UserWarning,
            stacklevel=2,
        )
    graph.graph["dropped_nodes"] = dropped
    if graph.number_of_edges():
        lat = nx.get_node_attributes(graph, "lat")
        lon = nx.get_node_attributes(graph, "lon")
        ends = np.array([(lat[u], lon[u], lat[v], lon[v]) for u, v in graph.edges()])
        km = great_circle_km(ends[:, 0], ends[:, 1], ends[:, 2], ends[:, 3])
        nx.set_edge_attributes(graph, dict(zip(graph.edges(), km.tolist(), strict=True)), name="km")
    components = nx.number_connected_components(graph)
    if components > 1:
        warnings.warn(
            f"backbone GraphML {os.fspath(path)!r}: {components} connected components; "
            "site-region pairs attached to different components are unreachable (RTT = inf)",
            UserWarning,
            stacklevel=2,
        )
    return graph


def _coordinate(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


class _Backbone:
    """A backbone prepared for RTT: node coordinates and all-pairs path lengths (km)."""

    def __init__(self, graph: nx.Graph, settings: NetworkSettings):
        nodes = list(graph.nodes)
        if not nodes:
            raise ScenarioError("backbone: the graph has no node; RTT over it is undefined")
        self.settings = settings
        self.points = _Points.of(
            [_node_coordinate(graph, n, "lat", "Latitude") for n in nodes],
            [_node_coordinate(graph, n, "lon", "Longitude") for n in nodes],
        )
        index = {n: k for k, n in enumerate(nodes)}
        path = np.full((len(nodes), len(nodes)), np.inf)
        for src, lengths in nx.all_pairs_dijkstra_path_length(graph, weight=_edge_km):
            row = path[index[src]]
            targets = np.fromiter((index[t] for t in lengths), dtype=np.intp, count=len(lengths))
            row[targets] = np.fromiter(lengths.values(), dtype=np.float64, count=len(lengths))
        self.path_km = settings.backbone_route_factor * path

    def attach(self, points: _Points) -> tuple[NDArray[np.intp], FloatArray]:
        """Nearest backbone node of each point and the access-leg fibre length (km)."""
        node = np.empty(len(points), dtype=np.intp)
        access = np.empty(len(points), dtype=np.float64)
        step = max(1, _BLOCK_PAIRS // max(1, len(self.points)))
        for start in range(0, len(points), step):
            block = points.take(slice(start, start + step)).great_circle_to(self.points)
            near = np.argmin(block, axis=1)
            node[start : start + step] = near
            access[start : start + step] = block[np.arange(block.shape[0]), near]
        return node, self.settings.route_factor * access

    def rtt(
        self,
        site_node: NDArray[np.intp],
        site_access_km: FloatArray,
        region_node: NDArray[np.intp],
        region_access_km: FloatArray,
    ) -> FloatArray:
        """RTT (n_sites, n_regions) in ms for attached sites and regions."""
        s = self.settings
        km = self.path_km[np.ix_(site_node, region_node)]
        km += site_access_km[:, None]
        km += region_access_km[None, :]
        return s.base_rtt_ms + (2.0 / s.fiber_km_per_ms) * km


def _node_coordinate(graph: nx.Graph, node: Any, short: str, zoo: str) -> float:
    data = graph.nodes[node]
    value = _coordinate(data.get(short, data.get(zoo)))
    if value is None:
        raise ScenarioError(f"backbone node {node!r}: no {zoo}; every node needs coordinates")
    return value


def _edge_km(u: Any, v: Any, data: dict[str, Any]) -> float:
    km = data.get("km")
    if km is None:
        raise ScenarioError(f"backbone link {u!r}-{v!r} has no 'km'; load it with load_backbone")
    return float(km)


def backbone_rtt_matrix(scenario: Scenario, graph: nx.Graph) -> FloatArray:
    """RTT in ms over a backbone, shape (n_sites, n_regions); ``inf`` where unreachable.

    Each site and each region attaches to its nearest backbone node (great circle); access legs
    are ``route_factor`` × great-circle km, backbone paths the shortest path over
    ``backbone_route_factor`` × link ``km`` (all-pairs Dijkstra, once), and
    RTT = base_rtt_ms + 2 · (access_site + path + access_region) / fiber_km_per_ms.
    ``graph`` is as returned by :func:`load_backbone` (links need ``km``; nodes ``lat``/``lon``
    or ``Latitude``/``Longitude``).
    """
    backbone = _Backbone(graph, scenario.network)
    site_node, site_access = backbone.attach(_site_points(scenario))
    region_node, region_access = backbone.attach(_region_points(scenario))
    return backbone.rtt(site_node, site_access, region_node, region_access)


# ============================================================================ RTT blocks
def _site_points(scenario: Scenario) -> _Points:
    return _Points.of([s.lat for s in scenario.sites], [s.lon for s in scenario.sites])


def _region_points(scenario: Scenario) -> _Points:
    return _Points.of([r.lat for r in scenario.regions], [r.lon for r in scenario.regions])


def _rtt_blocks(scenario: Scenario, chunk_regions: int) -> Iterator[tuple[int, FloatArray]]:
    """Yield (first region index, RTT block of shape (n_sites, ≤ chunk_regions)).

    Every RTT is computed by the same element-wise arithmetic whatever the chunk size, so
    chunked and dense results are bit-for-bit equal.
    """
    if isinstance(chunk_regions, bool) or not isinstance(chunk_regions, int | np.integer):
        raise TypeError(f"chunk_regions = {chunk_regions!r}: must be an int")
    if chunk_regions < 1:
        raise ValueError(f"chunk_regions = {chunk_regions}: must be at least 1")
    settings = scenario.network
    sites = _site_points(scenario)
    regions = _region_points(scenario)
    m = len(regions)
    if settings.backbone_graphml is not None:
        backbone = _Backbone(load_backbone(settings.backbone_graphml), settings)
        site_node, site_access = backbone.attach(sites)
        region_node, region_access = backbone.attach(regions)
        for start in range(0, m, chunk_regions):
            stop = min(start + chunk_regions, m)
            yield (
                start,
                backbone.rtt(
                    site_node, site_access, region_node[start:stop], region_access[start:stop]
                ),
            )
        return
    for start in range(0, m, chunk_regions):
        block = regions.take(slice(start, start + chunk_regions))
        yield start, rtt_ms(sites.distance_to(block, settings.distance), settings)


def rtt_matrix(scenario: Scenario) -> FloatArray:
    """Dense RTT in ms, shape (n_sites, n_regions).

    Over the backbone when ``scenario.network.backbone_graphml`` is set (see
    :func:`backbone_rtt_matrix`), otherwise RTT = base + 2 · route_factor · d / fiber with d the
    configured distance (``great_circle`` or ``geodesic``). Memory is n_sites × n_regions
    floats; for large scenarios use :func:`eligible_pairs`.
    """
    out = np.empty((len(scenario.sites), len(scenario.regions)), dtype=np.float64)
    for start, block in _rtt_blocks(scenario, _default_chunk(scenario)):
        out[:, start : start + block.shape[1]] = block
    return out


def _default_chunk(scenario: Scenario) -> int:
    return max(1, _BLOCK_PAIRS // max(1, len(scenario.sites)))


def _slo_vector(scenario: Scenario) -> FloatArray:
    """Each region's SLO in ms; +inf where the region has none."""
    return np.array(
        [math.inf if (v := scenario.region_slo_ms(r)) is None else v for r in scenario.regions],
        dtype=np.float64,
    )


# ============================================================================ pairs
@dataclass(frozen=True, eq=False)
class EligiblePairs:
    """Site–region pairs inside the region's latency SLO, sorted by region then site.

    ``site[k]``, ``region[k]`` index ``scenario.sites`` / ``scenario.regions``; ``rtt_ms[k]`` is
    the pair's RTT. The arrays are read-only.
    """

    site: NDArray[np.int32]
    region: NDArray[np.int32]
    rtt_ms: FloatArray

    def __post_init__(self) -> None:
        for name in ("site", "region", "rtt_ms"):
            getattr(self, name).flags.writeable = False

    def __len__(self) -> int:
        return int(self.site.size)


def eligible_pairs(scenario: Scenario, chunk_regions: int = 2048) -> EligiblePairs:
    """All pairs (i, j) with RTT_ij ≤ SLO_j (every pair when region j has no SLO).

    Exact: the kept pairs are exactly those of the dense filter ``rtt_matrix(s) <= slo``. RTTs
    are computed ``chunk_regions`` regions at a time, so memory holds one
    n_sites × chunk_regions block plus the pairs kept. Unreachable pairs (RTT = inf over a
    disconnected backbone) are never kept, even without an SLO.
    """
    slo = _slo_vector(scenario)
    sites: list[NDArray[np.int32]] = []
    regions: list[NDArray[np.int32]] = []
    rtts: list[FloatArray] = []
    for start, block in _rtt_blocks(scenario, chunk_regions):
        by_region = block.T  # (k, n_sites) view: nonzero() walks region-major
        keep = (by_region <= slo[start : start + by_region.shape[0], None]) & np.isfinite(by_region)
        j, i = np.nonzero(keep)
        regions.append((j + start).astype(np.int32))
        sites.append(i.astype(np.int32))
        rtts.append(by_region[j, i])
    if not rtts:
        empty_i = np.empty(0, dtype=np.int32)
        return EligiblePairs(empty_i, empty_i.copy(), np.empty(0, dtype=np.float64))
    return EligiblePairs(
        site=np.concatenate(sites),
        region=np.concatenate(regions),
        rtt_ms=np.concatenate(rtts).astype(np.float64, copy=False),
    )


def regions_without_site(scenario: Scenario, pairs: EligiblePairs) -> list[int]:
    """Indices of regions that have no eligible pair (no site within their SLO)."""
    count = np.bincount(pairs.region, minlength=len(scenario.regions))
    return np.flatnonzero(count == 0).tolist()


def nearest_site(
    scenario: Scenario, chunk_regions: int = 2048
) -> tuple[NDArray[np.int32], FloatArray]:
    """Per region: index of the site with the smallest RTT, and that RTT in ms.

    Ties go to the lower site index; the RTT is ``inf`` if no site is reachable.
    """
    m = len(scenario.regions)
    best = np.empty(m, dtype=np.int32)
    rtt = np.empty(m, dtype=np.float64)
    for start, block in _rtt_blocks(scenario, chunk_regions):
        stop = start + block.shape[1]
        best[start:stop] = np.argmin(block, axis=0)
        rtt[start:stop] = block[best[start:stop], np.arange(block.shape[1])]
    return best, rtt


def nearest_rtt_ms(scenario: Scenario, chunk_regions: int = 2048) -> FloatArray:
    """Per region, the smallest RTT in ms to any site (``inf`` if none is reachable).

    For diagnostics: a region whose nearest RTT exceeds its SLO cannot be served.
    """
    return nearest_site(scenario, chunk_regions)[1]


def pair_km(scenario: Scenario, pairs: EligiblePairs) -> FloatArray:
    """Site–region distance in km of each pair, by the scenario's distance method.

    This is the geographic distance, not the fibre route (RTT carries the route).
    """
    return (
        _site_points(scenario)
        .take(pairs.site)
        .pairwise(_region_points(scenario).take(pairs.region), scenario.network.distance)
    )


# ============================================================================ graph
def build_graph(scenario: Scenario, pairs: EligiblePairs | None = None) -> nx.Graph:
    """The site–region network as an undirected networkx graph.

    Nodes ``("site", id)`` carry ``kind="site"`` and every :class:`Site` field; nodes
    ``("region", id)`` carry ``kind="region"`` and every :class:`Region` field. One edge per
    eligible pair (``pairs``, computed by :func:`eligible_pairs` if not given) carries
    ``rtt_ms`` and ``km`` (geographic distance, see :func:`pair_km`).
    """
    if pairs is None:
        pairs = eligible_pairs(scenario)
    graph = nx.Graph(name=scenario.name)
    graph.add_nodes_from(
        (("site", s.id), {**s.model_dump(), "kind": "site"}) for s in scenario.sites
    )
    graph.add_nodes_from(
        (("region", r.id), {**r.model_dump(), "kind": "region"}) for r in scenario.regions
    )
    site_ids = [s.id for s in scenario.sites]
    region_ids = [r.id for r in scenario.regions]
    km = pair_km(scenario, pairs)
    graph.add_edges_from(
        (("site", site_ids[i]), ("region", region_ids[j]), {"rtt_ms": t, "km": d})
        for i, j, t, d in zip(
            pairs.site.tolist(),
            pairs.region.tolist(),
            pairs.rtt_ms.tolist(),
            km.tolist(),
            strict=True,
        )
    )
    return graph
