"""The output folder of a batch: one atomic JSON record per solved case, and an event log.

    DIR/portfolio.json          the cases (id, hash, varied inputs), baseline, solve options
    DIR/results/<hash>.json     one record per content hash: the result, id, inputs, hash
    DIR/log.jsonl               append-only events: run, submit, done, end (one JSON a line)

Records are written with :func:`placement.atomic.write_text_atomic`, so a crash leaves either
no file or a whole one; a re-run reads what exists and solves only what is missing.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from placement.atomic import write_text_atomic
from placement.results.result import PlacementResult, Status

RECORD_FORMAT = "placement.batch.record/1"
MANIFEST = "portfolio.json"
RESULTS = "results"
LOG = "log.jsonl"


@dataclass(frozen=True)
class Record:
    """A solved (or failed) case as stored in ``results/<hash>.json``."""

    id: str
    hash: str
    inputs: dict[str, Any]
    options: dict[str, Any]
    result: PlacementResult
    verified: bool | None = None
    verify_message: str = ""
    attempt: int = 1
    wall_seconds: float = 0.0
    worker: str = ""
    finished_at: str = ""
    traceback: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> Status:
        return self.result.status

    @property
    def failed(self) -> bool:
        """No usable answer: infeasible, no solution, an error, or failed verification."""
        return not self.result.ok or self.verified is False

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": RECORD_FORMAT,
            "id": self.id,
            "hash": self.hash,
            "inputs": self.inputs,
            "options": self.options,
            "verified": self.verified,
            "verify_message": self.verify_message,
            "attempt": self.attempt,
            "wall_seconds": self.wall_seconds,
            "worker": self.worker,
            "finished_at": self.finished_at,
            "traceback": self.traceback,
            **self.extra,
            "result": self.result.model_dump(mode="json"),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Record:
        known = {
            "format",
            "id",
            "hash",
            "inputs",
            "options",
            "verified",
            "verify_message",
            "attempt",
            "wall_seconds",
            "worker",
            "finished_at",
            "traceback",
            "result",
        }
        return cls(
            id=data["id"],
            hash=data["hash"],
            inputs=dict(data.get("inputs") or {}),
            options=dict(data.get("options") or {}),
            result=PlacementResult.model_validate(data["result"]),
            verified=data.get("verified"),
            verify_message=data.get("verify_message", ""),
            attempt=int(data.get("attempt", 1)),
            wall_seconds=float(data.get("wall_seconds", 0.0)),
            worker=data.get("worker", ""),
            finished_at=data.get("finished_at", ""),
            traceback=data.get("traceback"),
            extra={k: v for k, v in data.items() if k not in known},
        )


class ResultStore:
    """Reads and writes the records and the log of one output folder."""

    def __init__(self, out: str | os.PathLike[str]):
        self.out = Path(out)
        self.results = self.out / RESULTS
        self.log_path = self.out / LOG

    def prepare(self) -> None:
        """Create the folders; remove temporary files a killed run left behind."""
        self.results.mkdir(parents=True, exist_ok=True)
        for stale in self.results.glob(".*.tmp"):
            stale.unlink(missing_ok=True)
        self._end_log_line()

    def path(self, content_hash: str) -> Path:
        return self.results / f"{content_hash}.json"

    def load(self, content_hash: str) -> Record | None:
        """The stored record of a hash, or None (a corrupt file is set aside and warned about)."""
        path = self.path(content_hash)
        if not path.exists():
            return None
        try:
            record = Record.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            aside = path.with_suffix(".corrupt")
            os.replace(path, aside)
            warnings.warn(
                f"{path}: unreadable record ({exc}); moved to {aside.name}, solving again",
                RuntimeWarning,
                stacklevel=2,
            )
            return None
        return record if record.hash == content_hash else None

    def write(self, record: Record) -> Path:
        path = self.path(record.hash)
        write_text_atomic(path, json.dumps(record.to_dict(), indent=1, allow_nan=False))
        return path

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        write_text_atomic(self.out / MANIFEST, json.dumps(manifest, indent=2))

    def read_manifest(self) -> dict[str, Any]:
        return json.loads((self.out / MANIFEST).read_text(encoding="utf-8"))

    # ------------------------------------------------------------------ event log
    def event(self, kind: str, **fields: Any) -> None:
        """Append one event line (one write call; fsync'd so a crash keeps it)."""
        line = json.dumps({"event": kind, "time": time.time(), "pid": os.getpid(), **fields})
        fd = os.open(self.log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (line + "\n").encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)

    def events(self) -> list[dict[str, Any]]:
        """Every readable event (a line cut short by a crash is skipped)."""
        return read_events(self.log_path)

    def attempts(self) -> Counter[str]:
        """How often each hash was submitted to a worker, over every run in this folder."""
        return Counter(e["hash"] for e in self.events() if e.get("event") == "submit")

    def _end_log_line(self) -> None:
        # A run killed mid-append leaves a partial last line: end it so the next event parses.
        if self.log_path.exists() and self.log_path.stat().st_size:
            with open(self.log_path, "rb+") as handle:
                handle.seek(-1, os.SEEK_END)
                if handle.read(1) != b"\n":
                    handle.write(b"\n")


def read_events(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Events of a ``log.jsonl``; lines that do not parse are skipped."""
    path = Path(path)
    if not path.exists():
        return []
    events = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            events.append(event)
    return events
