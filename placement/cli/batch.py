"""Command line: ``placement batch`` and ``placement pareto``.

The main CLI calls :func:`register` with its argparse sub-parsers and dispatches to
``args.func(args) -> int``. This module also runs on its own:
``python -m placement.cli.batch batch examples/portfolio.yaml --out runs/demo``.

Exit codes: 0 done (infeasible cases are answers, listed in the table); 1 done, but some case
ended in status ``error`` or failed verification; 2 invalid portfolio, scenario or options;
130 interrupted (re-run the same command to resume).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from placement.atomic import unwritable_folder
from placement.batch.paths import PortfolioError
from placement.batch.store import StorageError, storage_error
from placement.errors import PlacementError

EXIT_OK, EXIT_FAILED_CASES, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


def register(subparsers: Any) -> None:
    """Add the ``batch`` and ``pareto`` commands to an argparse sub-parsers object."""
    batch = subparsers.add_parser(
        "batch",
        help="solve every scenario of a portfolio (sweeps), resumable, local or on Dask",
        description="Solve every case of a portfolio spec (or a folder of scenario files). "
        "Each result is written to OUT/results/<hash>.json as it finishes; re-running the same "
        "command skips what is done. Tables: OUT/summary.csv|.parquet, OUT/sites.csv|.parquet; "
        "charts: OUT/cost_vs_rtt.png, OUT/sensitivity.png.",
    )
    batch.add_argument("portfolio", help="portfolio file (.yaml/.json) or folder of scenarios")
    batch.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder (default: out/<portfolio file or folder name>, like solve's ./out)",
    )
    batch.add_argument("--workers", type=int, default=None, help="processes (default: CPUs)")
    batch.add_argument(
        "--executor",
        choices=("process", "sequential", "dask"),
        default="process",
        help="where solves run (default: a local process pool)",
    )
    batch.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="Dask scheduler address (tcp://host:8786); implies --executor dask",
    )
    batch.add_argument("--baseline", default=None, help="case id the deltas are taken against")
    batch.add_argument(
        "--retry-errors", action="store_true", help="solve again cases stored with status error"
    )
    batch.add_argument("--dry-run", action="store_true", help="list the cases and exit")
    batch.add_argument("--no-verify", action="store_true", help="skip placement.verify")
    batch.add_argument("--no-plots", action="store_true", help="skip the PNG charts")
    batch.add_argument("--no-progress", action="store_true", help="no progress bar")
    _solve_options(batch, spec_note=" (overrides the portfolio's solve:)")
    batch.set_defaults(func=run_batch)

    front = subparsers.add_parser(
        "pareto",
        help="trace the cost vs weighted-RTT Pareto frontier of one scenario",
        description="Cheapest placement for each latency budget ε (population-weighted mean "
        "RTT), from the least achievable to that of the cheapest placement; or a λ sweep. "
        "Writes OUT/frontier.csv, frontier.png, frontier.json and points/point_<n>.json.",
    )
    front.add_argument("scenario", help="scenario file, or bundled:us_small / bundled:us_default")
    front.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder (default: out/pareto_<scenario name>)",
    )
    front.add_argument("--points", type=int, default=8, help="number of solves (default 8)")
    front.add_argument("--method", choices=("epsilon", "lambda"), default="epsilon")
    front.add_argument("--threads", type=int, default=None, help="solver threads")
    front.add_argument("--no-progress", action="store_true", help="no progress lines")
    _solve_options(front, spec_note="")
    front.set_defaults(func=run_pareto)


def _solve_options(parser: argparse.ArgumentParser, spec_note: str) -> None:
    group = parser.add_argument_group("solve options" + spec_note)
    group.add_argument("--formulation", default=None, help="strong | weak | single_source")
    group.add_argument("--solver", default=None, help="highs | scip | cpsat")
    group.add_argument("--time-limit", type=float, default=None, help="seconds per solve")
    group.add_argument("--gap", type=float, default=None, help="relative gap per solve")
    group.add_argument("--seed", type=int, default=None, help="solver seed")


def run_batch(args: argparse.Namespace) -> int:
    """``placement batch``: expand, solve what is missing, summarise."""
    from rich.console import Console

    from placement.batch.runner import solve_portfolio
    from placement.batch.spec import Portfolio

    console = _stdout_console()
    err = Console(stderr=True)
    if args.out is None:
        args.out = Path("out") / Path(args.portfolio).resolve().stem
    try:
        portfolio = Portfolio.from_file(args.portfolio).with_options(
            formulation=args.formulation,
            solver=args.solver,
            time_limit=args.time_limit,
            gap=args.gap,
            seed=args.seed,
        )
        if args.dry_run:
            return _dry_run(portfolio, args.out, console)
        _check_out_dir(args.out)
        result = solve_portfolio(
            portfolio,
            args.out,
            workers=args.workers,
            executor=args.executor,
            scheduler=args.scheduler,
            baseline=args.baseline,
            verify=not args.no_verify,
            progress=not args.no_progress,
            retry_errors=args.retry_errors,
            plots=not args.no_plots,
        )
    except KeyboardInterrupt:
        err.print(
            "[yellow]interrupted[/]: finished cases are saved; run the same command again to resume"
        )
        return EXIT_INTERRUPTED
    except StorageError as exc:  # e.g. the disk filled up mid-run: what is stored is kept
        err.print(f"[red]error[/]: {exc}", markup=True, highlight=False)
        return EXIT_FAILED_CASES
    except (PlacementError, ImportError, FileNotFoundError) as exc:
        err.print(f"[red]error[/]: {exc}", markup=True, highlight=False)
        return EXIT_BAD_INPUT
    _print_summary(result, console)
    for note in result.notes:
        err.print(f"[yellow]note[/]: {note}", highlight=False)
    return EXIT_FAILED_CASES if result.errors else EXIT_OK


def _check_out_dir(out: Path) -> None:
    """Fail before any solve (exit 2) if ``--out`` cannot be created or written."""
    problem = unwritable_folder(out)
    if problem is not None:
        raise PortfolioError(f"--out {out}: {problem}")


def _stdout_console() -> Any:
    """A console for tables: the terminal's width, or 160 columns into a file or pipe."""
    from rich.console import Console

    return Console() if sys.stdout.isatty() else Console(width=160)


def _dry_run(portfolio: Any, out: Path, console: Any) -> int:
    from rich.table import Table

    from placement.batch.store import ResultStore

    cases = portfolio.expand()
    store = ResultStore(out)
    table = Table(title=f"{portfolio.name}: {len(cases)} cases")
    table.add_column("id")
    table.add_column("hash")
    table.add_column("stored")
    for case in cases:
        table.add_row(case.id, case.hash[:12], "yes" if store.path(case.hash).exists() else "")
    console.print(table)
    return EXIT_OK


def _print_summary(result: Any, console: Any, limit: int = 40) -> None:
    from rich.table import Table

    frame = result.table
    inputs = list(result.cases[0].inputs)
    table = Table(title=f"{len(frame)} cases (baseline: {result.baseline.id})")
    table.add_column("id", overflow="fold")
    columns = ("status", "spend (M$)", "objective (M$)", "Δ obj. %", "gap", "sites", "RTT ms")
    for column in columns:
        table.add_column(column, justify="left" if column == "status" else "right")
    for row in frame.head(limit).to_dict(orient="records"):
        table.add_row(
            row["id"],
            str(row["status"]),
            _num(row.get("spend"), 1e-6, ".1f"),
            _num(row.get("objective"), 1e-6, ".1f"),
            _num(row.get("delta_objective_pct"), 1.0, "+.1f"),
            _num(row.get("gap"), 1.0, ".1e"),
            _num(row.get("open_sites"), 1.0, ".0f"),
            _num(row.get("weighted_rtt_ms"), 1.0, ".2f"),
        )
    table.caption = (
        "spend: money paid per year; objective = spend + the λ-weighted latency penalty "
        "(+ unserved-demand penalty)"
    )
    console.print(table)
    if len(frame) > limit:
        console.print(f"… {len(frame) - limit} more rows in the CSV")
    failed = frame[~frame["status"].isin(["optimal", "feasible"])]
    for row in failed.head(limit).to_dict(orient="records"):
        reasons = [r for r in str(row.get("diagnosis") or "").split(" | ") if r]
        reason = reasons[0] if reasons else str(row.get("message") or "")
        more = f" (+{len(reasons) - 1} more in the table)" if len(reasons) > 1 else ""
        console.print(f"[yellow]{row['id']}[/]: {row['status']}: {reason}{more}", highlight=False)
    console.print(
        f"solved {result.solved}, already done {result.skipped}; varied: "
        f"{', '.join(inputs) or 'nothing'}; files in {result.out}"
    )


def _num(value: Any, scale: float, spec: str) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return ""
    if number != number:  # NaN
        return ""
    return format(number * scale, spec)


def run_pareto(args: argparse.Namespace) -> int:
    """``placement pareto``: trace and save the frontier of one scenario."""
    from rich.console import Console

    from placement.batch.pareto import pareto
    from placement.batch.spec import load_scenario

    console = _stdout_console()
    err = Console(stderr=True)
    say = None if args.no_progress else (lambda m: err.print(f"[dim]{m}[/]", highlight=False))
    options = {
        k: v
        for k, v in {
            "formulation": args.formulation,
            "solver": args.solver,
            "time_limit": args.time_limit,
            "gap": args.gap,
            "seed": args.seed,
            "threads": args.threads,
        }.items()
        if v is not None
    }
    if args.out is None:
        stem = Path(str(args.scenario).removeprefix("bundled:")).stem
        args.out = Path("out") / f"pareto_{stem}"
    try:
        scenario = load_scenario(args.scenario, Path.cwd())
        _check_out_dir(args.out)
        frontier = pareto(scenario, points=args.points, method=args.method, progress=say, **options)
        files = frontier.save(args.out)
    except KeyboardInterrupt:
        err.print("[yellow]interrupted[/]")
        return EXIT_INTERRUPTED
    except OSError as exc:  # writing the frontier failed (disk full, permissions)
        err.print(f"[red]error[/]: {storage_error(Path(exc.filename or args.out), exc)}")
        return EXIT_FAILED_CASES
    except (PlacementError, ImportError) as exc:
        err.print(f"[red]error[/]: {exc}", highlight=False)
        return EXIT_BAD_INPUT
    if frontier.message:
        err.print(f"[yellow]{frontier.message}[/]", highlight=False)
        return EXIT_FAILED_CASES
    from rich.table import Table

    table = Table(title=f"Pareto frontier of {scenario.name} ({frontier.method})")
    for column in ("RTT ms", "cost excl. latency penalty (M$/yr)", "sites", "open sites"):
        table.add_column(column, justify="right" if column != "open sites" else "left")
    for p in frontier.points:
        table.add_row(
            f"{p.weighted_rtt_ms:.2f}",
            f"{p.cost / 1e6:,.1f}",
            str(len(p.result.open_sites)),
            ", ".join(p.result.open_sites),
        )
    console.print(table)
    console.print(f"{len(files)} files in {args.out}")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Run ``batch`` or ``pareto`` without the main CLI."""
    parser = argparse.ArgumentParser(prog="placement", description=__doc__.splitlines()[0])
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
