"""A plan solved period by period: a valid lower bound and a feasible plan, fast.

The whole plan is one model (:mod:`placement.formulations.multiperiod`) whose LP relaxation
grows much harder than T one-period LPs (README: the two-year default's LP had not finished
after 200 s where one year takes 3.5 s). This method solves one-period models instead:

* **bound**: each period alone, with nothing carried over. With capital prices that do not
  rise (every period's build and cooling index ≤ the earlier ones'; else no bound is claimed)
  it is a relaxation of the plan: a block bought in τ and held through t costs w_t b_τ ≥ w_t b_t
  in period t, a site's fixed capital likewise, and dropping persistence only widens the
  choice. So Σ_t w_t · (period t's proven lower bound) ≤ the plan's optimum.
* **plan, backward** (first): the last period alone (its bound is the last period's), then
  each earlier period with its build facilities restricted to those open in the next and its
  clusters where the next placed them. The open sets nest (S_1 ⊆ … ⊆ S_T): the plan builds
  only what the horizon's end keeps, where a forward pass builds for the first period and is
  stuck with it (measured, whole plan: us_small_growth 0.12 % above its optimum backward,
  1.4 % forward; us_default_growth 0.10 % above the bound backward, 0.57 % forward). The
  restricted periods are smaller, so the pass is also faster.
* **plan, backward, seeded** (while the gap is not proved, in the time left): the same pass
  with the last period made to keep open the build facilities an earlier period t alone
  opened and its clusters where t placed them (the period-alone solves of the bound give
  them), latest t first. The last period alone builds for its own demand only; the seed lets
  the plan hold what earlier periods want (measured: us_small_growth's optimum from the
  2027–2029 seeds; us_default_growth 2.4e-4 above the bound from the 2028 seed).
* **plan, forward** (last, while the gap is not proved): each period with what earlier
  periods built fixed: build facilities opened before stay open, clusters placed before keep
  their place and way.
Every pass's answers, made persistent (what was built stays built, cooling installed stays,
the capacity bought is the running maximum of each site's load), are a feasible plan of the
whole model; its cost is what the plan's decoder computes (``cost``); the cheapest is kept.

It is a heuristic with a proof of its gap, not an exact method: no pass sees what the
whole horizon would trade off, and the bound ignores what persistence costs (measured:
0.03 % below the optimum on ``us_small_growth``; a Lagrangian of (P1) with subgradient
steps closed that on us_small_growth but moved us_default_growth's bound by only 0.007 %
in four rounds of five period solves, ~20 s each, so it is not used).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from placement.formulations import Built, build
from placement.formulations.multiperiod import PeriodBuilt
from placement.model.data import ModelData
from placement.model.offer import BUILD
from placement.model.period_data import PeriodData, take
from placement.solving import methods
from placement.solving.options import SolveOptions

Progress = Callable[[str], None]
Cost = Callable[[np.ndarray], float]
# Of each period's slice of time, the LP branch and bound may use this much: it proves a period
# in a few LPs where HiGHS's MIP needs far longer (us_default: root LP ~3.5 s, MIP ~100 s).
LP_BRANCH_SHARE = 0.9
PERIOD_GAP = 1e-5


@dataclass(frozen=True)
class Split:
    """What the period-by-period solve found: values of the whole model (None: no plan), their
    cost as ``cost`` gave it, and a proven lower bound on the optimum (None: none)."""

    values: np.ndarray | None
    bound: float | None
    objective: float | None = None


def solve_split(
    pdata: PeriodData,
    built: PeriodBuilt,
    options: SolveOptions,
    *,
    deadline: float | None,
    progress: Progress,
    cost: Cost,
) -> Split:
    """The backward plan, the bound, then (while not proved within the asked gap, in the time
    left) the seeded backward plans and the forward plan, of the module docstring, within
    ``deadline``; ``cost`` gives a plan's objective from its values. The cheapest plan is
    kept. A period whose solve proves no bound in its time counts 0 (every one-period cost is
    ≥ 0)."""
    periods = len(pdata.periods)
    asked = options.gap
    # each period tight: its small slack compounds through what later periods inherit (the
    # five-year default: plan 0.75 % dearer with each period to 1e-3 than to 1e-4)
    options = dataclasses.replace(options, gap=min(options.gap, PERIOD_GAP))
    # the backward plan first, each of its periods with an equal share of the time left with
    # the bounds; the other plans get what they leave
    values, last_bound = _backward(pdata, built, options, deadline, progress, 2 * periods - 1)
    best = _Best(cost)
    best.offer(values)
    bound, seeds = None, []
    if _prices_fall(pdata):
        earlier, seeds = _bound(pdata, options, deadline, progress, periods - 1)
        bound = pdata.periods[-1].weight * max(last_bound or 0.0, 0.0) + earlier

    def open_question() -> bool:
        proved = best.objective is not None and bound is not None
        proved = proved and best.objective - bound <= asked * best.objective
        return not proved and (deadline is None or time.perf_counter() < deadline)

    # latest first: measured, the periods just before the last seed the cheapest plans
    for k, seed in enumerate(reversed(seeds)):
        if not open_question():
            break
        other, _ = _backward(
            pdata, built, options, deadline, progress, periods * (len(seeds) - k), seed
        )
        best.offer(other)
    if open_question():
        best.offer(_forward(pdata, built, options, deadline, progress, periods))
    return Split(best.values, bound, best.objective)


class _Best:
    """The cheapest plan offered so far, by ``cost``."""

    def __init__(self, cost: Cost) -> None:
        self.cost = cost
        self.values: np.ndarray | None = None
        self.objective: float | None = None

    def offer(self, values: np.ndarray | None) -> None:
        if values is None:
            return
        objective = self.cost(values)
        if self.objective is None or objective < self.objective:
            self.values, self.objective = values, objective


@dataclass(frozen=True)
class Seed:
    """What period ``year`` alone built (build facilities) and where it placed its clusters
    (cluster index in the scenario → persistent pair): a backward pass's last period starts
    from it."""

    year: int
    opened: np.ndarray
    placed: dict[int, int]

    def same(self, other: Seed) -> bool:
        return bool(np.array_equal(self.opened, other.opened)) and self.placed == other.placed


def _prices_fall(pdata: PeriodData) -> bool:
    """Every period's build and cooling price index ≤ every earlier one's."""
    index = [p.price_index for p in pdata.scenario.periods]
    build_index = np.array([i.build for i in index])
    cooling_index = np.array([i.cooling for i in index])
    return bool(
        np.all(build_index <= np.minimum.accumulate(build_index))
        and np.all(cooling_index <= np.minimum.accumulate(cooling_index))
    )


def _slice_deadline(deadline: float | None, steps_left: int) -> float | None:
    if deadline is None:
        return None
    now = time.perf_counter()
    return now + max(deadline - now, 0.0) / max(steps_left, 1)


def _bound(
    pdata: PeriodData, options: SolveOptions, deadline: float | None, say: Progress, steps: int
) -> tuple[float, list[Seed]]:
    """Σ_t w_t · (period t's proven lower bound, 0 if none) over the periods before the last;
    and what each built, as seeds of backward passes (distinct ones, in time order)."""
    total, seeds = 0.0, []
    build_mode = pdata.last.data.sites.mode == BUILD
    for k, period in enumerate(pdata.periods[:-1]):
        say(f"period {period.year} alone (a lower bound for the plan)")
        one = build(period.data, options.formulation)
        raw = _run(one, options, deadline, steps - k)
        total += period.weight * max(raw.bound or 0.0, 0.0)
        if raw.values is None:
            continue
        chosen = period.train[raw.values[one.columns.train] > 0.5]
        seed = Seed(
            period.year,
            (raw.values[one.columns.open] > 0.5) & build_mode,
            dict(zip(pdata.training.other[chosen].tolist(), chosen.tolist(), strict=True)),
        )
        if not any(seed.same(other) for other in seeds):
            seeds.append(seed)
    return total, seeds


def _run(built: Built, options: SolveOptions, deadline: float | None, steps_left: int):
    return methods.run(
        built,
        options,
        deadline=_slice_deadline(deadline, steps_left),
        progress=lambda _m: None,
        lp_branch_seconds=math.inf,  # its MIP is far slower on these (solving/periods.py)
        lp_branch_share=LP_BRANCH_SHARE,
    ).raw


def _forward(
    pdata: PeriodData,
    built: PeriodBuilt,
    options: SolveOptions,
    deadline: float | None,
    say: Progress,
    steps: int,
) -> np.ndarray | None:
    """The forward plan's values (None: a period found none)."""
    plan = _Plan(pdata, built)
    for t, period in enumerate(pdata.periods):
        say(f"period {period.year} with what earlier periods built (a feasible plan)")
        data, index = _fixed(pdata, t, plan.opened, plan.placed)
        one = build(data, options.formulation)
        raw = _run(one, options, deadline, steps - t)
        if raw.values is None:
            return None
        plan.record(t, one, raw.values, index)
    return plan.values


def _backward(
    pdata: PeriodData,
    built: PeriodBuilt,
    options: SolveOptions,
    deadline: float | None,
    say: Progress,
    steps: int,
    seed: Seed | None = None,
) -> tuple[np.ndarray | None, float | None]:
    """The backward plan's values (None: a period found none) and the last period's bound
    (without a seed: then the last period is alone).

    The last period (with a ``seed``: what it built kept open, its clusters kept where it
    placed them), then each earlier one with its build facilities restricted to those open in
    the next and its clusters where the next placed them: the open sets nest (S_1 ⊆ … ⊆ S_T),
    so the answers, recorded forward in time, are a plan of the whole model that builds only
    what the horizon's end keeps."""
    periods = len(pdata.periods)
    build_mode = pdata.last.data.sites.mode == BUILD
    allowed = np.ones(pdata.last.data.n_sites, dtype=bool)
    opened = np.zeros(allowed.size, dtype=bool) if seed is None else seed.opened
    placed = {} if seed is None else dict(seed.placed)
    answers: list[tuple[Built, np.ndarray, np.ndarray]] = []
    last_bound = None
    after = "" if seed is None else f", with what {seed.year} alone built"
    for k, t in enumerate(reversed(range(periods))):
        period = pdata.periods[t]
        say(f"period {period.year} within what later periods build{after} (a feasible plan)")
        data, index = _fixed(pdata, t, opened, placed, allowed)
        opened = np.zeros(allowed.size, dtype=bool)
        one = build(data, options.formulation)
        raw = _run(one, options, deadline, steps - k)
        if t == periods - 1:
            last_bound = raw.bound
        if raw.values is None:
            return None, last_bound
        got = raw.values
        allowed = ~build_mode | (got[one.columns.open] > 0.5)
        chosen = period.train[index[got[one.columns.train] > 0.5]]
        placed.update(zip(pdata.training.other[chosen].tolist(), chosen.tolist(), strict=True))
        answers.append((one, got, index))
    plan = _Plan(pdata, built)
    for t, (one, got, index) in enumerate(reversed(answers)):
        plan.record(t, one, got, index)
    return plan.values, last_bound


class _Plan:
    """Values of the whole model filled period by period, in time order, from one-period
    answers: what a build facility opened or installed stays so, clusters keep their pair."""

    def __init__(self, pdata: PeriodData, built: PeriodBuilt) -> None:
        self.pdata, self.built = pdata, built
        self.values = np.zeros(built.model.num_vars)
        self.opened = np.zeros(pdata.last.data.n_sites, dtype=bool)
        self.installed = np.zeros(len(pdata.last.data.cooling), dtype=bool)
        self.placed: dict[int, int] = {}  # cluster (index in the scenario) → persistent pair

    def record(self, t: int, one: Built, got: np.ndarray, index: np.ndarray) -> None:
        """Period t's answer ``got`` of its one-period model ``one`` whose training pairs are
        period t's pairs ``index``."""
        period = self.pdata.periods[t]
        data, cols, values = period.data, self.built.periods[t], self.values
        build_mode = data.sites.mode == BUILD
        now_open = got[one.columns.open] > 0.5
        self.opened |= now_open & build_mode
        values[cols.open] = np.where(build_mode, self.opened, now_open)
        has = one.columns.install >= 0
        now_installed = np.zeros(self.installed.size, dtype=bool)
        now_installed[has] = got[one.columns.install[has]] > 0.5
        self.installed |= now_installed & build_mode[data.cooling.facility]
        values[cols.install[has]] = np.where(
            build_mode[data.cooling.facility[has]], self.installed[has], now_installed[has]
        )
        values[cols.serve] = got[one.columns.serve]
        values[cols.split] = got[one.columns.split]
        if cols.unserved is not None and one.columns.unserved is not None:
            values[cols.unserved] = got[one.columns.unserved]
        local = index[got[one.columns.train] > 0.5]  # pairs of period t's data
        values[cols.train[local]] = 1.0
        chosen = period.train[local]  # their persistent indices
        clusters = self.pdata.training.other[chosen]
        self.placed.update(zip(clusters.tolist(), chosen.tolist(), strict=True))


def _fixed(
    pdata: PeriodData,
    t: int,
    opened: np.ndarray,
    placed: dict[int, int],
    allowed: np.ndarray | None = None,
) -> tuple[ModelData, np.ndarray]:
    """Period t's data with the facilities ``opened`` open, those not ``allowed`` closed and
    the clusters ``placed`` kept where they are; and the indices of the training pairs kept
    (in period t's data)."""
    period = pdata.periods[t]
    data = period.data
    cluster = pdata.training.other[period.train]
    keep = np.array(
        [placed.get(int(k), int(p)) == int(p) for k, p in zip(cluster, period.train, strict=True)],
        dtype=bool,
    )
    open_ub = data.sites.open_ub if allowed is None else np.minimum(data.sites.open_ub, allowed)
    sites = replace(
        data.sites, open_lb=np.maximum(data.sites.open_lb, opened.astype(float)), open_ub=open_ub
    )
    index = np.flatnonzero(keep)
    return replace(data, sites=sites, training=take(data.training, index)), index
