"""N-1 on the model side: capacity nodes, the failure graph, spare capacity and what cannot hold.

A **capacity node** n = (f, h) is hardware h at facility f (a site in one financing mode) that
the facility may host in some cooling option. Its installed capacity, in work units, is

    cap_n = Σ_j W_j · serve_{f,j,h} + Σ_s z_{f,h,s}

the work it serves in normal operation plus spare work z bought for failures (spare is priced
as installed capacity: build, lease or cloud capacity, cooling capital and hardware, but draws
no energy while idle; it uses the facility's power, racks and cloud quota like any load).

The **failure graph** joins node n to region j when the hardware's latency there is within the
region's failure SLO: RTT_{i(f),j} + t_h ≤ max(SLO_j, degraded_slo_ms) (no limit without an
SLO). When site e fails, every node at e is gone and each region must still receive its served
demand W_j (1 − unserved_j) over the graph from the capacities left: a transportation
problem, feasible exactly when (Hall / max-flow min-cut) for every set T of regions

    Σ_{n ∈ N(T), site(n) ≠ e} cap_n  ≥  Σ_{j ∈ T} W_j (1 − unserved_j)

:mod:`placement.solving.resilience` adds these rows as the max-flow finds them violated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse

from placement.model.latency import rtt_blocks, slo_vector
from placement.model.offer import BUILD, CLOUD, LEASE, Offer
from placement.model.schema import Scenario

CHUNK_REGIONS = 2048


@dataclass(frozen=True)
class FailureGraph:
    """Capacity nodes and the regions each can serve during a site failure."""

    facility: np.ndarray  # (n_nodes,) facility of the node
    hardware: np.ndarray  # (n_nodes,) hardware of the node
    site: np.ndarray  # (n_nodes,) scenario site of the node (what fails together)
    adjacency: scipy.sparse.csr_matrix  # (n_nodes, n_regions) 1 where n can serve j
    failure_slo_ms: np.ndarray  # (n_regions,) inf where the region has no SLO
    degraded_slo_ms: float | None

    def __len__(self) -> int:
        return int(self.facility.size)

    def node_of(self, facility: np.ndarray, hardware: np.ndarray, n_hardware: int) -> np.ndarray:
        """Node index of each (facility, hardware) pair, −1 where it is no node."""
        table = np.full((int(self.facility.max(initial=-1)) + 1) * n_hardware, -1, dtype=np.int64)
        table[self.facility * n_hardware + self.hardware] = np.arange(len(self))
        key = np.asarray(facility) * n_hardware + np.asarray(hardware)
        inside = key < table.size
        return np.where(inside, table[np.minimum(key, table.size - 1)], -1)


def failure_slo_ms(scenario: Scenario) -> np.ndarray:
    """max(SLO_j, degraded_slo_ms) per region (SLO_j alone without a degraded SLO; inf: none)."""
    slo = slo_vector(scenario)
    resilience = scenario.rules.resilience
    if resilience is None or resilience.degraded_slo_ms is None:
        return slo
    return np.maximum(slo, resilience.degraded_slo_ms)


def failure_graph(scenario: Scenario, offer: Offer) -> FailureGraph:
    """Capacity nodes (facility, hardware the facility may host, not forbidden) and their
    regions within the failure SLO, computed in blocks of regions."""
    fac, hw = offer.facilities, offer.hardware
    supported = offer.cooling.supports(hw.density)  # (options, hardware)
    hosted = np.zeros((len(fac), len(hw)), dtype=bool)
    s, h = np.nonzero(supported)
    hosted[offer.cooling.facility[s], h] = True
    usable = hosted & offer.hardware_at & (fac.open_ub[:, None] > 0)
    node_f, node_h = np.nonzero(usable)
    node_site = fac.site[node_f]
    limit = failure_slo_ms(scenario)
    service = hw.service_ms[node_h]
    rows, cols = [], []
    for start, block in rtt_blocks(scenario, CHUNK_REGIONS):
        latency = block[node_site] + service[:, None]  # (nodes, block regions)
        ok = (latency <= limit[None, start : start + block.shape[1]]) & np.isfinite(latency)
        n, j = np.nonzero(ok)
        rows.append(n)
        cols.append(j + start)
    row = np.concatenate(rows) if rows else np.empty(0, dtype=np.int64)
    col = np.concatenate(cols) if cols else np.empty(0, dtype=np.int64)
    adjacency = scipy.sparse.csr_matrix(
        (np.ones(row.size, dtype=np.int8), (row, col)),
        shape=(node_f.size, len(scenario.regions)),
    )
    resilience = scenario.rules.resilience
    return FailureGraph(
        facility=node_f.astype(np.int64),
        hardware=node_h.astype(np.int64),
        site=node_site.astype(np.int64),
        adjacency=adjacency,
        failure_slo_ms=limit,
        degraded_slo_ms=None if resilience is None else resilience.degraded_slo_ms,
    )


@dataclass(frozen=True)
class SpareTerms:
    """Per work unit of spare capacity of each (facility, hardware, cooling option)."""

    facility: np.ndarray
    hardware: np.ndarray
    option: np.ndarray  # cooling option s
    it_mw: np.ndarray
    units: np.ndarray
    capacity_use: np.ndarray  # build: PUE · IT MW; lease: IT MW; cloud: 0
    racks: np.ndarray
    build: np.ndarray
    cooling_cost: np.ndarray
    hardware_cost: np.ndarray
    lease: np.ndarray
    cloud: np.ndarray
    upper: np.ndarray  # the most spare work the variable could usefully hold


def spare_terms(
    scenario: Scenario, offer: Offer, graph: FailureGraph, work: np.ndarray
) -> SpareTerms:
    """Spare capacity variables: one per node and cooling option that holds its racks.

    A node never needs to serve more than the demand of the regions it reaches in the failure
    graph (``work`` per region), so its spare is bounded by that (an exact bound: capacity
    beyond it serves nobody), and by what the facility's power or cloud quota could hold.
    """
    fac, hw, cool = offer.facilities, offer.hardware, offer.cooling
    supports = cool.supports(hw.density)  # (options, hardware)
    by_facility = [np.flatnonzero(cool.facility == f) for f in range(len(fac))]
    node, option = [], []
    for n, (f, h) in enumerate(zip(graph.facility.tolist(), graph.hardware.tolist(), strict=True)):
        for s in by_facility[f]:
            if supports[s, h]:
                node.append(n)
                option.append(int(s))
    node_a = np.asarray(node, dtype=np.int64)
    reach = graph.adjacency @ np.maximum(np.asarray(work, dtype=float), 0.0)  # per node
    s = np.asarray(option, dtype=np.int64)
    f = graph.facility[node_a]
    h = graph.hardware[node_a]
    mode = fac.mode[f]
    m = hw.mw_per_work[h]
    units = hw.units_per_work[h]
    util = scenario.inference_utilisation
    hours = scenario.economics.hours_per_year
    cloud_price = np.nan_to_num(offer.cloud_price[f, h])
    use = np.where(mode == BUILD, cool.pue[s] * m, np.where(mode == LEASE, m, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        by_power = np.where(use > 0, fac.capacity[f] / use, np.inf)
        by_quota = np.where(units > 0, offer.cloud_quota[f, h] / units, np.inf)
    own = np.isin(mode, (BUILD, LEASE))
    return SpareTerms(
        facility=f,
        hardware=h,
        option=s,
        it_mw=m,
        units=units,
        capacity_use=use,
        racks=np.where(mode == BUILD, m * 1000.0 / hw.density[h], 0.0),
        build=m * fac.build_per_mw[f],
        cooling_cost=m * cool.capital_per_mw[s],
        hardware_cost=np.where(own, units * hw.capital_per_unit_year[h], 0.0),
        lease=m * fac.rent_per_mw[f],
        cloud=np.where(mode == CLOUD, units * cloud_price * hours * util, 0.0),
        upper=np.minimum.reduce([reach[node_a], by_power, by_quota]),
    )


def cannot_be_covered_twice(
    scenario: Scenario, offer: Offer, graph: FailureGraph, work: np.ndarray, soft_power: bool
) -> list[str]:
    """Regions N-1 cannot hold for, named with the reason (necessary conditions only).

    * fewer than two sites can serve the region within its failure SLO: losing the one that
      can leaves it unserved;
    * the region's demand exceeds what the sites within its failure SLO, less the largest of
      them, could install at most (each facility's capacity over the least power a work unit
      of a hardware that reaches the region takes there; cloud: its quota).
    """
    n_regions = len(scenario.regions)
    if len(graph) == 0 or n_regions == 0 or not (work > 0).any():
        return []
    if scenario.rules.max_sites == 1:
        return [
            "rules.resilience needs every region covered by two open sites, but "
            "rules.max_sites = 1 allows one"
        ]
    fac = offer.facilities
    n_sites = len(scenario.sites)
    cap = np.minimum(_node_capacity(offer, graph, soft_power), max(float(work.sum()), 0.0))
    # the most work each facility could install for each region (max over its hardware)
    best = np.zeros((len(fac), n_regions))
    adjacency = graph.adjacency
    for n in range(len(graph)):
        regions = adjacency.indices[adjacency.indptr[n] : adjacency.indptr[n + 1]]
        row = best[graph.facility[n]]
        row[regions] = np.maximum(row[regions], cap[n])
    per_site = np.zeros((n_sites, n_regions))
    np.add.at(per_site, fac.site, best)
    reach = np.zeros((n_sites, n_regions), dtype=bool)
    rows, cols = adjacency.nonzero()
    reach[graph.site[rows], cols] = True
    count = reach.sum(axis=0)
    spare_of_rest = per_site.sum(axis=0) - per_site.max(axis=0)
    short = (count > 1) & (spare_of_rest < work * (1 - 1e-9))
    messages = []
    for j in np.flatnonzero((work > 0) & ((count == 1) | short))[:20].tolist():
        region = scenario.regions[j]
        limit = graph.failure_slo_ms[j]
        within = "within its failure SLO" + (f" of {limit:g} ms" if np.isfinite(limit) else "")
        if count[j] == 1:
            only = scenario.sites[int(np.flatnonzero(reach[:, j])[0])].id
            messages.append(
                f"region {region.id!r} cannot be covered twice (rules.resilience): only site "
                f"{only!r} can serve it {within} (RTT + service time), so losing that site "
                "leaves it unserved"
            )
        else:
            worst = scenario.sites[int(np.argmax(per_site[:, j]))].id
            messages.append(
                f"region {region.id!r} cannot be covered twice (rules.resilience): it needs "
                f"{work[j]:,.1f} {_unit(scenario)} and, without site {worst!r}, the sites "
                f"{within} could install at most {spare_of_rest[j]:,.1f}"
            )
    return messages


def _node_capacity(offer: Offer, graph: FailureGraph, soft_power: bool) -> np.ndarray:
    """The most work each node could install alone: capacity / least use per work unit."""
    fac, hw, cool = offer.facilities, offer.hardware, offer.cooling
    supports = cool.supports(hw.density)
    least_pue = np.full(len(graph), np.inf)
    for n, (f, h) in enumerate(zip(graph.facility.tolist(), graph.hardware.tolist(), strict=True)):
        options = np.flatnonzero((cool.facility == f) & supports[:, h])
        if options.size:
            least_pue[n] = float(cool.pue[options].min())
    mode = fac.mode[graph.facility]
    per_work = hw.mw_per_work[graph.hardware]
    use = np.where(mode == BUILD, least_pue * per_work, np.where(mode == LEASE, per_work, 0.0))
    capacity = fac.capacity[graph.facility]
    if soft_power:
        capacity = np.where(mode == BUILD, np.inf, capacity)
    units = hw.units_per_work[graph.hardware]
    quota = offer.cloud_quota[graph.facility, graph.hardware]
    with np.errstate(divide="ignore", invalid="ignore"):
        by_power = np.where(use > 0, capacity / use, np.inf)
        by_quota = np.where(units > 0, quota / units, np.inf)
    return np.minimum(by_power, by_quota)


def _unit(scenario: Scenario) -> str:
    return f"{scenario.inference.work_unit} of work" if scenario.hardware else "GPUs of demand"


# ---------------------------------------------------------------------------- the max-flow
FLOW_SCALE = 1e9  # total demand in integer flow units: networkx's max-flow is exact on integers
DEFICIT_RTOL = 1e-9


@dataclass(frozen=True)
class FailureFlow:
    """One site's failure: the demand left to serve, the most the other nodes can serve, and
    the sets of regions (Hall sets) whose demand exceeds the capacity that can reach them."""

    site: int
    demand: float
    flow: float
    deficient: tuple[np.ndarray, ...]  # region index arrays, each a violated Hall set


def failure_flows(
    graph: FailureGraph, capacity: np.ndarray, demand: np.ndarray, sites: np.ndarray
) -> list[FailureFlow]:
    """For each site e in ``sites``: the max flow from the capacity nodes not at e (capacity
    ``capacity[n]``) to the regions (``demand[j]``) over the failure graph, and the deficient
    Hall sets found from the minimum cut.

    Exact shrinking first: regions that see the same surviving nodes are one node of the flow
    network (their demands add), so the network has as many region nodes as distinct
    neighbourhoods. A minimum cut's sink side T satisfies Σ_{N(T)} cap < Σ_T demand exactly
    when the flow falls short; T is split into its connected parts, each checked again in
    floating point and kept when short by more than DEFICIT_RTOL of its demand.
    """
    import networkx as nx

    need = np.flatnonzero(demand > 0)
    total = float(demand[need].sum())
    out = []
    if total <= 0:
        return [FailureFlow(int(e), 0.0, 0.0, ()) for e in sites]
    scale = FLOW_SCALE / total
    by_region = graph.adjacency.tocsc()[:, need].T.tocsr()  # (needy regions, nodes)
    for e in sites.tolist():
        alive = np.flatnonzero((capacity > 0) & (graph.site != e))
        seen = by_region[:, alive].toarray().astype(bool)  # (needy regions, alive nodes)
        keys, group = np.unique(seen, axis=0, return_inverse=True)
        group = group.reshape(-1)
        group_demand = np.bincount(group, weights=demand[need], minlength=keys.shape[0])
        network = nx.DiGraph()
        network.add_nodes_from(["s", "t"])  # no capacity left at all is a flow of 0
        for a, n in enumerate(alive.tolist()):
            network.add_edge("s", ("n", a), capacity=round(float(capacity[n]) * scale))
        g_idx, a_idx = np.nonzero(keys)
        network.add_edges_from(
            (("n", int(a)), ("g", int(g))) for g, a in zip(g_idx, a_idx, strict=True)
        )
        for g, d in enumerate(group_demand.tolist()):
            network.add_edge(("g", g), "t", capacity=round(d * scale))
        cut, (_, sink_side) = nx.minimum_cut(network, "s", "t")
        flow = min(cut / scale, total)
        short: list[np.ndarray] = []
        if flow < total * (1 - DEFICIT_RTOL):
            in_t = np.array(sorted(g for kind, g in _tagged(sink_side, "g")), dtype=np.int64)
            short = _deficient_parts(keys, in_t, group, group_demand, capacity[alive], need)
        out.append(FailureFlow(int(e), total, flow, tuple(short)))
    return out


def _tagged(nodes, tag: str):
    return (node for node in nodes if isinstance(node, tuple) and node[0] == tag)


def _deficient_parts(
    keys: np.ndarray,
    groups: np.ndarray,
    group_of_region: np.ndarray,
    group_demand: np.ndarray,
    capacity: np.ndarray,
    need: np.ndarray,
) -> list[np.ndarray]:
    """The connected parts of the region groups ``groups`` (joined by a surviving node both
    see) whose demand exceeds the capacity of the nodes they see: violated Hall sets."""
    parent = {int(g): int(g) for g in groups}

    def find(g: int) -> int:
        while parent[g] != g:
            parent[g] = parent[parent[g]]
            g = parent[g]
        return g

    for a in range(keys.shape[1]):
        members = [int(g) for g in groups if keys[g, a]]
        for g in members[1:]:
            parent[find(g)] = find(members[0])
    parts: dict[int, list[int]] = {}
    for g in groups.tolist():
        parts.setdefault(find(int(g)), []).append(int(g))
    out = []
    for members in parts.values():
        seen = keys[members].any(axis=0)
        want = float(group_demand[members].sum())
        if want - float(capacity[seen].sum()) > DEFICIT_RTOL * max(want, 1.0):
            out.append(need[np.isin(group_of_region, members)])
    return out
