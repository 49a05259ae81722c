"""The ``placement`` command line (also ``python -m placement``).

    placement solve [SCENARIO] [--out DIR] [options]   solve, verify, summarise, write files
    placement validate [SCENARIO]                       counts, totals and pre-solve diagnosis
    placement example [--write FILE] [--small]          the bundled US scenario as YAML/JSON
    placement schema                                    the scenario JSON Schema

SCENARIO is a ``.yaml``/``.yml``/``.json`` scenario file, an OR-Library ``cap*.txt`` file, or the
name of a bundled dataset (``us_default``, ``us_small``); without it the bundled default
(``us_default``) is used.

Exit codes: 0 success (optimal or feasible, verified); 1 infeasible, no solution, solver error or
a failed verification; 2 bad input (invalid scenario, malformed file, unknown option value);
130 interrupted (Ctrl-C; files are written only at the end, each atomically, so nothing is left
half-written; a first Ctrl-C while HiGHS solves stops it and writes the best placement so far).

Extensions: every module named in :data:`EXTENSIONS` that imports is asked to
``register(subparsers)``: it adds its own sub-command with ``subparsers.add_parser(...)`` and
``parser.set_defaults(func=handler)``, where ``handler(args) -> int`` returns the exit code. The
helpers :func:`add_scenario_argument`, :func:`add_scenario_options`, :func:`add_solver_options`,
:func:`load_scenario`, :func:`apply_overrides` and :func:`progress_reporter` are there for them;
errors they raise (:class:`~placement.errors.ScenarioError`, ...) are reported like this
module's own.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from placement.atomic import unwritable_folder, write_bytes_atomic
from placement.errors import PlacementError, ScenarioError, SolverOptionError, VerificationError
from placement.formulations import FORMULATIONS
from placement.io.loader import BUNDLED_NAMES
from placement.io.loader import load_scenario as io_load_scenario
from placement.milp.backends import SOLVERS
from placement.model.schema import Scenario
from placement.results.result import PlacementResult
from placement.solving.options import METHODS, SolveOptions

EXTENSIONS: list[str] = ["placement.cli.batch"]
"""Modules that may add sub-commands (``register(subparsers)``); missing ones are skipped."""

DATASETS = BUNDLED_NAMES
DEFAULT_DATASET = "us_default"
EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


# ====================================================================== entry point
def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (the console script exits with it)."""
    parser = build_parser()
    try:
        args = parser.parse_args(None if argv is None else list(argv))
    except SystemExit as exc:  # argparse: --help / --version (0) or a usage error (2)
        return _exit_code(exc)
    handler: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return EXIT_BAD_INPUT
    try:
        return int(handler(args) or 0)
    except KeyboardInterrupt:
        _error("interrupted; no partial output was written (every file is written whole or not)")
        return EXIT_INTERRUPTED
    except (ScenarioError, SolverOptionError) as exc:
        _error(str(exc))
        return EXIT_BAD_INPUT
    except VerificationError as exc:
        _error(f"verification failed: {exc}")
        return EXIT_FAILED
    except PlacementError as exc:
        _error(str(exc))
        return EXIT_FAILED
    except SystemExit as exc:  # an extension's parser.error(...)
        return _exit_code(exc)
    except BrokenPipeError:  # stdout closed early (``placement solve | head``): not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush stays quiet
        return EXIT_FAILED


def build_parser() -> argparse.ArgumentParser:
    from placement import __version__

    parser = argparse.ArgumentParser(
        prog="placement",
        description=(
            "Decide where AI compute goes: training clusters whole at central sites with power "
            "and liquid cooling, inference near users, by a mixed-integer program with a "
            "proven optimality gap."
        ),
        epilog="Run 'placement COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"placement {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")

    solve = subparsers.add_parser(
        "solve",
        help="solve a scenario, verify it, print a summary and write result files",
        description=(
            "Solve SCENARIO (default: the bundled us_default), check the answer with "
            "placement.verify, print a summary and write result.json, result.geojson, "
            "sites.csv, assignments.csv, training.csv, costs.csv, map.png and map.html (an "
            "interactive map that works offline) into --out. A scenario with periods (e.g. "
            "us_default_growth) also gets periods.csv and timeline.png; its tables and maps "
            "show the last period."
        ),
    )
    add_scenario_argument(solve)
    add_scenario_options(solve)
    add_solver_options(solve)
    solve.add_argument(
        "--out",
        metavar="DIR",
        default="out",
        help="folder for the result files (created if needed; default: ./out)",
    )
    solve.add_argument("--no-map", action="store_true", help="do not draw map.png and map.html")
    solve.add_argument(
        "--write-model",
        metavar="FILE",
        help="also write the model as MPS (.mps) or LP (.lp) with named variables and rows, "
        "into --out",
    )
    solve.add_argument(
        "--alternatives",
        metavar="N",
        type=int,
        help="also find other good plans: the N best distinct selections of open facilities "
        "(plan 1 is the optimum), or with --within the N plans within that cost of the optimum "
        "that differ most; each is verified, tabulated and written to alternatives.csv and "
        "alternatives.json",
    )
    solve.add_argument(
        "--within",
        metavar="PCT",
        type=float,
        help="with --alternatives: the cost budget in percent of the optimum (e.g. 5)",
    )
    solve.add_argument(
        "--quiet", "-q", action="store_true", help="print nothing but warnings and errors"
    )
    solve.set_defaults(func=cmd_solve)

    validate = subparsers.add_parser(
        "validate",
        help="check a scenario file and diagnose infeasibility before solving",
        description=(
            "Load SCENARIO, print its counts and totals and the pre-solve diagnosis. Exit 0 if "
            "no problem is seen, 1 if it is diagnosed infeasible, 2 if the file is invalid."
        ),
    )
    add_scenario_argument(validate)
    add_scenario_options(validate)
    validate.add_argument(
        "--formulation",
        default="strong",
        help="diagnose for this formulation (single_source adds its own checks)",
    )
    validate.set_defaults(func=cmd_validate)

    example = subparsers.add_parser(
        "example",
        help="write the bundled US scenario as an editable YAML or JSON file",
        description=(
            "Write the bundled default scenario (us_default; us_small with --small) to FILE, "
            "YAML or JSON by its suffix; without --write, print it as YAML."
        ),
    )
    example.add_argument("--write", metavar="FILE", help="file to write (.yaml, .yml or .json)")
    example.add_argument("--small", action="store_true", help="the small dataset (us_small)")
    example.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    example.set_defaults(func=cmd_example)

    importer = subparsers.add_parser(
        "import",
        help="turn spreadsheet tables (CSV: sites, regions, training) into a scenario file",
        description=(
            "Read SITES.csv (one row per candidate site, one column per field; see 'placement "
            "schema'), optionally REGIONS.csv and --training CSV, take every other setting "
            "from --base (a scenario file or bundled name; default: none), validate, and write "
            "the scenario as YAML/JSON (--write) or print it. Errors name the file, the row, "
            "the id and the column."
        ),
    )
    importer.add_argument("sites", metavar="SITES.csv", help="candidate sites, one per row")
    importer.add_argument("regions", metavar="REGIONS.csv", nargs="?", help="demand regions")
    importer.add_argument("--training", metavar="CSV", help="training clusters, one per row")
    importer.add_argument(
        "--base",
        metavar="SCENARIO",
        help="scenario whose settings (economics, network, rules, site_defaults, inference, "
        "and training unless --training is given) the tables complete",
    )
    importer.add_argument("--name", help="scenario name (default: the base's, or 'imported')")
    importer.add_argument("--write", metavar="FILE", help="file to write (.yaml, .yml or .json)")
    importer.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    importer.set_defaults(func=cmd_import)

    schema = subparsers.add_parser(
        "schema",
        help="print the scenario JSON Schema",
        description="Print the JSON Schema of a scenario file (Scenario.model_json_schema()).",
    )
    schema.set_defaults(func=cmd_schema)

    _register_extensions(subparsers)
    return parser


# ====================================================================== shared options
def add_scenario_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "scenario",
        nargs="?",
        metavar="SCENARIO",
        help=(
            "scenario file (.yaml/.yml/.json), OR-Library cap*.txt file, or a bundled dataset "
            f"({', '.join(DATASETS)}, also as bundled:NAME); default: {DEFAULT_DATASET}"
        ),
    )


def add_scenario_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lambda",
        dest="latency_penalty",
        metavar="USD",
        type=_float_arg,
        help="override λ, the latency penalty in USD per user per ms of RTT per year",
    )
    parser.add_argument(
        "--slo",
        metavar="MS",
        type=_optional_float_arg,
        default=argparse.SUPPRESS,
        help="override the default RTT SLO in ms for regions without their own ('none': no SLO)",
    )


def add_solver_options(parser: argparse.ArgumentParser) -> None:
    defaults = SolveOptions()
    parser.add_argument(
        "--formulation",
        default="strong",
        help=f"MILP formulation: {', '.join(FORMULATIONS)} (default: strong)",
    )
    parser.add_argument(
        "--solver", default="highs", help=f"MILP solver: {', '.join(SOLVERS)} (default: highs)"
    )
    parser.add_argument(
        "--method",
        default=defaults.method,
        help=f"solution method: {', '.join(METHODS)} (default: {defaults.method})",
    )
    parser.add_argument(
        "--time-limit",
        metavar="SECONDS",
        type=_optional_float_arg,
        default=600.0,
        help="solver time limit in seconds ('none': no limit; default: 600)",
    )
    parser.add_argument(
        "--gap",
        type=_float_arg,
        default=defaults.gap,
        help=f"relative optimality gap at which to stop (default: {defaults.gap:g})",
    )
    parser.add_argument("--threads", type=int, help="solver threads (default: the solver's)")
    parser.add_argument("--seed", type=int, default=0, help="solver random seed (default: 0)")
    parser.add_argument(
        "--lp-nodes",
        metavar="N",
        type=int,
        default=defaults.lp_nodes,
        help=(
            "highs: LP branch-and-bound nodes to try before HiGHS's own MIP solver "
            f"(0: straight to it; default: {defaults.lp_nodes})"
        ),
    )
    parser.add_argument("--log", action="store_true", help="show the solver's own log (on stdout)")


def solve_options(args: argparse.Namespace) -> SolveOptions:
    """The :class:`SolveOptions` the solver flags ask for (checked before any work is done)."""
    return SolveOptions(
        formulation=args.formulation,
        solver=args.solver,
        method=args.method,
        time_limit=args.time_limit,
        gap=args.gap,
        threads=args.threads,
        seed=args.seed,
        lp_nodes=args.lp_nodes,
        log=args.log,
    )


def _float_arg(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None


def _optional_float_arg(text: str) -> float | None:
    if text.strip().lower() in ("none", "off", "inf"):
        return None
    return _float_arg(text)


# ====================================================================== loading
def load_scenario(source: str | None, *, quiet: bool = False) -> Scenario:
    """A scenario from a file path or a bundled dataset name (default: ``us_default``).

    Warnings raised while loading (e.g. data gaps in the bundled data) are printed as notes on
    stderr unless ``quiet``. Bad input raises :class:`ScenarioError`.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scenario = io_load_scenario(source)
    if not quiet:
        for warning in caught:
            _note(str(warning.message))
    return scenario


def apply_overrides(scenario: Scenario, args: argparse.Namespace) -> Scenario:
    """Apply ``--lambda`` and ``--slo`` to the nested models, validated like the file."""
    latency = getattr(args, "latency_penalty", None)
    if latency is not None:
        economics = _validated(
            scenario.economics,
            "latency_penalty_usd_per_user_ms_year",
            latency,
            "--lambda",
        )
        scenario = scenario.model_copy(update={"economics": economics})
    if hasattr(args, "slo"):
        network = _validated(scenario.network, "default_slo_ms", args.slo, "--slo")
        scenario = scenario.model_copy(update={"network": network})
    return scenario


def _validated(model: Any, field: str, value: Any, option: str) -> Any:
    try:
        return type(model).model_validate({**model.model_dump(), field: value})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])} = {value!r}: {err['msg']}"
            for err in exc.errors()
        )
        raise ScenarioError(f"{option}: {problems}") from None


def _check_out_dir(out: Path) -> None:
    """Fail early (exit 2) if the output folder cannot be created or written."""
    problem = unwritable_folder(out)
    if problem is not None:
        raise ScenarioError(f"--out {out}: {problem}")


# ====================================================================== progress
@contextlib.contextmanager
def progress_reporter(*, quiet: bool = False, log: bool = False) -> Iterator[Callable[[str], None]]:
    """A ``progress(message)`` callback: a live spinner on a terminal, plain lines otherwise.

    Everything goes to stderr. With ``log`` (the solver writes its own log to stdout) or on a
    non-terminal stderr, each phase is one line with the elapsed time; with ``quiet`` nothing.
    """
    started = time.perf_counter()
    if quiet:
        yield lambda _message: None
        return
    from rich.console import Console

    console = Console(stderr=True, highlight=False)
    if log or not console.is_terminal:

        def say(message: str) -> None:
            elapsed = time.perf_counter() - started
            print(f"[{elapsed:6.1f} s] {message}", file=sys.stderr, flush=True)

        yield say
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("starting", total=None)

        def update(message: str) -> None:
            bar.update(task, description=message)

        yield update


# ====================================================================== commands
def cmd_solve(args: argparse.Namespace) -> int:
    from placement.results.verify import verify
    from placement.solving.solve import solve, write_model

    quiet = args.quiet
    options = solve_options(args)
    scenario = apply_overrides(load_scenario(args.scenario, quiet=quiet), args)
    out = Path(args.out)
    model_file = _model_file(out, args.write_model)
    _check_out_dir(out)
    with progress_reporter(quiet=quiet, log=args.log) as say:
        say(f"loaded {scenario.name}: {_counts(scenario)}")
        if model_file is not None:
            say(f"writing the {options.formulation} model to {model_file}")
            write_model(scenario, model_file, options.formulation)
        plans = None
        with _stop_on_ctrl_c(options.solver, say) as stopped:
            if args.alternatives is None and args.within is None:
                result = solve(scenario, options=options, progress=say)
            else:
                within = None if args.within is None else args.within / 100.0
                plans = solve(
                    scenario,
                    options=options,
                    progress=say,
                    alternatives=args.alternatives,
                    within=within,
                )
                result = plans.best
        if stopped() and not result.status.has_solution:
            _error("interrupted (Ctrl-C) before any placement was found; nothing was written")
            return EXIT_INTERRUPTED
        say("verifying the answer independently (placement.verify)")
        verified, verify_message = _verify(verify, scenario, result)
        files = _render_outputs(scenario, result, no_map=args.no_map, say=say)
        if plans is not None:
            files["alternatives.csv"] = plans.csv_text().encode("utf-8")
            files["alternatives.json"] = plans.to_json().encode("utf-8")
        say(f"writing {len(files)} files to {out}")
        written = _write_all(out, files)
    if not quiet:
        _print_summary(scenario, result, verified, verify_message)
        if plans is not None:
            from placement.outputs.addons_report import alternatives_text

            sys.stdout.write(alternatives_text(plans))
        names = [p.name for p in written] + ([model_file.name] if model_file else [])
        _print(f"wrote {len(names)} files to {out}/: " + ", ".join(names))
    if verified is False:
        _error(f"verification failed: {verify_message}")
        return EXIT_FAILED
    if stopped():
        _error(
            f"interrupted: wrote the best placement found so far ({result.status.value}, "
            f"objective {result.objective:,.2f} USD/yr, gap {_gap_text(result.gap)}) to {out}/"
        )
        return EXIT_INTERRUPTED
    if plans is not None and not plans.verified:
        failed = [str(n + 1) for n, v in enumerate(plans.verification) if v]
        _error(f"verification failed for plan(s) {', '.join(failed)}: see alternatives.json")
        return EXIT_FAILED
    if not result.ok:
        if quiet:
            _error(f"{result.status.value}: {result.message}")
        return EXIT_FAILED
    return EXIT_OK


def _gap_text(gap: float | None) -> str:
    return "unknown" if gap is None else f"{gap:.2e}"


@contextlib.contextmanager
def _stop_on_ctrl_c(solver: str, say: Callable[[str], None]) -> Iterator[Callable[[], bool]]:
    """While solving with HiGHS, the first Ctrl-C asks the solver to stop and return its best
    placement so far (it is then verified and written, exit 130); a second one interrupts at
    once. Other solvers, other threads and other phases keep Python's default (exit 130,
    nothing written); an ignored SIGINT (a background job of a script) stays ignored. Yields a
    function telling whether a stop was requested."""
    import signal
    import threading

    from placement.milp import highs

    highs.clear_stop()
    installed = (
        solver == "highs"
        and threading.current_thread() is threading.main_thread()
        # a job started in the background of a script ignores Ctrl-C meant for the foreground
        and signal.getsignal(signal.SIGINT) is not signal.SIG_IGN
    )
    if not installed:
        yield lambda: False
        return

    def stop(signum: int, frame: Any) -> None:
        highs.request_stop()
        signal.signal(signal.SIGINT, previous)  # a second Ctrl-C: KeyboardInterrupt
        say("Ctrl-C: stopping the solver; the best placement so far will be written")

    previous = signal.signal(signal.SIGINT, stop)
    requested = False
    try:
        yield lambda: requested
    finally:
        signal.signal(signal.SIGINT, previous)
        requested = highs.stop_requested()
        highs.clear_stop()


def _model_file(out: Path, name: str | None) -> Path | None:
    """Where ``--write-model`` writes: a plain file name inside ``--out``."""
    if name is None:
        return None
    path = Path(name)
    if path.name != name or path.suffix.lower() not in (".mps", ".lp"):
        raise SolverOptionError(
            f"--write-model {name!r}: give a file name ending in .mps or .lp; it is written "
            "into --out"
        )
    return out / path.name


def _verify(
    verify: Callable[[Scenario, PlacementResult], None], scenario: Scenario, result: PlacementResult
) -> tuple[bool, str]:
    try:
        verify(scenario, result)
    except VerificationError as exc:
        return False, str(exc)
    return True, ""


def _render_outputs(
    scenario: Scenario, result: PlacementResult, *, no_map: bool, say: Callable[[str], None]
) -> dict[str, bytes]:
    """Every output file as bytes, rendered in memory before anything is written."""
    from placement.outputs.geojson import geojson_text
    from placement.outputs.tables import csv_tables

    files: dict[str, bytes] = {"result.json": result.to_json().encode("utf-8")}
    if result.periods and result.ok:  # a plan: its timeline, then the last period's placement
        from placement.outputs.timeline import last_period, timeline_csv

        files["periods.csv"] = timeline_csv(result).encode("utf-8")
        if not no_map:
            say("drawing timeline.png")
            try:
                from placement.outputs.timeline import timeline_png

                files["timeline.png"] = timeline_png(result)
            except ImportError as exc:
                _note(f"timeline.png not drawn: {exc} (install matplotlib, or pass --no-map)")
        scenario, result = last_period(scenario, result)
    files["result.geojson"] = geojson_text(scenario, result).encode("utf-8")
    files.update(
        {name: text.encode("utf-8") for name, text in csv_tables(scenario, result).items()}
    )
    if not no_map:
        say("drawing map.png")
        try:
            import matplotlib  # noqa: F401  (the map's only optional requirement)
        except ImportError as exc:  # matplotlib missing: the rest is still useful
            _note(f"map.png not drawn: {exc} (install matplotlib, or pass --no-map)")
        else:
            from placement.outputs.maps import map_png

            files["map.png"] = map_png(scenario, result)
            say("writing the interactive map.html")
            from placement.outputs.interactive import map_html

            page = map_html(scenario, result)
            if page is not None:  # a scenario without geography gets no map page
                files["map.html"] = page.encode("utf-8")
    return files


def _write_all(out: Path, files: dict[str, bytes]) -> list[Path]:
    paths = []
    for name, data in files.items():
        path = out / name
        try:
            write_bytes_atomic(path, data)
        except OSError as exc:
            raise PlacementError(f"cannot write {path}: {exc.strerror or exc}") from None
        paths.append(path)
    return paths


def _print_summary(
    scenario: Scenario, result: PlacementResult, verified: bool, verify_message: str
) -> None:
    from placement.outputs.report import summary_renderables, summary_text

    if sys.stdout.isatty():
        from rich.console import Console

        console = Console(highlight=False)
        for item in summary_renderables(
            scenario, result, verified=verified, verify_message=verify_message
        ):
            console.print(item)
    else:
        text = summary_text(scenario, result, verified=verified, verify_message=verify_message)
        sys.stdout.write(text)


def cmd_validate(args: argparse.Namespace) -> int:
    from placement.model.data import build_model_data
    from placement.model.diagnose import diagnose
    from placement.outputs.report import render_plain, scenario_summary

    if args.formulation not in FORMULATIONS:
        raise SolverOptionError(
            f"formulation = {args.formulation!r}: unknown; choose one of {', '.join(FORMULATIONS)}"
        )
    scenario = apply_overrides(load_scenario(args.scenario), args)
    try:
        data = build_model_data(scenario)
    except (OSError, ValueError) as exc:  # e.g. an unreadable backbone GraphML file
        raise ScenarioError(f"{scenario.name}: cannot build the model data: {exc}") from None
    problems = diagnose(data, single_source=args.formulation == "single_source")
    if scenario.periods:  # a plan: every period's own data (demand grown, clusters arrived)
        from placement.model.period_data import build_period_data

        problems = [
            f"{period.year}: {problem}"
            for period in build_period_data(scenario).periods
            for problem in diagnose(period.data, single_source=args.formulation == "single_source")
        ]
    summary = scenario_summary(scenario, pairs=(len(data.training), len(data.serving)))
    if sys.stdout.isatty():
        from rich.console import Console

        Console(highlight=False).print(summary)
    else:
        sys.stdout.write(render_plain([summary]))
    if problems:
        _print(f"INFEASIBLE: {len(problems)} problem(s) seen before solving:")
        for problem in problems:
            _print(f"  - {problem}")
        return EXIT_FAILED
    _print(
        "OK: no infeasibility seen before solving (these checks are necessary conditions: "
        "the solver may still prove the problem infeasible)"
    )
    return EXIT_OK


def cmd_example(args: argparse.Namespace) -> int:
    name = "us_small" if args.small else DEFAULT_DATASET
    scenario = load_scenario(name, quiet=True)
    if args.write is None:
        import yaml

        sys.stdout.write(yaml.safe_dump(scenario.to_dict(), sort_keys=False, allow_unicode=True))
        return EXIT_OK
    path = Path(args.write)
    if path.suffix.lower() not in (".yaml", ".yml", ".json"):
        raise ScenarioError(f"{path}: unknown suffix {path.suffix!r}; use .yaml, .yml or .json")
    _write_scenario(scenario, path, force=args.force)
    _print(f"wrote {path} ({name}: {_counts(scenario)}); edit it, then: placement solve {path}")
    return EXIT_OK


def _write_scenario(scenario: Scenario, path: Path, *, force: bool) -> None:
    """Write ``scenario`` to ``path`` (refusing to overwrite without ``--force``)."""
    if path.exists() and not force:
        raise ScenarioError(f"{path}: exists; pass --force to overwrite it")
    try:
        scenario.to_file(path)
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot write ({exc.strerror or exc})") from None


def cmd_import(args: argparse.Namespace) -> int:
    import pandas as pd
    import yaml

    def table(path: str | None) -> Any:
        if path is None:
            return None
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=True)
        except (OSError, UnicodeDecodeError) as exc:
            raise ScenarioError(f"{path}: cannot read the table ({exc})") from None
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise ScenarioError(f"{path}: not a CSV table ({exc})") from None

    base = load_scenario(args.base, quiet=True) if args.base else None
    settings: dict[str, Any] = base.to_dict() if base is not None else {"name": "imported"}
    if args.training is None and base is not None:
        training = pd.DataFrame(settings["training"])
    else:
        training = table(args.training)
    from placement.model.frames import scenario_from_frames

    scenario = scenario_from_frames(
        table(args.sites),
        table(args.regions),
        training,
        base=settings,
        name=args.name,
        sources={
            "sites": args.sites,
            "regions": args.regions or "",
            "training": args.training or "",
        },
    )
    if args.write is None:
        sys.stdout.write(yaml.safe_dump(scenario.to_dict(), sort_keys=False, allow_unicode=True))
        return EXIT_OK
    path = Path(args.write)
    _write_scenario(scenario, path, force=args.force)
    _print(f"wrote {path} ({_counts(scenario)}); next: placement validate {path}")
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    sys.stdout.write(json.dumps(Scenario.model_json_schema(), indent=2) + "\n")
    return EXIT_OK


# ====================================================================== helpers
def _register_extensions(subparsers: Any) -> None:
    for name in EXTENSIONS:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue  # not installed (yet): quietly no such command
        register = getattr(module, "register", None)
        if not callable(register):
            continue
        try:
            register(subparsers)
        except Exception as exc:  # a broken extension must not break the other commands
            _note(f"extension {name} could not register its commands: {exc}")


def _counts(scenario: Scenario) -> str:
    return (
        f"{len(scenario.sites):,} sites, {len(scenario.regions):,} regions, "
        f"{len(scenario.training):,} training clusters"
    )


def _exit_code(exc: SystemExit) -> int:
    code = exc.code
    if code is None:
        return EXIT_OK
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return EXIT_FAILED


def _print(message: str) -> None:
    print(message, file=sys.stdout, flush=True)


def _note(message: str) -> None:
    print(f"note: {message}", file=sys.stderr, flush=True)


def _error(message: str) -> None:
    print(f"placement: error: {message}", file=sys.stderr, flush=True)


__all__ = [
    "DATASETS",
    "EXTENSIONS",
    "add_scenario_argument",
    "add_scenario_options",
    "add_solver_options",
    "apply_overrides",
    "build_parser",
    "load_scenario",
    "main",
    "progress_reporter",
    "solve_options",
]
