"""The ``placement`` command line: ``solve``, ``validate``, ``example``, ``schema`` (main) and
``batch``, ``pareto`` (batch)."""

from placement.cli.app import main

__all__ = ["main"]
