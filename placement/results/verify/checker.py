"""The checks of :func:`placement.verify`, one method per family of rules.

Every figure is recomputed from the scenario and the result's decisions: facilities open (a
site in a financing mode), where and how each training cluster is built, each assignment's
site, financing and hardware, and the IT MW in each cooling technology. Costs, capacities,
rules and KPIs follow from those alone.
"""

from __future__ import annotations

import math
from collections import defaultdict

from placement.model.schema import Scenario, Site
from placement.results.result import COST_COMPONENTS, PlacementResult, TrainingChoice
from placement.results.verify import addons, terms
from placement.results.verify.latency import Rtt
from placement.results.verify.resilience import check_site_loss

FEAS_TOL = 1e-6  # absolute, on shares and MW (relative on large capacities)

Facility = tuple[str, str]  # (site id, financing mode)


class Checker:
    def __init__(self, scenario: Scenario, result: PlacementResult, problems: list[str]):
        self.s = scenario
        self.r = result
        self.problems = problems
        self.sites = {site.id: site for site in scenario.sites}
        self.regions = {region.id: region for region in scenario.regions}
        self.hardware = terms.hardware(scenario)
        self.rtt = Rtt(scenario)
        self.open: set[Facility] = set()
        self.costs: dict[str, float] = defaultdict(float)
        self.capital = 0.0
        self.carbon_t = 0.0
        # loads by facility and cooling technology: (IT MW, utilisation) entries
        self.training_in: dict[tuple[Facility, str], list[tuple[float, float]]] = defaultdict(list)
        self.inference_at: dict[tuple[Facility, str], float] = defaultdict(float)  # by hardware
        self.inference_in: dict[tuple[Facility, str, str], float] = defaultdict(float)
        self.units: dict[tuple[Facility, str], float] = defaultdict(float)
        self.racks: dict[Facility, float] = defaultdict(float)
        self.training_facilities: set[Facility] = set()
        self.it_mw = {"training": 0.0, "inference": 0.0}
        self.facility_mw = 0.0
        self.it_mw_by_site: dict[str, float] = defaultdict(float)
        self.latency_samples: list[tuple[float, float]] = []
        self.power_use: dict[Facility, float] = defaultdict(float)  # facility MW
        self.spare_it: dict[Facility, float] = defaultdict(float)  # IT MW of spare (N-1)
        self.reported_cooling: dict = {}
        self.soft: dict[tuple[str, str], tuple[float, float, float]] = {}  # violations
        self.slo_late: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])

    def fail(self, message: str) -> None:
        self.problems.append(message)

    def run(self, rtol: float) -> None:
        self.check_facilities()
        self.check_training()
        self.check_serving()
        self.check_cooling()
        addons.check_spare(self)
        self.check_capacity()
        self.check_rules()
        addons.check_violations(self, rtol)
        self.check_costs(rtol)
        self.check_bound(rtol)
        self.check_kpis(rtol)
        check_site_loss(self.s, self.r, self.rtt, self.fail)

    # ----------------------------------------------------------------- facilities
    def check_facilities(self) -> None:
        listed = {load.site for load in self.r.sites}
        for sid in set(self.r.open_sites) | listed:
            if sid not in self.sites:
                self.fail(f"site {sid!r} in the result is not in the scenario")
        for sid in sorted(listed - set(self.r.open_sites)):
            self.fail(f"site {sid!r} carries load but open_sites leaves it out (a closed site)")
        for sid in sorted(set(self.r.open_sites) - listed):
            self.fail(f"site {sid!r} is in open_sites but the result lists no load there")
        for load in self.r.sites:
            site = self.sites.get(load.site)
            if site is None:
                continue
            for mode in load.financing:
                if mode not in site.financing:
                    self.fail(f"site {load.site!r} is open as {mode!r}, which it does not offer")
                    continue
                self.open.add((load.site, mode))
                terms_ = terms.facility(self.s, site, mode)
                self.costs["fixed"] += terms_.fixed_opex + terms_.fixed_capital
                self.capital += terms_.fixed_capital

    def facility_open(self, sid: str, mode: str, what: str) -> bool:
        if (sid, mode) not in self.open:
            self.fail(f"{what} at {sid!r} ({mode}), which is not open")
            return False
        return True

    # ----------------------------------------------------------------- training
    def check_training(self) -> None:
        for cluster in self.s.training:
            choice = self._choice(cluster)
            if choice is None:
                continue
            site = self.sites.get(choice.site)
            if site is None:
                self.fail(f"training cluster {cluster.id!r} placed at unknown site {choice.site!r}")
                continue
            what = f"training cluster {cluster.id!r}"
            options = {o.id: o for o in cluster.choices}
            option = options.get(choice.option)
            if option is None:
                self.fail(f"{what}: option {choice.option!r} is not one of {sorted(options)}")
                continue
            util = option.utilisation or self.s.economics.utilisation
            if choice.parts or cluster.split is not None:
                addons.check_split(self, cluster, choice, option, util)
                if choice.parts:
                    continue
            if not self.facility_open(choice.site, choice.financing, what):
                continue
            self.training_facilities.add((choice.site, choice.financing))
            self._place_training(cluster.id, site, choice, option, util)
        unknown = set(self.r.training) - {c.id for c in self.s.training}
        for cid in sorted(unknown):
            self.fail(f"result places unknown training cluster {cid!r}")

    def _choice(self, cluster) -> TrainingChoice | None:
        choice = self.r.training_choices.get(cluster.id)
        sid = self.r.training.get(cluster.id)
        if sid is None:
            self.fail(f"training cluster {cluster.id!r} is not placed")
            return None
        if choice is not None:
            if choice.site != sid:
                self.fail(f"training cluster {cluster.id!r}: training says {sid!r}, its choice "
                          f"{choice.site!r}")  # fmt: skip
            return choice
        if len(cluster.choices) != 1 or sid not in self.sites:
            self.fail(f"training cluster {cluster.id!r}: the result does not say how it is built")
            return None
        # a result from before the menus: the one option, built, in the technology it fits
        only = cluster.choices[0]
        fitting = [
            t for t in terms.technologies(self.s, self.sites[sid], "build").values()
            if t.holds(only.rack_density_kw)
        ]  # fmt: skip
        tech = fitting[0].id if len(fitting) == 1 else "?"
        return TrainingChoice(site=sid, option=only.id, cooling=tech, it_mw=only.it_mw)

    def _place_training(self, cid, site: Site, choice, option, util: float) -> None:
        facility = (site.id, choice.financing)
        what = f"training cluster {cid!r}"
        if choice.financing == "cloud":
            price = site.cloud.usd_per_unit_hour.get(option.cloud_hardware or "")
            if price is None:
                self.fail(f"{what}: {site.id!r} does not rent {option.cloud_hardware!r}")
                return
            hours = self.s.economics.hours_per_year
            self.costs["cloud"] += option.cloud_units * price * hours * util
            self.units[(facility, option.cloud_hardware)] += option.cloud_units
            self.add_energy(site, facility, "cloud", option.it_mw, util, pays=False)
            self._count_it("training", site.id, option.it_mw)
            return
        techs = terms.technologies(self.s, site, choice.financing)
        tech = techs.get(choice.cooling)
        if tech is None:
            self.fail(f"{what}: cooling {choice.cooling!r} is not available at {site.id!r}")
            return
        if not tech.holds(option.rack_density_kw):
            self.fail(
                f"{what} ({option.rack_density_kw:g} kW/rack) cannot sit in {tech.id!r} at "
                f"{site.id!r} ({tech.lo:g} < density ≤ {tech.hi:g})"
            )
        self.training_in[(facility, tech.id)].append((option.it_mw, util))
        fac = terms.facility(self.s, site, choice.financing)
        self.costs["build"] += option.it_mw * fac.build_per_mw
        self.costs["lease"] += option.it_mw * fac.rent_per_mw
        hw_capital = option.capital_usd * terms.crf(
            self.s.economics.discount_rate, option.lifetime_years
        )
        self.costs["hardware"] += hw_capital
        self.capital += option.it_mw * fac.build_per_mw + hw_capital
        if choice.financing == "build":
            self.racks[facility] += float(option.racks)
        self._count_it("training", site.id, option.it_mw)

    # ----------------------------------------------------------------- inference
    def check_serving(self) -> None:
        totals: dict[str, float] = defaultdict(float)
        rules = self.s.rules
        lam = self.s.economics.latency_penalty_usd_per_user_ms_year
        util = self.s.inference.utilisation or self.s.economics.utilisation
        hours = self.s.economics.hours_per_year
        for a in self.r.serving:
            region, site = self.regions.get(a.region), self.sites.get(a.site)
            hw = self.hardware.get(a.hardware)
            if region is None or site is None or hw is None:
                self.fail(f"assignment {a.region!r} → {a.site!r} on {a.hardware!r} names an "
                          "unknown region, site or hardware")  # fmt: skip
                continue
            what = f"region {a.region!r} → {a.site!r}"
            if a.share < -FEAS_TOL or a.share > rules.max_share_per_site + FEAS_TOL:
                self.fail(f"{what}: share {a.share:.9f} outside [0, {rules.max_share_per_site:g}]")
            self.facility_open(a.site, a.financing, f"region {a.region!r} served")
            if not terms.hosts_hardware(self.s, site, a.financing, hw):
                self.fail(f"{what}: {a.site!r} ({a.financing}) cannot run {hw.id!r}")
            totals[a.region] += a.share
            rtt = self.rtt(site, region)
            if not math.isclose(rtt, a.rtt_ms, rel_tol=1e-6, abs_tol=1e-6):
                self.fail(f"{what}: reported RTT {a.rtt_ms:.6f} ms, recomputed {rtt:.6f} ms")
            if not math.isclose(a.service_ms, hw.service_ms, abs_tol=1e-9):
                self.fail(f"{what}: service time {a.service_ms} ms, {hw.id!r} has {hw.service_ms}")
            slo = self.s.region_slo_ms(region)
            late = slo is not None and rtt + hw.service_ms > slo + 1e-9
            soft = late and addons.soft_late(self, region, rtt + hw.service_ms, a.share)
            if late and not soft and a.share > FEAS_TOL:
                self.fail(
                    f"{what} on {hw.id!r}: {rtt:.3f} ms RTT + {hw.service_ms:g} ms service "
                    f"> SLO {slo:g}"
                )
            demand = terms.work(self.s, region) * a.share
            mw = demand * hw.kw_per_unit / hw.throughput / 1000.0
            units = demand / hw.throughput
            if not math.isclose(mw, a.mw, rel_tol=1e-6, abs_tol=1e-9):
                self.fail(f"{what}: reported {a.mw} MW, expected {mw}")
            facility = (a.site, a.financing)
            self.inference_at[(facility, hw.id)] += mw
            self.units[(facility, hw.id)] += units
            fac = terms.facility(self.s, site, a.financing)
            self.costs["build"] += mw * fac.build_per_mw
            self.costs["lease"] += mw * fac.rent_per_mw
            if a.financing == "cloud":
                self.costs["cloud"] += units * site.cloud.usd_per_unit_hour[hw.id] * hours * util
            else:
                self.costs["hardware"] += units * hw.capital_per_unit_year
                self.capital += units * hw.capital_per_unit_year
            self.capital += mw * fac.build_per_mw
            if a.financing == "build":
                self.racks[facility] += mw * 1000.0 / hw.density
            self._count_it("inference", site.id, mw)
            self.latency_samples.append((rtt + hw.service_ms, region.population * a.share))
            self.costs["latency_penalty"] += (
                lam * region.population * (rtt + hw.service_ms) * a.share
            )
            pair = self.s.pair_costs_usd_per_year.get(a.site, {}).get(a.region, 0.0)
            self.costs["pair_costs"] += pair * a.share
        self._check_unserved(totals)

    def _check_unserved(self, totals: dict[str, float]) -> None:
        penalty = terms.unserved_penalty_per_work(self.s)
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
                (penalty or 0.0) * terms.work(self.s, self.regions[rid]) * share
            )
        cap = self.s.rules.max_share_per_site
        per_site: dict[tuple[str, str], float] = defaultdict(float)
        for a in self.r.serving:
            per_site[(a.region, a.site)] += a.share
        for (rid, sid), share in per_site.items():
            if share > cap + FEAS_TOL:
                self.fail(f"region {rid!r} takes {share:.9f} of its demand from site {sid!r}, "
                          f"above rules.max_share_per_site = {cap:g}")  # fmt: skip
        for region in self.s.regions:
            if abs(totals.get(region.id, 0.0) - 1.0) > FEAS_TOL:
                self.fail(
                    f"region {region.id!r}: shares sum to {totals.get(region.id, 0.0):.9f}, not 1"
                )

    def _count_it(self, kind: str, sid: str, mw: float) -> None:
        self.it_mw[kind] += mw
        self.it_mw_by_site[sid] += mw

    # ----------------------------------------------------------------- cooling
    def check_cooling(self) -> None:
        """Installed technologies hold the loads placed in them; costs and energy by PUE."""
        util = self.s.inference.utilisation or self.s.economics.utilisation
        reported = self._reported_cooling()
        self.reported_cooling = reported
        installed_liquid = set()
        for (facility, tid), (training_mw, inference) in reported.items():
            sid, mode = facility
            site = self.sites.get(sid)
            if site is None or not self.facility_open(sid, mode, f"cooling {tid!r}"):
                continue
            tech = terms.technologies(self.s, site, mode).get(tid)
            if tech is None:
                self.fail(f"site {sid!r} ({mode}) cannot install cooling {tid!r}")
                continue
            if tech.liquid:
                installed_liquid.add(sid)
            self.costs["cooling"] += tech.fixed_opex + tech.fixed_capital
            self.capital += tech.fixed_capital
            placed = self.training_in.get((facility, tid), [])
            if not math.isclose(training_mw, sum(mw for mw, _ in placed), abs_tol=1e-6):
                self.fail(f"site {sid!r}: {training_mw} training MW reported in {tid!r}, "
                          f"{sum(mw for mw, _ in placed)} placed there")  # fmt: skip
            loads = [*placed, *((mw, util) for mw in inference.values())]
            for hw_id, mw in inference.items():
                hw = self.hardware.get(hw_id)
                if hw is not None and not tech.holds(hw.density):
                    self.fail(f"site {sid!r}: {hw_id!r} racks ({hw.density:g} kW) cannot sit in "
                              f"{tid!r}")  # fmt: skip
                self.inference_in[(facility, tid, hw_id)] += mw
            fac = terms.facility(self.s, site, mode)
            for mw, u in loads:
                self.costs["cooling"] += mw * tech.capital_per_mw
                self.capital += mw * tech.capital_per_mw
                self.add_energy(site, facility, tid, mw, u, pays=fac.pays_energy, pue=tech.pue)
        for facility, tid in self.training_in:
            if (facility, tid) not in reported:
                self.fail(f"training at {facility[0]!r} sits in {tid!r}, not reported installed")
        self._check_inference_split()
        if set(self.r.liquid_sites) != installed_liquid:
            self.fail(f"liquid_sites {sorted(self.r.liquid_sites)} but liquid cooling is "
                      f"installed at {sorted(installed_liquid)}")  # fmt: skip

    def _reported_cooling(self) -> dict[tuple[Facility, str], tuple[float, dict[str, float]]]:
        """(training MW, inference MW by hardware) per installed technology, as reported; for
        results written before cooling menus, derived from the one technology that fits."""
        out = {}
        for load in self.r.sites:
            for use in load.cooling:
                if use.financing == "cloud":
                    self.fail(
                        f"site {load.site!r}: a cloud region reports cooling {use.technology!r}"
                    )
                    continue
                out[((load.site, use.financing), use.technology)] = (
                    use.training_mw,
                    dict(use.inference_mw),
                )
            if not load.cooling and load.site in self.sites:
                out.update(self._legacy_cooling(load.site))
        return out

    def _legacy_cooling(self, sid: str) -> dict:
        site = self.sites[sid]
        techs = terms.technologies(self.s, site, "build")
        out: dict = {}
        facility = (sid, "build")
        for (fac, hw_id), mw in self.inference_at.items():
            if fac == facility:
                hw = self.hardware[hw_id]
                tid = next((t.id for t in techs.values() if t.holds(hw.density)), "?")
                out.setdefault((facility, tid), (0.0, {}))[1][hw_id] = mw
        for (fac, tid), placed in self.training_in.items():
            if fac == facility:
                inference = out.get((facility, tid), (0.0, {}))[1]
                out[(facility, tid)] = (sum(mw for mw, _ in placed), inference)
        return out

    def _check_inference_split(self) -> None:
        by_hardware: dict[tuple[Facility, str], float] = defaultdict(float)
        for (facility, _tid, hw_id), mw in self.inference_in.items():
            by_hardware[(facility, hw_id)] += mw
        for key in set(by_hardware) | set(self.inference_at):
            if key[0][1] == "cloud":
                continue
            reported, served = by_hardware.get(key, 0.0), self.inference_at.get(key, 0.0)
            if not math.isclose(reported, served, rel_tol=1e-6, abs_tol=1e-6):
                self.fail(f"site {key[0][0]!r}: {served:.6f} MW of {key[1]!r} served, "
                          f"{reported:.6f} MW of it in cooling technologies")  # fmt: skip
        for (facility, _hw), mw in self.inference_at.items():
            if facility[1] == "cloud":
                site = self.sites[facility[0]]
                util = self.s.inference.utilisation or self.s.economics.utilisation
                self.add_energy(site, facility, "cloud", mw, util, pays=False)

    def add_energy(
        self, site: Site, facility: Facility, tid: str, it_mw: float, util: float, *,
        pays: bool, pue: float | None = None,
    ) -> None:  # fmt: skip
        """Energy and carbon of IT load in a technology (cloud: the provider's PUE)."""
        if pue is None:
            pue = site.cloud.pue if site.cloud is not None else 1.0
        econ = self.s.economics
        facility_mw = it_mw * pue
        self.facility_mw += facility_mw
        mwh = facility_mw * util * econ.hours_per_year
        tonnes = mwh * site.carbon_kg_per_mwh / 1000.0
        self.carbon_t += tonnes
        self.power_use[facility] += facility_mw
        if pays:
            self.costs["energy"] += mwh * site.energy_price_usd_per_mwh
            self.costs["carbon"] += tonnes * econ.carbon_price_usd_per_tonne

    # ----------------------------------------------------------------- capacity and rules
    def check_capacity(self) -> None:
        it_by_facility: dict[Facility, float] = defaultdict(float)
        for (facility, _tid), placed in self.training_in.items():
            it_by_facility[facility] += sum(mw for mw, _ in placed)
        for (facility, _hw), mw in self.inference_at.items():
            it_by_facility[facility] += mw
        for facility, mw in self.spare_it.items():
            it_by_facility[facility] += mw
        for facility in self.open:
            sid, mode = facility
            site = self.sites[sid]
            fac = terms.facility(self.s, site, mode)
            use = it_by_facility[facility] if fac.capacity_is_it else self.power_use[facility]
            over = fac.capacity is not None and use > fac.capacity * (1 + 1e-9) + FEAS_TOL
            if over and not addons.soft_power(self, sid, mode, use, fac.capacity):
                kind = "IT MW" if fac.capacity_is_it else "MW"
                where = f"site {sid!r}" if mode == "build" else f"site {sid!r} ({mode})"
                self.fail(f"{where} draws {use:,.6f} {kind}, above its {fac.capacity:,.6f}")
            if fac.racks is not None and self.racks[facility] > fac.racks * (1 + 1e-9) + FEAS_TOL:
                self.fail(
                    f"site {sid!r} uses {self.racks[facility]:,.3f} racks of {fac.racks:,.0f}"
                )
            if mode == "cloud":
                for hw_id, quota in site.cloud.quota_units.items():
                    used = self.units.get((facility, hw_id), 0.0)
                    if used > quota * (1 + 1e-9) + FEAS_TOL:
                        self.fail(f"site {sid!r}: {used:,.3f} {hw_id!r} above the quota {quota:g}")

    def check_rules(self) -> None:
        rules = self.s.rules
        open_sites = {sid for sid, _ in self.open}
        for sid in rules.forbidden:
            if sid in open_sites:
                self.fail(f"forbidden site {sid!r} is open")
        for sid in (*rules.must_open, *rules.existing):
            if sid not in open_sites:
                self.fail(f"site {sid!r} must be open (must_open/existing) but is closed")
        if rules.max_sites is not None and len(self.open) > rules.max_sites:
            self.fail(f"{len(self.open)} facilities open, more than rules.max_sites = "
                      f"{rules.max_sites}")  # fmt: skip
        count = len(self.training_facilities)
        if rules.max_training_sites is not None and count > rules.max_training_sites:
            self.fail(f"{count} training sites, more than rules.max_training_sites = "
                      f"{rules.max_training_sites}")  # fmt: skip
        cap = rules.carbon_cap_tonnes_per_year
        over = cap is not None and self.carbon_t > cap * (1 + 1e-9) + FEAS_TOL
        if over and not addons.soft_limit(self, "carbon_cap", cap, self.carbon_t):
            self.fail(f"emissions {self.carbon_t:,.3f} t exceed the carbon cap {cap:,.3f} t")
        budget = rules.capital_budget_usd_per_year
        over = budget is not None and self.capital > budget * (1 + 1e-9) + FEAS_TOL
        if over and not addons.soft_limit(self, "capital_budget", budget, self.capital):
            self.fail(f"annualised capital {self.capital:,.3f} exceeds the budget {budget:,.3f}")

    # ----------------------------------------------------------------- costs, bound, KPIs
    def check_costs(self, rtol: float) -> None:
        reported = self.r.costs
        total = 0.0
        scale = abs(self.r.objective or 0.0)
        for name in COST_COMPONENTS:
            mine = self.costs.get(name, 0.0)
            total += mine
            theirs = getattr(reported, name)
            if not _close(mine, theirs, rtol, scale=scale):
                self.fail(f"cost {name}: reported {theirs:,.6f}, recomputed {mine:,.6f}")
        if not _close(self.capital, reported.capital, rtol, scale=scale):
            self.fail(f"capital: reported {reported.capital:,.6f}, recomputed {self.capital:,.6f}")
        if self.r.objective is None or not _close(total, self.r.objective, rtol):
            self.fail(f"objective: reported {self.r.objective}, recomputed {total:,.6f}")

    def check_bound(self, rtol: float) -> None:
        obj, bound = self.r.objective, self.r.bound
        if obj is None or bound is None:
            return
        if bound > obj + rtol * max(abs(obj), 1.0):
            self.fail(f"bound {bound:,.6f} is above the objective {obj:,.6f}")

    def check_kpis(self, rtol: float) -> None:
        k = self.r.kpis
        mean, p95 = weighted_latency(self.latency_samples)
        open_sites = {sid for sid, _ in self.open}
        expected: dict[str, float | None] = {
            "weighted_mean_rtt_ms": mean,
            "p95_rtt_ms": p95,
            "training_mw": self.it_mw["training"],
            "inference_mw": self.it_mw["inference"],
            "facility_mw": self.facility_mw,
            "carbon_tonnes_per_year": self.carbon_t,
            "served_share": self.served_share(),
            "open_sites": float(len(open_sites)),
            "training_sites": float(len({sid for sid, _ in self.training_facilities})),
        }
        for name, mine in expected.items():
            theirs = getattr(k, name)
            if mine is None or theirs is None:
                if (mine is None) != (theirs is None):
                    self.fail(f"kpi {name}: reported {theirs}, recomputed {mine}")
                continue
            if not math.isclose(mine, theirs, rel_tol=rtol, abs_tol=1e-6):
                self.fail(f"kpi {name}: reported {theirs:,.6f}, recomputed {mine:,.6f}")
        for sid in set(k.mw_by_site) | open_sites:
            mine, theirs = self.it_mw_by_site.get(sid, 0.0), k.mw_by_site.get(sid)
            if theirs is None or not math.isclose(mine, theirs, rel_tol=rtol, abs_tol=1e-6):
                self.fail(f"kpi mw_by_site[{sid!r}]: reported {theirs}, recomputed {mine:,.6f}")

    def served_share(self) -> float:
        demand = {r.id: terms.work(self.s, r) for r in self.s.regions}
        total = sum(demand.values())
        if total <= 0:
            return 1.0
        unserved = sum(share * demand.get(rid, 0.0) for rid, share in self.r.unserved.items())
        return 1.0 - unserved / total


def weighted_latency(samples: list[tuple[float, float]]) -> tuple[float | None, float | None]:
    """Users-weighted mean latency and 95th percentile: the smallest latency at which the
    cumulative weight, in increasing latency, reaches 95 % (ties keep their order)."""
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


def _close(a: float, b: float, rtol: float, scale: float = 0.0) -> bool:
    return abs(a - b) <= rtol * max(abs(a), abs(b), scale * 1e-3, 1e-6)
