"""The ``placement`` command line: ``solve``, ``validate``, ``example``, ``schema`` (main) and
``batch``, ``pareto`` (batch)."""

from __future__ import annotations

import os
import sys
from typing import NoReturn

from placement.cli.app import main

__all__ = ["main", "run"]


def run() -> NoReturn:
    """The console script: :func:`main`, then exit with its code.

    A HiGHS run left behind at its deadline (see :mod:`placement.milp.highs`) would hold the
    exit until it reaches its next interrupt point, after the answer is already written; the
    command line exits at once instead (the library waits, it cannot know the caller is done).
    """
    code = main()
    from placement.milp import watchdog

    if watchdog.left_behind():
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
