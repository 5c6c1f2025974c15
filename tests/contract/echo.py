"""A server that echoes the Authorization header back in its error bodies.

It answers every request carrying :data:`TOKEN` with a 400 whose error list is a sentence
quoting the header, as a careless proxy might: the schema check that quotes the wrong
value quotes the token. Requests without it get the usual 401.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

#: Printable ASCII without spaces, with the characters JSON, XML and URLs escape.
TOKEN = "tok_live_\"echo&me'<x>\\9/%2F"


async def echo_app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    for _ in range(10_000):
        message = await receive()
        if not message.get("more_body", False):
            break
    headers = {
        name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]
    }
    authorization = headers.get("authorization", "")
    if authorization == f"Bearer {TOKEN}":
        status, answer = (
            400,
            {
                "type": "error.list",
                "request_id": authorization,
                "errors": f"bad Authorization header {authorization}",
            },
        )
    else:  # the checks that drop or spoil the token get the usual refusal
        status, answer = (
            401,
            {
                "type": "error.list",
                "request_id": None,
                "errors": [{"code": "unauthorized", "message": "Access Token Invalid"}],
            },
        )
    body = json.dumps(answer).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"x-request-id", authorization.encode("latin-1")),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
