"""Memory known before it is spent: estimate a solve's peak, refuse what cannot fit.

The estimate is made from the pruned model data, before the formulation is built or handed to
a solver::

    variables ≈ serving pairs + training pairs + split variables + facilities
                + cooling options + regions (when demand may go unserved)
    peak      ≈ BASE_BYTES + BYTES_PER_VARIABLE · variables

The solver's copies dominate (presolve, LP factors, the MIP's cut and clique tables): measured
with HiGHS on random CFLP (strong formulation unless named; peak RSS above the loaded data),
100×1000: 0.54 GB for 100k variables, 200×2000: 1.6 GB (strong) and 1.35 GB (weak) for 400k,
the bundled default 0.42 GB for 171k, the world family 1000×30000 4–6 GB for 1.6M. The constant
per variable is the largest of those ratios, so the estimate errs high.

The limit is the memory the machine has available now (``MemAvailable``; inside a container,
also what its cgroup allows), or ``PLACEMENT_MEMORY_LIMIT`` (bytes, or with a suffix: ``8G``,
``512M``; ``off`` disables the check).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from placement.errors import SolverOptionError
from placement.model.data import ModelData

BASE_BYTES = 150 * 2**20
BYTES_PER_VARIABLE = 4_500
LIMIT_VARIABLE = "PLACEMENT_MEMORY_LIMIT"
_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
_MEMINFO = Path("/proc/meminfo")
_CGROUP = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class MemoryEstimate:
    """A model's expected size and the solve's expected peak memory."""

    variables: int
    peak_bytes: int

    @property
    def peak_gib(self) -> float:
        return self.peak_bytes / 2**30


def estimate(data: ModelData) -> MemoryEstimate:
    """The expected variable count and peak memory of solving ``data`` (see the module)."""
    variables = (
        len(data.serving)
        + len(data.training)
        + len(data.split)
        + data.n_sites
        + len(data.cooling)
        + (data.n_regions if data.unserved_cost is not None else 0)
    )
    return MemoryEstimate(variables, BASE_BYTES + BYTES_PER_VARIABLE * variables)


def limit_bytes() -> int | None:
    """The memory a solve may use: ``PLACEMENT_MEMORY_LIMIT`` if set, else what the machine
    has available now; None when unknown or the check is off."""
    setting = os.environ.get(LIMIT_VARIABLE, "").strip()
    if setting.lower() == "off":
        return None
    if setting:
        return _parse_size(setting)
    return available_bytes()


def available_bytes() -> int | None:
    """Memory available to this process now (Linux: MemAvailable, capped by the cgroup)."""
    found = [value for value in (_meminfo_available(), _cgroup_available()) if value is not None]
    return min(found) if found else None


def estimate_plan(datas: Sequence[ModelData]) -> MemoryEstimate:
    """:func:`estimate` of a multi-period plan: one model of every period's variables and
    its capacity blocks (building per facility, cooling per option)."""
    variables = sum(estimate(d).variables + d.n_sites + len(d.cooling) for d in datas)
    return MemoryEstimate(variables, BASE_BYTES + BYTES_PER_VARIABLE * variables)


def refusal(data: ModelData | Sequence[ModelData], solver: str) -> str | None:
    """Why the solve must not start (its estimate exceeds the limit), or None to go ahead;
    a sequence is the periods of a plan, solved as one model."""
    limit = limit_bytes()
    if limit is None:
        return None
    expected = estimate(data) if isinstance(data, ModelData) else estimate_plan(data)
    if expected.peak_bytes <= limit:
        return None
    return (
        f"refused before building the model: solving it with {solver} would need about "
        f"{expected.peak_gib:.1f} GiB ({expected.variables:,} variables; estimate from "
        f"measured solves, placement.solving.memory) and {limit / 2**30:.1f} GiB is available. "
        "To fit: prune serving pairs with a tighter SLO (rules.slo_ms), offer fewer candidate "
        "sites, regions or hardware, aggregate regions, or run on a larger machine; "
        f"{LIMIT_VARIABLE}=off (or a size such as 64G) overrides the check"
    )


def _parse_size(text: str) -> int:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?", text.strip(), flags=re.IGNORECASE)
    if match is None or float(match.group(1)) <= 0:
        raise SolverOptionError(
            f"{LIMIT_VARIABLE} = {text!r}: must be a positive size in bytes, optionally with a "
            "suffix K, M, G or T (e.g. 8G), or 'off'"
        )
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


def _meminfo_available() -> int | None:
    try:
        text = _MEMINFO.read_text()
    except OSError:
        return None
    match = re.search(r"^MemAvailable:\s+(\d+)\s+kB", text, flags=re.MULTILINE)
    return None if match is None else int(match.group(1)) * 1024


def _cgroup_available() -> int | None:
    """cgroup v2: memory.max − memory.current, when a limit is set."""
    try:
        maximum = (_CGROUP / "memory.max").read_text().strip()
        current = int((_CGROUP / "memory.current").read_text().strip())
    except (OSError, ValueError):
        return None
    if maximum == "max":
        return None
    try:
        return max(int(maximum) - current, 0)
    except ValueError:
        return None
