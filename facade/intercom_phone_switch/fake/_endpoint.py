"""``POST /phone_call_redirects``: the fake endpoint, as a pipeline of small steps.

Checks, in Intercom's order: the access token (401), the request budget (429), the
``Intercom-Version`` header (400 intercom_version_invalid), the content type and body
(400 parameter_invalid, checked with the version's request schema), the phone (400
invalid_phone_number, 422 landline_phone). Then the SMS is "sent": it goes to the outbox
and the custom attributes to the contact. Injected faults strike before or after that.

Each step looks at one ``_Call`` and either lets it go on (returns None) or ends it
with an ``_Answer``; the first answer wins.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
from jsonschema.exceptions import ValidationError, best_match
from starlette.types import Receive, Scope, Send

from intercom_phone_switch._effective import PATH

from ._contract import VersionContract, dumps
from ._faults import FaultKind, FaultRecord
from ._phones import PhoneKind, classify
from ._responses import JSON, error_key_body, error_list_body, server_error_message
from ._state.outbox import SentSms, utc

if TYPE_CHECKING:
    from ._app import FakeIntercom

#: Key of ``scope["state"]`` under which a server may offer a callable that closes the
#: connection at once, without an answer (the fake's own uvicorn server does).
ABORT_KEY = "intercom_phone_switch.fake.abort"
#: The fault log keeps at most this many characters of a request's phone.
PHONE_LOGGED = 64
#: At most this many schema errors are weighed for the answer's message.
ERRORS_WEIGHED = 64

__all__ = ["ABORT_KEY", "PATH", "ConnectionDropped", "PhoneSwitchEndpoint"]


class ConnectionDropped(httpx.RemoteProtocolError):
    """The fake closed the connection without answering (an injected fault).

    Raised by the ASGI app when the server running it offers no way to close the
    connection; in-process transports hand it to the client as the transport error it is.
    """


@dataclass(frozen=True)
class _Answer:
    """How a call ends: a status and body, or (``drop``) no answer at all."""

    status: int = 0
    body: bytes = b""
    drop: bool = False
    #: The client went away before its body arrived: nobody to answer.
    gone: bool = False


_DROP = _Answer(drop=True)
_GONE = _Answer(gone=True)


@dataclass
class _Call:
    """One request on its way through the steps."""

    fake: FakeIntercom
    scope: Scope
    receive: Receive
    request_id: str
    #: The answer's headers so far.
    headers: list[tuple[bytes, bytes]]
    #: The version serving the call (the workspace default until the header is read).
    contract: VersionContract
    version: str
    authorization: bytes | None = None
    version_header: bytes | None = None
    content_type: bytes | None = None
    content_length: bytes | None = None
    token: str = ""
    now: float = 0.0
    sequence: int = 0
    record: FaultRecord | None = None
    data: Any = None
    #: Why the body was refused, once it was read.
    rejected: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    url: str = ""

    @classmethod
    def begin(cls, fake: FakeIntercom, scope: Scope, receive: Receive) -> _Call:
        request_id = str(uuid.uuid4())
        call = cls(
            fake=fake,
            scope=scope,
            receive=receive,
            request_id=request_id,
            headers=[JSON, (b"x-request-id", request_id.encode())],
            contract=fake.contract(fake.default_version),
            version=fake.default_version,
        )
        for name, value in scope["headers"]:
            if name == b"authorization":
                call.authorization = value
            elif name == b"intercom-version":
                call.version_header = value
            elif name == b"content-type":
                call.content_type = value
            elif name == b"content-length":
                call.content_length = value
        return call

    @property
    def fault(self) -> FaultKind | None:
        return None if self.record is None else self.record.fault.kind

    def error_list(self, status: int, code: str, message: str | None = None) -> _Answer:
        return _Answer(status, error_list_body(self.contract, self.request_id, code, message))

    def error_key(self, status: int, key: str) -> _Answer:
        return _Answer(status, error_key_body(self.contract, key))

    def server_error(self) -> _Answer:
        assert self.record is not None
        self.record.applied = True
        status = self.record.fault.status
        return self.error_list(status, "server_error", server_error_message(status))


Step = Callable[[_Call], Awaitable["_Answer | None"]]


# -- the steps, in order ----------------------------------------------------------------------
async def _authenticate(call: _Call) -> _Answer | None:
    token = _bearer(call.authorization)
    if token is None or token not in call.fake.tokens:
        return call.error_list(401, "unauthorized")
    call.token = token
    return None


async def _take_quota(call: _Call) -> _Answer | None:
    limiter = call.fake.rate_limiter
    quota = limiter.take(call.token)
    call.headers.extend(quota.headers())
    if quota.allowed:
        return None
    message = f"Exceeded rate limit of {quota.limit} in {limiter.window:g} seconds"
    return call.error_list(429, "rate_limit_exceeded", message)


async def _choose_version(call: _Call) -> _Answer | None:
    fake = call.fake
    if call.version_header is not None:
        version = call.version_header.decode("latin-1")
        if not fake.accepts_version(version):
            return call.error_list(400, "intercom_version_invalid")
        call.version, call.contract = version, fake.contract(version)
    call.now = fake.clock()
    call.sequence = fake.next_sequence()
    call.record = fake.faults.draw(call.sequence, call.request_id, call.contract.version, call.now)
    return None


async def _read_body(call: _Call) -> _Answer | None:
    try:
        call.data = await _read_json(call)
    except _Rejected as error:
        call.rejected = error.message
    except _ClientGone:
        return _GONE
    return None


async def _faults_before(call: _Call) -> _Answer | None:
    """Latency and server errors before sending strike whatever the body was."""
    record = call.record
    if record is None:
        return None
    phone = call.data.get("phone") if isinstance(call.data, dict) else None
    if isinstance(phone, str):
        record.phone = phone[:PHONE_LOGGED]
    if record.fault.kind is FaultKind.LATENCY:
        record.applied = True
        await asyncio.sleep(record.fault.delay)
    elif record.fault.kind is FaultKind.SERVER_ERROR_BEFORE:
        return call.server_error()
    return None


async def _check_body(call: _Call) -> _Answer | None:
    if call.rejected is not None:
        return call.error_list(400, "parameter_invalid", call.rejected)
    if not isinstance(call.data, dict):
        return call.error_list(400, "parameter_invalid", "The request body must be a JSON object")
    return None


async def _check_schema(call: _Call) -> _Answer | None:
    data, contract = call.data, call.contract
    validator = contract.validator
    if validator.is_valid(data):
        return None
    if "phone" not in data:
        body = error_list_body(contract, call.request_id, "parameter_invalid", field="phone")
        return _Answer(400, body)
    found = validator.iter_errors(data)
    errors = list(itertools.islice(found, ERRORS_WEIGHED))
    # The rest are looked at one by one, never all kept: a body can break the schema
    # in thousands of places.
    if any(_bad_phone(e) for e in errors) or any(_bad_phone(e) for e in found):
        return call.error_key(400, "invalid_phone_number")
    error = best_match(errors)
    assert error is not None
    where = ".".join(str(part) for part in error.absolute_path) or None
    body = error_list_body(contract, call.request_id, "parameter_invalid", error.message, where)
    return _Answer(400, body)


def _bad_phone(error: ValidationError) -> bool:
    return list(error.absolute_path) == ["phone"] and error.validator == "pattern"


async def _check_phone(call: _Call) -> _Answer | None:
    kind = classify(call.data["phone"])
    if kind is PhoneKind.INVALID:
        return call.error_key(400, "invalid_phone_number")
    if kind is PhoneKind.LANDLINE:
        return call.error_key(422, "landline_phone")
    return None


async def _fault_sms_failed(call: _Call) -> _Answer | None:
    if call.fault is FaultKind.SMS_FAILED:
        assert call.record is not None
        call.record.applied = True
        return call.error_key(400, "sms_failed")
    return None


async def _send(call: _Call) -> _Answer | None:
    """The SMS goes out: into the outbox, its attributes onto the contact."""
    fake, contract = call.fake, call.contract
    phone: str = call.data["phone"]
    call.url = contract.url_prefix + str(uuid.uuid4())
    call.attributes = call.data.get("custom_attributes") or {}
    sent_at = utc(call.now)
    fake.outbox.record(
        SentSms(
            phone=phone,
            url=call.url,
            custom_attributes=call.attributes,
            version=call.version,
            spec_version=contract.version,
            request_id=call.request_id,
            sent_at=sent_at,
            sequence=call.sequence,
        )
    )
    if call.attributes:
        fake.contacts.merge(phone, call.attributes, sent_at)
    if call.record is not None:
        call.record.sms_recorded = True
    return None


async def _faults_after(call: _Call) -> _Answer | None:
    record = call.record
    if record is None:
        return None
    if record.fault.kind is FaultKind.SERVER_ERROR_AFTER:
        return call.server_error()
    if record.fault.kind is FaultKind.DROP_AFTER_SMS:
        record.applied = True
        return _DROP
    return None


async def _sent(call: _Call) -> _Answer | None:
    return _Answer(200, dumps({"type": call.contract.result_type, "url": call.url}))


STEPS: Sequence[Step] = (
    _authenticate,
    _take_quota,
    _choose_version,
    _read_body,
    _faults_before,
    _check_body,
    _check_schema,
    _check_phone,
    _fault_sms_failed,
    _send,
    _faults_after,
    _sent,
)


class PhoneSwitchEndpoint:
    """The ASGI callable serving ``POST /phone_call_redirects`` for one fake workspace."""

    def __init__(self, fake: FakeIntercom, steps: Sequence[Step] = STEPS) -> None:
        self._fake = fake
        self._steps = steps

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        call = _Call.begin(self._fake, scope, receive)
        for step in self._steps:
            answer = await step(call)
            if answer is not None:
                await _deliver(call, answer, send)
                return


async def _deliver(call: _Call, answer: _Answer, send: Send) -> None:
    if answer.gone:
        return
    if call.record is not None:
        call.record.status = None if answer.drop else answer.status
    if answer.drop:
        await _drop(call.scope, call.receive)
        return
    headers = [*call.headers, (b"content-length", str(len(answer.body)).encode())]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})


# -- helpers ----------------------------------------------------------------------------------
class _Rejected(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _ClientGone(Exception):
    """The client went away before its request body arrived."""


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


async def _read_json(call: _Call) -> Any:
    content_type = call.content_type
    if content_type is None or (
        content_type.partition(b";")[0].strip().lower() != b"application/json"
    ):
        raise _Rejected("The request body must be sent as application/json")
    limit = call.fake.max_body_bytes
    too_large = f"The request body is larger than {limit} bytes"
    length = call.content_length
    if length is not None and length.isdigit() and (len(length) > 12 or int(length) > limit):
        raise _Rejected(too_large)
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await call.receive()
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
        data = json.loads(raw, parse_float=_finite, parse_constant=_constant)
    except (ValueError, RecursionError):
        raise _Rejected("The request body is not valid JSON") from None
    try:
        # Strings may hold lone surrogates (from \ud800 escapes, or raw bytes that
        # json decodes with surrogatepass); UTF-8 cannot carry them.
        dumps(data)
    except UnicodeEncodeError:
        raise _Rejected("The request body holds invalid Unicode (a lone surrogate)") from None
    except RecursionError:
        raise _Rejected("The request body is not valid JSON") from None
    return data


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
