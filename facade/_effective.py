"""The effective spec of each supported version, as shipped beside its generated package.

The client's input checks, the fake Intercom and the contract runner all read the
contract from here (``generated/<module>/openapi.yaml``), so no fact about the API is
typed twice. Documents are parsed once per process; yaml is imported on first use.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from importlib import resources
from typing import Any

from intercom_phone_switch.generated.registry import MODULES

PATH = "/phone_call_redirects"
METHOD = "post"

#: OpenAPI keywords that JSON Schema does not have (annotations, or "nullable", which
#: to_json_schema turns into a null type).
_OPENAPI_ONLY = ("nullable", "example", "examples", "discriminator", "xml", "externalDocs")


@functools.cache
def document(version: str) -> Mapping[str, Any]:
    """The effective spec of ``version``, shared by every reader: do not change it."""
    import yaml

    package = f"intercom_phone_switch.generated.{MODULES[version]}"
    text = resources.files(package).joinpath("openapi.yaml").read_text(encoding="utf-8")
    loaded = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    if not isinstance(loaded, dict):
        raise ValueError(f"{package}/openapi.yaml is not an OpenAPI document")
    return loaded


def load_document(version: str) -> dict[str, Any]:
    """A private copy of the effective spec of ``version``, for callers that change it."""
    return copy.deepcopy(dict(document(version)))


def operation(spec: Mapping[str, Any]) -> Mapping[str, Any]:
    """The ``POST /phone_call_redirects`` operation of a document."""
    found: Mapping[str, Any] = spec["paths"][PATH][METHOD]
    return found


def resolve(node: Any, spec: Mapping[str, Any]) -> Any:
    """``node`` with its local ``$ref`` followed until there is none."""
    while isinstance(node, Mapping) and "$ref" in node:
        ref = str(node["$ref"])
        if not ref.startswith("#/"):
            raise ValueError(f"only local references are supported, not {ref!r}")
        target: Any = spec
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


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
