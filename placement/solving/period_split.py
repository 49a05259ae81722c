"""A plan solved period by period: a valid lower bound and a feasible plan, fast.

The whole plan is one model (:mod:`placement.formulations.multiperiod`) whose LP relaxation
grows much harder than T one-period LPs (README: the two-year default's LP had not finished
after 200 s where one year takes 3.5 s). This method solves one-period models instead:

* **bound**: each period alone, with nothing carried over. With capital prices that do not
  rise (every period's build and cooling index ≤ the earlier ones'; else no bound is claimed)
  it is a relaxation of the plan: a block bought in τ and held through t costs w_t b_τ ≥ w_t b_t
  in period t, a site's fixed capital likewise, and dropping persistence only widens the
  choice. So Σ_t w_t · (period t's proven lower bound) ≤ the plan's optimum.
  The plan comes first (its first period is the first period alone: its bound is reused).
* **plan**: forward in time, each period solved with what earlier periods built fixed: build
  facilities opened before stay open, clusters placed before keep their place and way. The
  periods' answers, made persistent (what was built stays built, cooling installed stays, the
  capacity bought is the running maximum of each site's load), are a feasible plan of the
  whole model; its cost is what the plan's decoder computes from them.

It is a heuristic with a proof of its gap, not an exact method: the forward pass does not look
ahead (it may build where a later period would rather not), and the bound ignores what
persistence costs (measured: 1.0 % below the optimum on ``us_small_growth``).
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
# Of each period's slice of time, the LP branch and bound may use this much: it proves a period
# in a few LPs where HiGHS's MIP needs far longer (us_default: root LP ~3.5 s, MIP ~100 s).
LP_BRANCH_SHARE = 0.9
PERIOD_GAP = 1e-5


@dataclass(frozen=True)
class Split:
    """What the period-by-period solve found: values of the whole model (None: no plan) and
    a proven lower bound on its optimum (None: none)."""

    values: np.ndarray | None
    bound: float | None


def solve_split(
    pdata: PeriodData,
    built: PeriodBuilt,
    options: SolveOptions,
    *,
    deadline: float | None,
    progress: Progress,
) -> Split:
    """The plan, then the bound, of the module docstring, within ``deadline``. The first
    period of the forward pass carries nothing over, so its bound is the first period's; a
    period whose solve proves no bound in its time counts 0 (every one-period cost is ≥ 0)."""
    periods = len(pdata.periods)
    # each period tight: its small slack compounds through what later periods inherit (the
    # five-year default: plan 0.75 % dearer with each period to 1e-3 than to 1e-4)
    options = dataclasses.replace(options, gap=min(options.gap, PERIOD_GAP))
    # the plan first, each of its periods with an equal share of the time left; the bounds
    # get what it leaves
    values, first_bound = _forward(pdata, built, options, deadline, progress, periods)
    bound = None
    if _prices_fall(pdata):
        first = pdata.periods[0].weight * max(first_bound or 0.0, 0.0)
        bound = first + _bound(pdata, options, deadline, progress, periods - 1)
    return Split(values, bound)


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
) -> float:
    """Σ_t w_t · (period t's proven lower bound, 0 if none) over the periods after the first."""
    total = 0.0
    for k, period in enumerate(pdata.periods[1:]):
        say(f"period {period.year} alone (a lower bound for the plan)")
        raw = _run(build(period.data, options.formulation), options, deadline, steps - k)
        total += period.weight * max(raw.bound or 0.0, 0.0)
    return total


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
) -> tuple[np.ndarray | None, float | None]:
    """The forward plan's values (None: a period found none) and the first period's bound."""
    values = np.zeros(built.model.num_vars)
    opened = np.zeros(pdata.last.data.n_sites, dtype=bool)
    installed = np.zeros(len(pdata.last.data.cooling), dtype=bool)
    placed: dict[int, int] = {}  # cluster (index in the scenario) → persistent pair
    first_bound = None
    for t, period in enumerate(pdata.periods):
        say(f"period {period.year} with what earlier periods built (a feasible plan)")
        data, index = _fixed(pdata, t, opened, placed)
        one = build(data, options.formulation)
        raw = _run(one, options, deadline, steps - t)
        if t == 0:
            first_bound = raw.bound
        if raw.values is None:
            return None, first_bound
        got, cols = raw.values, built.periods[t]
        build_mode = data.sites.mode == BUILD
        now_open = got[one.columns.open] > 0.5
        opened |= now_open & build_mode
        values[cols.open] = np.where(build_mode, opened, now_open)
        has = one.columns.install >= 0
        now_installed = np.zeros(installed.size, dtype=bool)
        now_installed[has] = got[one.columns.install[has]] > 0.5
        installed |= now_installed & build_mode[data.cooling.facility]
        values[cols.install[has]] = np.where(
            build_mode[data.cooling.facility[has]], installed[has], now_installed[has]
        )
        values[cols.serve] = got[one.columns.serve]
        values[cols.split] = got[one.columns.split]
        if cols.unserved is not None and one.columns.unserved is not None:
            values[cols.unserved] = got[one.columns.unserved]
        local = index[got[one.columns.train] > 0.5]  # pairs of period t's data
        values[cols.train[local]] = 1.0
        chosen = period.train[local]  # their persistent indices
        clusters = pdata.training.other[chosen]
        placed.update(zip(clusters.tolist(), chosen.tolist(), strict=True))
    return values, first_bound


def _fixed(
    pdata: PeriodData, t: int, opened: np.ndarray, placed: dict[int, int]
) -> tuple[ModelData, np.ndarray]:
    """Period t's data with earlier builds open and earlier clusters kept where they are; and
    the indices of the training pairs kept (in period t's data)."""
    period = pdata.periods[t]
    data = period.data
    cluster = pdata.training.other[period.train]
    keep = np.array(
        [placed.get(int(k), int(p)) == int(p) for k, p in zip(cluster, period.train, strict=True)],
        dtype=bool,
    )
    sites = replace(data.sites, open_lb=np.maximum(data.sites.open_lb, opened.astype(float)))
    index = np.flatnonzero(keep)
    return replace(data, sites=sites, training=take(data.training, index)), index
