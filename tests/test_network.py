"""Distances (geodesy), RTT (latency, backbone) and exact SLO pruning (pairs)."""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pytest
from conftest import site
from geopy.distance import geodesic, great_circle
from hypothesis import given, settings
from hypothesis import strategies as st

import placement as pl
from placement.errors import ScenarioError
from placement.model.backbone import load_backbone
from placement.model.geodesy import distance_matrix_km, geodesic_km, great_circle_km
from placement.model.latency import nearest_rtt_ms, nearest_site, rtt_matrix, rtt_ms
from placement.model.pairs import EligiblePairs, eligible_pairs, regions_without_site
from placement.model.schema import NetworkSettings, Scenario

DATA = Path(__file__).parent / "data"
ABILENE = DATA / "Abilene.graphml"
R_KM = 6371.009  # geopy.distance.EARTH_RADIUS
DEG_KM = R_KM * math.pi / 180.0  # one degree of great circle, km


# ----------------------------------------------------------------------------- helpers
def random_points(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Points uniform on the sphere, degrees."""
    lat = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n)))
    lon = rng.uniform(-180.0, 180.0, n)
    return lat, lon


def make_scenario(
    sites: list[tuple[float, float]],
    regions: list[tuple[float, float] | tuple[float, float, float | None]],
    **network: Any,
) -> Scenario:
    """A scenario with sites s0.. and regions r0.. at the given (lat, lon[, slo_ms])."""
    return Scenario.model_validate(
        {
            "sites": [
                site(f"s{i}", lat, lon, power_mw=100.0) for i, (lat, lon) in enumerate(sites)
            ],
            "regions": [
                {
                    "id": f"r{j}",
                    "lat": r[0],
                    "lon": r[1],
                    "population": 1000.0,
                    **({"slo_ms": r[2]} if len(r) > 2 else {}),
                }
                for j, r in enumerate(regions)
            ],
            "network": network,
        }
    )


def random_us_scenario(seed: int, n_sites: int, n_regions: int, **network: Any) -> Scenario:
    """Sites and regions spread over the contiguous US; SLOs mixed (set, default, none)."""
    rng = np.random.default_rng(seed)
    s_lat, s_lon = rng.uniform(25, 49, n_sites), rng.uniform(-124, -67, n_sites)
    r_lat, r_lon = rng.uniform(25, 49, n_regions), rng.uniform(-124, -67, n_regions)
    slo = rng.uniform(5.0, 30.0, n_regions)
    use_own = rng.random(n_regions) < 0.6
    regions = [
        (float(a), float(b), float(t)) if own else (float(a), float(b))
        for a, b, t, own in zip(r_lat, r_lon, slo, use_own, strict=True)
    ]
    sites = [(float(a), float(b)) for a, b in zip(s_lat, s_lon, strict=True)]
    return make_scenario(sites, regions, **network)


def dense_filter(scenario: Scenario) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reference: the eligible pairs from the full dense RTT matrix, region-major."""
    rtt = rtt_matrix(scenario)
    slo = np.array(
        [np.inf if (v := scenario.region_slo_ms(r)) is None else v for r in scenario.regions]
    )
    keep = (rtt <= slo[None, :]) & np.isfinite(rtt)
    region, site = np.nonzero(keep.T)
    return site, region, rtt[site, region]


GRAPHML_HEAD = """<?xml version="1.0" encoding="utf-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  <key attr.name="Latitude" attr.type="double" for="node" id="d0" />
  <key attr.name="Longitude" attr.type="double" for="node" id="d1" />
  <key attr.name="label" attr.type="string" for="node" id="d2" />
  <graph edgedefault="undirected">
"""
GRAPHML_TAIL = "  </graph>\n</graphml>\n"


def write_graphml(path: Path, nodes: dict[str, tuple[float, float] | None], edges: list) -> Path:
    body = []
    for name, coord in nodes.items():
        data = f'<data key="d2">{name}-city</data>'
        if coord is not None:
            data += f'<data key="d0">{coord[0]}</data><data key="d1">{coord[1]}</data>'
        body.append(f'    <node id="{name}">{data}</node>\n')
    for u, v in edges:
        body.append(f'    <edge source="{u}" target="{v}" />\n')
    path.write_text(GRAPHML_HEAD + "".join(body) + GRAPHML_TAIL, encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- distances
def test_great_circle_matches_geopy() -> None:
    rng = np.random.default_rng(20240501)
    lat1, lon1 = random_points(rng, 2000)
    lat2, lon2 = random_points(rng, 2000)
    ours = great_circle_km(lat1, lon1, lat2, lon2)
    ref = np.array(
        [great_circle((a, b), (c, d)).km for a, b, c, d in zip(lat1, lon1, lat2, lon2, strict=True)]
    )
    assert ours.shape == (2000,)
    np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-6)


def test_geodesic_matches_geopy_to_a_metre() -> None:
    rng = np.random.default_rng(7)
    lat1, lon1 = random_points(rng, 2000)
    lat2, lon2 = random_points(rng, 2000)
    # plus nearly antipodal pairs (where Vincenty converges slowly or not at all) and edge cases
    a_lat, a_lon = rng.uniform(-80, 80, 200), rng.uniform(-180, 180, 200)
    b_lat = np.clip(-a_lat + rng.normal(0.0, 0.3, 200), -90, 90)
    b_lon = (a_lon + 180.0 + rng.normal(0.0, 0.5, 200) + 180.0) % 360.0 - 180.0
    special = np.array(
        [
            [0, 0, 0, 180],  # antipodal on the equator
            [0, 0, 0, 179.7],  # nearly antipodal: Vincenty does not converge
            [90, 0, -90, 0],  # pole to pole
            [0, 0, 0, 0],  # coincident
            [0, -180, 0, 180],  # the same point, both sides of the date line
            [0, 0, 0, 90],  # along the equator
            [45, 10, 45, 10.000001],  # very close
        ],
        dtype=float,
    )
    lat1 = np.concatenate([lat1, a_lat, special[:, 0]])
    lon1 = np.concatenate([lon1, a_lon, special[:, 1]])
    lat2 = np.concatenate([lat2, b_lat, special[:, 2]])
    lon2 = np.concatenate([lon2, b_lon, special[:, 3]])
    ours = geodesic_km(lat1, lon1, lat2, lon2)
    ref = np.array(
        [geodesic((a, b), (c, d)).km for a, b, c, d in zip(lat1, lon1, lat2, lon2, strict=True)]
    )
    assert np.all(np.isfinite(ours))
    assert np.max(np.abs(ours - ref)) < 1e-3  # < 1 m (in practice < 0.1 mm)


@settings(max_examples=150, deadline=None)
@given(
    st.floats(-90, 90),
    st.floats(-180, 180),
    st.floats(-90, 90),
    st.floats(-180, 180),
)
def test_geodesic_matches_geopy_anywhere(a: float, b: float, c: float, d: float) -> None:
    assert abs(float(geodesic_km(a, b, c, d)) - geodesic((a, b), (c, d)).km) < 1e-3
    assert abs(float(great_circle_km(a, b, c, d)) - great_circle((a, b), (c, d)).km) < 1e-6


def test_scalar_and_broadcast_shapes() -> None:
    assert isinstance(great_circle_km(0.0, 0.0, 1.0, 1.0), float)
    assert isinstance(geodesic_km(0.0, 0.0, 1.0, 1.0), float)
    lat = np.array([0.0, 10.0, 20.0])
    assert great_circle_km(lat[:, None], 0.0, lat[None, :], 5.0).shape == (3, 3)
    assert geodesic_km(lat[:, None], 0.0, lat[None, :], 5.0).shape == (3, 3)


@pytest.mark.parametrize("method", ["great_circle", "geodesic"])
def test_distance_matrix_matches_pairwise(method: str) -> None:
    rng = np.random.default_rng(3)
    s_lat, s_lon = random_points(rng, 17)
    r_lat, r_lon = random_points(rng, 23)
    matrix = distance_matrix_km(s_lat, s_lon, r_lat, r_lon, method)  # type: ignore[arg-type]
    assert matrix.shape == (17, 23)
    fn = great_circle if method == "great_circle" else geodesic
    ref = np.array(
        [
            [fn((a, b), (c, d)).km for c, d in zip(r_lat, r_lon, strict=True)]
            for a, b in zip(s_lat, s_lon, strict=True)
        ]
    )
    np.testing.assert_allclose(matrix, ref, rtol=0, atol=1e-3 if method == "geodesic" else 1e-6)


def test_distance_matrix_rejects_unknown_method() -> None:
    with pytest.raises(ValueError, match="vincenty"):
        distance_matrix_km([0.0], [0.0], [1.0], [1.0], "vincenty")  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- RTT
def test_rtt_on_the_equator_by_hand() -> None:
    # 1,000 km along the equator: Δλ = 1000 / 6371.009 rad.
    dlon = math.degrees(1000.0 / R_KM)  # 8.99321...°
    assert great_circle_km(0.0, 0.0, 0.0, dlon) == pytest.approx(1000.0, abs=1e-9)
    # The equator is a geodesic of WGS-84: length = a · Δλ = 6378.137 · 1000 / 6371.009.
    assert geodesic_km(0.0, 0.0, 0.0, dlon) == pytest.approx(1001.118818, abs=1e-5)
    # Defaults (fitted, data/README.md): 1.7 ms + 2 · 1.87 · 1000 km / 204 km/ms = 20.0333... ms
    assert rtt_ms(1000.0, NetworkSettings()) == pytest.approx(20.0333333333, abs=1e-9)
    custom = NetworkSettings(route_factor=1.5, fiber_km_per_ms=200.0, base_rtt_ms=0.5)
    assert rtt_ms(1000.0, custom) == pytest.approx(15.5, abs=1e-12)  # 0.5 + 2·1.5·1000/200
    # 2 ms + 2 · 2.1 · 1000 km / 204 km/ms = 2 + 20.588235... = 22.588235... ms
    old = {"route_factor": 2.1, "base_rtt_ms": 2.0}
    scn = make_scenario([(0.0, 0.0)], [(0.0, dlon), (0.0, 0.0)], **old)
    np.testing.assert_allclose(rtt_matrix(scn), [[22.5882352941, 2.0]], atol=1e-9)
    geo = make_scenario([(0.0, 0.0)], [(0.0, dlon)], distance="geodesic", **old)
    # 2 + 2 · 2.1 · 1001.118818 / 204
    assert rtt_matrix(geo)[0, 0] == pytest.approx(2 + 4.2 * 1001.118818 / 204, abs=1e-6)


def test_rtt_is_vectorised() -> None:
    out = rtt_ms(
        np.array([[0.0, 204.0], [102.0, 2040.0]]),
        NetworkSettings(route_factor=1.0, base_rtt_ms=2.0),
    )
    np.testing.assert_allclose(out, [[2.0, 4.0], [3.0, 22.0]])


# ----------------------------------------------------------------------------- SLO pruning
@pytest.mark.parametrize("method", ["great_circle", "geodesic"])
@pytest.mark.parametrize("chunk", [1, 7, 128, 2048])
def test_eligible_pairs_equal_dense_filter(method: str, chunk: int) -> None:
    scn = random_us_scenario(11, 40, 600, distance=method, default_slo_ms=15.0)
    pairs = eligible_pairs(scn, chunk_regions=chunk)
    site, region, rtt = dense_filter(scn)
    assert 0 < len(pairs) < 40 * 600  # the SLOs prune some pairs but not all
    np.testing.assert_array_equal(pairs.site, site)
    np.testing.assert_array_equal(pairs.region, region)
    np.testing.assert_array_equal(pairs.rtt_ms, rtt)
    assert pairs.site.dtype == np.int32
    assert pairs.region.dtype == np.int32
    assert pairs.rtt_ms.dtype == np.float64
    order = np.lexsort((pairs.site, pairs.region))
    np.testing.assert_array_equal(order, np.arange(len(pairs)))


def test_regions_without_slo_keep_every_site() -> None:
    scn = random_us_scenario(5, 12, 90)  # no default SLO: 40 % of regions have none
    pairs = eligible_pairs(scn, chunk_regions=16)
    counts = np.bincount(pairs.region, minlength=90)
    for j, r in enumerate(scn.regions):
        if scn.region_slo_ms(r) is None:
            assert counts[j] == 12
    site, region, _ = dense_filter(scn)
    np.testing.assert_array_equal(pairs.region, region)
    np.testing.assert_array_equal(pairs.site, site)


def test_eligible_pairs_are_read_only_and_frozen() -> None:
    pairs = eligible_pairs(random_us_scenario(1, 3, 5))
    assert isinstance(pairs, EligiblePairs)
    with pytest.raises(ValueError):
        pairs.rtt_ms[0] = 0.0
    with pytest.raises(AttributeError):
        pairs.site = np.zeros(1, dtype=np.int32)  # type: ignore[misc]


def test_eligible_pairs_without_regions() -> None:
    scn = make_scenario([(40.0, -100.0)], [])
    pairs = eligible_pairs(scn)
    assert len(pairs) == 0
    assert pairs.site.dtype == np.int32
    assert rtt_matrix(scn).shape == (1, 0)
    assert regions_without_site(scn, pairs) == []
    assert nearest_rtt_ms(scn).shape == (0,)


@pytest.mark.parametrize("chunk", [0, -3])
def test_eligible_pairs_rejects_bad_chunk(chunk: int) -> None:
    with pytest.raises(ValueError, match="chunk_regions"):
        eligible_pairs(random_us_scenario(1, 2, 3), chunk_regions=chunk)


def test_regions_without_site_and_nearest_rtt() -> None:
    # r1's SLO (1 ms) is below the 1.7 ms base RTT: no site can serve it.
    # r2 sits 10° from the nearest site: 1.7 + 3.74 · 10 · DEG_KM / 204 ≈ 22.1 ms > its 20 ms SLO.
    scn = make_scenario(
        [(0.0, 0.0), (0.0, 1.0)],
        [(0.0, 0.5, 10.0), (0.0, 0.5, 1.0), (0.0, -10.0, 20.0), (5.0, 5.0)],
    )
    pairs = eligible_pairs(scn, chunk_regions=3)
    assert regions_without_site(scn, pairs) == [1, 2]
    nearest = nearest_rtt_ms(scn, chunk_regions=3)
    dense = rtt_matrix(scn)
    np.testing.assert_array_equal(nearest, dense.min(axis=0))
    net = scn.network
    expected = net.base_rtt_ms + 2 * net.route_factor * 10 * DEG_KM / 204
    assert nearest[2] == pytest.approx(expected, abs=1e-9)
    index, rtt = nearest_site(scn, chunk_regions=2)
    np.testing.assert_array_equal(index, [0, 0, 0, 1])  # tie at r0 goes to site 0
    np.testing.assert_array_equal(rtt, nearest)


# ----------------------------------------------------------------------------- backbone
def test_backbone_rtt_three_nodes_by_hand(tmp_path: Path) -> None:
    # A(0,0) -- B(0,10) -- C(10,10): A→C over the backbone is 10° + 10° of great circle.
    path = write_graphml(
        tmp_path / "tiny.graphml",
        {"A": (0.0, 0.0), "B": (0.0, 10.0), "C": (10.0, 10.0)},
        [("A", "B"), ("B", "C")],
    )
    graph = load_backbone(path)
    assert graph.number_of_nodes() == 3
    assert graph["A"]["B"]["km"] == pytest.approx(10 * DEG_KM, abs=1e-9)
    assert graph["B"]["C"]["km"] == pytest.approx(10 * DEG_KM, abs=1e-9)
    net = {
        "route_factor": 2.0,
        "backbone_route_factor": 1.5,
        "base_rtt_ms": 1.0,
        "fiber_km_per_ms": 200.0,
    }
    # site s0 at (0,-1): 1° from A. r0 at (11,10): 1° from C. r1 at (0,-2): 2° from A.
    scn = make_scenario(
        [(0.0, -1.0)], [(11.0, 10.0), (0.0, -2.0)], backbone_graphml=str(path), **net
    )
    rtt = rtt_matrix(scn)
    # r0: 1 + 2 · (2·1° + 1.5·20° + 2·1°) · DEG_KM / 200 = 1 + 0.34 · 111.19508 = 38.80633 ms
    # r1: 1 + 2 · (2·1° + 0 + 2·2°) · DEG_KM / 200 = 1 + 0.06 · 111.19508 = 7.671705 ms
    expected = [[1 + 0.34 * DEG_KM, 1 + 0.06 * DEG_KM]]
    np.testing.assert_allclose(rtt, expected, rtol=1e-12)
    assert rtt[0, 0] == pytest.approx(38.80633, abs=1e-5)


def test_backbone_drops_nodes_collapses_links_and_isolates(tmp_path: Path) -> None:
    path = write_graphml(
        tmp_path / "messy.graphml",
        {"A": (0.0, 0.0), "B": (0.0, 10.0), "C": (10.0, 10.0), "X": None, "D": (-40.0, 100.0)},
        [("A", "B"), ("A", "B"), ("B", "A"), ("B", "C"), ("C", "X"), ("A", "A")],
    )
    assert isinstance(nx.read_graphml(path), nx.MultiGraph)
    with pytest.warns(UserWarning) as record:
        graph = load_backbone(path)
    messages = [str(w.message) for w in record]
    assert any("dropped 1 of 5" in m and "X-city" in m for m in messages)
    assert any("2 connected components" in m for m in messages)
    assert type(graph) is nx.Graph
    assert sorted(graph.nodes) == ["A", "B", "C", "D"]
    assert sorted(tuple(sorted(e)) for e in graph.edges) == [("A", "B"), ("B", "C")]
    assert graph.graph["dropped_nodes"] == ["X"]
    # region r1 attaches to the isolated node D: unreachable from s0, so RTT = inf, no pair
    scn = make_scenario(
        [(0.0, -1.0)],
        [(11.0, 10.0), (-41.0, 100.0)],
        backbone_graphml=str(path),
        default_slo_ms=1000.0,
    )
    with pytest.warns(UserWarning):
        rtt = rtt_matrix(scn)
    assert np.isfinite(rtt[0, 0])
    assert rtt[0, 1] == np.inf
    with pytest.warns(UserWarning):
        pairs = eligible_pairs(scn)
    assert pairs.region.tolist() == [0]
    assert regions_without_site(scn, pairs) == [1]


def test_backbone_errors(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read"):
        load_backbone(tmp_path / "missing.graphml")
    bad = tmp_path / "bad.graphml"
    bad.write_text("<graphml><graph", encoding="utf-8")
    with pytest.raises(ScenarioError, match="cannot read"):
        load_backbone(bad)
    blank = write_graphml(tmp_path / "blank.graphml", {"A": None, "B": None}, [("A", "B")])
    with pytest.raises(ScenarioError, match="no node has Latitude/Longitude"):
        load_backbone(blank)


def test_abilene_backbone() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Abilene is complete and connected: no warning
        graph = load_backbone(ABILENE)
    assert graph.number_of_nodes() == 11
    assert graph.number_of_edges() == 14
    assert nx.is_connected(graph)
    for u, v, km in graph.edges(data="km"):
        a, b = graph.nodes[u], graph.nodes[v]
        assert km == pytest.approx(great_circle((a["lat"], a["lon"]), (b["lat"], b["lon"])).km)
    scn = random_us_scenario(
        2, 15, 200, backbone_graphml=str(ABILENE), backbone_route_factor=1.2, default_slo_ms=40.0
    )
    rtt = rtt_matrix(scn)
    assert rtt.shape == (15, 200)
    assert np.all(np.isfinite(rtt))
    # Never faster than light in glass along the great circle (both route factors ≥ 1).
    s = [(x.lat, x.lon) for x in scn.sites]
    r = [(x.lat, x.lon) for x in scn.regions]
    d = distance_matrix_km(*zip(*s, strict=True), *zip(*r, strict=True))
    assert np.all(rtt >= scn.network.base_rtt_ms + 2 * d / scn.network.fiber_km_per_ms - 1e-9)
    # exact pruning over the backbone too
    pairs = eligible_pairs(scn, chunk_regions=33)
    site, region, rtt_kept = dense_filter(scn)
    np.testing.assert_array_equal(pairs.site, site)
    np.testing.assert_array_equal(pairs.region, region)
    np.testing.assert_array_equal(pairs.rtt_ms, rtt_kept)


def test_solve_over_a_backbone_is_verified_independently() -> None:
    """verify recomputes backbone RTTs with networkx and geopy alone (not the builder's code)."""
    base = random_us_scenario(
        5, 6, 40, backbone_graphml=str(ABILENE), backbone_route_factor=1.2, default_slo_ms=60.0
    )
    scn = base.model_copy(
        update={
            "regions": tuple(
                r.model_copy(update={"population": 1e5, "demand_mw": 0.5, "slo_ms": None})
                for r in base.regions
            ),
            "economics": pl.Economics(latency_penalty_usd_per_user_ms_year=1.0),
        }
    )
    result = pl.solve(scn)
    assert result.status is pl.Status.OPTIMAL
    pl.verify(scn, result)
    model_rtt = rtt_matrix(scn)
    sites, regions = scn.site_index(), scn.region_index()
    for a in result.serving:
        assert a.rtt_ms == model_rtt[sites[a.site], regions[a.region]]
    first = result.serving[0]
    nudged = first.model_copy(update={"rtt_ms": first.rtt_ms * (1 + 1e-4)})
    with pytest.raises(pl.VerificationError, match="reported RTT"):
        pl.verify(scn, result.model_copy(update={"serving": (nudged, *result.serving[1:])}))
