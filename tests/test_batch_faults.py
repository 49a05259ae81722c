"""Batch solving survives faults: nothing lost, nothing duplicated, nothing silently wrong.

Every fault is injected deterministically (seeded), and every test ends the same way: each case
of the portfolio has exactly one stored record, its checksum holds, and its result passes
``placement.verify`` against the case's own scenario.

* a result file corrupted after writing (a flipped bit, an edit that keeps the JSON valid, a
  truncation, a copy of another record, a record without checksum) is detected and re-solved;
* the disk fills up while writing (records, log, manifest or tables): the run stops with an
  error naming the file, nothing half-written stays, and the next run resumes;
* a worker process is SIGKILLed at 50 seeded points (which case, before / during / after its
  solve, one or two workers): the pool is rebuilt and the case solved again;
* the whole batch is SIGKILLed halfway through writing a record or a log line, then resumed;
* a Dask worker is lost mid-run (LocalCluster): its tasks are run elsewhere.
"""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
from conftest import region, site

import placement as pl
import placement.atomic
from placement.batch import Override, Portfolio, SolveOptions, load_batch, solve_portfolio
from placement.batch import store as store_module
from placement.batch.store import ResultStore, StorageError, read_events, record_checksum

SOLVE = SolveOptions(time_limit=60, gap=1e-6, seed=0)
CASES = 6


def tiny_base() -> pl.Scenario:
    """3 sites, 6 regions, one training cluster: a solve takes milliseconds."""
    sites = [
        site("a", 40.7, -74.0, energy_price_usd_per_mwh=90.0, fixed_cost_usd_per_year=2e6),
        site("b", 41.9, -87.6, energy_price_usd_per_mwh=60.0, fixed_cost_usd_per_year=3e6),
        site(
            "c",
            32.8,
            -96.8,
            energy_price_usd_per_mwh=40.0,
            fixed_cost_usd_per_year=4e6,
            liquid_cooling_available=True,
            max_rack_density_kw=140.0,
        ),
    ]
    regions = [
        region(f"r{j}", 30.0 + 2.5 * j, -100.0 + 5.0 * j, population=1e5 * (j + 1), demand_mw=3.0)
        for j in range(6)
    ]
    return pl.Scenario.from_dict(
        {
            "name": "tiny",
            "sites": sites,
            "regions": regions,
            "training": [{"id": "t", "it_mw": 50.0, "rack_density_kw": 120.0}],
            "economics": {"latency_penalty_usd_per_user_ms_year": 0.05},
        }
    )


def portfolio(cases: int = CASES) -> Portfolio:
    """``cases`` cases that differ in name (so a fault can pick one) and carbon price."""
    return Portfolio(
        base=tiny_base(),
        parameters=[
            Override("case", path="name", values=[f"case{k}" for k in range(cases)]),
            Override(
                "carbon",
                path="economics.carbon_price_usd_per_tonne",
                values=[10.0 * k for k in range(cases)],
            ),
        ],
        sweep="zip",
        solve=SOLVE,
    )


def assert_complete(out: Path, pf: Portfolio) -> None:
    """Every case stored exactly once, checksummed, verified; no temporary file anywhere."""
    cases = pf.expand()
    results = out / "results"
    assert sorted(p.name for p in results.glob("*.json")) == sorted(f"{c.hash}.json" for c in cases)
    assert not list(out.rglob(".*.tmp")), "a temporary file was left behind"
    store = ResultStore(out)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no record may need setting aside now
        for case in cases:
            data = json.loads(store.path(case.hash).read_text())
            assert data["checksum"] == record_checksum(data)
            record = store.load(case.hash)
            assert record is not None and record.id == case.id
            assert record.status is pl.Status.OPTIMAL and record.verified is True
            pl.verify(case.scenario, record.result)
    events = read_events(out / "log.jsonl")
    assert events, "the log is readable"


def run(pf: Portfolio, out: Path, **kwargs: Any):
    kwargs = {"executor": "sequential", "progress": False, "plots": False, **kwargs}
    return solve_portfolio(pf, out, **kwargs)


# ====================================================================== corrupted results
def _same_values(text: bytes, good: bytes) -> bool:
    """Whether a changed file still parses to the same record: the 17th significant digit of a
    float (0.0033703469998727087 vs …085 are one double) is not a change to detect."""
    try:
        return json.loads(text) == json.loads(good)
    except ValueError:  # UnicodeDecodeError and JSONDecodeError included
        return False


def test_any_single_bit_flip_in_a_record_is_detected(tmp_path):
    pf = portfolio(1)
    run(pf, tmp_path)
    (case,) = pf.expand()
    store = ResultStore(tmp_path)
    path = store.path(case.hash)
    good = path.read_bytes()
    rng = random.Random(14)
    for _ in range(200):
        data = bytearray(good)
        position = rng.randrange(len(data))
        data[position] ^= 1 << rng.randrange(8)
        if _same_values(bytes(data), good):
            continue  # the record it holds is the one written: nothing is wrong
        path.write_bytes(bytes(data))
        with pytest.warns(RuntimeWarning, match="solving the case again"):
            assert store.load(case.hash) is None, f"flip at byte {position} not detected"
        assert path.with_suffix(".corrupt").exists() and not path.exists()
    path.write_bytes(good)
    assert store.load(case.hash) is not None


def _edit_objective(text: str) -> str:
    data = json.loads(text)
    data["result"]["objective"] *= 0.5  # valid JSON, plausible, wrong
    return json.dumps(data, indent=1)


def _drop_checksum(text: str) -> str:
    data = json.loads(text)
    del data["checksum"]
    return json.dumps(data)


CORRUPTIONS = {
    "edited objective": _edit_objective,
    "truncated": lambda text: text[: len(text) // 2],
    "emptied": lambda text: "",
    "no checksum": _drop_checksum,
    "not JSON": lambda text: "\x00\x01garbage",
}


def test_corrupted_records_are_detected_and_resolved_on_resume(tmp_path):
    pf = portfolio()
    first = run(pf, tmp_path)
    objectives = first.table.set_index("id")["objective"]
    cases = pf.expand()
    store = ResultStore(tmp_path)
    donor_text = store.path(cases[0].hash).read_text()
    damaged = {}
    for case, (kind, corrupt) in zip(cases, CORRUPTIONS.items(), strict=False):
        path = store.path(case.hash)
        path.write_text(corrupt(path.read_text()))
        damaged[case.hash] = kind
    # a whole, checksummed record stored under the wrong hash is not trusted either
    stranger = cases[len(CORRUPTIONS)]
    store.path(stranger.hash).write_text(donor_text)
    damaged[stranger.hash] = "another case's record"

    with pytest.warns(RuntimeWarning) as caught:
        again = run(pf, tmp_path)
    messages = " ".join(str(w.message) for w in caught)
    for needle in ("checksum mismatch", "no checksum", "unreadable record", "belongs to hash"):
        assert needle in messages, messages
    assert again.solved == len(damaged) == CASES and again.skipped == 0
    assert sorted(p.stem for p in (tmp_path / "results").glob("*.corrupt")) == sorted(damaged)
    assert_complete(tmp_path, pf)
    assert again.table.set_index("id")["objective"].to_dict() == pytest.approx(
        objectives.to_dict(), rel=1e-9
    )
    solved = [e["hash"] for e in read_events(tmp_path / "log.jsonl") if e["event"] == "done"]
    assert sorted(solved[CASES:]) == sorted(damaged), "each damaged case re-solved once"


def test_load_batch_sets_a_corrupted_record_aside(tmp_path):
    pf = portfolio(2)
    run(pf, tmp_path)
    victim = pf.expand()[1]
    path = ResultStore(tmp_path).path(victim.hash)
    path.write_text(_edit_objective(path.read_text()))
    with pytest.warns(RuntimeWarning, match="checksum mismatch"):
        loaded = load_batch(tmp_path)
    assert loaded.table.set_index("id").loc[victim.id, "status"] == "pending"
    run(pf, tmp_path)
    assert_complete(tmp_path, pf)


# ====================================================================== disk full
class FullDisk:
    """A disk with ``budget`` bytes left: writes through ``placement.atomic`` (records,
    manifest, tables, plots) and the event log's appends fail with ENOSPC once it is spent,
    after writing what still fits, as a real full disk does."""

    def __init__(self, budget: float):
        self.left = budget
        self.writes: list[tuple[str, int]] = []
        self.failed: str | None = None

    def take(self, data: bytes, what: str) -> bytes:
        fits = data[: max(0, int(min(self.left, len(data))))]
        self.left -= len(fits)
        self.writes.append((what, len(data)))
        if len(fits) < len(data):
            self.failed = what
        return fits

    def enospc(self) -> OSError:
        return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        disk = self

        class Handle:
            def __init__(self, handle: Any):
                self._handle = handle

            def write(self, data: bytes) -> int:
                fits = disk.take(data, "file")
                self._handle.write(fits)
                if len(fits) < len(data):
                    raise disk.enospc()
                return len(data)

            def __getattr__(self, name: str) -> Any:
                return getattr(self._handle, name)

            def __enter__(self) -> Handle:
                return self

            def __exit__(self, *exc: object) -> None:
                self._handle.close()

        def fdopen(fd: int, *args: Any, **kwargs: Any) -> Handle:
            return Handle(os.fdopen(fd, *args, **kwargs))

        def write(fd: int, data: bytes) -> int:
            fits = disk.take(bytes(data), "log")
            written = os.write(fd, fits) if fits else 0
            if len(fits) < len(data) and not fits:
                raise disk.enospc()
            return written  # a short write, as the OS gives when the disk fills mid-call

        monkeypatch.setattr(placement.atomic, "os", _OsWith(fdopen=fdopen))
        monkeypatch.setattr(store_module, "os", _OsWith(write=write))


class _OsWith:
    """The os module with some functions replaced."""

    def __init__(self, **replaced: Any):
        self._replaced = replaced

    def __getattr__(self, name: str) -> Any:
        return self._replaced.get(name) or getattr(os, name)


def test_disk_full_at_seeded_points_loses_nothing_and_resumes(tmp_path, monkeypatch):
    pf = portfolio()
    counter = FullDisk(float("inf"))
    with monkeypatch.context() as patch:
        counter.install(patch)
        run(pf, tmp_path / "measure")
    writes = counter.writes  # (what, bytes) of every write call of a whole run
    rng = random.Random(2014)
    places = set()
    for trial in range(10):
        out = tmp_path / f"trial{trial}"
        # fail inside a write call chosen uniformly (records, log lines, manifest, tables)
        k = rng.randrange(len(writes))
        disk = FullDisk(sum(size for _, size in writes[:k]) + rng.randrange(writes[k][1]))
        with monkeypatch.context() as patch:
            disk.install(patch)
            with pytest.raises(StorageError) as info:
                run(pf, out)
        places.add(disk.failed)
        message = str(info.value)
        assert "No space left on device" in message and str(out) in message, message
        assert "run the same command again to resume" in message
        assert not list(out.rglob(".*.tmp")), "the failed write left its temporary file"
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # every stored record is whole and checksummed
            for path in (out / "results").glob("*.json"):
                assert ResultStore(out).load(path.stem) is not None
        resumed = run(pf, out)
        assert resumed.solved + resumed.skipped == CASES
        assert_complete(out, pf)
    assert {"file", "log"} <= places, places


def test_cli_batch_reports_a_full_disk_and_exits_1(tmp_path, monkeypatch, capsys):
    from placement.cli.batch import main

    spec = tmp_path / "p.yaml"
    spec.write_text(
        "base: us_small\nparameters: {carbon: {set: economics.carbon_price_usd_per_tonne, "
        "values: [0, 50, 100]}}\n"
    )
    out = tmp_path / "out"
    args = ["batch", str(spec), "--out", str(out), "--executor", "sequential", "--no-progress"]
    with monkeypatch.context() as patch:
        FullDisk(20_000).install(patch)
        assert main(args) == 1
    err = " ".join(capsys.readouterr().err.split())  # rich wraps long lines
    assert "No space left on device" in err and "run the same command again" in err, err
    assert main([*args, "--no-plots"]) == 0
    assert len(list((out / "results").glob("*.json"))) == 3


# ====================================================================== killed processes
WORKER_KILLER = r"""
import json, os, random, signal, sys
from pathlib import Path

import placement.batch.executors as executors

PLAN = Path(os.environ["PLACEMENT_FAULT_PLAN"])
real_solve = executors.solve


def die_once(marker):
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:  # this trial's worker already died once
        return
    os.kill(os.getpid(), signal.SIGKILL)


def solve_or_die(scenario, **kwargs):
    plan = json.loads(PLAN.read_text())
    if scenario.name != plan["victim"]:
        return real_solve(scenario, **kwargs)
    if plan["phase"] == "before":
        die_once(plan["marker"])
    elif plan["phase"] == "during":  # after the model is built, as the solver starts
        kwargs["progress"] = lambda m: m.startswith("solving with") and die_once(plan["marker"])
    result = real_solve(scenario, **kwargs)
    if plan["phase"] == "after":  # solved, but the answer never leaves the worker
        die_once(plan["marker"])
    return result


executors.solve = solve_or_die  # runs in the forkserver too, so every worker has it

if __name__ == "__main__":
    sys.path.insert(0, sys.argv[1])
    import test_batch_faults as t

    from placement.batch import solve_portfolio

    import faulthandler

    trials, root = int(sys.argv[2]), Path(sys.argv[3])
    pf = t.portfolio()
    report = []
    for trial in range(trials):
        # a trial that hangs dumps every thread's stack and exits, instead of timing out mute
        faulthandler.dump_traceback_later(180, exit=True)
        print(f"trial {trial}", file=sys.stderr, flush=True)
        rng = random.Random(trial)
        victim = rng.randrange(t.CASES)
        plan = {
            "victim": f"case{victim}",
            "phase": rng.choice(["before", "during", "after"]),
            "marker": str(root / f"killed{trial}"),
        }
        workers = rng.choice([1, 2])
        PLAN.write_text(json.dumps(plan))
        out = root / f"trial{trial}"
        batch = solve_portfolio(pf, out, workers=workers, progress=False, plots=False)
        t.assert_complete(out, pf)
        assert Path(plan["marker"]).exists(), "the fault was not injected"
        killed = batch.record(f"case=case{victim},carbon={10 * victim}")
        assert killed.attempt == 2, killed.attempt
        assert batch.solved == t.CASES and all(r.attempt <= 2 for r in batch.records.values())
        report.append({**plan, "workers": workers, "attempts": killed.attempt})
        faulthandler.cancel_dump_traceback_later()
    print(json.dumps(report), flush=True)
    faulthandler.dump_traceback_later(120, exit=True)  # so must leaving the interpreter
"""


@pytest.mark.slow
def test_a_worker_killed_at_50_seeded_points_loses_and_duplicates_nothing(tmp_path):
    driver = tmp_path / "killer.py"
    driver.write_text(WORKER_KILLER)
    env = {**os.environ, "PLACEMENT_FAULT_PLAN": str(tmp_path / "plan.json")}
    done = subprocess.run(
        [sys.executable, str(driver), str(Path(__file__).parent), "50", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    report = json.loads(done.stdout.splitlines()[-1])
    assert len(report) == 50
    assert {r["phase"] for r in report} == {"before", "during", "after"}
    assert {r["workers"] for r in report} == {1, 2}
    assert len({r["victim"] for r in report}) == CASES


BATCH_KILLER = r"""
import os, signal, sys
import placement.atomic
from placement.batch import store
from placement.cli.batch import main


def die():
    os.killpg(os.getpgrp(), signal.SIGKILL)


def half_written_record(after):
    # the k-th record: its temporary file is half written when the batch dies
    count = [0]
    write = store.write_text_atomic

    def write_or_die(path, text):
        count[0] += 1
        if count[0] == after + 1 and path.parent.name == "results":
            tmp = path.parent / f".{path.name}.crash.tmp"
            tmp.write_text(text[: len(text) // 2])
            die()
        return write(path, text)

    store.write_text_atomic = write_or_die


def half_written_log_line(after):
    # the k-th 'done' event: half of its line reaches the log when the batch dies
    count = [0]
    real = os.write

    def write_or_die(fd, data):
        if b'"done"' in data:
            count[0] += 1
            if count[0] == after:
                real(fd, data[: len(data) // 2])
                die()
        return real(fd, data)

    store.os = type("os", (), {"__getattr__": lambda self, n: getattr(os, n)})()
    store.os.write = write_or_die


if __name__ == "__main__":
    {"record": half_written_record, "log": half_written_log_line}[sys.argv[1]](int(sys.argv[2]))
    sys.exit(main(sys.argv[3:]))
"""


@pytest.mark.slow
@pytest.mark.parametrize(("where", "after"), [("record", 2), ("log", 3)])
def test_batch_killed_mid_write_resumes_whole(tmp_path, where, after):
    pf = portfolio()
    spec = tmp_path / "p.json"
    spec.write_text(
        json.dumps(
            {
                "base": "tiny.json",  # relative to the spec's folder
                "parameters": {
                    "case": {"set": "name", "values": [f"case{k}" for k in range(CASES)]},
                    "carbon": {
                        "set": "economics.carbon_price_usd_per_tonne",
                        "values": [10.0 * k for k in range(CASES)],
                    },
                },
                "sweep": "zip",
                "solve": {"time_limit": 60, "gap": 1e-6, "seed": 0},
            }
        )
    )
    tiny_base().to_file(tmp_path / "tiny.json")
    out = tmp_path / "out"
    driver = tmp_path / "killer.py"
    driver.write_text(BATCH_KILLER)
    args = ["batch", str(spec), "--out", str(out), "--workers", "2", "--no-progress", "--no-plots"]
    killed = subprocess.run(
        [sys.executable, str(driver), where, str(after), *args],
        start_new_session=True,
        capture_output=True,
        timeout=300,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()[-3000:]
    if where == "record":
        assert len(list((out / "results").glob(".*.tmp"))) == 1
    else:
        assert not (out / "log.jsonl").read_bytes().endswith(b"\n")
    stored = {p.name: p.read_bytes() for p in (out / "results").glob("*.json")}
    resumed = subprocess.run(
        [sys.executable, "-m", "placement.cli.batch", *args], capture_output=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr.decode()[-3000:]
    same = Portfolio.from_file(spec)
    assert [c.hash for c in same.expand()] == [c.hash for c in pf.expand()]
    assert_complete(out, same)
    for name, content in stored.items():  # written once, never again
        assert (out / "results" / name).read_bytes() == content
    events = read_events(out / "log.jsonl")  # the half line is skipped, the rest reads
    runs = [n for n, e in enumerate(events) if e["event"] == "run"]
    assert events[runs[1]]["todo"] == CASES - len(stored)
    resumed_done = [e["hash"] for e in events[runs[1] :] if e["event"] == "done"]
    missing = {c.hash for c in pf.expand()} - {name.removesuffix(".json") for name in stored}
    assert sorted(resumed_done) == sorted(missing), "each missing case solved once"


# ====================================================================== Dask
@pytest.mark.slow
def test_a_dask_worker_lost_mid_run_loses_nothing(tmp_path):
    distributed = pytest.importorskip("distributed")
    from placement.datasets.synthetic import random_cflp

    # cases that take a second or two each, so the kill lands while tasks are running
    pf = Portfolio(
        base=random_cflp(20, 80, seed=0),
        parameters=[
            Override("case", path="name", values=[f"case{k}" for k in range(CASES)]),
            Override(
                "scale",
                path="sites.0.fixed_cost_usd_per_year",
                values=[1000.0 + 100 * k for k in range(CASES)],
            ),
        ],
        sweep="zip",
        solve=SOLVE,
    )
    killed: list[str] = []
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        pids = client.run(os.getpid)

        def kill_a_busy_worker(_record: Any) -> None:
            if killed:
                return
            busy = [w for w, keys in client.processing().items() if keys]
            assert busy, "no task in flight to lose"
            os.kill(pids[busy[0]], signal.SIGKILL)
            killed.append(busy[0])

        batch = solve_portfolio(
            pf,
            tmp_path,
            scheduler=client,
            progress=False,
            plots=False,
            on_record=kill_a_busy_worker,
        )
    assert killed
    assert batch.solved == CASES and not batch.failed
    assert_complete(tmp_path, pf)
