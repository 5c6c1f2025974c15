"""Our standard corrections of Intercom's published description, as rules.

Each rule matches one entry of ``x-corrections`` in ``openapi.yaml`` (same id; the
reason is written there). A rule has a condition, :meth:`Rule.applies`, that holds
exactly when the published structure still has the fault, and :meth:`Rule.apply`, which
changes the structure as the stored spec does. Applying a rule makes its condition
false, so running the rules twice changes nothing.

The rules work on the extracted operation (see :mod:`.extract`) while it still has the
published prose, so that a condition may look at a published example (landline-example
does). What they write is structure: descriptions, titles and examples all come from the
stored spec afterwards (see :mod:`.prose`), whatever a rule left there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .extract import METHOD, PATH, iter_refs

Document = dict[str, Any]
Apply = Callable[[Document], None]

E164 = r"^\+[1-9][0-9]{1,14}$"
SCHEMA_PREFIX = "#/components/schemas/"


@dataclass(frozen=True)
class Rule:
    id: str
    summary: str
    applies: Callable[[Document], bool]
    apply: Apply


#: Every rule, in the order they run (a later rule may build on an earlier one).
RULES: list[Rule] = []


def rule(
    rule_id: str, summary: str, condition: Callable[[Document], bool]
) -> Callable[[Apply], Apply]:
    """Register the decorated function as the ``apply`` of a rule, in definition order."""

    def register(apply: Apply) -> Apply:
        RULES.append(Rule(rule_id, summary, condition, apply))
        return apply

    return register


def apply_rules(document: Document, rules: list[Rule] | None = None) -> list[str]:
    """Apply every rule whose condition holds, in order; return the ids of those applied."""
    fired = []
    for each in RULES if rules is None else rules:
        if each.applies(document):
            each.apply(document)
            fired.append(each.id)
    return fired


# -- where things are -------------------------------------------------------------------


def schemas(document: Document) -> dict[str, Any]:
    components = document.setdefault("components", {})
    found: dict[str, Any] = components.setdefault("schemas", {})
    return found


def schema(document: Document, name: str) -> dict[str, Any] | None:
    found = document.get("components", {}).get("schemas", {}).get(name)
    return found if isinstance(found, dict) else None


def operation(document: Document) -> dict[str, Any]:
    found: dict[str, Any] = document["paths"][PATH][METHOD]
    return found


def response(document: Document, status: str) -> dict[str, Any] | None:
    found = operation(document).get("responses", {}).get(status)
    return found if isinstance(found, dict) else None


def json_content(node: dict[str, Any] | None) -> dict[str, Any] | None:
    if node is None:
        return None
    found = node.get("content", {}).get("application/json")
    return found if isinstance(found, dict) else None


def ref(name: str) -> dict[str, str]:
    return {"$ref": SCHEMA_PREFIX + name}


def _property(document: Document, name: str, prop: str) -> dict[str, Any] | None:
    owner = schema(document, name)
    found = (owner or {}).get("properties", {}).get(prop)
    return found if isinstance(found, dict) else None


def _branches(document: Document) -> list[Any] | None:
    values = (schema(document, "custom_attributes") or {}).get("additionalProperties")
    if isinstance(values, dict) and isinstance(values.get("anyOf"), list):
        found: list[Any] = values["anyOf"]
        return found
    return None


# -- dangling-custom-attributes ---------------------------------------------------------


def _custom_attributes_dangle(document: Document) -> bool:
    wanted = SCHEMA_PREFIX + "custom_attributes"
    return schema(document, "custom_attributes") is None and wanted in iter_refs(document)


@rule(
    "dangling-custom-attributes",
    "define custom_attributes where it is referenced but never defined",
    _custom_attributes_dangle,
)
def _define_custom_attributes(document: Document) -> None:
    schemas(document)["custom_attributes"] = {
        "type": "object",
        "additionalProperties": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
    }


# -- custom-attribute-values ------------------------------------------------------------


def _is_date_time(branch: Any, document: Document) -> bool:
    if not isinstance(branch, dict):
        return False
    if branch.get("format") == "date-time":
        return True
    target = branch.get("$ref", "")
    if target.startswith(SCHEMA_PREFIX):
        named = schema(document, target[len(SCHEMA_PREFIX) :]) or {}
        alternatives = named.get("oneOf") or named.get("anyOf") or []
        return any(isinstance(a, dict) and a.get("format") == "date-time" for a in alternatives)
    return False


def _plain_types(branch: Any, document: Document) -> list[dict[str, Any]]:
    """A date-time branch as the plain types it stands for (its ISO and UNIX forms)."""
    if "$ref" in branch:
        named = schema(document, branch["$ref"][len(SCHEMA_PREFIX) :]) or {}
        alternatives = named.get("oneOf") or named.get("anyOf") or []
    else:
        alternatives = [branch]
    return [{"type": a["type"]} for a in alternatives if isinstance(a, dict) and "type" in a]


def _types(branches: list[Any]) -> list[str]:
    return [b["type"] for b in branches if isinstance(b, dict) and isinstance(b.get("type"), str)]


def _custom_values_need_fixing(document: Document) -> bool:
    branches = _branches(document)
    if branches is None:
        return False
    if any(_is_date_time(b, document) for b in branches):
        return True
    types = _types(branches)
    return "integer" in types and not {"number", "boolean"} <= set(types)


@rule(
    "custom-attribute-values",
    "date-time branches become plain strings and integers; number and boolean join integer",
    _custom_values_need_fixing,
)
def _fix_custom_values(document: Document) -> None:
    branches = _branches(document)
    assert branches is not None
    result: list[Any] = []
    for branch in branches:
        replacements = (
            _plain_types(branch, document) if _is_date_time(branch, document) else [branch]
        )
        for item in replacements:
            if item not in result:
                result.append(item)

    def index(kind: str) -> int | None:
        for position, branch in enumerate(result):
            if isinstance(branch, dict) and branch.get("type") == kind:
                return position
        return None

    anchor = index("integer")
    if anchor is not None:
        for extra in ("number", "boolean"):
            found = index(extra)
            if found is None:
                anchor += 1
                result.insert(anchor, {"type": extra})
            else:
                anchor = found
    branches[:] = result


# -- custom-object-instance-not-nullable, integer-timestamps ----------------------------


@rule(
    "custom-object-instance-not-nullable",
    "custom_object_instance is not nullable",
    lambda d: bool((schema(d, "custom_object_instance") or {}).get("nullable")),
)
def _instance_not_nullable(document: Document) -> None:
    (schema(document, "custom_object_instance") or {}).pop("nullable", None)


def _date_time_integers(document: Document) -> Iterator[dict[str, Any]]:
    properties = (schema(document, "custom_object_instance") or {}).get("properties", {})
    for prop in properties.values():
        is_integer = isinstance(prop, dict) and prop.get("type") == "integer"
        if is_integer and prop.get("format") == "date-time":
            yield prop


@rule(
    "integer-timestamps",
    "integer timestamps of custom_object_instance lose their date-time format",
    lambda d: any(True for _ in _date_time_integers(d)),
)
def _integer_timestamps(document: Document) -> None:
    for prop in list(_date_time_integers(document)):
        del prop["format"]


# -- body-required-not-nullable, e164-phone ---------------------------------------------


def _request_body(document: Document) -> dict[str, Any] | None:
    found = operation(document).get("requestBody")
    return found if isinstance(found, dict) else None


def _body_needs_fixing(document: Document) -> bool:
    body = _request_body(document)
    if body is None:
        return False
    request = schema(document, "create_phone_switch_request") or {}
    return body.get("required") is not True or bool(request.get("nullable"))


@rule(
    "body-required-not-nullable",
    "the request body is required and its schema not nullable",
    _body_needs_fixing,
)
def _body_required(document: Document) -> None:
    body = _request_body(document)
    assert body is not None
    body["required"] = True
    (schema(document, "create_phone_switch_request") or {}).pop("nullable", None)


def phone_field(document: Document) -> str:
    """The request property carrying the phone: as the operation's x-stable-names
    declares (the importer puts our declaration there before the rules run), else
    ``phone``."""
    declared = operation(document).get("x-stable-names")
    names = declared.get("request") if isinstance(declared, dict) else None
    found = names.get("phone") if isinstance(names, dict) else None
    return found if isinstance(found, str) else "phone"


def _phone(document: Document) -> dict[str, Any] | None:
    found = _property(document, "create_phone_switch_request", phone_field(document))
    return found if found is not None and found.get("type") == "string" else None


def _phone_needs_pattern(document: Document) -> bool:
    phone = _phone(document)
    return phone is not None and phone.get("pattern") != E164


@rule("e164-phone", "phone has the E.164 pattern", _phone_needs_pattern)
def _e164(document: Document) -> None:
    phone = _phone(document)
    assert phone is not None
    phone["pattern"] = E164
    # A published example that is no E.164 number ("+1 1234567890") goes with it.
    if "example" in phone and not re.fullmatch(E164, str(phone["example"])):
        del phone["example"]


# -- response-carries-url, phone-switch-not-nullable ------------------------------------


def _response_needs_url(document: Document) -> bool:
    answer = schema(document, "phone_switch")
    if answer is None:
        return False
    properties = answer.get("properties", {})
    kind = properties.get("type", {})
    return (
        "url" not in properties
        or answer.get("required") != ["type", "url"]
        or (isinstance(kind, dict) and "default" in kind)
    )


@rule(
    "response-carries-url",
    "phone_switch has url; type and url are required, phone is optional",
    _response_needs_url,
)
def _response_url(document: Document) -> None:
    answer = schema(document, "phone_switch")
    assert answer is not None
    properties = answer.setdefault("properties", {})
    properties.setdefault("url", {"type": "string"})
    kind = properties.get("type")
    if isinstance(kind, dict):
        kind.pop("default", None)
    answer["required"] = ["type", "url"]


@rule(
    "phone-switch-not-nullable",
    "phone_switch is not nullable",
    lambda d: bool((schema(d, "phone_switch") or {}).get("nullable")),
)
def _answer_not_nullable(document: Document) -> None:
    (schema(document, "phone_switch") or {}).pop("nullable", None)


# -- error-key-schema, landline-example, rate-limit-response ----------------------------

ERROR_KEY_SCHEMAS: dict[str, dict[str, Any]] = {
    "400": {"anyOf": [ref("phone_switch_error"), ref("error")]},
    "422": ref("phone_switch_error"),
}


def _unschematic(document: Document) -> list[str]:
    statuses = []
    for status in ERROR_KEY_SCHEMAS:
        content = json_content(response(document, status))
        if content is not None and "schema" not in content:
            statuses.append(status)
    return statuses


@rule(
    "error-key-schema",
    "400 and 422 get an error_key schema (400 also admits the error list)",
    lambda d: bool(_unschematic(d)),
)
def _error_key_schema(document: Document) -> None:
    for status in _unschematic(document):
        content = json_content(response(document, status))
        assert content is not None
        content["schema"] = dict(ERROR_KEY_SCHEMAS[status])
    schemas(document).setdefault(
        "phone_switch_error",
        {
            "type": "object",
            "required": ["error_key"],
            "properties": {"error_key": {"type": "string"}, "message": {"type": "string"}},
        },
    )


def _landline_placeholder(document: Document) -> bool:
    examples = (json_content(response(document, "422")) or {}).get("examples") or {}
    keys = [
        example.get("value", {}).get("error_key")
        for example in examples.values()
        if isinstance(example, dict) and isinstance(example.get("value"), dict)
    ]
    return any(key != "landline_phone" for key in keys)


@rule(
    "landline-example",
    "the 422 example says landline_phone",
    _landline_placeholder,
)
def _landline(document: Document) -> None:
    content = json_content(response(document, "422"))
    assert content is not None
    content["examples"] = {"landline_phone": {"value": {"error_key": "landline_phone"}}}


@rule(
    "rate-limit-response",
    "429 answers with the error list",
    lambda d: "responses" in operation(d) and response(d, "429") is None,
)
def _rate_limit(document: Document) -> None:
    operation(document)["responses"]["429"] = {
        "content": {"application/json": {"schema": ref("error")}}
    }


# -- error-item-component, request-id-opaque --------------------------------------------


def _inline_error_items(document: Document) -> dict[str, Any] | None:
    errors = _property(document, "error", "errors") or {}
    items = errors.get("items")
    return items if isinstance(items, dict) and "$ref" not in items else None


@rule(
    "error-item-component",
    "the items of the error list are the component error_item",
    lambda d: _inline_error_items(d) is not None,
)
def _error_item(document: Document) -> None:
    items = _inline_error_items(document)
    assert items is not None
    schemas(document)["error_item"] = {"type": "object", **items}
    errors = _property(document, "error", "errors")
    assert errors is not None
    errors["items"] = ref("error_item")


@rule(
    "request-id-opaque",
    "request_id of the error list is a plain string",
    lambda d: "format" in (_property(d, "error", "request_id") or {}),
)
def _request_id(document: Document) -> None:
    request_id = _property(document, "error", "request_id")
    assert request_id is not None
    del request_id["format"]


# -- version-aliases --------------------------------------------------------------------

ALIASES = {"Unstable": "Preview"}


@rule(
    "version-aliases",
    "the Intercom-Version schema lists the former names Intercom still accepts",
    lambda d: (
        schema(d, "intercom_version") is not None
        and (schema(d, "intercom_version") or {}).get("x-aliases") != ALIASES
    ),
)
def _aliases(document: Document) -> None:
    version = schema(document, "intercom_version")
    assert version is not None
    version["x-aliases"] = dict(ALIASES)


def rule_ids() -> list[str]:
    return [each.id for each in RULES]
