"""Decoding a solver's values: rounding thresholds, and the latency KPIs on hand data."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import region, scenario, site

from placement.formulations import build
from placement.model.data import build_model_data
from placement.results.decode import (
    NOISE_AT_CLOSED_SITE,
    SHARE_EPS,
    read_decisions,
    rtt_kpis,
    summarise,
)


def test_p95_is_the_lower_value_at_the_95_percent_mark():
    rtt = np.array([30.0, 10.0, 20.0])
    # sorted by RTT the cumulative weights are 0.50, 0.95, 1.00: 95 % is reached at 20 ms
    kpis = rtt_kpis(np.array([5.0, 50.0, 45.0]), rtt)
    assert kpis == {"weighted_mean_rtt_ms": pytest.approx(15.5), "p95_rtt_ms": 20.0}
    # one more user at 30 ms and 95 % is only reached there
    kpis = rtt_kpis(np.array([6.0, 50.0, 44.0]), rtt)
    assert kpis == {"weighted_mean_rtt_ms": pytest.approx(15.6), "p95_rtt_ms": 30.0}
    assert rtt_kpis(np.zeros(3), rtt) == {"weighted_mean_rtt_ms": None, "p95_rtt_ms": None}


@pytest.fixture
def tiny():
    """Two sites, two regions, soft demand: every variable family is present."""
    scn = scenario(
        sites=[site("a", 40.0, -100.0), site("b", 41.0, -100.0)],
        regions=[
            region("r0", 40.5, -100.0, population=100.0, demand_mw=2.0),
            region("r1", 40.6, -100.0, population=300.0, demand_mw=4.0),
        ],
        economics={"unserved_penalty_usd_per_mw_year": 1e6},
    )
    data = build_model_data(scn)
    return data, build(data, "strong")


def _values(built, **blocks: list[float]) -> np.ndarray:
    values = np.zeros(built.model.num_vars)
    for name, block_values in blocks.items():
        block = built.model.var_blocks[name]
        values[block.start : block.stop] = block_values
    return values


def test_rounding_thresholds(tiny):
    data, built = tiny
    # serving pairs are (a, r0), (b, r0), (a, r1), (b, r1): region-major
    assert list(zip(data.serving.site, data.serving.other, strict=True)) == [
        (0, 0), (1, 0), (0, 1), (1, 1),
    ]  # fmt: skip
    below_eps = SHARE_EPS / 2
    noise = NOISE_AT_CLOSED_SITE / 2
    real = NOISE_AT_CLOSED_SITE * 2
    values = _values(
        built,
        open=[0.51, 0.49],  # a open, b closed
        serve=[1.0 - below_eps, noise, 0.7, real],
        unserved=[below_eps, 0.3 - real],
    )
    d = read_decisions(built, data, values)
    assert d.open.tolist() == [True, False]
    # below SHARE_EPS: dropped; at the closed site: noise dropped, a real share kept for verify
    assert d.serve.tolist() == [1.0 - below_eps, 0.0, 0.7, real]
    assert d.unserved.tolist() == [0.0, 0.3 - real]
    summary = summarise(data, d)
    assert summary.open_sites == ("a",)
    assert summary.unserved == {"r1": pytest.approx(0.3 - real)}
    assert [(a.region, a.site) for a in summary.serving] == [("r0", "a"), ("r1", "a"), ("r1", "b")]
    assert summary.costs.unserved == pytest.approx((0.3 - real) * 4.0 * 1e6)
    assert summary.kpis.served_share == pytest.approx(1 - (0.3 - real) * 4.0 / 6.0)


def test_shares_are_clipped_to_the_redundancy_cap(tiny):
    data, built = tiny
    values = _values(built, open=[1.0, 1.0], serve=[1.2, -0.1, 0.5, 0.5])
    d = read_decisions(built, data, values)
    assert d.serve.tolist() == [data.max_share, 0.0, 0.5, 0.5]
