"""Reading problems: one scenario loader, and OR-Library capacitated facility-location files.

Scenario YAML/JSON files are read by :meth:`placement.Scenario.from_file` (through
:func:`load_scenario`, which also takes bundled dataset names); results are written by
:meth:`placement.PlacementResult.to_json`.
"""

from placement.io.loader import BUNDLED_NAMES, load_scenario
from placement.io.orlib import read_orlib_cflp, read_orlib_optima

__all__ = ["BUNDLED_NAMES", "load_scenario", "read_orlib_cflp", "read_orlib_optima"]
