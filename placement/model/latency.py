"""Round-trip times between sites and regions: the latency model.

Straight-line model (the default), for site *i* and region *j* at distance ``d_ij`` km::

    RTT_ij = base_rtt_ms + 2 · route_factor · d_ij / fiber_km_per_ms            [ms]

The factor 2 makes it a round trip, ``route_factor`` (≥ 1) turns the great circle into a fibre
route, and ``fiber_km_per_ms`` (≈ 204, light in glass with refractive index ≈ 1.47) turns fibre
length into time. ``d_ij`` is the scenario's distance (:mod:`placement.model.geodesy`).

When ``NetworkSettings.backbone_graphml`` is set, RTT follows the backbone instead
(:mod:`placement.model.backbone`). :meth:`Scenario.from_file` (and a portfolio spec, for
inline scenarios and overrides) makes a relative path absolute against the folder of the file
it was written in; a relative path in a scenario built in Python is read from the current
working directory. RTTs are computed in blocks of regions (:func:`rtt_blocks`) so that memory stays
bounded: 1,000 sites × 30,000 regions never needs the dense 30-million-entry matrix.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from placement.model.backbone import Backbone, load_backbone
from placement.model.geodesy import FloatArray, Points
from placement.model.schema import NetworkSettings, Scenario

__all__ = [
    "nearest_rtt_ms",
    "nearest_site",
    "region_points",
    "rtt_blocks",
    "rtt_matrix",
    "rtt_ms",
    "site_points",
    "slo_vector",
]

_BLOCK_PAIRS = 4_000_000  # pairs per block when a helper chunks internally


def rtt_ms(distance_km: ArrayLike, settings: NetworkSettings) -> Any:
    """Round-trip time in ms over a straight-line distance in km (element-wise)::

    RTT = base_rtt_ms + 2 · route_factor · distance_km / fiber_km_per_ms
    """
    d = np.asarray(distance_km, dtype=np.float64)
    return settings.base_rtt_ms + (2.0 * settings.route_factor / settings.fiber_km_per_ms) * d


def site_points(scenario: Scenario) -> Points:
    return Points.of([s.lat for s in scenario.sites], [s.lon for s in scenario.sites])


def region_points(scenario: Scenario) -> Points:
    return Points.of([r.lat for r in scenario.regions], [r.lon for r in scenario.regions])


def rtt_blocks(scenario: Scenario, chunk_regions: int) -> Iterator[tuple[int, FloatArray]]:
    """Yield (first region index, RTT block of shape (n_sites, ≤ chunk_regions)).

    Every RTT is computed by the same element-wise arithmetic whatever the chunk size, so
    chunked and dense results are bit-for-bit equal.
    """
    if isinstance(chunk_regions, bool) or not isinstance(chunk_regions, int | np.integer):
        raise TypeError(f"chunk_regions = {chunk_regions!r}: must be an int")
    if chunk_regions < 1:
        raise ValueError(f"chunk_regions = {chunk_regions}: must be at least 1")
    settings = scenario.network
    sites = site_points(scenario)
    regions = region_points(scenario)
    m = len(regions)
    if settings.backbone_graphml is not None:
        backbone = Backbone(load_backbone(settings.backbone_graphml), settings)
        site_node, site_access = backbone.attach(sites)
        region_node, region_access = backbone.attach(regions)
        for start in range(0, m, chunk_regions):
            stop = min(start + chunk_regions, m)
            yield (
                start,
                backbone.rtt(
                    site_node, site_access, region_node[start:stop], region_access[start:stop]
                ),
            )
        return
    for start in range(0, m, chunk_regions):
        block = regions.take(slice(start, start + chunk_regions))
        yield start, rtt_ms(sites.distance_to(block, settings.distance), settings)


def rtt_matrix(scenario: Scenario) -> FloatArray:
    """Dense RTT in ms, shape (n_sites, n_regions).

    Over the backbone when ``scenario.network.backbone_graphml`` is set (see
    :func:`backbone_rtt_matrix`), otherwise RTT = base + 2 · route_factor · d / fiber with d the
    configured distance (``great_circle`` or ``geodesic``). Memory is n_sites × n_regions
    floats; for large scenarios use :func:`eligible_pairs`.
    """
    out = np.empty((len(scenario.sites), len(scenario.regions)), dtype=np.float64)
    for start, block in rtt_blocks(scenario, _default_chunk(scenario)):
        out[:, start : start + block.shape[1]] = block
    return out


def _default_chunk(scenario: Scenario) -> int:
    return max(1, _BLOCK_PAIRS // max(1, len(scenario.sites)))


def slo_vector(scenario: Scenario) -> FloatArray:
    """Each region's SLO in ms; +inf where the region has none."""
    return np.array(
        [math.inf if (v := scenario.region_slo_ms(r)) is None else v for r in scenario.regions],
        dtype=np.float64,
    )


def nearest_site(
    scenario: Scenario, chunk_regions: int = 2048
) -> tuple[NDArray[np.int32], FloatArray]:
    """Per region: index of the site with the smallest RTT, and that RTT in ms.

    Ties go to the lower site index; the RTT is ``inf`` if no site is reachable.
    """
    m = len(scenario.regions)
    best = np.empty(m, dtype=np.int32)
    rtt = np.empty(m, dtype=np.float64)
    for start, block in rtt_blocks(scenario, chunk_regions):
        stop = start + block.shape[1]
        best[start:stop] = np.argmin(block, axis=0)
        rtt[start:stop] = block[best[start:stop], np.arange(block.shape[1])]
    return best, rtt


def nearest_rtt_ms(scenario: Scenario, chunk_regions: int = 2048) -> FloatArray:
    """Per region, the smallest RTT in ms to any site (``inf`` if none is reachable).

    For diagnostics: a region whose nearest RTT exceeds its SLO cannot be served.
    """
    return nearest_site(scenario, chunk_regions)[1]
