"""The records every version's seam speaks in, shared by all of them.

Each generated version package has a ``seam.py`` (written by ``codegen/generate.py`` from
that version's effective spec and its ``x-stable-names``) with the same three names:

- ``VERSION``: the Intercom-Version the package was generated for;
- ``request(phone, custom_attributes, intercom_version) -> Request``: the request to
  send, built from the facade's stable names;
- ``answer(status, content) -> Answer``: what an answer means, in the facade's stable
  names, or :class:`Malformed` for a documented status whose body is not of its
  documented shape.

The endpoint module beside it (``api/<tag>/<operation>.py``) checks answers with
:func:`shape_problem` before its models read them: the generated models trust the JSON
they are given, the check makes sure it is of the documented shape.

This module is copied into ``generated/intercom_phone_switch_generated/seam_types.py``
by ``nox -s generate``; it imports nothing but the standard library.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple, TypeAlias

__all__ = [
    "Answer",
    "ErrorItem",
    "ErrorKey",
    "ErrorList",
    "Malformed",
    "Request",
    "Schema",
    "Switch",
    "Undocumented",
    "shape_problem",
]


class Request(NamedTuple):
    """One request to send: method, path (relative to a server), headers and JSON body."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    #: The body as JSON data (what ``json.dumps`` sends). Custom attribute values are the
    #: caller's own objects, unchanged.
    json: dict[str, object]


@dataclass(frozen=True)
class Switch:
    """An accepted answer, in the facade's stable names."""

    type: str
    url: str
    #: None when the answer does not carry it (the live API leaves it out).
    phone: str | None
    #: Every field of the answer beyond the stable ones, by its JSON name: values typed
    #: where the version's model types them, other fields as parsed JSON. Read-only.
    extra: Mapping[str, object]


@dataclass(frozen=True)
class ErrorKey:
    """An answer of the form ``{"error_key": ..., "message": ...}``."""

    error_key: str | None
    message: str | None


@dataclass(frozen=True)
class ErrorItem:
    """One error of an error list."""

    code: str
    message: str | None
    field: str | None


@dataclass(frozen=True)
class ErrorList:
    """Intercom's error list: ``{"type": "error.list", "request_id": ..., "errors": [...]}``."""

    request_id: str | None
    errors: tuple[ErrorItem, ...]


@dataclass(frozen=True)
class Undocumented:
    """The version does not document the answer's status."""


#: What ``answer()`` returns.
Answer: TypeAlias = Switch | ErrorKey | ErrorList | Undocumented


class Malformed(ValueError):
    """A documented status came with a body that is not of its documented shape."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        #: What is wrong, for a reader: where in the body and what was expected.
        self.detail = detail


#: An OpenAPI 3.0 schema object, as JSON data.
Schema: TypeAlias = Mapping[str, object]

_REF_PREFIX = "#/components/schemas/"
_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _is(value: object, kind: str) -> bool:
    if isinstance(value, bool):
        return kind == "boolean"
    return isinstance(value, _TYPES.get(kind, ()))


def _same(a: object, b: object) -> bool:
    """JSON equality: ``true`` is not ``1``."""
    return type(a) is type(b) and a == b


def shape_problem(
    value: object, schema: Schema, schemas: Mapping[str, Schema], at: str = "$"
) -> str | None:
    """What keeps ``value`` (parsed JSON) from being of ``schema``'s shape, or None.

    The shape is the structure OpenAPI 3.0 describes: ``$ref`` (to ``schemas``, the
    components by name), ``nullable``, ``type``, ``enum``, ``required``, ``properties``,
    ``additionalProperties``, ``items``, ``anyOf``/``oneOf`` (one branch that fits is
    enough) and ``allOf``. Formats and patterns are not checked: an answer is judged by
    its shape, not by the values it carries.
    """
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref[len(_REF_PREFIX) :] if ref.startswith(_REF_PREFIX) else ref
        target = schemas.get(name)
        if target is None:
            return f"{at}: the schema {ref} is unknown"
        return shape_problem(value, target, schemas, at)
    if value is None:
        if schema.get("nullable") is True or not _constrains(schema):
            return None
        return f"{at}: null is not allowed"
    branches = schema.get("anyOf", schema.get("oneOf"))
    if isinstance(branches, list):
        problems = [shape_problem(value, branch, schemas, at) for branch in branches]
        if all(problem is not None for problem in problems):
            if len(problems) == 1:
                return problems[0]
            return f"{at}: fits none of its forms (" + "; ".join(map(str, problems)) + ")"
    every = schema.get("allOf")
    if isinstance(every, list):
        for branch in every:
            problem = shape_problem(value, branch, schemas, at)
            if problem is not None:
                return problem
    kind = schema.get("type")
    if isinstance(kind, str) and not _is(value, kind):
        return f"{at}: expected {kind}, got {_json_type(value)}"
    enum = schema.get("enum")
    if isinstance(enum, list) and not any(_same(value, option) for option in enum):
        return f"{at}: {value!r} is not one of {', '.join(repr(option) for option in enum)}"
    if isinstance(value, dict):
        return _object_problem(value, schema, schemas, at)
    if isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, Mapping):
            for index, item in enumerate(value):
                problem = shape_problem(item, items, schemas, f"{at}[{index}]")
                if problem is not None:
                    return problem
    return None


def _constrains(schema: Schema) -> bool:
    """True when the schema says anything about its value's type (then null needs
    ``nullable``)."""
    return any(key in schema for key in ("type", "enum", "properties", "items", "allOf"))


def _object_problem(
    value: dict[object, object], schema: Schema, schemas: Mapping[str, Schema], at: str
) -> str | None:
    required = schema.get("required")
    for name in required if isinstance(required, list) else ():
        if name not in value:
            return f"{at}: the field {name!r} is missing"
    properties = schema.get("properties")
    known = properties if isinstance(properties, Mapping) else {}
    others = schema.get("additionalProperties", True)
    for name, item in value.items():
        where = f"{at}.{name}"
        declared = known.get(name)
        if isinstance(declared, Mapping):
            problem = shape_problem(item, declared, schemas, where)
        elif others is False:
            problem = f"{where}: no such field is allowed"
        elif isinstance(others, Mapping):
            problem = shape_problem(item, others, schemas, where)
        else:
            problem = None
        if problem is not None:
            return problem
    return None
