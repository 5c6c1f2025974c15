"""``POST /phone_call_redirects``: the fake endpoint, as a lean ASGI callable.

Checks, in Intercom's order: the access token (401), the request budget (429), the
``Intercom-Version`` header (400 intercom_version_invalid), the content type and body
(400 parameter_invalid, checked with the version's request schema), the phone (400
invalid_phone_number, 422 landline_phone). Then the SMS is "sent": it goes to the outbox
and the custom attributes to the contact. Injected faults strike before or after that.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

import httpx
from jsonschema.exceptions import best_match

from intercom_phone_switch._effective import PATH

from .contract import VersionContract, dumps
from .faults import FaultKind, FaultRecord
from .phones import PhoneKind, classify
from .responses import JSON, error_key_body, error_list_body, server_error_message
from .state.outbox import SentSms, utc

if TYPE_CHECKING:
    from .app import FakeIntercom

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

#: Key of ``scope["state"]`` under which a server may offer a callable that closes the
#: connection at once, without an answer (the fake's own uvicorn server does).
ABORT_KEY = "intercom_phone_switch.fake.abort"

__all__ = ["ABORT_KEY", "PATH", "ConnectionDropped", "PhoneSwitchEndpoint"]


class ConnectionDropped(httpx.RemoteProtocolError):
    """The fake closed the connection without answering (an injected fault).

    Raised by the ASGI app when the server running it offers no way to close the
    connection; in-process transports hand it to the client as the transport error it is.
    """


class _Rejected(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _bearer(authorization: bytes | None) -> str | None:
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(b" ")
    if scheme.lower() != b"bearer":
        return None
    token = token.strip()
    return token.decode("latin-1") if token else None


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number out of range: {text}")
    return value


def _constant(text: str) -> Any:
    raise ValueError(f"not a JSON value: {text}")


async def _respond(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _drop(scope: Scope, receive: Receive) -> None:
    abort = (scope.get("state") or {}).get(ABORT_KEY)
    if abort is None:
        raise ConnectionDropped("Server disconnected without sending a response.")
    abort()
    # Wait until the server has seen the connection go, so it neither answers for us
    # nor reports that we did not.
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(_disconnected(receive), timeout=1.0)


async def _disconnected(receive: Receive) -> None:
    for _ in range(1000):
        if (await receive())["type"] == "http.disconnect":
            return


class PhoneSwitchEndpoint:
    """The ASGI callable serving ``POST /phone_call_redirects`` for one fake workspace."""

    def __init__(self, fake: FakeIntercom) -> None:
        self._fake = fake

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fake = self._fake
        request_id = str(uuid.uuid4())
        authorization = version_value = content_type = content_length = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value
            elif name == b"intercom-version":
                version_value = value
            elif name == b"content-type":
                content_type = value
            elif name == b"content-length":
                content_length = value
        headers = [JSON, (b"x-request-id", request_id.encode())]
        contract = fake.contract(fake.default_version)

        token = _bearer(authorization)
        if token is None or token not in fake.tokens:
            body = error_list_body(contract, request_id, "unauthorized")
            return await _respond(send, 401, body, headers)

        quota = fake.rate_limiter.take(token)
        headers.extend(quota.headers())
        if not quota.allowed:
            message = (
                f"Exceeded rate limit of {quota.limit} in {fake.rate_limiter.window:g} seconds"
            )
            body = error_list_body(contract, request_id, "rate_limit_exceeded", message)
            return await _respond(send, 429, body, headers)

        version = fake.default_version
        if version_value is not None:
            version = version_value.decode("latin-1")
            if not fake.accepts_version(version):
                body = error_list_body(contract, request_id, "intercom_version_invalid")
                return await _respond(send, 400, body, headers)
            contract = fake.contract(version)

        now = fake.clock()
        sequence = fake.next_sequence()
        record = fake.faults.draw(sequence, request_id, contract.version, now)

        rejected: _Rejected | None = None
        data: Any = None
        try:
            data = await self._read_json(receive, content_type, content_length)
        except _Rejected as error:
            rejected = error
        except _ClientGone:
            return None
        phone = data.get("phone") if isinstance(data, dict) else None
        if record is not None:
            if isinstance(phone, str):
                record.phone = phone
            kind = record.fault.kind
            if kind is FaultKind.LATENCY:
                record.applied = True
                await asyncio.sleep(record.fault.delay)
            elif kind is FaultKind.SERVER_ERROR_BEFORE:
                return await self._server_error(send, contract, request_id, headers, record)
        if rejected is not None:
            body = error_list_body(contract, request_id, "parameter_invalid", rejected.message)
            return await self._answer(send, 400, body, headers, record)

        problem = self._check(contract, data, request_id)
        if problem is not None:
            return await self._answer(send, problem[0], problem[1], headers, record)
        assert isinstance(data, dict)
        assert isinstance(phone, str)

        if record is not None and record.fault.kind is FaultKind.SMS_FAILED:
            record.applied = True
            return await self._answer(
                send, 400, error_key_body(contract, "sms_failed"), headers, record
            )

        url = contract.url_prefix + str(uuid.uuid4())
        attributes = data.get("custom_attributes") or {}
        sent_at = utc(now)
        fake.outbox.record(
            SentSms(
                phone=phone,
                url=url,
                custom_attributes=attributes,
                version=version,
                spec_version=contract.version,
                request_id=request_id,
                sent_at=sent_at,
                sequence=sequence,
            )
        )
        if attributes:
            fake.contacts.merge(phone, attributes, sent_at)

        if record is not None:
            record.sms_recorded = True
            if record.fault.kind is FaultKind.SERVER_ERROR_AFTER:
                return await self._server_error(send, contract, request_id, headers, record)
            if record.fault.kind is FaultKind.DROP_AFTER_SMS:
                record.applied = True
                record.status = None
                return await _drop(scope, receive)

        body = dumps({"type": contract.result_type, "url": url})
        return await self._answer(send, 200, body, headers, record)

    @staticmethod
    async def _answer(
        send: Send,
        status: int,
        body: bytes,
        headers: list[tuple[bytes, bytes]],
        record: FaultRecord | None,
    ) -> None:
        if record is not None:
            record.status = status
        await _respond(send, status, body, headers)

    async def _server_error(
        self,
        send: Send,
        contract: VersionContract,
        request_id: str,
        headers: list[tuple[bytes, bytes]],
        record: FaultRecord,
    ) -> None:
        record.applied = True
        status = record.fault.status
        body = error_list_body(contract, request_id, "server_error", server_error_message(status))
        await self._answer(send, status, body, headers, record)

    async def _read_json(
        self, receive: Receive, content_type: bytes | None, content_length: bytes | None
    ) -> Any:
        if content_type is None or (
            content_type.partition(b";")[0].strip().lower() != b"application/json"
        ):
            raise _Rejected("The request body must be sent as application/json")
        limit = self._fake.max_body_bytes
        too_large = f"The request body is larger than {limit} bytes"
        if content_length is not None and content_length.isdigit() and int(content_length) > limit:
            raise _Rejected(too_large)
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _ClientGone
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise _Rejected(too_large)
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
        raw = b"".join(chunks)
        try:
            return json.loads(raw, parse_float=_finite, parse_constant=_constant)
        except (ValueError, RecursionError):
            raise _Rejected("The request body is not valid JSON") from None

    @staticmethod
    def _check(contract: VersionContract, data: Any, request_id: str) -> tuple[int, bytes] | None:
        """None when the SMS can go out, else the status and body that say why not."""
        if not isinstance(data, dict):
            body = error_list_body(
                contract, request_id, "parameter_invalid", "The request body must be a JSON object"
            )
            return 400, body
        validator = contract.validator
        if not validator.is_valid(data):
            errors = list(validator.iter_errors(data))
            if "phone" not in data:
                return 400, error_list_body(
                    contract, request_id, "parameter_invalid", field="phone"
                )
            if any(list(e.absolute_path) == ["phone"] and e.validator == "pattern" for e in errors):
                return 400, error_key_body(contract, "invalid_phone_number")
            error = best_match(errors)
            assert error is not None
            field = ".".join(str(part) for part in error.absolute_path) or None
            return 400, error_list_body(
                contract, request_id, "parameter_invalid", error.message, field
            )
        kind = classify(data["phone"])
        if kind is PhoneKind.INVALID:
            return 400, error_key_body(contract, "invalid_phone_number")
        if kind is PhoneKind.LANDLINE:
            return 422, error_key_body(contract, "landline_phone")
        return None


class _ClientGone(Exception):
    """The client went away before its request body arrived."""
