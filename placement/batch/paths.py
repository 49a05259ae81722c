"""Dotted paths into a scenario's plain-data form, e.g. ``sites.*.energy_price_usd_per_mwh``.

A path is a chain of segments separated by dots. On a mapping a segment names a key. On a list
(``sites``, ``regions``, ``training``) a segment is ``*`` (every element, optionally filtered by
a ``where`` selector), an element's ``id``, or a position (``0``, ``1``, …). A segment in square
brackets is taken literally, so ids holding dots stay reachable: ``sites[dc.east].power_mw``.

Every error names the path, the segment that failed and the rule it broke.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from placement.errors import PlacementError

_SEGMENT = re.compile(r"\[([^\]]*)\]|([^.\[\]]+)")


class PortfolioError(PlacementError, ValueError):
    """A portfolio spec is invalid; the message names the field, the value and the rule."""


@dataclass(frozen=True)
class Target:
    """One leaf a path reaches: ``container[key]``, with a readable location."""

    container: dict[str, Any]
    key: str
    where: str

    @property
    def value(self) -> Any:
        return self.container[self.key]


def split_path(path: str, field: str) -> list[str]:
    """Segments of a dotted path; ``field`` names the spec field for error messages."""
    if not isinstance(path, str) or not path.strip():
        raise PortfolioError(f"{field} = {path!r}: a path must be a non-empty dotted string")
    segments: list[str] = []
    position = 0
    text = path.strip()
    while position < len(text):
        match = _SEGMENT.match(text, position)
        if match is None:
            raise PortfolioError(
                f"{field} = {path!r}: cannot read a segment at character {position + 1}; "
                "write segments separated by dots, e.g. sites.*.energy_price_usd_per_mwh"
            )
        segments.append(match.group(1) if match.group(1) is not None else match.group(2))
        position = match.end()
        if position < len(text):
            if text[position] == ".":
                position += 1
            elif text[position] != "[":
                raise PortfolioError(f"{field} = {path!r}: unexpected {text[position]!r}")
    return segments


def resolve(
    data: dict[str, Any],
    path: str,
    field: str,
    where: Mapping[str, Any] | None = None,
    where_field: str | None = None,
) -> list[Target]:
    """Every leaf ``path`` reaches in ``data`` (a scenario's ``to_dict()``).

    ``field`` names the spec field holding the path, ``where_field`` the one holding the
    selector (both only for error messages).
    """
    segments = split_path(path, field)
    where_field = where_field or f"{field}.where"
    if where and "*" not in segments:
        raise PortfolioError(
            f"{where_field} = {dict(where)!r}: a selector needs a '*' in the path "
            f"{path!r} to choose elements from"
        )
    nodes: list[tuple[Any, str]] = [(data, "")]
    for depth, segment in enumerate(segments):
        last = depth == len(segments) - 1
        next_nodes: list[tuple[Any, str]] = []
        targets: list[Target] = []
        for node, trail in nodes:
            if isinstance(node, dict):
                if segment not in node:
                    known = ", ".join(sorted(node)) or "none"
                    raise PortfolioError(
                        f"{field} = {path!r}: {segment!r} is not a field of "
                        f"{trail or 'the scenario'} (known: {known})"
                    )
                here = f"{trail}.{segment}" if trail else segment
                if last:
                    targets.append(Target(node, segment, here))
                else:
                    next_nodes.append((node[segment], here))
            elif isinstance(node, list):
                if last:
                    raise PortfolioError(
                        f"{field} = {path!r}: the path ends on a list element of {trail}; "
                        "name a field of the element, e.g. sites.*.power_mw"
                    )
                chosen = _select(node, segment, trail, path, field, where, where_field)
                next_nodes.extend(chosen)
            else:
                raise PortfolioError(
                    f"{field} = {path!r}: {trail} is a value ({node!r}), it has no "
                    f"field {segment!r}"
                )
        if last:
            return targets
        nodes = next_nodes
    return []


def _select(
    items: list[Any],
    segment: str,
    trail: str,
    path: str,
    field: str,
    where: Mapping[str, Any] | None,
    where_field: str,
) -> list[tuple[Any, str]]:
    if segment == "*":
        picked = [(item, f"{trail}[{_label(item, n)}]") for n, item in enumerate(items)]
        if where:
            picked = [(i, t) for i, t in picked if _matches(i, where, where_field, trail)]
            if not picked:
                raise PortfolioError(
                    f"{where_field} = {dict(where)!r}: matches no element of {trail}; "
                    "a selector must pick at least one"
                )
        return picked
    by_id = [(n, item) for n, item in enumerate(items) if _id(item) == segment]
    if by_id:
        n, item = by_id[0]
        return [(item, f"{trail}[{segment}]")]
    if segment.isdigit() and int(segment) < len(items):
        n = int(segment)
        return [(items[n], f"{trail}[{n}]")]
    ids = [i for i in (_id(x) for x in items) if i is not None]
    hint = f"ids: {', '.join(ids[:8])}{', …' if len(ids) > 8 else ''}" if ids else "no ids"
    raise PortfolioError(
        f"{field} = {path!r}: {segment!r} is neither '*', an id nor a position in "
        f"{trail} ({len(items)} elements; {hint})"
    )


def _matches(item: Any, where: Mapping[str, Any], field: str, trail: str) -> bool:
    if not isinstance(item, dict):
        raise PortfolioError(f"{field}: elements of {trail} are not records")
    for key, wanted in where.items():
        if key not in item:
            known = ", ".join(sorted(item))
            raise PortfolioError(
                f"{field}.{key}: {key!r} is not a field of {trail} elements (known: {known})"
            )
        allowed = wanted if isinstance(wanted, list | tuple | set) else [wanted]
        if item[key] not in allowed:
            return False
    return True


def _id(item: Any) -> str | None:
    return item.get("id") if isinstance(item, dict) else None


def _label(item: Any, n: int) -> str:
    return _id(item) or str(n)
