"""Operator parameters as hosts build widgets from them: whether one applies (its `enabled_if`).

`enabled_if` is the JSON form the worker describes ({"param": other, "op": one of ==, !=, in,
not in, "value": ...}); hosts grey out a widget whose condition does not hold. Values compare
equal as they are or as text, since host widgets often hold a choice as its text (Blender's enum
properties, Nuke's choice knobs).
"""
from __future__ import annotations

from typing import Any, Mapping


def _same(a: Any, b: Any) -> bool:
    return a == b or str(a) == str(b)


def holds(condition: Mapping[str, Any] | None, values: Mapping[str, Any]) -> bool:
    """Whether an `enabled_if` condition holds for the current values (none: it always does; an
    unknown op too, so a newer worker's condition never hides a parameter)."""
    if not condition:
        return True
    current, wanted, op = values.get(condition.get("param")), condition.get("value"), condition.get("op")
    if op in ("==", "!="):
        return _same(current, wanted) == (op == "==")
    if op in ("in", "not in"):
        inside = any(_same(current, v) for v in (wanted or ()))
        return inside == (op == "in")
    return True


def applies(param: Mapping[str, Any], values: Mapping[str, Any]) -> bool:
    """Whether the described parameter applies, given the other parameters' current values."""
    return holds(param.get("enabled_if"), values)
