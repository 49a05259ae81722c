"""Measured round-trip times between US cities, and the fit of the latency model to them.

The table ``data/us/measured_rtt_wonderproxy_2020.csv`` holds every US–US pair of WonderProxy's
public ping data set *A day in the life of the internet* (ICMP pings between its servers every
few minutes, 2020-07-19 to 2020-07-20): 2,210 pairs of 66 servers in 65 cities, each with the
minimum and the mean RTT over both directions. Sources and licence: ``data/README.md``.

The model (:mod:`placement.model.latency`) is ``RTT = base + 2 · route_factor · km / 204``.
:func:`fit_latency` fits ``base`` and ``route_factor`` by **weighted least squares on the
relative error**: it minimises Σ ((model − measured) / measured)², i.e. ordinary least squares
on ``1 = base/measured + slope · km/measured``, so a 2 ms miss on a 10 ms pair weighs as much as
a 20 ms miss on a 100 ms pair. By default it fits the mean RTT of the 300 pairs between 25 major
metros (``hub_pair``: where data centers and Internet exchanges are); servers on small regional
hosts often route through a distant hub, which says more about their provider than about fibre.
:data:`NETWORK_FIT` is the result, rounded, and is the default of
:class:`~placement.model.schema.NetworkSettings` and of the bundled US scenario.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from placement.model.geodesy import great_circle_km

MEASURED_RTT_FILE = "us/measured_rtt_wonderproxy_2020.csv"
FIBER_KM_PER_MS = 204.0

__all__ = [
    "MEASURED_RTT_FILE",
    "LatencyFit",
    "MeasuredPair",
    "fit_latency",
    "measured_pairs",
]


@dataclass(frozen=True)
class MeasuredPair:
    """One city pair of the shipped table."""

    city_a: str
    state_a: str
    city_b: str
    state_b: str
    km: float  # great circle between the two servers
    rtt_min_ms: float
    rtt_avg_ms: float
    hub_pair: bool


@dataclass(frozen=True)
class LatencyFit:
    """Fitted ``base_rtt_ms`` and ``route_factor`` with their error on the pairs fitted."""

    base_rtt_ms: float
    route_factor: float
    pairs: int
    median_relative_error: float
    p90_relative_error: float
    median_abs_error_ms: float
    p90_abs_error_ms: float

    def rtt_ms(self, km: float) -> float:
        return self.base_rtt_ms + 2.0 * self.route_factor * km / FIBER_KM_PER_MS


@lru_cache(maxsize=1)
def measured_pairs() -> tuple[MeasuredPair, ...]:
    """Every pair of the shipped table (read-only)."""
    from placement.datasets.us import data_dir

    path = data_dir() / MEASURED_RTT_FILE
    out = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            km = float(
                great_circle_km(
                    float(row["lat_a"]),
                    float(row["lon_a"]),
                    float(row["lat_b"]),
                    float(row["lon_b"]),
                )
            )
            out.append(
                MeasuredPair(
                    city_a=row["city_a"],
                    state_a=row["state_a"],
                    city_b=row["city_b"],
                    state_b=row["state_b"],
                    km=km,
                    rtt_min_ms=float(row["rtt_min_ms"]),
                    rtt_avg_ms=float(row["rtt_avg_ms"]),
                    hub_pair=row["hub_pair"] == "1",
                )
            )
    return tuple(out)


def fit_latency(
    pairs: tuple[MeasuredPair, ...] | None = None, *, hubs_only: bool = True, statistic: str = "avg"
) -> LatencyFit:
    """Fit base and route factor (weighted least squares on relative error; module docstring).

    ``statistic``: ``avg`` (mean RTT, the default) or ``min``. Hawaii is left out: its pairs
    cross the Pacific on a cable whose route has nothing to do with the mainland's.
    """
    pairs = measured_pairs() if pairs is None else pairs
    chosen = [
        p for p in pairs if (p.hub_pair or not hubs_only) and "HI" not in (p.state_a, p.state_b)
    ]
    if len(chosen) < 2:
        raise ValueError("fit_latency needs at least two pairs")
    km = np.array([p.km for p in chosen])
    rtt = np.array([p.rtt_avg_ms if statistic == "avg" else p.rtt_min_ms for p in chosen])
    design = np.column_stack([1.0 / rtt, km / rtt])
    (base, slope), *_ = np.linalg.lstsq(design, np.ones_like(rtt), rcond=None)
    model = base + slope * km
    relative = np.abs(model - rtt) / rtt
    absolute = np.abs(model - rtt)
    return LatencyFit(
        base_rtt_ms=float(base),
        route_factor=float(slope * FIBER_KM_PER_MS / 2.0),
        pairs=len(chosen),
        median_relative_error=float(np.median(relative)),
        p90_relative_error=float(np.percentile(relative, 90)),
        median_abs_error_ms=float(np.median(absolute)),
        p90_abs_error_ms=float(np.percentile(absolute, 90)),
    )
