"""End-to-end time and peak memory of a whole ``placement solve`` in a fresh interpreter.

With the command-line tool present (``placement/cli.py``) the timed command is the CLI itself:

    python -m placement solve --out TMP             # the bundled default (us_default)
    python -m placement solve us_small --out TMP    # a bundled dataset by name

Without it, the same job through the library: a fresh ``python -c`` that loads the dataset,
calls ``placement.solve`` with its defaults, verifies and writes the result JSON. Either way
the wall time includes interpreter start-up and imports, and the peak memory is the child's
``ru_maxrss`` (``RUSAGE_CHILDREN``). The tool's own defaults are used (threads, limits, gap);
the written result is read back and verified against the scenario.
"""

from __future__ import annotations

import importlib.util
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.entry import SIZE_KEYS, Entry, Settings, base_row
from benchmarks.instances import ROOT
from placement.errors import VerificationError
from placement.results.result import PlacementResult
from placement.results.verify import verify

API_SCRIPT = """
import sys, warnings
warnings.simplefilter("ignore")
import placement as pl
from placement import datasets
which, out = sys.argv[1], sys.argv[2]
scenario = getattr(datasets, which)()
result = pl.solve(scenario)
pl.verify(scenario, result)
result.to_json(out + "/result.json")
"""


def cli_available() -> bool:
    """True when ``python -m placement`` exists (the colleague's ``placement/cli.py``)."""
    return importlib.util.find_spec("placement.cli") is not None


def command(which: str, tmp: Path, use_cli: bool) -> list[str]:
    """The command timed for dataset ``which`` (``us_default`` or ``us_small``)."""
    out = tmp / "out"
    out.mkdir(exist_ok=True)
    if not use_cli:
        return [sys.executable, "-c", API_SCRIPT, which, str(out)]
    dataset = [] if which == "us_default" else [which]
    return [sys.executable, "-m", "placement", "solve", *dataset, "--out", str(out)]


def run_endtoend(entry: Entry, settings: Settings) -> dict[str, Any]:
    """Time one end-to-end solve of ``entry.spec`` (a ``us`` dataset); never raises."""
    row = base_row(entry, settings)
    row.update(threads="default", time_limit="default", seed="default")
    which = entry.spec.args[0]
    use_cli = cli_available()
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp_name:
        tmp = Path(tmp_name)
        try:
            cmd = command(which, tmp, use_cli)
        except Exception as exc:
            row.update(status="error", note=f"preparing the command: {exc}"[:300])
            return row
        shown = " ".join(["python", *cmd[1:]]) if use_cli else f"python -c <solve+verify {which}>"
        started = time.perf_counter()
        try:
            proc = subprocess.run(
                cmd,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=settings.entry_timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            row.update(status="timeout", note=f"{shown}: over {settings.entry_timeout:.0f} s")
            return row
        row["wall_seconds"] = time.perf_counter() - started
        row["peak_rss_mb"] = round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0, 1
        )
        row["note"] = ("cli: " if use_cli else "api: ") + shown.replace(str(tmp), "TMP")
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            row.update(status="error", note=row["note"] + f" | exit {proc.returncode}: {tail}")
            return row
        _read_back(entry, tmp / "out", row)
    return row


def _read_back(entry: Entry, out: Path, row: dict[str, Any]) -> None:
    """Fill the row from the result JSON the command wrote, and verify it independently."""
    result = None
    for path in sorted(out.rglob("*.json"), key=lambda p: (p.name != "result.json", str(p))):
        try:
            result = PlacementResult.from_json(path)
            break
        except Exception:
            continue
    if result is None:
        row.update(status="unknown", verified=None)
        row["note"] += " | no result JSON found in --out"
        return
    row.update(
        status=result.status.value,
        objective=result.objective,
        bound=result.bound,
        gap=result.gap,
        formulation=result.formulation or "default",
        solver=result.solver or "default",
        build_seconds=result.build_seconds,
        solve_seconds=result.solve_seconds,
        runs=1,
        **{key: result.model_size.get(key) for key in SIZE_KEYS},
    )
    scenario = entry.spec.load()
    row["n_clusters"] = len(scenario.training)
    try:
        verify(scenario, result)
        row["verified"] = True
    except VerificationError as exc:
        row["verified"] = False
        row["note"] += f" | verify: {exc}"[:300]
