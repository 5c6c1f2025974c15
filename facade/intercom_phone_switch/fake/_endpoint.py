"""``POST /phone_call_redirects``: the fake endpoint.

Checks, in Intercom's order: the access token (401), the request budget (429), the
``Intercom-Version`` header (400 intercom_version_invalid), the content type and body
(400 parameter_invalid, checked with the version's request schema), the phone (400
invalid_phone_number, 422 landline_phone). Then the SMS is "sent": it goes to the outbox
and the custom attributes to the contact. Injected faults strike before or after that.

A request passes three stages: the head (token, budget, version, the fault it draws),
the body (read once, parsed once; latency and errors injected before sending), and the
decision (schema, phone, sending, faults after sending). Each stage either lets the call
go on (None) or ends it with an ``_Answer``. Only reading the body and an injected
latency wait; everything else runs without yielding to the event loop. Request field
names are the version's (its ``x-stable-names``), never literals.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import random
from typing import TYPE_CHECKING, Any

import httpx
from jsonschema.exceptions import ValidationError, best_match
from starlette.types import Receive, Scope, Send

from intercom_phone_switch.spec import PATH

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

__all__ = ["ABORT_KEY", "PATH", "ConnectionDropped", "PhoneSwitchEndpoint", "new_id"]


class ConnectionDropped(httpx.RemoteProtocolError):
    """The fake closed the connection without answering (an injected fault).

    Raised by the ASGI app when the server running it offers no way to close the
    connection; in-process transports hand it to the client as the transport error it is.
    """


#: The version (4) and variant (10) bits of a random UUID (RFC 9562).
_UUID4_BITS = (4 << 76) | (2 << 62)
_UUID4_MASK = ~((0xF << 76) | (3 << 62)) & ((1 << 128) - 1)


def new_id() -> str:
    """A random UUID (version 4) as text: request ids and Messenger link ids. Drawn from
    ``random`` (reseeded after a fork): a test double's ids need to be unique, not
    secret, and os.urandom would cost a system call each."""
    h = "%032x" % (random.getrandbits(128) & _UUID4_MASK | _UUID4_BITS)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class _Answer:
    """How a call ends: a status and body, or (``drop``) no answer at all."""

    __slots__ = ("body", "drop", "gone", "status")

    def __init__(
        self, status: int = 0, body: bytes = b"", *, drop: bool = False, gone: bool = False
    ) -> None:
        self.status = status
        self.body = body
        self.drop = drop
        #: The client went away before its body arrived: nobody to answer.
        self.gone = gone


_DROP = _Answer(drop=True)
_GONE = _Answer(gone=True)


class _Call:
    """One request on its way through the stages."""

    __slots__ = (
        "content_length",
        "content_type",
        "contract",
        "data",
        "fake",
        "headers",
        "link",
        "now",
        "receive",
        "record",
        "rejected",
        "request_id",
        "scope",
        "sequence",
        "token",
        "url",
        "version",
        "version_header",
    )

    def __init__(self, fake: FakeIntercom, scope: Scope, receive: Receive) -> None:
        self.fake = fake
        self.scope = scope
        self.receive = receive
        self.request_id = request_id = new_id()
        #: The answer's headers so far.
        self.headers: list[tuple[bytes, bytes]] = [JSON, (b"x-request-id", request_id.encode())]
        #: The version serving the call (the workspace default until the header is read).
        self.version: str = fake.default_version
        self.contract: VersionContract = fake.contract(self.version)
        self.version_header: bytes | None = None
        self.content_type: bytes | None = None
        self.content_length: bytes | None = None
        self.token = ""
        self.now = 0.0
        self.sequence = 0
        self.record: FaultRecord | None = None
        self.data: Any = None
        #: Why the body was refused, once it was read.
        self.rejected: str | None = None
        self.url = ""
        #: The id of the Messenger link, once the SMS went out.
        self.link = ""

    def error_list(self, status: int, code: str, message: str | None = None) -> _Answer:
        return _Answer(status, error_list_body(self.contract, self.request_id, code, message))

    def error_key(self, status: int, key: str) -> _Answer:
        return _Answer(status, error_key_body(self.contract, key))

    def server_error(self) -> _Answer:
        assert self.record is not None
        self.record.applied = True
        status = self.record.fault.status
        return self.error_list(status, "server_error", server_error_message(status))


# -- the head: token, budget, version, fault ---------------------------------------------------
def _head(call: _Call) -> _Answer | None:
    fake = call.fake
    authorization = None
    for name, value in call.scope["headers"]:
        if name == b"authorization":
            authorization = value
        elif name == b"intercom-version":
            call.version_header = value
        elif name == b"content-type":
            call.content_type = value
        elif name == b"content-length":
            call.content_length = value
    token = _bearer(authorization)
    if token is None or token not in fake.tokens:
        return call.error_list(401, "unauthorized")
    call.token = token
    limiter = fake.rate_limiter
    quota = limiter.take(token)
    call.headers.extend(quota.headers())
    if not quota.allowed:
        message = f"Exceeded rate limit of {quota.limit} in {limiter.window:g} seconds"
        return call.error_list(429, "rate_limit_exceeded", message)
    if call.version_header is not None:
        version = call.version_header.decode("latin-1")
        if not fake.accepts_version(version):
            return call.error_list(400, "intercom_version_invalid")
        call.version, call.contract = version, fake.contract(version)
    call.now = fake.clock()
    call.sequence = fake.next_sequence()
    call.record = fake.faults.draw(call.sequence, call.request_id, call.contract.version, call.now)
    return None


# -- the body: read and parsed once; faults before sending -------------------------------------
async def _body(call: _Call) -> _Answer | None:
    try:
        call.data = await _read_json(call)
    except _Rejected as error:
        call.rejected = error.message
    except _ClientGone:
        return _GONE
    record = call.record
    if record is None:
        return None
    data = call.data
    phone = data.get(call.contract.phone_field) if isinstance(data, dict) else None
    if isinstance(phone, str):
        record.phone = phone[:PHONE_LOGGED]
    kind = record.fault.kind
    if kind is FaultKind.LATENCY:
        record.applied = True
        await asyncio.sleep(record.fault.delay)
    elif kind is FaultKind.SERVER_ERROR_BEFORE:
        return call.server_error()
    elif kind is FaultKind.ANSWER and record.fault.status >= 300:
        return _documented(call)
    return None


def _documented(call: _Call) -> _Answer | None:
    """The documented answer an ANSWER fault names, from the request's version; None
    (the fault not applied) when that version does not document it."""
    assert call.record is not None
    fault = call.record.fault
    found = call.contract.answer(fault.status, fault.example)
    if found is None:
        return None
    call.record.applied = True
    body = dict(found.body)
    if fault.status < 300:
        body[call.contract.url_field] = call.url
    elif "request_id" in body:
        body["request_id"] = call.request_id  # as in the X-Request-Id header
    return _Answer(fault.status, dumps(body))


# -- the decision: schema, phone, sending, faults after ------------------------------------------
def _decide(call: _Call) -> _Answer | None:
    if call.rejected is not None:
        return call.error_list(400, "parameter_invalid", call.rejected)
    data, contract = call.data, call.contract
    if not isinstance(data, dict):
        return call.error_list(400, "parameter_invalid", "The request body must be a JSON object")
    if not contract.is_valid(data):
        refused = _schema_errors(call)
        if refused is not None:
            return refused
    kind = classify(data[contract.phone_field])
    if kind is PhoneKind.INVALID:
        return call.error_key(400, "invalid_phone_number")
    if kind is PhoneKind.LANDLINE:
        return call.error_key(422, "landline_phone")
    record = call.record
    if record is not None and record.fault.kind is FaultKind.SMS_FAILED:
        record.applied = True
        return call.error_key(400, "sms_failed")
    _send(call)
    if record is not None:
        kind_after = record.fault.kind
        if kind_after is FaultKind.SERVER_ERROR_AFTER:
            return call.server_error()
        if kind_after is FaultKind.DROP_AFTER_SMS:
            record.applied = True
            return _DROP
        if kind_after is FaultKind.ANSWER:
            documented = _documented(call)
            if documented is not None:
                return documented
    return _Answer(200, contract.sent_body_for(call.link))


def _schema_errors(call: _Call) -> _Answer | None:
    """The answer to a body the schema refuses, worded by the reference validator; None
    when the reference finds nothing wrong (a compiled check stricter than it)."""
    data, contract = call.data, call.contract
    phone_field = contract.phone_field
    if phone_field not in data:
        body = error_list_body(contract, call.request_id, "parameter_invalid", field=phone_field)
        return _Answer(400, body)
    found = contract.validator.iter_errors(data)
    errors = list(itertools.islice(found, ERRORS_WEIGHED))
    if not errors:
        return None
    # The rest are looked at one by one, never all kept: a body can break the schema
    # in thousands of places.
    if any(_bad_phone(e, phone_field) for e in errors) or any(
        _bad_phone(e, phone_field) for e in found
    ):
        return call.error_key(400, "invalid_phone_number")
    error = best_match(errors)
    assert error is not None
    where = ".".join(str(part) for part in error.absolute_path) or None
    body = error_list_body(contract, call.request_id, "parameter_invalid", error.message, where)
    return _Answer(400, body)


def _bad_phone(error: ValidationError, phone_field: str) -> bool:
    return list(error.absolute_path) == [phone_field] and error.validator == "pattern"


def _send(call: _Call) -> None:
    """The SMS goes out: into the outbox, its attributes onto the contact."""
    fake, contract, data = call.fake, call.contract, call.data
    phone: str = data[contract.phone_field]
    call.link = new_id()
    call.url = url = contract.url_prefix + call.link
    attributes = data.get(contract.attributes_field) or {}
    sent_at = utc(call.now)
    sms = SentSms(
        phone=phone,
        url=url,
        custom_attributes=attributes,
        version=call.version,
        spec_version=contract.version,
        request_id=call.request_id,
        sent_at=sent_at,
        sequence=call.sequence,
    )
    fake.outbox.record(sms)
    if attributes:
        fake.contacts.merge(phone, attributes, sent_at, attributes_json=sms.attributes_json)
    if call.record is not None:
        call.record.sms_recorded = True


class PhoneSwitchEndpoint:
    """The ASGI callable serving ``POST /phone_call_redirects`` for one fake workspace."""

    def __init__(self, fake: FakeIntercom) -> None:
        self._fake = fake

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        call = _Call(self._fake, scope, receive)
        answer = _head(call)
        if answer is None:
            answer = await _body(call)
            if answer is None:
                answer = _decide(call)
                assert answer is not None
        await _deliver(call, answer, send)


async def _deliver(call: _Call, answer: _Answer, send: Send) -> None:
    if answer.gone:
        return
    if call.record is not None:
        call.record.status = None if answer.drop else answer.status
    if answer.drop:
        await _drop(call.scope, call.receive)
        return
    body = answer.body
    headers = call.headers
    headers.append((b"content-length", b"%d" % len(body)))
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


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


#: One decoder for every body: floats must be finite, NaN and Infinity are not JSON.
_DECODER = json.JSONDecoder(parse_float=_finite, parse_constant=_constant)
_NOT_JSON = "The request body is not valid JSON"
_SURROGATE = "The request body holds invalid Unicode (a lone surrogate)"


async def _read_json(call: _Call) -> Any:
    content_type = call.content_type
    if content_type is None or (
        content_type.partition(b";")[0].strip().lower() != b"application/json"
    ):
        raise _Rejected("The request body must be sent as application/json")
    limit = call.fake.max_body_bytes
    length = call.content_length
    if length is not None and length.isdigit() and (len(length) > 12 or int(length) > limit):
        raise _Rejected(f"The request body is larger than {limit} bytes")
    message = await call.receive()
    if message["type"] == "http.disconnect":
        raise _ClientGone
    raw: bytes = message.get("body", b"")
    if len(raw) > limit:
        raise _Rejected(f"The request body is larger than {limit} bytes")
    if message.get("more_body", False):
        raw = await _read_rest(call, raw, limit)
    return _parse(raw)


async def _read_rest(call: _Call, first: bytes, limit: int) -> bytes:
    chunks = [first]
    size = len(first)
    more = True
    while more:
        message = await call.receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _Rejected(f"The request body is larger than {limit} bytes")
        chunks.append(chunk)
        more = bool(message.get("more_body", False))
    return b"".join(chunks)


def _parse(raw: bytes) -> Any:
    """The body's JSON value, parsed once. UTF-8 (nearly every body) is decoded strictly,
    which no lone surrogate survives; only a body with ``\\u`` escapes is then looked
    at again. Other encodings JSON allows (UTF-16, UTF-32, a BOM) take json's own way."""
    try:
        if json.detect_encoding(raw) != "utf-8":
            raise UnicodeDecodeError("utf-8", raw, 0, 0, "another encoding")
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return _parse_slowly(raw)
    try:
        data = _DECODER.decode(text)
    except (ValueError, RecursionError):
        raise _Rejected(_NOT_JSON) from None
    if "\\u" in text:
        _check_unicode(data)
    return data


def _parse_slowly(raw: bytes) -> Any:
    try:
        # json.loads decodes bytes with surrogatepass: lone surrogates come through.
        data = json.loads(raw, parse_float=_finite, parse_constant=_constant)
    except (ValueError, RecursionError):
        raise _Rejected(_NOT_JSON) from None
    _check_unicode(data)
    return data


def _check_unicode(data: Any) -> None:
    try:
        # Strings may hold lone surrogates (from \ud800 escapes, or raw bytes that
        # json decodes with surrogatepass); UTF-8 cannot carry them.
        dumps(data)
    except UnicodeEncodeError:
        raise _Rejected(_SURROGATE) from None
    except RecursionError:
        raise _Rejected(_NOT_JSON) from None


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
