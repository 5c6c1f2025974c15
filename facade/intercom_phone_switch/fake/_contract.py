"""What each supported version promises, read once from its effective spec.

The fake never repeats the contract by hand: request schemas, field names, error bodies,
the shape of the 200 answer and every documented answer come from the effective spec
shipped next to each generated package (read through :mod:`intercom_phone_switch.spec`)
and the accepted ``Intercom-Version`` values from the generated registry.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jsonschema

from intercom_phone_switch.spec import EffectiveSpec, effective, resolve, to_json_schema
from intercom_phone_switch_generated.registry import VERSIONS

from ._validators import compiled


@dataclass(frozen=True)
class DocumentedAnswer:
    """One answer a version documents: its status, the name of its example, and the
    example's body (an error list's ``request_id`` is the request's own when served)."""

    status: int
    name: str
    body: Mapping[str, Any]
    #: The error keys and codes the example carries (how a fault may name it).
    keys: frozenset[str]


@dataclass(frozen=True)
class VersionContract:
    """One supported version's rules, ready to use on every request."""

    version: str
    spec: EffectiveSpec
    document: Mapping[str, Any]
    #: The reference validator of the request body (jsonschema): it decides, and words
    #: the errors.
    validator: jsonschema.protocols.Validator
    #: "phone_call_redirect": the ``type`` of a 200 answer.
    result_type: str
    #: "http://via.intercom.io/msgr/": the Messenger link, without its id.
    url_prefix: str
    #: Example bodies of the documented error answers, by error key or code.
    examples: Mapping[str, Mapping[str, Any]]
    #: "error.list": the ``type`` of Intercom's error envelope.
    error_list_type: str
    #: This version's JSON property names of the stable request and answer fields.
    phone_field: str
    attributes_field: str
    type_field: str
    url_field: str
    #: Every documented answer with an example, in the spec's order.
    answers: tuple[DocumentedAnswer, ...]
    #: The fields of the 200 answer beyond the stable ones, with the example value the
    #: version's schema gives each (a field a new version adds, say); the fake sends them
    #: in every 200 answer, as Intercom would. Fields without an example are left out.
    extra_fields: Mapping[str, Any] = field(default_factory=dict)
    #: A compiled check of the request body (None: the reference validator alone). It
    #: may refuse more than the reference (the reference then decides), never less.
    fast_check: Callable[[Any], bool] | None = field(default=None, compare=False)

    def is_valid(self, data: Any) -> bool:
        """Whether ``data`` is a valid request body: the compiled check first (about a
        hundred times quicker), the reference validator where it refuses."""
        fast = self.fast_check
        if fast is not None and fast(data):
            return True
        return bool(self.validator.is_valid(data))

    def sent_body(self, url: str) -> bytes:
        """The 200 answer carrying the Messenger link ``url`` (the last field)."""
        body = {self.type_field: self.result_type, **self.extra_fields}
        body[self.url_field] = url
        return dumps(body)

    def sent_body_for(self, link_id: str) -> bytes:
        """``sent_body`` of the link ``url_prefix + link_id``, for an id of hex digits and
        dashes (nothing JSON escapes): the rest of the answer is written once."""
        return self._sent_head + link_id.encode("ascii") + b'"}'

    @functools.cached_property
    def _sent_head(self) -> bytes:
        whole = self.sent_body(self.url_prefix)  # the link is the last field
        assert whole.endswith(b'"}')
        return whole[:-2]

    def answer(self, status: int, name: str | None = None) -> DocumentedAnswer | None:
        """The documented ``status`` answer whose example is named ``name`` or carries the
        error key or code ``name`` (None: the status's first example); None when this
        version documents no such answer."""
        for found in self.answers:
            if found.status != status:
                continue
            if name is None or name == found.name or name in found.keys:
                return found
        return None

    def response_schema(self, status: int) -> dict[str, Any]:
        """The JSON Schema of the ``status`` answer, for checking what the fake says."""
        schema = self.spec.response_schema(status)
        if schema is None:
            raise KeyError(f"Intercom-Version {self.version} documents no {status} body")
        return _with_components(schema, self.document)

    def request_schema(self) -> dict[str, Any]:
        return _with_components(self.spec.request_schema, self.document)


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


def _keys(value: Any) -> frozenset[str]:
    """The error key, or the codes of an error list's errors, an example carries."""
    if not isinstance(value, Mapping):
        return frozenset()
    found: set[str] = set()
    if isinstance(value.get("error_key"), str):
        found.add(value["error_key"])
    errors = value.get("errors")
    for error in errors if isinstance(errors, list) else ():
        if isinstance(error, Mapping) and isinstance(error.get("code"), str):
            found.add(error["code"])
    return frozenset(found)


def _answers(spec: EffectiveSpec) -> tuple[DocumentedAnswer, ...]:
    return tuple(
        DocumentedAnswer(status, name, value, _keys(value))
        for status in spec.responses
        for name, value in spec.examples(status).items()
        if isinstance(value, Mapping)
    )


def _examples(answers: tuple[DocumentedAnswer, ...]) -> dict[str, Mapping[str, Any]]:
    found: dict[str, Mapping[str, Any]] = {}
    for answer in answers:
        for key in sorted(answer.keys):
            found.setdefault(key, answer.body)
    return found


def _extra_fields(spec: EffectiveSpec, schema: Mapping[str, Any]) -> dict[str, Any]:
    """The properties of the 200 answer's ``schema`` beyond the stable ones, each with its
    schema's example (those without one are left out)."""
    stable = spec.response_fields()
    found: dict[str, Any] = {}
    for name, value in (schema.get("properties") or {}).items():
        example = spec.resolve(value)
        if name not in stable and isinstance(example, Mapping) and "example" in example:
            found[str(name)] = copy.deepcopy(example["example"])
    return found


def build_contract(version: str) -> VersionContract:
    spec = effective(version)
    document = spec.document
    schema = _with_components(spec.request_schema, document)
    validator_class = jsonschema.Draft4Validator
    validator_class.check_schema(schema)
    type_field, url_field = spec.response_field("type"), spec.response_field("url")
    result_schema = spec.response_schema(200) or {}
    result_type = spec.resolve(result_schema["properties"][type_field])["enum"][0]
    example = next(iter(spec.examples(200).values()))
    answers = _answers(spec)
    error_schema = spec.resolve(document["components"]["schemas"]["error"])
    return VersionContract(
        version=version,
        spec=spec,
        document=document,
        validator=validator_class(schema),
        result_type=str(result_type),
        url_prefix=str(example[url_field]).rsplit("/", 1)[0] + "/",
        examples=_examples(answers),
        error_list_type=str(error_schema["properties"]["type"]["example"]),
        phone_field=spec.request_field("phone"),
        attributes_field=spec.request_field("custom_attributes"),
        type_field=type_field,
        url_field=url_field,
        answers=answers,
        extra_fields=_extra_fields(spec, result_schema),
        fast_check=compiled(schema),
    )


@functools.cache
def contracts() -> Mapping[str, VersionContract]:
    """Every supported version's contract, built once per process."""
    return {version: build_contract(version) for version in VERSIONS}


#: Made once: json.dumps with options makes a new encoder on every call.
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def dumps(value: Any) -> bytes:
    """Compact JSON, as the API writes it."""
    return _COMPACT.encode(value).encode("utf-8")
