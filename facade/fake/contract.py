"""What each supported version promises, read once from its effective spec.

The fake never repeats the contract by hand: request schemas, error bodies, the shape of
the 200 answer and the accepted ``Intercom-Version`` values all come from the effective
spec shipped next to each generated package and from the generated registry.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jsonschema
import yaml

from intercom_phone_switch.generated.registry import MODULES, VERSIONS

PATH = "/phone_call_redirects"

_OPENAPI_ONLY = ("nullable", "example", "examples", "discriminator", "xml", "externalDocs")


@dataclass(frozen=True)
class VersionContract:
    """One supported version's rules, ready to use on every request."""

    version: str
    document: Mapping[str, Any]
    validator: jsonschema.protocols.Validator
    #: "phone_call_redirect": the ``type`` of a 200 answer.
    result_type: str
    #: "http://via.intercom.io/msgr/": the Messenger link, without its id.
    url_prefix: str
    #: Example bodies of the documented error answers, by error key or code.
    examples: Mapping[str, Mapping[str, Any]]
    #: "error.list": the ``type`` of Intercom's error envelope.
    error_list_type: str

    def response_schema(self, status: int) -> dict[str, Any]:
        """The JSON Schema of the ``status`` answer, for checking what the fake says."""
        response = self._operation()["responses"][str(status)]
        schema = response["content"]["application/json"]["schema"]
        return _with_components(schema, self.document)

    def request_schema(self) -> dict[str, Any]:
        body = self._operation()["requestBody"]["content"]["application/json"]["schema"]
        return _with_components(body, self.document)

    def _operation(self) -> Mapping[str, Any]:
        operation: Mapping[str, Any] = self.document["paths"][PATH]["post"]
        return operation


def to_json_schema(schema: Any) -> Any:
    """An OpenAPI 3.0 schema as JSON Schema (draft 4): ``nullable`` becomes a null type."""
    if isinstance(schema, list):
        return [to_json_schema(item) for item in schema]
    if not isinstance(schema, dict):
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


def _with_components(schema: Mapping[str, Any], document: Mapping[str, Any]) -> dict[str, Any]:
    """``schema`` as one JSON Schema: local $refs inlined (it validates faster), except
    recursive ones, which resolve against the components kept alongside."""
    components = {"schemas": to_json_schema(copy.deepcopy(document["components"]["schemas"]))}
    inlined = _inline(copy.deepcopy(dict(schema)), document, ())
    return {"allOf": [to_json_schema(inlined)], "components": components}


def _inline(schema: Any, document: Mapping[str, Any], seen: tuple[str, ...]) -> Any:
    if isinstance(schema, list):
        return [_inline(item, document, seen) for item in schema]
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/") and ref not in seen:
        return _inline(copy.deepcopy(dict(_resolve(schema, document))), document, (*seen, ref))
    return {key: _inline(value, document, seen) for key, value in schema.items()}


def _examples(operation: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    found: dict[str, Mapping[str, Any]] = {}
    for response in operation["responses"].values():
        for example in (
            response.get("content", {}).get("application/json", {}).get("examples", {}).values()
        ):
            found.update(_example_keys(example["value"]))
    return found


def _example_keys(value: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    if "error_key" in value:
        return {str(value["error_key"]): value}
    if value.get("type") == "error.list":
        return {str(error["code"]): value for error in value.get("errors", [])}
    return {str(value.get("type")): value}


def load_document(version: str) -> dict[str, Any]:
    """The effective spec of a supported version, as shipped with its generated package."""
    package = f"intercom_phone_switch.generated.{MODULES[version]}"
    text = resources.files(package).joinpath("openapi.yaml").read_text(encoding="utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    document: dict[str, Any] = yaml.load(text, Loader=loader)
    return document


def build_contract(version: str) -> VersionContract:
    document = load_document(version)
    operation = document["paths"][PATH]["post"]
    request = operation["requestBody"]["content"]["application/json"]["schema"]
    schema = _with_components(request, document)
    validator_class = jsonschema.Draft4Validator
    validator_class.check_schema(schema)
    sent = operation["responses"]["200"]["content"]["application/json"]
    result_schema = _resolve(sent["schema"], document)
    example = next(iter(sent["examples"].values()))["value"]
    return VersionContract(
        version=version,
        document=document,
        validator=validator_class(schema),
        result_type=str(result_schema["properties"]["type"]["enum"][0]),
        url_prefix=str(example["url"]).rsplit("/", 1)[0] + "/",
        examples=_examples(operation),
        error_list_type=str(
            document["components"]["schemas"]["error"]["properties"]["type"]["example"]
        ),
    )


def _resolve(schema: Mapping[str, Any], document: Mapping[str, Any]) -> Mapping[str, Any]:
    """Follow local $refs ("#/components/schemas/x") to the schema they name."""
    for _ in range(32):
        ref = schema.get("$ref")
        if not isinstance(ref, str):
            return schema
        node: Any = document
        for part in ref.removeprefix("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        schema = node
    raise ValueError(f"$ref chain too long at {schema!r}")


@functools.cache
def contracts() -> Mapping[str, VersionContract]:
    """Every supported version's contract, built once per process."""
    return {version: build_contract(version) for version in VERSIONS}


def dumps(value: Any) -> bytes:
    """Compact JSON, as the API writes it."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
