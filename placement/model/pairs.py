"""Eligible site–region pairs: those inside the region's latency SLO (exact pruning).

A pair (i, j) exists in the model only if ``RTT_ij ≤ SLO_j`` (``Scenario.region_slo_ms``; no
SLO keeps every reachable pair). The pruning is exact — the same floating-point RTT is compared
with the SLO — and is computed in blocks of regions so memory stays bounded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from placement.model.geodesy import FloatArray
from placement.model.latency import rtt_blocks, slo_vector
from placement.model.schema import Scenario

__all__ = ["EligiblePairs", "eligible_pairs", "regions_without_site"]


@dataclass(frozen=True, eq=False)
class EligiblePairs:
    """Site–region pairs inside the region's latency SLO, sorted by region then site.

    ``site[k]``, ``region[k]`` index ``scenario.sites`` / ``scenario.regions``; ``rtt_ms[k]`` is
    the pair's RTT. The arrays are read-only.
    """

    site: NDArray[np.int32]
    region: NDArray[np.int32]
    rtt_ms: FloatArray

    def __post_init__(self) -> None:
        for name in ("site", "region", "rtt_ms"):
            getattr(self, name).flags.writeable = False

    def __len__(self) -> int:
        return int(self.site.size)


def eligible_pairs(
    scenario: Scenario, chunk_regions: int = 2048, *, limit_ms: FloatArray | None = None
) -> EligiblePairs:
    """All pairs (i, j) with RTT_ij ≤ SLO_j (every pair when region j has no SLO); with
    ``limit_ms``, RTT_ij ≤ limit_ms[j] instead (a soft SLO's outer limit).

    Exact: the kept pairs are exactly those of the dense filter ``rtt_matrix(s) <= slo``. RTTs
    are computed ``chunk_regions`` regions at a time, so memory holds one
    n_sites × chunk_regions block plus the pairs kept. Unreachable pairs (RTT = inf over a
    disconnected backbone) are never kept, even without an SLO.
    """
    slo = slo_vector(scenario) if limit_ms is None else np.asarray(limit_ms, dtype=np.float64)
    sites: list[NDArray[np.int32]] = []
    regions: list[NDArray[np.int32]] = []
    rtts: list[FloatArray] = []
    for start, block in rtt_blocks(scenario, chunk_regions):
        by_region = block.T  # (k, n_sites) view: nonzero() walks region-major
        keep = (by_region <= slo[start : start + by_region.shape[0], None]) & np.isfinite(by_region)
        j, i = np.nonzero(keep)
        regions.append((j + start).astype(np.int32))
        sites.append(i.astype(np.int32))
        rtts.append(by_region[j, i])
    if not rtts:
        empty_i = np.empty(0, dtype=np.int32)
        return EligiblePairs(empty_i, empty_i.copy(), np.empty(0, dtype=np.float64))
    return EligiblePairs(
        site=np.concatenate(sites),
        region=np.concatenate(regions),
        rtt_ms=np.concatenate(rtts).astype(np.float64, copy=False),
    )


def regions_without_site(scenario: Scenario, pairs: EligiblePairs) -> list[int]:
    """Indices of regions that have no eligible pair (no site within their SLO)."""
    count = np.bincount(pairs.region, minlength=len(scenario.regions))
    return np.flatnonzero(count == 0).tolist()
