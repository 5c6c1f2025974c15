"""The effective spec of each supported version, as shipped beside its generated package.

The client's input checks, the fake Intercom and the contract runner all read the
contract from here (``openapi.json`` beside each generated package, written by
``nox -s generate``), so no fact about the API is typed twice. Documents are parsed once
per process, with the standard library's json.
"""

from __future__ import annotations

import copy
import functools
import json
import pkgutil
from collections.abc import Mapping
from typing import Any

from intercom_phone_switch_generated.registry import METHOD, MODULES, PATH

from ._pointer import pointer, resolve

__all__ = ["METHOD", "PATH", "document", "load_document", "operation", "pointer", "resolve"]

#: OpenAPI keywords that JSON Schema does not have (annotations, or "nullable", which
#: to_json_schema turns into a null type).
_OPENAPI_ONLY = ("nullable", "example", "examples", "discriminator", "xml", "externalDocs")


@functools.cache
def document(version: str) -> Mapping[str, Any]:
    """The effective spec of ``version``, shared by every reader: do not change it."""
    package = f"intercom_phone_switch_generated.{MODULES[version]}"
    # pkgutil rather than importlib.resources: the same loaders, a fifth of the import time.
    data = pkgutil.get_data(package, "openapi.json")
    if data is None:
        raise ValueError(f"{package} has no openapi.json")
    loaded = json.loads(data)
    if not isinstance(loaded, dict):
        raise ValueError(f"{package}/openapi.json is not an OpenAPI document")
    return loaded


def load_document(version: str) -> dict[str, Any]:
    """A private copy of the effective spec of ``version``, for callers that change it."""
    return copy.deepcopy(dict(document(version)))


def operation(spec: Mapping[str, Any]) -> Mapping[str, Any]:
    """The ``POST /phone_call_redirects`` operation of a document."""
    found: Mapping[str, Any] = spec["paths"][PATH][METHOD]
    return found


def to_json_schema(schema: Any) -> Any:
    """An OpenAPI 3.0 schema as JSON Schema (draft 4): ``nullable`` becomes a null type,
    and OpenAPI's own keywords and extensions go."""
    if isinstance(schema, list):
        return [to_json_schema(item) for item in schema]
    if not isinstance(schema, Mapping):
        return schema
    converted = {
        key: to_json_schema(value)
        for key, value in schema.items()
        if key not in _OPENAPI_ONLY and not key.startswith("x-")
    }
    if schema.get("nullable") is True:
        kind = converted.get("type")
        if isinstance(kind, str):
            converted["type"] = [kind, "null"]
        if "enum" in converted:
            converted["enum"] = [*converted["enum"], None]
        if kind is None:
            converted = {"anyOf": [converted, {"type": "null"}]}
    return converted
