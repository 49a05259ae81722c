"""Independent check of a result against its scenario.

``verify`` re-derives everything from the scenario's fields and the result's decisions with
plain Python arithmetic, geopy distances and networkx paths: it shares no code with the model
builder (no ``ModelData``, no formulation, no solver object, no :mod:`placement.model.offer`),
so a bug in building or decoding the model shows up here as a violation. It raises
:class:`VerificationError` listing every violation.

* :mod:`~placement.results.verify.terms`: the menus read again (facilities, cooling
  technologies, hardware, work);
* :mod:`~placement.results.verify.latency`: RTT again (straight line or backbone);
* :mod:`~placement.results.verify.checker`: the checks;
* :mod:`~placement.results.verify.periods`: multi-period results (each period, persistence,
  discounting).
"""

from __future__ import annotations

from placement.errors import VerificationError
from placement.model.schema import Scenario
from placement.results.result import PlacementResult
from placement.results.verify.checker import FEAS_TOL, Checker
from placement.results.verify.periods import verify_periods

COST_RTOL = 1e-6

__all__ = ["COST_RTOL", "FEAS_TOL", "verify"]


def verify(scenario: Scenario, result: PlacementResult, *, rtol: float = COST_RTOL) -> None:
    """Raise :class:`VerificationError` if ``result`` breaks any rule of ``scenario``.

    A result without a solution (infeasible, no solution, error) has nothing to check and passes
    as long as it claims no decisions.
    """
    scenario = Scenario.coerce(scenario)  # a networkx graph works as in solve
    problems: list[str] = []
    if not result.ok:
        if result.open_sites or result.serving or result.training:
            problems.append(f"status {result.status.value} but the result holds decisions")
        if problems:
            raise VerificationError(problems)
        return
    if scenario.periods or result.periods:  # multi-period planning: verify/periods.py
        verify_periods(scenario, result, problems, rtol)
    else:
        Checker(scenario, result, problems).run(rtol)
    if problems:
        raise VerificationError(problems)
