"""N-1 checked again: for every open site's failure, a max-flow on the site–region graph.

Independent of the model: installed capacity per (site, financing, hardware) is the work the
result's assignments serve there (region work × share) plus the spare capacity it lists; a
region may be served from there during a failure when the RTT (recomputed with geopy or the
backbone, :mod:`placement.results.verify.latency`) plus the hardware's service time is within
``max(SLO, degraded_slo_ms)``. For each open site e, networkx's maximum flow from the
capacities not at e to the regions' served demand must carry all of it. Regions that see the
same surviving capacities are merged first (the same flow, exactly), and capacities are scaled
to integers, on which networkx's max-flow is exact.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable

import networkx as nx

from placement.model.schema import Scenario
from placement.results.result import PlacementResult
from placement.results.verify import terms
from placement.results.verify.latency import Rtt

FLOW_RTOL = 1e-6
INTEGER_UNITS = 1e9  # the total demand, in integer flow units

Node = tuple[str, str, str]  # (site id, financing, hardware id)


def check_site_loss(
    scenario: Scenario, result: PlacementResult, rtt: Rtt, fail: Callable[[str], None]
) -> None:
    """Fail unless every open site's failure leaves all served demand coverable."""
    rules = scenario.rules.resilience
    spares = [s for load in result.sites for s in load.spare]
    if rules is None:
        if spares:
            fail("the result holds spare capacity but rules.resilience is not set")
        if result.site_loss is not None:
            fail("the result reports site-loss coverage but rules.resilience is not set")
        return
    if result.site_loss is None:
        fail("rules.resilience is set but the result reports no site-loss coverage")
        return
    capacity = _installed(scenario, result)
    hardware = terms.hardware(scenario)
    sites = {s.id: s for s in scenario.sites}
    demand = {
        r.id: terms.work(scenario, r) * (1.0 - result.unserved.get(r.id, 0.0))
        for r in scenario.regions
    }
    needy = [r for r in scenario.regions if demand[r.id] > 0]
    limit = {r.id: _failure_slo(scenario, r) for r in needy}
    rtts = {sid: {r.id: rtt(sites[sid], r) for r in needy} for sid in {n[0] for n in capacity}}
    reach: dict[Node, set[str]] = {
        node: {
            rid
            for rid, ms in rtts[node[0]].items()
            if ms + hardware[node[2]].service_ms <= limit[rid] + 1e-9
        }
        for node in capacity
    }
    reported = {f.site: f for f in result.site_loss.failures}
    total = sum(d for d in demand.values() if d > 0)
    for failed in result.open_sites:
        flow = _max_flow(capacity, reach, demand, failed)
        if flow < total * (1 - FLOW_RTOL) - 1e-6:
            fail(
                f"site loss: if {failed!r} fails the other sites can serve {flow:,.6f} of "
                f"{total:,.6f} work units within the failure SLO (max-flow)"
            )
        mine = reported.get(failed)
        if mine is None:
            fail(f"site loss: the failure of open site {failed!r} is not reported")
        elif not math.isclose(mine.covered, min(flow, total), rel_tol=FLOW_RTOL, abs_tol=1e-6):
            fail(f"site loss: {failed!r} failing, reported {mine.covered:,.6f} covered, "
                 f"max-flow {flow:,.6f}")  # fmt: skip
    for site in set(reported) - set(result.open_sites):
        fail(f"site loss: the failure of {site!r} is reported but the site is not open")


def _failure_slo(scenario: Scenario, region) -> float:
    slo = scenario.region_slo_ms(region)
    degraded = scenario.rules.resilience.degraded_slo_ms
    if slo is None:
        return math.inf
    return slo if degraded is None else max(slo, degraded)


def _installed(scenario: Scenario, result: PlacementResult) -> dict[Node, float]:
    """Work units installed per (site, financing, hardware): served plus spare."""
    regions = {r.id: r for r in scenario.regions}
    out: dict[Node, float] = defaultdict(float)
    for a in result.serving:
        if a.region in regions:
            out[(a.site, a.financing, a.hardware)] += (
                terms.work(scenario, regions[a.region]) * a.share
            )
    for load in result.sites:
        for spare in load.spare:
            out[(load.site, spare.financing, spare.hardware)] += spare.work
    return {node: work for node, work in out.items() if work > 0}


def _max_flow(
    capacity: dict[Node, float],
    reach: dict[Node, set[str]],
    demand: dict[str, float],
    failed: str,
) -> float:
    """Max flow from the capacities not at ``failed`` to the regions' demand (networkx)."""
    alive = [node for node in capacity if node[0] != failed]
    seen_by: dict[str, set[Node]] = defaultdict(set)
    for node in alive:
        for rid in reach[node]:
            seen_by[rid].add(node)
    merged: dict[frozenset[Node], float] = defaultdict(float)
    for rid, d in demand.items():
        if d > 0:
            merged[frozenset(seen_by.get(rid, ()))] += d
    total = sum(merged.values())
    if total <= 0:
        return 0.0
    scale = INTEGER_UNITS / total
    graph = nx.DiGraph()
    for node in alive:
        graph.add_edge("source", node, capacity=round(capacity[node] * scale))
    for k, (nodes, d) in enumerate(merged.items()):
        graph.add_edge(("demand", k), "sink", capacity=round(d * scale))
        for node in nodes:
            graph.add_edge(node, ("demand", k))
    if "source" not in graph or "sink" not in graph:
        return 0.0
    return nx.maximum_flow_value(graph, "source", "sink") / scale
