"""Validators built from a version's effective spec, for checking what crossed the wire."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from openapi_schema_validator import OAS30Validator

from intercom_phone_switch.contract.spec import load_document
from intercom_phone_switch.spec import effective


@functools.cache
def document(version: str) -> Mapping[str, Any]:
    return load_document(version)


def validator(version: str, schema: Mapping[str, Any]) -> OAS30Validator:
    """A validator of ``schema`` (an OpenAPI 3.0 schema of ``version``'s document)."""
    root = {**schema, "components": document(version)["components"]}
    return OAS30Validator(root)


def request_validator(version: str) -> OAS30Validator:
    body = effective(version).operation["requestBody"]["content"]["application/json"]["schema"]
    return validator(version, body)


def response_validator(version: str, status: int) -> OAS30Validator:
    response = effective(version).operation["responses"][str(status)]
    return validator(version, response["content"]["application/json"]["schema"])


def response_statuses(version: str) -> list[int]:
    """Every status the version documents, with a JSON body."""
    return sorted(int(status) for status in effective(version).operation["responses"])
