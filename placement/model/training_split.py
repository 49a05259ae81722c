"""Training split across nearby sites, model side: RTT between sites and the pairs of sites a
split cluster may not combine.

A cluster with ``split`` may run in parts at up to ``max_sites`` sites, every two of them
within ``max_pair_rtt_ms`` of each other (RTT by the scenario's latency model, site to site,
base RTT included). Two sites further apart than that can never both hold a part of it.
"""

from __future__ import annotations

import numpy as np

from placement.model.latency import rtt_matrix
from placement.model.schema import Region, Scenario


def site_rtt_ms(scenario: Scenario) -> np.ndarray:
    """(n_sites, n_sites) RTT in ms between sites, by the scenario's own latency model."""
    as_regions = tuple(Region(id=s.id, lat=s.lat, lon=s.lon) for s in scenario.sites)
    return rtt_matrix(scenario.model_copy(update={"regions": as_regions}))


def conflicting_sites(
    scenario: Scenario, cluster: int, candidates: np.ndarray, rtt: np.ndarray
) -> np.ndarray:
    """(n, 2) pairs of distinct candidate sites too far apart to share ``cluster``."""
    split = scenario.training[cluster].split
    assert split is not None
    a, b = np.triu_indices(candidates.size, k=1)
    far = rtt[candidates[a], candidates[b]] > split.max_pair_rtt_ms
    return np.stack([candidates[a][far], candidates[b][far]], axis=1)
