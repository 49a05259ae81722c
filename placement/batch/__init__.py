"""Batch solving of site portfolios: sweeps, resume, Pareto frontier, local or on Dask.

    from placement.batch import Portfolio, solve_portfolio, pareto
    pf = Portfolio.from_file("examples/portfolio.yaml")
    run = solve_portfolio(pf, out="runs/demo", workers=2)   # resumable: re-run skips done cases
    run.table            # one row per case: varied inputs, status, costs, sites, RTT, deltas
    run.sites            # how many cases open each site
    front = pareto(pl.datasets.us_small(), points=8)        # cost vs weighted RTT

The spec format is documented in ``docs/batch.md``. pandas, matplotlib and rich are imported
on first use, and dask / pyarrow only when asked for, so ``import placement.batch`` stays light.
"""

from placement.batch.params import DemandGrowth, Override, Parameter, Scale, SiteSubset
from placement.batch.pareto import ParetoFrontier, ParetoPoint, pareto, solve_with_rtt_cap
from placement.batch.paths import PortfolioError
from placement.batch.runner import BatchResult, load_batch, solve_portfolio
from placement.batch.spec import Case, Portfolio, SolveOptions, load_scenario
from placement.batch.store import Record
from placement.batch.summary import site_table, summary_table

__all__ = [
    "BatchResult",
    "Case",
    "DemandGrowth",
    "Override",
    "Parameter",
    "ParetoFrontier",
    "ParetoPoint",
    "Portfolio",
    "PortfolioError",
    "Record",
    "Scale",
    "SiteSubset",
    "SolveOptions",
    "load_batch",
    "load_scenario",
    "pareto",
    "site_table",
    "solve_portfolio",
    "solve_with_rtt_cap",
    "summary_table",
]
