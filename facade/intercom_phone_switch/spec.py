"""The effective contract of every supported Intercom-Version: the one reader of it.

Each generated package ships the effective spec it was generated from (the stored spec
plus that version's overlay). The client's input checks, the fake Intercom, the contract
runner and the commands all read the contract through :func:`effective`, so no fact of
the API (a field's name, a documented status, an error shape, a server) is typed twice.

The facade speaks in stable names (``phone`` and ``custom_attributes`` in a request;
``type``, ``url`` and ``phone`` in an answer). Each version's spec declares, under the
operation's ``x-stable-names``, which of its JSON properties carries each of them, so a
field renamed in a new version needs a declaration, not code.

    from intercom_phone_switch.spec import effective

    spec = effective("2.13")
    spec.request_field("phone")      # the JSON property carrying the phone in 2.13
    spec.documented_statuses         # the statuses 2.13 documents
"""

from __future__ import annotations

import copy
import functools
import json
import pkgutil
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Literal

from intercom_phone_switch_generated.registry import METHOD, MODULES, PATH, VERSIONS

from ._pointer import resolve

__all__ = [
    "METHOD",
    "OPEN_VALUE_TYPES",
    "PATH",
    "STABLE_REQUEST_NAMES",
    "STABLE_RESPONSE_NAMES",
    "VERSIONS",
    "ContractError",
    "EffectiveSpec",
    "effective",
    "resolve",
    "to_json_schema",
]

#: The facade's stable names of a request's fields.
STABLE_REQUEST_NAMES: tuple[str, ...] = ("phone", "custom_attributes")
#: The facade's stable names of an accepted answer's fields.
STABLE_RESPONSE_NAMES: tuple[str, ...] = ("type", "url", "phone")
#: The JSON types a custom attribute value may have where a schema leaves values open.
OPEN_VALUE_TYPES: tuple[str, ...] = ("string", "integer", "number", "boolean")

Side = Literal["request", "response"]

#: OpenAPI keywords that JSON Schema does not have (annotations, or "nullable", which
#: to_json_schema turns into a null type).
_OPENAPI_ONLY = ("nullable", "example", "examples", "discriminator", "xml", "externalDocs")


class ContractError(ValueError):
    """An effective spec lacks something the facade relies on (a stable name it does not
    map, a field it maps to that does not exist)."""


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


@functools.cache
def _document(version: str) -> dict[str, Any]:
    if version not in MODULES:
        raise ContractError(
            f"{version!r} is not a version with an effective spec; one of {', '.join(VERSIONS)}"
        )
    package = f"intercom_phone_switch_generated.{MODULES[version]}"
    # pkgutil rather than importlib.resources: the same loaders, a fifth of the import time.
    data = pkgutil.get_data(package, "openapi.json")
    if data is None:
        raise ContractError(f"{package} has no openapi.json")
    loaded = json.loads(data)
    if not isinstance(loaded, dict):
        raise ContractError(f"{package}/openapi.json is not an OpenAPI document")
    return loaded


class EffectiveSpec:
    """One version's effective spec, and the facts everyone reads from it."""

    def __init__(self, version: str, document: Mapping[str, Any]) -> None:
        self.version = version
        #: The whole document, shared by every reader in the process: do not change it
        #: (take :meth:`copy` for that).
        self.document = document

    def __repr__(self) -> str:
        return f"<EffectiveSpec of Intercom-Version {self.version}>"

    def copy(self) -> dict[str, Any]:
        """A private copy of the document, for a caller that changes it."""
        return copy.deepcopy(dict(self.document))

    def resolve(self, node: Any) -> Any:
        """``node`` with its local ``$ref`` followed."""
        return resolve(node, self.document)

    # -- the operation ---------------------------------------------------------------
    @functools.cached_property
    def operation(self) -> Mapping[str, Any]:
        """The ``POST /phone_call_redirects`` operation."""
        found: Mapping[str, Any] = self.document["paths"][PATH][METHOD]
        return found

    @functools.cached_property
    def request_schema(self) -> Mapping[str, Any]:
        """The request body's schema, its top-level reference resolved."""
        body = self.operation["requestBody"]["content"]["application/json"]["schema"]
        resolved: Mapping[str, Any] = self.resolve(body)
        return resolved

    @functools.cached_property
    def _stable(self) -> Mapping[str, Mapping[str, str]]:
        declared = self.operation.get("x-stable-names")
        if not isinstance(declared, Mapping):
            raise ContractError(
                f"Intercom-Version {self.version}: the operation declares no x-stable-names"
            )
        return declared

    def _field(self, side: Side, stable: str) -> str:
        names = self._stable.get(side) or {}
        field = names.get(stable) if isinstance(names, Mapping) else None
        if not isinstance(field, str):
            raise ContractError(
                f"Intercom-Version {self.version}: x-stable-names.{side} maps no field to "
                f"{stable!r}"
            )
        return field

    def request_field(self, stable: str) -> str:
        """The JSON property of a request carrying the stable name ``stable``."""
        return self._field("request", stable)

    def response_field(self, stable: str) -> str:
        """The JSON property of an accepted answer carrying the stable name ``stable``."""
        return self._field("response", stable)

    def response_fields(self) -> frozenset[str]:
        """The JSON properties of an accepted answer that carry a stable name."""
        names = self._stable.get("response")
        if not isinstance(names, Mapping):
            raise ContractError(
                f"Intercom-Version {self.version}: x-stable-names declares no response names"
            )
        return frozenset(field for field in names.values() if isinstance(field, str))

    def request_property(self, stable: str) -> Mapping[str, Any] | None:
        """The resolved schema of the request field ``stable``; None when this version's
        request has no such property."""
        properties = self.request_schema.get("properties") or {}
        found = properties.get(self.request_field(stable))
        return None if found is None else self.resolve(found)

    @functools.cached_property
    def phone_pattern(self) -> re.Pattern[str]:
        """The phone field's pattern (an ECMA-262 regex; a full match in Python agrees)."""
        phone = self.request_property("phone")
        if phone is None or not isinstance(phone.get("pattern"), str):
            raise ContractError(
                f"Intercom-Version {self.version}: the phone field "
                f"({self.request_field('phone')!r}) has no pattern"
            )
        return re.compile(phone["pattern"])

    @functools.cached_property
    def attribute_schema(self) -> Mapping[str, Any] | None:
        """The schema of the custom attributes (None: this version admits none)."""
        return self.request_property("custom_attributes")

    @functools.cached_property
    def attribute_value_branches(self) -> tuple[Any, ...]:
        """The schemas a custom attribute's value may match, in the spec's order."""
        schema = self.attribute_schema
        if schema is None:
            return ()
        values = schema.get("additionalProperties", True)
        if values is True or values == {}:
            return tuple({"type": kind} for kind in OPEN_VALUE_TYPES)
        if values is False:
            return ()
        values = self.resolve(values)
        return tuple(values.get("anyOf") or values.get("oneOf") or [values])

    @functools.cached_property
    def attribute_value_types(self) -> tuple[str, ...]:
        """Human names of the value types custom attributes admit, in the spec's order (a
        referenced schema by its title); empty when it admits none."""
        return tuple(self._branch_name(branch) for branch in self.attribute_value_branches)

    def _branch_name(self, branch: Any) -> str:
        if isinstance(branch, Mapping) and "$ref" in branch:
            target = self.resolve(branch)
            title = target.get("title") if isinstance(target, Mapping) else None
            return str(title or branch["$ref"].rsplit("/", 1)[-1].replace("_", " ")).lower()
        if isinstance(branch, Mapping) and branch.get("type") == "array":
            items = branch.get("items")
            return f"array of {self._branch_name(items)}" if isinstance(items, Mapping) else "array"
        if isinstance(branch, Mapping) and isinstance(branch.get("type"), str):
            return str(branch["type"])
        return str(branch.get("title", "value")) if isinstance(branch, Mapping) else "value"

    # -- answers -----------------------------------------------------------------------
    @functools.cached_property
    def responses(self) -> Mapping[int, Mapping[str, Any]]:
        """Documented status -> its response object, references resolved."""
        found: dict[int, Mapping[str, Any]] = {}
        for status, response in (self.operation.get("responses") or {}).items():
            if str(status).isdigit():
                found[int(status)] = self.resolve(response)
        return MappingProxyType(found)

    @property
    def documented_statuses(self) -> frozenset[int]:
        return frozenset(self.responses)

    def response_schema(self, status: int) -> Mapping[str, Any] | None:
        """The JSON schema of the ``status`` answer (None: undocumented, or no body)."""
        media = (self.responses.get(status) or {}).get("content", {}).get("application/json")
        if not isinstance(media, Mapping) or "schema" not in media:
            return None
        schema: Mapping[str, Any] = self.resolve(media["schema"])
        return schema

    def examples(self, status: int) -> dict[str, Any]:
        """The named example bodies of the ``status`` answer."""
        media = (self.responses.get(status) or {}).get("content", {}).get("application/json")
        if not isinstance(media, Mapping):
            return {}
        found: dict[str, Any] = {}
        for name, example in (media.get("examples") or {}).items():
            example = self.resolve(example)
            if isinstance(example, Mapping) and "value" in example:
                found[str(name)] = example["value"]
        if "example" in media:
            found.setdefault("example", media["example"])
        return found

    def error_keys(self) -> dict[int, frozenset[str]]:
        """Status -> the ``error_key`` values its examples document."""
        found: dict[int, set[str]] = {}
        for status in self.responses:
            for value in self.examples(status).values():
                if isinstance(value, Mapping) and isinstance(value.get("error_key"), str):
                    found.setdefault(status, set()).add(value["error_key"])
        return {status: frozenset(keys) for status, keys in found.items()}

    def error_codes(self) -> dict[int, frozenset[str]]:
        """Status -> the codes of the error lists its examples document."""
        found: dict[int, set[str]] = {}
        for status in self.responses:
            for value in self.examples(status).values():
                errors = value.get("errors") if isinstance(value, Mapping) else None
                for error in errors if isinstance(errors, list) else ():
                    if isinstance(error, Mapping) and isinstance(error.get("code"), str):
                        found.setdefault(status, set()).add(error["code"])
        return {status: frozenset(codes) for status, codes in found.items()}

    # -- the rest ----------------------------------------------------------------------
    @property
    def servers(self) -> list[str]:
        return [str(server["url"]) for server in self.document.get("servers", [])]

    @property
    def header_values(self) -> list[str]:
        """The Intercom-Version values this version's description lists."""
        schema = self.document["components"]["schemas"]["intercom_version"]
        return [str(value) for value in schema.get("enum", [])]


@functools.cache
def effective(version: str) -> EffectiveSpec:
    """The effective spec of ``version`` (a key of the registry's VERSIONS), read once
    per process; ContractError for any other value."""
    return EffectiveSpec(version, _document(version))
