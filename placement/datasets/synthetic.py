"""Seeded synthetic scenarios for tests and benchmarks.

``random_cflp`` is the classic random Euclidean capacitated facility-location family (Cornuéjols,
Sridharan, Thizy 1991 style): points in the unit square, pair cost = demand × distance × scale,
total capacity ≈ ``capacity_ratio`` × total demand. ``random_ai_scenario`` is an AI-placement
scenario on real geography-like coordinates (a box over the contiguous US) with training
clusters, liquid cooling, prices, an SLO and a latency penalty.
"""

from __future__ import annotations

import numpy as np

from placement.model.schema import Scenario

US_BOX = {"lat": (25.0, 49.0), "lon": (-124.0, -67.0)}


def random_cflp(
    n_sites: int, n_regions: int, seed: int = 0, capacity_ratio: float = 3.0
) -> Scenario:
    """Random Euclidean CFLP: explicit pair costs, capacities, fixed costs; no geography."""
    rng = np.random.default_rng(seed)
    site_xy = rng.random((n_sites, 2))
    region_xy = rng.random((n_regions, 2))
    demand = rng.integers(5, 36, n_regions).astype(float)
    capacity = rng.integers(10, 161, n_sites).astype(float)
    capacity *= capacity_ratio * demand.sum() / capacity.sum()
    fixed = rng.integers(0, 91, n_sites) + rng.integers(100, 111, n_sites) * np.sqrt(capacity)
    distance = np.linalg.norm(site_xy[:, None, :] - region_xy[None, :, :], axis=2)
    pair_cost = 10.0 * distance * demand[None, :]
    site_ids = [f"s{i}" for i in range(n_sites)]
    region_ids = [f"r{j}" for j in range(n_regions)]
    return Scenario.from_dict(
        {
            "name": f"random_cflp_{n_sites}x{n_regions}_seed{seed}",
            "site_defaults": {
                "energy_price_usd_per_mwh": 0.0,
                "carbon_kg_per_mwh": 0.0,
                "pue": 1.0,
                "build_cost_usd_per_mw_year": 0.0,
            },
            "sites": [
                {
                    "id": sid,
                    "lat": 0.0,
                    "lon": 0.0,
                    "power_mw": float(cap),
                    "fixed_cost_usd_per_year": float(f),
                }
                for sid, cap, f in zip(site_ids, capacity, fixed, strict=True)
            ],
            "regions": [
                {"id": rid, "lat": 0.0, "lon": 0.0, "demand_mw": float(d)}
                for rid, d in zip(region_ids, demand, strict=True)
            ],
            "pair_costs_usd_per_year": {
                sid: dict(zip(region_ids, np.round(pair_cost[i], 4).tolist(), strict=True))
                for i, sid in enumerate(site_ids)
            },
        }
    )


def random_ai_scenario(
    n_sites: int,
    n_regions: int,
    n_clusters: int = 2,
    seed: int = 0,
    *,
    slo_ms: float | None = 60.0,
    latency_penalty: float = 0.5,
    liquid_share: float = 0.5,
) -> Scenario:
    """A random AI-placement scenario: sites and population centres over the contiguous US."""
    rng = np.random.default_rng(seed)

    def points(n: int) -> tuple[np.ndarray, np.ndarray]:
        return rng.uniform(*US_BOX["lat"], n), rng.uniform(*US_BOX["lon"], n)

    s_lat, s_lon = points(n_sites)
    r_lat, r_lon = points(n_regions)
    population = np.round(rng.lognormal(10.0, 1.2, n_regions))
    gpus = np.round(population / 1000.0 * 0.5, 3)
    liquid = rng.random(n_sites) < liquid_share
    liquid[: max(1, min(n_clusters, n_sites))] = True  # every cluster can find a liquid site
    cluster_mw = rng.uniform(20.0, 150.0, n_clusters)
    inference_mw = float(gpus.sum()) * 1.275 / 1000.0
    power = rng.uniform(0.5, 1.5, n_sites) * 1.3 * (inference_mw + cluster_mw.sum()) * 3 / n_sites
    power = np.maximum(power, 1.4 * cluster_mw.max(initial=0.0))
    sites = [
        {
            "id": f"site{i}",
            "lat": float(s_lat[i]),
            "lon": float(s_lon[i]),
            "power_mw": float(power[i]),
            "energy_price_usd_per_mwh": float(rng.uniform(45.0, 160.0)),
            "carbon_kg_per_mwh": float(rng.uniform(50.0, 700.0)),
            "pue": float(rng.uniform(1.15, 1.45)),
            "liquid_pue": float(rng.uniform(1.05, 1.15)),
            "max_rack_density_kw": 140.0 if liquid[i] else 45.0,
            "air_cooling_limit_kw": 45.0,
            "liquid_cooling_available": bool(liquid[i]),
            "liquid_cooling_cost_usd_per_year": float(rng.uniform(1e6, 5e6)),
            "fixed_cost_usd_per_year": float(rng.uniform(2e6, 2e7)),
            "build_cost_usd_per_mw_year": float(rng.uniform(8e5, 1.4e6)),
        }
        for i in range(n_sites)
    ]
    regions = [
        {
            "id": f"region{j}",
            "lat": float(r_lat[j]),
            "lon": float(r_lon[j]),
            "population": float(population[j]),
            "demand_gpus": float(gpus[j]),
        }
        for j in range(n_regions)
    ]
    training = [
        {
            "id": f"cluster{k}",
            "it_mw": float(round(cluster_mw[k], 3)),
            "rack_density_kw": float(rng.choice([41.0, 120.0])),
            "gpus": int(cluster_mw[k] * 1000 / 1.4),
        }
        for k in range(n_clusters)
    ]
    return Scenario.from_dict(
        {
            "name": f"random_ai_{n_sites}x{n_regions}_seed{seed}",
            "sites": sites,
            "regions": regions,
            "training": training,
            "economics": {"latency_penalty_usd_per_user_ms_year": latency_penalty},
            "network": {"default_slo_ms": slo_ms, "route_factor": 1.5},
        }
    )


def random_menu_scenario(
    n_sites: int,
    n_regions: int,
    n_clusters: int = 2,
    seed: int = 0,
    *,
    slo_ms: float | None = 60.0,
    lease_share: float = 0.25,
    n_cloud: int | None = None,
) -> Scenario:
    """:func:`random_ai_scenario` with decision menus: two inference hardware types (a GPU
    server in 40 kW racks, an accelerator in 30 kW racks, both air-cooled), a colocation lease
    next to the build option at ``lease_share`` of the sites, ``n_cloud`` cloud regions
    (default: one per 20 sites, at least one) selling both types with a quota on the GPU,
    and every cluster with two ways to be built (dense liquid-cooled racks, or more IT MW in
    41 kW air racks)."""
    base = random_ai_scenario(n_sites, n_regions, n_clusters, seed, slo_ms=slo_ms).to_dict()
    rng = np.random.default_rng(seed + 10_000)
    n_cloud = max(1, n_sites // 20) if n_cloud is None else n_cloud
    sites = base["sites"]
    for s in sites:
        if rng.random() < lease_share:
            s["financing"] = ["build", "lease"]
            s["lease"] = {
                "usd_per_kw_month": float(rng.uniform(90.0, 180.0)),
                "max_it_mw": float(rng.uniform(0.1, 0.4) * s["power_mw"]),
                "max_rack_density_kw": 45.0,
                "energy_included": bool(rng.random() < 0.5),
            }
    region_work = np.array([r.pop("demand_gpus") for r in base["regions"]]) * 8.0
    for r, work in zip(base["regions"], region_work, strict=True):
        r["demand_work"] = float(work)
    lat, lon = rng.uniform(*US_BOX["lat"], n_cloud), rng.uniform(*US_BOX["lon"], n_cloud)
    for c in range(n_cloud):
        sites.append(
            {
                "id": f"cloud{c}",
                "lat": float(lat[c]),
                "lon": float(lon[c]),
                "financing": ["cloud"],
                "carbon_kg_per_mwh": float(rng.uniform(100.0, 500.0)),
                "cloud": {
                    "usd_per_unit_hour": {
                        "gpu_server": float(rng.uniform(8.0, 20.0)),
                        "accelerator": float(rng.uniform(6.0, 16.0)),
                    },
                    "quota_units": {
                        "gpu_server": float(rng.uniform(0.02, 0.1) * region_work.sum() / 8.0)
                    },
                },
            }
        )
    base["hardware"] = [
        {
            "id": "gpu_server",
            "throughput_per_unit": 8.0,
            "kw_per_unit": 10.2,
            "rack_density_kw": 40.0,
            "capital_usd_per_unit": 300_000.0,
            "service_time_ms": 0.0,
        },
        {
            "id": "accelerator",
            "throughput_per_unit": 6.0,
            "kw_per_unit": 6.0,
            "rack_density_kw": 30.0,
            "capital_usd_per_unit": float(rng.uniform(200_000.0, 320_000.0)),
            "service_time_ms": 4.0,
        },
    ]
    for cluster in base["training"]:
        mw = cluster.pop("it_mw")
        gpus = cluster.pop("gpus")
        cluster.pop("rack_density_kw")
        cluster["options"] = [
            {"id": "dense", "it_mw": mw, "rack_density_kw": 120.0, "gpus": gpus},
            {"id": "air", "it_mw": round(mw * 1.15, 3), "rack_density_kw": 41.0, "gpus": gpus},
        ]
    base["name"] = f"random_menu_{n_sites}x{n_regions}_seed{seed}"
    return Scenario.from_dict(base)
