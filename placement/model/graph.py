"""A scenario as a networkx graph and back, so an inventory kept as a graph needs no YAML.

:func:`scenario_to_graph` makes an undirected ``networkx.Graph``:

* one node per site, key ``"site:<id>"``, attribute ``kind="site"`` and every site field
  (``id``, ``lat``, ``lon``, ``power_mw``, cooling, prices, costs …);
* one node per region, key ``"region:<id>"``, ``kind="region"`` and every region field
  (``population``, demand, SLO …);
* one edge per eligible (site, region) pair (RTT within the region's SLO), with ``rtt_ms`` and
  ``km`` (great circle), and ``pair_cost_usd_per_year`` where the scenario gives one;
* ``G.graph`` holds the rest: ``name``, ``description``, ``training`` (list of cluster
  mappings), ``inference``, ``economics``, ``network``, ``rules``, ``site_defaults``,
  ``cooling_technologies`` and ``hardware`` (the menus' catalogues).

:func:`scenario_from_graph` reads any graph of that shape back: nodes with ``kind`` ``site``
or ``region`` (their ``id`` attribute, or the node key, is the id; ``None`` attributes are
left out so defaults and ``site_defaults`` apply), ``pair_cost_usd_per_year`` on edges, and
settings from ``G.graph``. Edge RTTs and distances are derived data: the model recomputes
them from the network settings (give a backbone for routed RTTs). Other nodes and attributes
(``kind`` anything else, e.g. ``"backbone"``) are ignored, so the inventory may carry more.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from placement.errors import ScenarioError
from placement.model.schema import Scenario

SETTINGS = tuple(
    f
    for f in Scenario.model_fields
    if f not in ("sites", "regions", "training", "pair_costs_usd_per_year")
)
"""Scenario fields kept in ``G.graph``: name, description, inference, economics, network, rules,
site_defaults and the cooling and hardware catalogues."""


def scenario_to_graph(scenario: Scenario) -> Any:
    """The scenario as a ``networkx.Graph`` (module docstring)."""
    import networkx as nx

    from placement.model.geodesy import great_circle_km
    from placement.model.pairs import eligible_pairs

    data = scenario.to_dict()
    graph = nx.Graph()
    for key in SETTINGS:
        graph.graph[key] = data[key]
    graph.graph["training"] = data["training"]
    for site in data["sites"]:
        graph.add_node(f"site:{site['id']}", kind="site", **site)
    for region in data["regions"]:
        graph.add_node(f"region:{region['id']}", kind="region", **region)
    pairs = eligible_pairs(scenario)
    sites, regions = scenario.sites, scenario.regions
    km = great_circle_km(
        [sites[i].lat for i in pairs.site],
        [sites[i].lon for i in pairs.site],
        [regions[j].lat for j in pairs.region],
        [regions[j].lon for j in pairs.region],
    )
    for n, (i, j) in enumerate(zip(pairs.site.tolist(), pairs.region.tolist(), strict=True)):
        graph.add_edge(
            f"site:{sites[i].id}",
            f"region:{regions[j].id}",
            rtt_ms=float(pairs.rtt_ms[n]),
            km=float(km[n]),
        )
    for sid, row in scenario.pair_costs_usd_per_year.items():
        for rid, cost in row.items():
            graph.add_edge(f"site:{sid}", f"region:{rid}", pair_cost_usd_per_year=float(cost))
    return graph


def scenario_from_graph(graph: Any, *, name: str | None = None) -> Scenario:
    """A validated scenario from a graph (module docstring); errors name the node and field."""
    sites: list[dict[str, Any]] = []
    regions: list[dict[str, Any]] = []
    node_id: dict[Any, str] = {}
    kinds: dict[Any, str] = {}
    for node, attrs in graph.nodes(data=True):
        kind = attrs.get("kind")
        if kind not in ("site", "region"):
            continue
        record = {k: v for k, v in attrs.items() if k != "kind" and v is not None}
        record.setdefault("id", str(node))
        node_id[node] = str(record["id"])
        kinds[node] = kind
        (sites if kind == "site" else regions).append(record)
    pair_costs: dict[str, dict[str, float]] = {}
    for a, b, attrs in graph.edges(data=True):
        cost = attrs.get("pair_cost_usd_per_year")
        if cost is None or {kinds.get(a), kinds.get(b)} != {"site", "region"}:
            continue
        site, region = (a, b) if kinds[a] == "site" else (b, a)
        pair_costs.setdefault(node_id[site], {})[node_id[region]] = cost
    data: dict[str, Any] = {k: v for k, v in graph.graph.items() if k in SETTINGS and v is not None}
    data.update(
        sites=sites,
        regions=regions,
        training=list(graph.graph.get("training", [])),
        pair_costs_usd_per_year=pair_costs,
    )
    if name is not None:
        data["name"] = name
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError.from_validation(exc, "graph") from None
