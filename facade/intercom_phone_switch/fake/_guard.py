"""What keeps web pages off a fake served on a developer's machine.

A server on 127.0.0.1 is reachable from any page a browser opens. Browsers send a
cross-origin POST with ``Content-Type: text/plain`` (or none) without asking first, and a
page can rebind its own DNS name to 127.0.0.1 and then read what the fake answers. So:

- a write to anything but the endpoint (the admin API: settings, faults, reset, the
  outbox) is refused when its ``Origin`` is another site, and when it carries a body that
  is not ``application/json`` (``refused_write``, checked in-process too);
- a served fake answers only requests whose ``Host`` is an IP address, ``localhost``, or
  a name it was bound for or told to allow (``HostCheck``, around the served app).

Each refusal is logged (the request's client, method and path, and why; never a header's
value beyond the Host or Origin refused).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

logger = logging.getLogger("intercom_phone_switch.fake")

#: How many accepted Host values a HostCheck remembers (beyond them, each is checked).
REMEMBERED = 64
#: The most characters of a refused Host or Origin a log line or answer shows.
SHOWN = 100

_DEFAULT_PORTS = {"http": "80", "https": "443"}


def describe(scope: Scope) -> str:
    """``METHOD /path from host:port``, for log lines (no query string: it may hold a
    secret)."""
    client = scope.get("client")
    where = f"{client[0]}:{client[1]}" if client else "an unknown client"
    path = str(scope.get("path", ""))[:SHOWN]
    return f"{scope.get('method', '?')} {path!r} from {where}"


def _shown(value: bytes) -> str:
    return repr(value.decode("latin-1")[:SHOWN])


def _split_host(value: str) -> tuple[str, str | None]:
    """``host[:port]`` as (host, port); a bracketed IPv6 host loses its brackets."""
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return value, None
        rest = value[end + 1 :]
        return value[1:end], rest[1:] if rest.startswith(":") else None
    host, colon, port = value.rpartition(":")
    if colon and port.isdigit():
        return host, port
    return value, None


def _refusal(status: int, message: str) -> tuple[dict[str, object], dict[str, object]]:
    body = json.dumps({"error": message}).encode()
    start = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
    }
    return start, {"type": "http.response.body", "body": body}


async def refuse(scope: Scope, receive: Receive, send: Send, status: int, why: str) -> None:
    """Answer ``status`` with ``{"error": why}`` and log why, with the request."""
    logger.warning("refused %s: %s", describe(scope), why)
    start, body = _refusal(status, why)
    await send(start)
    await send(body)


def refused_write(scope: Scope) -> tuple[int, str] | None:
    """Why a write to the admin API looks like a browser page elsewhere sent it (a
    status and a reason), or None. Reads (GET, HEAD) are never refused here."""
    if scope["method"] in ("GET", "HEAD", "OPTIONS"):
        return None
    origin = host = content_type = None
    body = False
    for name, value in scope["headers"]:
        if name == b"origin":
            origin = value
        elif name == b"host":
            host = value
        elif name == b"content-type":
            content_type = value
        elif name == b"content-length":
            body = body or value.strip() not in (b"", b"0")
        elif name == b"transfer-encoding":
            body = True
    if origin is not None and not _same_origin(origin, host):
        return 403, (
            f"a write from another origin ({_shown(origin)}) is refused: the admin API"
            " takes writes from this server's own page and from programs"
        )
    if body and (
        content_type is None
        or content_type.partition(b";")[0].strip().lower() != b"application/json"
    ):
        return 415, "the admin API takes bodies sent as application/json"
    return None


def _same_origin(origin: bytes, host: bytes | None) -> bool:
    if host is None:
        return False
    try:
        parts = urlsplit(origin.decode("latin-1"))
        origin_host, origin_port = parts.hostname, parts.port
    except ValueError:
        return False
    if parts.scheme not in _DEFAULT_PORTS or origin_host is None:
        return False  # "null" (a sandboxed or local page), or no web origin at all
    name, port = _split_host(host.decode("latin-1").strip())
    wanted = port or _DEFAULT_PORTS[parts.scheme]
    return (
        origin_host.lower() == name.lower().rstrip(".")
        and str(origin_port or _DEFAULT_PORTS[parts.scheme]) == wanted
    )


def bound_names(host: str) -> frozenset[str]:
    """The host names a server bound to ``host`` answers for, besides IP addresses and
    localhost: ``host`` itself when it is a name, the machine's names when it is a
    wildcard address (every interface)."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return frozenset({host.lower().rstrip(".")})
    if address.is_unspecified:
        return frozenset({socket.gethostname().lower(), socket.getfqdn().lower()})
    return frozenset()


class HostCheck:
    """An ASGI app answering only requests whose ``Host`` the server was bound for: an
    IP address (a page cannot rebind one), ``localhost`` and ``*.localhost``, and
    ``names`` (DNS rebinding protection). Requests without a Host (HTTP/1.0) pass."""

    def __init__(self, app: ASGIApp, names: Iterable[str] = ()) -> None:
        self.app = app
        self.names = frozenset(name.lower().rstrip(".") for name in names)
        self._accepted: set[bytes] = set()

    def accepts(self, value: bytes) -> bool:
        name, _ = _split_host(value.decode("latin-1").strip())
        name = name.lower().rstrip(".")
        if name == "localhost" or name.endswith(".localhost") or name in self.names:
            return True
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = None
            for name, value in scope["headers"]:
                if name == b"host":
                    host = value
                    break
            if host is not None and host not in self._accepted:
                if not self.accepts(host):
                    why = (
                        f"the Host {_shown(host)} is not one this fake was bound for"
                        " (serve --allowed-host NAME allows a name)"
                    )
                    await refuse(scope, receive, send, 403, why)
                    return
                if len(self._accepted) < REMEMBERED:
                    self._accepted.add(host)
        await self.app(scope, receive, send)
