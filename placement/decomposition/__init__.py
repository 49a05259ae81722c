"""Decomposition methods for the placement MILP: Lagrangian relaxation and branch and bound.

``solve_decomposition(data, time_limit=..., gap=...)`` proves optimality on models the plain
MILP cannot finish (large facility-location structure). It covers the strong formulation
(:mod:`placement.decomposition.classic`: training clusters with their ways to be built and
their cooling, power, racks, unserved demand, the share cap, site limits, the carbon cap,
existing/forbidden sites, build, lease and cloud facilities with their quotas, several
inference hardware types, a capital budget); ``unsupported_features(data)`` lists what it
does not (inference split over several cooling options, single sourcing, the add-ons) so the
caller solves the MILP and says why. A layer
between the formulations (it builds restricted MILPs) and :mod:`placement.solving`; its own
HiGHS calls (warm transport LPs, restricted MILPs) live in
:mod:`placement.decomposition.highs`.
"""

from placement.decomposition.solve import (
    DecompositionOutcome,
    solve_decomposition,
    unsupported_features,
)

__all__ = ["DecompositionOutcome", "solve_decomposition", "unsupported_features"]
