"""Decoding the add-ons: spare capacity and site-loss coverage (N-1), the parts of split
training clusters, and soft-rule violations, from the values of a solved model.

Like the rest of :mod:`placement.results.decode`, every figure is recomputed from the rounded
decisions (not read from slack variables), so what is reported is what the decisions do.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import numpy as np

from placement.model.data import ModelData
from placement.model.resilience import failure_flows
from placement.model.soft_rules import slo_excess_ms, soft_power_price, soft_slo_price
from placement.results.result import (
    FailureCoverage,
    SiteLossCoverage,
    SpareCapacity,
    TrainingChoice,
    TrainingPart,
    Violation,
)

if TYPE_CHECKING:
    from placement.results.decode import Decisions

WORK_EPS = 1e-9
PART_EPS = 1e-9


# ---------------------------------------------------------------------------- reading values
def read_spare(
    data: ModelData, columns: np.ndarray, values: np.ndarray, is_open: np.ndarray
) -> np.ndarray:
    """Spare work per spare variable (the model counts it in units of S, the largest region's
    work): ≥ 0, tiny amounts and amounts at closed facilities (solver noise) dropped."""
    if columns.size == 0:
        return np.zeros(len(data.spare))
    spare = np.maximum(values[columns], 0.0) * data.work_scale  # the model counts in units of S
    spare[(spare < WORK_EPS) | ~is_open[data.spare.site]] = 0.0
    return spare


def read_parts(
    data: ModelData, columns: np.ndarray, values: np.ndarray, is_open: np.ndarray
) -> np.ndarray:
    """Share of its cluster per part pair, in [0, 1], tiny shares dropped."""
    if columns.size == 0:
        return np.zeros(len(data.parts))
    parts = np.clip(values[columns], 0.0, 1.0)
    parts[(parts < PART_EPS) | ~is_open[data.parts.site]] = 0.0
    return parts


# ---------------------------------------------------------------------------- N-1
def spare_by_site(
    data: ModelData, index: np.ndarray, work: np.ndarray
) -> dict[int, tuple[SpareCapacity, ...]]:
    """Per scenario site, its spare capacity by financing, hardware and cooling."""
    z = data.spare
    out: dict[int, list[SpareCapacity]] = defaultdict(list)
    hardware = data.hardware_ids
    for v, w in zip(index.tolist(), work.tolist(), strict=True):
        f = int(z.site[v])
        out[int(data.sites.site[f])].append(
            SpareCapacity(
                financing=str(data.sites.mode[f]),
                hardware=hardware[int(z.option[v])],
                cooling=str(data.cooling.technology[int(z.tech[v])]),
                work=float(w),
                units=float(w * z.units[v]),
                it_mw=float(w * z.it_mw[v]),
            )
        )
    return {i: tuple(entries) for i, entries in out.items()}


def node_capacity(data: ModelData, d: Decisions) -> np.ndarray:
    """Installed work per capacity node: served work plus spare."""
    graph = data.failures
    assert graph is not None
    n_hw = len(data.hardware_ids)
    sv, z = data.serving, data.spare
    out = np.zeros(len(graph))
    served = d.serve > 0
    node = graph.node_of(sv.site[served], sv.option[served], n_hw)
    np.add.at(out, node, d.serve[served] * data.region_work[sv.other[served]])
    used = d.spare > 0
    np.add.at(out, graph.node_of(z.site[used], z.option[used], n_hw), d.spare[used])
    return out


def site_loss(
    data: ModelData, d: Decisions, open_sites: list[int], *, rounds: int, cuts: int
) -> SiteLossCoverage | None:
    """Each open site's failure: the served demand and the max flow the others can carry."""
    graph = data.failures
    if graph is None:
        return None
    demand = data.region_work * (1.0 - d.unserved)
    flows = failure_flows(graph, node_capacity(data, d), demand, np.asarray(open_sites, dtype=int))
    site_ids = [s.id for s in data.scenario.sites]
    return SiteLossCoverage(
        degraded_slo_ms=graph.degraded_slo_ms,
        failures=tuple(
            FailureCoverage(site=site_ids[f.site], demand=f.demand, covered=f.flow) for f in flows
        ),
        spare_work=float(d.spare.sum()),
        rounds=rounds,
        cuts=cuts,
    )


# ---------------------------------------------------------------------------- split training
def split_choices(
    data: ModelData, index: np.ndarray, share: np.ndarray
) -> dict[str, TrainingChoice]:
    """Clusters placed through parts: the largest part names the site; every part listed."""
    pt = data.parts
    site_ids = [s.id for s in data.scenario.sites]
    by_cluster: dict[int, list[tuple[float, int]]] = defaultdict(list)
    for q, x in zip(index.tolist(), share.tolist(), strict=True):
        by_cluster[int(pt.other[q])].append((x, q))
    out = {}
    for k, entries in by_cluster.items():
        entries.sort(key=lambda e: (-e[0], e[1]))
        cluster = data.scenario.training[k]
        parts = tuple(
            TrainingPart(
                site=site_ids[int(data.sites.site[pt.site[q]])],
                financing=str(data.sites.mode[pt.site[q]]),
                cooling=str(data.cooling.technology[int(pt.tech[q])]),
                share=float(x),
                it_mw=float(x * pt.it_mw[q]),
                facility_mw=float(x * pt.facility_mw[q]),
            )
            for x, q in entries
        )
        n_sites = len({p.site for p in parts})
        top = entries[0][1]
        option = data.training_options[int(pt.option[top])]
        assert cluster.split is not None
        cost = pt.cost - pt.latency - pt.pair_cost - pt.slo_penalty
        out[cluster.id] = TrainingChoice(
            site=parts[0].site,
            financing=parts[0].financing,
            option=option.id,
            cooling=parts[0].cooling,
            liquid=bool(data.cooling.liquid[int(pt.tech[top])]),
            it_mw=float(option.it_mw),
            gpus=option.gpus,
            rack_density_kw=float(option.rack_density_kw),
            facility_mw=float(sum(p.facility_mw for p in parts)),
            annual_cost_usd=float(sum(x * cost[q] for x, q in entries)),
            parts=parts if n_sites > 1 else (),
            interconnect_usd=cluster.split.interconnect_usd_per_year * (n_sites - 1),
        )
    return out


# ---------------------------------------------------------------------------- soft rules
def violations(
    data: ModelData,
    d: Decisions,
    *,
    facility_use: np.ndarray,
    capital: float,
    carbon_t: float,
    serve_index: np.ndarray,
    serve_share: np.ndarray,
) -> tuple[Violation, ...]:
    """Each soft rule broken, recomputed from the decisions: regions served beyond their SLO
    (user·ms), build sites beyond their grid power (MW), capital beyond the budget (USD per
    year), emissions beyond the cap (t per year), each with its price in the objective."""
    scenario = data.scenario
    soft, rules = scenario.rules.soft, scenario.rules
    if soft is None:
        return ()
    out: list[Violation] = []
    price = soft_slo_price(scenario)
    if price is not None:
        out += _slo_violations(data, serve_index, serve_share, price)
    price = soft_power_price(scenario)
    if price is not None:
        build = np.flatnonzero((data.sites.mode == "build") & d.open)
        over = facility_use[build] - data.sites.capacity[build]
        for f, mw in zip(build.tolist(), over.tolist(), strict=True):
            if mw > WORK_EPS:
                out.append(
                    Violation(
                        rule="power",
                        subject=data.scenario.sites[int(data.sites.site[f])].id,
                        limit=float(data.sites.capacity[f]),
                        value=float(facility_use[f]),
                        amount=float(mw),
                        unit="MW",
                        penalty_usd=float(price * mw),
                    )
                )
    for rule, price, limit, value, unit in (
        ("capital_budget", soft.capital_usd_per_usd, rules.capital_budget_usd_per_year, capital,
         "USD/yr"),
        ("carbon_cap", soft.carbon_usd_per_tonne, rules.carbon_cap_tonnes_per_year, carbon_t,
         "t CO2/yr"),
    ):  # fmt: skip
        if price is None or limit is None or value <= limit * (1 + 1e-12) + WORK_EPS:
            continue
        out.append(
            Violation(
                rule=rule,
                limit=float(limit),
                value=float(value),
                amount=float(value - limit),
                unit=unit,
                penalty_usd=float(price * (value - limit)),
            )
        )
    return tuple(out)


def _slo_violations(
    data: ModelData, index: np.ndarray, share: np.ndarray, price: float
) -> list[Violation]:
    sv = data.serving
    region = sv.other[index]
    latency = sv.rtt_ms[index] + sv.service_ms[index]
    excess = slo_excess_ms(data.scenario, region, latency)
    late = excess > 0
    user_ms = np.bincount(
        region[late],
        weights=(data.region_users[region] * share * excess)[late],
        minlength=data.n_regions,
    )
    worst = np.zeros(data.n_regions)
    np.maximum.at(worst, region[late], latency[late])
    out = []
    for j in np.flatnonzero(np.bincount(region[late], minlength=data.n_regions)).tolist():
        r = data.scenario.regions[j]
        out.append(
            Violation(
                rule="slo",
                subject=r.id,
                limit=float(data.scenario.region_slo_ms(r) or 0.0),
                value=float(worst[j]),
                amount=float(user_ms[j]),
                unit="user·ms",
                penalty_usd=float(price * user_ms[j]),
            )
        )
    return out
