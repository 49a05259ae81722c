"""Readable summaries of a scenario and of a placement, as plain text or rich renderables.

:func:`summary_text` is the plain-text report (used by tests and for non-terminal output);
:func:`summary_renderables` gives the same content as rich tables for a terminal. Both show:

* status, objective, bound, gap and timings, and whether ``placement.verify`` passed;
* the training-vs-inference contrast: training whole at a few central, cheap-power,
  liquid-cooled campuses; inference spread near users;
* where each training cluster went and *why* it is cheap there (energy price, PUE, carbon,
  liquid cooling and running cost per MW, against the average of the sites it could use);
* inference MW per site, population-weighted mean and p95 RTT against the SLO;
* the annual cost breakdown.
"""

from __future__ import annotations

import io
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from rich import box
from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from placement.model.data import ModelData, build_model_data
from placement.model.schema import Scenario, Site
from placement.outputs.addons_report import addon_rules, addon_sections
from placement.results.explain import explain_inference, explain_training
from placement.results.result import (
    PENALTY_COMPONENTS,
    SPEND_COMPONENTS,
    CostBreakdown,
    PlacementResult,
    SiteLoad,
)

TEXT_WIDTH = 110


# ====================================================================== public entry points
def summary_text(
    scenario: Scenario,
    result: PlacementResult,
    *,
    verified: bool | None = None,
    verify_message: str = "",
    width: int = TEXT_WIDTH,
) -> str:
    """The placement report as plain text (no colour, no control codes).

    ``verified``: True if :func:`placement.verify` passed, False if it failed (then
    ``verify_message`` says why), None if it was not run.
    """
    return render_plain(
        summary_renderables(scenario, result, verified=verified, verify_message=verify_message),
        width=width,
    )


def summary_renderables(
    scenario: Scenario,
    result: PlacementResult,
    *,
    verified: bool | None = None,
    verify_message: str = "",
) -> list[RenderableType]:
    """The placement report as rich renderables (print them with a rich Console).

    A multi-period plan (``result.periods``) gets its headline in present value, a table of
    the periods, how each decision menu carries from period to period, and then the last
    period's placement in detail (against that period's scenario)."""
    if result.periods:
        return _plan_renderables(scenario, result, verified, verify_message)
    parts: list[RenderableType] = [_headline(scenario, result, verified, verify_message)]
    if not result.ok:
        parts.append(_no_solution(result))
        return parts
    parts.append(_contrast(scenario, result))
    data = build_model_data(scenario)
    if scenario.training:
        parts.append(_training_table(scenario, result, data))
        parts.append(_training_why(scenario, result, data))
    if scenario.regions and result.serving:
        parts.append(_inference_table(scenario, result, data))
    parts.append(_sites_table(scenario, result))
    if scenario.regions:
        parts.append(_latency(scenario, result))
    parts += addon_sections(result)
    parts.append(_costs_table(result, scenario))
    return parts


def scenario_summary_text(scenario: Scenario, width: int = TEXT_WIDTH) -> str:
    return render_plain([scenario_summary(scenario)], width=width)


def scenario_summary(scenario: Scenario, pairs: tuple[int, int] | None = None) -> RenderableType:
    """Counts and totals of a scenario (``pairs``: eligible training and serving pairs)."""
    sites, regions, clusters = scenario.sites, scenario.regions, scenario.training
    econ, net = scenario.economics, scenario.network
    table = Table(box=box.SIMPLE, show_header=False, pad_edge=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    table.title = f"scenario {escape(scenario.name)}"
    liquid = sum(any(t.liquid for t in _cooling_of(scenario, s.id)) for s in sites)
    modes = {m: sum(m in s.financing for s in sites) for m in ("build", "lease", "cloud")}
    offered = ", ".join(f"{n} {m}" for m, n in modes.items() if n and m != "build")
    table.add_row(
        "sites",
        f"{len(sites):,} candidates ({liquid:,} can build liquid cooling"
        + (f"; {offered}" if offered else "")
        + f"), {_mw(sum(s.power_mw or 0.0 for s in sites))} of grid power in total; energy "
        f"{_span(_stated(s.energy_price_usd_per_mwh for s in sites), '{:.1f}')} USD/MWh, PUE "
        f"{_span(_pues(scenario), '{:.2f}')}, carbon "
        f"{_span((s.carbon_kg_per_mwh for s in sites), '{:.0f}')} kg/MWh",
    )
    if scenario.cooling_technologies:
        table.add_row(
            "cooling",
            "menu: "
            + ", ".join(
                f"{t.id} ≤ {t.max_rack_density_kw:g} kW/rack" for t in scenario.cooling_technologies
            ),
        )
    slos = {scenario.region_slo_ms(r) for r in regions}
    people = f"{len(regions):,} demand regions, {sum(r.population for r in regions):,.0f} people"
    if scenario.hardware:
        work = sum(scenario.region_demand_work(r) for r in regions)
        inference = (
            f"inference {work:,.0f} {scenario.inference.work_unit} of work at peak on "
            f"{len(scenario.hardware)} hardware types "
            f"({', '.join(h.id for h in scenario.hardware)})"
        )
    else:
        demand = sum(scenario.region_demand_mw(r) for r in regions)
        gpus = sum(scenario.region_demand_gpus(r) for r in regions)
        inference = f"inference {_mw(demand)} ({gpus:,.0f} GPUs)"
    table.add_row("regions", f"{people}, {inference}; SLO {_slo_text(slos)}")
    if clusters:
        options = [o for c in clusters for o in c.choices]
        ways = f" with {len(options)} ways to build them" if len(options) > len(clusters) else ""
        table.add_row(
            "training",
            f"{len(clusters):,} clusters{ways}, "
            f"{_mw(sum(c.choices[0].it_mw for c in clusters))} IT"
            + (" as first listed" if ways else "")
            + f", rack density {_span((o.rack_density_kw for o in options), '{:g}')} kW",
        )
    else:
        table.add_row("training", "no training clusters")
    table.add_row(
        "economics",
        f"λ = {econ.latency_penalty_usd_per_user_ms_year:g} USD/user·ms·yr, carbon price "
        f"{econ.carbon_price_usd_per_tonne:g} USD/t, capital recovery factor "
        f"{econ.capital_recovery_factor:.4f} ({econ.discount_rate:.1%} over "
        f"{econ.lifetime_years:g} years), " + _demand_text(scenario),
    )
    if scenario.periods:
        table.add_row("periods", _periods_text(scenario))
    table.add_row(
        "network",
        f"RTT = {net.base_rtt_ms:g} ms + 2 × {net.route_factor:g} × km / "
        f"{net.fiber_km_per_ms:g} km/ms ({net.distance.replace('_', ' ')})"
        + (f", backbone {escape(net.backbone_graphml)}" if net.backbone_graphml else ""),
    )
    rule_text = _rules_text(scenario)
    if rule_text:
        table.add_row("rules", escape(rule_text))
    if pairs is not None:
        table.add_row(
            "model",
            f"{pairs[0]:,} eligible training pairs (site, cluster), {pairs[1]:,} eligible "
            "serving pairs (site, region) after exact SLO pruning",
        )
    if scenario.description:
        table.add_row("about", escape(_clip(scenario.description, 1200)))
    return table


def render_plain(renderables: Iterable[RenderableType], width: int = TEXT_WIDTH) -> str:
    """Render rich renderables to plain text (no colour, no control codes)."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        color_system=None,
        force_terminal=False,
        no_color=True,
        highlight=False,
        emoji=False,
        soft_wrap=False,
    )
    for item in renderables:
        console.print(item)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


# ====================================================================== sections
CARRY_THROUGH = (
    "Across periods: a site built (financing 'build') stays open, with its fixed capital paid "
    "from the period it opened at that period's price; cooling installed there stays; "
    "building and cooling capacity is bought in blocks of IT MW, each at its period's price "
    "and paid from then to the horizon.",
    "Leases, cloud and inference hardware flex: each period pays rent, unit-hours and the "
    "hardware's annualised capital for the load it carries (hardware is not carried as a "
    "stock between periods).",
    "A training cluster keeps its site, its way of being built (hardware option) and its "
    "cooling from the period it arrives in; its hardware is priced at that period's index.",
    "Rules (max sites, carbon cap, capital budget, SLOs, redundancy) hold in every period; "
    "the capital budget counts each period's annualised capital.",
)


def _plan_renderables(
    scenario: Scenario, result: PlacementResult, verified: bool | None, verify_message: str
) -> list[RenderableType]:
    from placement.model.period_data import period_scenarios

    first, last = result.periods[0], result.periods[-1]
    horizon = f"{first.year}–{last.year + last.years - 1}"
    rate = scenario.economics.discount_rate
    unit = f"USD present value over {horizon} at {rate:.1%}"
    parts: list[RenderableType] = [
        _headline(scenario, result, verified, verify_message, unit=unit),
        _periods_table(result),
        Text("How the decisions carry from period to period", style="bold"),
        _bullets(CARRY_THROUGH),
        Text(f"The last period ({last.year}) in detail: its own annual costs", style="bold"),
        Text(""),
    ]
    if result.ok:
        detail = summary_renderables(period_scenarios(scenario)[-1], last.result)
        parts.extend(detail[1:])  # its headline would restate the plan's status
    return parts


def _periods_table(result: PlacementResult) -> RenderableType:
    table = _table("The plan by period (M USD per year of the period; present value in M USD)")
    for name in ("year", "IT MW train", "IT MW infer", "sites", "opened", "arrived", "bought MW"):
        table.add_column(name, justify="right" if "MW" in name or name == "sites" else "left")
    for name in ("capital", "total", "present value"):
        table.add_column(name, justify="right", no_wrap=True)
    for p in result.periods:
        r = p.result
        bought = sum(b.mw for b in p.blocks if b.technology is None)
        table.add_row(
            f"{p.year}" + (f"+{p.years - 1}" if p.years > 1 else ""),
            f"{r.kpis.training_mw:,.1f}",
            f"{r.kpis.inference_mw:,.1f}",
            str(len(r.open_sites)),
            _first(list(p.opened), 3) or "—",
            _first(list(p.arrived), 2) or "—",
            f"{bought:,.1f}",
            f"{r.costs.capital / 1e6:,.1f}",
            f"{r.costs.total / 1e6:,.1f}",
            f"{p.present_value / 1e6:,.1f}",
        )
    return table


def _demand_text(scenario: Scenario) -> str:
    econ = scenario.economics
    if scenario.unserved_penalty_per_work is None:
        return "hard demand"
    if scenario.hardware:
        unit = scenario.inference.work_unit
        return (
            f"soft demand at {econ.unserved_penalty_usd_per_work_year:,.0f} USD/{unit}·yr unserved"
        )
    return f"soft demand at {econ.unserved_penalty_usd_per_mw_year:,.0f} USD/MW·yr unserved"


def _periods_text(scenario: Scenario) -> str:
    from placement.model.periods import period_spans

    spans = period_spans(scenario.periods)
    first, (last, years) = spans[0][0], spans[-1]
    growth = sorted({p.demand_growth for p in scenario.periods[1:]})
    arrivals = [f"{cid} in {p.year}" for p in scenario.periods for cid in p.new_training]
    indexed = sum(p.price_index != type(p.price_index)() for p in scenario.periods)
    parts = [
        f"{len(spans)} from {first} to {last + years - 1}, discounted at "
        f"{scenario.economics.discount_rate:.1%}",
        "demand growth " + ", ".join(f"{g:+.1%}" for g in growth) if growth else "",
        f"{sum(bool(p.region_growth) for p in scenario.periods)} with growth by region"
        if any(p.region_growth for p in scenario.periods)
        else "",
        "arriving: " + ", ".join(arrivals) if arrivals else "",
        f"prices indexed in {indexed}" if indexed else "prices held",
    ]
    return "; ".join(part for part in parts if part)


def _headline(
    scenario: Scenario,
    result: PlacementResult,
    verified: bool | None,
    verify_message: str,
    *,
    unit: str = "USD/yr",
) -> RenderableType:
    status_style = {"optimal": "bold green", "feasible": "bold yellow"}.get(
        result.status.value, "bold red"
    )
    lines = [
        Text.assemble(
            ("placement", "bold"),
            f" — {scenario.name}: ",
            (result.status.value.upper(), status_style),
            (f"  {_usd(result.objective)} {unit}" if result.objective is not None else ""),
        )
    ]
    bound = "—" if result.bound is None else _usd(result.bound)
    gap = "unknown" if result.gap is None else f"{result.gap:.2e} ({result.gap:.4%})"
    lines.append(
        Text(
            f"  objective {_usd(result.objective)} {unit} · bound {bound} · gap {gap}",
        )
    )
    lam = scenario.economics.latency_penalty_usd_per_user_ms_year
    short = "USD/yr" if unit == "USD/yr" else "USD"
    if result.ok:
        costs = result.costs
        penalty = f"{_usd(costs.latency_penalty)} {short} latency penalty (λ = {lam:g} USD per "
        penalty += "user·ms·yr)"
        if costs.unserved:
            penalty += f" + {_usd(costs.unserved)} {short} unserved-demand penalty"
        lines.append(
            Text(
                f"  = spend {_usd(costs.spend)} {short} + {penalty}; penalties are priced in "
                "the objective, not paid"
            )
        )
    else:
        lines.append(Text(f"  λ = {lam:g} USD per user·ms·yr of RTT (latency penalty)"))
    size = result.model_size
    lines.append(
        Text(
            f"  formulation {result.formulation or '—'} · solver {result.solver or '—'} · "
            f"method {result.method or '—'} · "
            f"build {result.build_seconds:.2f} s · solve {result.solve_seconds:.2f} s"
        )
    )
    if result.message and result.ok:
        lines.append(Text(f"  solver says: {result.message}"))
    if size:
        lines.append(
            Text(
                f"  model {size.get('variables', 0):,} variables, "
                f"{size.get('constraints', 0):,} constraints, {size.get('nonzeros', 0):,} nonzeros"
            )
        )
    if verified is True and not result.ok:
        lines.append(
            Text("  verified: placement.verify ran — the result claims no placement to check")
        )
    elif verified is True:
        lines.append(
            Text.assemble(
                "  ",
                ("verified", "bold green"),
                ": placement.verify re-checked every constraint and the objective — no violation",
            )
        )
    elif verified is False:
        lines.append(
            Text.assemble("  ", ("VERIFICATION FAILED", "bold red"), f": {verify_message}")
        )
    else:
        lines.append(Text("  not verified (placement.verify was not run)"))
    return Group(*lines, Text(""))


def _no_solution(result: PlacementResult) -> RenderableType:
    lines = [Text(f"No placement: {result.message or result.status.value}", style="bold red")]
    if result.diagnosis:
        lines.append(Text("Diagnosis (why it cannot be placed):", style="bold"))
        lines.append(_bullets(result.diagnosis))
    elif result.status.value == "no_solution" and not result.message.startswith("refused"):
        lines.append(Text("Raise --time-limit, loosen --gap, or try another --formulation."))
    return Group(*lines)


def _contrast(scenario: Scenario, result: PlacementResult) -> RenderableType:
    sites = {s.id: s for s in scenario.sites}
    kpis = result.kpis
    train_loads = [ld for ld in result.sites if ld.training_mw > 0]
    inf_loads = [ld for ld in result.sites if ld.inference_mw > 0]
    table = _table("Training vs inference: central campuses vs near users")
    table.add_column("workload", no_wrap=True)
    for name in ("IT MW", "sites", "USD/MWh*", "liquid MW"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("where", ratio=1)
    liquid_train, liquid_infer = liquid_cooled_mw(scenario, result)
    if train_loads:
        liquid_mw = liquid_train
        table.add_row(
            "training",
            f"{kpis.training_mw:,.1f}",
            f"{len(train_loads)}",
            _fmt(_weighted_price(sites, ((ld.site, ld.training_mw) for ld in train_loads))),
            f"{liquid_mw:,.1f}",
            escape(
                f"{len(result.training)} cluster(s), {_whole_or_split(result)}: "
                + ", ".join(_site_name(scenario, ld.site) for ld in train_loads)
                + (" (liquid-cooled campus)" if liquid_mw > 0 else "")
            ),
        )
    if inf_loads:
        users = sum(r.population for r in scenario.regions)
        table.add_row(
            "inference",
            f"{kpis.inference_mw:,.1f}",
            f"{len(inf_loads)}",
            _fmt(_weighted_price(sites, ((ld.site, ld.inference_mw) for ld in inf_loads))),
            f"{liquid_infer:,.1f}",
            escape(
                f"spread near users: {len({a.region for a in result.serving}):,} regions, "
                f"{_people(users)} people, mean RTT {_ms(kpis.weighted_mean_rtt_ms)}: "
                + _first(
                    [
                        _site_name(scenario, ld.site)
                        for ld in sorted(inf_loads, key=lambda ld: -ld.inference_mw)
                    ],
                    6,
                )
            ),
        )
    avg = _mean(_stated(s.energy_price_usd_per_mwh for s in scenario.sites))
    table.caption = (
        f"* MW-weighted energy price at the sites used; average of all {len(scenario.sites)} "
        f"candidates {avg:.1f} USD/MWh. liquid MW: IT load in liquid cooling technologies"
    )
    return table


def liquid_cooled_mw(scenario: Scenario, result: PlacementResult) -> tuple[float, float]:
    """(training MW, inference MW) that sits in liquid cooling technologies (the result's
    cooling breakdown): load in air at a site that also built liquid cooling does not count."""
    training = inference = 0.0
    for load in result.sites:
        for use in load.cooling:
            if use.liquid:
                training += use.training_mw
                inference += sum(use.inference_mw.values())
    return float(training), float(inference)


@dataclass(frozen=True)
class SiteWhy:
    """Why training sits at a site: its figures against the candidates that could host it.

    The candidates are the sites where every cluster placed here would fit alone (density,
    cooling, power, space, not forbidden). PUE and running cost are for this site's cluster mix
    (IT-MW weighted); running cost = build + energy + carbon per IT MW per year.
    """

    site: str
    label: str
    clusters: tuple[str, ...]
    it_mw: float
    liquid_built: bool
    candidates: int
    liquid_capable: int
    price: float
    price_avg: float
    pue: float
    pue_avg: float
    carbon: float
    carbon_avg: float
    cost_per_mw: float
    cost_per_mw_avg: float
    rank: int


def training_why(
    scenario: Scenario, result: PlacementResult, data: ModelData | None = None
) -> list[SiteWhy]:
    """One entry per training site: what makes it cheap for the clusters placed there.

    Each cluster is compared in the way it was built (its option): at every candidate site,
    its cheapest running cost over the cooling technologies there (the model's coefficients).
    """
    data = data if data is not None else build_model_data(scenario)
    sites = {s.id: s for s in scenario.sites}
    explained = {e.cluster: e for e in explain_training(data, result)}
    groups: dict[str, list[str]] = defaultdict(list)
    for cid, e in explained.items():
        groups[e.site].append(cid)
    tr = data.training
    option_of = np.array([o.id for o in data.training_options], dtype=object)
    pair_site = np.array([s.id for s in scenario.sites], dtype=object)[data.sites.site[tr.site]]
    liquid_built = set(result.liquid_sites)
    out = []
    for sid, cids in groups.items():
        k_of = {c.id: k for k, c in enumerate(scenario.training)}
        costs: dict[str, float] = defaultdict(float)
        pues: dict[str, float] = defaultdict(float)
        feasible: dict[str, int] = defaultdict(int)
        total_mw = sum(explained[c].it_mw for c in cids)
        for cid in cids:
            mine = (tr.other == k_of[cid]) & (option_of[tr.option] == explained[cid].option)
            for candidate in np.unique(pair_site[mine]):
                at = np.flatnonzero(mine & (pair_site == candidate))
                best = at[np.argmin(tr.cost[at])]
                costs[candidate] += float(tr.cost[best])
                pues[candidate] += float(tr.facility_mw[best])
                feasible[candidate] += 1
        eligible = [c for c in feasible if feasible[c] == len(cids)] or [sid]
        here = costs[sid] / total_mw
        per_mw = [costs[c] / total_mw for c in eligible]
        out.append(
            SiteWhy(
                site=sid,
                label=_site_label(sites, sid),
                clusters=tuple(cids),
                it_mw=total_mw,
                liquid_built=sid in liquid_built,
                candidates=len(eligible),
                liquid_capable=sum(
                    any(u.liquid for u in _cooling_of(scenario, c)) for c in eligible
                ),
                price=_or_nan(sites[sid].energy_price_usd_per_mwh),
                price_avg=_mean(_stated(sites[c].energy_price_usd_per_mwh for c in eligible)),
                pue=pues[sid] / total_mw,
                pue_avg=_mean(pues[c] / total_mw for c in eligible),
                carbon=sites[sid].carbon_kg_per_mwh,
                carbon_avg=_mean(sites[c].carbon_kg_per_mwh for c in eligible),
                cost_per_mw=here,
                cost_per_mw_avg=_mean(per_mw),
                rank=1 + sum(v < here * (1 - 1e-9) for v in per_mw),
            )
        )
    return out


def _cooling_of(scenario: Scenario, site_id: str) -> list:
    """The cooling technologies a site could install (legacy: air, and liquid if allowed)."""
    site = next(s for s in scenario.sites if s.id == site_id)
    if not scenario.cooling_technologies:
        return [_Tech(False)] + ([_Tech(True)] if site.liquid_cooling_available else [])
    catalogue = {t.id: t for t in scenario.cooling_technologies}
    names = [c if isinstance(c, str) else c.technology for c in site.cooling or catalogue]
    return [_Tech(catalogue[n].liquid) for n in names]


@dataclass(frozen=True)
class _Tech:
    liquid: bool


def _training_table(scenario: Scenario, result: PlacementResult, data: ModelData) -> RenderableType:
    sites = {s.id: s for s in scenario.sites}
    table = _table("Training clusters: where each is placed, and what it beat")
    table.add_column("cluster", no_wrap=True)
    table.add_column("built as", overflow="fold", ratio=1)
    table.add_column("IT MW", justify="right", no_wrap=True)
    table.add_column("cooling", no_wrap=True)
    table.add_column("site (financing)", overflow="fold", ratio=1)
    for name in ("PUE", "USD/yr to run"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("next best", overflow="fold", ratio=2)
    for e in explain_training(data, result):
        site = sites[e.site]
        alternatives = [
            (cost, what)
            for cost, what in (
                (
                    e.alternative_site_cost,
                    f"at {_site_name(scenario, e.alternative_site)} ({e.alternative_site_how})",
                ),
                (
                    e.alternative_option_cost,
                    f"as {e.alternative_option} at "
                    f"{_site_name(scenario, e.alternative_option_site)}",
                ),
            )
            if cost is not None
        ]
        best = min(alternatives, default=None)
        table.add_row(
            escape(e.cluster),
            escape(f"{e.option}, {e.rack_density_kw:g} kW/rack"),
            f"{e.it_mw:,.1f}",
            escape(e.cooling),
            escape(f"{site.name or site.id} ({e.financing})"),
            f"{e.pue:.3f}",
            _usd(e.cost),
            escape(f"{_pct(best[0], e.cost)} {best[1]}") if best else "—",
        )
    for cid, choice in result.training_choices.items():
        if choice.parts:  # split across nearby sites: its parts are in the split section
            where = ", ".join(f"{_site_name(scenario, p.site)} {p.share:.0%}" for p in choice.parts)
            table.add_row(
                escape(cid),
                escape(f"{choice.option}, {choice.rack_density_kw:g} kW/rack"),
                f"{choice.it_mw:,.1f}",
                escape(choice.cooling),
                escape(f"split: {where}"),
                f"{choice.facility_mw / choice.it_mw:.3f}" if choice.it_mw else "—",
                _usd(choice.annual_cost_usd),
                "see the training split section",
            )
    table.caption = (
        "USD/yr to run = annualised build, cooling and hardware capital, lease or cloud, energy "
        "and carbon of the cluster as built; next best = the cheapest other site or way to "
        "build it (same terms), and how much dearer it is; built as = the cluster's option "
        "(its full description is in training.csv)"
    )
    return table


def _whole_or_split(result: PlacementResult) -> str:
    split = sum(1 for c in result.training_choices.values() if c.parts)
    if not split:
        return "each whole at one site"
    if split == len(result.training_choices):
        return "split across nearby sites"
    return f"{split} split across nearby sites, the rest whole at one site"


def _training_why(scenario: Scenario, result: PlacementResult, data: ModelData) -> RenderableType:
    parts: list[RenderableType] = []
    for w in training_why(scenario, result, data):
        table = _table(
            f"Why training sits at {w.label}: {', '.join(w.clusters)} ({w.it_mw:,.1f} MW IT)"
        )
        table.add_column("", no_wrap=True)
        table.add_column("this site", justify="right", no_wrap=True)
        table.add_column(f"avg of {w.candidates} candidates", justify="right", no_wrap=True)
        table.add_column("difference", justify="right", no_wrap=True)
        table.add_row(
            "energy price, USD/MWh",
            f"{w.price:.1f}",
            f"{w.price_avg:.1f}",
            _pct(w.price, w.price_avg),
        )
        table.add_row(
            "PUE of these clusters", f"{w.pue:.3f}", f"{w.pue_avg:.3f}", _pct(w.pue, w.pue_avg)
        )
        table.add_row(
            "carbon, kg CO2/MWh",
            f"{w.carbon:.0f}",
            f"{w.carbon_avg:.0f}",
            _pct(w.carbon, w.carbon_avg),
        )
        table.add_row(
            "liquid cooling",
            "built" if w.liquid_built else "not needed",
            f"{w.liquid_capable} of {w.candidates} can",
            "",
        )  # PUE and cost: each cluster as built, in the cheapest cooling at each candidate
        table.add_row(
            "running cost, USD per IT MW·yr",
            _short(w.cost_per_mw),
            _short(w.cost_per_mw_avg),
            _pct(w.cost_per_mw, w.cost_per_mw_avg),
        )
        table.add_row("rank by running cost", f"{w.rank} of {w.candidates}", "", "")
        parts.append(table)
    parts.append(
        _bullets(
            [
                "Candidates = the sites where these clusters fit (rack density, cooling, power, "
                "space). Training pays no latency penalty: it goes where power, cooling and "
                "density are cheapest, and clusters sharing one campus share its fixed and "
                "liquid-cooling cost."
            ]
        )
    )
    return Group(*parts, Text(""))


def _inference_table(
    scenario: Scenario, result: PlacementResult, data: ModelData
) -> RenderableType:
    """Inference by hardware and financing: where, how much, and the cost it beat."""
    unit = scenario.inference.work_unit if scenario.hardware else "GPU"
    table = _table("Inference: on which hardware, under which financing, and what it beat")
    table.add_column("hardware", no_wrap=True)
    table.add_column("financing", no_wrap=True)
    for name in ("IT MW", "units", "work", "cooling", "USD/yr", "best other"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("sites", overflow="fold", ratio=1)
    cooling = _inference_cooling(result)
    for g in explain_inference(data, result):
        table.add_row(
            escape(g.hardware),
            g.financing,
            f"{g.it_mw:,.1f}",
            f"{g.units:,.0f}",
            f"{g.work:,.0f}",
            escape(", ".join(sorted(cooling.get(g.hardware, {"provider"})))),
            _usd(g.cost),
            _pct(g.alternative_cost, g.cost),
            escape(_first([_site_name(scenario, s) for s in g.sites], 4)),
        )
    table.caption = (
        f"work in {unit}s at peak; "
        "USD/yr = the assignments' hardware capital or cloud price, build or lease, energy, "
        "carbon and latency penalty; best other = the same regions each served by its cheapest "
        "pair on other hardware or under another financing mode (same terms), relative; a "
        "negative figure is a cheaper pair that capacity or fixed costs rule out"
    )
    return table


def _inference_cooling(result: PlacementResult) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for load in result.sites:
        for use in load.cooling:
            for hw in use.inference_mw:
                out[hw].add(use.technology)
    return out


def _sites_table(scenario: Scenario, result: PlacementResult) -> RenderableType:
    sites = {s.id: s for s in scenario.sites}
    regions = {r.id: r for r in scenario.regions}
    served: dict[str, set[str]] = defaultdict(set)
    people: dict[str, float] = defaultdict(float)
    rtt_weight: dict[str, float] = defaultdict(float)
    for a in result.serving:
        served[a.site].add(a.region)
        pop = a.share * (regions[a.region].population if a.region in regions else 0.0)
        people[a.site] += pop
        rtt_weight[a.site] += pop * a.rtt_ms
    table = _table(
        f"Open sites ({len(result.sites)} of {len(scenario.sites)} candidates), "
        "largest first: IT MW by workload"
    )
    table.add_column("site", max_width=24, overflow="fold")
    for name in (
        "train MW",
        "infer MW",
        "grid MW used",
        "liquid cooling",
        "regions",
        "users",
        "mean RTT",
        "USD/MWh",
    ):
        table.add_column(name, justify="right", no_wrap=True)
    order = sorted(result.sites, key=lambda ld: -(ld.training_mw + ld.inference_mw))
    for ld in order:
        site = sites.get(ld.site)
        grid = f"{site.power_mw:,.0f}" if site and site.power_mw else "—"
        mean_rtt = rtt_weight[ld.site] / people[ld.site] if people[ld.site] > 0 else None
        modes = [m for m in ld.financing if m != "build"]
        table.add_row(
            escape(_site_name(scenario, ld.site) + (f" ({', '.join(modes)})" if modes else "")),
            f"{ld.training_mw:,.1f}" if ld.training_mw else "—",
            f"{ld.inference_mw:,.1f}" if ld.inference_mw else "—",
            f"{ld.facility_mw:,.0f}/{grid}",
            _cooling_text(ld),
            f"{len(served[ld.site]):,}" if served[ld.site] else "—",
            _people(people[ld.site]) if served[ld.site] else "—",
            _ms(mean_rtt),
            _fmt(site.energy_price_usd_per_mwh if site else None),
        )
    return table


def _cooling_text(load: SiteLoad) -> str:
    """The liquid technologies a site runs ("no": air only; "cloud": the provider's)."""
    liquid = sorted({u.technology for u in load.cooling if u.liquid})
    if liquid:
        return ", ".join("liquid" if t == "liquid" else t for t in liquid)
    return "cloud" if load.financing == ("cloud",) else "no"


def _or_nan(value: float | None) -> float:
    return math.nan if value is None else value


def _table(title: str) -> Table:
    return Table(
        title=title,
        title_justify="left",
        title_style="bold",
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        padding=(0, 1, 0, 0),
    )


def _bullets(items: Iterable[str]) -> RenderableType:
    grid = Table.grid(padding=(0, 1), pad_edge=False)
    grid.add_column(width=3, justify="right")
    grid.add_column(ratio=1)
    for item in items:
        grid.add_row("-", escape(item))
    return grid


def _latency(scenario: Scenario, result: PlacementResult) -> RenderableType:
    kpis = result.kpis
    slos = {scenario.region_slo_ms(r) for r in scenario.regions}
    finite = [s for s in slos if s is not None]
    max_rtt = max((a.rtt_ms for a in result.serving), default=None)
    line = (
        f"Latency (population-weighted over served demand): mean {_ms(kpis.weighted_mean_rtt_ms)}, "
        f"p95 {_ms(kpis.p95_rtt_ms)}, worst {_ms(max_rtt)}; SLO {_slo_text(slos)}"
    )
    if finite and kpis.p95_rtt_ms is not None:
        tightest = min(finite)
        line += f" (p95 uses {kpis.p95_rtt_ms / tightest:.0%} of the tightest SLO)"
    lines = [Text(line)]
    if result.unserved:
        demand = {r.id: scenario.region_demand_work(r) for r in scenario.regions}
        lost = sum(share * demand.get(rid, 0.0) for rid, share in result.unserved.items())
        unit = scenario.inference.work_unit if scenario.hardware else "GPUs"
        lines.append(
            Text(
                f"Unserved: {len(result.unserved):,} region(s) partly or wholly unserved, "
                f"{lost:,.1f} {unit} ({1 - (kpis.served_share or 0.0):.2%} of inference demand)",
                style="yellow",
            )
        )
    lines.append(
        Text(
            f"Carbon: {kpis.carbon_tonnes_per_year:,.0f} t CO2 per year from "
            f"{kpis.facility_mw:,.1f} MW of facility power"
        )
    )
    return Group(*lines, Text(""))


def _costs_table(result: PlacementResult, scenario: Scenario | None = None) -> RenderableType:
    costs = result.costs
    total = costs.total
    spend = costs.spend
    table = _table("Annual cost (USD per year): spend, then the penalties the objective adds")
    table.show_footer = True
    table.add_column("component", footer="objective = spend + penalties")
    table.add_column("USD/yr", justify="right", footer=_usd(total))
    table.add_column("share of spend", justify="right", footer="")
    for key in SPEND_COMPONENTS:
        value = getattr(costs, key)
        table.add_row(
            CostBreakdown.label(key), _usd(value), f"{value / spend:.1%}" if spend else "—"
        )
    table.add_row(Text("spend (paid per year)", style="bold"), Text(_usd(spend), style="bold"), "")
    for label, value in (
        ("  of which annualised capital", costs.capital),
        ("  of which operating", costs.operating),
    ):
        table.add_row(label, _usd(value), f"{value / spend:.1%}" if spend else "—")
    lam = None if scenario is None else scenario.economics.latency_penalty_usd_per_user_ms_year
    for key in PENALTY_COMPONENTS:
        label = CostBreakdown.label(key)
        if key == "latency_penalty" and lam is not None:
            label += f" (λ = {lam:g} USD/user·ms·yr)"
        table.add_row(f"+ {label}, not paid", _usd(getattr(costs, key)), "")
    return table


# ====================================================================== formatting helpers
def _site_name(scenario: Scenario, sid: str) -> str:
    site = next((s for s in scenario.sites if s.id == sid), None)
    return site.name if site is not None and site.name else sid


def _first(names: list[str], limit: int) -> str:
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown} and {len(names) - limit} more"


def _people(value: float) -> str:
    if value >= 1e6:
        return f"{value / 1e6:,.1f} M"
    if value >= 1e3:
        return f"{value / 1e3:,.1f} k"
    return f"{value:,.0f}"


def _site_label(sites: dict[str, Site], sid: str) -> str:
    site = sites.get(sid)
    if site is None or not site.name or site.name == sid:
        return sid
    return f"{site.name} ({sid})"


def _weighted_price(sites: dict[str, Site], pairs: Iterable[tuple[str, float]]) -> float | None:
    num = den = 0.0
    for sid, mw in pairs:
        price = sites[sid].energy_price_usd_per_mwh if sid in sites else None
        if price is not None:  # a cloud region's price is in its instance price
            num += price * mw
            den += mw
    return num / den if den > 0 else None


def _rules_text(scenario: Scenario) -> str:
    rules = scenario.rules
    parts = []
    if rules.max_sites is not None:
        parts.append(f"at most {rules.max_sites} sites")
    if rules.max_training_sites is not None:
        parts.append(f"at most {rules.max_training_sites} training sites")
    for field in ("must_open", "existing", "forbidden"):
        ids = getattr(rules, field)
        if ids:
            parts.append(f"{field.replace('_', ' ')}: {', '.join(ids)}")
    if rules.max_share_per_site < 1:
        parts.append(f"at most {rules.max_share_per_site:g} of a region per site")
    if rules.carbon_cap_tonnes_per_year is not None:
        parts.append(f"carbon cap {rules.carbon_cap_tonnes_per_year:,.0f} t/yr")
    if scenario.pair_costs_usd_per_year:
        n = sum(len(row) for row in scenario.pair_costs_usd_per_year.values())
        parts.append(f"{n:,} explicit pair costs")
    return "; ".join(parts + addon_rules(scenario))


def _slo_text(slos: set[float | None]) -> str:
    finite = sorted(s for s in slos if s is not None)
    if not finite:
        return "none"
    text = f"{finite[0]:g} ms" if len(finite) == 1 else f"{finite[0]:g}–{finite[-1]:g} ms"
    return text + (" (some regions have none)" if None in slos else "")


def _stated(values: Iterable[float | None]) -> list[float]:
    return [v for v in values if v is not None]


def _pues(scenario: Scenario) -> list[float]:
    """PUEs the sites can reach: their own fields, or each catalogue technology in each site's
    climate (pue_base + pue_per_cdd × CDD)."""
    if not scenario.cooling_technologies:
        return _stated(s.pue for s in scenario.sites)
    return [
        t.pue_base + t.pue_per_cdd * s.cooling_degree_days
        for s in scenario.sites
        if s.cooling_degree_days is not None and set(s.financing) != {"cloud"}
        for t in scenario.cooling_technologies
    ]


def _span(values: Iterable[float], fmt: str) -> str:
    items = list(values)
    if not items:
        return "—"
    lo, hi = min(items), max(items)
    return fmt.format(lo) if lo == hi else f"{fmt.format(lo)}–{fmt.format(hi)}"


def _mean(values: Iterable[float]) -> float:
    items = list(values)
    return sum(items) / len(items) if items else math.nan


def _pct(value: float, reference: float) -> str:
    if not reference:
        return "n/a"
    change = value / reference - 1
    text = f"{change:+.1%}" if abs(change) < 0.1 else f"{change:+.0%}"
    return text.replace("-", "−")


def _usd(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _short(value: float) -> str:
    for scale, suffix in ((1e9, " B"), (1e6, " M"), (1e3, " k")):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{suffix}"
    return f"{value:.3g}"


def _mw(value: float) -> str:
    return f"{value:,.1f} MW"


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} ms"


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
