"""Deliberately broken Intercoms: the embedded fake with exactly one defect each.

Each is an ASGI app wrapping a fresh :class:`FakeIntercom`, so everything but the defect
behaves as the fake does. A contract run against one of them must fail, and with the
check named in :data:`BROKEN`: that is what shows the suite can catch a broken server.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from intercom_phone_switch.fake import FakeIntercom

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

TOKEN = "broken-token"
E164 = re.compile(r"\+[1-9][0-9]{1,14}")
URL = "http://via.intercom.io/msgr/1add3dd1-a75e-4a96-96fd-984d16aba059"


async def _read(receive: Receive) -> bytes:
    chunks = []
    for _ in range(10_000):
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _answer(send: Send, status: int, body: Any, content_type: bytes) -> None:
    raw = json.dumps(body).encode() if content_type.startswith(b"application/json") else body
    headers = [(b"content-type", content_type), (b"content-length", str(len(raw)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": raw})


def _authorized(scope: Scope) -> bool:
    """Whether the request carries the fake's token: defects strike only past the auth check."""
    return (b"authorization", f"Bearer {TOKEN}".encode()) in [
        (name.lower(), value) for name, value in scope["headers"]
    ]


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


@dataclass
class Broken:
    """The fake, with one defect applied to requests on its way in or answers on the way out."""

    fake: FakeIntercom
    defect: str

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.fake(scope, receive, send)
            return
        body = await _read(receive)
        data = _json(body)
        if self.defect != "ignores_auth" and not _authorized(scope):
            await self._forward(scope, body, send)
            return
        handler = getattr(self, f"_{self.defect}")
        await handler(scope, body, data, send)

    async def _forward(self, scope: Scope, body: bytes, send: Send) -> None:
        await self.fake(scope, _replay(body), send)

    async def _wrong_result_type(self, scope: Scope, body: bytes, data: Any, send: Send) -> None:
        """A 200 answer of ``{"type": "x"}``: not the documented phone switch."""

        async def rewrite(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                payload = json.dumps({"type": "x"}).encode()
                state["rewrite"] = payload
                headers = [(k, v) for k, v in message["headers"] if k != b"content-length"]
                headers.append((b"content-length", str(len(payload)).encode()))
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body" and "rewrite" in state:
                message = {**message, "body": state["rewrite"]}
            await send(message)

        state: dict[str, bytes] = {}
        await self.fake(scope, _replay(body), rewrite)

    async def _accepts_any_phone(self, scope: Scope, body: bytes, data: Any, send: Send) -> None:
        """A phone that is no E.164 number gets an SMS anyway."""
        phone = data.get("phone") if isinstance(data, dict) else None
        if isinstance(phone, str) and E164.fullmatch(phone) is None:
            await _answer(
                send, 200, {"type": "phone_call_redirect", "url": URL}, b"application/json"
            )
            return
        await self._forward(scope, body, send)

    async def _refuses_custom_attributes(
        self, scope: Scope, body: bytes, data: Any, send: Send
    ) -> None:
        """Well-formed custom attributes get a 400 parameter_invalid."""
        if isinstance(data, dict) and isinstance(data.get("custom_attributes"), dict):
            error = {"code": "parameter_invalid", "message": "custom_attributes not supported"}
            payload = {"type": "error.list", "request_id": "r", "errors": [error]}
            await _answer(send, 400, payload, b"application/json")
            return
        await self._forward(scope, body, send)

    async def _ignores_auth(self, scope: Scope, body: bytes, data: Any, send: Send) -> None:
        """Requests without a valid access token are served as if they had one."""
        headers = [(k, v) for k, v in scope["headers"] if k != b"authorization"]
        headers.append((b"authorization", f"Bearer {TOKEN}".encode()))
        await self._forward({**scope, "headers": headers}, body, send)

    async def _crashes_without_attributes(
        self, scope: Scope, body: bytes, data: Any, send: Send
    ) -> None:
        """A body without custom_attributes makes the server fail with a 500."""
        if isinstance(data, dict) and "phone" in data and "custom_attributes" not in data:
            await _answer(send, 500, b"Internal Server Error", b"text/plain")
            return
        await self._forward(scope, body, send)


#: Defect -> the check that must catch it.
BROKEN: dict[str, str] = {
    "wrong_result_type": "response_schema_conformance",
    "accepts_any_phone": "negative_data_rejection",
    "refuses_custom_attributes": "refusal_is_documented",
    "ignores_auth": "ignored_auth",
    "crashes_without_attributes": "not_a_server_error",
}


def broken_app(defect: str) -> Broken:
    if defect not in BROKEN:
        raise ValueError(f"no such defect: {defect}")
    return Broken(FakeIntercom(tokens=[TOKEN]), defect)
