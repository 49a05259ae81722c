"""What one benchmark entry is, the settings every entry shares, and the columns of a row."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from benchmarks.instances import InstanceSpec
from placement.milp.lp_branch import DEFAULT_MAX_NODES as DEFAULT_LP_NODES

# One row per entry, in this column order (the raw CSV).
COLUMNS: tuple[str, ...] = (
    "family",
    "instance",
    "size",
    "n_sites",
    "n_regions",
    "n_clusters",
    "variant",
    "formulation",
    "solver",
    "method",
    "status",
    "objective",
    "bound",
    "gap",
    "known_optimum",
    "deviation",
    "lp_bound",
    "lp_gap",
    "lp_seconds",
    "build_seconds",
    "solve_seconds",
    "wall_seconds",
    "overrun_seconds",
    "runs",
    "runs_agree",
    "variables",
    "integer_variables",
    "constraints",
    "nonzeros",
    "pairs",
    "peak_rss_mb",
    "base_rss_mb",
    "verified",
    "agree",
    "time_limit",
    "threads",
    "seed",
    "note",
)

SOLUTION_STATUSES = ("optimal", "feasible")
SIZE_KEYS = ("variables", "integer_variables", "constraints", "nonzeros")


@dataclass(frozen=True)
class Settings:
    """Limits and rules shared by every entry of a run (the fairness contract).

    ``runs`` timed solves are made when the first takes under ``repeat_below`` seconds (build +
    solve) and the median is reported; slower entries are timed once. ``fail_gap``: on a size
    ladder, an entry that ends without a solution or above this gap is not tried at larger sizes
    (unless ``skip_after_failure`` is off). ``max_pairs`` caps the serving pairs of a model.
    """

    time_limit: float = 60.0
    threads: int = 1
    seed: int = 0
    gap: float = 1e-6
    lp_nodes: int = DEFAULT_LP_NODES  # HiGHS entries: LP branch and bound first (0: plain MIP)
    runs: int = 3
    repeat_below: float = 5.0
    warmup: bool = True
    lp: bool = True
    max_pairs: int = 6_000_000
    isolation: str = "process"  # "process": a fresh forked process per entry; "inline"
    skip_after_failure: bool = True
    fail_gap: float = 0.10
    hard_timeout: float | None = None  # per entry; default 5 × time_limit + 600 s

    @property
    def entry_timeout(self) -> float:
        if self.hard_timeout is not None:
            return self.hard_timeout
        return 5.0 * self.time_limit + 600.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Entry:
    """One cell of the matrix: instance × variant × formulation × backend."""

    spec: InstanceSpec
    variant: str
    formulation: str
    solver: str
    with_lp: bool = False
    method: str = "auto"

    @property
    def label(self) -> str:
        how = f"{self.formulation}/{self.solver}"
        if self.method != "auto":
            how += f"/{self.method}"
        return f"{self.spec.family} {self.spec.name} [{self.variant}] {how}"

    @property
    def combo(self) -> tuple[str, str, str, str, str]:
        """What a size ladder follows: family, variant, formulation, backend, method."""
        return (self.spec.family, self.variant, self.formulation, self.solver, self.method)


def base_row(entry: Entry, settings: Settings) -> dict[str, Any]:
    """A row with the entry's identity and the run settings filled in, the rest empty."""
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    sites, regions = (int(x) for x in entry.spec.size.split("x"))
    row.update(
        family=entry.spec.family,
        instance=entry.spec.name,
        size=entry.spec.size,
        n_sites=sites,
        n_regions=regions,
        variant=entry.variant,
        formulation=entry.formulation,
        solver=entry.solver,
        method=entry.method,
        known_optimum=entry.spec.known_optimum,
        time_limit=settings.time_limit,
        threads=settings.threads,
        seed=settings.seed,
        note="",
    )
    return row


def failed(row: dict[str, Any], fail_gap: float) -> bool:
    """True if an entry was not practical: no solution (and no infeasibility proof) or a big gap."""
    status = row.get("status")
    if status == "infeasible":
        return False
    if status not in SOLUTION_STATUSES:
        return True
    gap = row.get("gap")
    return gap is None or gap > fail_gap
