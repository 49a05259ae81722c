"""``solve_decomposition``: the Lagrangian decomposition as one call, with an honest outcome."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np

from placement.decomposition.classic import classic_view, unsupported
from placement.decomposition.relaxation import Relaxation, build_relaxation
from placement.decomposition.search import Search
from placement.milp.highs import stop_requested
from placement.model.data import ModelData
from placement.results.decode import Decisions

Progress = Callable[[str], None]


@dataclass(frozen=True)
class DecompositionOutcome:
    """The answer of :func:`solve_decomposition`.

    ``bound`` is proven: no solution of the model costs less. ``status`` is ``optimal`` only
    when (objective − bound) ≤ gap · |objective|.
    """

    status: str  # optimal | feasible | infeasible | no_solution
    decisions: Decisions | None
    objective: float | None
    bound: float | None
    gap: float | None
    message: str
    stats: dict[str, float | int] = field(default_factory=dict)


def unsupported_features(data: ModelData, *, formulation: str = "strong") -> list[str]:
    """What the decomposition does not cover for this model (empty: it covers everything);
    see :func:`placement.decomposition.classic.unsupported`."""
    return unsupported(data, formulation)


def initial_multipliers(rel: Relaxation) -> np.ndarray:
    """u_j = the cheapest cost of region j counting a pro-rata share of the fixed cost of a
    full site, min_p (c_p + f_i F_p / P_i) (capped by its unserved penalty), v_k the same
    for cluster k's training pairs; μ = η = 0."""
    lam = np.zeros(rel.n_multipliers)
    u = np.full(rel.n_regions, np.inf)
    power = np.where(rel.power > 0, rel.power, np.inf)  # a zero cloud quota: no share
    share = rel.fixed[rel.s_site] * rel.s_weight / (rel.share_cap * power[rel.s_site])
    np.minimum.at(u, rel.s_region, rel.s_cost + share)
    if rel.unserved_cost is not None:
        u = np.minimum(u, rel.unserved_cost)
    lam[: rel.n_regions] = np.where(np.isfinite(u), u, 0.0)
    if rel.n_clusters:
        v = np.full(rel.n_clusters, np.inf)
        share = rel.fixed[rel.t_site] * rel.t_power / power[rel.t_site]
        np.minimum.at(v, rel.t_cluster, rel.t_cost + share)
        lam[rel.n_regions : rel.n_regions + rel.n_clusters] = np.where(np.isfinite(v), v, 0.0)
    return lam


def solve_decomposition(
    data: ModelData,
    *,
    time_limit: float | None = 600.0,
    gap: float = 1e-4,
    seed: int = 0,
    knapsack: bool = True,
    progress: Progress | None = None,
) -> DecompositionOutcome:
    """Solve the placement MILP of ``data`` by Lagrangian branch and bound.

    Args:
        time_limit: wall-clock seconds for the whole call (None: no limit); the call returns
            its best solution and proven bound when it runs out.
        gap: relative gap at which the search stops and reports ``optimal``.
        knapsack: add Beasley's aggregate capacity row to the relaxation.
        progress: called with short progress messages.

    Raises:
        ValueError: when :func:`unsupported_features` lists anything (fall back to the MILP).
    """
    missing = unsupported_features(data)
    if missing:
        raise ValueError("the decomposition does not cover: " + "; ".join(missing))
    started = time.perf_counter()
    deadline = None if time_limit is None else started + time_limit
    say = progress or (lambda _m: None)
    view = classic_view(data)
    rel = build_relaxation(view, knapsack=knapsack)
    search = Search(view, rel, gap=gap, deadline=deadline, seed=seed, progress=say)
    setup = time.perf_counter() - started
    search.run_root(initial_multipliers(rel))
    if not search.infeasible:
        search.run_tree()
    return _outcome(search, setup, time.perf_counter() - started, gap)


def model_decisions(search: Search) -> Decisions | None:
    """The incumbent as the model's decisions (None without one)."""
    if search.incumbent is None:
        return None
    return search.data.full_decisions(search.incumbent.decisions)


def _outcome(search: Search, setup: float, total: float, gap: float) -> DecompositionOutcome:
    s = search.stats
    stats: dict[str, float | int] = {k: v for k, v in asdict(s).items()}
    stats.update(
        setup_seconds=setup,
        total_seconds=total,
        heuristic_lp_calls=search.primal.lp_calls,
        heuristic_lp_seconds=search.primal.lp_seconds,
        heuristic_fast_hits=search.primal.fast_hits,
        open_nodes=len(search.open_nodes),
    )
    how = (
        f"Lagrangian branch and bound: root bound {s.root_bound:,.2f} after "
        f"{s.root_iterations} volume iterations; {s.nodes} nodes, {s.iterations} iterations "
        f"in all; sites fixed by reduced costs at the root {s.root_fixed_closed} closed / "
        f"{s.root_fixed_open} open, in the tree {s.fixed_closed} / {s.fixed_open}; "
        f"{s.leaves_solved} leaves solved as LPs"
    )
    if search.incumbent is None:
        if search.infeasible or search.finished:
            return DecompositionOutcome(
                "infeasible", None, None, None, None, "proven infeasible by the " + how, stats
            )
        bound = search.bound
        return DecompositionOutcome(
            "no_solution",
            None,
            None,
            bound if math.isfinite(bound) else None,
            None,
            f"{_stopped()} before any solution was found; " + how,
            stats,
        )
    objective = search.upper
    bound = min(search.bound, objective)
    rel_gap = max(0.0, objective - bound) / max(abs(objective), 1e-9)
    status = "optimal" if rel_gap <= gap + 1e-12 else "feasible"
    verdict = "proven within the gap" if status == "optimal" else _stopped()
    return DecompositionOutcome(
        status,
        model_decisions(search),
        objective,
        bound,
        rel_gap,
        f"{verdict}: {how}",
        stats,
    )


def _stopped() -> str:
    return "interrupted on request (Ctrl-C)" if stop_requested() else "stopped at the time limit"
