"""N-1 by cut generation: solve, check every site's failure by max-flow, add the cuts it
violates, solve again.

The failure rows (8e) of :mod:`placement.formulations.resilience` are one per failed site e
and set of regions T, far too many to write down. Each is a valid inequality (Hall's
condition: a necessary condition for the failure's flow), and all of them together are exactly
"every failure's max flow covers the served demand". So the loop

    solve the model with the cuts found so far  →  x*
    for every site e with capacity in x*: max-flow of the served demand over the others
    no flow short  ⇒  x* survives every failure and is optimal (the model with some cuts is a
                       relaxation of the N-1 problem, and x* is feasible for the whole)
    else           ⇒  add (8e) for each short Hall set T (a connected part of a minimum cut's
                       sink side), for e and for every other site that can serve T, and repeat

ends with a proven optimum after finitely many rounds (there are finitely many (e, T)); the
last solve's bound is a bound of the N-1 problem. Each round re-solves the whole model, so N-1
costs a few solves of a model with a few more rows (measured: benchmarks/README.md, "N-1").
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from placement.formulations import Built
from placement.formulations.resilience import add_failure_cuts
from placement.milp.solution import Termination
from placement.model.data import ModelData
from placement.model.resilience import failure_flows
from placement.solving import methods
from placement.solving.options import SolveOptions

Progress = Callable[[str], None]
MAX_ROUNDS = 200


@dataclass(frozen=True)
class CutLog:
    """How many rounds and failure cuts the N-1 loop needed."""

    rounds: int = 0
    cuts: int = 0


def run(
    built: Built,
    data: ModelData,
    options: SolveOptions,
    *,
    deadline: float | None,
    progress: Progress,
) -> tuple[methods.Outcome, CutLog]:
    """Solve ``built``; with N-1 on, until no site's failure leaves demand short."""
    if data.failures is None:
        return methods.run(built, options, deadline=deadline, progress=progress), CutLog()
    seen: set[tuple[int, bytes]] = set()
    cuts = 0
    solve_seconds = handoff = 0.0
    for round_ in range(1, MAX_ROUNDS + 1):
        outcome = methods.run(built, options, deadline=deadline, progress=progress)
        solve_seconds += outcome.raw.solve_seconds
        handoff += outcome.raw.handoff_seconds
        raw = dataclasses.replace(outcome.raw, solve_seconds=solve_seconds, handoff_seconds=handoff)
        outcome = dataclasses.replace(outcome, raw=raw)
        if raw.values is None:
            return outcome, CutLog(round_ - 1, cuts)
        new = _violated(data, built, raw.values, seen)
        if not new:
            method = f"{outcome.method} + site-loss cuts ({round_} solves)"
            return dataclasses.replace(outcome, method=method), CutLog(round_ - 1, cuts)
        if raw.termination is Termination.INTERRUPTED:
            break  # stopped on request: no more rounds, and this placement fails a failure
        if deadline is not None and time.perf_counter() >= deadline:
            break
        progress(f"site-loss check: {len(new)} failure cuts added (round {round_})")
        add_failure_cuts(built.model, data, built.columns, new, f"site_loss_{round_}")
        cuts += len(new)
    detail = (
        f"the site-loss cut loop stopped after {round_} solves and {cuts} cuts without a "
        "placement that survives every site failure (time limit, round limit or interrupted)"
    )
    stopped = raw.termination is Termination.INTERRUPTED
    termination = Termination.INTERRUPTED if stopped else Termination.NO_SOLUTION
    raw = dataclasses.replace(raw, termination=termination, values=None, detail=detail)
    return dataclasses.replace(outcome, raw=raw), CutLog(round_, cuts)


def _violated(
    data: ModelData, built: Built, values: np.ndarray, seen: set[tuple[int, bytes]]
) -> list[tuple[int, np.ndarray]]:
    """Failure cuts (site, regions) violated by ``values`` and not yet in the model."""
    graph = data.failures
    assert graph is not None
    cols = built.columns
    capacity = np.maximum(values[cols.capacity], 0.0) * data.work_scale  # work units
    served = 1.0 if cols.unserved is None else 1.0 - np.clip(values[cols.unserved], 0.0, 1.0)
    demand = data.region_work * served
    failing = np.unique(graph.site[capacity > 0])
    new: list[tuple[int, np.ndarray]] = []
    by_region = graph.adjacency.tocsc()
    for flow in failure_flows(graph, capacity, demand, failing):
        for regions in flow.deficient:
            seen_nodes = np.unique(by_region[:, regions].indices)
            for e in {flow.site, *np.unique(graph.site[seen_nodes]).tolist()}:
                key = (int(e), np.sort(regions).tobytes())
                if key not in seen:
                    seen.add(key)
                    new.append((int(e), regions))
    return new
