"""Apply OpenAPI Overlay 1.0 documents (https://spec.openapis.org/overlay/v1.0.0).

Targets are RFC 9535 JSONPath queries, evaluated by ``jsonpath_rfc9535``. Actions run in
order; each one sees the document as the previous actions left it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import jsonpath_rfc9535


class OverlayError(ValueError):
    """An overlay document is malformed or one of its actions cannot be applied."""


def merge(target: Any, update: Any) -> Any:
    """Merge ``update`` into ``target`` as Overlay 1.0 prescribes.

    Objects merge key by key (recursively), arrays get the update's items appended, and
    any other value is replaced.
    """
    if isinstance(target, dict) and isinstance(update, Mapping):
        for key, value in update.items():
            target[key] = merge(target[key], value) if key in target else copy.deepcopy(value)
        return target
    if isinstance(target, list):
        items = update if isinstance(update, list) else [update]
        target.extend(copy.deepcopy(items))
        return target
    return copy.deepcopy(update)


def _parent(document: Any, location: tuple[str | int, ...]) -> Any:
    node = document
    for step in location[:-1]:
        node = node[step]
    return node


def _location_order(node: jsonpath_rfc9535.JSONPathNode) -> tuple[tuple[int, int, str], ...]:
    return tuple((0, step, "") if isinstance(step, int) else (1, 0, step) for step in node.location)


def apply_overlay(document: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of ``document`` with every action of ``overlay`` applied."""
    if not str(overlay.get("overlay", "")).startswith("1."):
        raise OverlayError("not an Overlay 1.x document (missing or unknown 'overlay' field)")
    result: dict[str, Any] = copy.deepcopy(dict(document))
    for number, action in enumerate(overlay.get("actions") or [], start=1):
        target = action.get("target")
        if not isinstance(target, str):
            raise OverlayError(f"action {number} has no target")
        try:
            nodes = jsonpath_rfc9535.find(target, result)
        except jsonpath_rfc9535.JSONPathError as exc:
            raise OverlayError(f"action {number}: bad target {target!r}: {exc}") from exc
        if not nodes:
            raise OverlayError(f"action {number}: target {target!r} selects nothing")
        if action.get("remove"):
            # Delete from the back so earlier array indices stay valid.
            for node in sorted(nodes, key=_location_order, reverse=True):
                if not node.location:
                    raise OverlayError(f"action {number}: cannot remove the document root")
                del _parent(result, node.location)[node.location[-1]]
        elif "update" in action:
            for node in nodes:
                if not isinstance(node.value, (dict, list)):
                    raise OverlayError(f"action {number}: {target!r} selects a scalar")
                merge(node.value, action["update"])
        else:
            raise OverlayError(f"action {number} neither updates nor removes")
    return result
