"""The answers the fake gives: Intercom's error bodies, built from the spec's examples."""

from __future__ import annotations

import http
import uuid
from collections.abc import Mapping
from typing import Any

from ._contract import VersionContract, dumps

JSON = (b"content-type", b"application/json; charset=utf-8")

#: Messages for the error codes the spec names but gives no example of.
MESSAGES: Mapping[str, str] = {
    "intercom_version_invalid": "Requested resource is not available in current API version",
    "parameter_invalid": "Invalid request",
}


def error_key_body(contract: VersionContract, key: str) -> bytes:
    """``{"error_key": ..., "message": ...}`` exactly as the spec's example shows it."""
    return dumps(contract.examples[key])


def error_list_body(
    contract: VersionContract,
    request_id: str,
    code: str,
    message: str | None = None,
    field: str | None = None,
) -> bytes:
    """Intercom's error list with one error, shaped like the spec's example for ``code``."""
    example = contract.examples.get(code)
    error: dict[str, Any] = {"code": code}
    if message is None and example is not None:
        message = next(
            (item.get("message") for item in example["errors"] if item["code"] == code), None
        )
    if message is None:
        message = MESSAGES.get(code)
    if message is not None:
        error["message"] = message
    if field is not None:
        error["field"] = field
    return dumps({"type": contract.error_list_type, "request_id": request_id, "errors": [error]})


def server_error_message(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Server Error"


def new_request_id() -> str:
    return str(uuid.uuid4())
