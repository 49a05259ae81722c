"""The output folder of a batch: one atomic JSON record per solved case, and an event log.

    DIR/portfolio.json          the cases (id, hash, varied inputs), baseline, solve options
    DIR/results/<hash>.json     one record per content hash: the result, id, inputs, hash,
                                and the record's own checksum
    DIR/log.jsonl               append-only events: run, submit, done, end (one JSON a line)

Records are written with :func:`placement.atomic.write_text_atomic`, so a crash leaves either
no file or a whole one; a re-run reads what exists and solves only what is missing. Each record
carries ``checksum``, the sha256 of its canonical JSON without that field: a record changed
after it was written (a flipped bit, an edit, a truncation) is detected when it is read, set
aside as ``<hash>.corrupt`` and solved again. A record without a checksum (written by an older
version) cannot be trusted the same way and is solved again too.

A write that fails (disk full, permissions) raises :class:`StorageError`, which names the file
and says what is stored; nothing half-written is left behind, so a re-run resumes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from placement.atomic import write_text_atomic
from placement.batch.paths import PortfolioError
from placement.errors import PlacementError
from placement.results.result import PlacementResult, Status

RECORD_FORMAT = "placement.batch.record/2"  # 2: with its checksum
MANIFEST = "portfolio.json"
RESULTS = "results"
LOG = "log.jsonl"
CHECKSUM = "checksum"
_HASH = re.compile(r"[0-9a-f]{64}")


class StorageError(PlacementError):
    """An output folder cannot be written (disk full, permissions, a read-only mount).

    Every record stored before stays whole and valid; re-running the same command resumes.
    """


def record_checksum(data: dict[str, Any]) -> str:
    """sha256 of a record's canonical JSON (sorted keys, no spaces), its checksum left out."""
    body = {k: v for k, v in data.items() if k != CHECKSUM}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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
            CHECKSUM,
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
        try:
            self.results.mkdir(parents=True, exist_ok=True)
            for folder in (self.out, self.results):
                for stale in folder.glob(".*.tmp"):
                    stale.unlink(missing_ok=True)
            self._end_log_line()
        except OSError as exc:
            raise storage_error(self.out, exc) from None

    def path(self, content_hash: str) -> Path:
        """``results/<hash>.json``; the hash must be a sha256 hex digest (a name such as
        ``../../x`` read from a manifest or sent by a worker cannot point outside)."""
        if not isinstance(content_hash, str) or not _HASH.fullmatch(content_hash):
            raise PortfolioError(
                f"hash = {str(content_hash)[:80]!r}: not a sha256 hex digest (64 characters "
                f"0-9a-f); records live only under {self.results}"
            )
        return self.results / f"{content_hash}.json"

    def load(self, content_hash: str) -> Record | None:
        """The stored record of a hash, or None when there is none or it cannot be trusted.

        A record that does not parse, lacks its checksum, fails it, or belongs to another hash
        is moved aside to ``<hash>.corrupt`` with a :class:`RuntimeWarning` saying why, so the
        case is solved again.
        """
        path = self.path(content_hash)
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            problem = _integrity_problem(data, content_hash)
            record = None if problem else Record.from_dict(data)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            problem = f"unreadable record ({type(exc).__name__}: {exc})"
        if problem or record is None:
            self._set_aside(path, problem or "unreadable record")
            return None
        return record

    def _set_aside(self, path: Path, problem: str) -> None:
        aside = path.with_suffix(".corrupt")
        try:
            os.replace(path, aside)
            where = f"moved to {aside.name}"
        except OSError as exc:
            where = f"could not be moved aside ({exc.strerror or exc})"
        warnings.warn(
            f"{path}: {problem}; {where}, solving the case again", RuntimeWarning, stacklevel=3
        )

    def write(self, record: Record) -> Path:
        """Store a record (with its checksum) atomically; :class:`StorageError` if it cannot."""
        path = self.path(record.hash)
        data = record.to_dict()
        data[CHECKSUM] = record_checksum(data)
        self._write(path, json.dumps(data, indent=1, allow_nan=False))
        return path

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        self._write(self.out / MANIFEST, json.dumps(manifest, indent=2))

    def _write(self, path: Path, text: str) -> None:
        try:
            write_text_atomic(path, text)
        except OSError as exc:
            raise storage_error(path, exc) from None

    def read_manifest(self) -> dict[str, Any]:
        return json.loads((self.out / MANIFEST).read_text(encoding="utf-8"))

    # ------------------------------------------------------------------ event log
    def event(self, kind: str, **fields: Any) -> None:
        """Append one event line (one write call; fsync'd so a crash keeps it)."""
        line = json.dumps({"event": kind, "time": time.time(), "pid": os.getpid(), **fields})
        data = (line + "\n").encode("utf-8")
        try:
            fd = os.open(self.log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                while data:  # a short write (nearly full disk) goes on where it stopped
                    data = data[os.write(fd, data) :]
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise storage_error(self.log_path, exc) from None

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


def storage_error(path: Path, exc: OSError) -> StorageError:
    """The :class:`StorageError` for a failed write of ``path``."""
    reason = exc.strerror or str(exc)
    return StorageError(
        f"cannot write {path}: {reason}; every result stored before is whole and kept "
        "(nothing half-written is left); make room or fix the folder, then run the same "
        "command again to resume"
    )


def _integrity_problem(data: Any, content_hash: str) -> str | None:
    """Why a parsed record cannot be trusted, or None."""
    if not isinstance(data, dict):
        return f"not a record (a JSON {type(data).__name__})"
    stored = data.get(CHECKSUM)
    if stored is None:
        return "no checksum (written by an older placement, or cut); it cannot be checked"
    if stored != record_checksum(data):
        return "checksum mismatch: the record changed after it was written"
    if data.get("hash") != content_hash:
        return f"belongs to hash {str(data.get('hash'))[:16]!r}, not to its file name"
    return None


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
