"""Backbone topologies: RTT along the shortest paths of a networkx graph.

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
``RTT = inf`` (and so never eligible under a finite SLO).
"""

from __future__ import annotations

import math
import os
import warnings
from typing import Any

import networkx as nx
import numpy as np
from numpy.typing import NDArray

from placement.errors import ScenarioError
from placement.model.geodesy import FloatArray, Points, great_circle_km
from placement.model.schema import NetworkSettings

__all__ = ["Backbone", "load_backbone"]

_BLOCK_PAIRS = 4_000_000  # point-node distances per block when attaching points


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


class Backbone:
    """A backbone prepared for RTT: node coordinates and all-pairs path lengths (km)."""

    def __init__(self, graph: nx.Graph, settings: NetworkSettings):
        nodes = list(graph.nodes)
        if not nodes:
            raise ScenarioError("backbone: the graph has no node; RTT over it is undefined")
        self.settings = settings
        self.points = Points.of(
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

    def attach(self, points: Points) -> tuple[NDArray[np.intp], FloatArray]:
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
