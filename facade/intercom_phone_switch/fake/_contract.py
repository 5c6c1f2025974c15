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
from typing import Any

import jsonschema

from intercom_phone_switch._effective import PATH, load_document, resolve, to_json_schema
from intercom_phone_switch_generated.registry import VERSIONS


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
        return _inline(copy.deepcopy(dict(resolve(schema, document))), document, (*seen, ref))
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


def build_contract(version: str) -> VersionContract:
    document = load_document(version)
    operation = document["paths"][PATH]["post"]
    request = operation["requestBody"]["content"]["application/json"]["schema"]
    schema = _with_components(request, document)
    validator_class = jsonschema.Draft4Validator
    validator_class.check_schema(schema)
    sent = operation["responses"]["200"]["content"]["application/json"]
    result_schema = resolve(sent["schema"], document)
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


@functools.cache
def contracts() -> Mapping[str, VersionContract]:
    """Every supported version's contract, built once per process."""
    return {version: build_contract(version) for version in VERSIONS}


def dumps(value: Any) -> bytes:
    """Compact JSON, as the API writes it."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
