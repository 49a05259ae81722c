"""Soft rules on the model side: which pairs a soft SLO keeps and what they pay.

With ``rules.soft.slo_usd_per_user_ms_year = π`` a serving pair q = (f, j, h) whose latency
L_q = RTT_ij + t_h exceeds the region's SLO stays in the model (up to ``slo_limit_ms``, beyond
which pairs stay pruned, exactly as a hard SLO prunes) and pays, per unit share,

    π · users_j · (L_q − SLO_j)⁺                                  [USD per year]

which is exactly the price of the user·ms it is late: the share-weighted excess of a pair is
linear in its share. Soft power, capital and carbon are slack variables
(:mod:`placement.formulations.soft_rules`).
"""

from __future__ import annotations

import numpy as np

from placement.model.latency import slo_vector
from placement.model.schema import Scenario


def soft_slo_price(scenario: Scenario) -> float | None:
    """π, USD per user·ms over the SLO per year, or None when the SLO is hard."""
    soft = scenario.rules.soft
    return None if soft is None else soft.slo_usd_per_user_ms_year


def soft_power_price(scenario: Scenario) -> float | None:
    """USD per MW over a site's grid power per year, or None when power is hard."""
    soft = scenario.rules.soft
    return None if soft is None else soft.power_usd_per_mw_year


def pair_limit_ms(scenario: Scenario) -> np.ndarray:
    """Per region, the latency beyond which pairs are pruned: its SLO (inf: none), or under a
    soft SLO the soft rule's ``slo_limit_ms`` (inf: keep every reachable pair)."""
    slo = slo_vector(scenario)
    if soft_slo_price(scenario) is None:
        return slo
    limit = scenario.rules.soft.slo_limit_ms  # type: ignore[union-attr]
    return np.full(slo.shape, np.inf if limit is None else float(limit))


def soft_slo_penalty(
    scenario: Scenario, region: np.ndarray, latency_ms: np.ndarray, users: np.ndarray
) -> np.ndarray:
    """π · users_j · (L − SLO_j)⁺ for pairs of ``region`` with latency ``latency_ms``."""
    price = soft_slo_price(scenario)
    if price is None or region.size == 0:
        return np.zeros(region.size)
    return price * users[region] * slo_excess_ms(scenario, region, latency_ms)


def slo_excess_ms(scenario: Scenario, region: np.ndarray, latency_ms: np.ndarray) -> np.ndarray:
    """(L − SLO_j)⁺ in ms (0 where the region has no SLO)."""
    slo = slo_vector(scenario)[region]
    return np.where(np.isfinite(slo), np.maximum(latency_ms - slo, 0.0), 0.0)
