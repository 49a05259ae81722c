"""Bundled datasets: ready-made scenarios built only from public data shipped in ``data/``.

    import placement as pl
    scn = pl.datasets.us_default()   # 53 US sites, 3,143 counties
    small = pl.datasets.us_small()   # 13 sites, the 150 most populous counties
    plan = pl.datasets.us_default_growth()  # the default over 2026–2030, demand +15 %/yr

Sources, licence and every assumption: ``data/README.md`` (``data_dir() / "README.md"``).
"""

from pathlib import Path

from placement.datasets.us import (
    DataGapWarning,
    build_us_scenario,
    data_dir,
    site_records,
    us_default,
    us_small,
)
from placement.datasets.us_growth import us_default_growth, us_small_growth


def orlib_path(name: str) -> Path:
    """The bundled OR-Library file ``name`` (``"cap41"`` or ``"cap41.txt"``), wherever the
    package is installed: ``pl.io.read_orlib_cflp(pl.datasets.orlib_path("cap41"))``."""
    path = data_dir() / "orlib" / (name if name.endswith(".txt") else f"{name}.txt")
    if not path.is_file():
        raise FileNotFoundError(f"{name!r}: no such bundled OR-Library file (cap41 … cap134)")
    return path


__all__ = [
    "DataGapWarning",
    "build_us_scenario",
    "data_dir",
    "orlib_path",
    "site_records",
    "us_default",
    "us_default_growth",
    "us_small",
    "us_small_growth",
]
