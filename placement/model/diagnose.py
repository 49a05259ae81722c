"""Infeasibility that can be seen before solving, explained in words.

Each check is a necessary condition for feasibility; a message names the culprit (region,
cluster, rule) and the numbers behind the verdict. An empty list proves nothing: the solver may
still find the problem infeasible, and then the status says so.
"""

from __future__ import annotations

import numpy as np

from placement.model import economics
from placement.model.data import ModelData
from placement.model.latency import nearest_rtt_ms
from placement.model.resilience import cannot_be_covered_twice
from placement.model.schema import Scenario, TrainingCluster
from placement.model.soft_rules import soft_power_price


def diagnose(data: ModelData, *, single_source: bool = False) -> list[str]:
    """Messages explaining why the problem cannot be feasible (empty if none is seen)."""
    scenario = data.scenario
    messages: list[str] = []
    messages += _clusters_that_fit_nowhere(scenario, data)
    if data.unserved_cost is None:
        messages += _regions_without_site(scenario, data)
    hard_power = soft_power_price(scenario) is None  # soft: a built site may draw more
    if hard_power:
        messages += _capacity_shortfall(scenario, data)
        messages += _liquid_shortfall(scenario, data)
    messages += _rule_conflicts(scenario, data, single_source, hard_power)
    if data.failures is not None and data.unserved_cost is None:
        soft_power = soft_power_price(scenario) is not None
        messages += cannot_be_covered_twice(
            scenario, data.offer, data.failures, data.region_work, soft_power
        )
    return messages


def _clusters_that_fit_nowhere(scenario: Scenario, data: ModelData) -> list[str]:
    placed = np.zeros(data.n_clusters, dtype=bool)
    placed[data.training.other] = True
    placed[data.parts.other] = True  # a split cluster may fit in parts where it fits nowhere whole
    messages = []
    forbidden = set(scenario.rules.forbidden)
    open_sites = [s for s in scenario.sites if s.id not in forbidden]
    for k in np.flatnonzero(~placed):
        cluster = scenario.training[k]
        why = (
            _why_options_fit_nowhere(data, k)
            if data.uses_menus
            else _why_cluster_fits_nowhere(scenario, cluster, open_sites)
        )
        messages.append(f"training cluster {cluster.id!r} fits no site: {why}")
    return messages


def _why_options_fit_nowhere(data: ModelData, k: int) -> str:
    """With menus: the first rule no facility and cooling option passes, per way to build."""
    offer = data.offer
    cool, fac = offer.cooling, offer.facilities
    allowed = fac.open_ub[cool.facility] > 0
    if not allowed.any():
        return "every site is forbidden"
    reasons = []
    for o in np.flatnonzero(data.option_cluster == k):
        option = data.training_options[o]
        label = f"as {option.id!r}: " if len(data.scenario.training[k].choices) > 1 else ""
        hosts = (
            cool.supports([option.rack_density_kw])[:, 0]
            & allowed
            & (fac.mode[cool.facility] != "cloud")
        )
        if not hosts.any():
            densest = cool.max_density[allowed & (fac.mode[cool.facility] != "cloud")]
            top = f"{densest.max():g} kW" if densest.size else "none"
            reasons.append(
                f"{label}no cooling technology at any site takes {option.rack_density_kw:g} "
                f"kW racks (the densest any site can cool: {top})"
            )
            continue
        use = np.where(fac.mode[cool.facility] == "build", cool.pue, 1.0) * option.it_mw
        capacity = fac.capacity[cool.facility]
        if not (hosts & (use <= capacity * (1 + 1e-12))).any():
            best = float(capacity[hosts].max())
            reasons.append(
                f"{label}it needs {float(use[hosts].min()):,.1f} MW and the largest facility "
                f"that can cool it has {best:,.1f} MW"
            )
            continue
        reasons.append(f"{label}it needs {option.racks:,} racks, more than any suitable site has")
    return "; ".join(reasons)


def _why_cluster_fits_nowhere(scenario: Scenario, cluster: TrainingCluster, sites) -> str:
    """The first rule of :mod:`placement.model.economics` that no allowed site passes."""
    if not sites:
        return "every site is forbidden"
    table = economics.SiteTable.of(scenario, tuple(sites))
    placed = economics.place_cluster_at(scenario, table, cluster)
    dense_ok = economics.density_fits(cluster.rack_density_kw, table.max_rack_density_kw)
    if not dense_ok.any():
        return (
            f"its rack density {cluster.rack_density_kw:g} kW exceeds every site's maximum "
            f"(highest {table.max_rack_density_kw.max():g} kW)"
        )
    cool_ok = dense_ok & economics.cooling_possible(
        placed.liquid[:, 0], table.liquid_cooling_available
    )
    if not cool_ok.any():
        return (
            f"at {cluster.rack_density_kw:g} kW per rack it needs liquid cooling, and none of "
            f"the {int(dense_ok.sum())} site(s) dense enough allows liquid cooling"
        )
    facility = placed.facility_mw[:, 0]
    power_ok = cool_ok & economics.power_fits(facility, table.power_mw)
    if not power_ok.any():
        best = int(np.argmax(np.where(cool_ok, table.power_mw - facility, -np.inf)))
        return (
            f"it needs {facility[best]:,.1f} MW of facility power (IT {cluster.it_mw:g} MW × "
            f"PUE) and the largest suitable site {sites[best].id!r} has "
            f"{table.power_mw[best]:,.1f} MW"
        )
    racks = table.racks_available[power_ok]
    best_racks = int(racks[np.isfinite(racks)].max(initial=0))
    return f"it needs {cluster.racks:,} racks and suitable sites offer at most {best_racks:,}"


def _regions_without_site(scenario: Scenario, data: ModelData) -> list[str]:
    covered = np.zeros(data.n_regions, dtype=bool)
    covered[data.serving.other] = True
    missing = np.flatnonzero(~covered)
    if missing.size == 0:
        return []
    nearest = nearest_rtt_ms(scenario)
    messages = []
    for j in missing[:20]:
        region = scenario.regions[j]
        slo = scenario.region_slo_ms(region)
        if slo is not None and nearest[j] > slo:
            reason = f"its nearest site is {nearest[j]:.1f} ms away (RTT) and its SLO is {slo:g} ms"
        elif scenario.hardware:
            fastest = min(h.service_time_ms for h in scenario.hardware)
            reason = (
                f"its nearest site is {nearest[j]:.1f} ms away (RTT) within its SLO of {slo:g} ms, "
                "but no site within reach hosts hardware whose service time fits the rest "
                f"(the fastest adds {fastest:g} ms) with a cooling that holds its racks, or a "
                "rule forbids them"
            )
        else:
            reason = (
                "no site within its SLO can host inference "
                f"({scenario.inference.rack_density_kw:g} kW/rack: density, cooling or forbidden)"
            )
        messages.append(f"region {region.id!r} ({region.name or region.id}) has no site: {reason}")
    if missing.size > 20:
        messages.append(f"... and {missing.size - 20} more regions without a site in their SLO")
    return messages


def _capacity_shortfall(scenario: Scenario, data: ModelData) -> list[str]:
    capacity = data.sites.capacity[data.sites.open_ub > 0]
    if not np.all(np.isfinite(capacity)):
        return []  # a facility without a capacity limit (cloud) can take any shortfall
    available = float(np.sum(capacity))
    need = 0.0
    if len(data.training):
        least = np.full(data.n_clusters, np.inf)
        np.minimum.at(least, data.training.other, data.training.capacity_use)
        need += float(np.sum(least[np.isfinite(least)]))
    if data.unserved_cost is None and len(data.serving):
        least = np.full(data.n_regions, np.inf)
        np.minimum.at(least, data.serving.other, data.serving.capacity_use)
        need += float(np.sum(least[np.isfinite(least)]))
    if need > available * (1 + 1e-9):
        return [
            f"total demand needs at least {need:,.1f} MW of facility power and all allowed "
            f"sites together offer {available:,.1f} MW"
        ]
    return []


def _liquid_shortfall(scenario: Scenario, data: ModelData) -> list[str]:
    """Clusters that need liquid cooling wherever they go must fit in the liquid sites."""
    tr = data.training
    if len(tr) == 0:
        return []
    always = np.ones(data.n_clusters, dtype=bool)
    np.logical_and.at(always, tr.other, tr.needs_liquid)
    placed = np.zeros(data.n_clusters, dtype=bool)
    placed[tr.other] = True
    group = always & placed
    if not group.any():
        return []
    least = np.full(data.n_clusters, np.inf)
    np.minimum.at(least, tr.other, tr.capacity_use)
    need = float(least[group].sum())
    liquid_sites = np.unique(tr.site[group[tr.other]])
    available = float(data.sites.capacity[liquid_sites].sum())
    if not np.isfinite(available):
        return []
    if need > available * (1 + 1e-9):
        names = ", ".join(repr(scenario.training[k].id) for k in np.flatnonzero(group))
        return [
            f"training clusters {names} need liquid cooling wherever they go: at least "
            f"{need:,.1f} MW of facility power, and the {liquid_sites.size} liquid-capable "
            f"site(s) that can take them offer {available:,.1f} MW together"
        ]
    return []


def _rule_conflicts(
    scenario: Scenario, data: ModelData, single_source: bool, hard_power: bool = True
) -> list[str]:
    rules = scenario.rules
    messages = []
    hard_demand = data.unserved_cost is None and data.n_regions > 0
    if rules.max_sites is not None:
        forced = int(np.sum(data.sites.open_lb))
        if forced > rules.max_sites:
            messages.append(
                f"rules.max_sites = {rules.max_sites} but {forced} sites must open "
                "(existing or must_open)"
            )
        if rules.max_sites == 0 and (data.n_clusters or hard_demand):
            messages.append("rules.max_sites = 0 but there is demand to place")
    if rules.max_training_sites == 0 and data.n_clusters:
        messages.append("rules.max_training_sites = 0 but there are training clusters to place")
    if single_source and rules.max_share_per_site < 1.0 and hard_demand:
        messages.append(
            f"rules.max_share_per_site = {rules.max_share_per_site:g} < 1 cannot hold under "
            "single sourcing (each region is served whole by one site)"
        )
    if single_source and hard_demand and hard_power:
        messages += _regions_too_big_to_single_source(scenario, data)
    if hard_demand and rules.max_share_per_site < 1.0:
        per_region = np.bincount(data.serving.other, minlength=data.n_regions)
        short = np.flatnonzero(per_region * rules.max_share_per_site < 1.0 - 1e-12)
        for j in short[:10]:
            region = scenario.regions[j]
            messages.append(
                f"region {region.id!r} has {per_region[j]} site(s) in its SLO, too few to split "
                f"its demand with at most {rules.max_share_per_site:g} per site"
            )
    cap = rules.carbon_cap_tonnes_per_year
    if cap is not None and (rules.soft is None or rules.soft.carbon_usd_per_tonne is None):
        floor = _least_total(data.training.carbon_t, data.training.other, data.n_clusters)
        if data.unserved_cost is None:
            floor += _least_total(data.serving.carbon_t, data.serving.other, data.n_regions)
        if floor > cap * (1 + 1e-9):
            messages.append(
                f"rules.carbon_cap_tonnes_per_year = {cap:,.0f} but even the cleanest placement "
                f"emits at least {floor:,.0f} t CO2 per year"
            )
    return messages


def _regions_too_big_to_single_source(scenario: Scenario, data: ModelData) -> list[str]:
    """Under single sourcing a region needs one site whose power holds all of its demand."""
    sv = data.serving
    fits = sv.capacity_use <= data.sites.capacity[sv.site] * (1 + 1e-12)
    has_fit = np.zeros(data.n_regions, dtype=bool)
    has_fit[data.serving.other[fits]] = True
    covered = np.zeros(data.n_regions, dtype=bool)
    covered[data.serving.other] = True
    messages = []
    for j in np.flatnonzero(covered & ~has_fit)[:10]:
        region = scenario.regions[j]
        in_reach = sv.other == j
        biggest = float(data.sites.capacity[sv.site[in_reach]].max())
        need = float(sv.capacity_use[in_reach].min())
        messages.append(
            f"region {region.id!r} needs {need:,.1f} MW from a single site and the largest "
            f"site within its SLO has {biggest:,.1f} MW"
        )
    return messages


def _least_total(values: np.ndarray, owner: np.ndarray, count: int) -> float:
    if values.size == 0:
        return 0.0
    least = np.full(count, np.inf)
    np.minimum.at(least, owner, values)
    return float(np.sum(least[np.isfinite(least)]))
