"""Independent check of a multi-period result (``PlacementResult.periods``).

Re-derived here from the scenario's fields, with no model code: each period's years and
discount weight w_t = Σ_y (1 + r)^−(y − first year); each period's scenario (every region's
demand × its cumulative growth, users as stated, a region grown to zero left out, prices × the
period's index, the clusters arrived by then, a cluster's hardware at its arrival period's
price); and what a block of capacity, an opening or an installation costs when made in a
given period.

Every period's placement is then checked by the one-period :class:`Checker` against its
scenario *with the once-bought capital taken out* (build and cooling capital per MW, a
site's and a cooling technology's fixed capital); that capital is checked here instead:
blocks priced at their period and holding the period's IT MW, fixed capital at the price of
the period the site opened or the cooling was installed in. Across periods: built sites and
installed cooling stay, capacity is bought only at built sites, clusters stay where and as
they were placed, present values add up, and the top level is the last period with KPIs over
the horizon.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from placement.model.schema import Scenario
from placement.results.result import COST_COMPONENTS, PeriodResult, PlacementResult
from placement.results.verify import terms
from placement.results.verify.checker import FEAS_TOL, Checker, weighted_latency

CAPITAL_TAKEN_OUT = ("fixed", "cooling", "build", "capital")
DECISION_FIELDS = (
    "open_sites",
    "liquid_sites",
    "training",
    "training_choices",
    "serving",
    "unserved",
    "sites",
)


def verify_periods(
    scenario: Scenario, result: PlacementResult, problems: list[str], rtol: float
) -> None:
    """Append every violation of ``result`` against the multi-period ``scenario``."""
    if len(result.periods) != len(scenario.periods):
        problems.append(
            f"the scenario lists {len(scenario.periods)} period(s) but the result has "
            f"{len(result.periods)}"
        )
        return
    PeriodsCheck(scenario, result, problems, rtol).run()


class PeriodsCheck:
    def __init__(self, scenario: Scenario, result: PlacementResult, problems: list[str], rtol):
        self.s = scenario
        self.r = result
        self.problems = problems
        self.rtol = rtol
        self.spans = spans(scenario)
        self.weights = weights(scenario.economics.discount_rate, self.spans)
        self.arrival = arrivals(scenario)
        base = scenario.to_dict()
        self.priced = [period_scenario(base, scenario, t, self.arrival) for t in self.range]
        self.operating = [
            period_scenario(base, scenario, t, self.arrival, capital=False) for t in self.range
        ]

    @property
    def range(self) -> range:
        return range(len(self.s.periods))

    def fail(self, t: int | None, message: str) -> None:
        where = "" if t is None else f"{self.r.periods[t].year}: "
        self.problems.append(where + message)

    def run(self) -> None:
        for t, period in enumerate(self.r.periods):
            self.check_period_record(t, period)
            self.check_placement(t, period)
            self.check_blocks(t, period)
        self.check_persistence()
        self.check_top_level()

    # ----------------------------------------------------------------- one period
    def check_period_record(self, t: int, period: PeriodResult) -> None:
        year, years = self.spans[t]
        if (period.year, period.years) != (year, years):
            self.fail(t, f"period is {period.year} for {period.years} year(s), the scenario "
                         f"says {year} for {years}")  # fmt: skip
        if not math.isclose(period.discount_weight, self.weights[t], rel_tol=1e-9):
            self.fail(t, f"discount weight {period.discount_weight!r}, recomputed "
                         f"{self.weights[t]!r}")  # fmt: skip
        if period.result.status != self.r.status:
            self.fail(t, f"status {period.result.status.value}, the plan's is "
                         f"{self.r.status.value}")  # fmt: skip

    def check_placement(self, t: int, period: PeriodResult) -> None:
        """The one-period checker on the period's scenario without once-bought capital, the
        result's costs less that capital (computed here)."""
        bought = self.capital_bought(t)
        costs = period.result.costs
        operating_costs = costs.model_copy(
            update={name: getattr(costs, name) - bought[name] for name in CAPITAL_TAKEN_OUT}
        )
        objective = (period.result.objective or 0.0) - sum(
            bought[name] for name in CAPITAL_TAKEN_OUT if name != "capital"
        )
        view = period.result.model_copy(update={"costs": operating_costs, "objective": objective})
        found: list[str] = []
        Checker(self.operating[t], view, found).run(self.rtol)
        for message in found:
            self.fail(t, message)
        budget = self.s.rules.capital_budget_usd_per_year
        if budget is not None and costs.capital > budget * (1 + 1e-9) + FEAS_TOL:
            self.fail(t, f"annualised capital {costs.capital:,.3f} exceeds the budget "
                         f"{budget:,.3f}")  # fmt: skip

    def capital_bought(self, t: int) -> dict[str, float]:
        """Period t's once-bought capital: fixed capital of built sites and installed cooling
        at the price of the period they started in, and the blocks bought so far."""
        out = dict.fromkeys(CAPITAL_TAKEN_OUT, 0.0)
        for sid in self.built_sites(t):
            since = min(tau for tau in range(t + 1) if sid in self.built_sites(tau))
            site = self.site(since, sid)
            out["fixed"] += terms.facility(self.priced[since], site, "build").fixed_capital
        for sid, tid in self.installed(t):
            since = min(tau for tau in range(t + 1) if (sid, tid) in self.installed(tau))
            tech = self.tech(since, sid, tid)
            if tech is not None:
                out["cooling"] += tech.fixed_capital
        for tau in range(t + 1):
            for block in self.r.periods[tau].blocks:
                price = self.block_price(tau, block.site, block.technology)
                if price is None:
                    continue
                out["build" if block.technology is None else "cooling"] += block.mw * price
        out["capital"] = out["fixed"] + out["cooling"] + out["build"]
        return out

    def check_blocks(self, t: int, period: PeriodResult) -> None:
        """Blocks priced at their period, bought at built sites, holding the IT MW."""
        built = self.built_sites(t)
        for block in period.blocks:
            what = f"block of {block.mw:g} MW at {block.site!r} ({block.technology or 'building'})"
            price = self.block_price(t, block.site, block.technology)
            if price is None:
                self.fail(t, f"{what}: the site cannot buy that capacity")
                continue
            if block.mw < -FEAS_TOL:
                self.fail(t, f"{what}: negative")
            if not math.isclose(block.usd_per_mw_year, price, rel_tol=1e-6, abs_tol=1e-6):
                self.fail(t, f"{what}: priced {block.usd_per_mw_year!r} USD/MW·yr, recomputed "
                             f"{price!r}")  # fmt: skip
            if block.site not in built:
                self.fail(t, f"{what}: capacity bought at a site not built by then")
        capacity = self.capacity(t)
        for sid, mw in self.building_load(t).items():
            if mw > capacity.get((sid, None), 0.0) * (1 + 1e-9) + FEAS_TOL:
                self.fail(t, f"site {sid!r} carries {mw:,.6f} IT MW, its building holds "
                             f"{capacity.get((sid, None), 0.0):,.6f}")  # fmt: skip
        for (sid, tid), mw in self.cooling_load(t).items():
            price = self.block_price(t, sid, tid)
            if price and mw > capacity.get((sid, tid), 0.0) * (1 + 1e-9) + FEAS_TOL:
                self.fail(t, f"site {sid!r}: {mw:,.6f} IT MW in {tid!r}, its bought capacity "
                             f"holds {capacity.get((sid, tid), 0.0):,.6f}")  # fmt: skip
        for sid, mw in period.built_mw.items():
            if not math.isclose(mw, capacity.get((sid, None), 0.0), rel_tol=1e-6, abs_tol=1e-6):
                self.fail(t, f"built_mw[{sid!r}] = {mw}, its blocks add up to "
                             f"{capacity.get((sid, None), 0.0)}")  # fmt: skip

    # ----------------------------------------------------------------- across periods
    def check_persistence(self) -> None:
        for t in range(1, len(self.r.periods)):
            for sid in sorted(self.built_sites(t - 1) - self.built_sites(t)):
                self.fail(t, f"site {sid!r} was built in an earlier period but is not open")
            for sid, tid in sorted(self.installed(t - 1) - self.installed(t)):
                self.fail(t, f"cooling {tid!r} at {sid!r} was installed but is gone")
        for t, period in enumerate(self.r.periods):
            opened = self.built_sites(t) - (self.built_sites(t - 1) if t else set())
            if set(period.opened) != opened:
                self.fail(t, f"opened {sorted(period.opened)}, built this period: "
                             f"{sorted(opened)}")  # fmt: skip
            installed = self.installed(t) - (self.installed(t - 1) if t else set())
            if set(period.installed) != {f"{s}:{k}" for s, k in installed}:
                self.fail(t, f"installed {sorted(period.installed)}, installed this period: "
                             f"{sorted(f'{s}:{k}' for s, k in installed)}")  # fmt: skip
            arrived = {c.id for k, c in enumerate(self.s.training) if self.arrival[k] == t}
            if set(period.arrived) != arrived:
                self.fail(t, f"arrived {sorted(period.arrived)}, the scenario's arrivals: "
                             f"{sorted(arrived)}")  # fmt: skip
        for k, cluster in enumerate(self.s.training):
            first = self.r.periods[self.arrival[k]].result.training_choices.get(cluster.id)
            for t in range(self.arrival[k] + 1, len(self.r.periods)):
                now = self.r.periods[t].result.training_choices.get(cluster.id)
                if first is None or now is None:
                    continue
                if _how(now) != _how(first):
                    self.fail(t, f"training cluster {cluster.id!r} moved from {_how(first)} to "
                                 f"{_how(now)}; a cluster stays as placed")  # fmt: skip

    def check_top_level(self) -> None:
        last = self.r.periods[-1].result
        for name in DECISION_FIELDS:
            if _dump(getattr(self.r, name)) != _dump(getattr(last, name)):
                self.fail(None, f"{name} at the top level is not the last period's")
        scale = abs(self.r.objective or 0.0)
        for name in (*COST_COMPONENTS, "capital"):
            mine = sum(w * getattr(p.result.costs, name) for w, p in self._weighted())
            theirs = getattr(self.r.costs, name)
            if not _close(mine, theirs, self.rtol, scale):
                self.fail(None, f"present value of cost {name}: reported {theirs:,.6f}, "
                                f"recomputed {mine:,.6f}")  # fmt: skip
        total = sum(w * (p.result.objective or 0.0) for w, p in self._weighted())
        if self.r.objective is None or not _close(total, self.r.objective, self.rtol):
            self.fail(None, f"objective (present value): reported {self.r.objective}, "
                            f"recomputed {total:,.6f}")  # fmt: skip
        obj, bound = self.r.objective, self.r.bound
        if obj is not None and bound is not None and bound > obj + self.rtol * max(abs(obj), 1):
            self.fail(None, f"bound {bound:,.6f} is above the objective {obj:,.6f}")
        self.check_horizon_kpis()

    def check_horizon_kpis(self) -> None:
        samples = []
        served = demand = carbon = years_total = 0.0
        for t, period in enumerate(self.r.periods):
            years = self.spans[t][1]
            scn = self.operating[t]
            regions = {r.id: r for r in scn.regions}
            hardware = terms.hardware(scn)
            for a in period.result.serving:
                region, hw = regions.get(a.region), hardware.get(a.hardware)
                if region is None or hw is None:
                    continue  # reported by the period's own check
                samples.append((a.rtt_ms + hw.service_ms, years * region.population * a.share))
            work = {r.id: terms.work(scn, r) for r in scn.regions}
            unserved = sum(
                share * work.get(rid, 0.0) for rid, share in period.result.unserved.items()
            )
            served += years * (sum(work.values()) - unserved)
            demand += years * sum(work.values())
            carbon += years * period.result.kpis.carbon_tonnes_per_year
            years_total += years
        mean, p95 = weighted_latency(samples)
        last = self.r.periods[-1].result.kpis
        expected: dict[str, Any] = {
            "weighted_mean_rtt_ms": mean,
            "p95_rtt_ms": p95,
            "carbon_tonnes_per_year": carbon / years_total,
            "served_share": 1.0 if demand <= 0 else served / demand,
            **{
                name: getattr(last, name)
                for name in ("training_mw", "inference_mw", "facility_mw", "open_sites")
            },
            "training_sites": last.training_sites,
        }
        for name, mine in expected.items():
            theirs = getattr(self.r.kpis, name)
            if mine is None or theirs is None:
                if (mine is None) != (theirs is None):
                    self.fail(None, f"kpi {name} over the horizon: reported {theirs}, "
                                    f"recomputed {mine}")  # fmt: skip
                continue
            if not math.isclose(mine, theirs, rel_tol=self.rtol, abs_tol=1e-6):
                self.fail(None, f"kpi {name} over the horizon: reported {theirs:,.6f}, "
                                f"recomputed {mine:,.6f}")  # fmt: skip
        if self.r.kpis.mw_by_site != last.mw_by_site:
            self.fail(None, "kpi mw_by_site at the top level is not the last period's")

    # ----------------------------------------------------------------- helpers
    def _weighted(self):
        return zip(self.weights, self.r.periods, strict=True)

    def site(self, t: int, sid: str):
        return next(s for s in self.priced[t].sites if s.id == sid)

    def tech(self, t: int, sid: str, tid: str) -> terms.Tech | None:
        site = next((s for s in self.priced[t].sites if s.id == sid), None)
        if site is None or "build" not in site.financing:
            return None
        return terms.technologies(self.priced[t], site, "build").get(tid)

    def block_price(self, t: int, sid: str, tid: str | None) -> float | None:
        """Annualised capital per IT MW of a block bought in t (None: not buyable there)."""
        site = next((s for s in self.priced[t].sites if s.id == sid), None)
        if site is None or "build" not in site.financing:
            return None
        if tid is None:
            return terms.facility(self.priced[t], site, "build").build_per_mw
        tech = self.tech(t, sid, tid)
        return None if tech is None else tech.capital_per_mw

    def built_sites(self, t: int) -> set[str]:
        return {load.site for load in self.r.periods[t].result.sites if "build" in load.financing}

    def installed(self, t: int) -> set[tuple[str, str]]:
        """(site, technology) installed at built sites whose technology has a fixed cost."""
        out = set()
        for load in self.r.periods[t].result.sites:
            for use in load.cooling:
                if use.financing != "build":
                    continue
                tech = self.tech(t, load.site, use.technology)
                if tech is not None and tech.fixed_opex + tech.fixed_capital > 0:
                    out.add((load.site, use.technology))
        return out

    def capacity(self, t: int) -> dict[tuple[str, str | None], float]:
        out: dict[tuple[str, str | None], float] = defaultdict(float)
        for tau in range(t + 1):
            for block in self.r.periods[tau].blocks:
                out[(block.site, block.technology)] += block.mw
        return out

    def building_load(self, t: int) -> dict[str, float]:
        """IT MW at each built site in period t: clusters built there and inference served."""
        result = self.r.periods[t].result
        clusters = {c.id: c for c in self.operating[t].training}
        out: dict[str, float] = defaultdict(float)
        for cid, choice in result.training_choices.items():
            options = {o.id: o for o in clusters[cid].choices} if cid in clusters else {}
            if choice.financing == "build" and choice.option in options:
                out[choice.site] += options[choice.option].it_mw
        for a in result.serving:
            if a.financing == "build":
                out[a.site] += a.mw
        return out

    def cooling_load(self, t: int) -> dict[tuple[str, str], float]:
        out: dict[tuple[str, str], float] = defaultdict(float)
        for load in self.r.periods[t].result.sites:
            for use in load.cooling:
                if use.financing == "build":
                    out[(load.site, use.technology)] += use.training_mw + sum(
                        use.inference_mw.values()
                    )
        return out


# ---------------------------------------------------------------------------- derivations
def spans(scenario: Scenario) -> list[tuple[int, int]]:
    """(first year, years) of each period: ``years`` as stated, else up to the next period
    (1 for the last)."""
    periods = scenario.periods
    out = []
    for t, p in enumerate(periods):
        if p.years is not None:
            n = p.years
        else:
            n = periods[t + 1].year - p.year if t + 1 < len(periods) else 1
        out.append((p.year, n))
    return out


def weights(rate: float, periods: list[tuple[int, int]]) -> list[float]:
    """w_t: the present value of 1 USD paid at the start of each year of period t."""
    first = periods[0][0]
    return [sum(1.0 / (1.0 + rate) ** (y - first) for y in range(a, a + n)) for a, n in periods]


def arrivals(scenario: Scenario) -> list[int]:
    out = []
    for cluster in scenario.training:
        named = [t for t, p in enumerate(scenario.periods) if cluster.id in p.new_training]
        out.append(named[0] if named else 0)
    return out


def period_scenario(
    base: dict[str, Any], scenario: Scenario, t: int, arrival: list[int], *, capital: bool = True
) -> Scenario:
    """Period t's scenario from the scenario's fields (dicts, validated again); without
    ``capital`` the once-bought capital is 0: build cost and a site's fixed capital, cooling
    capital (per MW, fixed; legacy liquid)."""
    index = scenario.periods[t].price_index
    growth = {r.id: 1.0 for r in scenario.regions}
    for p in scenario.periods[: t + 1]:
        for rid in growth:
            growth[rid] *= 1.0 + p.region_growth.get(rid, p.demand_growth)
    keep = 1.0 if capital else 0.0
    data = {k: v for k, v in base.items() if k not in ("periods", "site_defaults")}
    data["name"] = f"{scenario.name} {scenario.periods[t].year}"
    data["regions"] = [
        _grown(scenario, r, growth[r["id"]]) for r in base["regions"] if growth[r["id"]] > 0
    ]
    gone = {rid for rid, factor in growth.items() if factor <= 0}
    data["pair_costs_usd_per_year"] = {
        sid: {rid: cost for rid, cost in row.items() if rid not in gone}
        for sid, row in base.get("pair_costs_usd_per_year", {}).items()
    }
    data["sites"] = [_priced_site(s, index, keep) for s in base["sites"]]
    data["cooling_technologies"] = [
        {
            **c,
            "capital_usd_per_mw": c["capital_usd_per_mw"] * index.cooling * keep,
            "fixed_capital_usd": c["fixed_capital_usd"] * index.cooling * keep,
        }
        for c in base["cooling_technologies"]
    ]
    data["hardware"] = [
        {**h, "capital_usd_per_unit": h["capital_usd_per_unit"] * index.hardware}
        for h in base["hardware"]
    ]
    training = []
    for k, cluster in enumerate(base["training"]):
        if arrival[k] > t:
            continue
        at_arrival = scenario.periods[arrival[k]].price_index.hardware
        options = [{**o, "capital_usd": o["capital_usd"] * at_arrival} for o in cluster["options"]]
        training.append({**cluster, "options": options})
    data["training"] = training
    economics = dict(base["economics"])
    economics["carbon_price_usd_per_tonne"] *= index.carbon
    data["economics"] = economics
    return Scenario.from_dict(data, source=f"period {t} of {scenario.name}")


def _grown(scenario: Scenario, region: dict[str, Any], factor: float) -> dict[str, Any]:
    """Demand × factor, written in the unit the scenario counts it in; population kept."""
    out = dict(region)
    if factor == 1.0:
        return out
    stated = next(r for r in scenario.regions if r.id == region["id"])
    if scenario.hardware:
        out["demand_work"] = terms.work(scenario, stated) * factor
    elif out.get("demand_mw") is not None:
        out["demand_mw"] = out["demand_mw"] * factor
    else:
        out["demand_gpus"] = terms.work(scenario, stated) * factor  # GPUs without a catalogue
    return out


def _priced_site(site: dict[str, Any], index, keep: float) -> dict[str, Any]:
    out = dict(site)
    if out.get("energy_price_usd_per_mwh") is not None:
        out["energy_price_usd_per_mwh"] *= index.energy
    if out.get("build_cost_usd_per_mw_year") is not None:
        out["build_cost_usd_per_mw_year"] *= index.build * keep
    out["fixed_capital_usd_per_year"] *= index.build * keep
    out["liquid_cooling_cost_usd_per_year"] *= index.cooling * keep
    if out.get("lease") is not None:
        lease = dict(out["lease"])
        lease["usd_per_kw_month"] *= index.lease
        lease["fixed_cost_usd_per_year"] *= index.lease
        out["lease"] = lease
    if out.get("cloud") is not None:
        cloud = dict(out["cloud"])
        cloud["usd_per_unit_hour"] = {
            hw: price * index.cloud for hw, price in cloud["usd_per_unit_hour"].items()
        }
        out["cloud"] = cloud
    return out


def _how(choice) -> tuple[str, str, str, str]:
    return (choice.site, choice.financing, choice.option, choice.cooling)


def _dump(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {k: _dump(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_dump(v) for v in value]
    return value


def _close(a: float, b: float, rtol: float, scale: float = 0.0) -> bool:
    return abs(a - b) <= rtol * max(abs(a), abs(b), scale * 1e-3, 1e-6)
