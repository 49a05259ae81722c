"""Errors raised on bad input. Infeasibility is never an exception: it is a result status."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError


class PlacementError(Exception):
    """Base class of every error this package raises on purpose."""


class ScenarioError(PlacementError, ValueError):
    """A scenario (file or object) is invalid; the message names field, value and rule."""

    @classmethod
    def from_validation(cls, exc: ValidationError, source: str = "scenario") -> ScenarioError:
        errors = exc.errors()
        problems = [_describe(err) for err in errors if not _echo_of_item_error(err, errors)]
        head = f"{source}: {len(problems)} problem(s) in the scenario"
        return cls(head + ":\n" + "\n".join(f"  - {p}" for p in problems))


class VerificationError(PlacementError, AssertionError):
    """A result violates a constraint of its scenario or misstates its objective."""

    def __init__(self, violations: list[str]):
        self.violations = violations
        shown = "\n".join(f"  - {v}" for v in violations[:20])
        more = f"\n  ... and {len(violations) - 20} more" if len(violations) > 20 else ""
        super().__init__(f"{len(violations)} violation(s):\n{shown}{more}")


class SolverOptionError(PlacementError, ValueError):
    """An unknown formulation, solver or an invalid limit was requested."""


def _echo_of_item_error(err: dict[str, Any], errors: list[dict[str, Any]]) -> bool:
    """A list's "too short" that only counts the items already reported as invalid."""
    if err.get("type") != "too_short":
        return False
    loc = tuple(err.get("loc", ()))
    return any(tuple(o.get("loc", ()))[: len(loc)] == loc and o is not err for o in errors)


def _describe(err: dict[str, Any]) -> str:
    location = _format_location(err.get("loc", ()))
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        return f"{location}: unknown field (value {_short(err.get('input'))}); remove or rename it"
    if kind == "missing":
        parent = err.get("input")
        loc = err.get("loc", ())
        if loc and loc[0] == "sites" and isinstance(parent, dict):
            named = f" (site {parent['id']!r})" if "id" in parent else ""
            top_level = len(loc) == 3 and loc[-1] not in ("id", "lat", "lon", "power_mw")
            hint = "; state it on the site " if top_level else ""
            hint += "or for every site in site_defaults" if hint else ""
            return f"{location}: required field is missing{named}{hint}"
        return f"{location}: required field is missing"
    message = err.get("msg", "invalid")
    message = message.removeprefix("Value error, ")
    if location == "scenario":  # a whole-scenario rule: its message names the fields
        return message
    value = err.get("input")
    if _named_field(message, value) is not None:  # a validator naming one of its fields
        named = f" (id {value['id']!r})" if "id" in value else ""
        head, _, rest = message.partition(": ")
        missing = "required field is missing"
        if rest.startswith(missing) and _loc_is_site(err) and "id" in value:
            return f"{location}.{head}: {missing} (site {value['id']!r}){rest[len(missing) :]}"
        return f"{location}.{head}{named}: {rest}" if location != "scenario" else message
    if isinstance(value, dict) and "id" in value:  # a whole record: name it, do not dump it
        return f"{location} (id {value['id']!r}): {message}"
    return f"{location} = {_short(value)}: {message}"


def _loc_is_site(err: dict[str, Any]) -> bool:
    loc = err.get("loc", ())
    return bool(loc) and loc[0] == "sites"


def _named_field(message: str, value: Any) -> str | None:
    """The field a validator's message starts with (``power_mw: …``), if the object has it."""
    head, sep, _ = message.partition(": ")
    if sep and isinstance(value, dict) and head.isidentifier():
        return head
    return None


def _format_location(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "scenario"


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
