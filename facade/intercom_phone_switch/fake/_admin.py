"""The admin API under ``/__fake__``: read the outbox, contacts and fault log, reset the
workspace, script faults and change settings, all over HTTP (for ``serve`` users)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from intercom_phone_switch.spec import PATH

from ._faults import ALL_KINDS, SCRIPT_CAP, Fault, FaultInjector
from ._page import json_array, streamed
from ._ratelimit import RateLimiter
from ._responses import new_request_id
from ._state.outbox import filtered, phone_filter

if TYPE_CHECKING:
    from ._app import FakeIntercom
    from ._endpoint import PhoneSwitchEndpoint


def check_token(token: object) -> None:
    from ._app import _check_token

    _check_token(token)


PREFIX = "/__fake__"


class _BadRequest(Exception):
    pass


#: The largest admin request body taken, in bytes.
MAX_ADMIN_BODY = 1024 * 1024


class _TooLarge(Exception):
    pass


async def _json_object(request: Request) -> dict[str, Any]:
    length = request.headers.get("content-length", "")
    if length.isdigit() and (len(length) > 12 or int(length) > MAX_ADMIN_BODY):
        raise _TooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_ADMIN_BODY:
            raise _TooLarge
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        raise _BadRequest("the body is not valid JSON") from None
    if not isinstance(value, dict):
        raise _BadRequest("the body must be a JSON object")
    return value


class _JSON(JSONResponse):
    """JSON in UTF-8; text UTF-8 cannot carry (lone surrogates, which only the Python
    API can put into the state) is written as ASCII escapes instead of failing."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            return json.dumps(content, separators=(",", ":")).encode("ascii")


class _Packed(Protocol):
    def json_bytes(self) -> bytes: ...


def _listing(head: Mapping[str, Any], key: str, items: Sequence[_Packed]) -> Response:
    """``{**head, key: [item, ...]}``, streamed in chunks as the client takes them: the
    state's attributes are kept as JSON and go out as they are, never decoded."""

    def pieces() -> Iterator[bytes]:
        opened = json.dumps(dict(head))[:-1].encode() + (b"," if head else b"")
        yield opened + json.dumps(key).encode() + b":"
        yield from json_array(item.json_bytes() for item in items)
        yield b"}"

    return StreamingResponse(streamed(pieces()), media_type="application/json")


def _faults_answer(faults: FaultInjector) -> Response:
    """The scripted faults, the random ones and the log, streamed (the log and the script
    may hold many thousand entries)."""
    pending = faults.pending
    log = faults.log
    random_faults = None if faults.random_faults is None else faults.random_faults.to_json()

    def pieces() -> Iterator[bytes]:
        yield b'{"pending":'
        yield from json_array(
            b"null" if fault is None else json.dumps(fault.to_json()).encode() for fault in pending
        )
        yield b',"random":' + json.dumps(random_faults).encode() + b',"log":'
        yield from json_array(
            json.dumps(record.to_json(), ensure_ascii=True).encode() for record in log
        )
        yield b"}"

    return StreamingResponse(streamed(pieces()), media_type="application/json")


def _too_large() -> JSONResponse:
    return _JSON({"error": f"the body is larger than {MAX_ADMIN_BODY} bytes"}, status_code=413)


def _bad(message: str) -> JSONResponse:
    return _JSON({"error": message}, status_code=400)


def admin_app(fake: FakeIntercom, endpoint: PhoneSwitchEndpoint) -> _WithRequestId:
    """The Starlette app serving the admin API and the endpoint's other methods."""

    async def health(request: Request) -> Response:
        return _JSON({"status": "ok"})

    async def outbox(request: Request) -> Response:
        # One filter rule with the web outbox: digits and plus signs typed, a part of
        # the phone (an unencoded + arrives as a space); total then counts the matches.
        needle = phone_filter(request.query_params.get("phone"))
        limit = request.query_params.get("limit", "")
        if limit and not (limit.isdigit() and limit.isascii() and len(limit) <= 9):
            return _bad("limit is a whole number of messages (the newest are listed)")
        messages = filtered(fake.outbox.messages(), needle)
        total = fake.outbox.total if needle is None else len(messages)
        head = {"total": total, "cap": fake.outbox.cap, "filter": needle}
        if limit:
            messages = messages[len(messages) - min(int(limit), len(messages)) :]
        return _listing(head, "messages", messages)

    async def contacts(request: Request) -> Response:
        return _listing({"cap": fake.contacts.cap}, "contacts", fake.contacts.all())

    async def contact(request: Request) -> Response:
        found = fake.contacts.get(request.path_params["phone"])
        if found is None:
            return _JSON({"error": "no such contact"}, status_code=404)
        return Response(found.json_bytes(), media_type="application/json")

    async def reset(request: Request) -> Response:
        fake.reset()
        return _JSON({"status": "reset"})

    async def faults(request: Request) -> Response:
        if request.method == "DELETE":
            fake.faults.clear()
        elif request.method == "POST":
            try:
                _configure_faults(fake, await _json_object(request))
            except _TooLarge:
                return _too_large()
            except (_BadRequest, ValueError, TypeError, KeyError, OverflowError) as error:
                return _bad(str(error))
        return _faults_answer(fake.faults)

    async def settings(request: Request) -> Response:
        if request.method == "POST":
            try:
                _configure(fake, await _json_object(request))
            except _TooLarge:
                return _too_large()
            except (_BadRequest, ValueError, TypeError, OverflowError) as error:
                return _bad(str(error))
        return _JSON(_settings(fake))

    app = Starlette(
        routes=[
            Route(PATH, endpoint, methods=["POST"]),
            Route(f"{PREFIX}/health", health, methods=["GET"]),
            Route(f"{PREFIX}/outbox", outbox, methods=["GET"]),
            Route(f"{PREFIX}/contacts", contacts, methods=["GET"]),
            Route(f"{PREFIX}/contacts/{{phone}}", contact, methods=["GET"]),
            Route(f"{PREFIX}/reset", reset, methods=["POST"]),
            Route(f"{PREFIX}/faults", faults, methods=["GET", "POST", "DELETE"]),
            Route(f"{PREFIX}/settings", settings, methods=["GET", "POST"]),
        ]
    )
    return _WithRequestId(app)


def _configure_faults(fake: FakeIntercom, body: Mapping[str, Any]) -> None:
    """``{"script": [...], "random": {...}}``; either may be left out, ``"clear": true``
    first forgets what was configured before. Everything is checked before anything
    changes."""
    unknown = set(body) - {"script", "random", "clear"}
    if unknown:
        raise _BadRequest(f"unknown fields: {', '.join(sorted(unknown))}")
    script = body.get("script", [])
    if not isinstance(script, list):
        raise _BadRequest("script is a list of faults")
    waiting = 0 if body.get("clear") else len(fake.faults.pending)
    if waiting + len(script) > SCRIPT_CAP:
        raise _BadRequest(f"at most {SCRIPT_CAP} scripted faults wait at once")
    parsed = [None if item is None else Fault.coerce(item) for item in script]
    randomly = body.get("random")
    if randomly is not None and not isinstance(randomly, dict):
        raise _BadRequest("random is an object")
    options: dict[str, Any] | None = None
    if randomly is not None:
        allowed = {"probability", "kinds", "statuses", "delay", "seed"}
        if set(randomly) - allowed:
            raise _BadRequest(f"random takes only {', '.join(sorted(allowed))}")
        options = {
            "probability": randomly["probability"],
            "kinds": randomly.get("kinds", [kind.value for kind in ALL_KINDS]),
            "statuses": randomly.get("statuses", [500]),
            "delay": randomly.get("delay", 0.05),
            "seed": randomly.get("seed"),
        }
        if not isinstance(options["kinds"], list) or not isinstance(options["statuses"], list):
            raise _BadRequest("kinds and statuses are lists")
        FaultInjector().randomly(**options)  # checks them all
    if body.get("clear"):
        fake.faults.clear()
    if options is not None:
        fake.faults.randomly(**options)
    fake.faults.script(*parsed)


#: At most this many tokens, each at most this long, from the admin API.
TOKENS_CAP = 1_000
TOKEN_CHARS = 4_096


def _configure(fake: FakeIntercom, body: Mapping[str, Any]) -> None:
    """Change settings; everything is checked before anything changes."""
    allowed = {"default_version", "rate_limit", "rate_limit_window", "tokens"}
    unknown = set(body) - allowed
    if unknown:
        raise _BadRequest(f"unknown settings: {', '.join(sorted(unknown))}")
    tokens = body.get("tokens")
    if "tokens" in body and (
        not isinstance(tokens, list)
        or len(tokens) > TOKENS_CAP
        or not all(isinstance(t, str) and 0 < len(t) <= TOKEN_CHARS for t in tokens)
    ):
        raise _BadRequest(
            f"tokens is a list of at most {TOKENS_CAP} non-empty strings"
            f" of at most {TOKEN_CHARS} characters"
        )
    for token in tokens or ():
        check_token(token)
    version = body.get("default_version", fake.default_version)
    if not isinstance(version, str) or not fake.accepts_version(version):
        raise _BadRequest(f"Intercom does not accept the version {str(version)[:40]!r}")
    limit = body.get("rate_limit", fake.rate_limiter.limit)
    window = body.get("rate_limit_window", fake.rate_limiter.window)
    RateLimiter.check(limit, window)
    fake.default_version = version
    if "rate_limit" in body or "rate_limit_window" in body:
        fake.rate_limiter.configure(limit, window)
    if tokens is not None:
        fake.tokens = frozenset(tokens)


def _settings(fake: FakeIntercom) -> dict[str, Any]:
    return {
        "default_version": fake.default_version,
        "rate_limit": fake.rate_limiter.limit,
        "rate_limit_window": fake.rate_limiter.window,
        "tokens": len(fake.tokens),
        "max_body_bytes": fake.max_body_bytes,
        "outbox_cap": fake.outbox.cap,
        "contacts_cap": fake.contacts.cap,
    }


class _WithRequestId:
    """Give every answer an ``X-Request-Id`` header, as Intercom does."""

    def __init__(self, app: Starlette) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = new_request_id().encode()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"x-request-id" for name, _ in headers):
                    headers.append((b"x-request-id", request_id))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_id)
