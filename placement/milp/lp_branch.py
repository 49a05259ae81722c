"""LP-based branch and bound: the MILP proved through fast, warm-started HiGHS linear programs.

Why it exists: HiGHS's MIP solver solves its LP relaxations with HiGHS's default scaling, on
which the placement LP is about 30x slower than with max-value scaling (see
:mod:`placement.milp.highs`), and that cannot be changed from outside. The strong formulation's
relaxation is integral or nearly so on realistic scenarios (facility location with per-pair
linking), so a best-first branch and bound over a few such LPs usually proves the optimum in
one to a handful of LP solves. Every node changes only the bounds of the model already encoded
in HiGHS and starts from the previous basis. Past ``max_nodes`` it stops and the caller hands
the MILP to the solver's own branch and cut with what it found (:class:`Handover`: the best
integral solution as a MIP start, and the bound proved so far), so nothing is lost but the
time spent; it also hands over at once when the root has more than ``max_root_fractional``
fractional integer variables, so on such models the price is one fast LP.

Algorithm (exact; ``x̄`` is a node's LP solution, ``U`` the incumbent, ``g`` the gap)::

    root      the LP relaxation; infeasible ⇒ the MILP is infeasible
    node      LP with the integer bounds of its branch; its bound is the LP optimum z
    prune     LP infeasible, or U − z ≤ max(g·|U|, 1e-9)
    incumbent every integer variable within 1e-9 of an integer ⇒ round them: a solution
    branch    on the most fractional integer variable v: x_v ≤ ⌊x̄_v⌋  |  x_v ≥ ⌈x̄_v⌉
    order     best first (smallest parent bound)
    proof     no open node left ⇒ optimal; the bound is min(open node bounds, U)
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from placement.milp.highs import HighsSolver
from placement.milp.solution import RawSolution, SolveParams, Termination

INTEGRALITY_TOLERANCE = 1e-9
ABSOLUTE_GAP = 1e-9
DEFAULT_MAX_NODES = 16
# A root with more fractional integer variables than this is a tree that HiGHS's own branch and
# cut (cuts, heuristics, conflict analysis) closes faster than plain LP branching. With every
# node warm-started from the previous basis, branching is cheap: on the bundled default with
# decision menus the root has 13 fractional variables and 3 nodes prove the optimum (the MIP:
# 77 s); over the 37 OR-Library instances (16, 25) totals 3.8 s against 5.5 s for (8, 3).
MAX_ROOT_FRACTIONAL = 25

Progress = Callable[[str], None]


@dataclass(frozen=True)
class _Node:
    bound: float  # the parent's LP bound, a valid lower bound for this subtree
    lower: tuple[tuple[int, float], ...]  # (column, lower bound) tightened on this branch
    upper: tuple[tuple[int, float], ...]

    def columns(self) -> np.ndarray:
        return np.array([c for c, _ in (*self.lower, *self.upper)], dtype=np.int64)


@dataclass
class _Search:
    """The state of one branch and bound: open nodes, incumbent, counters."""

    highs: HighsSolver
    gap: float
    objective: np.ndarray
    integer: np.ndarray
    open_nodes: list[tuple[float, int, _Node]] = field(default_factory=list)
    incumbent: np.ndarray | None = None
    upper_bound: float = math.inf
    solved: int = 0
    lp_seconds: float = 0.0
    counter: itertools.count = field(default_factory=lambda: itertools.count(1))

    def closed(self, bound: float) -> bool:
        if not math.isfinite(self.upper_bound):
            return False
        return self.upper_bound - bound <= max(self.gap * abs(self.upper_bound), ABSOLUTE_GAP)

    def push(self, node: _Node) -> None:
        heapq.heappush(self.open_nodes, (node.bound, next(self.counter), node))

    def solve_node(self, node: _Node, params: SolveParams) -> RawSolution:
        columns = node.columns()
        lower = self.highs.root_lb[columns].copy()
        upper = self.highs.root_ub[columns].copy()
        for k, (_, value) in enumerate(node.lower):
            lower[k] = value
        for k, (_, value) in enumerate(node.upper, start=len(node.lower)):
            upper[k] = value
        self.highs.set_bounds(columns, lower, upper)
        try:
            raw = self.highs.solve_lp(params)
        finally:
            self.highs.restore_bounds(columns)
        self.solved += 1
        self.lp_seconds += raw.solve_seconds
        return raw

    def offer(self, values: np.ndarray) -> float:
        """Round an integral LP solution; keep it if it improves. Returns its objective."""
        values = values.copy()
        values[self.integer] = np.round(values[self.integer])
        value = float(self.objective @ values)
        if value < self.upper_bound:
            self.incumbent, self.upper_bound = values, value
        return value

    def handover(self) -> Handover:
        """The incumbent and the proven bound: min over open nodes and the incumbent (−∞, i.e.
        None, while the root is unsolved or the root itself was handed over)."""
        bounds = [self.upper_bound, *(node.bound for _, _, node in self.open_nodes)]
        bound = min(bounds)
        return Handover(
            values=self.incumbent,
            objective=None if self.incumbent is None else self.upper_bound,
            bound=bound if math.isfinite(bound) else None,
            nodes=self.solved,
            seconds=self.lp_seconds,
        )

    def result(self, termination: Termination, detail: str) -> RawSolution:
        bound = min([self.upper_bound, *(node.bound for _, _, node in self.open_nodes)])
        if self.incumbent is None:
            return RawSolution(termination, detail, None, None, None, self.lp_seconds)
        return RawSolution(
            termination, detail, self.incumbent, self.upper_bound, bound, self.lp_seconds
        )


@dataclass(frozen=True)
class Handover:
    """What an unfinished LP branch and bound leaves for the MIP solver that takes over: its
    best integral solution (a MIP start) and the lower bound it proved, either possibly None."""

    values: np.ndarray | None
    objective: float | None
    bound: float | None
    nodes: int
    seconds: float


def solve(
    highs: HighsSolver,
    params: SolveParams,
    *,
    max_nodes: int = DEFAULT_MAX_NODES,
    max_root_fractional: int = MAX_ROOT_FRACTIONAL,
    node_seconds: float = math.inf,
    progress: Progress | None = None,
) -> RawSolution | Handover:
    """Solve the model in ``highs`` by LP branch and bound within ``params.deadline``; the
    nodes after the root get at most ``node_seconds`` more (the root LP only the deadline).

    Returns a :class:`Handover`, for the caller to give the MILP to a MIP solver, when the root
    is too fractional, ``max_nodes`` LPs did not settle it, the deadline passed, or an LP
    failed. Otherwise the result is ``optimal`` (within ``params.gap``) or ``infeasible``, both
    proven, or ``interrupted`` (a stop was requested, :func:`placement.milp.highs.request_stop`)
    with the incumbent, if any, and the bound of the open nodes. The model's bounds are as they
    were when it returns.
    """
    say = progress or (lambda _msg: None)
    search = _Search(highs, params.gap, highs.objective, np.flatnonzero(highs.integer))
    search.push(_Node(-math.inf, (), ()))
    root_params = params
    while search.open_nodes and not search.closed(search.open_nodes[0][0]):
        if search.solved == 1 and params is root_params:
            params = _after_root(root_params, node_seconds)
        if search.solved == max_nodes:
            say(f"LP branch and bound: {search.solved} nodes did not settle it; handing over")
            return search.handover()
        if params.deadline is not None and time.perf_counter() >= params.deadline:
            say(f"LP branch and bound: out of time after {_nodes(search.solved)}; handing over")
            return search.handover()
        _, _, node = heapq.heappop(search.open_nodes)
        raw = search.solve_node(node, params)
        if raw.termination is Termination.INTERRUPTED:  # stop requested: the best so far
            search.push(node)  # its bound still counts
            say(f"LP branch and bound: interrupted after {_nodes(search.solved)}")
            return search.result(Termination.INTERRUPTED, raw.detail)
        if raw.termination is Termination.INFEASIBLE:
            if search.solved == 1:
                return search.result(Termination.INFEASIBLE, "the LP relaxation is infeasible")
            continue
        if raw.termination is not Termination.OPTIMAL or raw.values is None:
            say(f"LP node {search.solved}: {raw.termination.value} ({raw.detail}); handing over")
            search.push(node)  # unsolved: its subtree still holds at the parent's bound
            return search.handover()
        verdict, hand_over = _branch(search, node, raw, max_root_fractional)
        say(f"LP node {search.solved}: {verdict}")
        if hand_over:
            return search.handover()
    if search.incumbent is None:
        return search.result(
            Termination.INFEASIBLE, f"every LP branch is infeasible ({_nodes(search.solved)})"
        )
    return search.result(
        Termination.OPTIMAL, f"proved by LP branch and bound in {_nodes(search.solved)}"
    )


def _branch(
    search: _Search, node: _Node, raw: RawSolution, max_root_fractional: int
) -> tuple[str, bool]:
    """Prune, accept or branch on one solved node: (what happened, whether to hand over)."""
    assert raw.values is not None and raw.objective is not None
    bound = max(raw.objective, node.bound)
    if search.closed(bound):
        return f"bound {bound:,.0f}: pruned", False
    values = raw.values
    fraction = np.abs(values[search.integer] - np.round(values[search.integer]))
    worst = int(np.argmax(fraction)) if search.integer.size else -1
    if worst < 0 or fraction[worst] <= INTEGRALITY_TOLERANCE:
        return f"integral, {search.offer(values):,.0f}", False
    fractional = int((fraction > INTEGRALITY_TOLERANCE).sum())
    if search.solved == 1 and fractional > max_root_fractional:
        search.push(_Node(bound, node.lower, node.upper))  # the root's bound stays proven
        return f"root has {fractional} fractional integer variables; handing over", True
    column = int(search.integer[worst])
    below, above = math.floor(values[column]), math.ceil(values[column])
    search.push(_Node(bound, node.lower, (*node.upper, (column, below))))
    search.push(_Node(bound, (*node.lower, (column, above)), node.upper))
    return f"bound {bound:,.0f}, {fractional} fractional; branching", False


def _after_root(params: SolveParams, node_seconds: float) -> SolveParams:
    """``params`` for the nodes after the root: its deadline, or ``node_seconds`` from now if
    that comes first."""
    if math.isinf(node_seconds):
        return params
    deadline = time.perf_counter() + node_seconds
    if params.deadline is not None:
        deadline = min(deadline, params.deadline)
    return dataclasses.replace(params, deadline=deadline)


def _nodes(count: int) -> str:
    return f"{count} LP node" + ("" if count == 1 else "s")
