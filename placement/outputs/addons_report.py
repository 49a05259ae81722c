"""Report sections for the add-ons: site loss (N-1), soft rules, split training, and the
difference table of alternative plans. Each section is empty when its add-on is off."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from placement.model.schema import Scenario
from placement.results.alternatives import Alternatives
from placement.results.result import Comparison, PlacementResult


def addon_rules(scenario: Scenario) -> list[str]:
    """The add-ons a scenario switches on, for its summary's rules line."""
    rules, out = scenario.rules, []
    if rules.resilience is not None:
        degraded = rules.resilience.degraded_slo_ms
        out.append("survive any one site's loss (N-1)" + (
            "" if degraded is None else f", {degraded:g} ms during a failure"))  # fmt: skip
    soft = rules.soft
    if soft is not None:
        names = {
            "slo_usd_per_user_ms_year": "SLO",
            "power_usd_per_mw_year": "power",
            "capital_usd_per_usd": "capital budget",
            "carbon_usd_per_tonne": "carbon cap",
        }
        relaxed = [label for name, label in names.items() if getattr(soft, name) is not None]
        out.append("soft at a price: " + ", ".join(relaxed))
    split = [c.id for c in scenario.training if c.split is not None]
    if split:
        out.append("may split across nearby sites: " + ", ".join(split))
    return out


def addon_sections(result: PlacementResult) -> list[RenderableType]:
    """The N-1, soft-rule and split-training sections that apply to ``result``."""
    parts: list[RenderableType] = []
    if result.site_loss is not None:
        parts.append(_site_loss(result))
    if result.violations or any(c.feature.startswith("soft:") for c in result.comparisons):
        parts.append(_violations(result))
    if any(c.parts for c in result.training_choices.values()):
        parts.append(_splits(result))
    return parts


def _site_loss(result: PlacementResult) -> RenderableType:
    loss = result.site_loss
    assert loss is not None
    slo = "each region's SLO" if loss.degraded_slo_ms is None else (
        f"max(SLO, {loss.degraded_slo_ms:g} ms)"
    )  # fmt: skip
    table = _table(f"Site loss (N-1): each open site failing, re-served within {slo} (max-flow)")
    for name, justify in (("site failing", "left"), ("demand", "right"), ("covered", "right")):
        table.add_column(name, justify=justify)
    table.add_column("spare installed there (work, MW idle)", justify="left")
    spare = {
        load.site: ", ".join(f"{s.hardware} {s.work:,.1f} ({s.it_mw:,.2f} MW)" for s in load.spare)
        for load in result.sites
    }
    for f in loss.failures:
        table.add_row(f.site, f"{f.demand:,.1f}", f"{f.covered:,.1f}", spare.get(f.site, ""))
    lines: list[RenderableType] = [table]
    ok = "every failure covered" if loss.covered else "NOT every failure covered"
    lines.append(Text(f"  {ok}; {loss.spare_work:,.1f} work units of spare; "
                      f"{loss.cuts} failure cuts in {loss.rounds} extra solves"))  # fmt: skip
    lines += _comparison_lines(result, "resilience", "cost of resilience (N-1)")
    return Group(*lines, Text(""))


def _violations(result: PlacementResult) -> RenderableType:
    table = _table("Soft rules: violations and their price in the objective")
    for name in ("rule", "subject", "limit", "reached", "over", "unit", "penalty USD/yr"):
        table.add_column(name, justify="left" if name in ("rule", "subject", "unit") else "right")
    for v in result.violations:
        table.add_row(v.rule, v.subject, f"{v.limit:,.2f}", f"{v.value:,.2f}",
                      f"{v.amount:,.2f}", v.unit, f"{v.penalty_usd:,.0f}")  # fmt: skip
    lines: list[RenderableType] = [table]
    for c in result.comparisons:
        if c.feature.startswith("soft:"):
            lines += _comparison_lines(result, c.feature, f"violating {c.feature[5:]}")
    return Group(*lines, Text(""))


def _splits(result: PlacementResult) -> RenderableType:
    table = _table("Training split across nearby sites")
    for name in ("cluster", "site", "share", "IT MW", "cooling"):
        table.add_column(name, justify="right" if name in ("share", "IT MW") else "left")
    for cid, choice in result.training_choices.items():
        for part in choice.parts:
            table.add_row(cid, part.site, f"{part.share:.1%}", f"{part.it_mw:,.1f}", part.cooling)
    lines: list[RenderableType] = [table]
    for cid, choice in result.training_choices.items():
        if choice.parts:
            lines.append(Text(f"  {cid}: interconnect {choice.interconnect_usd:,.0f} USD/yr"))
            lines += _comparison_lines(result, f"split:{cid}", f"splitting {cid}")
    return Group(*lines, Text(""))


def _comparison_lines(result: PlacementResult, feature: str, label: str) -> list[Text]:
    found: list[Comparison] = [c for c in result.comparisons if c.feature == feature]
    out = []
    for c in found:
        if c.difference is None:
            out.append(Text(f"  {label}: {c.description}: {c.status} (no plan without it)"))
            continue
        out.append(
            Text(
                f"  {label}: {c.difference:+,.0f} USD/yr against {c.description} "
                f"({c.objective:,.0f} USD/yr)"
            )
        )
    return out


def alternatives_text(plans: Alternatives) -> str:
    """The difference table of alternative plans as plain text."""
    head = (
        f"Alternatives ({plans.mode}"
        + ("" if plans.within is None else f", within {100 * plans.within:g} %")
        + f"): {len(plans)} of {plans.requested} plans"
    )
    lines = [head]
    lines.append(
        f"{'plan':>4}  {'objective USD/yr':>18}  {'vs best':>8}  {'verified':>8}  "
        "opens / closes against plan 1"
    )
    for row in plans.table():
        pct = "" if row["vs_best_pct"] is None else f"{row['vs_best_pct']:+.2f}%"
        objective = row["objective_usd_per_year"]
        change = "; ".join(
            [f"+{s}" for s in row["opened"].split("; ") if s]
            + [f"-{s}" for s in row["closed"].split("; ") if s]
        )
        lines.append(
            f"{row['plan']:>4}  {objective or float('nan'):>18,.0f}  {pct:>8}  "
            f"{'yes' if row['verified'] else 'NO':>8}  {change or '(the optimum)'}"
        )
    if plans.note:
        lines.append(f"note: {plans.note}")
    return "\n".join(lines) + "\n"


def _table(title: str) -> Table:
    from rich import box

    return Table(title=title, title_justify="left", title_style="bold", box=box.SIMPLE_HEAD,
                 pad_edge=False, padding=(0, 1, 0, 0))  # fmt: skip
