"""Checks of the add-ons, on a :class:`~placement.results.verify.checker.Checker`: spare
capacity (rules.resilience), the parts of split training clusters, and soft-rule violations.

Plain arithmetic on the scenario's fields, like the rest of :mod:`placement.results.verify`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from placement.results.verify import terms

if TYPE_CHECKING:
    from placement.results.verify.checker import Checker

FEAS_TOL = 1e-6


def check_spare(c: Checker) -> None:
    """Spare capacity: where it sits can host it, and it costs and occupies what it should
    (installed capacity: build or lease, cooling capital, hardware or cloud units; no energy)."""
    util = c.s.inference.utilisation or c.s.economics.utilisation
    hours = c.s.economics.hours_per_year
    for load in c.r.sites:
        site = c.sites.get(load.site)
        if site is None:
            continue
        for spare in load.spare:
            what = f"spare {spare.hardware!r} at {load.site!r} ({spare.financing})"
            hw = c.hardware.get(spare.hardware)
            if hw is None:
                c.fail(f"{what}: unknown hardware")
                continue
            if not c.facility_open(load.site, spare.financing, what):
                continue
            if spare.work < -FEAS_TOL:
                c.fail(f"{what}: negative work {spare.work}")
            units = spare.work / hw.throughput
            mw = units * hw.kw_per_unit / 1000.0
            if not (_close(units, spare.units) and _close(mw, spare.it_mw)):
                c.fail(f"{what}: {spare.work} work is {units} units and {mw} MW, reported "
                       f"{spare.units} units and {spare.it_mw} MW")  # fmt: skip
            if not terms.hosts_hardware(c.s, site, spare.financing, hw):
                c.fail(f"{what}: the site cannot run it")
                continue
            facility = (load.site, spare.financing)
            c.units[(facility, hw.id)] += units
            if spare.financing == "cloud":
                price = site.cloud.usd_per_unit_hour[hw.id]
                c.costs["cloud"] += units * price * hours * util
                continue
            tech = terms.technologies(c.s, site, spare.financing).get(spare.cooling)
            if tech is None or not tech.holds(hw.density):
                c.fail(f"{what}: cooling {spare.cooling!r} cannot hold {hw.density:g} kW racks")
                continue
            if (facility, tech.id) not in c.reported_cooling:
                c.fail(f"{what}: sits in {tech.id!r}, which is not reported installed")
            fac = terms.facility(c.s, site, spare.financing)
            capital = (
                mw * (fac.build_per_mw + tech.capital_per_mw) + units * hw.capital_per_unit_year
            )
            c.costs["build"] += mw * fac.build_per_mw
            c.costs["lease"] += mw * fac.rent_per_mw
            c.costs["cooling"] += mw * tech.capital_per_mw
            c.costs["hardware"] += units * hw.capital_per_unit_year
            c.capital += capital
            c.power_use[facility] += mw * tech.pue
            c.spare_it[facility] += mw
            if spare.financing == "build":
                c.racks[facility] += mw * 1000.0 / hw.density


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


# ---------------------------------------------------------------------------- soft rules
def soft_late(c: Checker, region, latency: float, share: float) -> bool:
    """A late pair is allowed under a soft SLO within its limit; its user·ms are recorded."""
    soft = c.s.rules.soft
    if soft is None or soft.slo_usd_per_user_ms_year is None:
        return False
    if soft.slo_limit_ms is not None and latency > soft.slo_limit_ms + 1e-9:
        return False
    slo = c.s.region_slo_ms(region)
    late = c.slo_late[region.id]
    late[0] += region.population * share * max(latency - slo, 0.0)
    late[1] = max(late[1], latency)
    return True


def soft_power(c: Checker, sid: str, mode: str, use: float, capacity: float) -> bool:
    """A built site beyond its grid power is allowed under a soft power cap (recorded)."""
    soft = c.s.rules.soft
    if soft is None or soft.power_usd_per_mw_year is None or mode != "build":
        return False
    c.soft[("power", sid)] = (capacity, use, use - capacity)
    return True


def soft_limit(c: Checker, rule: str, limit: float, value: float) -> bool:
    """Capital or carbon beyond its limit is allowed when the rule is soft (recorded)."""
    soft = c.s.rules.soft
    price = None if soft is None else getattr(soft, PRICES[rule])
    if price is None:
        return False
    c.soft[(rule, "")] = (limit, value, value - limit)
    return True


PRICES = {
    "slo": "slo_usd_per_user_ms_year",
    "power": "power_usd_per_mw_year",
    "capital_budget": "capital_usd_per_usd",
    "carbon_cap": "carbon_usd_per_tonne",
}


def check_violations(c: Checker, rtol: float) -> None:
    """The violations the result lists are those recomputed, at their price; their sum is the
    objective's violations component."""
    soft = c.s.rules.soft
    for rid, (user_ms, worst) in c.slo_late.items():
        slo = c.s.region_slo_ms(c.regions[rid])
        c.soft[("slo", rid)] = (slo, worst, user_ms)
    expected = {
        key: (limit, value, amount, amount * getattr(soft, PRICES[key[0]]))
        for key, (limit, value, amount) in c.soft.items()
    }
    c.costs["violations"] = sum(penalty for *_, penalty in expected.values())
    scale = max(abs(c.r.objective or 0.0), 1.0)
    reported = {(v.rule, v.subject): v for v in c.r.violations}
    for key in set(expected) | set(reported):
        mine, theirs = expected.get(key), reported.get(key)
        penalty = 0.0 if mine is None else mine[3]
        if theirs is None:
            if penalty > rtol * scale:
                c.fail(f"soft rule {key[0]} {key[1]!r}: violated by {mine[2]:,.6f} (penalty "
                       f"{penalty:,.2f}) but the result does not list it")  # fmt: skip
            continue
        if mine is None:
            if theirs.penalty_usd > rtol * scale:
                c.fail(f"soft rule {key[0]} {key[1]!r}: listed as violated, but it holds")
            continue
        if not math.isclose(theirs.amount, mine[2], rel_tol=1e-6, abs_tol=1e-6) or not (
            math.isclose(theirs.penalty_usd, penalty, rel_tol=1e-6, abs_tol=rtol * scale)
        ):
            c.fail(f"soft rule {key[0]} {key[1]!r}: reported {theirs.amount:,.6f} "
                   f"{theirs.unit} at {theirs.penalty_usd:,.2f} USD, recomputed "
                   f"{mine[2]:,.6f} at {penalty:,.2f}")  # fmt: skip


# ---------------------------------------------------------------------------- split training
def check_split(c: Checker, cluster, choice, option, util: float) -> None:
    """A split cluster: parts at open facilities in technologies that hold its racks, shares
    adding to one, at most max_sites sites, every two within max_pair_rtt_ms (RTT recomputed
    here), interconnect per site beyond the first; each part costs its share of the whole."""
    what = f"training cluster {cluster.id!r}"
    split = cluster.split
    if split is None:
        c.fail(f"{what} is split but has no split settings")
        return
    if not choice.parts:
        if choice.interconnect_usd:
            c.fail(f"{what}: interconnect {choice.interconnect_usd} without parts")
        return
    total = sum(p.share for p in choice.parts)
    if abs(total - 1.0) > FEAS_TOL:
        c.fail(f"{what}: part shares add to {total:.9f}, not 1")
    sites = sorted({p.site for p in choice.parts})
    if len(sites) > split.max_sites:
        c.fail(f"{what}: parts at {len(sites)} sites, more than max_sites = {split.max_sites}")
    for n, a in enumerate(sites):
        for b in sites[n + 1 :]:
            if a in c.sites and b in c.sites:
                ms = c.rtt(c.sites[a], c.sites[b])
                if ms > split.max_pair_rtt_ms + 1e-9:
                    c.fail(f"{what}: parts at {a!r} and {b!r} are {ms:.3f} ms apart, beyond "
                           f"max_pair_rtt_ms = {split.max_pair_rtt_ms:g}")  # fmt: skip
    interconnect = split.interconnect_usd_per_year * (len(sites) - 1)
    if not math.isclose(interconnect, choice.interconnect_usd, rel_tol=1e-9, abs_tol=1e-6):
        c.fail(f"{what}: interconnect {choice.interconnect_usd}, expected {interconnect}")
    c.costs["interconnect"] += interconnect
    hw_capital = option.capital_usd * terms.crf(c.s.economics.discount_rate, option.lifetime_years)
    for part in choice.parts:
        site = c.sites.get(part.site)
        where = f"{what} part at {part.site!r}"
        if site is None or not c.facility_open(part.site, part.financing, where):
            continue
        if part.financing == "cloud":
            c.fail(f"{where}: parts run at built or leased sites, not in a cloud region")
            continue
        if part.share < -FEAS_TOL:
            c.fail(f"{where}: negative share {part.share}")
        if not _close(part.it_mw, option.it_mw * part.share):
            c.fail(f"{where}: {part.it_mw} IT MW for a share {part.share} of {option.it_mw}")
        tech = terms.technologies(c.s, site, part.financing).get(part.cooling)
        if tech is None or not tech.holds(option.rack_density_kw):
            c.fail(f"{where}: cooling {part.cooling!r} cannot hold "
                   f"{option.rack_density_kw:g} kW racks")  # fmt: skip
            continue
        facility = (part.site, part.financing)
        c.training_facilities.add(facility)
        mw = option.it_mw * part.share
        c.training_in[(facility, tech.id)].append((mw, util))
        fac = terms.facility(c.s, site, part.financing)
        c.costs["build"] += mw * fac.build_per_mw
        c.costs["lease"] += mw * fac.rent_per_mw
        c.costs["hardware"] += hw_capital * part.share
        c.capital += mw * fac.build_per_mw + hw_capital * part.share
        if part.financing == "build":
            c.racks[facility] += float(option.racks) * part.share
        c._count_it("training", site.id, mw)
