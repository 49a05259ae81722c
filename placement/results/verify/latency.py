"""Round-trip times recomputed for verification with geopy and networkx alone.

The straight-line model: RTT = base + 2 · route factor · distance / fibre speed, the distance
by ``geopy.distance.great_circle`` or ``geodesic``. Over a backbone GraphML: see
:class:`BackboneRtt`. Nothing here calls the model builder's own RTT code.
"""

from __future__ import annotations

import math

import networkx as nx
from geopy.distance import geodesic, great_circle

from placement.model.schema import NetworkSettings, Region, Scenario, Site


class Rtt:
    """RTT between a site and a region for one scenario (the backbone loaded once)."""

    def __init__(self, scenario: Scenario):
        self.net = scenario.network
        self._backbone: BackboneRtt | None = None

    def __call__(self, site: Site, region: Region) -> float:
        net = self.net
        if net.backbone_graphml:
            if self._backbone is None:
                self._backbone = BackboneRtt(net)
            return self._backbone.rtt_ms((site.lat, site.lon), (region.lat, region.lon))
        measure = geodesic if net.distance == "geodesic" else great_circle
        km = measure((site.lat, site.lon), (region.lat, region.lon)).km
        return net.base_rtt_ms + 2.0 * net.route_factor * km / net.fiber_km_per_ms


class BackboneRtt:
    """RTT over a backbone GraphML, recomputed with networkx and geopy alone.

    Every point attaches to its nearest node (great circle); access legs are route_factor ×
    that distance, backbone links their great-circle length × backbone_route_factor, paths the
    shortest ones (Dijkstra), and RTT = base + 2 · (access + path + access) / fibre speed.
    Nodes without numeric Latitude/Longitude are left out with their links.
    """

    def __init__(self, net: NetworkSettings):
        self.net = net
        raw = nx.read_graphml(net.backbone_graphml)
        graph = nx.Graph()
        for node, attrs in raw.nodes(data=True):
            point = _lat_lon(attrs)
            if point is not None:
                graph.add_node(node, point=point)
        for u, v in raw.edges():
            if u != v and u in graph and v in graph:
                km = great_circle(graph.nodes[u]["point"], graph.nodes[v]["point"]).km
                graph.add_edge(u, v, weight=net.backbone_route_factor * km)
        self.graph = graph
        self.nodes = list(graph.nodes)
        self.paths: dict[object, dict[object, float]] = {}
        self.attached: dict[tuple[float, float], tuple[object, float]] = {}

    def attach(self, point: tuple[float, float]) -> tuple[object, float]:
        if point not in self.attached:
            km, node = min(
                (great_circle(point, self.graph.nodes[n]["point"]).km, i)
                for i, n in enumerate(self.nodes)
            )
            self.attached[point] = (self.nodes[node], km)
        return self.attached[point]

    def rtt_ms(self, site: tuple[float, float], region: tuple[float, float]) -> float:
        (a, km_a), (b, km_b) = self.attach(site), self.attach(region)
        if a not in self.paths:
            self.paths[a] = nx.single_source_dijkstra_path_length(self.graph, a)
        path = self.paths[a].get(b, math.inf)
        net = self.net
        fibre = net.route_factor * (km_a + km_b) + path
        return net.base_rtt_ms + 2.0 * fibre / net.fiber_km_per_ms


def _lat_lon(attrs: dict) -> tuple[float, float] | None:
    try:
        lat, lon = float(attrs["Latitude"]), float(attrs["Longitude"])
    except (KeyError, TypeError, ValueError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon
