"""placement: decide where AI compute goes.

Training clusters go whole to sites with power, density and liquid cooling; inference capacity
goes near users. A mixed-integer program (OR-Tools) minimises annual cost plus a latency
penalty and reports how far from optimal its answer is proven to be.

    import placement as pl
    scn = pl.datasets.us_small()
    res = pl.solve(scn)
    pl.verify(scn, res)
"""

from placement import io
from placement.errors import PlacementError, ScenarioError, SolverOptionError, VerificationError
from placement.model.planning import Resilience, SoftRules, TrainingSplit
from placement.model.schema import (
    Economics,
    InferenceProfile,
    NetworkSettings,
    Region,
    Rules,
    Scenario,
    Site,
    SiteDefaults,
    TrainingCluster,
    capital_recovery_factor,
)
from placement.results.alternatives import Alternatives
from placement.results.result import (
    Assignment,
    CostBreakdown,
    Kpis,
    PlacementResult,
    SiteLoad,
    Status,
)
from placement.results.verify import verify
from placement.solving.options import SolveOptions
from placement.solving.solve import FORMULATIONS, SOLVERS, solve, write_model

__version__ = "0.1.0"


def __getattr__(name: str):
    # Bundled datasets load on first use, so `import placement` stays light.
    import importlib

    if name == "datasets":
        return importlib.import_module("placement.datasets")
    if name in ("Portfolio", "solve_portfolio", "pareto", "batch"):
        # Batch solving pulls in pandas and executors: load it only when asked for.
        batch = importlib.import_module("placement.batch")
        return batch if name == "batch" else getattr(batch, name)
    raise AttributeError(f"module 'placement' has no attribute {name!r}")


__all__ = [
    "FORMULATIONS",
    "SOLVERS",
    "Alternatives",
    "Assignment",
    "CostBreakdown",
    "Economics",
    "InferenceProfile",
    "Kpis",
    "NetworkSettings",
    "PlacementError",
    "PlacementResult",
    "Portfolio",
    "Region",
    "Resilience",
    "Rules",
    "Scenario",
    "ScenarioError",
    "Site",
    "SiteDefaults",
    "SiteLoad",
    "SoftRules",
    "SolveOptions",
    "SolverOptionError",
    "Status",
    "TrainingCluster",
    "TrainingSplit",
    "VerificationError",
    "capital_recovery_factor",
    "datasets",
    "io",
    "pareto",
    "solve",
    "solve_portfolio",
    "verify",
    "write_model",
]
