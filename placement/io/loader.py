"""One way in: a scenario from a file, a bundled dataset name, or a Scenario object.

Every entry point (``placement.solve`` scripts, ``placement solve``/``validate``, ``batch`` and
``pareto``) reads scenarios through :func:`load_scenario`, so they accept the same spellings:

* a :class:`~placement.Scenario` (returned as is);
* a scenario file: ``.yaml``/``.yml``/``.json`` (:meth:`Scenario.from_file`) or an OR-Library
  ``cap*.txt`` file (:func:`placement.io.read_orlib_cflp`), relative to ``root``;
* a bundled dataset: ``us_default``, ``us_small``, or the same with a ``bundled:`` prefix (a
  bare name means the dataset unless a *file* of that name exists; a folder does not count,
  so ``placement solve us_small --out us_small`` works twice);
* nothing (None): the bundled default, ``us_default``.

A name that is neither a file nor a bundled dataset gets a suggestion of the nearest bundled
name. Every problem raises :class:`~placement.errors.ScenarioError` naming the source.
"""

from __future__ import annotations

import difflib
import importlib
import os
from collections.abc import Callable
from pathlib import Path

from placement.errors import ScenarioError
from placement.io.orlib import read_orlib_cflp
from placement.model.schema import Scenario

BUNDLED_PREFIX = "bundled:"
BUNDLED_NAMES: tuple[str, ...] = ("us_default", "us_small", "us_default_growth", "us_small_growth")
"""The bundled datasets (functions of :mod:`placement.datasets`)."""
DEFAULT_DATASET = "us_default"
SCENARIO_SUFFIXES = (".yaml", ".yml", ".json")
ORLIB_SUFFIX = ".txt"

ScenarioSource = Scenario | str | os.PathLike[str] | None


def load_scenario(source: ScenarioSource = None, *, root: str | os.PathLike[str] = ".") -> Scenario:
    """The scenario ``source`` names (see the module docstring); files relative to ``root``."""
    if isinstance(source, Scenario):
        return source
    if source is None:
        return bundled(DEFAULT_DATASET)
    text = os.fspath(source)
    if text.startswith(BUNDLED_PREFIX):
        return bundled(text.removeprefix(BUNDLED_PREFIX), spelled=text)
    path = Path(text).expanduser()
    path = path if path.is_absolute() else Path(root) / path
    if text in BUNDLED_NAMES and not path.is_file():
        return bundled(text)
    if not path.exists():
        raise ScenarioError(_missing(text, path))
    return _read_file(path)


def bundled(name: str, *, spelled: str | None = None) -> Scenario:
    """The bundled dataset ``name`` (one of ``BUNDLED_NAMES``)."""
    if name not in BUNDLED_NAMES:
        shown = spelled or name
        hint = _suggestion(name)
        raise ScenarioError(
            f"{shown!r}: unknown bundled scenario{hint}; the bundled ones are "
            + ", ".join(BUNDLED_NAMES)
            + f" (also spelled {BUNDLED_PREFIX}NAME)"
        )
    return _dataset_loader(name)()


def _dataset_loader(name: str) -> Callable[[], Scenario]:
    try:
        return getattr(importlib.import_module("placement.datasets"), name)
    except (ImportError, AttributeError):
        raise ScenarioError(
            f"the bundled dataset {name!r} is not available in this installation; "
            "give a scenario file (see 'placement example' and 'placement schema')"
        ) from None


def _read_file(path: Path) -> Scenario:
    if path.is_dir():
        raise ScenarioError(f"{path}: is a folder; give a scenario file (.yaml, .yml or .json)")
    try:
        if path.suffix.lower() == ORLIB_SUFFIX:
            return read_orlib_cflp(path)
        return Scenario.from_file(path)
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            f"{path}: not a UTF-8 text file (byte {exc.start}: {exc.reason}); "
            "a scenario is YAML or JSON text"
        ) from None
    except RecursionError:
        raise ScenarioError(f"{path}: nested too deeply to be a scenario") from None


def _missing(text: str, path: Path) -> str:
    hint = _suggestion(text)
    if hint or Path(text).suffix.lower() not in (*SCENARIO_SUFFIXES, ORLIB_SUFFIX):
        return (
            f"{text!r}: no such file and no bundled scenario of that name{hint}; give a "
            f"scenario file (.yaml, .yml, .json or OR-Library .txt) or one of "
            + ", ".join(BUNDLED_NAMES)
        )
    return f"{path}: cannot read scenario file (no such file)"


def _suggestion(text: str) -> str:
    stem = Path(text.removeprefix(BUNDLED_PREFIX)).stem
    close = difflib.get_close_matches(stem, BUNDLED_NAMES, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
