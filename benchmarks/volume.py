"""Correctness at volume: seeded random scenarios mixing every feature, each solved two ways.

    python -m benchmarks.volume                      # 1,000 scenarios
    python -m benchmarks.volume --scenarios 30 --first-seed 5000

Each scenario is :func:`placement.datasets.synthetic.random_ai_scenario` (4-15 sites, 10-120
regions, 0-3 training clusters, random prices, PUEs, liquid cooling, SLO, λ) plus rules drawn
at random: existing, must-open and forbidden sites, at most p sites, at most t training sites,
a carbon cap, soft demand (an unserved penalty), a redundancy cap per site, a backbone GraphML
(RTT over its shortest paths), geodesic distance, per-region SLOs, demand stated in MW, GPUs or
from population, rack-space limits, explicit pair costs, per-cluster utilisation.

Two independent routes solve it: ``strong`` on HiGHS (the default route: LP branch and bound,
then HiGHS's MIP) and ``weak`` on SCIP (through OR-Tools MathOpt), both to a relative gap of
1e-7. Every answer goes through :func:`placement.verify`; the two must agree: both proven
optimal with objectives within 1e-6 relative, or both infeasible. The script prints the counts
(and each disagreement), and exits 1 unless every scenario is verified and agreeing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

import placement as pl
from placement.datasets.synthetic import US_BOX, random_ai_scenario

DEFAULT_SCENARIOS = 1_000
DEFAULT_FIRST_SEED = 0
AGREEMENT = 1e-6  # relative
GAP = 1e-7
TIME_LIMIT = 300.0
ROUTES = {
    "strong/highs": pl.SolveOptions(formulation="strong", solver="highs", gap=GAP, threads=1),
    "weak/scip": pl.SolveOptions(formulation="weak", solver="scip", gap=GAP, threads=1),
}
FEATURES = (
    "training",
    "slo",
    "region_slo",
    "latency_penalty",
    "existing",
    "must_open",
    "forbidden",
    "max_sites",
    "max_training_sites",
    "carbon_cap",
    "carbon_price",
    "soft_demand",
    "share_cap",
    "backbone",
    "geodesic",
    "racks",
    "pair_costs",
    "demand_mw",
    "demand_from_population",
    "utilisation",
)


def featured_scenario(seed: int, folder: Path) -> tuple[pl.Scenario, set[str]]:
    """A seeded random scenario with a random mix of every feature (``folder`` holds its
    backbone file, if it has one). Returns it and the names of the features it uses."""
    rng = np.random.default_rng(10_000 + seed)
    n_sites = int(rng.integers(4, 16))
    n_regions = int(rng.integers(10, 121))
    n_clusters = int(rng.integers(0, 4))
    slo = [None, 40.0, 60.0, 100.0][int(rng.integers(0, 4))]
    lam = [0.0, 0.05, 0.5][int(rng.integers(0, 3))]
    base = random_ai_scenario(
        n_sites,
        n_regions,
        n_clusters,
        seed=seed,
        slo_ms=slo,
        latency_penalty=lam,
        liquid_share=float(rng.uniform(0.2, 0.8)),
    )
    data = base.to_dict()
    used = {"slo"} if slo is not None else set()
    used |= {"training"} if n_clusters else set()
    used |= {"latency_penalty"} if lam else set()
    sites = [s["id"] for s in data["sites"]]
    chance = lambda p: bool(rng.random() < p)  # noqa: E731

    order = list(rng.permutation(sites))
    rules = data["rules"]
    if chance(0.3):
        rules["existing"] = [order.pop()]
        used.add("existing")
    if chance(0.3):
        rules["must_open"] = [order.pop()]
        used.add("must_open")
    if chance(0.3) and len(order) > 2:
        rules["forbidden"] = [order.pop() for _ in range(int(rng.integers(1, 3)))]
        used.add("forbidden")
    if chance(0.3):
        rules["max_sites"] = int(rng.integers(2, n_sites + 1))
        used.add("max_sites")
    if n_clusters and chance(0.3):
        rules["max_training_sites"] = int(rng.integers(1, n_clusters + 1))
        used.add("max_training_sites")
    if chance(0.25):
        rules["max_share_per_site"] = float(rng.choice([0.5, 0.7, 0.9]))
        used.add("share_cap")
    if chance(0.25):
        it_mw = sum(c["it_mw"] for c in data["training"]) + 0.02 * n_regions
        mean_carbon = float(np.mean([s["carbon_kg_per_mwh"] for s in data["sites"]]))
        # around the carbon of the load at average intensity: binds, sometimes infeasible
        cap = float(rng.uniform(0.6, 1.5)) * it_mw * 1.2 * 8760 * mean_carbon / 1000
        rules["carbon_cap_tonnes_per_year"] = cap
        used.add("carbon_cap")
    economics = data["economics"]
    if chance(0.3):
        economics["carbon_price_usd_per_tonne"] = float(rng.choice([25.0, 80.0, 200.0]))
        used.add("carbon_price")
    if chance(0.3):
        economics["unserved_penalty_usd_per_mw_year"] = float(rng.choice([5e5, 5e6, 5e7]))
        used.add("soft_demand")
    if chance(0.2):
        economics["utilisation"] = float(rng.uniform(0.5, 1.0))
        for cluster in data["training"]:
            if chance(0.5):
                cluster["utilisation"] = float(rng.uniform(0.5, 1.0))
        used.add("utilisation")
    network = data["network"]
    if chance(0.2):
        network["distance"] = "geodesic"
        used.add("geodesic")
    if chance(0.2):
        path = folder / f"backbone_{seed}.graphml"
        nx.write_graphml(random_backbone(rng), path)
        network["backbone_graphml"] = str(path)
        network["backbone_route_factor"] = float(rng.uniform(1.0, 1.5))
        if network["default_slo_ms"] is not None:
            network["default_slo_ms"] *= 1.5  # the access legs make paths longer
        used.add("backbone")
    gpu_kw = data["inference"]["gpu_kw"]
    for region in data["regions"]:
        if chance(0.1):
            region["slo_ms"] = float(rng.uniform(50.0, 150.0))
            used.add("region_slo")
        if chance(0.1):  # the same load, stated in MW (give or take half)
            mw = region["demand_gpus"] * gpu_kw / 1000.0
            region["demand_mw"] = float(mw * rng.uniform(0.5, 1.5))
            used.add("demand_mw")
        elif chance(0.1):
            region["demand_gpus"] = None
            data["inference"]["gpus_per_1000_people"] = 0.5
            used.add("demand_from_population")
    for site_data in data["sites"]:
        if chance(0.15):
            site_data["racks_available"] = int(rng.integers(500, 5000))
            used.add("racks")
    if chance(0.2):
        regions = [r["id"] for r in data["regions"]]
        data["pair_costs_usd_per_year"] = {
            sid: {rid: float(rng.uniform(1e4, 1e6)) for rid in rng.choice(regions, 3)}
            for sid in rng.choice(sites, 2, replace=False)
        }
        used.add("pair_costs")
    data["name"] = f"volume_{seed}"
    return pl.Scenario.from_dict(data, source=f"volume scenario {seed}"), used


def random_backbone(rng: np.random.Generator) -> nx.Graph:
    """A connected backbone of 6-12 nodes over the contiguous US (a random tree plus links)."""
    n = int(rng.integers(6, 13))
    graph = nx.Graph()
    for k in range(n):
        graph.add_node(
            f"n{k}",
            Latitude=float(rng.uniform(*US_BOX["lat"])),
            Longitude=float(rng.uniform(*US_BOX["lon"])),
        )
    for k in range(1, n):
        graph.add_edge(f"n{k}", f"n{int(rng.integers(0, k))}")
    for _ in range(int(rng.integers(0, n))):
        a, b = rng.choice(n, 2, replace=False)
        graph.add_edge(f"n{a}", f"n{b}")
    return graph


@dataclass
class Outcome:
    """One scenario, two routes."""

    seed: int
    features: set[str]
    statuses: dict[str, str]
    objectives: dict[str, float | None]
    verified: dict[str, bool]
    verdict: str  # optimal-agree | infeasible-agree | disagree | unverified | unproven
    detail: str = ""
    diagnosed: bool = False  # infeasible seen before solving (the same check on both routes)
    seconds: dict[str, float] = field(default_factory=dict)


def check(seed: int, folder: Path) -> Outcome:
    """Solve one scenario both ways, verify both answers, and compare them."""
    scenario, features = featured_scenario(seed, folder)
    statuses, objectives, verified, seconds, problems = {}, {}, {}, {}, []
    diagnosed = False
    for route, options in ROUTES.items():
        started = time.perf_counter()
        result = pl.solve(scenario, options=options.replace(time_limit=TIME_LIMIT))
        seconds[route] = time.perf_counter() - started
        statuses[route] = result.status.value
        objectives[route] = result.objective
        diagnosed = diagnosed or result.message.startswith("diagnosed infeasible")
        try:
            pl.verify(scenario, result)
            verified[route] = True
        except pl.VerificationError as exc:
            verified[route] = False
            problems.append(f"{route}: {exc}")
    values = set(statuses.values())
    if not all(verified.values()):
        verdict = "unverified"
    elif values == {"optimal"}:
        a, b = objectives.values()
        close = abs(a - b) <= AGREEMENT * max(abs(a), abs(b), 1.0)
        verdict = "optimal-agree" if close else "disagree"
        if not close:
            problems.append(
                f"objectives {a!r} and {b!r} differ by {abs(a - b) / max(abs(a), 1):.2e}"
            )
    elif values == {"infeasible"}:
        verdict = "infeasible-agree"
    elif values & {"optimal", "infeasible"} == {"optimal", "infeasible"}:
        verdict = "disagree"
        problems.append(f"statuses {statuses}")
    else:
        verdict = "unproven"
        problems.append(f"statuses {statuses}")
    detail = "; ".join(problems)
    return Outcome(
        seed,
        features,
        statuses,
        objectives,
        verified,
        verdict,
        detail=detail,
        diagnosed=diagnosed,
        seconds=seconds,
    )


@dataclass
class Summary:
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def verdicts(self) -> Counter[str]:
        return Counter(o.verdict for o in self.outcomes)

    @property
    def diagnosed(self) -> int:
        return sum(o.verdict == "infeasible-agree" and o.diagnosed for o in self.outcomes)

    @property
    def good(self) -> int:
        return self.verdicts["optimal-agree"] + self.verdicts["infeasible-agree"]

    def text(self, first_seed: int) -> str:
        n = len(self.outcomes)
        verdicts = self.verdicts
        features = Counter(f for o in self.outcomes for f in o.features)
        time_by_route = {
            route: sum(o.seconds.get(route, 0.0) for o in self.outcomes) for route in ROUTES
        }
        lines = [
            f"{n:,} scenarios (seeds {first_seed}-{first_seed + n - 1}), {self.seconds:.0f} s; "
            + ", ".join(f"{route} {t:.0f} s" for route, t in time_by_route.items()),
            f"verified and agreeing: {self.good:,}/{n:,} "
            f"(both optimal, equal within {AGREEMENT:g}: {verdicts['optimal-agree']:,}; both "
            f"infeasible: {verdicts['infeasible-agree']:,}, of which {self.diagnosed:,} "
            "diagnosed before solving and the rest proved by both solvers)",
            f"disagreeing: {verdicts['disagree']}; failing verification: "
            f"{verdicts['unverified']}; not proven by both: {verdicts['unproven']}",
            "features (scenarios using each): " + ", ".join(f"{f} {features[f]}" for f in FEATURES),
        ]
        for outcome in self.outcomes:
            if outcome.verdict not in ("optimal-agree", "infeasible-agree"):
                lines.append(f"  seed {outcome.seed}: {outcome.verdict}: {outcome.detail[:500]}")
        return "\n".join(lines)


def run(scenarios: int, first_seed: int = DEFAULT_FIRST_SEED, progress: Any = None) -> Summary:
    summary = Summary()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="placement-volume-") as folder:
        for seed in range(first_seed, first_seed + scenarios):
            summary.outcomes.append(check(seed, Path(folder)))
            if progress is not None:
                progress(summary)
    summary.seconds = time.perf_counter() - started
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.volume", description=__doc__)
    parser.add_argument("--scenarios", type=int, default=DEFAULT_SCENARIOS)
    parser.add_argument("--first-seed", type=int, default=DEFAULT_FIRST_SEED)
    args = parser.parse_args(argv)

    def progress(summary: Summary) -> None:
        if len(summary.outcomes) % 50 == 0:
            print(
                f"  {len(summary.outcomes):,} scenarios, {summary.good:,} agreeing",
                file=sys.stderr,
                flush=True,
            )

    summary = run(args.scenarios, args.first_seed, progress)
    print(summary.text(args.first_seed))
    return 0 if summary.good == len(summary.outcomes) else 1


if __name__ == "__main__":
    raise SystemExit(main())
