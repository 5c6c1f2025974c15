"""Write the overlay that turns one document into another.

:func:`actions` compares a base document (the stored spec) with a target (a version's
effective spec) and returns Overlay 1.0 actions that, applied in order to the base, give
the target. The result is deterministic and minimal in the usual cases:

- a key the target lacks: one ``remove`` per object (sibling keys share a union target);
- keys added, or scalars changed: one ``update`` on their parent object;
- a list of scalars (``enum``, ``required``...) that differs: ``remove`` it, then set it
  again through the parent's ``update``, so the overlay shows the whole new list;
- a list of objects (``anyOf`` branches...) that lost items: one ``remove`` with a filter
  that selects exactly those items, or their indices when no filter tells them apart;
  one that gained items at its end: an ``update`` on the list (Overlay appends); lists
  of the same length: item by item; anything else: replaced like a list of scalars.

Children come before their parent, so the actions read from the leaves of the document
up. Each action gets a description: the one the previous overlay for the same version
gave the same action, when there was one, or a generated sentence.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import jsonpath_rfc9535

from .emit import dump, same
from .overlay import apply_overlay

Location = tuple[str | int, ...]
Action = dict[str, Any]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
VERSION_SCHEMA: Location = ("components", "schemas", "intercom_version")
STABLE_NAMES = "x-stable-names"


class OverlayWriteError(RuntimeError):
    """The actions written do not turn the base into the target (a bug here)."""


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return json.dumps(value)


def _segment(key: str | int) -> str:
    if isinstance(key, int):
        return f"[{key}]"
    return f".{key}" if _NAME.match(key) else f"[{_literal(key)}]"


def path(location: Location) -> str:
    """The RFC 9535 JSONPath of one location: ``$.components.schemas['a-b']``."""
    return "$" + "".join(_segment(step) for step in location)


def _members(location: Location, keys: Sequence[str]) -> str:
    if len(keys) == 1:
        return path((*location, keys[0]))
    return path(location) + "[" + ",".join(_literal(key) for key in keys) + "]"


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _predicate(item: Any) -> str | None:
    """A filter test that holds for ``item``, built from its scalar members (an item with
    nested members, ``{type: array, items: {...}}``, is told apart by the others)."""
    if _is_scalar(item):
        return f"@ == {_literal(item)}"
    if not isinstance(item, dict):
        return None
    scalars = {key: value for key, value in item.items() if _is_scalar(value)}
    if not scalars or len(scalars) > 3:
        return None
    tests = [f"@{_segment(key)} == {_literal(value)}" for key, value in scalars.items()]
    return " && ".join(tests) if len(tests) == 1 else "(" + " && ".join(tests) + ")"


def _removal_selector(items: list[Any], removed: list[int]) -> str:
    """A selector for exactly the items at ``removed``: a filter if one can tell them apart."""
    tests = [_predicate(items[index]) for index in removed]
    if all(test is not None for test in tests):
        selector = "[?" + " || ".join(str(test) for test in tests) + "]"
        try:
            chosen = [node.location[-1] for node in jsonpath_rfc9535.find("$" + selector, items)]
        except jsonpath_rfc9535.JSONPathError:
            chosen = []
        if sorted(chosen) == removed:
            return selector
    return "[" + ",".join(str(index) for index in removed) + "]"


def _subsequence(longer: list[Any], shorter: list[Any]) -> list[int] | None:
    """Indices of ``longer`` to drop to get ``shorter``, if it is a subsequence."""
    dropped: list[int] = []
    position = 0
    for index, item in enumerate(longer):
        if position < len(shorter) and same(item, shorter[position]):
            position += 1
        else:
            dropped.append(index)
    return dropped if position == len(shorter) else None


class _Writer:
    def __init__(self, version: str, previous_removals: Sequence[tuple[str, str]] = ()) -> None:
        self.version = version
        self.actions: list[Action] = []
        #: (target, description) of the previous overlay's removals, in its order.
        self.previous_removals = list(previous_removals)

    def add(self, kind: str, target: str, payload: Any = None, note: str = "") -> None:
        action: Action = {"target": target, "description": note}
        if kind == "remove":
            action["remove"] = True
        else:
            action["update"] = copy.deepcopy(payload)
        self.actions.append(action)

    def node(self, base: dict[str, Any], new: dict[str, Any], location: Location) -> None:
        removed = [key for key in base if key not in new]
        update: dict[str, Any] = {}
        replaced: list[str] = []
        filters: list[tuple[str, list[Any], list[int]]] = []
        appended: list[tuple[str, list[Any]]] = []
        for key, value in new.items():
            if key not in base:
                update[key] = value
                continue
            old = base[key]
            if same(old, value):
                continue
            if isinstance(old, dict) and isinstance(value, dict):
                self.node(old, value, (*location, key))
            elif isinstance(old, list) and isinstance(value, list):
                self.sequence(old, value, (*location, key), update, replaced, filters, appended)
            else:
                if isinstance(old, list):
                    replaced.append(key)
                update[key] = value
        if removed:
            self.add(
                "remove", _members(location, removed), note=self.note_removed(location, removed)
            )
        if replaced:
            note = self.note_replaced(location, replaced)
            self.add("remove", _members(location, replaced), note=note)
        if update:
            order = list(dict.fromkeys([*base, *new]))
            update = {key: update[key] for key in sorted(update, key=order.index)}
            added = all(key not in base for key in update)
            note = self.note_update(location, list(update), added)
            self.add("update", path(location), update, note)
        for key, items, dropped in filters:
            self.remove_items(location, key, items, dropped)
        for key, extra in appended:
            self.add("update", path((*location, key)), extra, f"{self.version} adds to {key}.")

    def sequence(
        self,
        old: list[Any],
        new: list[Any],
        location: Location,
        update: dict[str, Any],
        replaced: list[str],
        filters: list[tuple[str, list[Any], list[int]]],
        appended: list[tuple[str, list[Any]]],
    ) -> None:
        key = location[-1]
        assert isinstance(key, str)
        parent = location[:-1]
        if not all(_is_scalar(item) for item in (*old, *new)):
            dropped = _subsequence(old, new)
            if dropped is not None:
                filters.append((key, old, dropped))
                return
            if len(new) > len(old) and all(
                same(a, b) for a, b in zip(old, new[: len(old)], strict=True)
            ):
                appended.append((key, new[len(old) :]))
                return
            if len(new) == len(old) and all(
                isinstance(a, dict) and isinstance(b, dict) for a, b in zip(old, new, strict=True)
            ):
                for index, (a, b) in enumerate(zip(old, new, strict=True)):
                    if not same(a, b):
                        self.node(a, b, (*parent, key, index))
                return
        replaced.append(key)
        update[key] = new

    def remove_items(
        self, location: Location, key: str, items: list[Any], dropped: list[int]
    ) -> None:
        """Remove ``items[i]`` for each i in ``dropped``, through the previous overlay's
        own removals where each still selects only items to remove (their targets and
        descriptions are someone's wording), and one new removal for the rest."""
        where = path((*location, key))
        remaining = list(items)
        origin = list(range(len(items)))  # remaining[i] is items[origin[i]]
        todo = set(dropped)
        for target, note in self.previous_removals:
            if not target.startswith(where + "[") or not todo:
                continue
            try:
                found = jsonpath_rfc9535.find("$" + target[len(where) :], remaining)
            except jsonpath_rfc9535.JSONPathError:
                continue
            chosen = {node.location[-1] for node in found if len(node.location) == 1}
            if not chosen or not {origin[int(i)] for i in chosen} <= todo:
                continue
            self.add("remove", target, note=note)
            todo -= {origin[int(i)] for i in chosen}
            kept = [i for i in range(len(remaining)) if i not in chosen]
            remaining = [remaining[i] for i in kept]
            origin = [origin[i] for i in kept]
        if todo:
            rest = [i for i, original in enumerate(origin) if original in todo]
            selector = _removal_selector(remaining, rest)
            self.add("remove", where + selector, note=self.note_filter(key))

    # -- descriptions ----------------------------------------------------------------

    def note_removed(self, location: Location, keys: list[str]) -> str:
        return f"{self.version} has no {_names(keys)}."

    def note_replaced(self, location: Location, keys: list[str]) -> str:
        if location == VERSION_SCHEMA and keys == ["enum"]:
            return "Replaced below by the values this version lists."
        return f"Replaced below by what {self.version} lists for {_names(keys)}."

    def note_update(self, location: Location, keys: list[str], added: bool) -> str:
        if location == ("info",) and keys == ["version"]:
            return f"This document describes Intercom-Version {self.version}."
        if len(location) == 5 and location[3] == STABLE_NAMES:
            return f"In {self.version}, what carries the stable {location[4]} names."
        if location == VERSION_SCHEMA and set(keys) <= {"enum", "default", "example"}:
            return f"The header values {self.version} lists, and {self.version} as the default."
        if added:
            return f"{self.version} also has {_names(keys, 'and')}."
        return f"What {self.version} has for {_names(keys, 'and')}."

    def note_filter(self, key: str) -> str:
        return f"{self.version} does not have these {key} items."


def _names(keys: list[str], last: str = "or") -> str:
    if len(keys) == 1:
        return keys[0]
    return ", ".join(keys[:-1]) + f" {last} " + keys[-1]


def actions(
    base: Mapping[str, Any],
    target: Mapping[str, Any],
    version: str,
    previous: Mapping[str, Any] | None = None,
) -> list[Action]:
    """The actions turning ``base`` into ``target``; descriptions kept from ``previous``."""
    kept: dict[tuple[str, str], str] = {}
    removals: list[tuple[str, str]] = []
    for action in (previous or {}).get("actions") or []:
        kind = "remove" if action.get("remove") else "update"
        note = action.get("description")
        if isinstance(note, str):
            kept.setdefault((kind, str(action.get("target"))), note)
        if kind == "remove" and isinstance(action.get("target"), str):
            removals.append((action["target"], note if isinstance(note, str) else ""))
    writer = _Writer(version, removals)
    writer.node(dict(base), dict(target), ())
    for action in writer.actions:
        kind = "remove" if action.get("remove") else "update"
        action["description"] = kept.get((kind, action["target"]), action["description"])
    return writer.actions


def overlay_document(
    base: Mapping[str, Any],
    target: Mapping[str, Any],
    version: str,
    previous: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An Overlay 1.0 document for ``version``: applied to ``base``, it gives ``target``."""
    document = {
        "overlay": "1.0.0",
        "info": {"title": f"Intercom-Version {version}", "version": "1.0.0"},
        "extends": "../openapi.yaml",
        "actions": actions(base, target, version, previous),
    }
    if not same(apply_overlay(base, document), _plain(target)):
        raise OverlayWriteError(f"the overlay written for {version} does not reproduce it")
    return document


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def overlay_text(
    base: Mapping[str, Any],
    target: Mapping[str, Any],
    version: str,
    previous: Mapping[str, Any] | None = None,
) -> str:
    """The overlay file for ``version``, as the importer writes it."""
    document = overlay_document(base, target, version, previous)
    comments = {
        "overlay": [
            f"# Intercom-Version {version}: how its contract differs from openapi.yaml.",
            "# Written by `nox -s import_spec`, which keeps these action descriptions.",
        ]
    }
    return dump(document, comments, unfolded={"target"})
