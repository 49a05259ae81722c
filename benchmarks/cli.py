"""``python -m benchmarks``: run the benchmark matrix and write CSV, markdown and plots.

    python -m benchmarks --quick                      # default; a few minutes on 2 cores
    python -m benchmarks --full --publish             # ~45 min; rewrites benchmarks/RESULTS.md
    python -m benchmarks --family random --formulation strong weak --solver highs \\
        --time-limit 30 --runs 3 --out /tmp/bench
    python -m benchmarks --full --list                # print the plan, run nothing
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks import report
from benchmarks.analysis import annotate
from benchmarks.entry import DEFAULT_LP_NODES, Settings
from benchmarks.machine import describe
from benchmarks.registry import ALL_FORMULATIONS, ALL_METHODS, ALL_SOLVERS, FAMILIES, plan
from benchmarks.runner import progress_line, run_benchmarks

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "results"
RESULTS_MD = HERE / "RESULTS.md"
RUN_FILE = "run.json"  # command, wall time, settings and machine of the run in --out
PRESET_TIME_LIMIT = {"tiny": 5.0, "quick": 10.0, "full": 60.0, "large": 300.0}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Compare formulations and backends; write results.csv, results.md, plots.",
    )
    size = p.add_mutually_exclusive_group()
    for preset in ("quick", "full", "tiny", "large"):
        size.add_argument(
            f"--{preset}",
            dest="preset",
            action="store_const",
            const=preset,
            help=f"the {preset} instance sizes (default: quick)",
        )
    p.set_defaults(preset="quick")
    p.add_argument("--family", nargs="+", choices=list(FAMILIES), default=list(FAMILIES))
    p.add_argument("--formulation", nargs="+", choices=ALL_FORMULATIONS, default=ALL_FORMULATIONS)
    p.add_argument("--solver", nargs="+", choices=ALL_SOLVERS, default=ALL_SOLVERS)
    p.add_argument(
        "--method",
        nargs="+",
        choices=ALL_METHODS,
        default=["auto"],
        help="solution methods to compare (HiGHS entries; default: auto)",
    )
    p.add_argument("--variant", nargs="+", choices=("none", "pruned", "dense"), default=None)
    p.add_argument(
        "--time-limit", type=float, help="seconds per solve (default: quick 10, full 60)"
    )
    p.add_argument("--runs", type=int, default=3, help="timed runs of quick entries (median)")
    p.add_argument("--repeat-below", type=float, default=5.0, help="repeat entries under N s")
    p.add_argument("--threads", type=int, default=1, help="solver threads for every entry")
    p.add_argument("--seed", type=int, default=0, help="solver random seed")
    p.add_argument("--gap", type=float, default=1e-6, help="relative gap to stop at")
    p.add_argument(
        "--lp-nodes",
        type=int,
        default=DEFAULT_LP_NODES,
        help="HiGHS: LP branch-and-bound nodes before its MIP solver (0: the plain MIP)",
    )
    p.add_argument("--max-pairs", type=int, default=6_000_000, help="skip larger models")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results folder")
    p.add_argument("--no-warmup", action="store_true", help="skip the warm-up solve")
    p.add_argument("--no-lp", action="store_true", help="skip the LP relaxation bounds")
    p.add_argument("--no-skip", action="store_true", help="run larger sizes after a failure")
    p.add_argument("--no-plots", action="store_true")
    p.add_argument("--inline", action="store_true", help="no fresh process per entry (tests)")
    p.add_argument(
        "--publish",
        nargs="?",
        const=RESULTS_MD,
        type=Path,
        help=f"also rewrite the generated part of RESULTS.md (default {RESULTS_MD.name})",
    )
    p.add_argument("--list", action="store_true", help="print the planned entries and exit")
    p.add_argument(
        "--report-only",
        action="store_true",
        help="run nothing: rewrite results.md, plots (and --publish) from --out/results.csv",
    )
    return p


def settings_from(args: argparse.Namespace) -> Settings:
    return Settings(
        time_limit=args.time_limit or PRESET_TIME_LIMIT[args.preset],
        threads=args.threads,
        seed=args.seed,
        gap=args.gap,
        lp_nodes=args.lp_nodes,
        runs=args.runs,
        repeat_below=args.repeat_below,
        warmup=not args.no_warmup,
        lp=not args.no_lp,
        max_pairs=args.max_pairs,
        isolation="inline" if args.inline else "process",
        skip_after_failure=not args.no_skip,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = settings_from(args)
    entries = plan(args.family, args.preset, args.formulation, args.solver, args.method)
    if args.variant:
        entries = [e for e in entries if e.variant in args.variant or e.spec.family == "endtoend"]
    if args.list:
        for entry in entries:
            print(entry.label + ("  (+LP)" if entry.with_lp else ""))
        print(f"{len(entries)} entries")
        return 0
    out: Path = args.out
    if args.report_only:
        run = json.loads((out / RUN_FILE).read_text(encoding="utf-8"))
        rows = annotate(report.read_csv(out / "results.csv"))
        write_reports(rows, out, run, args)
        return 0
    command = "python -m benchmarks " + shlex.join(sys.argv[1:] if argv is None else argv)
    print(f"{command}\n{len(entries)} entries, time limit {settings.time_limit:g} s", flush=True)
    out.mkdir(parents=True, exist_ok=True)
    done: list[dict] = []
    started = time.perf_counter()

    def on_row(k: int, total: int, row: dict) -> None:
        done.append(row)
        print(progress_line(k, total, row), flush=True)
        report.write_csv(done, out / "results.csv")  # partial results survive an interruption

    rows = run_benchmarks(entries, settings, on_row=on_row)
    run = {
        "command": command,
        "wall_seconds": time.perf_counter() - started,
        "settings": _shown(settings),
        "machine": describe(),
    }
    (out / RUN_FILE).write_text(json.dumps(run, indent=2), encoding="utf-8")
    report.write_csv(rows, out / "results.csv")
    write_reports(rows, out, run, args)
    return 0


def write_reports(rows: list[dict], out: Path, run: dict, args: argparse.Namespace) -> None:
    """results.md, the plots and (with --publish) RESULTS.md, from annotated rows."""
    text = report.markdown(
        rows, run["machine"], run["command"], run["settings"], run.get("wall_seconds")
    )
    (out / "results.md").write_text("# Benchmark results\n\n" + text, encoding="utf-8")
    written = [out / "results.csv", out / "results.md"]
    if not args.no_plots:
        from benchmarks.plots import write_plots

        written += write_plots(rows, out)
    if args.publish:
        written.append(report.publish(text, args.publish))
    print("\n".join(report.summary_lines(rows)))
    wall = run.get("wall_seconds")
    if wall is not None:
        print(f"wall time {wall / 60:.1f} min")
    print("wrote " + ", ".join(str(p) for p in written))


def _shown(settings: Settings) -> dict[str, object]:
    shown = settings.as_dict()
    shown.pop("hard_timeout", None)
    return shown
