"""Why the answer is what it is: each decision against the alternatives it beat.

The model's own coefficients (:mod:`placement.model.data`) price every alternative the solver
had, so a report can say what a choice cost and what the next best would have cost. The
comparison is *marginal*: a variable's running cost (build, cooling, hardware, lease or cloud,
energy and carbon per year, and for inference the latency penalty), without fixed site and
installation costs, which a single alternative does not decide.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from placement.model.data import ModelData, PairArrays
from placement.results.result import PlacementResult


@dataclass(frozen=True)
class TrainingExplanation:
    """A cluster's choice and the cheapest alternatives it beat, USD per year."""

    cluster: str
    site: str
    financing: str
    option: str
    option_name: str
    cooling: str
    gpus: int
    it_mw: float
    rack_density_kw: float
    pue: float
    cost: float  # running cost of the choice
    alternative_site: str | None  # site id of the cheapest choice at another site
    alternative_site_how: str | None  # its option and cooling, "gb200, direct_to_chip"
    alternative_site_cost: float | None
    alternative_option: str | None  # the cheapest other way to build it (any site)
    alternative_option_site: str | None  # where that is cheapest (site id)
    alternative_option_cost: float | None


@dataclass(frozen=True)
class InferenceGroup:
    """Inference served on one hardware type under one financing mode."""

    hardware: str
    financing: str
    it_mw: float
    units: float
    work: float
    sites: tuple[str, ...]
    cost: float  # running cost of the assignments, incl. the latency penalty
    alternative_cost: float  # the same regions on their best other hardware or financing


def facility_index(data: ModelData) -> dict[tuple[str, str], int]:
    """(site id, financing mode) → facility index."""
    ids = [s.id for s in data.scenario.sites]
    return {
        (ids[i], str(m)): f
        for f, (i, m) in enumerate(zip(data.sites.site.tolist(), data.sites.mode, strict=True))
    }


def explain_training(data: ModelData, result: PlacementResult) -> list[TrainingExplanation]:
    """One explanation per placed cluster (clusters in scenario order)."""
    tr = data.training
    facilities = facility_index(data)
    site_ids = [s.id for s in data.scenario.sites]
    technology = data.cooling.technology
    out = []
    for k, cluster in enumerate(data.scenario.training):
        choice = result.training_choices.get(cluster.id)
        if choice is None:
            continue
        f = facilities.get((choice.site, choice.financing))
        mine = np.flatnonzero(
            (tr.other == k)
            & (tr.site == f)
            & (np.array([data.training_options[o].id for o in tr.option]) == choice.option)
            & (technology[tr.tech] == choice.cooling)
        )
        if mine.size == 0:
            continue
        p = int(mine[0])
        option = data.training_options[int(tr.option[p])]
        cost = tr.cost
        ours = tr.other == k
        other_site = ours & (data.sites.site[tr.site] != data.sites.site[f])
        other_option = ours & (tr.option != tr.option[p])
        alt_site = _cheapest(cost, other_site)
        alt_option = _cheapest(cost, other_option)
        out.append(
            TrainingExplanation(
                cluster=cluster.id,
                site=choice.site,
                financing=choice.financing,
                option=option.id,
                option_name=option.name or option.id,
                cooling=choice.cooling,
                gpus=option.gpus,
                it_mw=option.it_mw,
                rack_density_kw=option.rack_density_kw,
                pue=float(tr.facility_mw[p] / tr.it_mw[p]),
                cost=float(cost[p]),
                alternative_site=None
                if alt_site is None
                else site_ids[data.sites.site[tr.site[alt_site]]],
                alternative_site_how=None
                if alt_site is None
                else f"{data.training_options[int(tr.option[alt_site])].id}, "
                f"{technology[tr.tech[alt_site]]}",
                alternative_site_cost=None if alt_site is None else float(cost[alt_site]),
                alternative_option=None
                if alt_option is None
                else data.training_options[int(tr.option[alt_option])].id,
                alternative_option_site=None
                if alt_option is None
                else site_ids[data.sites.site[tr.site[alt_option]]],
                alternative_option_cost=None if alt_option is None else float(cost[alt_option]),
            )
        )
    return out


def explain_inference(data: ModelData, result: PlacementResult) -> list[InferenceGroup]:
    """Inference by (hardware, financing), with what serving the same regions otherwise cost."""
    sv = data.serving
    if len(sv) == 0 or not result.serving:
        return []
    chosen = _serving_pairs_of(data, result)
    best_alt = _best_alternative(data, sv)
    groups: dict[tuple[str, str], dict] = defaultdict(
        lambda: {"mw": 0.0, "units": 0.0, "work": 0.0, "sites": set(), "cost": 0.0, "alt": 0.0}
    )
    hardware = data.hardware_ids
    cost = sv.cost  # a property that sums nine arrays: once, not per assignment
    for a, q in zip(result.serving, chosen, strict=True):
        g = groups[(a.hardware, a.financing)]
        g["mw"] += a.mw
        g["units"] += a.units
        g["work"] += a.share * data.region_work[int(sv.other[q])] if q >= 0 else 0.0
        g["sites"].add(a.site)
        if q >= 0:
            g["cost"] += a.share * float(cost[q])
            alt = best_alt[q]
            g["alt"] += a.share * float(cost[alt] if alt >= 0 else cost[q])
    return [
        InferenceGroup(
            hardware=hw,
            financing=mode,
            it_mw=g["mw"],
            units=g["units"],
            work=g["work"],
            sites=tuple(sorted(g["sites"])),
            cost=g["cost"],
            alternative_cost=g["alt"],
        )
        for (hw, mode), g in sorted(
            groups.items(), key=lambda item: (-item[1]["mw"], hardware.index(item[0][0]))
        )
    ]


def _serving_pairs_of(data: ModelData, result: PlacementResult) -> np.ndarray:
    """The serving pair of each assignment (−1 if none matches)."""
    sv = data.serving
    n_r, n_h = max(data.n_regions, 1), max(len(data.hardware_ids), 1)
    keys = (sv.site * n_r + sv.other) * n_h + sv.option
    order = np.argsort(keys)
    facilities = facility_index(data)
    regions = data.scenario.region_index()
    hw = {h: k for k, h in enumerate(data.hardware_ids)}
    wanted = np.array(
        [
            (facilities.get((a.site, a.financing), -1) * n_r + regions.get(a.region, 0)) * n_h
            + hw.get(a.hardware, 0)
            for a in result.serving
        ],
        dtype=np.int64,
    )
    pos = np.searchsorted(keys[order], wanted)
    pos = np.minimum(pos, keys.size - 1)
    found = keys[order][pos] == wanted
    return np.where(found, order[pos], -1)


def _best_alternative(data: ModelData, sv: PairArrays) -> np.ndarray:
    """For every serving pair, the cheapest pair of its region with other hardware or another
    financing mode (−1: none)."""
    mode = np.unique(data.sites.mode, return_inverse=True)[1][sv.site]
    kind = sv.option * 8 + mode  # (hardware, financing) as one key
    out = np.full(len(sv), -1, dtype=np.int64)
    order = np.lexsort((sv.cost, sv.other))
    region_sorted = sv.other[order]
    starts = np.flatnonzero(np.r_[True, region_sorted[1:] != region_sorted[:-1]])
    ends = np.r_[starts[1:], region_sorted.size]
    for lo, hi in zip(starts.tolist(), ends.tolist(), strict=True):
        block = order[lo:hi]  # the region's pairs, cheapest first
        kinds = kind[block]
        first_kind = kinds[0]
        other = np.flatnonzero(kinds != first_kind)
        cheapest_other = block[other[0]] if other.size else -1
        # cheapest pair of another kind, for pairs of the first kind; else the first pair
        out[block] = np.where(kinds == first_kind, cheapest_other, block[0])
    return out


def _cheapest(cost: np.ndarray, mask: np.ndarray) -> int | None:
    if not mask.any():
        return None
    candidates = np.flatnonzero(mask)
    return int(candidates[np.argmin(cost[candidates])])
