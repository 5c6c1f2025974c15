"""The facade's stable names, and what carries each of them in one version's contract.

The facade speaks in stable names: a request has a ``phone`` and ``custom_attributes``,
an accepted answer a ``type``, a ``url`` and a ``phone``, and every documented answer is
an accepted one, an error key or an error list. Each version's effective spec declares,
on the operation, which of its JSON properties and schemas carry them::

    x-stable-names:
      request:  {phone: phone, custom_attributes: custom_attributes}
      response: {type: type, url: url, phone: phone}     # phone: null when never sent
      answers:  {switch: phone_switch, error_key: phone_switch_error, error_list: error}

The stored spec holds the declaration; an overlay changes it for its version (a renamed
field needs one action, no code). :func:`resolve` checks a declaration against the
contract it sits in and returns what the generated seam needs; when a name leads nowhere
(or a correction the facade relies on no longer applies) it raises
:class:`StableNameError` naming each field, so the import can stop before writing.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from intercom_phone_switch._pointer import resolve as follow

from .corrections import E164
from .extract import METHOD, PATH

#: The key on the operation.
KEY = "x-stable-names"
#: Stable names of a request's fields; every one must be carried.
REQUEST = ("phone", "custom_attributes")
#: Stable names of an accepted answer's fields.
RESPONSE = ("type", "url", "phone")
#: Stable answer fields a version may declare it never sends (``null``).
OPTIONAL_RESPONSE = frozenset({"phone"})
#: The kinds of answer the facade knows, each one schema of the version.
ANSWERS = ("switch", "error_key", "error_list")
#: The fields the facade reads from the error shapes, by their JSON names.
ERROR_KEY_FIELDS = ("error_key", "message")
ERROR_LIST_FIELDS = ("request_id", "errors")
ERROR_ITEM_FIELDS = ("code", "message", "field")
SCHEMA_PREFIX = "#/components/schemas/"


class StableNameError(ValueError):
    """A version's contract does not carry what the facade relies on."""

    def __init__(self, version: str, problems: list[Problem]) -> None:
        self.version = version
        self.problems = problems
        lines = [f"  - {problem.where}: {problem.message}" for problem in problems]
        super().__init__(
            f"Intercom-Version {version} does not carry what the facade relies on:\n"
            + "\n".join(lines)
        )


@dataclass(frozen=True)
class Problem:
    #: ``request``, ``response`` or ``answers`` (the part of x-stable-names concerned).
    side: str
    #: The stable name concerned, or "" for the contract as a whole.
    stable: str
    message: str
    #: Properties the declaration may name instead (for the maintainer's hint).
    candidates: tuple[str, ...] = ()

    @property
    def where(self) -> str:
        return f"{self.side} {self.stable}".strip()


@dataclass(frozen=True)
class Resolved:
    """One version's stable names, checked against its contract."""

    #: Stable request name -> JSON property.
    request: dict[str, str]
    #: Stable answer name -> JSON property (None: the version never sends it).
    response: dict[str, str | None]
    #: Answer kind -> the component schema of that shape.
    answers: dict[str, str]
    #: The component schema of the request body.
    request_schema: str
    #: Documented status -> the answer kinds its body may be (empty: no JSON body).
    statuses: dict[int, tuple[str, ...]] = field(default_factory=dict)


def declaration(document: Mapping[str, Any]) -> Mapping[str, Any]:
    """The operation's x-stable-names (empty when it has none)."""
    operation = document.get("paths", {}).get(PATH, {}).get(METHOD, {})
    found = operation.get(KEY) if isinstance(operation, Mapping) else None
    return found if isinstance(found, Mapping) else {}


def request_field(document: Mapping[str, Any], stable: str) -> str:
    """The JSON property declared for a stable request name (the name itself when the
    document declares none: a published description, before our prose)."""
    names = declaration(document).get("request")
    found = names.get(stable) if isinstance(names, Mapping) else None
    return found if isinstance(found, str) else stable


def _renamed(names: Any, before: Any, stables: tuple[str, ...]) -> dict[str, str]:
    """Old JSON property -> new one, for each stable name the two declarations map to
    different properties."""
    if not (isinstance(names, Mapping) and isinstance(before, Mapping)):
        return {}
    found: dict[str, str] = {}
    for stable in stables:
        old, new = before.get(stable), names.get(stable)
        if isinstance(old, str) and isinstance(new, str) and old != new:
            found[old] = new
    return found


def _rename_keys(node: Any, renames: Mapping[str, str]) -> Any:
    """A dict with its keys renamed (in place of the old ones); anything else as it is."""
    if not isinstance(node, dict) or not renames.keys() & node.keys():
        return node
    return {renames.get(key, key): value for key, value in node.items()}


def _rename_properties(schema: Any, renames: Mapping[str, str]) -> dict[str, str]:
    """Rename the properties of ``schema`` (a component, in place) that it has under the
    old name and lacks under the new one; return the renames done."""
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict):
        return {}
    done = {old: new for old, new in renames.items() if old in properties}
    done = {old: new for old, new in done.items() if new not in properties}
    if done:
        schema["properties"] = _rename_keys(properties, done)
        if isinstance(schema.get("example"), dict):
            schema["example"] = _rename_keys(schema["example"], done)
    return done


def _rename_in_examples(media: Any, renames: Mapping[str, str]) -> None:
    """Rename the top-level keys of the examples of ``media`` (a media type object)."""
    if not isinstance(media, dict) or not renames:
        return
    if "example" in media:
        media["example"] = _rename_keys(media["example"], renames)
    for example in (media.get("examples") or {}).values():
        if isinstance(example, dict) and "value" in example:
            example["value"] = _rename_keys(example["value"], renames)


def follow_declaration(ours: Mapping[str, Any], frame: Mapping[str, Any]) -> dict[str, Any]:
    """``ours`` (our document of a version, before an import) with what it says of a
    stable field moved to the property its declaration names.

    A version's overlay may declare that another property carries a stable name
    (``phone: phone_number``) while the rest of ``ours`` is still written for the
    property ``frame`` (the stored spec) declares: the prose and example of that
    property, and the keys of the request's (or an accepted answer's) examples. Moved to
    the declared property, they reach the imported version: its description and its
    examples are ones it accepts. A copy; ``ours`` is not changed.
    """
    moved: dict[str, Any] = copy.deepcopy(dict(ours))
    declared, before = declaration(moved), declaration(frame)
    operation = moved.get("paths", {}).get(PATH, {}).get(METHOD)
    schemas = (moved.get("components") or {}).get("schemas") or {}
    if not isinstance(operation, dict):
        return moved
    wanted = _renamed(declared.get("request"), before.get("request"), REQUEST)
    body = follow(operation.get("requestBody"), moved, None)
    media = ((body or {}).get("content") or {}).get("application/json")
    name = _component(media.get("schema")) if isinstance(media, Mapping) else None
    if wanted and name in schemas:
        _rename_in_examples(media, _rename_properties(schemas[name], wanted))
    wanted = _renamed(declared.get("response"), before.get("response"), RESPONSE)
    switch = (declared.get("answers") or {}).get("switch")
    if wanted and switch in schemas:
        done = _rename_properties(schemas[switch], wanted)
        for status, answer in (operation.get("responses") or {}).items():
            if str(status).startswith("2"):
                answer = follow(answer, moved, None)
                media = ((answer or {}).get("content") or {}).get("application/json")
                _rename_in_examples(media, done)
    return moved


def _component(node: Any) -> str | None:
    if isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
        ref: str = node["$ref"]
        if ref.startswith(SCHEMA_PREFIX) and "/" not in ref[len(SCHEMA_PREFIX) :]:
            return ref[len(SCHEMA_PREFIX) :]
    return None


def _json_schema(node: Any, document: Mapping[str, Any]) -> Any:
    """The application/json schema of a request body or response object (None: none)."""
    resolved = follow(node, document, None)
    if not isinstance(resolved, Mapping):
        return None
    media = (resolved.get("content") or {}).get("application/json")
    return media.get("schema") if isinstance(media, Mapping) else None


def _properties(schema: Any, document: Mapping[str, Any]) -> dict[str, Any]:
    resolved = follow(schema, document, None)
    found = resolved.get("properties") if isinstance(resolved, Mapping) else None
    return {str(name): follow(value, document, None) for name, value in (found or {}).items()}


def _is_string(schema: Any) -> TypeGuard[Mapping[str, Any]]:
    return isinstance(schema, Mapping) and schema.get("type") == "string"


def resolve(document: Mapping[str, Any]) -> Resolved:
    """Check the stable names of ``document`` (one version's effective spec).

    Raises StableNameError listing every stable name that does not resolve, every
    request field the facade would have to send but has no stable name for, every
    documented answer that is none of the declared shapes, and the phone field when
    it lacks the E.164 pattern.
    """
    version = str((document.get("info") or {}).get("version", "?"))
    problems: list[Problem] = []
    declared = declaration(document)
    schemas = (document.get("components") or {}).get("schemas") or {}
    operation = document["paths"][PATH][METHOD]

    def names(side: str) -> Mapping[str, Any]:
        found = declared.get(side)
        if isinstance(found, Mapping):
            return found
        problems.append(Problem(side, "", f"x-stable-names declares no {side} names"))
        return {}

    declared_request = names("request")
    declared_response = names("response")
    declared_answers = names("answers")

    # -- the request -----------------------------------------------------------------
    body = _json_schema(operation.get("requestBody"), document)
    request_schema = _component(body) or ""
    fields = _properties(body, document)
    request: dict[str, str] = {}
    for stable in declared_request:
        if stable not in REQUEST:
            problems.append(Problem("request", str(stable), "is not a stable name"))
    for stable in REQUEST:
        prop = declared_request.get(stable)
        if not isinstance(prop, str):
            problems.append(Problem("request", stable, "no property is declared to carry it"))
        elif prop not in fields:
            unmapped = tuple(name for name in fields if name not in declared_request.values())
            problems.append(
                Problem(
                    "request",
                    stable,
                    f"the request has no property {prop!r}"
                    + (f" (it has {', '.join(fields)})" if fields else ""),
                    unmapped,
                )
            )
        else:
            request[stable] = prop
    resolved_body = follow(body, document, None)
    required = resolved_body.get("required") if isinstance(resolved_body, Mapping) else None
    # A required field no stable name carries (when every name resolves: otherwise it is
    # most likely the one a name should be declared for).
    for name in required if len(request) == len(REQUEST) and required else []:
        if name in fields and name not in declared_request.values():
            problems.append(
                Problem(
                    "request",
                    "",
                    f"the request requires {name!r}, which no stable name carries: the "
                    "facade cannot send this version without a new stable name (code)",
                )
            )
    phone = fields.get(request.get("phone", ""))
    if "phone" in request and not (_is_string(phone) and phone.get("pattern") == E164):
        pattern = phone.get("pattern") if isinstance(phone, Mapping) else None
        problems.append(
            Problem(
                "request",
                "phone",
                f"the E.164 correction does not apply to {request['phone']!r} "
                f"(type {phone.get('type') if isinstance(phone, Mapping) else None!r}, "
                f"pattern {pattern!r}): the facade checks phone numbers with it",
            )
        )

    # -- the answers -----------------------------------------------------------------
    answers: dict[str, str] = {}
    for kind, name in declared_answers.items():
        if kind not in ANSWERS:
            problems.append(Problem("answers", str(kind), "is not a kind of answer"))
        elif not isinstance(name, str) or name not in schemas:
            problems.append(Problem("answers", str(kind), f"there is no schema {name!r}"))
        else:
            answers[str(kind)] = name
    if declared_answers and "switch" not in declared_answers:
        problems.append(Problem("answers", "switch", "no schema is declared for it"))
    kind_of = {name: kind for kind, name in answers.items()}
    statuses: dict[int, tuple[str, ...]] = {}
    for status, answer in (operation.get("responses") or {}).items():
        if not str(status).isdigit():
            problems.append(Problem("answers", "", f"status {status!r} is not a status code"))
            continue
        schema = _json_schema(answer, document)
        if schema is None:
            statuses[int(status)] = ()
            continue
        branches = [schema]
        if isinstance(schema, Mapping) and "$ref" not in schema:
            alternatives = schema.get("anyOf") or schema.get("oneOf")
            if isinstance(alternatives, list):
                branches = alternatives
        kinds: list[str] = []
        for branch in branches:
            name = _component(branch)
            if name is None or name not in kind_of:
                shown = name or "an inline schema"
                problems.append(
                    Problem(
                        "answers",
                        "",
                        f"status {status} answers {shown}, which x-stable-names.answers "
                        f"does not declare as one of {', '.join(ANSWERS)}",
                    )
                )
            elif kind_of[name] not in kinds:
                kinds.append(kind_of[name])
        statuses[int(status)] = tuple(kinds)
    if answers.get("switch") and not any(
        200 <= status < 300 and "switch" in kinds for status, kinds in statuses.items()
    ):
        problems.append(Problem("answers", "switch", "no 2xx status answers it"))

    switch: dict[str, Any] = {}
    if "switch" in answers:
        switch = _properties({"$ref": SCHEMA_PREFIX + answers["switch"]}, document)
    response: dict[str, str | None] = {}
    for stable in RESPONSE:
        prop = declared_response.get(stable, "")
        if prop is None and stable in OPTIONAL_RESPONSE:
            response[stable] = None
        elif not isinstance(prop, str) or not prop:
            problems.append(Problem("response", stable, "no property is declared to carry it"))
        elif "switch" in answers and prop not in switch:
            unmapped = tuple(n for n in switch if n not in declared_response.values())
            hint = " (or null: this version never sends it)" if stable in OPTIONAL_RESPONSE else ""
            problems.append(
                Problem(
                    "response",
                    stable,
                    f"the accepted answer has no property {prop!r}{hint}",
                    unmapped,
                )
            )
        elif "switch" in answers and not _is_string(switch[prop]):
            problems.append(Problem("response", stable, f"{prop!r} is not a string"))
        else:
            response[stable] = prop
    for kind, wanted in (("error_key", ERROR_KEY_FIELDS), ("error_list", ERROR_LIST_FIELDS)):
        if kind in answers:
            present = _properties({"$ref": SCHEMA_PREFIX + answers[kind]}, document)
            missing = [name for name in wanted if name not in present]
            if missing:
                problems.append(
                    Problem("answers", kind, f"{answers[kind]} has no {', '.join(missing)}")
                )
            elif kind == "error_list":
                items = follow((present["errors"] or {}).get("items"), document, None)
                item_fields = _properties(items, document)
                if "code" not in item_fields:
                    problems.append(
                        Problem("answers", kind, f"the errors of {answers[kind]} have no code")
                    )
    if problems:
        raise StableNameError(version, problems)
    return Resolved(
        request=request,
        response=response,
        answers=answers,
        request_schema=request_schema,
        statuses=statuses,
    )
