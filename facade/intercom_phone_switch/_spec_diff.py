"""A semantic diff of two versions' contracts, from the point of view of a client.

Prose is ignored; what a client sends and what it gets back is compared: operations,
parameters, the request body, response statuses and media types, and every schema
reached from them (fields, types, enums, required fields, formats, patterns), following
``$ref`` on both sides. Each change is marked breaking when code written against the
older contract can fail against the newer one (CONTRIBUTING.md, "Adding an Intercom version"):

- in what the client sends (parameters, request body), whatever the API accepts less of
  breaks: an operation, parameter, field, value, type or media type gone, a new required
  parameter or field, a narrower type, a format or pattern where there was none or
  another one, other fields refused;
- in what the client gets back (responses), whatever may arrive that did not before
  breaks: a new status or media type, a new enum value or type (null included), a field
  gone or no longer guaranteed, a format or pattern dropped or changed, other fields
  allowed, and a new field where other fields were refused.

What only narrows what may arrive (a status, media type, enum value or type gone, a
field now guaranteed, a format or pattern added) and what only widens what is accepted
does not break; nor does a changed default.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

from ._pointer import HTTP_METHODS, resolve

Direction = Literal["request", "response"]
_NONE = object()


@dataclass(frozen=True)
class Change:
    #: Where: "request body: custom_attributes.*", "response 200: url", "header X".
    location: str
    #: What: "field added", "type narrowed", "enum widened", "status removed"...
    change: str
    #: The values concerned, for a reader.
    detail: str
    #: True when a client written against the older contract can break.
    breaking: bool
    direction: Direction

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _resolve(node: Any, document: Mapping[str, Any]) -> Any:
    return resolve(node, document, {})


def _names(values: list[Any]) -> str:
    return ", ".join(str(value) for value in values)


class _Differ:
    def __init__(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        self.old, self.new = old, new
        self.changes: list[Change] = []
        self.seen: set[tuple[int, int, str]] = set()

    def add(self, location: str, change: str, detail: str, breaking: bool, way: Direction) -> None:
        self.changes.append(Change(location, change, detail, breaking, way))

    # -- operations --------------------------------------------------------------------

    def operations(self) -> None:
        old, new = _operations(self.old), _operations(self.new)
        prefix = len(old | new) > 1
        for key in old:
            if key not in new:
                self.add(_op_name(key), "operation removed", "", True, "request")
        for key in new:
            if key not in old:
                self.add(_op_name(key), "operation added", "", False, "request")
        for key in old:
            if key in new:
                self.operation(old[key], new[key], _op_name(key) + " " if prefix else "")

    def operation(self, old: Mapping[str, Any], new: Mapping[str, Any], prefix: str) -> None:
        self.parameters(old, new, prefix)
        self.request_body(old, new, prefix)
        self.responses(old, new, prefix)

    def parameters(self, old: Mapping[str, Any], new: Mapping[str, Any], prefix: str) -> None:
        def table(op: Mapping[str, Any], doc: Mapping[str, Any]) -> dict[tuple[str, str], Any]:
            found = {}
            for parameter in op.get("parameters") or []:
                resolved = _resolve(parameter, doc)
                found[(str(resolved.get("in")), str(resolved.get("name")))] = resolved
            return found

        before, after = table(old, self.old), table(new, self.new)
        for key, parameter in before.items():
            where = f"{prefix}{key[0]} {key[1]}"
            if key not in after:
                self.add(where, "parameter removed", "", True, "request")
                continue
            other = after[key]
            was, now = bool(parameter.get("required")), bool(other.get("required"))
            if was != now:
                change = "became required" if now else "became optional"
                self.add(where, change, "", now, "request")
            self.schema(parameter.get("schema", {}), other.get("schema", {}), where, "request")
        for key, parameter in after.items():
            if key not in before:
                required = bool(parameter.get("required"))
                detail = "required" if required else "optional"
                self.add(
                    f"{prefix}{key[0]} {key[1]}", "parameter added", detail, required, "request"
                )

    def request_body(self, old: Mapping[str, Any], new: Mapping[str, Any], prefix: str) -> None:
        where = f"{prefix}request body"
        before = _resolve(old.get("requestBody"), self.old)
        after = _resolve(new.get("requestBody"), self.new)
        if before is None and after is None:
            return
        if before is None:
            required = bool(after.get("required"))
            self.add(where, "added", "required" if required else "optional", required, "request")
            return
        if after is None:
            self.add(where, "removed", "", True, "request")
            return
        was, now = bool(before.get("required")), bool(after.get("required"))
        if was != now:
            self.add(where, "became required" if now else "became optional", "", now, "request")
        self.content(before, after, where, "request")

    def responses(self, old: Mapping[str, Any], new: Mapping[str, Any], prefix: str) -> None:
        before = {str(status): answer for status, answer in (old.get("responses") or {}).items()}
        after = {str(status): answer for status, answer in (new.get("responses") or {}).items()}
        # A status that may come where it could not before is new to a client's code; one
        # that no longer comes asks nothing of it.
        for status in before:
            if status not in after:
                self.add(f"{prefix}response {status}", "status removed", "", False, "response")
        for status in after:
            if status not in before:
                self.add(f"{prefix}response {status}", "status added", "", True, "response")
        for status, answer in before.items():
            if status in after:
                where = f"{prefix}response {status}"
                old_answer = _resolve(answer, self.old)
                new_answer = _resolve(after[status], self.new)
                self.content(old_answer, new_answer, where, "response")

    def content(
        self, old: Mapping[str, Any], new: Mapping[str, Any], where: str, way: Direction
    ) -> None:
        before = old.get("content") or {}
        after = new.get("content") or {}
        request = way == "request"
        for media in before:
            if media not in after:
                self.add(where, "media type removed", media, request, way)
        for media in after:
            if media not in before:
                self.add(where, "media type added", media, not request, way)
        for media, entry in before.items():
            if media in after:
                self.schema(entry.get("schema", {}), after[media].get("schema", {}), where, way)

    # -- schemas -----------------------------------------------------------------------

    def schema(self, old: Any, new: Any, where: str, way: Direction) -> None:
        before, after = _resolve(old, self.old), _resolve(new, self.new)
        if not isinstance(before, Mapping) or not isinstance(after, Mapping):
            return
        key = (id(before), id(after), way)
        if key in self.seen:
            return
        self.seen.add(key)
        old_variants, new_variants = _variants(before), _variants(after)
        gone = [name for name in old_variants if name not in new_variants]
        came = [name for name in new_variants if name not in old_variants]
        if gone and came and len(old_variants) == 1 and len(new_variants) == 1:
            was, now = _label(old_variants[gone[0]]), _label(new_variants[came[0]])
            self.add(where, "type changed", f"{was} -> {now}", True, way)
            return
        if came:
            labels = _names([_label(new_variants[name]) for name in came])
            self.add(where, "type widened", f"now also: {labels}", way == "response", way)
        if gone:
            labels = _names([_label(old_variants[name]) for name in gone])
            self.add(where, "type narrowed", f"no longer: {labels}", way == "request", way)
        for name, branch in old_variants.items():
            if name == "null" or name not in new_variants:
                continue
            other = new_variants[name]
            if branch is before:
                self.details(before, after, where, way)
            else:
                self.schema(branch, other, where, way)

    def details(
        self, old: Mapping[str, Any], new: Mapping[str, Any], where: str, way: Direction
    ) -> None:
        request = way == "request"
        for keyword in ("format", "pattern"):
            if old.get(keyword) != new.get(keyword):
                detail = f"{old.get(keyword, 'none')} -> {new.get(keyword, 'none')}"
                # A request must now meet it; an answer may now be without it (or another).
                breaking = keyword in new if request else keyword in old
                self.add(where, f"{keyword} changed", detail, breaking, way)
        self.enum(old.get("enum"), new.get("enum"), where, way)
        if old.get("default", _NONE) != new.get("default", _NONE):
            detail = f"{old.get('default', 'none')} -> {new.get('default', 'none')}"
            self.add(where, "default changed", detail, False, way)
        self.properties(old, new, where, way)
        self.additional(
            old.get("additionalProperties"), new.get("additionalProperties"), where, way
        )
        if "items" in old and "items" in new:
            self.schema(old["items"], new["items"], _field(where, "[]"), way)

    def enum(self, old: Any, new: Any, where: str, way: Direction) -> None:
        if old == new:
            return
        if old is None:
            self.add(where, "enum narrowed", f"only: {_names(new)}", way == "request", way)
            return
        if new is None:
            self.add(where, "enum widened", "any value", way == "response", way)
            return
        came = [value for value in new if value not in old]
        gone = [value for value in old if value not in new]
        if came:
            self.add(where, "enum widened", f"new values: {_names(came)}", way == "response", way)
        if gone:
            self.add(where, "enum narrowed", f"values gone: {_names(gone)}", way == "request", way)

    def properties(
        self, old: Mapping[str, Any], new: Mapping[str, Any], where: str, way: Direction
    ) -> None:
        before = old.get("properties") or {}
        after = new.get("properties") or {}
        old_required = set(old.get("required") or [])
        new_required = set(new.get("required") or [])
        request = way == "request"
        for name in before:
            if name not in after:
                self.add(_field(where, name), "field removed", "", True, way)
        # A new field in an answer is new to a client only where no other field could come.
        closed = old.get("additionalProperties") is False
        for name in after:
            if name not in before:
                required = name in new_required
                detail = "required" if required else "optional"
                breaking = required if request else closed
                self.add(_field(where, name), "field added", detail, breaking, way)
        for name in before:
            if name not in after:
                continue
            if name in new_required and name not in old_required:
                self.add(_field(where, name), "became required", "", request, way)
            if name in old_required and name not in new_required:
                self.add(_field(where, name), "became optional", "", not request, way)
            self.schema(before[name], after[name], _field(where, name), way)

    def additional(self, old: Any, new: Any, where: str, way: Direction) -> None:
        if isinstance(old, Mapping) and isinstance(new, Mapping):
            self.schema(old, new, _field(where, "*"), way)
            return
        if old == new:
            return
        was, now = old is not False, new is not False
        if was and not now:
            self.add(where, "other fields refused", "", way == "request", way)
        elif now and not was:
            self.add(where, "other fields allowed", "", way == "response", way)


def _field(where: str, name: str) -> str:
    if ":" in where:
        joiner = "" if name == "[]" else "."
        return f"{where}{joiner}{name}"
    return f"{where}: {name}"


def _variants(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The alternatives a schema admits, by name: types, or components for ``anyOf``."""
    branches = schema.get("anyOf") or schema.get("oneOf")
    found: dict[str, Any] = {}
    if isinstance(branches, list):
        for branch in branches:
            found.setdefault(_branch_name(branch), branch)
    else:
        found[_type_name(schema)] = schema
    if schema.get("nullable"):
        found["null"] = None
    return found


def _branch_name(branch: Any) -> str:
    if isinstance(branch, Mapping) and isinstance(branch.get("$ref"), str):
        return str(branch["$ref"]).rsplit("/", 1)[-1]
    if isinstance(branch, Mapping):
        name = _type_name(branch)
        return f"{name} ({branch['format']})" if "format" in branch else name
    return "any"


def _label(variant: Any) -> str:
    """A variant as a reader names it: a component's name, a type (with its format), an
    array with its item types ("array of string")."""
    if variant is None:
        return "null"
    if not isinstance(variant, Mapping):
        return "any"
    if isinstance(variant.get("$ref"), str):
        return str(variant["$ref"]).rsplit("/", 1)[-1]
    branches = variant.get("anyOf") or variant.get("oneOf")
    if isinstance(branches, list):
        return " or ".join(dict.fromkeys(_label(branch) for branch in branches))
    name = _branch_name(variant)
    if name.startswith("array") and isinstance(variant.get("items"), Mapping):
        return f"array of {_label(variant['items'])}"
    return name


def _type_name(schema: Mapping[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, str):
        return kind
    if "properties" in schema or "additionalProperties" in schema:
        return "object"
    return "any"


def _operations(document: Mapping[str, Any]) -> dict[tuple[str, str], Mapping[str, Any]]:
    found = {}
    for path, item in (document.get("paths") or {}).items():
        for method in HTTP_METHODS:
            if isinstance(item, Mapping) and method in item:
                found[(path, method)] = item[method]
    return found


def _op_name(key: tuple[str, str]) -> str:
    return f"{key[1].upper()} {key[0]}"


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Every change of contract from ``old`` to ``new``, in document order."""
    differ = _Differ(old, new)
    differ.operations()
    return differ.changes


def to_json(changes: list[Change], old: str, new: str) -> str:
    report = {
        "from": old,
        "to": new,
        "breaking": sum(change.breaking for change in changes),
        "changes": [change.to_json() for change in changes],
    }
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


def table(changes: list[Change], old: str, new: str) -> Any:
    """The changes as a rich Table."""
    from rich.table import Table

    breaking = sum(change.breaking for change in changes)
    result = Table(
        title=f"Contract changes from {old} to {new}",
        caption=f"{len(changes)} changes, {breaking} breaking for a client",
    )
    result.add_column("where")
    result.add_column("change")
    result.add_column("detail")
    result.add_column("breaking")
    for change in changes:
        mark = "[bold red]yes[/]" if change.breaking else "[green]no[/]"
        result.add_row(change.location, change.change, change.detail, mark)
    return result
