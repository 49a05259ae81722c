"""The domain model: what a placement problem is, before any solver sees it.

:mod:`~placement.model.schema` (the validated scenario), :mod:`~placement.model.geodesy`
(distances), :mod:`~placement.model.backbone` and :mod:`~placement.model.latency` (RTT),
:mod:`~placement.model.pairs` (exact SLO pruning), :mod:`~placement.model.economics` (the domain
rules: cooling, eligibility, cost per MW), :mod:`~placement.model.data` (the numpy arrays a
formulation sees) and :mod:`~placement.model.diagnose` (infeasibility seen before solving).
"""
