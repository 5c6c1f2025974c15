"""The fake's web outbox: a page at ``/`` showing every SMS, contact and fault, live.

Routes (the admin API's other routes stay in ``admin``):

- ``GET /``: the page; ``GET /__fake__/page/<file>``: its script, style sheet and icon,
  package data read once (no CDN, no build step).
- ``GET /__fake__/state?phone=``: what the page shows, as one JSON object;
  ``GET /__fake__/events?phone=``: the same as Server-Sent Events, once at the start and
  again after every change.
- ``DELETE /__fake__/outbox``: empty the outbox (only); other methods go to the admin API.
- ``GET /msgr/<id>``: the Messenger page a caller reaches from the SMS's link.

Everything shown is escaped (the page sets text, never markup; the Messenger page is
escaped here), tokens appear only as masked labels, and no route answers a 5xx.
"""

from __future__ import annotations

import asyncio
import functools
import html
import itertools
import json
import string
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from importlib import resources
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from ._faults import ALL_KINDS, FaultKind
from ._state._packed import with_attributes
from ._state.outbox import filtered, phone_filter

if TYPE_CHECKING:
    from ._app import FakeIntercom
    from ._state import SentSms

#: How many messages, contacts and fault log entries the page gets (newest first).
SHOWN = 200
#: Streamed answers go out in chunks of about this many bytes.
CHUNK = 64 * 1024
#: The most characters of custom attributes (as shown) a Messenger page shows of each
#: list; the rest are counted.
MESSENGER_SHOWN = 16 * 1024
#: The fewest seconds between two snapshots of one event stream (changes coalesce).
MIN_INTERVAL = 0.1
#: The most seconds an event stream stays silent (it then repeats the snapshot).
MAX_SILENCE = 15.0
#: Tokens at least this long show their last four characters in their label.
TAIL_FROM = 16

STATIC = {
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
    "icon.svg": "image/svg+xml",
}
_PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"
    " img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_MSGR_CSP = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'"
_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
#: The fault kinds whose answer status can be chosen, and the one that takes a delay.
_STATUS_KINDS = (FaultKind.SERVER_ERROR_BEFORE, FaultKind.SERVER_ERROR_AFTER)
_DELAY_KINDS = (FaultKind.LATENCY,)


@functools.cache
def _static(name: str) -> bytes:
    return (resources.files(__package__) / "static" / name).read_bytes()


def link_id(url: str) -> str:
    """The id at the end of a Messenger link (``.../msgr/<id>``)."""
    return url.rstrip("/").rsplit("/", 1)[-1]


def token_label(index: int, token: str) -> str:
    """A name for a token that never shows it: its place, and for a long one its tail."""
    tail = f" …{token[-4:]}" if len(token) >= TAIL_FROM else ""
    return f"token {index}{tail}"


def _json(value: Any) -> bytes:
    """Compact JSON in UTF-8; text UTF-8 cannot carry (a lone surrogate, which only the
    Python API can put into the state) is written as ASCII escapes instead."""
    try:
        return _COMPACT.encode(value).encode("utf-8")
    except UnicodeEncodeError:
        return _COMPACT_ASCII.encode(value).encode("ascii")


_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=str)
_COMPACT_ASCII = json.JSONEncoder(separators=(",", ":"), default=str)


def coalesced(pieces: Iterable[bytes], size: int = CHUNK) -> Iterator[bytes]:
    """``pieces`` joined into chunks of about ``size`` bytes (one piece may be larger)."""
    held: list[bytes] = []
    count = 0
    for piece in pieces:
        held.append(piece)
        count += len(piece)
        if count >= size:
            yield b"".join(held)
            held.clear()
            count = 0
    if held:
        yield b"".join(held)


def json_array(items: Iterable[bytes]) -> Iterator[bytes]:
    """A JSON array of items already written as JSON."""
    yield b"["
    for index, item in enumerate(items):
        yield b"," + item if index else item
    yield b"]"


async def streamed(pieces: Iterable[bytes]) -> AsyncIterator[bytes]:
    """``pieces`` in chunks, for a StreamingResponse: each chunk waits until the client
    has taken the one before, so a slow client holds one chunk, not the whole answer."""
    for chunk in coalesced(pieces):
        yield chunk


def _sms_json(sms: SentSms) -> bytes:
    found = link_id(sms.url)
    fields = {**sms.to_json(attributes=False), "id": found, "page": f"/msgr/{found}"}
    return with_attributes(fields, sms.attributes_json)


def snapshot_pieces(
    fake: FakeIntercom, phone: str = "", revision: int | None = None
) -> Iterator[bytes]:
    """Everything the page shows, newest first, the messages filtered by ``phone``, as
    pieces of one JSON object. Custom attributes go out as kept (compact JSON), never
    decoded: a reader costs the references to the records it shows, not copies."""
    needle = phone_filter(phone)
    kept = fake.outbox.messages()
    messages = filtered(kept, needle)
    contacts = fake.contacts.all()
    faults = fake.faults
    pending = faults.pending
    head = {
        "revision": fake.changes.revision if revision is None else revision,
        "outbox": {
            "total": fake.outbox.total,
            "kept": len(kept),
            "cap": fake.outbox.cap,
            "matching": len(messages),
            "filter": needle,
        },
    }
    yield _json(head)[:-2] + b',"messages":'
    yield from json_array(_sms_json(sms) for sms in reversed(messages[-SHOWN:]))
    yield b'},"contacts":{"count":%d,"contacts":' % len(contacts)
    yield from json_array(contact.json_bytes() for contact in reversed(contacts[-SHOWN:]))
    del kept, messages, contacts
    rest = {
        "faults": {
            "pending": [None if f is None else f.to_json() for f in pending[:SHOWN]],
            "pending_count": len(pending),
            "random": None if faults.random_faults is None else faults.random_faults.to_json(),
            "log": [record.to_json() for record in reversed(faults.log[-SHOWN:])],
            "kinds": [
                {
                    "kind": kind.value,
                    "status": kind in _STATUS_KINDS,
                    "delay": kind in _DELAY_KINDS,
                    "after_sending": kind.after_sending,
                }
                for kind in ALL_KINDS
            ],
        },
        "rate_limits": rate_limits(fake),
        "settings": {
            "default_version": fake.default_version,
            "tokens": len(fake.tokens),
            "messenger_url": fake.messenger_url,
        },
    }
    yield b"}," + _json(rest)[1:]


def snapshot(fake: FakeIntercom, phone: str = "") -> dict[str, Any]:
    """What the page shows, as one JSON object (``snapshot_pieces`` decoded)."""
    found: dict[str, Any] = json.loads(b"".join(snapshot_pieces(fake, phone)))
    return found


def rate_limits(fake: FakeIntercom) -> dict[str, Any]:
    """The budget of each token in the current window, the token shown by label only."""
    limiter = fake.rate_limiter
    return {
        "limit": limiter.limit,
        "window": limiter.window,
        "tokens": [
            {
                "label": token_label(index, token),
                "used": quota.limit - quota.remaining,
                "remaining": quota.remaining,
                "reset": quota.reset,
            }
            for index, (token, quota) in enumerate(limiter.usage(), start=1)
        ],
    }


def _quiet_for(fake: FakeIntercom) -> float:
    """How long an event stream may wait: until the next window ends, at most MAX_SILENCE."""
    resets = [
        quota.reset for _, quota in fake.rate_limiter.usage() if quota.remaining < quota.limit
    ]
    if not resets:
        return MAX_SILENCE
    return min(MAX_SILENCE, max(MIN_INTERVAL, min(resets) - fake.clock() + 0.05))


async def _stream(fake: FakeIntercom, phone: str) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    yield b"retry: 1000\n\n"
    while True:
        revision = fake.changes.revision
        # One event: compact JSON has no line breaks, so it is one data line, sent in
        # chunks as the client takes them.
        pieces = snapshot_pieces(fake, phone, revision)
        event = itertools.chain((b"event: state\nid: %d\ndata: " % revision,), pieces, (b"\n\n",))
        for chunk in coalesced(event):
            yield chunk
        del pieces, event
        sent = loop.time()
        await fake.changes.wait(revision, _quiet_for(fake))
        pause = MIN_INTERVAL - (loop.time() - sent)
        if pause > 0:
            await asyncio.sleep(pause)


def _find(fake: FakeIntercom, wanted: str) -> SentSms | None:
    for sms in reversed(fake.outbox.messages()):
        if link_id(sms.url) == wanted:
            return sms
    return None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _cut(text: str, most: int) -> str:
    return text if len(text) <= most else text[:most] + "…"


def _attribute_rows(attributes: Mapping[str, Any], budget: int = MESSENGER_SHOWN) -> str:
    """The attributes as a definition list, at most about ``budget`` characters of them
    (the page stays small however many a contact has); the rest are counted."""
    if not attributes:
        return '<p class="muted">No custom attributes.</p>'
    rows: list[str] = []
    for shown, (key, value) in enumerate(attributes.items()):
        if budget <= 0:
            rest = len(attributes) - shown
            more = f'<p class="muted">And {rest} more (the admin API lists them all).</p>'
            return f'<dl class="attributes">{"".join(rows)}</dl>{more}'
        name, text = _cut(str(key), budget), _cut(_text(value), budget)
        budget -= len(name) + len(text)
        rows.append(f"<dt>{html.escape(name)}</dt><dd>{html.escape(text)}</dd>")
    return f'<dl class="attributes">{"".join(rows)}</dl>'


def messenger_page(fake: FakeIntercom, sms: SentSms | None) -> str:
    """The Messenger page of one SMS (or the page saying it is not in the outbox)."""
    template = string.Template(_static("msgr.html").decode())
    if sms is None:
        return template.substitute(
            title="Link not found",
            body='<p class="bubble">This Messenger link is not in the fake\'s outbox'
            " (it may have been cleared).</p>",
        )
    contact = fake.contacts.get(sms.phone)
    merged = contact.custom_attributes if contact is not None else sms.custom_attributes
    phone = html.escape(sms.phone)
    sent_at = html.escape(sms.sent_at.isoformat())
    body = (
        f'<p class="bubble">Hi! You just called us from <strong>{phone}</strong>.'
        " Carry on here: a teammate sees what you told us on the phone.</p>"
        '<section aria-labelledby="handoff"><h2 id="handoff">Hand-off</h2>'
        '<ol class="handoff"><li>Phone call</li><li>SMS with this link to'
        f" <strong>{phone}</strong></li><li>This Messenger conversation</li></ol>"
        f'<dl class="facts"><dt>Sent</dt><dd><time datetime="{sent_at}">'
        f"{html.escape(sms.sent_at.strftime('%Y-%m-%d %H:%M:%S UTC'))}</time></dd>"
        f"<dt>Intercom-Version</dt><dd>{html.escape(sms.version)}</dd>"
        f"<dt>Request id</dt><dd><code>{html.escape(sms.request_id)}</code></dd></dl></section>"
        '<section aria-labelledby="sent"><h2 id="sent">Custom attributes of this SMS</h2>'
        f"{_attribute_rows(sms.custom_attributes)}</section>"
        '<section aria-labelledby="contact"><h2 id="contact">The contact now</h2>'
        f"{_attribute_rows(merged)}</section>"
        '<p class="composer muted" aria-hidden="true">Write a reply…</p>'
    )
    return template.substitute(title=f"Messenger for {phone}", body=body)


class _OutboxRoute:
    """``DELETE /__fake__/outbox`` empties the outbox; the other methods go to ``admin``."""

    def __init__(self, fake: FakeIntercom, admin: ASGIApp) -> None:
        self._fake = fake
        self._admin = admin

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "DELETE":
            await self._admin(scope, receive, send)
            return
        self._fake.outbox.clear()
        response = JSONResponse({"status": "cleared", "total": self._fake.outbox.total})
        await response(scope, receive, send)


def page_app(fake: FakeIntercom, admin: ASGIApp) -> Router:
    """The page's routes, in front of ``admin`` (which serves every other request)."""

    async def index(request: Request) -> Response:
        headers = {**_HEADERS, "Content-Security-Policy": _PAGE_CSP}
        return Response(_static("index.html"), media_type="text/html", headers=headers)

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        media_type = STATIC.get(name)
        if media_type is None:
            return JSONResponse({"error": "no such file"}, status_code=404)
        return Response(_static(name), media_type=media_type, headers=_HEADERS)

    async def state(request: Request) -> Response:
        pieces = snapshot_pieces(fake, request.query_params.get("phone", ""))
        return StreamingResponse(streamed(pieces), media_type="application/json")

    async def limits(request: Request) -> Response:
        return JSONResponse(rate_limits(fake))

    async def events(request: Request) -> Response:
        headers = {**_HEADERS, "X-Accel-Buffering": "no"}
        stream = _stream(fake, request.query_params.get("phone", ""))
        return StreamingResponse(stream, media_type="text/event-stream", headers=headers)

    async def messenger(request: Request) -> Response:
        sms = _find(fake, request.path_params["id"])
        headers = {**_HEADERS, "Content-Security-Policy": _MSGR_CSP}
        return Response(
            messenger_page(fake, sms),
            status_code=404 if sms is None else 200,
            media_type="text/html",
            headers=headers,
        )

    return Router(
        routes=[
            Route("/", index, methods=["GET"]),
            Route("/__fake__/page/{name}", static, methods=["GET"]),
            Route("/__fake__/state", state, methods=["GET"]),
            Route("/__fake__/events", events, methods=["GET"]),
            Route("/__fake__/rate-limits", limits, methods=["GET"]),
            Route("/__fake__/outbox", _OutboxRoute(fake, admin)),
            Route("/msgr/{id}", messenger, methods=["GET"]),
        ],
        redirect_slashes=False,
        default=admin,
    )
