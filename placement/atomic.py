"""Atomic file writes: a reader sees the old file or the whole new one, never half.

A write that fails (a full disk, a closed mount) removes its temporary file and raises the
:class:`OSError` with the target's name, so callers can say which file could not be written.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def unwritable_folder(folder: str | os.PathLike[str]) -> str | None:
    """Why files cannot be written into ``folder`` (created if missing), or None if they can:
    checked by writing and removing a probe file, before any long work starts."""
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".placement-probe-"):
            pass
    except OSError as exc:
        return f"cannot write there ({exc.strerror or exc})"
    return None


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write text to ``path`` through a temporary file and an atomic rename."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write bytes to ``path`` through a temporary file in the same folder and os.replace."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates 0600; give the file the permissions a plain open() would have.
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename is None and exc.errno is not None:
            # a failed write (e.g. ENOSPC) names no file: name the one being written
            raise OSError(exc.errno, exc.strerror or str(exc), os.fspath(path)) from exc
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
