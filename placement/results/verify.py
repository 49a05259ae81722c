"""Independent check of a result against its scenario.

``verify`` re-derives everything from the scenario's fields and the result's decisions with
plain Python arithmetic and geopy distances: it shares no code with the model builder (no
``ModelData``, no formulation, no solver object), so a bug in building or decoding the model
shows up here as a violation. It raises :class:`VerificationError` listing every violation.
"""

from __future__ import annotations

import math
from collections import defaultdict

import networkx as nx
from geopy.distance import geodesic, great_circle

from placement.errors import VerificationError
from placement.model.schema import NetworkSettings, Scenario, Site
from placement.results.result import COST_COMPONENTS, PlacementResult

FEAS_TOL = 1e-6  # absolute, on shares and MW (relative on large capacities)
COST_RTOL = 1e-6


def verify(scenario: Scenario, result: PlacementResult, *, rtol: float = COST_RTOL) -> None:
    """Raise :class:`VerificationError` if ``result`` breaks any rule of ``scenario``.

    A result without a solution (infeasible, no solution, error) has nothing to check and passes
    as long as it claims no decisions.
    """
    scenario = Scenario.coerce(scenario)  # a networkx graph works as in solve
    problems: list[str] = []
    if not result.ok:
        if result.open_sites or result.serving or result.training:
            problems.append(f"status {result.status.value} but the result holds decisions")
        if problems:
            raise VerificationError(problems)
        return
    checker = _Checker(scenario, result, problems)
    checker.run(rtol)
    if problems:
        raise VerificationError(problems)


class _Checker:
    def __init__(self, scenario: Scenario, result: PlacementResult, problems: list[str]):
        self.s = scenario
        self.r = result
        self.problems = problems
        self.sites = {site.id: site for site in scenario.sites}
        self.regions = {region.id: region for region in scenario.regions}
        self.open = set(result.open_sites)
        self.liquid = set(result.liquid_sites)
        self.facility_mw: dict[str, float] = defaultdict(float)
        self.it_mw = {"training": 0.0, "inference": 0.0}
        self.it_mw_by_site: dict[str, float] = defaultdict(float)
        self.latency_samples: list[tuple[float, float]] = []  # (RTT ms, users served)
        self.racks: dict[str, float] = defaultdict(float)
        self.costs: dict[str, float] = defaultdict(float)
        self.carbon_t = 0.0
        self._backbone: _BackboneRtt | None = None

    def fail(self, message: str) -> None:
        self.problems.append(message)

    def run(self, rtol: float) -> None:
        self.check_sites()
        self.check_training()
        self.check_serving()
        self.check_capacity()
        self.check_rules()
        self.check_costs(rtol)
        self.check_bound(rtol)
        self.check_kpis(rtol)

    # ----------------------------------------------------------------- sites and rules
    def check_sites(self) -> None:
        for sid in self.open | self.liquid:
            if sid not in self.sites:
                self.fail(f"site {sid!r} in the result is not in the scenario")
        for sid in self.liquid:
            site = self.sites.get(sid)
            if site is None:
                continue
            if sid not in self.open:
                self.fail(f"site {sid!r} has liquid cooling but is not open")
            if not site.liquid_cooling_available:
                self.fail(f"site {sid!r} has liquid cooling but does not allow it")
            self.costs["liquid_cooling"] += site.liquid_cooling_cost_usd_per_year
        for sid in self.open:
            if sid in self.sites:
                self.costs["fixed"] += self.sites[sid].fixed_cost_usd_per_year

    def check_rules(self) -> None:
        rules = self.s.rules
        for sid in rules.forbidden:
            if sid in self.open:
                self.fail(f"forbidden site {sid!r} is open")
        for sid in (*rules.must_open, *rules.existing):
            if sid not in self.open:
                self.fail(f"site {sid!r} must be open (must_open/existing) but is closed")
        if rules.max_sites is not None and len(self.open) > rules.max_sites:
            self.fail(f"{len(self.open)} sites open, more than rules.max_sites = {rules.max_sites}")
        training_sites = set(self.r.training.values())
        if rules.max_training_sites is not None and len(training_sites) > rules.max_training_sites:
            self.fail(
                f"{len(training_sites)} training sites, more than rules.max_training_sites = "
                f"{rules.max_training_sites}"
            )
        cap = rules.carbon_cap_tonnes_per_year
        if cap is not None and self.carbon_t > cap * (1 + 1e-9) + FEAS_TOL:
            self.fail(f"emissions {self.carbon_t:,.3f} t exceed the carbon cap {cap:,.3f} t")

    # ----------------------------------------------------------------- training
    def check_training(self) -> None:
        placed = self.r.training
        for cluster in self.s.training:
            sid = placed.get(cluster.id)
            if sid is None:
                self.fail(f"training cluster {cluster.id!r} is not placed")
                continue
            site = self.sites.get(sid)
            if site is None:
                self.fail(f"training cluster {cluster.id!r} placed at unknown site {sid!r}")
                continue
            if sid not in self.open:
                self.fail(f"training cluster {cluster.id!r} placed at closed site {sid!r}")
            if cluster.rack_density_kw > site.max_rack_density_kw + FEAS_TOL:
                self.fail(
                    f"training cluster {cluster.id!r} ({cluster.rack_density_kw:g} kW/rack) "
                    f"exceeds site {sid!r}'s maximum {site.max_rack_density_kw:g} kW/rack"
                )
            liquid = cluster.rack_density_kw > site.air_cooling_limit_kw
            if liquid and sid not in self.liquid:
                self.fail(
                    f"training cluster {cluster.id!r} needs liquid cooling at {sid!r}, not built"
                )
            pue = site.effective_liquid_pue if liquid else site.pue
            util = cluster.utilisation or self.s.economics.utilisation
            self.add_load(site, cluster.it_mw, pue, util, float(cluster.racks), "training")
        for cid in placed:
            if cid not in {c.id for c in self.s.training}:
                self.fail(f"result places unknown training cluster {cid!r}")

    # ----------------------------------------------------------------- inference
    def check_serving(self) -> None:
        totals: dict[str, float] = defaultdict(float)
        rules = self.s.rules
        lam = self.s.economics.latency_penalty_usd_per_user_ms_year
        density = self.s.inference.rack_density_kw
        util = self.s.inference_utilisation
        for a in self.r.serving:
            region, site = self.regions.get(a.region), self.sites.get(a.site)
            if region is None or site is None:
                self.fail(f"assignment {a.region!r} → {a.site!r} names an unknown region/site")
                continue
            if a.share < -FEAS_TOL or a.share > rules.max_share_per_site + FEAS_TOL:
                self.fail(
                    f"region {a.region!r} share {a.share:.9f} from {a.site!r} outside "
                    f"[0, {rules.max_share_per_site:g}]"
                )
            if a.site not in self.open:
                self.fail(f"region {a.region!r} served from closed site {a.site!r}")
            totals[a.region] += a.share
            rtt = self.rtt_ms(site, region)
            if not math.isclose(rtt, a.rtt_ms, rel_tol=1e-6, abs_tol=1e-6):
                self.fail(
                    f"region {a.region!r} → {a.site!r}: reported RTT {a.rtt_ms:.6f} ms, "
                    f"recomputed {rtt:.6f} ms"
                )
            slo = self.s.region_slo_ms(region)
            if slo is not None and rtt > slo + 1e-9 and a.share > FEAS_TOL:
                self.fail(
                    f"region {a.region!r} served from {a.site!r} at {rtt:.3f} ms > SLO {slo:g}"
                )
            if density > site.max_rack_density_kw:
                self.fail(f"inference density {density:g} kW/rack exceeds site {a.site!r}'s max")
            liquid = density > site.air_cooling_limit_kw
            if liquid and a.site not in self.liquid:
                self.fail(f"inference at {a.site!r} needs liquid cooling, which is not built")
            mw = self.s.region_demand_mw(region) * a.share
            if not math.isclose(mw, a.mw, rel_tol=1e-6, abs_tol=1e-9):
                self.fail(f"region {a.region!r} → {a.site!r}: reported {a.mw} MW, expected {mw}")
            pue = site.effective_liquid_pue if liquid else site.pue
            self.add_load(site, mw, pue, util, mw * 1000.0 / density, "inference")
            self.latency_samples.append((rtt, region.population * a.share))
            self.costs["latency_penalty"] += lam * region.population * rtt * a.share
            pair = self.s.pair_costs_usd_per_year.get(a.site, {}).get(a.region, 0.0)
            self.costs["pair_costs"] += pair * a.share
        penalty = self.s.economics.unserved_penalty_usd_per_mw_year
        for rid, share in self.r.unserved.items():
            if rid not in self.regions:
                self.fail(f"unserved share for unknown region {rid!r}")
                continue
            if penalty is None and share > FEAS_TOL:
                self.fail(f"region {rid!r} is {share:.6f} unserved but demand is hard")
            if share < -FEAS_TOL:
                self.fail(f"region {rid!r} has a negative unserved share")
            totals[rid] += share
            self.costs["unserved"] += (
                (penalty or 0.0) * self.s.region_demand_mw(self.regions[rid]) * share
            )
        for region in self.s.regions:
            if abs(totals.get(region.id, 0.0) - 1.0) > FEAS_TOL:
                self.fail(
                    f"region {region.id!r}: shares sum to {totals.get(region.id, 0.0):.9f}, not 1"
                )

    def rtt_ms(self, site: Site, region) -> float:
        net = self.s.network
        if net.backbone_graphml:
            if self._backbone is None:
                self._backbone = _BackboneRtt(net)
            return self._backbone.rtt_ms((site.lat, site.lon), (region.lat, region.lon))
        measure = geodesic if net.distance == "geodesic" else great_circle
        km = measure((site.lat, site.lon), (region.lat, region.lon)).km
        return net.base_rtt_ms + 2.0 * net.route_factor * km / net.fiber_km_per_ms

    # ----------------------------------------------------------------- capacity and costs
    def add_load(
        self, site: Site, it_mw: float, pue: float, util: float, racks: float, kind: str
    ) -> None:
        econ = self.s.economics
        self.it_mw[kind] += it_mw
        self.it_mw_by_site[site.id] += it_mw
        facility = it_mw * pue
        self.facility_mw[site.id] += facility
        self.racks[site.id] += racks
        mwh = facility * util * econ.hours_per_year
        self.costs["build"] += it_mw * site.build_cost_usd_per_mw_year
        self.costs["energy"] += mwh * site.energy_price_usd_per_mwh
        tonnes = mwh * site.carbon_kg_per_mwh / 1000.0
        self.costs["carbon"] += tonnes * econ.carbon_price_usd_per_tonne
        self.carbon_t += tonnes

    def check_capacity(self) -> None:
        for sid, mw in self.facility_mw.items():
            site = self.sites[sid]
            if mw > site.power_mw * (1 + 1e-9) + FEAS_TOL:
                self.fail(f"site {sid!r} draws {mw:,.6f} MW, above its {site.power_mw:,.6f} MW")
            if (
                site.racks_available is not None
                and self.racks[sid] > site.racks_available * (1 + 1e-9) + FEAS_TOL
            ):
                self.fail(
                    f"site {sid!r} uses {self.racks[sid]:,.3f} racks of {site.racks_available:,}"
                )

    def check_costs(self, rtol: float) -> None:
        reported = self.r.costs
        total = 0.0
        for name in COST_COMPONENTS:
            mine = self.costs.get(name, 0.0)
            total += mine
            theirs = getattr(reported, name)
            if not _close(mine, theirs, rtol, scale=abs(self.r.objective or 0.0)):
                self.fail(f"cost {name}: reported {theirs:,.6f}, recomputed {mine:,.6f}")
        if self.r.objective is None or not _close(total, self.r.objective, rtol):
            self.fail(f"objective: reported {self.r.objective}, recomputed {total:,.6f}")

    def check_kpis(self, rtol: float) -> None:
        """The reported key figures, recomputed from the decisions."""
        k = self.r.kpis
        mean, p95 = _weighted_rtt(self.latency_samples)
        expected: dict[str, float | None] = {
            "weighted_mean_rtt_ms": mean,
            "p95_rtt_ms": p95,
            "training_mw": self.it_mw["training"],
            "inference_mw": self.it_mw["inference"],
            "facility_mw": sum(self.facility_mw.values()),
            "carbon_tonnes_per_year": self.carbon_t,
            "served_share": self.served_share(),
            "open_sites": float(len(self.open)),
            "training_sites": float(len(set(self.r.training.values()))),
        }
        for name, mine in expected.items():
            theirs = getattr(k, name)
            if mine is None or theirs is None:
                if (mine is None) != (theirs is None):
                    self.fail(f"kpi {name}: reported {theirs}, recomputed {mine}")
                continue
            if not math.isclose(mine, theirs, rel_tol=rtol, abs_tol=1e-6):
                self.fail(f"kpi {name}: reported {theirs:,.6f}, recomputed {mine:,.6f}")
        for sid in set(k.mw_by_site) | self.open:
            mine, theirs = self.it_mw_by_site.get(sid, 0.0), k.mw_by_site.get(sid)
            if theirs is None or not math.isclose(mine, theirs, rel_tol=rtol, abs_tol=1e-6):
                self.fail(f"kpi mw_by_site[{sid!r}]: reported {theirs}, recomputed {mine:,.6f}")

    def served_share(self) -> float:
        demand = {r.id: self.s.region_demand_mw(r) for r in self.s.regions}
        total = sum(demand.values())
        if total <= 0:
            return 1.0
        unserved = sum(share * demand.get(rid, 0.0) for rid, share in self.r.unserved.items())
        return 1.0 - unserved / total

    def check_bound(self, rtol: float) -> None:
        obj, bound = self.r.objective, self.r.bound
        if obj is None or bound is None:
            return
        if bound > obj + rtol * max(abs(obj), 1.0):
            self.fail(f"bound {bound:,.6f} is above the objective {obj:,.6f}")


def _weighted_rtt(samples: list[tuple[float, float]]) -> tuple[float | None, float | None]:
    """Users-weighted mean RTT and 95th percentile: the smallest RTT at which the cumulative
    weight, in increasing RTT, reaches 95 % (ties in RTT keep their order of appearance)."""
    total = sum(weight for _, weight in samples)
    if total <= 0:
        return None, None
    mean = sum(rtt * weight for rtt, weight in samples) / total
    running = 0.0
    for rtt, weight in sorted(samples, key=lambda s: s[0]):
        running += weight
        if running / total >= 0.95 - 1e-12:
            return mean, rtt
    return mean, max(rtt for rtt, _ in samples)


class _BackboneRtt:
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


def _close(a: float, b: float, rtol: float, scale: float = 0.0) -> bool:
    return abs(a - b) <= rtol * max(abs(a), abs(b), scale * 1e-3, 1e-6)
