"""Reading problems: OR-Library capacitated facility-location files.

Scenario YAML/JSON files are read by :meth:`placement.Scenario.from_file`; results are written by
:meth:`placement.PlacementResult.to_json`.
"""

from placement.io.orlib import read_orlib_cflp, read_orlib_optima

__all__ = ["read_orlib_cflp", "read_orlib_optima"]
