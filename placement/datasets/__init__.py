"""Bundled datasets: ready-made scenarios built only from public data shipped in ``data/``.

    import placement as pl
    scn = pl.datasets.us_default()   # 53 US sites, 3,143 counties
    small = pl.datasets.us_small()   # 13 sites, the 150 most populous counties

Sources, licence and every assumption: ``data/README.md`` (``data_dir() / "README.md"``).
"""

from placement.datasets.us import (
    DataGapWarning,
    build_us_scenario,
    data_dir,
    site_records,
    us_default,
    us_small,
)

__all__ = [
    "DataGapWarning",
    "build_us_scenario",
    "data_dir",
    "site_records",
    "us_default",
    "us_small",
]
