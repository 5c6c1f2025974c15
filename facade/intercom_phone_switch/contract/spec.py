"""The effective spec of a supported version, as the contract run reads it.

Everything a contract run knows about the API comes from here: the document shipped next
to each generated package, the phone's schema, and the error keys the spec documents for
answers that reject a well-formed request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from intercom_phone_switch import _effective
from intercom_phone_switch._effective import METHOD, PATH, operation, resolve
from intercom_phone_switch_generated.registry import HEADER_VALUES, VERSIONS

VERSION_HEADER = "Intercom-Version"


class UnknownVersion(ValueError):
    """Not a version with an effective spec of its own."""


def resolve_version(value: str) -> str:
    """The supported version for a version name or a header alias.

    ``"2.16"`` -> ``"2.16"``; ``"Unstable"`` -> ``"Preview"``. Numeric header values that
    share an older version's package (``"2.3"``) are refused: they have no contract of
    their own.
    """
    if value in VERSIONS:
        return value
    target = HEADER_VALUES.get(value)
    if target is not None and not value[:1].isdigit():
        return target
    choices = ", ".join(VERSIONS)
    raise UnknownVersion(f"{value!r} is not a version with its own contract; choose from {choices}")


def load_document(version: str) -> dict[str, Any]:
    """A fresh copy of the effective spec of ``version`` (callers may change it)."""
    if version not in VERSIONS:
        raise UnknownVersion(f"{version!r} is not a supported version")
    return _effective.load_document(version)


def request_schema(document: Mapping[str, Any]) -> Mapping[str, Any]:
    """The request body's schema, its top-level reference resolved."""
    body = operation(document)["requestBody"]["content"]["application/json"]["schema"]
    resolved: Mapping[str, Any] = resolve(body, document)
    return resolved


def phone_pattern(document: Mapping[str, Any]) -> re.Pattern[str]:
    """The phone's pattern, matched against the whole value.

    The spec's pattern is an ECMA-262 regular expression, whose ``$`` does not match
    before a trailing newline; a full match gives the same answer in Python.
    """
    phone = resolve(request_schema(document)["properties"]["phone"], document)
    return re.compile(str(phone["pattern"]))


def documented_error_keys(document: Mapping[str, Any]) -> dict[int, frozenset[str]]:
    """Status -> the ``error_key`` values its examples document (400 and 422 here).

    These are the only reasons the spec gives for refusing a request whose body matches
    the schema: the number is no real number, the SMS failed, or the number is a landline.
    """
    keys: dict[int, set[str]] = {}
    for status, response in operation(document)["responses"].items():
        media = resolve(response, document).get("content", {}).get("application/json", {})
        for example in (media.get("examples") or {}).values():
            value = resolve(example, document).get("value")
            if isinstance(value, Mapping) and "error_key" in value:
                keys.setdefault(int(status), set()).add(str(value["error_key"]))
    return {status: frozenset(found) for status, found in keys.items()}


def _is_version_header(parameter: Mapping[str, Any]) -> bool:
    return parameter.get("in") == "header" and str(parameter.get("name", "")).lower() == (
        VERSION_HEADER.lower()
    )


def without_version_header(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` without the ``Intercom-Version`` parameter, for a run that pins it.

    Only the parameter goes; responses, bodies and components stay as they are.
    """
    post = document["paths"][PATH][METHOD]
    post["parameters"] = [
        parameter
        for parameter in post.get("parameters", [])
        if not _is_version_header(resolve(parameter, document))
    ]
    if not post["parameters"]:
        del post["parameters"]
    return document


def header_enum(document: Mapping[str, Any]) -> list[str]:
    """The ``Intercom-Version`` values the document lists."""
    for parameter in operation(document).get("parameters", []):
        parameter = resolve(parameter, document)
        if _is_version_header(parameter):
            schema = resolve(parameter["schema"], document)
            return [str(value) for value in schema.get("enum", [])]
    return []
